"""Render an incident into a Bugzilla-ready Markdown report, one Jinja2 template per version.

Output is GitHub-flavoured Markdown as bugzilla.mozilla.org renders it: the templates' exact
headings and bold labels, every field present (``N/A`` where it does not apply), tables for
Related Incidents and Action Items, and timestamps in UTC to the minute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from ca_incident.checks.report import KNOWN_LABELS, normalize
from ca_incident.errors import CaIncidentError, ReportTooLongError
from ca_incident.model import (
    ActionItem,
    CertificateKind,
    EventKind,
    Incident,
    Problem,
    Stage,
    at_least,
)
from ca_incident.templates import (
    CLOSING_STATEMENT,
    NON_COMPLIANCE_ONGOING,
    STAGE_TEMPLATE,
    Template,
    get,
)
from ca_incident.timeutil import report_time

BUGZILLA_COMMENT_LIMIT = 65_535
"""Bugzilla's maximum comment length, in characters."""


@dataclass(frozen=True)
class ProblemFigures:
    """What the report states of one problem's certificates."""

    count: int
    """Affected certificates, as the appendix lists them: a certificate and its
    precertificate once, and a precertificate whose certificate was not found once."""
    remaining_valid: int
    first_not_before: datetime | None
    last_not_before: datetime | None
    types: tuple[str, ...] = ()
    precertificates_only: int = 0
    """Of ``count``: precertificates whose certificate was not found."""
    validity_unknown: int = 0
    """Of ``count``: certificates whose expiry nothing shows."""
    computed: bool = False
    """True when counted from the certificates themselves, False when stated by hand."""


@dataclass(frozen=True)
class Attachment:
    """A file that goes to Bugzilla beside the report."""

    filename: str
    description: str


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    kind: EventKind
    text: str
    derived: bool = False

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass
class ReportData:
    """Everything a template needs: the incident plus what the build computed."""

    incident: Incident
    as_of: datetime
    full_report_due: datetime | None = None
    distinct_total: int | None = None
    """Set when the certificates were counted: the same certificate in two problems once."""
    distinct_remaining_valid: int | None = None
    """When the Full report is due, as the clocks compute it; a Preliminary report promises it."""
    figures: dict[str, ProblemFigures] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    extra_events: list[TimelineRow] = field(default_factory=list)
    """Events the build found (e.g. revocation completed, from the CRLs)."""

    def __post_init__(self) -> None:
        for problem in self.incident.problems:
            if problem.id not in self.figures and problem.counts is not None:
                c = problem.counts
                self.figures[problem.id] = ProblemFigures(
                    count=c.count,
                    remaining_valid=c.remaining_valid,
                    first_not_before=c.first_not_before,
                    last_not_before=c.last_not_before,
                    types=tuple(t.value for t in c.types),
                )

    @property
    def certificate_problems(self) -> list[Problem]:
        return self.incident.certificate_problems

    def figures_for(self, problem: Problem) -> ProblemFigures | None:
        return self.figures.get(problem.id)

    @property
    def total(self) -> int | None:
        """The incident's affected certificates: each counted once, however many problems
        list it."""
        return self.distinct_total if self.distinct_total is not None else self._sum("count")

    @property
    def remaining_valid(self) -> int | None:
        if self.distinct_remaining_valid is not None:
            return self.distinct_remaining_valid
        return self._sum("remaining_valid")

    def _sum(self, name: str) -> int | None:
        problems = self.certificate_problems
        if not problems or any(p.id not in self.figures for p in problems):
            return None
        return sum(int(getattr(self.figures[p.id], name)) for p in problems)

    @property
    def certificate_types(self) -> list[str]:
        seen: list[str] = []
        for figures in self.figures.values():
            for kind in figures.types:
                if kind not in seen:
                    seen.append(kind)
        order = ["DV", "IV", "OV", "EV", "S/MIME"]
        return sorted(seen, key=lambda k: order.index(k) if k in order else len(order))

    def timeline(self) -> list[TimelineRow]:
        """The timeline in chronological order, with the moments stated elsewhere in the
        incident file (awareness, issuance stopped and resumed, non-compliance start and end)
        added as events when the timeline does not already carry them."""
        incident = self.incident
        rows = [TimelineRow(e.at, e.kind, e.text) for e in incident.timeline]
        kinds = {e.kind for e in incident.timeline}
        derived: list[tuple[EventKind, datetime | None, str]] = [
            (EventKind.CA_AWARE, incident.awareness.at, incident.awareness.detail),
        ]
        nc = incident.summary.non_compliance
        if nc is not None:
            derived.append((EventKind.INCIDENT_BEGAN, nc.start, "The non-compliance began."))
            if not nc.end_expected:
                derived.append((EventKind.INCIDENT_ENDED, nc.end, "The non-compliance ended."))
        if incident.issuance is not None:
            derived.append(
                (EventKind.ISSUANCE_STOPPED, incident.issuance.stopped_at, "Issuance stopped.")
            )
            derived.append(
                (EventKind.ISSUANCE_RESUMED, incident.issuance.resumed_at, "Issuance resumed.")
            )
        for kind, moment, text in derived:
            if moment is not None and kind not in kinds:
                rows.append(TimelineRow(moment, kind, text, derived=True))
        rows += [row for row in self.extra_events if row.kind not in kinds]
        return sorted(rows, key=lambda row: row.at)

    def factor_number(self, identifier: str) -> int | None:
        for number, factor in enumerate(self.incident.contributing_factors, start=1):
            if factor.id == identifier:
                return number
        return None

    def root_causes_cell(self, item: ActionItem) -> str:
        """The Corresponding Root Cause(s) cell, as Markdown: factors by number, lessons by
        their id in brackets."""
        names = []
        for ref in item.addresses:
            number = self.factor_number(ref)
            names.append(f"Contributing Factor {number}" if number else f"[{_escape(ref)}]")
        return "; ".join(names)


def _na(value: Any) -> str:
    if value is None or (isinstance(value, str | list | tuple) and not value):
        return "N/A"
    return str(value)


# Every user string is plain text, escaped for where it lands, so that no value can add a
# heading, a bold label, a list item, a table, a timeline line or HTML to the report: the
# report's outline is the template's alone. What CommonMark and GFM give meaning to inline is
# backslash-escaped everywhere (a backslash first, so that a user's own cannot undo ours), "<"
# becomes "&lt;" (no raw HTML, no autolink), and a line may not open a block (a heading, quote,
# list item, fence, setext underline or the checker's numbered topic). Line breaks: none in a
# one-line field, paragraphs kept in a block. The escapes render as the text the user wrote.

_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
"""What ``str.splitlines`` (and so the checker's line reader) takes for a line break."""
_CONTROL = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters and bidirectional overrides, which the incident file refuses too."""
_INLINE = re.compile(r"[\\`*_\[\]|~]")
_BLOCK_MARK = re.compile(r"[#>+=-]")
_NUMBERED = re.compile(r"(\d{1,9})(\s*)([.):])")
_LABEL_LIKE = re.compile(r"([A-Za-z\u2019' \"()/-]{3,80}?)\s*(?::|$)")
"""The shape of a plain label as the checker reads one (``Total number of certificates: 12``)."""


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _escape(text: str) -> str:
    """Inline escapes for text on one line; control characters and bidirectional overrides
    shown as U+FFFD."""
    text = _CONTROL.sub("\ufffd", text)
    return _INLINE.sub(r"\\\g<0>", text).replace("<", "&lt;")


def _line_start(line: str) -> str:
    """An escaped line made unable to open a block or read as one of the checker's labels."""
    if not line:
        return line
    if _BLOCK_MARK.match(line):
        return "\\" + line
    numbered = _NUMBERED.match(line)
    if numbered is not None:
        digits, space, mark = numbered.groups()
        return f"{digits}{space}\\{mark}{line[numbered.end() :]}"
    label = _LABEL_LIKE.match(line)
    if label is not None and normalize(label.group(1)) in KNOWN_LABELS:
        # A character reference renders as the letter, and no label starts with "&".
        return f"&#{ord(line[0])};{line[1:]}"
    return line


def _one_line(value: Any) -> str:
    """A one-line field: line breaks become spaces."""
    if _missing(value):
        return "N/A"
    parts = (part.strip() for part in _LINE_BREAK.split(str(value)))
    return _line_start(_escape(" ".join(part for part in parts if part)))


def _bold(value: Any) -> str:
    """A one-line field inside the template's bold: the checker reads a bold label up to the
    next asterisk, so an asterisk is a character reference here."""
    return _one_line(value).replace("\\*", "&#42;")


def _md_block(value: Any, indent: int = 2) -> str:
    """Text that may span paragraphs, indented so it stays inside its list item; each line
    starts flush (no indented code), escaped, and blank lines between paragraphs are kept."""
    if _missing(value):
        return "N/A"
    pad = " " * indent
    lines: list[str] = []
    for raw in _LINE_BREAK.split(str(value).strip()):
        line = _line_start(_escape(raw.strip()))
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(pad + line if line and number else line for number, line in enumerate(lines))


def _cell(value: Any) -> str:
    """Text fit for one GFM table cell: escaped (a pipe among the rest), line breaks as
    <br>."""
    if _missing(value):
        return "N/A"
    lines = (line.strip() for line in _LINE_BREAK.split(str(value)))
    return "<br>".join(_line_start(_escape(line)) for line in lines if line)


def _number(value: int | None) -> str:
    return "N/A" if value is None else f"{value:,}"


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ca_incident.report", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        t=lambda moment: "N/A" if moment is None else report_time(moment),
        day=lambda value: "N/A" if value is None else value.isoformat(),
        na=_na,
        line=_one_line,
        bold=_bold,
        block=_md_block,
        cell=_cell,
        number=_number,
        and_list=_and_list,
    )
    env.globals.update(
        EventKind=EventKind,
        CertificateKind=CertificateKind,
        CLOSING_STATEMENT=CLOSING_STATEMENT,
        ONGOING=NON_COMPLIANCE_ONGOING,
    )
    return env


_ENV = _environment()


class TemplateNotApplicableError(CaIncidentError):
    """The incident's stage does not yet have what the template asks for."""


def render(data: ReportData, template: str | Template, *, check_length: bool = True) -> str:
    """Render the report; raise when the stage is too early for the template or the result
    does not fit in one Bugzilla comment."""
    spec = template if isinstance(template, Template) else get(template)
    stage = data.incident.stage
    if not at_least(stage, spec.min_stage):
        raise TemplateNotApplicableError(
            f"template {spec.name} needs an incident at stage '{spec.min_stage.value}' or later; "
            f"this one is at '{stage.value}' (set 'stage:' in incident.yaml once the fields of "
            f"that stage are filled in)"
        )
    text = _ENV.get_template(f"{spec.name}.md.j2").render(
        d=data,
        i=data.incident,
        spec=spec,
        h=spec.heading_markdown,
        l=spec.label_markdown,
        cols=spec.column_markdown,
    )
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    if check_length:
        check_comment_length(text)
    return text


def check_comment_length(text: str) -> None:
    if len(text) <= BUGZILLA_COMMENT_LIMIT:
        return
    sections = re.split(r"(?m)^(?=#{2,4} )", text)
    sized = sorted(
        ((len(part), part.splitlines()[0].lstrip("# ").strip()) for part in sections if part),
        reverse=True,
    )
    largest = ", ".join(f"{title} ({size:,} characters)" for size, title in sized[:3])
    raise ReportTooLongError(
        f"the report is {len(text):,} characters, over Bugzilla's {BUGZILLA_COMMENT_LIMIT:,}-"
        f"character comment limit; move detail into an attachment and refer to it from the "
        f"report. Largest sections: {largest}"
    )


def stage_template(stage: Stage) -> Template:
    """The IRG 3.2 template that the incident's stage calls for."""
    return STAGE_TEMPLATE[stage]
