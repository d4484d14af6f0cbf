"""RCA and AI: contributing factors that explain, and action items that bind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ca_incident.checks.registry import FULL, IRG, WITH_ACTIONS, Context, Hit, Severity, rule
from ca_incident.checks.report import Field, Report, Table, normalize
from ca_incident.checks.rules.template import CLOSED_WORDS, is_na, is_placeholder
from ca_incident.model import ActionKind, ActionStatus
from ca_incident.templates import IRG_20, IRG_32_FULL, MOZILLA_2023
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
)
def rca001(report: Report, context: Context) -> Iterator[Hit]:
    section = report.section_text("root cause analysis", "root causes", "root cause")
    if section is None:
        return
    text, line = section
    if report.template == IRG_20.name:
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
    frozenset({IRG_32_FULL.name, IRG_20.name, MOZILLA_2023.name}),
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
    if report.template == IRG_20.name:
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
    frozenset({IRG_32_FULL.name, IRG_20.name, MOZILLA_2023.name}),
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
                    f"'{match.group(0)}' as a root cause: name the systemic cause",
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
    spec = IRG_20 if report.template == IRG_20.name else IRG_32_FULL
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


def _cells(table: Table, name: str) -> Iterator[tuple[int, str]]:
    column = _column(table, name)
    if column is None:
        return
    for line, row in zip(table.row_lines, table.rows, strict=False):
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
            yield line, 1, f"due date {cell.strip()[:20]!r} is not a date"


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
            yield line, 1, f"{column} {cell.strip()[:20]!r} is not {shown}"


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


@rule(
    "AI005",
    "unaddressed-factor",
    Severity.WARNING,
    FULL,
    "a contributing factor or 'didn't go well' item that no action item addresses",
    what="Matches the contributing factors (by number) and tagged lessons (e.g. [DGW-1]) "
    "against the Corresponding Root Cause(s) column.",
    why="IRG 3.2: each problem in the Root Cause Analysis and in 'What didn't go well' MUST "
    "map to at least one action item.",
    example="Two contributing factors; every action item names Root Cause #1.",
    fix="Add an action item for the factor, and name the factor in its Corresponding Root "
    "Cause(s) cell.",
    requirement="REQ-AI-3, REQ-LL-2",
    source=RCA_SOURCE,
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
    lessons = report.field("What didn't go well", "What did not go well")
    if lessons is not None:
        for tag in re.findall(r"\[([A-Za-z]+-?\d+)\]", lessons.value):
            if tag not in cells:
                yield lessons.line, lessons.column, f"no action item addresses [{tag}]"


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
