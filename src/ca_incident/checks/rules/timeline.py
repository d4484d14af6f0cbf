"""TL: timestamps with times and zones, in order, reaching back before discovery."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from ca_incident.checks.registry import (
    FULL,
    IRG,
    NOT_PRELIMINARY,
    WITH_TIMELINE,
    Context,
    Hit,
    Severity,
    rule,
)
from ca_incident.checks.report import NAMED_ZONE, Entry, Report
from ca_incident.timeutil import Stamp, read_stamp, report_time

TIMELINE_SOURCE = f"{IRG}#incident-reports"


@rule(
    "TL001",
    "timeline-entry-without-time",
    Severity.WARNING,
    WITH_TIMELINE,
    "a timeline entry without a time of day",
    what="Checks that every timeline entry has a time of day, to the minute.",
    why="IRG 3.2: times SHOULD have at least minute-level granularity; a date alone cannot "
    "show how fast the CA responded.",
    example="- 2025-03-18: Certificate Problem Report received.",
    fix="Add the time: - 2025-03-18 15:06 UTC: Certificate Problem Report received.",
    requirement="REQ-TL-1",
    source=TIMELINE_SOURCE,
)
def tl001(report: Report, context: Context) -> Iterator[Hit]:
    for entry in report.timeline:
        if entry.stamp is not None and entry.stamp.clock is None:
            yield entry.line, 1, "no time of day"


@rule(
    "TL002",
    "timeline-entry-without-zone",
    Severity.ERROR,
    WITH_TIMELINE,
    "a timeline entry without an explicit zone (UTC, Z, ±hh:mm) and no section-wide UTC note",
    what="Checks that every timed entry says UTC, Z or an offset, unless the section says all "
    "times are UTC. Named zones (PT, CET, 'local time') are ambiguous and flagged, unless "
    "the offset follows them ('12:00 CEST (UTC+2)').",
    why="IRG 3.2: 'All times MUST be in UTC or UTC+local offset'; a named zone's offset "
    "changes with daylight saving time.",
    example="- 2025-03-18 09:06 PT: Report received.",
    fix="Write UTC (2025-03-18 16:06 UTC) or an offset (2025-03-18 09:06 -07:00).",
    requirement="REQ-TL-1",
    source=TIMELINE_SOURCE,
)
def tl002(report: Report, context: Context) -> Iterator[Hit]:
    for entry in report.timeline:
        stamp = entry.stamp
        if stamp is None or stamp.clock is None:
            continue
        if stamp.zone == "named":
            yield entry.line, 1, "a named zone is ambiguous: write UTC or an offset such as +01:00"
        elif stamp.zone is None and not report.utc_note:
            yield entry.line, 1, "no zone, and no 'All times are UTC' note for the section"


_FLOATING = (timedelta(hours=-14), timedelta(hours=12))
"""A time without any zone (and no UTC note) may mean any moment from UTC-12 to UTC+14, when
compared with a time that has one."""


def _span(entry: Entry) -> tuple[datetime, datetime] | None:
    if entry.window is not None:
        return entry.window
    moment = entry.stamp.moment if entry.stamp else None
    if moment is None:
        return None
    naive = moment.replace(tzinfo=UTC)
    return naive + _FLOATING[0], naive + _FLOATING[1]


def _before(entry: Entry, previous: Entry) -> bool:
    """Whether ``entry`` is earlier than ``previous`` whatever their zones mean."""
    if entry.window is None and previous.window is None:
        this, that = entry.stamp, previous.stamp
        # Two times without zones share the writer's one zone.
        if this and that and this.moment and that.moment:
            return this.moment.replace(tzinfo=None) < that.moment.replace(tzinfo=None)
        return False
    this_span, that_span = _span(entry), _span(previous)
    return this_span is not None and that_span is not None and this_span[1] < that_span[0]


def _shown(entry: Entry) -> str:
    stamp = entry.stamp
    if stamp is None or stamp.moment is None:
        return "?"
    if stamp.zone in ("utc", "offset"):
        return report_time(stamp.moment)
    zone = NAMED_ZONE.search(entry.text[: stamp.end + 1]) if stamp.zone == "named" else None
    return f"{stamp.moment:%Y-%m-%d %H:%M}" + (f" {zone.group(0)}" if zone else "")


@rule(
    "TL003",
    "timeline-not-chronological",
    Severity.WARNING,
    WITH_TIMELINE,
    "timeline not in chronological order",
    what="Compares consecutive timed entries. A named zone is read as every offset it can "
    "have (PT is UTC-8 or UTC-7): an entry is out of order when it is earlier than the one "
    "before it under every reading.",
    why="IRG 3.2 asks for 'a detailed timeline of all events and actions leading up to and "
    "taken during and after the incident'; a timeline out of order hides what happened when.",
    example="- 2025-03-19 09:00 PT: We fixed the profile.\n- 2025-03-19 08:00 UTC: We "
    "started revoking.   (09:00 PT is 16:00 or 17:00 UTC)",
    fix="Sort the entries by time, and give every time in UTC or with its offset.",
    requirement="REQ-TL-1",
    source=TIMELINE_SOURCE,
)
def tl003(report: Report, context: Context) -> Iterator[Hit]:
    previous: Entry | None = None
    for entry in report.timeline:
        if entry.stamp is None or entry.stamp.moment is None:
            continue
        if previous is not None and _before(entry, previous):
            yield entry.line, 1, f"earlier than the entry before it ({_shown(previous)})"
        previous = entry


_AWARE = re.compile(
    r"became aware|received|reported|discovered|identified|detected|notified|noticed|found", re.I
)


@rule(
    "TL004",
    "timeline-starts-at-discovery",
    Severity.WARNING,
    WITH_TIMELINE,
    "nothing before the CA became aware: when the problem began, or the change that caused it",
    what="Checks that the timeline reaches back before the moment the CA became aware: the "
    "change that introduced the problem, or when the non-compliance began. With a Timeline "
    "summary, the first entry is compared with the identified date, to the minute when both "
    "have times.",
    why="IRG 3.2: 'The timeline MUST include not just the actual discovery of the incident "
    "and subsequent events, but also relevant events occurring beforehand (e.g., something "
    "changed or was introduced).'",
    example="A timeline whose first entry is 'We received a report'.",
    fix="Add the contributing changes and when the incident began.",
    requirement="REQ-TL-2",
    source=TIMELINE_SOURCE,
    stages=NOT_PRELIMINARY,
    judges_absence=True,
)
def tl004(report: Report, context: Context) -> Iterator[Hit]:
    timed = [e for e in report.timeline if e.stamp and e.stamp.day]
    if not timed or report.truncated:
        return
    identified = report.field("Non-compliance identified date")
    stamp = read_stamp(identified.value, window=80) if identified is not None else None
    first = timed[0]
    if stamp is not None and stamp.day is not None and first.stamp and first.stamp.day:
        if _not_before(first, stamp):
            yield first.line, 1, "the timeline starts at or after the identified date"
        return
    if _AWARE.search(first.text):
        yield first.line, 1, "the timeline starts with the discovery"


def _not_before(first: Entry, identified: Stamp) -> bool:
    """Whether the first entry is at or after the identified moment: to the minute when both
    have a time and a zone, else by calendar day, where the same day cannot tell."""
    moment = identified.moment
    stamp = first.stamp
    if stamp is None or stamp.day is None or identified.day is None:
        return False
    if (
        first.window is not None
        and moment is not None
        and identified.zone in ("utc", "offset")
        and stamp.clock is not None
    ):
        return first.window[0] >= moment
    return stamp.day > identified.day


_STOP = re.compile(
    r"\b(?:stop(?:ped|s)?|halt(?:ed)?|suspend(?:ed)?|paus(?:e|ed)|ceas(?:e|ed)|disabl(?:e|ed))\b",
    re.I,
)
_RESUME = re.compile(
    r"\b(?:resum(?:e|ed|ption)|re-?enabl(?:e|ed)|restart(?:ed)?|re-?start(?:ed)?)\b", re.I
)


@rule(
    "TL005",
    "issuance-stop-not-in-timeline",
    Severity.WARNING,
    FULL,
    "issuance said to be stopped, but no stop and resume events in the timeline",
    what="When Impact answers Yes to 'was issuance stopped', looks for the stop and the "
    "resumption in the timeline.",
    why="IRG 3.2 lists 'the times at which issuance ceased and resumed' among the expected "
    "timeline elements; a stop is a pledge that reviewers verify.",
    example="Impact says 'Yes', the timeline never mentions issuance.",
    fix="Add both moments, e.g. '2025-03-18 15:30 UTC: Issuance stopped.'",
    requirement="REQ-TL-3, REQ-IMP-5",
    source=TIMELINE_SOURCE,
    judges_absence=True,
)
def tl005(report: Report, context: Context) -> Iterator[Hit]:
    found = report.field(
        "Was issuance stopped in response to this incident, and why or why not",
        "Was issuance stopped",
    )
    if found is None or not re.match(r"^\W*yes\b", found.value, re.I) or report.truncated:
        return
    texts = [e.text for e in report.timeline]
    if not any(_STOP.search(t) for t in texts):
        yield found.line, found.column, "issuance was stopped, but the timeline has no stop event"
    if not any(_RESUME.search(t) for t in texts) and not re.search(
        r"not (?:yet )?resumed|remains stopped", report.text, re.I
    ):
        yield (
            found.line,
            found.column,
            "the timeline does not say when issuance resumed (or that it has not)",
        )
