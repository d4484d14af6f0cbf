"""Run the rules over the text of a report, a CSV appendix or a crt.sh list.

This module checks text and knows nothing of files, folders or builds: the check job
(``ca_incident.app.check``) brings those, and the attachments a report is checked with.

An exception inside one rule becomes a finding (INT001) naming the rule; it never stops the
other rules or the other files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ca_incident.checks import rules as _rules  # noqa: F401  # registers every rule
from ca_incident.checks.registry import RULES, Context, Finding, Rule, Severity
from ca_incident.checks.report import UNRECOGNISED, Report, cut_evidence, parse
from ca_incident.errors import CaIncidentError
from ca_incident.templates import get

KINDS = ("auto", "report", "csv", "crtsh")
INTERNAL = "INT001"
STATED_CUT = "is cut short (as stated)"
"""What GEN003 says of a text the user declared cut (``--truncated``) without evidence in it."""


@dataclass(frozen=True)
class Checked:
    """One input: what the checker saw it as, and what it found."""

    path: str
    kind: str
    """``report``, ``csv`` (an appendix), ``crtsh`` (a crt.sh list), or ``incident``."""
    template: str | None = None
    """The canonical name of the template a report was recognised (or checked) as; None for
    a text that is no incident report, and for anything but a report."""
    stage: str | None = None
    """The report's stage (preliminary, full, closure), or the incident's."""
    findings: list[Finding] = field(default_factory=list)
    cut: str | None = None
    """How a report was cut short, when it was."""


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
    return check_input(
        text,
        path,
        context,
        kind=kind,
        select=select,
        ignore=ignore,
        template=template,
        truncated=truncated,
    ).findings


def check_input(
    text: str,
    path: str,
    context: Context,
    *,
    kind: str = "auto",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    template: str | None = None,
    truncated: bool | None = None,
) -> Checked:
    """One input, what it was recognised as, and its findings.

    ``template`` checks a report as that template (any name or alias) instead of the one
    recognised; ``truncated`` True says the text is cut short, False that it is whole, None
    lets the text show it (see ``report.cut_evidence``)."""
    if kind == "auto":
        kind = kind_of(path, text)
    if kind != "report":
        report = Report(path=path, text=text, template=kind, lines=text.splitlines())
    else:
        forced = get(template, recognised=True) if template is not None else None
        try:
            report = parse(text, path, template=forced)
        except Exception as exc:  # a text we cannot read is a finding, not a crash
            failure = Finding(
                path, 1, 1, INTERNAL, Severity.ERROR, f"the report could not be read: {exc!r}"
            )
            return Checked(path, kind, findings=[failure])
        evidence = cut_evidence(text) if truncated is not False else None
        report.cut = evidence or (STATED_CUT if truncated else None)
        report.truncated = report.cut is not None
    rules = [
        r
        for r in selected_rules(select, ignore)
        if report.template in r.templates and report.stage in r.stages
    ]
    if report.truncated:
        report.unjudged = tuple(r.code for r in rules if r.judges_absence)
    findings: list[Finding] = []
    for candidate in rules:
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
    recognised = kind == "report" and report.template != UNRECOGNISED
    return Checked(
        path,
        kind,
        report.template if recognised else None,
        report.stage,
        sorted(findings, key=lambda f: (f.line, f.column, f.code)),
        report.cut,
    )
