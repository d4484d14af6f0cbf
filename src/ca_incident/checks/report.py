"""A Markdown incident report read into what the rules check: its template and stage, sections,
bold-label fields, tables and timeline, each with its line, and whether the text is cut short.

Real reports vary (see the Bugzilla corpus): labels with or without the colon inside the bold,
typographic or straight apostrophes, fields as bullets, headings or lines of one paragraph,
timelines as lists, tables, or a date heading followed by time-only rows. The reader is as
lenient as a person reading the report; the rules are strict about what matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ca_incident.model import ActionKind, ActionStatus, DisclosureSource, Stage
from ca_incident.templates import (
    DETECTION,
    IRG_20,
    LEGACY_TOPICS,
    MOZILLA_2023,
    PRELIMINARY_CLUES,
    RECOGNISED,
    REQUEST_CLUES,
    Clue,
    IsRevoked,
    Template,
)
from ca_incident.timeutil import DATE, TIME, UTC_NOTE, Stamp, date_heading, read_stamp

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


LABEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "relevant policies": (
        "relevant policy",
        "relevant requirements",
        "relevant requirement",
        "related policies",
        "applicable policies",
    ),
    "source of incident disclosure": ("source of disclosure", "incident disclosure source"),
}
"""Template label -> other words real reports use for the same field (bug 2016672 writes
"Relevant requirements", bug 2013400 "Related Policies"); a reader sees the field either way."""


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
    """A labelled value: ``**Label:** value``, ``Label: value`` or a heading followed by text."""

    label: str
    value: str
    line: int
    column: int
    section: str
    """The normalized heading the field sits under."""
    plain: bool = False
    """Written without bold: a weaker sign of the template than a bold label."""
    unrendered: bool = False
    """Written as bold, but with a space inside the asterisks (``**Label: **``), so Markdown
    shows the asterisks instead of bold."""

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
    window: tuple[datetime, datetime] | None = None
    """The earliest and latest moment (UTC) the row can mean: one moment with UTC or an
    offset, a range with a named zone (PT is UTC-8 or UTC-7), None without any zone."""


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
    """Normalized section heading -> (heading line, last line), 1-based."""
    stage: str | None = None
    """The report stage the text is (preliminary, full, closure); None when not a report."""
    truncated: bool = False
    cut: str | None = None
    """How the text shows it was cut short (``ends mid-word ('probl')``), when it does."""
    unjudged: tuple[str, ...] = ()
    """In a text cut short: the rules that find missing parts, which judged only what comes
    before the cut."""
    lines: list[str] = field(default_factory=list)

    def field(self, *labels: str) -> Field | None:
        wanted = {normalize(label) for label in labels}
        wanted |= {other for label in list(wanted) for other in LABEL_SYNONYMS.get(label, ())}
        for candidate in self.fields:
            if candidate.norm in wanted:
                return candidate
        return None

    def section_text(self, *names: str) -> tuple[str, int] | None:
        """The text of the first section named like one of ``names``, its heading line
        first, and the heading's line number."""
        for name in names:
            span = self.sections.get(normalize(name))
            if span is not None:
                start, end = span
                return "\n".join(self.lines[start - 1 : end]), start
        return None

    def has_section(self, name: str) -> bool:
        return normalize(name) in self.sections

    def action_table(self) -> Table | None:
        """The Action Items table, however its first column is named."""
        for table in self.tables:
            if table.header and normalize(table.header[0]) in _ACTION_COLUMN:
                return table
        return None

    def own_text(self) -> str:
        """The text without the Related Incidents section, which describes other bugs."""
        span = self.sections.get("related incidents")
        if span is None:
            return self.text
        start, end = span
        return "\n".join(self.lines[: start - 1] + self.lines[end:])


_PLAIN_LABEL = re.compile(
    r"^\s*(?:[-*+]\s+)?(?P<label>[A-Za-z\u2019' \"()/-]{3,80}?)\s*:\s*(?P<after>.*)$", re.DOTALL
)


def _known_labels() -> frozenset[str]:
    labels = {normalize(label.text) for spec in RECOGNISED.values() for label in spec.labels()}
    labels |= {"other", "what did not go well", "incident root causes", "root causes"}
    labels |= {other for others in LABEL_SYNONYMS.values() for other in others}
    return frozenset(label for label in labels if not label[:1].isdigit())


KNOWN_LABELS = _known_labels()
"""Labels of the IRG templates: matched even without bold or colon, as real reports write them."""

_LABEL = re.compile(
    r"^\s*(?:\d+[.)]\s*)?\*\*(?P<label>[^*]{2,1200}?)\*\*\s*(?P<after>.*)$", re.DOTALL
)


def _bold_label(line: str, *, first: bool, nested_value: bool) -> re.Match[str] | None:
    """The bold label opening ``line``, if it is one: ``**Label:**``, ``**Label**: ``, a
    numbered or known label, or an empty bold line that heads what follows."""
    match = _LABEL.match(line)
    if match is None:
        return None
    label, after = match["label"].strip(), match["after"].strip()
    if first and nested_value and not label.endswith(":") and not after.startswith(":"):
        return None  # a bold item nested under an empty label is its value
    if (
        label.endswith(":")
        or after.startswith(":")
        or (after == "" and first)
        or label[:1].isdigit()
        or normalize(label) in KNOWN_LABELS
    ):
        return match
    return None


def parse(text: str, path: str = "-", *, template: Template | None = None) -> Report:
    """Read a Markdown report; ``template`` checks it as that template instead of the one its
    signature shows."""
    tokens = _MD.parse(text)
    report = Report(path=path, text=text, template=UNRECOGNISED, lines=text.splitlines())
    section = ""
    open_fields: list[Field] = []
    more: dict[int, tuple[Field, list[str]]] = {}
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
            first_line = token.map[0] + 1
            # Lines of one paragraph may each carry a label of their own ("**Incident
            # description:** ...\n**Relevant policies:** ..."), as many reports write them.
            for offset, content in enumerate(token.content.split("\n")):
                line = first_line + offset
                found = _label_field(
                    report,
                    content,
                    line,
                    section,
                    first=offset == 0,
                    nested_value=(
                        offset == 0
                        and owner_level >= 0
                        and not any(f.value for f in open_fields)
                        and token.level > owner_level
                    ),
                )
                if found is not None:
                    report.fields.append(found)
                    open_fields, owner_level = [found], token.level
                    continue
                # Past its list item, a field keeps text only while it has none: real
                # reports often put the value in a paragraph after "- **Label:**".
                if (
                    offset == 0
                    and owner_level >= 0
                    and token.level < owner_level
                    and any(f.value for f in open_fields)
                ):
                    open_fields = []
                for owner in open_fields:
                    if not owner.value:
                        owner.value = content.strip()
                    elif content.rstrip():
                        # Gathered and joined once at the end: adding to the text each time
                        # made a long section (a timeline of thousands of rows) quadratic.
                        more.setdefault(id(owner), (owner, []))[1].append(content.rstrip())
        index += 1
    for owner, parts in more.values():
        owner.value = "\n".join([owner.value, *parts]).strip()
    _spans(report)
    detected = template or detect_template(report)
    report.template = detected.name if detected is not None else UNRECOGNISED
    report.stage = detect_stage(report, detected)
    _timeline(report)
    return report


def _label_field(
    report: Report, content: str, line: int, section: str, *, first: bool, nested_value: bool
) -> Field | None:
    text_line = report.lines[line - 1] if line - 1 < len(report.lines) else ""
    match = _bold_label(content, first=first, nested_value=nested_value)
    if match is not None:
        raw = match["label"]
        label = raw.strip()
        return Field(
            label.rstrip(":").strip(),
            match["after"].strip().lstrip(":").strip(),
            line,
            max(text_line.find("**") + 1, 1),
            section,
            unrendered=raw != raw.strip(),
        )
    if _LABEL.match(content) is not None:
        return None
    plain = _PLAIN_LABEL.match(content)
    if plain is not None and normalize(plain["label"]) in KNOWN_LABELS:
        label = plain["label"].strip()
        column = max(text_line.find(label[:8]) + 1, 1)
        return Field(label, plain["after"].strip(), line, column, section, plain=True)
    return None


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
    normalize(t.heading_markdown["title"])
    for t in RECOGNISED.values()
    if t.family == "irg-3" or not t.renderable
)
"""Titles only one template has: the IRG 3.x ones and the IRG 2.0 Audit Incident Report's."""


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


_REQUEST = [re.compile(pattern, re.I) for pattern in REQUEST_CLUES]


def detect_template(report: Report) -> Template | None:
    """The template whose signature the report carries (see templates.DETECTION), or None."""
    heads = {h.norm for h in report.headings}
    labels = {f.norm for f in report.fields if not f.plain}
    # A template's title alone on a line counts like a heading, written bold or plain
    # ("**Preliminary Incident Report**", "Preliminary incident report").
    heads |= {normalize(line) for line in report.lines if normalize(line) in _TITLES}
    if not heads & set(_TITLES) and any(p.search(report.text) for p in _REQUEST):
        return None
    for template, clue in DETECTION:
        if _matches(clue, report, heads, labels):
            return template
    return None


_OPENING_CLUES = [re.compile(pattern, re.I) for pattern in PRELIMINARY_CLUES[:3]]
_ANYWHERE_CLUES = [re.compile(pattern, re.I) for pattern in PRELIMINARY_CLUES[3:]]


def detect_stage(report: Report, template: Template | None) -> str | None:
    """The report stage of the text: its template's, except that a report in a template
    without a Preliminary form of its own (IRG 2.0, the seven topics) that says it is
    preliminary, or promises the full report, is a Preliminary report."""
    if template is None:
        return None
    if template.name not in (IRG_20.name, MOZILLA_2023.name):
        return template.report_stage.value
    second = report.headings[1].line - 1 if len(report.headings) > 1 else 10
    opening = "\n".join(report.lines[:second])
    timeline = report.sections.get("timeline") or report.sections.get("topic 2")
    rest = (
        report.lines[: timeline[0] - 1] + report.lines[timeline[1] :] if timeline else report.lines
    )
    elsewhere = "\n".join(rest)
    if any(p.search(opening) for p in _OPENING_CLUES) or any(
        p.search(elsewhere) for p in _ANYWHERE_CLUES
    ):
        return Stage.PRELIMINARY.value
    return template.report_stage.value


# Timeline

_NAMED_OFFSETS: dict[str, tuple[float, float]] = {
    "pt": (-8, -7),
    "pst": (-8, -8),
    "pdt": (-7, -7),
    "mt": (-7, -6),
    "mst": (-7, -7),
    "mdt": (-6, -6),
    "ct": (-6, -5),
    "cst": (-6, 8),  # US Central or China Standard Time
    "cdt": (-5, -5),
    "et": (-5, -4),
    "est": (-5, -5),
    "edt": (-4, -4),
    "bst": (1, 1),
    "cet": (1, 1),
    "cest": (2, 2),
    "eet": (2, 2),
    "eest": (3, 3),
    "ist": (1, 5.5),  # Irish, Israel or India Standard Time
    "hkt": (8, 8),
    "sgt": (8, 8),
    "jst": (9, 9),
    "kst": (9, 9),
    "aest": (10, 10),
    "aedt": (11, 11),
}
"""A named zone's possible UTC offsets in hours, earliest to latest; "local time" and zones not
listed may be anything from UTC-12 to UTC+14."""
_ANY_OFFSET = (-12.0, 14.0)
_OFFSET_AFTER = re.compile(
    r"^\s*[(/,\[]?\s*(?:utc|gmt)\s*(?P<sign>[+\-−])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?", re.I
)
NAMED_ZONE = re.compile(r"\b(" + "|".join(_NAMED_OFFSETS) + r"|local time)\b", re.I)
"""A named zone, as timeline rows write it."""


_OFFSET_FOLLOWS = re.compile(r"^[\s,(\[]*(?:utc|gmt)?\s*[+\-\u2212]\s*\d", re.I)
_OFFSET_PRECEDES = re.compile(r"(?:utc|gmt)?\s*[+\-\u2212]\s*\d{1,2}(?::?\d{2})?[\s)\]]*$", re.I)


def _real_offset(content: str, stamp: Stamp) -> Stamp:
    """An offset the text does not write is no zone: ``timeutil`` reads one into
    "2025-03-18 15:06: ..." (the date's "-18") and into "11:30 All 12 ..." (any character
    between '+' and the minus sign passes for a sign). Until that is fixed there, the checker
    keeps an offset only where a sign and hours stand right after the time or right before
    it."""
    if stamp.zone != "offset" or stamp.day is None or stamp.clock is None:
        return stamp
    clock = TIME.search(content, 0, stamp.end)
    if clock is None:
        return stamp
    date = DATE.search(content, 0, clock.start())
    before = content[max(date.end() if date else 0, clock.start() - 10) : clock.start()]
    if _OFFSET_FOLLOWS.match(content[clock.end() : stamp.end]) or _OFFSET_PRECEDES.search(before):
        return stamp
    return replace(stamp, zone=None, moment=datetime.combine(stamp.day, stamp.clock))


def _with_explicit_offset(content: str, stamp: Stamp) -> Stamp:
    """A named zone followed by its offset (``12:00 CEST (UTC+2)``) is as explicit as the
    offset alone: the IRG allows "UTC or UTC+local offset"."""
    if stamp.zone != "named" or stamp.moment is None:
        return stamp
    match = _OFFSET_AFTER.match(content[stamp.end :])
    if match is None:
        return stamp
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if hours > 14 or minutes > 59:
        return stamp
    sign = -1 if match["sign"] in "-−" else 1
    offset = sign * timedelta(hours=hours, minutes=minutes)
    moment = stamp.moment.replace(tzinfo=timezone(offset)).astimezone(UTC)
    return replace(stamp, zone="offset", moment=moment, end=stamp.end + match.end())


def _window(content: str, stamp: Stamp, utc_note: bool) -> tuple[datetime, datetime] | None:
    moment = stamp.moment
    if moment is None:
        return None
    if stamp.zone in ("utc", "offset"):
        return moment, moment
    if stamp.zone is None:
        return (moment.replace(tzinfo=UTC),) * 2 if utc_note else None
    named = NAMED_ZONE.search(content, 0, stamp.end + 1)
    low, high = _NAMED_OFFSETS.get(named.group(1).lower(), _ANY_OFFSET) if named else _ANY_OFFSET
    naive = moment.replace(tzinfo=UTC)
    # A later local offset means an earlier moment: UTC = local time - offset.
    return naive - timedelta(hours=high), naive - timedelta(hours=low)


_TIME_COLUMN = (
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
)


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
            if cells and normalize(cells[0]) in _TIME_COLUMN:
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
        stamp = _with_explicit_offset(content, _real_offset(content, stamp))
        report.timeline.append(Entry(content, line, stamp))
    for entry in report.timeline:
        if entry.stamp is not None:
            entry.window = _window(entry.text, entry.stamp, report.utc_note)


# Truncation


def _vocabulary() -> frozenset[str]:
    """Whole words a report may end with that a cut could also leave: the templates' own
    words and the model's values ("Audit" is a word, not the start of "Auditor")."""
    texts: list[str] = []
    for spec in RECOGNISED.values():
        texts.append(spec.title)
        texts += [getattr(item, "text", "") for item in spec.outline]
        texts += [name for item in spec.outline for name in getattr(item, "names", ())]
    for vocabulary in (DisclosureSource, ActionKind, ActionStatus, IsRevoked):
        texts += [member.value for member in vocabulary]
    return frozenset(w.lower() for text in texts for w in re.findall(r"[A-Za-z]+", text))


_WORDS = _vocabulary()
_DANGLING_WORDS = (
    "the a an of to and or nor for with in on at by from that which whose whether is are was "
    "were be been being has have had this these those our we as not into than but if when while "
    "due such per via about after before under over between its their it"
)
_DANGLING = frozenset(_DANGLING_WORDS.split())
"""Words a sentence cannot end with: a text ending on one stops mid-sentence."""
_OPEN_END = ",;([{&=–—-/\\"


def _followed_labels() -> frozenset[str]:
    """Labels the template follows with more fields: a text that ends at one of them, empty,
    stopped before the rest of the template."""
    followed: set[str] = set()
    for spec in RECOGNISED.values():
        labels = [normalize(label.text) for label in spec.labels()]
        followed |= set(labels[:-1])
    return frozenset(followed)


_FOLLOWED = _followed_labels()


def cut_evidence(text: str) -> str | None:
    """How the text shows that it was cut short, or None when nothing does.

    A report may end without a final newline or full stop (a Bugzilla comment does), with a
    URL, a date or a field value; none of that is evidence. Evidence is an end mid-word, mid
    sentence ("... and the"), mid-table-row, mid-field (inside bold, or at a label with
    nothing after it that the template follows with more), inside code or a link, mid-URL or
    mid-date.
    """
    body = text.rstrip()
    if not body:
        return None
    fences = sum(1 for line in body.splitlines() if line.lstrip().startswith("```"))
    if fences % 2:
        return "ends inside a code block"
    last = body.splitlines()[-1].strip()
    structural = _cut_line(last)
    if structural is not None:
        return structural
    if body[-1] in _OPEN_END:
        return f"ends mid-sentence, after '{body[-1]}'"
    token = body.split()[-1]
    if "://" in token or token.lower().startswith("www."):
        host = re.sub(r"^[a-z]+://", "", token.lower()).split("/", 1)[0]
        if "/" not in token.split("://", 1)[-1] and not re.search(r"\.[a-z]{2,}(?::\d+)?$", host):
            return "ends mid-URL"
        return None
    return _cut_word(body, token)


def _cut_line(last: str) -> str | None:
    """Evidence in the last line's structure: a table row, bold, code or a link left open,
    a timestamp, date or list item begun and not finished, an empty label mid-template."""
    if last.startswith("|") and not last.endswith("|"):
        return "ends mid-table-row"
    if last.count("**") % 2 or last.count("__") % 2:
        return "ends inside bold text, mid-field"
    if len(re.findall(r"(?<![A-Za-z])`|`(?![A-Za-z])", last)) % 2:
        return "ends inside inline code"
    if last.count("[") > last.count("]") or last.count("](") > last.count(")"):
        return "ends inside a link"
    if re.search(r"\d:$", last):
        return "ends mid-timestamp"
    bare = re.sub(r"^(?:[-*+>]\s+)+", "", last)
    if re.fullmatch(r"\d{1,4}(?:[-/.]\d{0,2}){0,2}", bare) and date_heading(bare) is None:
        return "ends mid-date"
    if re.fullmatch(r"(?:[-*+]|\d+[.)])", last):
        return "ends at an empty list item"
    label = _LABEL.match(bare)
    if label is not None and not label["after"].strip(" :"):
        name = normalize(label["label"])
        if name in _FOLLOWED:
            return f"ends at '{label['label'].strip(' :')}' without its value, mid-template"
    return None


def _cut_word(body: str, token: str) -> str | None:
    word = re.search(r"([A-Za-z]+)$", token)
    if word is None:
        return None
    fragment = word.group(1)
    lower = fragment.lower()
    if lower in _DANGLING and token == fragment:
        return f"ends mid-sentence, on '{fragment}'"
    if len(lower) == 1:
        return None if lower in ("a", "i") else f"ends mid-word ('{fragment}')"
    start = len(body) - len(fragment)
    before = frozenset(
        w.lower() for w in re.findall(r"[A-Za-z]{2,}", body[:start]) if len(w) > len(lower)
    )
    whole = frozenset(w.lower() for w in re.findall(r"[A-Za-z]{2,}", body[:start]))
    if lower in whole or lower in _WORDS:
        return None
    if any(w.startswith(lower) for w in before | _WORDS):
        return f"ends mid-word ('{fragment}')"
    return None


def looks_truncated(text: str) -> bool:
    """Whether the text shows that it was cut short (see :func:`cut_evidence`)."""
    return cut_evidence(text) is not None
