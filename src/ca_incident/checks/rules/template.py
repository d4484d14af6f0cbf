"""TPL, FLD, GEN, CLS: which template, whether its fields are there, filled and rendered,
whether the report stands alone, fits in a comment, is whole, and makes no claim the IRG names
as bad practice."""

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
    quoted,
    rule,
)
from ca_incident.checks.report import UNRECOGNISED, Field, Report, legacy_topic, normalize
from ca_incident.model import CLOSED_STATUSES, Stage
from ca_incident.report.render import BUGZILLA_COMMENT_LIMIT
from ca_incident.templates import (
    CLOSING_STATEMENT,
    GRACE_DAYS,
    IRG_20,
    IRG_20_AUDIT,
    IRG_32_CLOSURE,
    IRG_32_FULL,
    IRG_32_PRELIMINARY,
    RECOGNISED,
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
    IRG_20_AUDIT.name: [h.markdown for h in IRG_20_AUDIT.headings()],
}


def _labels(spec: Template, *, third_party: bool = False) -> list[str]:
    return [
        normalize(label.text)
        for label in spec.labels()
        if label.required and not label.per_factor and not (third_party and label.asterisk)
    ]


REQUIRED_FIELDS = {
    spec.name: _labels(spec) for spec in RECOGNISED.values() if spec.family == "irg-3"
}
THIRD_PARTY_FIELDS = {IRG_32_PRELIMINARY.name: _labels(IRG_32_PRELIMINARY, third_party=True)}
"""IRG 3.2: "Fields marked with an asterisk (*) are not required in Preliminary Incident
Reports if submitted by a third party reporter." """
SYNONYMS = {
    "additional": ("additional", "other"),
    "what didn't go well": ("what didn't go well", "what did not go well"),
    "where we got lucky": ("where we got lucky", "where did we get lucky", "where we were lucky"),
}

SUPERSEDED: dict[str, tuple[datetime, str]] = {
    spec.name: (spec.superseded_on, spec.successor or "its successor")
    for spec in RECOGNISED.values()
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
    what="Recognises the report's template (the 2023 seven topics, IRG 2.0 or its Audit "
    "Incident Report, IRG 3.x Preliminary, Full or Closure) and checks that its sections are "
    "all there, in order. An IRG 2.0 report that says it is preliminary needs only the "
    "sections it has, in order.",
    why="The CCADB guidelines require their templates; reviewers and tools find fields by "
    "their headings, in the template's order.",
    example="A Full report without '### Lessons Learned', or with Impact after Timeline.",
    fix="Start from the current template (ca-incident render) and keep every heading, in order.",
    requirement="REQ-FULL-1, REQ-SCOPE-6",
    source=IRG_FULL,
    judges_absence=True,
)
def tpl001(report: Report, context: Context) -> Iterator[Hit]:
    if report.template == UNRECOGNISED:
        yield (
            1,
            1,
            "no incident report template recognised (IRG 3.x, IRG 2.0, the IRG 2.0 Audit "
            "report or the seven topics)",
        )
        return
    expected = SECTIONS.get(report.template)
    if not expected:
        return
    names = [normalize(h) for h in expected]
    judged = names[: _cut_after(report, names)]
    # IRG 2.0 had no Preliminary template: a report that says it is preliminary gives "an
    # executive summary of the incident and a date by which the full report will be posted".
    preliminary = report.stage == Stage.PRELIMINARY.value and report.template == IRG_20.name
    positions = []
    for name in judged:
        span = report.sections.get(name)
        if span is None:
            if not preliminary:
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
    what="Checks that every required field of the IRG 3.x template (Preliminary, Full or "
    "Closure) is present, labels matched as a reader matches them (case, apostrophes, colon "
    "inside or outside the bold, 'Relevant requirements' for 'Relevant policies'). The "
    "optional fields (Additional considerations, Root Cause Analysis methodology used) are "
    "not required, nor, in a third party's Preliminary report (--third-party), the fields "
    "the IRG marks with an asterisk. Reports posted before IRG 3.0 took effect (2025-03-01) "
    "are not held to its fields.",
    why="IRG 3.2: 'CA Owners submitting reports MUST complete all applicable fields … Fields "
    "that are not applicable MUST still be included and marked N/A.' and 'Fields marked "
    "with an asterisk (*) are not required in Preliminary Incident Reports if submitted by a "
    "third party reporter.'",
    example="A Full report without '**Incident heuristic:**'.",
    fix="Add the field; write N/A where it does not apply.",
    requirement="REQ-PRE-1, REQ-FULL-1",
    source=f"{IRG}#report-templates",
    judges_absence=True,
)
def fld001(report: Report, context: Context) -> Iterator[Hit]:
    if not fields_required(context):
        return
    required = THIRD_PARTY_FIELDS if context.third_party else REQUIRED_FIELDS
    labels = required.get(report.template, REQUIRED_FIELDS.get(report.template, []))
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
            shown = quoted(value) if value.strip() else "nothing"
            yield found.line, found.column, f"'{label}' has {shown}: write the value or N/A"


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
                f"{quoted(match.group(0))}: the report must stand alone",
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
    Severity.WARNING,
    REPORTS,
    "the text is cut short; missing parts after the cut were not judged",
    what="Notices a text that shows it was cut: it ends mid-word ('For each probl'), mid "
    "sentence ('... and the'), mid-table-row, mid-field (inside bold, or at a label the "
    "template follows with more), inside code or a link, mid-URL or mid-date; or that the "
    "user says is cut (--truncated). An end without a final newline or full stop is no "
    "evidence: Bugzilla comments end that way. The rules that find missing parts then judge "
    "only what comes before the cut, and this finding names them.",
    why="A report 'MUST complete all applicable fields' (IRG 3.2); a pasted opening cannot "
    "show the fields after the cut, so one finding for the cut says more than one for every "
    "section after it, and it says which rules did not judge the rest.",
    example="A report opening cut at 1,000 characters: '... For each probl'.",
    fix="Check the whole report.",
    requirement="REQ-FULL-1",
    source=IRG,
)
def gen003(report: Report, context: Context) -> Iterator[Hit]:
    if report.truncated:
        skipped = ", ".join(report.unjudged) or "none"
        yield (
            max(1, len(report.lines)),
            1,
            f"the text {report.cut}; missing parts after the cut were not judged (rules {skipped})",
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
    judges_absence=True,
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
                    shown = quoted(row[column] if column < len(row) else "")
                    yield line, 1, f"action item still {shown} in a closure report"


@rule(
    "FLD003",
    "label-not-rendered",
    Severity.WARNING,
    REPORTS,
    "a bold label written so that Markdown shows its asterisks",
    what="Finds labels written as bold with a space just inside the asterisks "
    "('**Source of incident disclosure: **'). The checker reads the field all the same, as "
    "a person does; Bugzilla shows the asterisks instead of bold.",
    why="IRG 3.2: report content 'SHOULD utilize Markdown's formatting features (headers, "
    "lists, emphasis, etc.) to ensure clarity and readability', and submitters 'SHOULD use "
    "Bugzilla's \"preview\" feature to confirm rendering appears as expected before posting'.",
    example="**Source of incident disclosure: ** Third Party Reported",
    fix="Close the bold right after the colon: **Source of incident disclosure:** Third Party "
    "Reported",
    requirement="REQ-FILE-4",
    source=f"{IRG}#what-format-is-used",
)
def fld003(report: Report, context: Context) -> Iterator[Hit]:
    for found in report.fields:
        if found.unrendered:
            yield (
                found.line,
                found.column,
                f"'**{found.label}: **' shows its asterisks in Bugzilla: write "
                f"'**{found.label.strip()}:**'",
            )


_PLACEHOLDER_TEXT = re.compile(
    r"YYYY-MM-DD|\bHH:MM\b|\[sha256[ -](?:fingerprint|hash)[^\]]*\]"
    r"|\[Related Bug ID\]\(Related Bug URL\)|Date Related Bug was opened"
    r"|A description of how the subject Bug is related|Contributing Factor #:\s*title"
)
"""The sample text of the IRG 2.0 and 3.2 templates and of the 2023 wiki's crt.sh form."""
_EXAMPLE_ROW = "example"
"""The first cell of the templates' sample action item ("| Example | Prevent | ...")."""


@rule(
    "GEN004",
    "template-placeholder",
    Severity.ERROR,
    REPORTS,
    "the template's sample text left in the report",
    what="Finds the templates' own sample text left in place: 'YYYY-MM-DD', 'HH:MM Example', "
    "'https://crt.sh/?sha256=[sha256 fingerprint of the certificate]', the sample action "
    "item '| Example | Prevent | 2038-01-19 |', '[Related Bug ID](Related Bug URL)', "
    "'Contributing Factor #: title'.",
    why="IRG 3.2: 'CA Owners submitting reports MUST complete all applicable fields in the "
    "relevant template. Fields that are not applicable MUST still be included and marked "
    "N/A.' A field still holding the template's example is neither completed nor N/A.",
    example="| Example | Prevent | 2038-01-19 |",
    fix="Replace each sample with the incident's own content, or N/A where the field does "
    "not apply.",
    requirement="REQ-PRE-1, REQ-FULL-1",
    source=f"{IRG}#report-templates",
)
def gen004(report: Report, context: Context) -> Iterator[Hit]:
    for number, line in enumerate(report.lines, start=1):
        match = _PLACEHOLDER_TEXT.search(line)
        # The seven topics' own question 5 quotes the crt.sh form it asks for.
        if match is not None and legacy_topic(line) is None:
            yield (
                number,
                match.start() + 1,
                f"the template's sample {quoted(match.group(0))} is still there",
            )
    table = report.action_table()
    if table is not None:
        for row_line, row in zip(table.row_lines, table.rows, strict=False):
            if row and normalize(row[0]) == _EXAMPLE_ROW:
                yield row_line, 1, "the template's sample action item 'Example' is still there"


_NO_IMPACT = re.compile(
    r"\bthere(?:\s+(?:is|was|are|were)|'s)\s+no\s+(?:(?:real|actual|material|significant)\s+)?"
    r"(?:security\s+)?(?:impact|risk|threat)\b"
    r"|\bno\s+(?:security|privacy)\s+(?:impact|risk|implications?|concerns?|threat)\b"
    r"|\bnot\s+(?:a|any)\s+security\s+(?:risk|issue|concern|threat)\b"
    r"|\b(?:does|did)\s+not\s+(?:pose|present|represent|create)\s+(?:a|any)\s+security\s+"
    r"(?:risk|threat)\b",
    re.I,
)


@rule(
    "GEN005",
    "unsubstantiated-claim",
    Severity.WARNING,
    REPORTS,
    "a claim the IRG gives as bad practice: 'there is no security impact' and the like",
    what="Finds claims that the incident has no security impact or risk ('there is no "
    "security impact', 'does not pose a security risk', 'not a security risk'), outside "
    "quotes and the Related Incidents table.",
    why="IRG 3.2, 'Are there examples of \"bad\" practices?': 'Avoid making claims that are "
    'speculative or that cannot be corroborated (e.g. "there is no security impact due to '
    "this issue.\")'. The 2019 Mozilla wiki: responses similar to 'we deem this misissuance "
    "not to be a security risk' are generally not acceptable.",
    example="There is no security impact, as the certificates were used internally only.",
    fix="State what is known and how it was established (data, logs, who relied on the "
    "certificates), and drop the verdict.",
    requirement="CRIT-12",
    source=f"{IRG}#are-there-examples-of-bad-practices",
)
def gen005(report: Report, context: Context) -> Iterator[Hit]:
    related = report.sections.get("related incidents", (0, -1))
    for number, line in enumerate(report.lines, start=1):
        if related[0] <= number <= related[1] or line.lstrip().startswith(">"):
            continue
        match = _NO_IMPACT.search(line)
        if match is not None:
            yield (
                number,
                match.start() + 1,
                f"{quoted(match.group(0))} is a claim the IRG asks to avoid: show the evidence "
                "instead",
            )
