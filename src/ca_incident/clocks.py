"""The clocks of an open incident (CCADB IRG 3.2 "When are reports expected / updated?"):

- the first report within 72 hours of the CA becoming aware;
- the Full report within 14 days of the first disclosure;
- an update by the whiteboard's "Next update" date, or else 7 days after the last update;
- an update within 3 days of an action item's status changing;
- the revocation deadline of BR 4.9.1 (when the incident has a revocation section);
- each open action item's due date.

A clock is overdue when its moment has passed at ``as_of``; ``status`` exits 1 then, so it can
run from cron or CI.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from ca_incident.checks.stamps import parse_date_value
from ca_incident.incident_file import INCIDENT_FILE
from ca_incident.model import ActionStatus, EventKind, Incident, Stage
from ca_incident.revocation.deadlines import deadline

FIRST_REPORT = timedelta(hours=72)
FULL_REPORT = timedelta(days=14)
UPDATE_EVERY = timedelta(days=7)
AFTER_STATUS_CHANGE = timedelta(days=3)

_NEXT_UPDATE = re.compile(
    r"next[ _-]?update\s*[:\-\u2013]?\s*(?:at|on|by)?\s*(?P<when>[^\]\[]{4,30})", re.IGNORECASE
)
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[-./](?P<b>\d{1,2})[-./](?P<y>\d{4})")


@dataclass(frozen=True)
class Clock:
    what: str
    due: datetime
    overdue: bool


def next_update(whiteboard: list[str]) -> date | None:
    """The "Next update" date of a whiteboard, in any of the forms seen in Bugzilla:
    ``Next update 2026-04-30``, ``Next update 12-Oct-2023``, ``Next update 2023-Oct-11``,
    ``Next update 9-9-2024``, ``Next update at 12.9.2023``, ``[Next Update: 2025-03-18]``."""
    match = _NEXT_UPDATE.search(" ".join(whiteboard))
    if match is None:
        return None
    text = match["when"].strip()
    text = re.sub(r"^(\d{1,2})-([A-Za-z]{3,9})-(\d{4})", r"\1 \2 \3", text)
    text = re.sub(r"^(\d{4})-([A-Za-z]{3,9})-(\d{1,2})", r"\3 \2 \1", text)
    numeric = _NUMERIC.match(text)
    if numeric is not None:
        # Day first, as European CAs write it, unless that cannot be a date.
        a, b, year = int(numeric["a"]), int(numeric["b"]), int(numeric["y"])
        day, month = (a, b) if b <= 12 else (b, a)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return parse_date_value(text)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def clocks(incident: Incident, as_of: datetime) -> list[Clock]:
    """Every pending deadline of the incident, soonest first."""
    if incident.stage is Stage.CLOSED:
        return []
    found: list[tuple[str, datetime]] = []
    posted = incident.posted
    first_disclosure = posted.preliminary or posted.full
    if first_disclosure is None:
        found.append(
            ("first report (72 hours after awareness)", incident.awareness.at + FIRST_REPORT)
        )
    if posted.full is None and incident.stage is Stage.PRELIMINARY:
        start = first_disclosure or incident.awareness.at + FIRST_REPORT
        found.append(("Full report (14 days after the first disclosure)", start + FULL_REPORT))
    last = max(
        (m for m in (posted.preliminary, posted.full, posted.closure, posted.last_update) if m),
        default=None,
    )
    if last is not None and incident.stage is not Stage.CLOSURE:
        agreed = next_update(list(incident.whiteboard))
        if agreed is not None:
            found.append(("update (whiteboard Next update)", _end_of(agreed)))
        else:
            found.append(("update (7 days after the last)", last + UPDATE_EVERY))
    for index, item in enumerate(incident.action_items, start=1):
        if item.status_changed is not None and (last is None or item.status_changed > last):
            found.append(
                (
                    f"update: action item {index} changed status",
                    item.status_changed + AFTER_STATUS_CHANGE,
                )
            )
        if item.status not in (ActionStatus.COMPLETE, ActionStatus.CANCELED):
            found.append((f"action item {index} due ({item.description[:50]})", _end_of(item.due)))
    plan = incident.revocation
    revoked = any(e.kind is EventKind.REVOCATION_COMPLETED for e in incident.timeline)
    if plan is not None and not revoked and incident.revocation_clock is not None:
        due = deadline(
            incident.revocation_clock,
            plan.reason,
            smime=plan.smime,
            ca_certificate=plan.ca_certificates,
        ).due
        found.append(
            (f"revocation ({deadline_label(plan.reason, plan.smime, plan.ca_certificates)})", due)
        )
    return sorted((Clock(what, due, as_of > due) for what, due in found), key=lambda c: c.due)


def deadline_label(reason: int, smime: bool, ca_certificates: bool) -> str:
    prefix = "S/MIME BR" if smime else "TLS BR"
    return f"{prefix} 4.9.1.{2 if ca_certificates else 1} #{reason}"


def incident_folders(paths: list[Path]) -> list[Path]:
    """The incident folders among ``paths``, or under them."""
    found: list[Path] = []
    for path in paths:
        if (path / INCIDENT_FILE).exists():
            found.append(path)
        elif path.is_dir():
            found += sorted(
                p.parent
                for p in path.rglob(INCIDENT_FILE)
                if not any(part.startswith(".") for part in p.relative_to(path).parts)
                and "out" not in p.relative_to(path).parts
            )
    return found


def ics(entries: list[tuple[Incident, Path, list[Clock]]], as_of: datetime) -> bytes:
    """An iCalendar file of every deadline, one event each."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//ca-incident//incident clocks//EN")
    calendar.add("version", "2.0")
    for incident, path, found in entries:
        for clock in found:
            event = Event()
            uid = hashlib.sha256(
                f"{path}|{clock.what}|{clock.due.isoformat()}".encode()
            ).hexdigest()[:32]
            event.add("uid", f"{uid}@ca-incident")
            event.add("dtstamp", as_of)
            event.add("dtstart", clock.due)
            event.add("dtend", clock.due + timedelta(minutes=30))
            event.add("summary", f"{incident.bugzilla_summary}: {clock.what}")
            bug = (
                f"https://bugzilla.mozilla.org/show_bug.cgi?id={incident.bug}"
                if incident.bug
                else str(path)
            )
            event.add("description", f"{clock.what}, due {clock.due:%Y-%m-%d %H:%M} UTC. {bug}")
            calendar.add_component(event)
    return bytes(calendar.to_ical())
