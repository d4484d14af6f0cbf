"""Timezone-aware time: UTC inside, ISO 8601 with ``Z`` outside.

Incident reports are judged on their timestamps (IRG 3.2 Timeline: "All times MUST be in UTC or
UTC+local offset"), so a timestamp without a zone is never guessed at: it is an error.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
        return date.fromisoformat(text)
    except ValueError as exc:
        raise TimestampError(f"'{text}' is not a valid date: {exc}") from None


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
