"""Run the rules over the text of a report, a CSV appendix or a crt.sh list.

This module checks text and knows nothing of files, folders or builds: the check job
(``ca_incident.app.check``) brings those.

An exception inside one rule becomes a finding (INT001) naming the rule; it never stops the
other rules or the other files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ca_incident.checks import rules as _rules  # noqa: F401  # registers every rule
from ca_incident.checks.registry import RULES, Context, Finding, Rule, Severity
from ca_incident.checks.report import Report, looks_truncated, parse
from ca_incident.errors import CaIncidentError
from ca_incident.templates import get

KINDS = ("auto", "report", "csv", "crtsh")
INTERNAL = "INT001"


def selected_rules(select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """Rules whose code starts with a selected prefix and with no ignored one."""
    chosen = []
    for code, candidate in sorted(RULES.items()):
        if select and not any(code.startswith(prefix.upper()) for prefix in select):
            continue
        if any(code.startswith(prefix.upper()) for prefix in ignore):
            continue
        chosen.append(candidate)
    return chosen


def validate_codes(codes: Iterable[str]) -> None:
    for code in codes:
        if not any(known.startswith(code.upper()) for known in RULES):
            raise CaIncidentError(f"no rule code starts with '{code}' (see ca-incident rules)")


def kind_of(path: str, text: str) -> str:
    if path.lower().endswith(".csv"):
        return "csv"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and all(line.startswith(("https://crt.sh/", "http://crt.sh/")) for line in lines):
        return "crtsh"
    return "report"


def check_text(
    text: str,
    path: str,
    context: Context,
    *,
    kind: str = "auto",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    template: str | None = None,
    truncated: bool | None = None,
) -> list[Finding]:
    """Every finding for one input."""
    if kind == "auto":
        kind = kind_of(path, text)
    if kind == "report":
        try:
            report = parse(text, path)
        except Exception as exc:  # a text we cannot read is a finding, not a crash
            return [
                Finding(
                    path, 1, 1, INTERNAL, Severity.ERROR, f"the report could not be read: {exc!r}"
                )
            ]
        if template is not None:
            report.template = get(template).name
        report.truncated = looks_truncated(text) if truncated is None else truncated
    else:
        report = Report(path=path, text=text, template=kind, lines=text.splitlines())
    findings: list[Finding] = []
    for candidate in selected_rules(select, ignore):
        if report.template not in candidate.templates:
            continue
        try:
            hits = list(candidate.check(report, context))
        except Exception as exc:  # one broken rule must not stop the others
            findings.append(
                Finding(
                    path, 1, 1, INTERNAL, Severity.ERROR, f"rule {candidate.code} failed: {exc!r}"
                )
            )
            continue
        for line, column, message in hits:
            findings.append(
                Finding(path, line, column, candidate.code, candidate.severity, message)
            )
    return sorted(findings, key=lambda f: (f.line, f.column, f.code))
