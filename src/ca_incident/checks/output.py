"""What a check saw and found: as text (each file's own line, then
``path:line:col: CODE severity message``, as ruff writes them, and a summary), as JSON, and as
SARIF 2.1.0 for code-scanning tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ca_incident import __version__
from ca_incident.checks.citations import citations
from ca_incident.checks.engine import Checked
from ca_incident.checks.registry import RULES, Finding, Rule, Severity
from ca_incident.templates import RECOGNISED

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_KIND = {"report": "report", "csv": "appendix", "crtsh": "crtsh", "incident": "incident"}
"""The engine's kinds as JSON names them."""
NOT_A_REPORT = "not recognised as an incident report"


def as_text(findings: Sequence[Finding]) -> str:
    """The findings alone, one line each."""
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity.value} {f.message}" for f in findings
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def template_title(name: str) -> str:
    """A template as a reader names it: ``IRG 3.2 Preliminary``, ``IRG 2.0 Audit``."""
    title = RECOGNISED[name].title
    return title.removeprefix("CCADB ").removesuffix(" Incident Report")


def seen_as(checked: Checked) -> str:
    """What the checker saw a file as, in words."""
    if checked.kind == "csv":
        return "CSV appendix"
    if checked.kind == "crtsh":
        return "crt.sh list"
    if checked.kind == "incident":
        return f"incident file, stage {checked.stage}" if checked.stage else "incident file"
    if checked.template is None:
        return NOT_A_REPORT
    title = template_title(checked.template)
    if checked.stage and checked.stage != RECOGNISED[checked.template].report_stage.value:
        title += f", {checked.stage}"
    return f"{title} ({checked.template})"


def files_text(files: Sequence[Checked]) -> str:
    """Each file's line (``path: IRG 3.2 Full (irg-3.2-full)``) followed by its findings."""
    parts = []
    for checked in files:
        parts.append(f"{checked.path}: {seen_as(checked)}\n")
        parts.append(as_text(checked.findings))
    return "".join(parts)


def summary(files: Sequence[Checked]) -> str:
    """One line: files checked, errors, warnings (and notes, if any)."""
    findings = [f for checked in files for f in checked.findings]
    count = {s: sum(1 for f in findings if f.severity is s) for s in Severity}

    def plural(number: int, word: str) -> str:
        return f"{number} {word}{'' if number == 1 else 's'}"

    parts = [
        plural(count[Severity.ERROR], "error"),
        plural(count[Severity.WARNING], "warning"),
    ]
    if count[Severity.INFO]:
        parts.append(plural(count[Severity.INFO], "note"))
    return f"{plural(len(files), 'file')} checked: {', '.join(parts)}"


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
    }


def file_json(checked: Checked) -> dict[str, Any]:
    return {
        "path": checked.path,
        "kind": _KIND[checked.kind],
        "template": checked.template,
        "stage": checked.stage,
        "findings": [finding_json(f) for f in checked.findings],
    }


def check_json(files: Sequence[Checked], findings: Sequence[Finding] = ()) -> dict[str, Any]:
    """``{"files": [...], "findings": [...]}``: each file with what it was seen as and its
    findings, then every finding, flat. ``findings`` stand in when ``files`` is empty."""
    flat = [f for checked in files for f in checked.findings] if files else list(findings)
    return {
        "files": [file_json(c) for c in files],
        "findings": [finding_json(f) for f in flat],
    }


def as_json(findings: Sequence[Finding]) -> str:
    """The findings alone, as a JSON list."""
    return json.dumps([finding_json(f) for f in findings], indent=2) + "\n"


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "templates": sorted(rule.templates),
        "message": rule.message,
        "what": rule.what,
        "why": rule.why,
        "example": rule.example,
        "fix": rule.fix,
        "requirement": rule.requirement,
        "source": rule.source,
    }


def as_sarif(findings: Sequence[Finding], files: Sequence[Checked] = ()) -> str:
    """SARIF 2.1.0; with ``files``, the run's properties and artifacts say what each file was
    recognised as (template and stage)."""
    used = sorted({f.code for f in findings} & set(RULES))
    index = {code: number for number, code in enumerate(used)}
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].message},
            "fullDescription": {"text": RULES[code].what},
            "help": {"text": f"{RULES[code].why} Fix: {RULES[code].fix}"},
            "helpUri": RULES[code].source,
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[code].severity]},
            "properties": {"requirement": RULES[code].requirement},
        }
        for code in used
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "ca-incident",
                "version": __version__,
                "informationUri": "https://www.ccadb.org/cas/incident-report",
                "rules": rules,
            }
        },
        "results": results,
    }
    if files:
        seen = [{k: v for k, v in file_json(c).items() if k != "findings"} for c in files]
        run["artifacts"] = [
            {
                "location": {"uri": c.path},
                "properties": {k: v for k, v in entry.items() if k != "path"},
            }
            for c, entry in zip(files, seen, strict=True)
        ]
        templates = sorted({c.template for c in files if c.template})
        run["properties"] = {
            "template": templates[0] if len(templates) == 1 else None,
            "templates": templates,
            "files": seen,
        }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def explain(rule: Rule) -> str:
    return "\n".join(
        [
            f"{rule.code} {rule.name} ({rule.severity.value})",
            "",
            rule.message,
            "",
            f"What it checks: {rule.what}",
            f"Why: {rule.why}",
            f"Example: {rule.example}",
            f"Fix: {rule.fix}",
            f"Applies to: {', '.join(sorted(rule.templates))}",
            *(f"Requirement: {c} — {c.url} ({c.id})" for c in citations(rule.requirement)),
            f"Source: {rule.source}",
            "",
        ]
    )


def catalog() -> list[Rule]:
    """Every rule, by code: all are registered once this module is loaded (it loads the
    engine, which loads every rule module)."""
    return [RULES[code] for code in sorted(RULES)]


def find_rule(code: str) -> Rule | None:
    """The rule with this code, in any case."""
    return RULES.get(code.upper())
