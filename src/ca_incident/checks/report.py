"""A Markdown incident report read into what the rules check: its template, sections, bold-label
fields, tables and timeline, each with its line.

Real reports vary (see the Bugzilla corpus): labels with or without the colon inside the bold,
typographic or straight apostrophes, fields as bullets or as headings, timelines as lists,
tables, or a date heading followed by time-only rows. The reader is lenient about all of it;
the rules are strict about what matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ca_incident.templates import DETECTION, LEGACY_TOPICS, TEMPLATES, Clue, Template
from ca_incident.timeutil import UTC_NOTE, Stamp, date_heading, read_stamp

_ACTION_COLUMN = ("action item", "action items", "action", "remediation")
UNRECOGNISED = "unknown"
"""The template name of a text no template's signature matches."""
_MD = MarkdownIt("commonmark", {"html": False}).enable("table")


def normalize(label: str) -> str:
    """Lowercase, straight apostrophes, no markup, no trailing colon or question mark."""
    text = label.replace("\u2019", "'").replace("\u2018", "'").replace("`", "")
    text = re.sub(r"[*_#]", "", text).strip().lower()
    text = re.sub(r"\s+", " ", text)
    text = text.rstrip(" :?").strip()
    return text.strip('"\u201c\u201d ')


@dataclass
class Heading:
    level: int
    text: str
    line: int

    @property
    def norm(self) -> str:
        return normalize(self.text)


@dataclass
class Field:
    """A labelled value: ``**Label:** value`` or a heading followed by text."""

    label: str
    value: str
    line: int
    column: int
    section: str
    """The normalized heading the field sits under."""
    plain: bool = False
    """Written without bold: a weaker sign of the template than a bold label."""

    @property
    def norm(self) -> str:
        return normalize(self.label)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    row_lines: list[int]
    line: int
    section: str


@dataclass
class Entry:
    """A timeline row."""

    text: str
    line: int
    stamp: Stamp | None


@dataclass
class Report:
    path: str
    text: str
    template: str
    headings: list[Heading] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    timeline: list[Entry] = field(default_factory=list)
    utc_note: bool = False
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Normalized section heading -> (first line, last line), 1-based."""
    truncated: bool = False
    lines: list[str] = field(default_factory=list)

    def field(self, *labels: str) -> Field | None:
        wanted = {normalize(label) for label in labels}
        for candidate in self.fields:
            if candidate.norm in wanted:
                return candidate
        return None

    def section_text(self, *names: str) -> tuple[str, int] | None:
        """The text of the first section (heading) named like one of ``names``."""
        for name in names:
            span = self.sections.get(normalize(name))
            if span is not None:
                start, end = span
                return "\n".join(self.lines[start:end]), start
        return None

    def has_section(self, name: str) -> bool:
        return normalize(name) in self.sections

    def action_table(self) -> Table | None:
        """The Action Items table, however its first column is named."""
        for table in self.tables:
            if table.header and normalize(table.header[0]) in _ACTION_COLUMN:
                return table
        return None


_PLAIN_LABEL = re.compile(
    r"^\s*(?P<label>[A-Za-z\u2019' \"()/-]{3,80}?)\s*:\s*(?P<after>.*)$", re.DOTALL
)


def _known_labels() -> frozenset[str]:
    labels = {normalize(label.text) for spec in TEMPLATES.values() for label in spec.labels()}
    labels |= {"other", "what did not go well", "incident root causes", "root causes"}
    return frozenset(label for label in labels if not label[:1].isdigit())


KNOWN_LABELS = _known_labels()
"""Labels of the IRG templates: matched even without bold or colon, as real reports write them."""

_LABEL = re.compile(
    r"^\s*(?:\d+[.)]\s*)?\*\*(?P<label>[^*]{2,1200}?)\*\*\s*(?P<after>.*)$", re.DOTALL
)


def parse(text: str, path: str = "-") -> Report:
    """Read a Markdown report."""
    tokens = _MD.parse(text)
    report = Report(path=path, text=text, template=UNRECOGNISED, lines=text.splitlines())
    section = ""
    open_fields: list[Field] = []
    # A bold field's value ends with its list item; a heading's runs to the next heading.
    owner_level = -1
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            inline = tokens[index + 1]
            line = (token.map or [0, 0])[0] + 1
            heading = Heading(int(token.tag[1]), inline.content.strip(), line)
            report.headings.append(heading)
            section = heading.norm
            report.fields.append(Field(heading.text, "", line, 1, section))
            open_fields, owner_level = [report.fields[-1]], -1
            index += 3
            continue
        if (
            token.type == "list_item_open"
            and owner_level >= 0
            and token.level <= owner_level - 2
            and any(f.value for f in open_fields)
        ):
            open_fields = []
        if token.type == "table_open":
            table, index = _table(tokens, index, section)
            report.tables.append(table)
            continue
        if token.type == "inline" and token.map is not None:
            line = token.map[0] + 1
            content = token.content
            match = _LABEL.match(content)
            empty_owner = owner_level >= 0 and not any(f.value for f in open_fields)
            if (
                match is not None
                and empty_owner
                and not match["label"].strip().endswith(":")
                and not match["after"].strip().startswith(":")
                and token.level > owner_level
            ):
                match = None  # a bold item nested under an empty label is its value
            if match is not None:
                label = match["label"].strip()
                after = match["after"].strip()
                if (
                    label.endswith(":")
                    or after.startswith(":")
                    or after == ""
                    or label[:1].isdigit()
                    or normalize(label) in KNOWN_LABELS
                ):
                    value = after.lstrip(":").strip()
                    text_line = report.lines[line - 1] if line - 1 < len(report.lines) else ""
                    column = max(text_line.find("**") + 1, 1)
                    found = Field(label.rstrip(":").strip(), value, line, column, section)
                    report.fields.append(found)
                    open_fields, owner_level = [found], token.level
                    index += 1
                    continue
            plain = _PLAIN_LABEL.match(content)
            if match is None and plain is not None and normalize(plain["label"]) in KNOWN_LABELS:
                found = Field(
                    plain["label"].strip(), plain["after"].strip(), line, 1, section, plain=True
                )
                text_line = report.lines[line - 1] if line - 1 < len(report.lines) else ""
                found.column = max(text_line.find(plain["label"].strip()[:8]) + 1, 1)
                report.fields.append(found)
                open_fields, owner_level = [found], token.level
                index += 1
                continue
            # Past its list item, a field keeps text only while it has none: real reports
            # often put the value in a paragraph after "- **Label:**".
            if owner_level >= 0 and token.level < owner_level and any(f.value for f in open_fields):
                open_fields = []
            for owner in open_fields:
                owner.value = (owner.value + "\n" + content).strip()
        index += 1
    _spans(report)
    detected = detect_template(report)
    report.template = detected.name if detected is not None else UNRECOGNISED
    _timeline(report)
    return report


def _table(tokens: list[Token], index: int, section: str) -> tuple[Table, int]:
    start = (tokens[index].map or [0, 0])[0] + 1
    header: list[str] = []
    rows: list[list[str]] = []
    row_lines: list[int] = []
    current: list[str] | None = None
    in_head = False
    while index < len(tokens) and tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            current = []
            if not in_head:
                row_lines.append((token.map or [0, 0])[0] + 1)
        elif token.type == "tr_close" and current is not None:
            if in_head:
                header = current
            else:
                rows.append(current)
            current = None
        elif token.type == "inline" and current is not None:
            current.append(token.content.strip())
        index += 1
    return Table(header, rows, row_lines, start, section), index + 1


_TITLES = tuple(
    normalize(t.heading_markdown["title"]) for t in TEMPLATES.values() if t.family == "irg-3"
)


def _spans(report: Report) -> None:
    headings = report.headings
    total = len(report.lines)
    for number, line in enumerate(report.lines, start=1):
        if line.strip():
            if normalize(line) in _TITLES:
                report.sections.setdefault(normalize(line), (number, total))
            break
    for number, heading in enumerate(headings):
        end = total
        for later in headings[number + 1 :]:
            if later.level <= heading.level:
                end = later.line - 1
                break
        report.sections.setdefault(heading.norm, (heading.line, end))
    # Legacy reports carry the seven topics as numbered questions: bold, headings, quoted
    # ("> 1. How your CA first became aware ...") or a plain numbered list.
    starts: dict[int, int] = {}
    for number, line in enumerate(report.lines, start=1):
        match = _TOPIC_LINE.match(line)
        if match is None:
            continue
        topic = legacy_topic(line)
        if topic is not None and topic == int(match["n"]) and topic not in starts:
            starts[topic] = number
    ordered = sorted((start, topic) for topic, start in starts.items())
    for position, (start, topic) in enumerate(ordered):
        end = ordered[position + 1][0] - 1 if position + 1 < len(ordered) else total
        report.sections.setdefault(f"topic {topic}", (start, end))


_TOPIC_LINE = re.compile(
    r"^\s*(?:>\s*)*(?:#+\s*)?(?:[-*]\s+)?(?:\*\*|__)?\s*(?P<n>[1-7])\s*[.):]\s+\S"
)


def legacy_topic(label: str) -> int | None:
    """Which of the seven legacy topics a label names (1-7), if any."""
    norm = normalize(label)
    norm = re.sub(r"^\d+[.)]\s*", "", norm)
    for topic in LEGACY_TOPICS:
        if any(w in norm for w in topic.keywords):
            return topic.number
    return None


def _matches(clue: Clue, report: Report, heads: set[str], labels: set[str]) -> bool:
    if clue.kind == "title":
        return any(word in h for h in heads for word in clue.words)
    if clue.kind == "label":
        return any(word in labels for word in clue.words)
    if clue.kind == "topics":
        topics = [name for name in report.sections if name.startswith("topic ")]
        return len(topics) >= clue.least or any(word in report.text.lower() for word in clue.words)
    exact, *others = clue.words
    return exact in heads or len(heads & set(others)) >= clue.least


def detect_template(report: Report) -> Template | None:
    """The template whose signature the report carries (see templates.DETECTION), or None."""
    heads = {h.norm for h in report.headings}
    labels = {f.norm for f in report.fields if not f.plain}
    # A title on its own first line counts like a heading ("Preliminary incident report").
    first = next((normalize(line) for line in report.lines if line.strip()), "")
    if first in _TITLES:
        heads.add(first)
    for template, clue in DETECTION:
        if _matches(clue, report, heads, labels):
            return template
    return None


def _timeline(report: Report) -> None:
    found = report.section_text("timeline", "topic 2")
    if found is None:
        return
    text, start = found
    report.utc_note = bool(UTC_NOTE.search(text))
    day: date | None = None
    for offset, raw in enumerate(text.splitlines()[1:], start=1):
        line = start + offset
        stripped = raw.strip()
        if not stripped or set(stripped) <= set("|-: "):
            continue
        content = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", stripped)
        if content.startswith("|"):
            cells = [c.strip() for c in content.strip("|").split("|")]
            if cells and normalize(cells[0]) in (
                "date",
                "time",
                "date and time",
                "timestamp",
                "date/time",
                "time (utc)",
                "date (utc)",
                "date & time",
                "date / time (utc)",
                "date/time (utc)",
                "time(utc)",
                "datetime",
            ):
                report.utc_note = report.utc_note or "utc" in normalize(cells[0])
                continue
            content = " ".join(cells)
        content = content.lstrip("*_ ")
        heading_day = date_heading(content)
        if heading_day is not None:
            day = heading_day
            continue
        stamp = read_stamp(content, day=day)
        if stamp is None:
            continue
        if stamp.day is None and day is None:
            continue
        report.timeline.append(Entry(content, line, stamp))


def looks_truncated(text: str) -> bool:
    """A text that stops mid-sentence: no final newline and no closing punctuation."""
    stripped = text.rstrip()
    if not stripped or text.endswith("\n"):
        return False
    return stripped[-1] not in ".!?)]|*`>\"'\u201d:"
