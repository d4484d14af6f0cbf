"""Findings as text (``path:line:col: CODE severity message``, as ruff writes them), JSON, and
SARIF 2.1.0 for code-scanning tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ca_incident import __version__
from ca_incident.checks.citations import citations
from ca_incident.checks.registry import RULES, Finding, Rule, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def as_text(findings: Sequence[Finding]) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity.value} {f.message}" for f in findings
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
    }


def as_json(findings: Sequence[Finding]) -> str:
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


def as_sarif(findings: Sequence[Finding]) -> str:
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
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
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
        ],
    }
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
