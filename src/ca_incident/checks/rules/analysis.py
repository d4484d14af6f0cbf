"""RCA and AI: contributing factors that explain, and action items that bind, each mapped to
what it remedies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ca_incident.checks.registry import (
    FULL,
    IRG,
    NOT_PRELIMINARY,
    WITH_ACTIONS,
    WITH_RCA,
    Context,
    Hit,
    Severity,
    quoted,
    rule,
)
from ca_incident.checks.report import Field, Report, Table, normalize
from ca_incident.checks.rules.summary import revocation_delayed
from ca_incident.checks.rules.template import CLOSED_WORDS, is_na, is_placeholder
from ca_incident.model import ActionKind, ActionStatus
from ca_incident.templates import IRG_20_AUDIT, IRG_32_FULL, MOZILLA_2023
from ca_incident.timeutil import read_date

RCA_SOURCE = f"{IRG}#incident-reports"
_FACTOR = re.compile(r"^(?:contributing factor|root cause)\s*#?\s*(\d+)\b", re.I)


def factors(report: Report) -> list[tuple[Field, dict[str, Field]]]:
    """Each contributing factor with its sub-fields (Description, Timeline, Detection, ...)."""
    out: list[tuple[Field, dict[str, Field]]] = []
    for found in report.fields:
        if _FACTOR.match(found.norm):
            out.append((found, {}))
        elif out and found.section == out[-1][0].section and found.line > out[-1][0].line:
            out[-1][1].setdefault(found.norm, found)
    return out


@rule(
    "RCA001",
    "contributing-factors",
    Severity.ERROR,
    WITH_ACTIONS,
    "no contributing factor, or a factor without description or detection",
    what="Checks that the Root Cause Analysis names at least one contributing factor and "
    "that each has its Description and Detection (IRG 3.x), or that the section says "
    "something (IRG 2.0).",
    why="IRG 3.2: 'It is unusual for an incident to have a single root cause'; each factor "
    "MUST be described, including when it arose and how it avoided detection.",
    example="### Root Cause Analysis\n\nN/A",
    fix="Add '**Contributing Factor 1: title**' with Description, Timeline, Detection and "
    "Interaction with other factors.",
    requirement="REQ-RCA-1",
    source=RCA_SOURCE,
    stages=NOT_PRELIMINARY,
    judges_absence=True,
)
def rca001(report: Report, context: Context) -> Iterator[Hit]:
    section = report.section_text("root cause analysis", "root causes", "root cause")
    if section is None:
        return
    text, line = section
    if report.template != IRG_32_FULL.name:
        body = "\n".join(text.splitlines()[1:]).strip()
        if not body or is_na(body):
            yield line, 1, "the Root Cause Analysis is empty"
        return
    found = factors(report)
    if not found:
        if not report.truncated:
            yield line, 1, "no '**Contributing Factor N: title**' in the Root Cause Analysis"
        return
    for factor, sub in found:
        for need in ("description", "detection"):
            item = sub.get(need)
            if item is None or is_placeholder(item.value) or is_na(item.value):
                yield factor.line, factor.column, f"'{factor.label}' has no {need.capitalize()}"


_AVOIDED = re.compile(
    r"avoid|undetect|not (?:been )?(?:detect|caught|notic|flag|found)|went unnoticed|unnoticed|"
    r"did(?:n't| not) (?:detect|catch|notice|flag|check|cover)|missed|escap|because|no (?:check|lint|test|monitor)|"
    r"(?:lack|absence) of|was not (?:covered|checked|tested|monitored)|why .* not|until",
    re.I,
)


@rule(
    "RCA002",
    "avoided-detection",
    Severity.WARNING,
    WITH_RCA,
    "detection does not say how the problem avoided detection until then",
    what="Looks in each factor's Detection (or topic 6) for an account of why the problem "
    "was not caught earlier.",
    why="IRG 3.2 asks how each factor 'avoided detection prior to the incident'; reviewers "
    "ask it in bug after bug.",
    example="- **Detection:** A community member reported it.",
    fix="Say why existing checks (linting, reviews, self-audits) did not catch it, and since "
    "when it could have been caught.",
    requirement="REQ-RCA-1, REQ-LEG-WHY-6",
    source=RCA_SOURCE,
    stages=NOT_PRELIMINARY,
    judges_absence=True,
)
def rca002(report: Report, context: Context) -> Iterator[Hit]:
    if report.template == MOZILLA_2023.name:
        found = report.section_text("topic 6")
        if (
            found
            and not report.truncated
            and not _AVOIDED.search("\n".join(found[0].splitlines()[1:]))
        ):
            yield found[1], 1, "topic 6 does not say how the problem avoided detection"
        return
    if report.template != IRG_32_FULL.name:
        found = report.section_text("root cause analysis")
        body = "\n".join(found[0].splitlines()[1:]).strip() if found else ""
        if found and body and not is_na(body) and not _AVOIDED.search(body):
            yield (
                found[1],
                1,
                "the Root Cause Analysis does not say how the problem avoided detection",
            )
        return
    for factor, sub in factors(report):
        detection = sub.get("detection")
        if (
            detection is not None
            and not is_na(detection.value)
            and not _AVOIDED.search(detection.value)
        ):
            yield (
                detection.line,
                detection.column,
                f"'{factor.label}': Detection does not say how it avoided detection",
            )


_HUMAN = re.compile(
    r"human error|operator error|manual error|mistake (?:by|of|made by)|(?:lack of|insufficient|inadequate) training|"
    r"re-?train(?:ed|ing)|additional training|(?:reminded|remind) (?:the )?staff|awareness session|oversight by",
    re.I,
)


@rule(
    "RCA003",
    "human-error",
    Severity.WARNING,
    WITH_RCA,
    "'human error', 'lack of training' and the like as the root cause, or training as the only "
    "remediation",
    what="Finds 'human error', 'operator error', 'lack of training', 'retrained staff' and "
    "similar in the root cause analysis, and action items that are all training.",
    why='IRG v1.0: \'it\'s not sufficient to say that "human error" or "lack of training" was a '
    "root cause … Training alone should not be seen as a sufficient mitigation'. The guidelines "
    "ask for a blameless analysis of the system that let the error through.",
    example="Root cause: human error by the validation specialist.",
    fix="Ask why the system allowed the error: which check was missing, which manual step "
    "can be automated away.",
    requirement="REQ-RCA-2",
    source="https://github.com/mozilla/www.ccadb.org/blob/master/incident_archive/ir_version_1_0.md",
)
def rca003(report: Report, context: Context) -> Iterator[Hit]:
    section = report.section_text("root cause analysis", "root causes", "topic 6")
    if section is not None:
        text, start = section
        for offset, line in enumerate(text.splitlines()):
            match = _HUMAN.search(line)
            if match:
                yield (
                    start + offset,
                    match.start() + 1,
                    f"{quoted(match.group(0))} as a root cause: name the systemic cause",
                )
    table = report.action_table()
    if (
        table is not None
        and table.rows
        and all(re.search(r"\btrain", row[0], re.I) for row in table.rows if row)
    ):
        yield (
            table.line,
            1,
            "every action item is training: training alone is not a sufficient remediation",
        )


def _expected_columns(report: Report) -> tuple[str, ...]:
    spec = IRG_32_FULL if report.template == IRG_32_FULL.name else IRG_20_AUDIT
    return spec.columns["actions"]


@rule(
    "AI001",
    "action-items-table",
    Severity.ERROR,
    WITH_ACTIONS,
    "action items table missing, or its columns not the template's, in order",
    what="Checks for the Action Items table and its columns: Action Item | Kind | "
    "Corresponding Root Cause(s) | Evaluation Criteria | Due Date | Status (IRG 3.x), or "
    "Action Item | Kind | Due Date (IRG 2.0).",
    why="The table is the CA's binding commitment; tools and reviewers read it by column.",
    example="Action items as a bulleted list without dates or kinds.",
    fix="Use the template's table with its six columns.",
    requirement="REQ-AI-1",
    source=RCA_SOURCE,
    stages=NOT_PRELIMINARY,
    judges_absence=True,
)
def ai001(report: Report, context: Context) -> Iterator[Hit]:
    table = report.action_table()
    if table is None:
        section = report.section_text("action items")
        if section is not None or not report.truncated:
            yield (section[1] if section else 1), 1, "no Action Items table"
        return
    expected = [normalize(c) for c in _expected_columns(report)]
    got = [normalize(c) for c in table.header]
    if got != expected:
        yield (
            table.line,
            1,
            f"columns are {' | '.join(table.header)}; expected {' | '.join(_expected_columns(report))}",
        )


def _column(table: Table, name: str) -> int | None:
    header = [normalize(h) for h in table.header]
    return header.index(name) if name in header else None


def _empty(row: list[str]) -> bool:
    """A row with no cell filled: AI007 reports it once, the column rules leave it."""
    return not any(cell.strip() for cell in row)


def _cells(table: Table, name: str) -> Iterator[tuple[int, str]]:
    column = _column(table, name)
    if column is None:
        return
    for line, row in zip(table.row_lines, table.rows, strict=False):
        if not _empty(row):
            yield line, row[column] if column < len(row) else ""


@rule(
    "AI002",
    "action-item-due-date",
    Severity.ERROR,
    WITH_ACTIONS,
    "an action item's due date missing or not a date (TBD, Q3, ASAP, soon)",
    what="Checks that every action item has a calendar date as its due date.",
    why="IRG 3.2: 'A date by which the action item will be complete'; the 2023 wiki asked for "
    "a binding timeline. 'Q3' or 'TBD' binds nothing.",
    example="| Deploy the linter | Prevent | ... | Q3 2025 | Ongoing |",
    fix="Write the date, e.g. 2025-09-30.",
    requirement="REQ-AI-4",
    source=RCA_SOURCE,
)
def ai002(report: Report, context: Context) -> Iterator[Hit]:
    table = report.action_table()
    if table is None:
        return
    for line, cell in _cells(table, "due date"):
        if read_date(cell) is None:
            yield line, 1, f"due date {quoted(cell, 20)} is not a date"


@rule(
    "AI003",
    "action-item-kind",
    Severity.ERROR,
    WITH_ACTIONS,
    "kind not Prevent / Mitigate / Detect",
    what="Checks each action item's Kind.",
    why="IRG 3.2 classifies every action item as Prevent, Mitigate or Detect.",
    example="| Revoke certificates | Remediation | ...",
    fix="Use Prevent, Mitigate or Detect.",
    requirement="REQ-AI-2",
    source=RCA_SOURCE,
)
def ai003(report: Report, context: Context) -> Iterator[Hit]:
    yield from _not_one_of(report, "kind", KINDS, ", ".join(k.value for k in ActionKind))


def _not_one_of(report: Report, column: str, allowed: tuple[str, ...], shown: str) -> Iterator[Hit]:
    """Rows whose cell in ``column`` is none of ``allowed``."""
    table = report.action_table()
    if table is None:
        return
    for line, cell in _cells(table, column):
        if normalize(cell) not in allowed:
            yield line, 1, f"{column} {quoted(cell, 20)} is not {shown}"


KINDS = tuple(kind.value.lower() for kind in ActionKind)
STATUSES = tuple(status.value.lower() for status in ActionStatus)


@rule(
    "AI004",
    "action-item-status",
    Severity.ERROR,
    FULL,
    "status not Ongoing / Complete / Delayed / Canceled",
    what="Checks each action item's Status.",
    why="IRG 3.2 allows exactly these four; a status change obliges an update within 3 days.",
    example="| ... | 2025-09-30 | In progress |",
    fix="Use Ongoing, Complete, Delayed or Canceled.",
    requirement="REQ-AI-5",
    source=RCA_SOURCE,
)
def ai004(report: Report, context: Context) -> Iterator[Hit]:
    yield from _not_one_of(report, "status", STATUSES, ", ".join(s.value for s in ActionStatus))


_TAG = re.compile(r"\[([A-Za-z]+-?\d+)\]")
_STOP_WORDS = (
    "this that with from were have been will would should could into than they them their "
    "there which when what where while also only more most such some each other over under "
    "after before about because since until being does done made make none incident "
    "certificate certificates issue issues report reports"
)
_STOP = frozenset(_STOP_WORDS.split())
"""Words too common to tie a lesson to an action item."""


def _stems(text: str) -> set[str]:
    """Content words, cut to six letters: 'linting' and 'linter' share 'linter'[:6]."""
    words = re.findall(r"[a-z][a-z0-9-]{3,}", text.lower())
    return {w[:6] for w in words if w not in _STOP}


def lesson_items(found: Field) -> list[str]:
    """The items of a lesson field: its list items, or its text as one item; none for N/A."""
    value = found.value.strip()
    if not value or is_na(value) or is_placeholder(value):
        return []
    items = [
        re.sub(r"^\s*(?:[-*+•]|\d+[.)])\s+", "", line).strip()
        for line in value.splitlines()
        if re.match(r"^\s*(?:[-*+•]|\d+[.)])\s+\S", line)
    ]
    return [item for item in items if item and not is_na(item)] or [value]


def _line_of(report: Report, found: Field, item: str) -> int:
    probe = item[:30]
    for number in range(found.line, min(found.line + 60, len(report.lines)) + 1):
        if probe and probe in report.lines[number - 1]:
            return number
    return found.line


@rule(
    "AI005",
    "unaddressed-factor-or-lesson",
    Severity.ERROR,
    FULL,
    "a contributing factor, or an item of 'What didn't go well' or 'Additional' (Other), that "
    "no action item addresses",
    what="Matches each contributing factor (by its number) against the Corresponding Root "
    "Cause(s) column, and each item of 'What didn't go well' and 'Additional' (the field "
    "table's 'Other') against the action items: by its tag ([DGW-1]) when it has one, else "
    "by the words it shares with an action item's description, root cause or criteria. N/A "
    "lessons need nothing.",
    why="IRG 3.2, Corresponding Root Cause(s): 'each problem/issue identified in the \"Root "
    'Cause Analysis" and "What didn\'t go well" Sections MUST be mapped to at least one '
    "specific action item'; Lessons Learned, Other: 'Each item mentioned here MUST have at "
    "least one corresponding Action Item.'",
    example="- **Additional:** Our revocation tooling could not batch by Subscriber.   (and no "
    "action item about revocation tooling)",
    fix="Add an action item for it, and name the factor or lesson (e.g. its tag [DGW-1]) in "
    "the item's Corresponding Root Cause(s) cell.",
    requirement="REQ-AI-3, REQ-LL-2",
    source=RCA_SOURCE,
    judges_absence=True,
)
def ai005(report: Report, context: Context) -> Iterator[Hit]:
    table = report.action_table()
    if table is None or report.truncated:
        return
    column = _column(table, "corresponding root cause(s)")
    if column is None:
        return
    cells = " ".join(row[column] for row in table.rows if column < len(row))
    numbers = {
        int(n) for n in re.findall(r"(?:factor|cause|cf|rc|#)\s*-?\s*#?\s*(\d+)", cells, re.I)
    }
    for factor, _ in factors(report):
        match = _FACTOR.match(factor.norm)
        if match and int(match.group(1)) not in numbers:
            yield factor.line, factor.column, f"no action item addresses '{factor.label}'"
    rows = [_stems(" ".join(row)) for row in table.rows]
    for label, names in (
        ("What didn't go well", ("What didn't go well", "What did not go well")),
        ("Additional", ("Additional", "Other")),
    ):
        lessons = report.field(*names)
        if lessons is None:
            continue
        for item in lesson_items(lessons):
            tags = _TAG.findall(item)
            if tags:
                unmapped = [tag for tag in tags if tag not in cells]
            else:
                words = _stems(item)
                shared = max((len(words & row) for row in rows), default=0)
                unmapped = [] if shared >= min(2, len(words)) else [item]
            for what in unmapped:
                shown = f"[{what}]" if tags else quoted(what)
                yield (
                    _line_of(report, lessons, item),
                    lessons.column,
                    f"no action item addresses '{label}' item {shown}",
                )


@rule(
    "AI006",
    "action-item-overdue",
    Severity.WARNING,
    WITH_ACTIONS,
    "due date passed (at --as-of) and status not Complete",
    what="Compares each due date with --as-of (default now).",
    why="A passed due date without Complete needs an update with a new date and the status "
    "Delayed; missed commitments are themselves criticised.",
    example="| ... | 2025-01-19 | Ongoing |   (checked in March 2025)",
    fix="Complete the item, or post an update setting it to Delayed with a new due date.",
    requirement="REQ-AI-4, REQ-AI-5",
    source=RCA_SOURCE,
)
def ai006(report: Report, context: Context) -> Iterator[Hit]:
    table = report.action_table()
    if table is None:
        return
    due_column, status_column = _column(table, "due date"), _column(table, "status")
    if due_column is None or status_column is None:
        return
    today: date = context.as_of.date()
    for line, row in zip(table.row_lines, table.rows, strict=False):
        due = read_date(row[due_column]) if due_column < len(row) else None
        status = normalize(row[status_column]) if status_column < len(row) else ""
        if due is not None and due < today and status not in CLOSED_WORDS:
            shown = status or "without a status"
            yield line, 1, f"due {due.isoformat()}, before {today.isoformat()}, and still {shown}"


_CELL_COLUMNS = ("action item", "corresponding root cause(s)", "evaluation criteria")


@rule(
    "AI007",
    "action-item-cell-empty",
    Severity.ERROR,
    WITH_ACTIONS,
    "an action item without its description, Corresponding Root Cause(s) or Evaluation Criteria",
    what="Checks that every action item's Action Item, Corresponding Root Cause(s) and "
    "Evaluation Criteria cells (those of them the table has) hold text: not empty, not '-', "
    "not 'TBD'. A row with no cell filled is reported once, as an empty row.",
    why="IRG 3.2: 'All fields are mandatory for the corresponding report type'; the root "
    'cause column is how \'each problem/issue identified in the "Root Cause Analysis" … '
    "MUST be mapped to at least one specific action item', and Evaluation criteria "
    "'Describe how the CA Owner will measure the effectiveness of the Action Item in "
    "addressing the Root Cause'.",
    example="| Add a pre-issuance lint | Prevent |  |  | 2025-09-30 | Ongoing |",
    fix="Name the contributing factor or lesson the item remedies, and how its effect will be "
    "measured (preferably something the public can verify, such as CT data or an audit).",
    requirement="REQ-AI-3, REQ-AI-7",
    source=RCA_SOURCE,
)
def ai007(report: Report, context: Context) -> Iterator[Hit]:
    table = report.action_table()
    if table is None:
        return
    for line, row in zip(table.row_lines, table.rows, strict=False):
        if _empty(row):
            yield line, 1, "an empty row in the Action Items table: fill it in or remove it"
    for name in _CELL_COLUMNS:
        column = _column(table, name) if name != "action item" else 0
        if column is None:
            continue
        for line, row in zip(table.row_lines, table.rows, strict=False):
            cell = row[column] if column < len(row) else ""
            if is_placeholder(cell) and not _empty(row):
                shown = f"{quoted(row[0])}" if row and row[0].strip() else "an action item"
                yield line, 1, f"{shown} has no {table.header[column] or name}"


_READINESS = re.compile(
    r"revo(?:c|k)|replac|renew|\bARI\b|subscriber agreement|terms of (?:use|service)"
    r"|mass[- ]revocation|short[- ]lived|automat\w* (?:certificate )?(?:replacement|renewal)",
    re.I,
)


@rule(
    "AI008",
    "revocation-delay-without-readiness-item",
    Severity.ERROR,
    FULL,
    "a revocation-delay report without an action item to prevent or reduce future revocation "
    "delays",
    what="In a revocation-delay report (the whiteboard's revocation-delay, the report's own "
    "words, or Delayed rows in its appendix; see IMP003), looks for an action item about "
    "revocation readiness: revocation or replacement of certificates, Subscriber agreements, "
    "mass-revocation plans, ACME ARI, automated renewal.",
    why="IRG 3.2, Action Items: 'if the Whiteboard field contains ‘revocation-delay’, the "
    "Action Items list MUST include steps reasonably calculated to prevent or reduce future "
    "revocation delays.' MRSP 6.1.3 requires Subscriber agreements that allow timely "
    "revocation and tested mass-revocation plans.",
    example="A revocation-delay report whose only action item is 'Fix the certificate profile'.",
    fix="Add an action item such as 'Add a clause obliging Subscribers to replace "
    "certificates within 5 days' or 'Test the mass-revocation plan with the largest "
    "Subscribers every quarter'.",
    requirement="REQ-AI-6",
    source=RCA_SOURCE,
    judges_absence=True,
)
def ai008(report: Report, context: Context) -> Iterator[Hit]:
    table = report.action_table()
    if table is None or report.truncated or not revocation_delayed(report, context):
        return
    if not any(row and _READINESS.search(row[0]) for row in table.rows):
        yield (
            table.line,
            1,
            "revocation was delayed, but no action item prevents or reduces future "
            "revocation delays",
        )


_SUPERFICIAL = re.compile(
    r"\b(?:insufficient|inadequate|lack of|lacking|limited)\s+(?:\w+\s+){0,2}?"
    r"(?:processes|process|resources|resourcing|procedures|staff(?:ing)?|capacity|attention|"
    r"diligence|awareness|oversight)\b"
    r"|\b(?:process|procedural)\s+(?:gap|failure|deficienc(?:y|ies)|weakness(?:es)?)\b",
    re.I,
)


@rule(
    "RCA004",
    "superficial-root-cause",
    Severity.WARNING,
    WITH_RCA,
    "a generic root cause ('insufficient processes and resources', 'process gap') that does "
    "not say which process failed and why",
    what="Finds generic causes in the Root Cause Analysis (or topic 6): 'insufficient "
    "processes and resources', 'lack of resources', 'inadequate procedures', 'process gap'.",
    why="IRG 3.2, 'Are there examples of \"bad\" practices?': 'Superficial Root Cause "
    "Analysis: Avoid superficial analyses that do not thoroughly explore all contributing "
    "factors. Ensure that the analysis is not prematurely concluded, missing deeper systemic "
    "issues.' Reviewers criticised exactly this wording in Entrust's bug 1898848.",
    example="Due to insufficient processes and resources we failed to revoke in time.",
    fix="Name the process and the step that failed, why it was designed that way, and how it "
    "avoided detection; one contributing factor each.",
    requirement="CRIT-05",
    source=f"{IRG}#are-there-examples-of-bad-practices",
)
def rca004(report: Report, context: Context) -> Iterator[Hit]:
    section = report.section_text("root cause analysis", "root causes", "topic 6")
    if section is None:
        return
    text, start = section
    for offset, line in enumerate(text.splitlines()):
        match = _SUPERFICIAL.search(line)
        if match:
            yield (
                start + offset,
                match.start() + 1,
                f"{quoted(match.group(0))} as a root cause: say which process failed and why",
            )
