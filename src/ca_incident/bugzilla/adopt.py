"""An incident file written from a bug: every field the report reader can read from the CA's
latest report of each stage, the bug's number, whiteboard, posts and questions, and the CSV
appendices' SHA-256 columns as certificate lists.

What a report does not say in a form the incident file can hold (a policy without its
version, a timeline entry without a zone, when the CA became aware) is left blank with a
``# TODO`` comment quoting what the report says, so that ``ca-incident build`` lists each
blank with its line. Nothing is invented.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ca_incident.bugzilla.reading import BugFacts, ReportComment
from ca_incident.bugzilla.records import Attachment
from ca_incident.checks.report import Report, normalize
from ca_incident.model import (
    CCADB_ID,
    ActionKind,
    ActionStatus,
    AwarenessChannel,
    DisclosureSource,
    EventKind,
    Stage,
    ValidationType,
)
from ca_incident.templates import (
    APPENDIX_COLUMNS,
    NON_COMPLIANCE_ONGOING,
    STAGE_TEMPLATE,
    Template,
)
from ca_incident.timeutil import iso_z, read_date, read_stamp, report_time

CERTS = "certs"
_SECTION = re.compile(r"(?i)(?:\bsections?|\bsec\.|§)\s*([0-9]+(?:\.[0-9A-Za-z]+)*)")
_VERSION = re.compile(r"(?i)(?:\bversion|\bver\.|\bv)\s*([0-9]+(?:\.[0-9]+)+)")
_FACTOR = re.compile(r"(?i)^contributing factor\s*#?\s*(\d+)\s*[:.\-\u2013]?\s*(.*)$")
_LESSON_ID = re.compile(r"^\[(?P<id>[A-Za-z0-9][A-Za-z0-9._-]*)\]\s*(?P<text>.*)$")
_BUG = re.compile(r"(?i)\bbug\s*#?\s*(\d+)|show_bug\.cgi\?id=(\d+)|^(\d+)$")
_KIND_SUFFIX = re.compile(r"\s*_\((?P<label>[^)]+)\)_\s*$")
_PROBLEM_LINE = re.compile(
    r"^(?P<id>[A-Za-z0-9][A-Za-z0-9._-]*), (?P<description>.+) \((?P<requirement>[^()]+)\): "
)
_SHA256 = re.compile(r"^[0-9A-Fa-f:]{64,95}$")


@dataclass
class Adopted:
    """What ``import`` writes: incident.yaml's text and the other files, by relative path."""

    text: str
    stage: Stage
    files: dict[str, bytes] = field(default_factory=dict)
    filled_from: list[str] = field(default_factory=list)
    """Which comments the fields come from, e.g. ``comment 0 (Preliminary)``."""
    todos: int = 0


class _Writer:
    """A YAML document written line by line, with comments where a person must look."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.todos = 0

    def comment(self, text: str, indent: int = 0) -> None:
        for line in text.splitlines() or [""]:
            self.lines.append(f"{' ' * indent}# {line}".rstrip())

    def todo(self, text: str, indent: int = 0) -> None:
        self.todos += 1
        self.comment(f"TODO: {text}", indent)

    def key(self, name: str, value: str | None, indent: int = 0, *, note: str = "") -> None:
        """``name: value``; a None value is written blank, which build reports."""
        prefix = " " * indent
        tail = f"  # {note}" if note else ""
        if not value:
            self.lines.append(f"{prefix}{name}:{tail}")
        elif value.startswith(_FOLDED) or "\n" in value:
            style = ">-" if value.startswith(_FOLDED) else "|-"
            self.lines.append(f"{prefix}{name}: {style}{tail}")
            for line in value.removeprefix(_FOLDED).splitlines():
                self.lines.append(f"{prefix}  {line}".rstrip())
        else:
            self.lines.append(f"{prefix}{name}: {value}{tail}")

    def text(self, name: str, value: str | None, indent: int = 0, *, note: str = "") -> None:
        self.key(name, _string(value) if value is not None else None, indent, note=note)

    def item(self, name: str, value: str | None, indent: int) -> None:
        """The first key of a list item, ``- name: value``, at ``indent``."""
        start = len(self.lines)
        self.text(name, value, indent + 2)
        self.lines[start] = " " * indent + "- " + self.lines[start][indent + 2 :]

    def blank(self) -> None:
        self.lines.append("")


def _string(value: str) -> str:
    """A YAML string: several lines as a literal block; one long line folded (``>-``) at its
    spaces, when it reads back the same; else a JSON (double-quoted) scalar."""
    value = value.strip()
    if "\n" in value:
        # A block scalar cannot start with spaces on its first line; the strip saw to it.
        return "\n".join(line.rstrip() for line in value.splitlines())
    quoted = json.dumps(value, ensure_ascii=False)
    if len(value) <= _FOLD_AT or "  " in value or "\t" in value or not value.isprintable():
        return quoted
    folded = textwrap.wrap(value, _FOLD_AT, break_long_words=False, break_on_hyphens=False)
    if " ".join(folded) != value or len(folded) < 2:
        return quoted
    return _FOLDED + "\n".join(folded)


_FOLD_AT = 88
_FOLDED = "\x00folded\x00"
"""Marks a folded scalar for :meth:`_Writer.key`, which writes the ``>-`` header."""


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def _label(template: Template, key: str) -> str:
    return next(label.text for label in template.labels() if label.key == key)


def _value(report: Report, template: Template, key: str) -> str | None:
    found = report.field(_label(template, key))
    if found is None:
        return None
    value = found.value.strip()
    return value or None


def _meaningful(value: str | None) -> str | None:
    if value is None or normalize(value) in ("n/a", "na", "none", "-", "tbd"):
        return None
    return value


def _moment(text: str | None, utc_note: bool = False) -> datetime | None:
    if not text:
        return None
    stamp = read_stamp(text)
    if stamp is None or stamp.moment is None:
        return None
    if stamp.zone in ("utc", "offset"):
        return stamp.moment
    if stamp.zone is None and utc_note:
        return stamp.moment.replace(tzinfo=UTC)
    return None


def _time(moment: datetime) -> str:
    return iso_z(moment).replace(":00Z", "Z") if moment.second == 0 else iso_z(moment)


def disclosure_source(text: str | None) -> DisclosureSource | None:
    """The IRG's disclosure source a report's words name, if they name one."""
    if not text:
        return None
    words = normalize(text)
    if "self" in words or "internal" in words:
        return DisclosureSource.SELF_REPORTED
    if "audit" in words:
        return DisclosureSource.AUDIT
    if "third" in words or "external" in words or "problem report" in words:
        return DisclosureSource.THIRD_PARTY_REPORTED
    return None


def policies(text: str) -> list[tuple[str, str | None, str | None, str]]:
    """(document, version, section, what the report says) for each policy a report names,
    split at semicolons and lines."""
    found = []
    for part in re.split(r";|\n", text):
        original = part.strip(" -*\u2022\t")
        if not original:
            continue
        section = _SECTION.search(original)
        version = _VERSION.search(original)
        cuts = sorted(m.start() for m in (section, version) if m is not None)
        document = original[: cuts[0]] if cuts else original
        document = re.sub(r"[\s,;:(\-\u2013]+$", "", document).strip()
        document = re.sub(r"(?i)\s+of\s+the$", "", document).strip() or original
        found.append(
            (
                _short(document, 200),
                version[1] if version else None,
                section[1].rstrip(".") if section else None,
                original,
            )
        )
    return found


def _event_kind(label: str) -> EventKind:
    wanted = normalize(label)
    for kind in EventKind:
        if kind.label and normalize(kind.label) == wanted:
            return kind
    return EventKind.OTHER


def _identifier(text: str, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-._")
    return cleaned or fallback


@dataclass(frozen=True)
class CertificateList:
    problem: str
    path: str
    fingerprints: tuple[str, ...]
    source: str


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return row[index].strip() if index is not None and index < len(row) else ""


def certificate_lists(csvs: Sequence[tuple[Attachment, bytes]]) -> list[CertificateList]:
    """The SHA-256 column of each CSV appendix, per problem (its Problem column, if any):
    IRG 3.2 Appendix, "Certificate SHA-256 hash" (or the precertificate's when a
    certificate was never issued)."""
    per_problem: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    certificate, precertificate = APPENDIX_COLUMNS[1], APPENDIX_COLUMNS[0]
    for attachment, data in csvs:
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error):
            continue
        if not rows:
            continue
        header = [normalize(cell) for cell in rows[0]]
        columns = {
            name: header.index(normalize(name))
            for name in (certificate, precertificate, "Problem")
            if normalize(name) in header
        }
        if certificate not in columns and precertificate not in columns:
            continue
        for row in rows[1:]:
            fingerprint = _cell(row, columns, certificate) or _cell(row, columns, precertificate)
            if not _SHA256.match(fingerprint):
                continue
            problem = _identifier(_cell(row, columns, "Problem"), "affected")
            per_problem.setdefault(problem, []).append(fingerprint.replace(":", "").lower())
            sources.setdefault(problem, f"attachment {attachment.id} ({attachment.file_name})")
    return [
        CertificateList(
            problem,
            f"{CERTS}/{problem}.sha256",
            tuple(dict.fromkeys(fingerprints)),
            sources[problem],
        )
        for problem, fingerprints in per_problem.items()
    ]


def adopt(
    facts: BugFacts,
    *,
    bug_url: str,
    csvs: Sequence[tuple[Attachment, bytes]] = (),
    as_of: datetime,
) -> Adopted:
    """incident.yaml for the bug, and the certificate lists it names."""
    w = _Writer()
    bug = facts.cached.bug
    owner, _, title = bug.summary.partition(": ")
    preliminary = facts.latest_report(Stage.PRELIMINARY)
    full = facts.latest_report(Stage.FULL)
    closure = facts.latest_report(Stage.CLOSURE)
    used = [r for r in (preliminary, full, closure) if r is not None]
    stage = facts.stage
    if stage is Stage.CLOSED and closure is None:
        stage = Stage.FULL if full is not None else Stage.PRELIMINARY
    filled_from = [
        f"comment {r.comment.count} ({r.template.title}, {report_time(r.comment.time)})"
        for r in used
    ]
    w.comment(f"Imported from {bug_url} on {report_time(as_of)} by 'ca-incident import'.")
    if filled_from:
        w.comment("Filled from " + "; ".join(filled_from) + ".")
    else:
        w.comment("The bug holds no report by the CA that ca-incident recognises.")
    w.comment("Blank values marked TODO are not in the reports: 'ca-incident build' lists them.")
    if title:
        w.text("ca_owner", owner)
        w.text("title", title)
    else:
        w.todo("the CA Owner's name, as in the CCADB (the bug summary has no 'CA Owner: ')")
        w.key("ca_owner", None)
        w.text("title", bug.summary)
    summary_source = full or preliminary
    ccadb = _value(full.report, full.template, "ccadb_id") if full else None
    ccadb_match = CCADB_ID.search(ccadb or "")
    if ccadb_match:
        w.text("ccadb_id", ccadb_match[0])
    elif stage is not Stage.PRELIMINARY:
        w.todo("the CA Owner CCADB unique ID, 'A' and six digits")
        w.key("ccadb_id", None)
    w.key("bug", str(bug.id))
    w.key(
        "whiteboard",
        "[" + ", ".join(json.dumps(e, ensure_ascii=False) for e in facts.whiteboard) + "]",
    )
    w.key("stage", stage.value)
    _posted(w, facts)
    w.blank()
    _summary(w, summary_source, full, stage)
    w.blank()
    nc = _non_compliance_moments(full)
    _awareness(w, summary_source, nc.get("identified"), full)
    files: dict[str, bytes] = {}
    if full is not None and stage is not Stage.PRELIMINARY:
        w.blank()
        _full(w, full, csvs, files)
    if closure is not None and stage in (Stage.CLOSURE, Stage.CLOSED):
        w.blank()
        _closure(w, closure)
    if facts.questions:
        w.blank()
        _questions(w, facts)
    return Adopted("\n".join(w.lines).rstrip() + "\n", stage, files, filled_from, w.todos)


def _posted(w: _Writer, facts: BugFacts) -> None:
    posted = facts.posted
    values = {
        name: getattr(posted, name)
        for name in ("third_party_report", "first_response", "preliminary", "full", "closure")
        if getattr(posted, name) is not None
    }
    if not values and not posted.updates:
        return
    w.key("posted", "")
    for name, moment in values.items():
        number = facts.posted_comments.get(name)
        w.key(name, _time(moment), 2, note=f"comment {number}" if number is not None else "")
    if posted.updates:
        w.key("last_update", _time(posted.updates[-1]), 2)
        numbers = ", ".join(str(n) for n in facts.update_comments)
        w.key(
            "updates",
            "[" + ", ".join(_time(u) for u in posted.updates) + "]",
            2,
            note=f"comments {numbers}",
        )


def _summary(
    w: _Writer, source: ReportComment | None, full: ReportComment | None, stage: Stage
) -> None:
    w.key("summary", "")
    template = source.template if source else STAGE_TEMPLATE[Stage.PRELIMINARY]
    report = source.report if source else None
    description = _value(report, template, "incident_description") if report else None
    if description is None:
        w.todo("the incident description", 2)
    w.text("description", description, 2)
    stated = _value(report, template, "relevant_policies") if report else None
    w.key("relevant_policies", "", 2)
    found = policies(stated) if stated else []
    if not found:
        w.todo("each requirement broken: its document, version and section", 4)
        found = [("", None, None, "")]
    for document, version, section, original in found:
        if version is None or section is None:
            if original:
                w.comment(f"the report says: {_short(original)}", 4)
            w.todo("give the version and section", 4)
        w.item("document", document or None, 4)
        w.text("version", version, 6)
        w.text("section", section, 6)
    stated_source = _value(report, template, "source") if report else None
    source_value = disclosure_source(stated_source)
    if source_value is None:
        w.todo(
            f"Self Reported, Third Party Reported or Audit; the report says: "
            f"{_short(stated_source or 'nothing')}",
            2,
        )
        w.key("source", None, 2)
    else:
        said = stated_source or ""
        note = f"the report says: {_short(said, 60)}" if said != source_value.value else ""
        w.key("source", source_value.value, 2, note=note)
    if full is not None and stage is not Stage.PRELIMINARY:
        _non_compliance(w, full)


def _non_compliance_moments(full: ReportComment | None) -> dict[str, datetime | None]:
    if full is None:
        return {}
    return {
        key: _moment(_value(full.report, full.template, key))
        for key in ("start", "identified", "end")
    }


def _non_compliance(w: _Writer, full: ReportComment) -> None:
    w.key("non_compliance", "", 2)
    moments = _non_compliance_moments(full)
    for key in ("start", "identified", "end"):
        stated = _value(full.report, full.template, key)
        moment = moments.get(key)
        if (
            key == "end"
            and stated
            and normalize(stated).startswith(normalize(NON_COMPLIANCE_ONGOING))
        ):
            continue
        if moment is None and stated:
            w.todo(f"a date-time with a zone; the report says: {_short(stated, 100)}", 4)
        elif moment is None and key != "end":
            w.todo(f"the non-compliance {key} date-time", 4)
        if moment is not None or key != "end":
            w.key(key, _time(moment) if moment else None, 4)
    stated_end = _value(full.report, full.template, "end") or ""
    if "expected" in stated_end.lower():
        w.key("end_expected", "yes", 4)


_CHANNELS = {
    DisclosureSource.AUDIT: AwarenessChannel.AUDIT,
    DisclosureSource.SELF_REPORTED: AwarenessChannel.SELF_AUDIT,
    DisclosureSource.THIRD_PARTY_REPORTED: AwarenessChannel.PROBLEM_REPORT,
}


def _awareness(
    w: _Writer,
    source: ReportComment | None,
    identified: datetime | None,
    full: ReportComment | None,
) -> None:
    w.key("awareness", "")
    stated = _value(source.report, source.template, "source") if source else None
    disclosed = disclosure_source(stated)
    channel = _CHANNELS.get(disclosed) if disclosed is not None else None
    if channel is None:
        w.todo("how the CA became aware: " + ", ".join(c.value for c in AwarenessChannel), 2)
        w.key("channel", None, 2)
    else:
        w.key("channel", channel.value, 2, note="from the source of incident disclosure")
    if identified is None:
        w.todo("when the CA became aware (it starts the 72-hour clock)", 2)
        w.key("at", None, 2)
    else:
        w.key("at", _time(identified), 2, note="the Full report's Non-compliance identified date")
    events = timeline_events(full.report)[0] if full is not None else []
    aware = [text for _, kind, text in events if kind is EventKind.CA_AWARE]
    if aware:
        w.text("detail", aware[0], 2, note="the timeline's 'CA became aware' entry")
    else:
        w.todo("how the CA became aware: who reported what, or which check found it", 2)
        w.key("detail", None, 2)


def _full(
    w: _Writer,
    full: ReportComment,
    csvs: Sequence[tuple[Attachment, bytes]],
    files: dict[str, bytes],
) -> None:
    report, template = full.report, full.template
    timeline = _timeline(w, report)
    _issuance(w, report, template, timeline)
    w.blank()
    _problems(w, report, template, csvs, files)
    w.blank()
    w.key("impact", "")
    heuristic = _meaningful(_value(report, template, "heuristic"))
    if heuristic is None:
        w.todo("the incident heuristic", 2)
    w.text("heuristic", heuristic, 2)
    analysis = _meaningful(_value(report, template, "analysis"))
    if analysis:
        w.text("analysis", analysis, 2)
    considerations = _meaningful(_value(report, template, "additional_considerations"))
    if considerations:
        kept = [
            line
            for line in considerations.splitlines()
            if not _PROBLEM_LINE.match(line.strip().lstrip("- "))
        ]
        if "\n".join(kept).strip():
            w.text("additional_considerations", "\n".join(kept).strip(), 2)
    _related(w, report)
    factors = _factors(w, report, template)
    lessons = _lessons(w, report, template)
    _actions(w, report, factors, lessons)


Event = tuple[datetime, EventKind, str]


def timeline_events(report: Report) -> tuple[list[Event], list[str]]:
    """The report's timeline entries that carry a date-time with a zone (a section-wide UTC
    note counts), each with its kind where the entry names one (``_(CA became aware)_``, as
    ca-incident writes it); and the entries that do not."""
    events: list[Event] = []
    skipped: list[str] = []
    for entry in report.timeline:
        stamp = entry.stamp
        moment = _moment(entry.text, report.utc_note)
        if stamp is None or moment is None:
            skipped.append(entry.text)
            continue
        rest = entry.text[stamp.end :].lstrip(" :-\u2013\u2014|*_").rstrip()
        kind = EventKind.OTHER
        suffix = _KIND_SUFFIX.search(rest)
        if suffix is not None:
            kind = _event_kind(suffix["label"])
            rest = rest[: suffix.start()]
        rest = rest.rstrip(" |*_")
        if rest:
            events.append((moment, kind, rest))
    return events, skipped


def _timeline(w: _Writer, report: Report) -> list[Event]:
    events, skipped = timeline_events(report)
    for text in skipped:
        w.todo(f"a timeline entry without a date-time and zone: {_short(text, 120)}")
    if not events:
        w.todo("the timeline")
        w.key("timeline", "[]")
        return events
    w.key("timeline", "")
    for moment, kind, text in events:
        w.lines.append(f"  - at: {_time(moment)}")
        if kind is not EventKind.OTHER:
            w.key("kind", kind.value, 4)
        w.text("text", text, 4)
    return events


def _issuance(
    w: _Writer,
    report: Report,
    template: Template,
    timeline: list[Event],
) -> None:
    stated = _meaningful(_value(report, template, "issuance"))
    w.blank()
    w.key("issuance", "")
    if stated is None:
        w.todo("whether issuance stopped, and why or why not", 2)
        w.key("stopped", None, 2)
        w.key("explanation", None, 2)
        return
    answer = re.match(r"(?i)^\s*(yes|no)\b[.,:;]?\s*", stated)
    stopped = answer is not None and answer[1].lower() == "yes"
    if answer is None:
        w.todo(f"yes or no; the report says: {_short(stated, 100)}", 2)
        w.key("stopped", None, 2)
    else:
        w.key("stopped", "yes" if stopped else "no", 2)
    moments = {kind: moment for moment, kind, _ in timeline}
    if stopped:
        when = moments.get(EventKind.ISSUANCE_STOPPED)
        if when is None:
            w.todo("when issuance stopped", 2)
        w.key("stopped_at", _time(when) if when else None, 2)
        resumed = moments.get(EventKind.ISSUANCE_RESUMED)
        if resumed is not None:
            w.key("resumed_at", _time(resumed), 2)
    explanation = stated[answer.end() :] if answer else stated
    if not explanation.strip():
        w.todo("why issuance was stopped, or why not", 2)
    w.text("explanation", explanation.strip() or None, 2)


def _problems(
    w: _Writer,
    report: Report,
    template: Template,
    csvs: Sequence[tuple[Attachment, bytes]],
    files: dict[str, bytes],
) -> None:
    lists = certificate_lists(csvs)
    described: dict[str, tuple[str, str]] = {}
    considerations = _value(report, template, "additional_considerations") or ""
    for line in considerations.splitlines():
        match = _PROBLEM_LINE.match(line.strip().lstrip("- "))
        if match:
            described[match["id"]] = (match["description"], match["requirement"])
    types = _value(report, template, "types") or ""
    kinds = [t.value for t in ValidationType if re.search(rf"\b{re.escape(t.value)}\b", types)]
    w.key("problems", "")
    if lists:
        for found in lists:
            files[found.path] = ("\n".join(found.fingerprints) + "\n").encode()
            description, requirement = described.get(found.problem, (None, None))
            w.comment(
                f"{len(found.fingerprints)} certificates, by SHA-256, from {found.source}; "
                "replace the list by the certificates themselves for the appendix's other "
                "columns",
                2,
            )
            _problem(w, found.problem, description, requirement, "tls")
            w.key("certificates", f"[{json.dumps(found.path)}]", 4)
        return
    total = _number(_value(report, template, "total"))
    remaining = _number(_value(report, template, "remaining_valid"))
    if total is None:
        w.todo(
            "each distinct problem, with its certificates (files or folders) or counts; the "
            f"report says: {_short(_value(report, template, 'total') or 'nothing', 80)}",
            2,
        )
        _problem(w, "affected", None, None, None)
        return
    identifier, (description, requirement) = next(
        iter(described.items()), ("affected", (None, None))
    )
    _problem(w, identifier, description, requirement, "smime" if "S/MIME" in kinds else "tls")
    w.key("counts", "", 4)
    w.key("count", str(total), 6)
    if remaining is None:
        w.todo("how many remain valid", 6)
    w.key("remaining_valid", str(remaining) if remaining is not None else None, 6)
    if kinds:
        w.key("types", "[" + ", ".join(json.dumps(k) for k in kinds) + "]", 6)


def _problem(
    w: _Writer,
    identifier: str,
    description: str | None,
    requirement: str | None,
    kind: str | None,
) -> None:
    w.item("id", identifier, 2)
    if description is None:
        w.todo("what is wrong", 4)
    w.text("description", description, 4)
    if requirement is None:
        w.todo("the requirement it breaks, e.g. TLS BR 7.1.2.7.4", 4)
    w.text("requirement", requirement, 4)
    if kind is None:
        w.todo("tls, smime, or none", 4)
    w.key("certificate_kind", kind, 4)


def _number(text: str | None) -> int | None:
    if not text:
        return None
    match = re.match(r"^\s*([0-9][0-9,]*)\b", text)
    return int(match[1].replace(",", "")) if match else None


def _related(w: _Writer, report: Report) -> None:
    table = next((t for t in report.tables if t.header and normalize(t.header[0]) == "bug"), None)
    if table is None:
        return
    rows = []
    for row in table.rows:
        if len(row) < 3 or normalize(row[0]) in ("n/a", ""):
            continue
        match = _BUG.search(row[0])
        number = next((g for g in match.groups() if g), None) if match else None
        opened = read_date(row[1])
        rows.append((number, opened, row[2], row))
    if not rows:
        return
    w.blank()
    w.key("related_incidents", "")
    for number, opened, description, row in rows:
        if number is None or opened is None:
            w.todo(f"the bug number and date; the report says: {_short(' | '.join(row), 100)}", 2)
        w.lines.append(f"  - bug: {number}" if number else "  - bug:")
        w.key("opened", opened.isoformat() if opened else None, 4)
        w.text("description", description, 4)


def _factors(w: _Writer, report: Report, template: Template) -> dict[int, str]:
    """Contributing factors; their ids by number (Contributing Factor 1 is CF-1)."""
    per_factor = {
        normalize(label.text): label.key.removeprefix("factor_")
        for label in template.labels()
        if label.per_factor
    }
    factors: list[dict[str, str]] = []
    for found in report.fields:
        if normalize(found.section) != normalize(template.heading_markdown["rca"].lstrip("# ")):
            continue
        start = _FACTOR.match(found.label.strip())
        if start is not None:
            factors.append({"number": start[1], "title": start[2].strip() or found.value.strip()})
            continue
        key = per_factor.get(found.norm)
        if key and factors and found.value.strip():
            factors[-1][key] = found.value.strip()
    ids: dict[int, str] = {}
    if not factors:
        w.blank()
        w.todo("the contributing factors (Root Cause Analysis)")
        w.key("contributing_factors", "[]")
        return ids
    w.blank()
    w.key("contributing_factors", "")
    for factor in factors:
        identifier = f"CF-{factor['number']}"
        ids[int(factor["number"])] = identifier
        w.lines.append(f"  - id: {identifier}")
        for key in ("title", "description", "timeline", "detection", "interaction"):
            value = _meaningful(factor.get(key))
            if value is None:
                w.todo(f"the factor's {key}", 4)
            w.text(key, value, 4)
        methodology = _meaningful(factor.get("methodology"))
        if methodology:
            w.text("methodology", methodology, 4)
    return ids


_LESSON_GROUPS = (
    ("went_well", "WW"),
    ("did_not_go_well", "DGW"),
    ("got_lucky", "GL"),
    ("additional", "AL"),
)


def _lessons(w: _Writer, report: Report, template: Template) -> set[str]:
    ids: set[str] = set()
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for group, prefix in _LESSON_GROUPS:
        stated = _meaningful(_value(report, template, group))
        items: list[tuple[str, str]] = []
        for number, line in enumerate((stated or "").splitlines(), start=1):
            text = line.strip().lstrip("-*\u2022 ").strip()
            if not text or normalize(text) == "n/a":
                continue
            match = _LESSON_ID.match(text)
            identifier, body = (
                (match["id"], match["text"]) if match else (f"{prefix}-{number}", text)
            )
            items.append((identifier, body))
            ids.add(identifier)
        if items:
            groups.append((group, items))
    if not groups:
        return ids
    w.blank()
    w.key("lessons", "")
    for group, items in groups:
        w.key(group, "", 2)
        for identifier, body in items:
            w.item("id", identifier, 4)
            w.text("text", body, 6)
    return ids


def _actions(w: _Writer, report: Report, factors: dict[int, str], lessons: set[str]) -> None:
    table = report.action_table()
    rows = table.rows if table else []
    header = [normalize(h) for h in table.header] if table else []

    def column(row: list[str], *names: str) -> str | None:
        for name in names:
            if name in header:
                index = header.index(name)
                return row[index].strip() if index < len(row) else None
        return None

    w.blank()
    if not rows:
        w.todo("the action items")
        w.key("action_items", "[]")
        return
    w.key("action_items", "")
    for row in rows:
        description = _meaningful(column(row, "action item", "action items", "action"))
        if description is None:
            continue
        w.item("description", description, 2)
        kind = _enum(ActionKind, column(row, "kind"))
        if kind is None:
            w.todo(f"Prevent, Mitigate or Detect; the report says: {column(row, 'kind')}", 4)
        w.key("kind", kind, 4)
        causes = column(row, "corresponding root cause(s)", "corresponding root causes") or ""
        addresses: list[str] = []
        for number in re.findall(r"(?i)contributing factor\s*#?\s*(\d+)", causes):
            addresses.append(factors.get(int(number), f"CF-{number}"))
        addresses += [ref for ref in re.findall(r"\[([A-Za-z0-9._-]+)\]", causes)]
        if not addresses:
            w.todo(f"the contributing factors it addresses; the report says: {causes}", 4)
            w.key("addresses", "[]", 4)
        else:
            w.key("addresses", "[" + ", ".join(dict.fromkeys(addresses)) + "]", 4)
        criteria = _meaningful(column(row, "evaluation criteria"))
        if criteria is None:
            w.todo("how its effectiveness will be measured", 4)
        w.text("evaluation_criteria", criteria, 4)
        due_text = column(row, "due date", "due") or ""
        due = read_date(due_text)
        if due is None:
            w.todo(f"the due date YYYY-MM-DD; the report says: {due_text}", 4)
        w.key("due", due.isoformat() if due else None, 4)
        status = _enum(ActionStatus, column(row, "status"))
        if status is None:
            stated_status = column(row, "status")
            w.todo(f"Ongoing, Complete, Delayed or Canceled; the report says: {stated_status}", 4)
        w.key("status", status, 4)
        if status == ActionStatus.COMPLETE.value:
            w.todo("the date it was completed", 4)
            w.key("completed", None, 4)


def _enum(kind: type[ActionKind] | type[ActionStatus], text: str | None) -> str | None:
    if not text:
        return None
    # British spelling, as some CAs write it.
    wanted = normalize(text).replace("ll", "l") if "cancel" in normalize(text) else normalize(text)
    for member in kind:
        if normalize(member.value) == wanted or wanted.startswith(normalize(member.value)):
            return str(member.value)
    return None


def _closure(w: _Writer, closure: ReportComment) -> None:
    template = STAGE_TEMPLATE[Stage.CLOSURE]
    w.key("closure", "")
    for key, name in (
        ("root_causes", "root_causes"),
        ("remediation", "remediation"),
        ("commitments", "commitments"),
    ):
        value = _meaningful(_value(closure.report, template, key))
        if value is None:
            w.todo(f"the closure summary's {name.replace('_', ' ')}", 2)
        w.text(name, value, 2)


def _questions(w: _Writer, facts: BugFacts) -> None:
    w.key("questions", "")
    for entry in facts.questions:
        q = entry.question
        w.lines.append(f"  - asked: {_time(q.asked)}")
        w.text("by", q.by, 4)
        if q.comment is not None:
            w.key("comment", str(q.comment), 4)
        if q.answered is not None:
            note = f"comment {entry.answered_in}" if entry.answered_in is not None else ""
            w.key("answered", _time(q.answered), 4, note=note)
