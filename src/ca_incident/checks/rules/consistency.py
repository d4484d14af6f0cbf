"""CON: the report read together with its attachments. They run when the report is checked with
its appendix (``check report.md appendix.csv``) or as an incident folder's build; checked
alone, a report has nothing to compare with, and they find nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ca_incident.checks.registry import FULL, IRG, Context, Hit, Severity, rule
from ca_incident.checks.report import Report
from ca_incident.checks.rules.summary import counts

_OMITTED = re.compile(
    r"expired[^.\n]{0,80}\b(?:omitted|excluded|not (?:included|listed|disclosed))"
    r"|\b(?:omitted|excluded|not (?:included|listed|disclosed))[^.\n]{0,80}\bexpired",
    re.I,
)
"""How a report says that expired certificates were left out of its appendix, as the IRG's
own heuristic example does ("Certificates that have been revoked or are expired are omitted
from the certificate list disclosed in the Appendix")."""


@rule(
    "CON001",
    "impact-counts-and-appendix",
    Severity.ERROR,
    FULL,
    "the Impact's counts disagree with the appendix checked with the report",
    what="Compares the Impact's Total and remaining-valid counts with the CSV appendix (or, "
    "without one, the crt.sh lists) given with the report or built from its incident "
    "folder: the appendix may not list more certificates than the Total; fewer only when the "
    "report says the others expired and were left out (and the CSV lists no expired ones "
    "itself); it must list at least the remaining valid certificates; and the rows neither "
    "revoked nor expired (Is revoked? Planned or Delayed) must number the remaining valid.",
    why="IRG 3.2: the Total counts 'all certificates affected … including expired and "
    "revoked certificates'; remaining valid is the total 'minus expired and revoked "
    "certificates. Minimally, this set of certificates MUST be disclosed in the Appendix "
    "section of this report.' Counts that disagree with the CA's own list are among the "
    "defects reviewers criticise most (Entrust, bug 1898848).",
    example="- **Total number of certificates:** 15   (with a 12-row appendix.csv, and no word "
    "of expired certificates left out)",
    fix="Count from the same certificates the appendix lists (ca-incident certs summarize "
    "and certs appendix), or say in the Incident heuristic which certificates the appendix "
    "leaves out and why.",
    requirement="REQ-IMP-1, REQ-IMP-2, REQ-APX-1",
    source=f"{IRG}#incident-reports",
)
def con001(report: Report, context: Context) -> Iterator[Hit]:
    tables = [a for a in context.attachments if a.kind == "csv" and a.readable]
    lists = [a for a in context.attachments if a.kind == "crtsh"]
    used = tables or lists
    if not used:
        return
    listed = sum(a.certificates for a in used)
    names = ", ".join(a.path.rsplit("/", 1)[-1] for a in used)
    total, remaining = counts(report)
    if total is not None:
        field, number = total
        if listed > number:
            yield (
                field.line,
                field.column,
                f"the Total is {number:,}, but {names} lists {listed:,} certificates",
            )
        elif listed < number:
            if any(a.expired_listed for a in tables):
                yield (
                    field.line,
                    field.column,
                    f"the Total is {number:,}, but {names} lists {listed:,} certificates, "
                    "expired ones included",
                )
            elif not _OMITTED.search(report.own_text()):
                yield (
                    field.line,
                    field.column,
                    f"the Total is {number:,}, but {names} lists {listed:,} certificates, and "
                    f"the report does not say that the other {number - listed:,} expired and "
                    "were left out",
                )
    if remaining is not None:
        field, number = remaining
        not_revoked = [a.not_revoked for a in tables]
        if number > listed:
            yield (
                field.line,
                field.column,
                f"{number:,} remaining valid, but {names} lists only {listed:,} certificates: "
                "the appendix must disclose at least the remaining valid ones",
            )
        elif tables and None not in not_revoked:
            shown = sum(n for n in not_revoked if n is not None)
            if shown != number:
                yield (
                    field.line,
                    field.column,
                    f"{number:,} remaining valid, but {names} marks {shown:,} certificates "
                    "neither revoked nor expired",
                )
