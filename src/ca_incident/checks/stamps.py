"""Timestamps as real reports write them.

Forms seen in Bugzilla reports: ``2025-03-18 15:06 UTC``, ``2025-03-18T15:06Z``,
``2024-09-25 – 11:33 UTC``, ``Sep 25, 2024 11:33 UTC``, ``25 September 2024, 11:33 (UTC+2)``,
``2025-03-18 15:06 +02:00``, a date heading followed by time-only rows (``- 15:06 ...``), and
table rows. What matters to the IRG is whether a moment has a date, a time of day to the
minute, and an explicit zone (UTC, Z, or an offset); named zones such as PT or CET are not
explicit (their offset changes with daylight saving time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_ISO_DATE = r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
_DMY = r"(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<y2>\d{4})"
_MDY = _MONTH.replace("mon>", "mon3>") + r"\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{4})"
_EU_DATE = r"(?P<d4>\d{1,2})\.(?P<m4>\d{1,2})\.(?P<y4>\d{4})"
DATE = re.compile(rf"(?:{_ISO_DATE}|{_DMY}|{_MDY}|{_EU_DATE})", re.IGNORECASE)
_TIME = r"(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[ap]\.?m\.?)?"
TIME = re.compile(_TIME, re.IGNORECASE)
_OFFSET = r"(?:utc|gmt)?\s*(?P<sign>[+-−])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?"
ZONE = re.compile(
    rf"(?P<utc>\b(?:utc|gmt)\b(?!\s*[+-−]\s*\d)|(?<=\d)z\b)|(?P<offset>{_OFFSET})"
    r"|(?P<named>\b(?:pt|pst|pdt|et|est|edt|ct|cst|cdt|mt|mst|mdt|cet|cest|eet|eest|bst|ist|jst|kst|aest|aedt|hkt|sgt|local time)\b)",
    re.IGNORECASE,
)
UTC_NOTE = re.compile(
    r"\b(?:all\s+times?\s+(?:are\s+|in\s+|listed\s+(?:are\s+|in\s+)?)?(?:in\s+)?(?:utc|gmt)|times?\s+(?:are\s+)?(?:in\s+)?utc|\(utc\)|timezone:\s*utc|time zone:\s*utc|utc\s+times?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stamp:
    """What a piece of text says about a moment."""

    day: date | None
    clock: time | None
    zone: str | None
    """``utc``, ``offset``, ``named`` (ambiguous, like PT or CET), or None."""
    moment: datetime | None
    """The moment, when day and time are known (in UTC when the zone is explicit)."""
    end: int
    """Where the timestamp ends in the text."""


def _date_of(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    try:
        if groups.get("y"):
            return date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
        if groups.get("y2"):
            return date(
                int(groups["y2"]), _MONTHS[groups["mon"].lower().rstrip(".")], int(groups["d2"])
            )
        if groups.get("y3"):
            return date(
                int(groups["y3"]), _MONTHS[groups["mon3"].lower().rstrip(".")], int(groups["d3"])
            )
        if groups.get("y4"):
            return date(int(groups["y4"]), int(groups["m4"]), int(groups["d4"]))
    except (ValueError, KeyError):
        return None
    return None


def _time_of(match: re.Match[str]) -> time | None:
    hour, minute = int(match["h"]), int(match["min"])
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    second = int(match["s"]) if match["s"] else 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def parse_stamp(text: str, *, day: date | None = None, window: int = 60) -> Stamp | None:
    """The timestamp at the start of ``text`` (within ``window`` characters), or None.

    ``day`` is the date of a preceding date heading, for time-only rows.
    """
    head = text[:window]
    found_date = DATE.search(head)
    if found_date is not None and found_date.start() > 12:
        found_date = None
    the_day = _date_of(found_date) if found_date else None
    after = found_date.end() if found_date else 0
    found_time = TIME.search(head, after)
    if found_time is not None:
        gap = head[after : found_time.start()]
        # The time must follow the date closely (separators, "at", a dash), or open the row.
        if (found_date is None and found_time.start() > 6) or (
            found_date is not None
            and not re.fullmatch(r"[\s,–—\-T|*_(]*(?:at|@|um|à)?[\s,–—\-|*_]*", gap, re.IGNORECASE)
        ):
            found_time = None
    if found_date is None and found_time is None:
        return None
    if the_day is None and found_date is not None:
        return None
    clock = _time_of(found_time) if found_time else None
    end = found_time.end() if found_time else (found_date.end() if found_date else 0)
    zone_match = ZONE.search(head, end, min(len(head), end + 16)) if found_time else None
    if zone_match is None and found_time is not None:
        # "(UTC+2) 14:00" or "UTC 14:00": a zone just before the time counts too.
        zone_match = ZONE.search(head, max(0, found_time.start() - 8), found_time.start())
    zone = None
    offset = timedelta(0)
    if zone_match is not None:
        if zone_match["utc"]:
            zone = "utc"
        elif zone_match["offset"]:
            hours, minutes = int(zone_match["oh"]), int(zone_match["om"] or 0)
            if hours <= 14 and minutes < 60:  # real offsets run from -12:00 to +14:00
                zone = "offset"
                sign = -1 if zone_match["sign"] in "-−" else 1
                offset = sign * timedelta(hours=hours, minutes=minutes)
        else:
            zone = "named"
        end = max(end, zone_match.end())
    day_used = the_day or day
    moment = None
    if day_used is not None and clock is not None:
        naive = datetime.combine(day_used, clock)
        moment = (
            naive.replace(tzinfo=timezone(offset)).astimezone(UTC)
            if zone in ("utc", "offset")
            else naive
        )
    return Stamp(day_used if found_date or clock else None, clock, zone, moment, end)


def date_heading(text: str) -> date | None:
    """The date of a line that is only a date (``2025-03-18:``, ``**March 18, 2025**``)."""
    stripped = text.strip().strip("*_#:").strip()
    match = DATE.fullmatch(stripped.rstrip(":").strip())
    if match is None:
        match = DATE.match(stripped)
        if match is None or len(stripped) - match.end() > 12:
            return None
        rest = stripped[match.end() :]
        if TIME.search(rest):
            return None
    return _date_of(match)


def parse_date_value(text: str) -> date | None:
    """A calendar date in a cell or field (``2025-01-19``, ``January 19, 2025``)."""
    match = DATE.search(text)
    return _date_of(match) if match else None
