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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ca_incident.model import ActionStatus, EventKind, Incident, Stage
from ca_incident.revocation.deadlines import Deadline, deadline
from ca_incident.whiteboard import next_update

FIRST_REPORT = timedelta(hours=72)
FULL_REPORT = timedelta(days=14)
UPDATE_EVERY = timedelta(days=7)
AFTER_STATUS_CHANGE = timedelta(days=3)

IRG_EXPECTED = "IRG 3.2 When are reports expected?"
IRG_UPDATED = "IRG 3.2 When are reports updated?"
BR_491 = "BR 4.9.1"


@dataclass(frozen=True)
class Clock:
    kind: str
    """first-report, full-report, update, action-item or revocation."""
    what: str
    due: datetime
    overdue: bool
    source: str = ""


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def first_disclosure(incident: Incident) -> datetime | None:
    """When the first report was posted in the bug."""
    posted = incident.posted
    return min((m for m in (posted.preliminary, posted.full) if m), default=None)


def full_report_due(incident: Incident) -> datetime:
    """14 days after the initial disclosure; until one is posted, after the 72-hour deadline."""
    start = first_disclosure(incident) or incident.awareness.at + FIRST_REPORT
    return start + FULL_REPORT


def revocation_deadline(incident: Incident) -> Deadline | None:
    """The BR 4.9.1 revocation deadline of the incident's revocation section, if it has one."""
    plan, started = incident.revocation, incident.revocation_clock
    if plan is None or started is None:
        return None
    return deadline(started, plan.reason, smime=plan.smime, ca_certificate=plan.ca_certificates)


def clocks(incident: Incident, as_of: datetime) -> list[Clock]:
    """Every pending deadline of the incident, soonest first."""
    if incident.stage is Stage.CLOSED:
        return []
    found: list[tuple[str, str, datetime, str]] = []
    posted = incident.posted
    disclosed = first_disclosure(incident)
    if disclosed is None:
        found.append(
            (
                "first-report",
                "first report (72 hours after awareness)",
                incident.awareness.at + FIRST_REPORT,
                IRG_EXPECTED,
            )
        )
    if posted.full is None and incident.stage is Stage.PRELIMINARY:
        found.append(
            (
                "full-report",
                "Full report (14 days after the first disclosure)",
                full_report_due(incident),
                IRG_EXPECTED,
            )
        )
    last = max(
        (m for m in (posted.preliminary, posted.full, posted.closure, posted.last_update) if m),
        default=None,
    )
    if last is not None and incident.stage is not Stage.CLOSURE:
        agreed = next_update(incident.whiteboard)
        if agreed is not None:
            found.append(
                ("update", "update (whiteboard Next update)", _end_of(agreed), IRG_UPDATED)
            )
        else:
            found.append(
                ("update", "update (7 days after the last)", last + UPDATE_EVERY, IRG_UPDATED)
            )
    for index, item in enumerate(incident.action_items, start=1):
        if item.status_changed is not None and (last is None or item.status_changed > last):
            found.append(
                (
                    "update",
                    f"update: action item {index} changed status",
                    item.status_changed + AFTER_STATUS_CHANGE,
                    IRG_UPDATED,
                )
            )
        if item.status not in (ActionStatus.COMPLETE, ActionStatus.CANCELED):
            found.append(
                (
                    "action-item",
                    f"action item {index} due ({item.description[:50]})",
                    _end_of(item.due),
                    "the incident's action items",
                )
            )
    plan = incident.revocation
    revoked = any(e.kind is EventKind.REVOCATION_COMPLETED for e in incident.timeline)
    due = revocation_deadline(incident)
    if plan is not None and not revoked and due is not None:
        found.append(
            (
                "revocation",
                f"revocation ({deadline_label(plan.reason, plan.smime, plan.ca_certificates)})",
                due.due,
                due.reason.section,
            )
        )
    return sorted(
        (Clock(kind, what, moment, as_of > moment, source) for kind, what, moment, source in found),
        key=lambda c: c.due,
    )


def deadline_label(reason: int, smime: bool, ca_certificates: bool) -> str:
    prefix = "S/MIME BR" if smime else "TLS BR"
    return f"{prefix} 4.9.1.{2 if ca_certificates else 1} #{reason}"


def ics(entries: list[tuple[Incident, str, list[Clock]]], as_of: datetime) -> bytes:
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
