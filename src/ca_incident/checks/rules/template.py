"""TPL, FLD, GEN, CLS: which template, whether its fields are there and filled, and whether
the report stands alone and fits in a comment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise

from ca_incident.checks.registry import (
    CCADB_POLICY,
    IRG,
    IRG3,
    IRG_FULL,
    REPORTS,
    Context,
    Hit,
    Severity,
    rule,
)
from ca_incident.checks.report import UNRECOGNISED, Field, Report, normalize
from ca_incident.model import CLOSED_STATUSES
from ca_incident.report.render import BUGZILLA_COMMENT_LIMIT
from ca_incident.templates import (
    CLOSING_STATEMENT,
    GRACE_DAYS,
    IRG_20,
    IRG_32_CLOSURE,
    IRG_32_FULL,
    IRG_32_PRELIMINARY,
    TEMPLATES,
    Template,
)

CLOSED_WORDS = frozenset({s.value.lower() for s in CLOSED_STATUSES} | {"completed", "cancelled"})
"""An action item's status when it is done, as reports spell it."""
PLACEHOLDER = re.compile(
    r"^(?:tbd|tba|tbc|to be (?:determined|confirmed|added)|-+|\?+|\.\.\.|…|pending|xx+)$", re.I
)
NA = re.compile(r"^\s*n\s*/?\s*a\b\.?", re.I)

SECTIONS = {
    IRG_32_FULL.name: [h.markdown for h in IRG_32_FULL.headings()],
    IRG_32_PRELIMINARY.name: [h.markdown for h in IRG_32_PRELIMINARY.headings()],
    IRG_20.name: [h.markdown for h in IRG_20.headings(level=3)],
}


def _labels(spec: Template) -> list[str]:
    return [
        normalize(label.text) for label in spec.labels() if label.required and not label.per_factor
    ]


REQUIRED_FIELDS = {
    spec.name: _labels(spec) for spec in TEMPLATES.values() if spec.family == "irg-3"
}
SYNONYMS = {
    "additional": ("additional", "other"),
    "what didn't go well": ("what didn't go well", "what did not go well"),
    "where we got lucky": ("where we got lucky", "where did we get lucky", "where we were lucky"),
}

SUPERSEDED: dict[str, tuple[datetime, str]] = {
    spec.name: (spec.superseded_on, spec.successor or "its successor")
    for spec in TEMPLATES.values()
    if spec.superseded_on is not None
}
"""Template -> (superseded on, by what)."""
GRACE = timedelta(days=GRACE_DAYS)
IRG_30_EFFECTIVE = IRG_32_FULL.current_from
"""Field-level templates (Preliminary, Full, Closure) exist from IRG 3.0 on."""


def fields_required(context: Context) -> bool:
    """Whether the IRG 3.x field templates were in force when the report was posted."""
    return (context.posted or context.as_of) >= IRG_30_EFFECTIVE


def is_na(value: str) -> bool:
    return bool(NA.match(value))


def is_placeholder(value: str) -> bool:
    text = re.sub(r"[*_`]", "", value).strip()
    return not text or bool(PLACEHOLDER.match(text))


def find_field(report: Report, label: str) -> Field | None:
    return report.field(*SYNONYMS.get(label, (label,)))


def _cut_after(report: Report, items: list[str]) -> int:
    """In a truncated report, how many of ``items`` (in template order) can be judged: those
    up to the last one that is present."""
    if not report.truncated:
        return len(items)
    last = -1
    for position, item in enumerate(items):
        if report.field(*SYNONYMS.get(item, (item,))) is not None or report.has_section(item):
            last = position
    return last + 1


@rule(
    "TPL001",
    "template-not-recognised",
    Severity.ERROR,
    REPORTS,
    "template not recognised, or required sections missing or out of order",
    what="Recognises the report's template (the 2023 seven topics, IRG 2.0, IRG 3.x "
    "Preliminary, Full or Closure) and checks that its sections are all there, in order.",
    why="The CCADB guidelines require their templates; reviewers and tools find fields by "
    "their headings, in the template's order.",
    example="A Full report without '### Lessons Learned', or with Impact after Timeline.",
    fix="Start from the current template (ca-incident render) and keep every heading, in order.",
    requirement="REQ-FULL-1, REQ-SCOPE-6",
    source=IRG_FULL,
)
def tpl001(report: Report, context: Context) -> Iterator[Hit]:
    if report.template == UNRECOGNISED:
        yield 1, 1, "no incident report template recognised (IRG 3.x, IRG 2.0 or the seven topics)"
        return
    expected = SECTIONS.get(report.template)
    if not expected:
        return
    names = [normalize(h) for h in expected]
    judged = names[: _cut_after(report, names)]
    positions = []
    for name in judged:
        span = report.sections.get(name)
        if span is None:
            yield 1, 1, f"section '{name}' is missing"
        else:
            positions.append((span[0], name))
    for (line_a, a), (line_b, b) in pairwise(positions):
        if line_b < line_a:
            yield (
                line_b,
                1,
                f"section '{b}' comes before '{a}'; the template's order is {a}, then {b}",
            )


@rule(
    "TPL002",
    "superseded-template",
    Severity.ERROR,
    REPORTS,
    "template superseded more than 30 days before the report was posted",
    what="Compares the template with the CCADB Incident Reporting Guidelines version in force "
    "when the report was posted (--posted, else --as-of).",
    why="CCADB Policy 6.1: a template superseded more than 30 days before posting may not be "
    "used. IRG 2.0 replaced the seven topics on 2023-10-17; IRG 3.0 replaced IRG 2.0 on "
    "2025-03-01.",
    example="A report in the IRG 2.0 layout posted in June 2025.",
    fix="Use the current template: ca-incident render --template irg-3.2-full.",
    requirement="REQ-SCOPE-6",
    source=CCADB_POLICY,
)
def tpl002(report: Report, context: Context) -> Iterator[Hit]:
    superseded = SUPERSEDED.get(report.template)
    if superseded is None:
        return
    on, successor = superseded
    posted = context.posted or context.as_of
    if posted > on + GRACE:
        yield (
            1,
            1,
            (
                f"the {report.template} template was superseded by {successor} on "
                f"{on:%Y-%m-%d}, more than 30 days before {posted:%Y-%m-%d}"
            ),
        )


@rule(
    "FLD001",
    "required-field-missing",
    Severity.ERROR,
    IRG3,
    "a required field of the template is missing",
    what="Checks that every field of the IRG 3.x template (Preliminary, Full or Closure) is "
    "present, labels matched leniently (case, apostrophes, colon inside or outside the bold). "
    "Reports posted before IRG 3.0 took effect (2025-03-01) are not held to its fields.",
    why="IRG 3.2: 'CA Owners submitting reports MUST complete all applicable fields … Fields "
    "that are not applicable MUST still be included and marked N/A.'",
    example="A Full report without '**Incident heuristic:**'.",
    fix="Add the field; write N/A where it does not apply.",
    requirement="REQ-PRE-1, REQ-FULL-1",
    source=f"{IRG}#report-templates",
)
def fld001(report: Report, context: Context) -> Iterator[Hit]:
    if not fields_required(context):
        return
    labels = REQUIRED_FIELDS.get(report.template, [])
    for label in labels[: _cut_after(report, labels)]:
        if find_field(report, label) is None:
            yield 1, 1, f"field '{label}' is missing"


@rule(
    "FLD002",
    "required-field-empty",
    Severity.ERROR,
    IRG3,
    "a required field is empty, or 'TBD' / '-' / '?' instead of a value or 'N/A'",
    what="Checks that each template field has a value: text, or N/A where it does not apply.",
    why="An empty field or a placeholder reads as an omission; the IRG asks for N/A where a "
    "field does not apply.",
    example="- **Incident heuristic:** TBD",
    fix="Write the value, or N/A with, where useful, why it does not apply.",
    requirement="REQ-FULL-1",
    source=f"{IRG}#report-templates",
)
def fld002(report: Report, context: Context) -> Iterator[Hit]:
    nested = {
        "timeline summary",
        "what went well",
        "what didn't go well",
        "where we got lucky",
        "additional",
        "other",
    }
    for label in REQUIRED_FIELDS.get(report.template, []):
        found = find_field(report, label)
        if found is None:
            continue
        value = found.value
        if label in nested and value:
            continue
        if report.truncated and found is report.fields[-1]:
            continue
        if is_placeholder(value):
            shown = value.strip() or "nothing"
            yield found.line, found.column, f"'{label}' has {shown!r}: write the value or N/A"


@rule(
    "GEN001",
    "not-standalone",
    Severity.WARNING,
    REPORTS,
    "the report leans on other comments instead of standing alone",
    what="Finds references such as 'see comment 3', 'as described above' or 'see the "
    "previous comment'.",
    why="A report must stand alone: readers, auditors and tools read it without the thread "
    "around it.",
    example="Root cause: see comment #5.",
    fix="Copy the content in, and link the comment only as a source.",
    requirement="REQ-SCOPE-4",
    source=IRG,
)
def gen001(report: Report, context: Context) -> Iterator[Hit]:
    pattern = re.compile(
        r"\b(?:see|in|per|refer to)\s+(?:my\s+|our\s+|the\s+)?(?:previous\s+|above\s+|earlier\s+)?comment\s*#?\s*\d*"
        r"|\bcomment\s+#\d+|\bas\s+(?:described|mentioned|stated|explained)\s+(?:above|earlier|before|previously)"
        r"|\bsee\s+above\b",
        re.IGNORECASE,
    )
    for number, line in enumerate(report.lines, start=1):
        match = pattern.search(line)
        if match:
            yield (
                number,
                match.start() + 1,
                f"'{match.group(0).strip()}': the report must stand alone",
            )


@rule(
    "GEN002",
    "too-long-for-a-comment",
    Severity.ERROR,
    REPORTS,
    "over Bugzilla's 65,535-character comment limit",
    what="Counts the report's characters.",
    why="Bugzilla cuts comments at 65,535 characters; the rest of the report would be lost.",
    example="A report with the certificate list pasted inline.",
    fix="Move lists and logs into attachments and refer to them from the Appendix.",
    requirement="REQ-FILE-4",
    source="https://bmo.readthedocs.io/en/latest/api/core/v1/comment.html",
)
def gen002(report: Report, context: Context) -> Iterator[Hit]:
    if len(report.text) > BUGZILLA_COMMENT_LIMIT:
        yield 1, 1, f"{len(report.text):,} characters, over the {BUGZILLA_COMMENT_LIMIT:,} limit"


@rule(
    "GEN003",
    "report-cut-short",
    Severity.INFO,
    REPORTS,
    "the text ends mid-report; what follows the cut was not checked",
    what="Notices a text that stops mid-sentence (no final line break or punctuation), such as "
    "a truncated paste, and checks only the part that is there.",
    why="One finding for the cut says more than one for every section after it.",
    example="A report opening cut at 1,000 characters.",
    fix="Check the whole report.",
    requirement="REQ-FULL-1",
    source=IRG,
)
def gen003(report: Report, context: Context) -> Iterator[Hit]:
    if report.truncated:
        yield (
            max(1, len(report.lines)),
            1,
            "the text ends mid-report; sections after the cut were not checked",
        )


@rule(
    "CLS001",
    "closure-incomplete",
    Severity.ERROR,
    frozenset({IRG_32_CLOSURE.name, IRG_32_FULL.name}),
    "closure summary missing a field or the closing statement, or an action item still open",
    what="In a Report Closure Summary: the four fields, the closing statement verbatim, and "
    "no action item other than Complete or Canceled in the report.",
    why="IRG 3.2 Closure Report template; the closing statement affirms that every action "
    "item is complete.",
    example="A closure summary whose action item table still shows 'Ongoing'.",
    fix="Complete (or cancel, with reasons) every action item, then post the summary with the "
    "closing statement as written.",
    requirement="REQ-CLOSE-1",
    source=f"{IRG}#closure-report",
)
def cls001(report: Report, context: Context) -> Iterator[Hit]:
    if report.template != IRG_32_CLOSURE.name and not report.has_section("report closure summary"):
        return
    flat = re.sub(r"\s+", " ", report.text)
    if CLOSING_STATEMENT not in flat and not report.truncated:
        yield 1, 1, "the closing statement is missing: '" + CLOSING_STATEMENT + "'"
    table = report.action_table()
    if table is not None:
        header = [normalize(h) for h in table.header]
        if "status" in header:
            column = header.index("status")
            for line, row in zip(table.row_lines, table.rows, strict=False):
                status = normalize(row[column]) if column < len(row) else ""
                if status not in CLOSED_WORDS:
                    yield (
                        line,
                        1,
                        f"action item still '{row[column] if column < len(row) else ''}' in a closure report",
                    )
