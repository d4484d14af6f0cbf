"""Timezone-aware time: UTC inside, ISO 8601 with ``Z`` outside. The one timestamp reader,
in two modes.

- **Strict** (:func:`parse_timestamp`, :func:`parse_date`): incident files and options. Reports
  are judged on their timestamps (IRG 3.2 Timeline: "All times MUST be in UTC or UTC+local
  offset"), so a timestamp without a zone is never guessed at: it is an error.
- **Lenient** (:func:`read_stamp`, :func:`read_date`, :func:`date_heading`): reading what real
  reports and whiteboards write, and saying what a text tells of a moment. Forms seen in
  Bugzilla: ``2025-03-18 15:06 UTC``, ``2025-03-18T15:06Z``, ``2024-09-25 – 11:33 UTC``,
  ``Sep 25, 2024 11:33 UTC``, ``25 September 2024, 11:33 (UTC+2)``, ``2025-03-18 15:06 +02:00``,
  a date heading followed by time-only rows (``- 15:06 ...``), and table rows. Named zones
  such as PT or CET are not explicit (their offset changes with daylight saving time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_YEAR, MAX_YEAR = 1950, 2199
"""Moments an incident file or option may name: far enough from the calendar's ends that
adding a deadline never overflows."""


class TimestampError(ValueError):
    """A timestamp that cannot be read as an ISO 8601 date-time with a zone."""


def parse_timestamp(value: str | datetime | None) -> datetime:
    """Read an ISO 8601 date-time that carries ``Z`` or an offset; return it in UTC.

    >>> parse_timestamp("2026-10-14T13:47:00+02:00").isoformat()
    '2026-10-14T11:47:00+00:00'
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimestampError(f"timestamp {value.isoformat()} has no time zone")
        return value.astimezone(UTC)
    if value is None:
        raise TimestampError(
            "expected a timestamp with a zone, e.g. '2026-10-14T13:47Z'; got nothing"
        )
    if not isinstance(value, str):
        raise TimestampError(f"expected an ISO 8601 timestamp with a zone; got {value!r}")
    text = value.strip()
    if _DATE_ONLY.match(text):
        raise TimestampError(
            f"'{text}' has no time of day: write a date-time to the minute with a zone, "
            f"e.g. '{text}T14:30Z'"
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimestampError(
            f"'{text}' is not an ISO 8601 timestamp: expected e.g. '2026-10-14T13:47Z' "
            "or '2026-10-14T15:47+02:00'"
        ) from None
    if parsed.tzinfo is None:
        raise TimestampError(
            f"'{text}' has no time zone: add 'Z' for UTC or an offset such as '+02:00'"
        )
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise TimestampError(
            f"'{text}' is outside the years {MIN_YEAR} to {MAX_YEAR} that incidents are about"
        )
    return parsed.astimezone(UTC)


def parse_date(value: str | date | None) -> date:
    """Read a calendar date ``YYYY-MM-DD`` (action-item due dates, related bugs)."""
    if value is None:
        raise TimestampError("expected a date YYYY-MM-DD; got nothing")
    if isinstance(value, datetime):
        raise TimestampError("expected a date YYYY-MM-DD, not a date-time")
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not _DATE_ONLY.match(text):
        raise TimestampError(f"'{text}' is not a date: expected YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise TimestampError(f"'{text}' is not a valid date: {exc}") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise TimestampError(f"'{text}' is outside the years {MIN_YEAR} to {MAX_YEAR}")
    return day


def require_aware(moment: datetime, what: str = "as_of") -> datetime:
    """A moment handed to a job must carry its zone: a naive one is a programming error."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC inside), got {moment.isoformat()}")
    return moment


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, to the second: the form of every machine-readable output."""
    utc = moment.astimezone(UTC)
    # strftime does not pad years before 1000, which broken certificates do carry.
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def report_time(moment: datetime) -> str:
    """UTC to the minute, the form reviewers read in a report: ``2026-10-14 13:47 UTC``."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%d %H:%M} UTC"


# Lenient mode: what real reports write.

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
_OFFSET = r"(?:utc|gmt)?\s*(?P<sign>[+\-−])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?"
ZONE = re.compile(
    rf"(?P<utc>\b(?:utc|gmt)\b(?!\s*[+\-−]\s*\d)|(?<=\d)z\b)|(?P<offset>{_OFFSET})"
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


def read_stamp(text: str, *, day: date | None = None, window: int = 60) -> Stamp | None:
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
        try:
            moment = (
                naive.replace(tzinfo=timezone(offset)).astimezone(UTC)
                if zone in ("utc", "offset")
                else naive
            )
        except OverflowError:  # year 1 or 9999 with an offset: no moment to compare
            moment = None
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


_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[-./](?P<b>\d{1,2})[-./](?P<y>\d{4})")


def read_date(text: str, *, day_first: bool = False) -> date | None:
    """A calendar date in a cell, field or whiteboard (``2025-01-19``, ``January 19, 2025``).

    ``day_first`` also reads the forms whiteboards carry: ``12-Oct-2023``, ``2023-Oct-11``, and
    ``9-9-2024`` or ``12.9.2023`` day first, as European CAs write them, unless that cannot be a
    date."""
    if day_first:
        text = re.sub(r"^(\d{1,2})-([A-Za-z]{3,9})-(\d{4})", r"\1 \2 \3", text)
        text = re.sub(r"^(\d{4})-([A-Za-z]{3,9})-(\d{1,2})", r"\3 \2 \1", text)
        numeric = _NUMERIC.match(text)
        if numeric is not None:
            a, b, year = int(numeric["a"]), int(numeric["b"]), int(numeric["y"])
            day, month = (a, b) if b <= 12 else (b, a)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    match = DATE.search(text)
    return _date_of(match) if match else None
