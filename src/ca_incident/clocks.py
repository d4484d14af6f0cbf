"""The deadline engine: every clock of an incident, computed from its facts, met and late ones
included.

Each clock has a ``kind``, its ``due`` moment, when it was ``done`` (or None), and whether it is
``overdue`` (not done and past due) or ``late`` (done after due). :data:`CLOCKS` is the table of
every kind: what starts it, how long it runs, what stops it, and the sentence of the source it
implements; docs/clocks.md is generated from it.

Moments given as dates only (an action item's ``completed``) count from the start of that day
for what follows them and to its end for a deadline, so a date never makes a clock look late.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Protocol

from ca_incident.model import CLOSED_STATUSES, ActionStatus, EventKind, Incident, Loc, Stage
from ca_incident.revocation.deadlines import Deadline, deadline
from ca_incident.timeutil import iso_z, require_aware
from ca_incident.whiteboard import is_revocation_delay, next_update

FIRST_REPORT = timedelta(hours=72)
FULL_REPORT = timedelta(days=14)
UPDATE_EVERY = timedelta(days=7)
REVOCATION_DELAY_SHOULD = timedelta(days=3)
AFTER_ACTION_ITEM_CHANGE = timedelta(days=3)
ANSWER_WITHIN = timedelta(days=7)
CPR_RESPONSE = timedelta(hours=24)

IRG_EXPECTED = "IRG 3.2 When are reports expected?"
IRG_UPDATED = "IRG 3.2 When are reports updated?"
IRG_CLOSED = "IRG 3.2 How are reports closed?"
BR_495 = "BR 4.9.5"
BR_491 = "BR 4.9.1.1 and 4.9.5"
ACTION_ITEMS = "IRG 3.2 Action Items (Due Date)"
CLOSURE_NEEDINFO = "incident-reporting@ccadb.org"


@dataclass(frozen=True)
class ClockKind:
    """One row of the clock table."""

    kind: str
    start: str
    length: str
    stop: str
    source: str
    sentence: str
    """The source's own words that the clock implements."""


CLOCKS: tuple[ClockKind, ...] = (
    ClockKind(
        "first-report",
        "the CA became aware (`awareness.at`)",
        "72 hours",
        "the first Preliminary or Full report posted, or the first response to a third "
        "party's report (`posted.preliminary`, `posted.full`, `posted.first_response`)",
        IRG_EXPECTED,
        "Within 72 hours of a CA Owner becoming aware of an incident ... the CA Owner MUST "
        "either: disclose a Preliminary or Full Incident Report; or respond to a Preliminary "
        "Incident Report previously created for the incident by a third party reporter.",
    ),
    ClockKind(
        "full-report",
        "the initial disclosure: the first report in the bug, the CA's or a third party's "
        "(`posted.third_party_report`, `posted.preliminary`, `posted.full`, "
        "`posted.first_response`); until one is posted, the end of the 72 hours",
        "14 days",
        "the Full report posted (`posted.full`), whatever the stage",
        IRG_EXPECTED,
        "While Full Incident Reports SHOULD be posted as soon as possible, they MUST be posted "
        "within 14 days of the incident's initial disclosure.",
    ),
    ClockKind(
        "update",
        "the last report or update posted (`posted.*`, `posted.updates`)",
        "to the whiteboard's Next update date; else 7 days; on a revocation-delay bug 3 days "
        "(SHOULD) and 7 days or the Next update date, the earlier (MUST); 3 days after an "
        "action item is changed, completed or delayed (`changed`, `completed`)",
        "the next update posted; no clock once the Closure Summary is posted "
        "(`posted.closure`) and no question is open, or once the bug is closed",
        IRG_UPDATED,
        "Unless a Closure Report has been posted and no further questions have been raised, "
        "open incident reports MUST be updated: on or before the 'Next update' date in the "
        "'Whiteboard' field of the bug ...; within 7 days, if a 'Next update' date is not "
        "recorded; or within 3 days of an Action Item being changed, completed, or delayed. "
        "In the case of Incident Reports with a Whiteboard field of 'revocation-delay', "
        "reports SHOULD be updated every 3 days and MUST be updated no less frequently than "
        "every 7 days.",
    ),
    ClockKind(
        "question",
        "a question from someone other than the CA (`questions[].asked`)",
        "7 days",
        "the CA's answer (`questions[].answered`)",
        IRG_UPDATED,
        "CA Owners SHOULD respond promptly to comments and questions, and MUST respond "
        "within 7 days, even if only to acknowledge the request and provide a timeline for a "
        "full response.",
    ),
    ClockKind(
        "cpr-response",
        "receipt of the Certificate Problem Report (timeline `problem-report-received`)",
        "24 hours",
        "the later of the preliminary reports to the reporter and to the Subscriber(s) "
        "(timeline `preliminary-report-to-reporter`, `preliminary-report-to-subscriber`)",
        BR_495,
        "Within 24 hours after receiving a Certificate Problem Report, the CA SHALL "
        "investigate the facts and circumstances related to a Certificate Problem Report and "
        "provide a preliminary report on its findings to both the Subscriber and the entity "
        "who filed the Certificate Problem Report.",
    ),
    ClockKind(
        "revocation",
        "receipt of the problem report, or the CA becoming aware if earlier "
        "(`revocation.clock_started` overrides)",
        "the BR 4.9.1 window of the reason: 24 hours, 5 days, or 7 days for CA certificates",
        "revocation published: the CRLs' evidence, else the timeline's `revocation-completed`",
        BR_491,
        "The period from receipt of the Certificate Problem Report or revocation-related "
        "notice to published revocation MUST NOT exceed the time frame set forth in Section "
        "4.9.1.1.",
    ),
    ClockKind(
        "action-item",
        "the action item's commitment",
        "to its Due Date (end of day)",
        "Complete (`completed`); Canceled items have no clock",
        ACTION_ITEMS,
        "Due Date: the date by which the Action Item will be complete.",
    ),
    ClockKind(
        "closure-request",
        "every action item Complete or Canceled, and no question open",
        "7 days after the last completion",
        f"the Closure Summary posted (`posted.closure`), with the needinfo to {CLOSURE_NEEDINFO}",
        IRG_CLOSED,
        "When all Action Items are complete and no outstanding comments or questions remain, "
        "CA Owners MUST (1) request closure in a Bugzilla comment ... and (2) select the "
        "'Request information from' checkbox and add incident-reporting [at] ccadb [dot] org.",
    ),
)
KINDS = tuple(row.kind for row in CLOCKS)
_SOURCE = {row.kind: row.source for row in CLOCKS}


@dataclass(frozen=True)
class Clock:
    kind: str
    """One of :data:`KINDS`."""
    what: str
    due: datetime
    done: datetime | None
    """When it was met (or ended), None while it runs."""
    overdue: bool
    """Not done and past due."""
    late: bool
    """Done after it was due."""
    source: str
    must: bool = True
    """False for a SHOULD (the 3-day updates of a revocation-delay bug)."""
    field: Loc = ()
    """Where in incident.yaml the fact that decides it lives."""

    @property
    def open(self) -> bool:
        return self.done is None

    @property
    def requirement(self) -> str:
        return "MUST" if self.must else "SHOULD"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "due": iso_z(self.due),
            "done": iso_z(self.done) if self.done else None,
            "overdue": self.overdue,
            "late": self.late,
            "requirement": self.requirement,
            "source": self.source,
        }


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _first(moments: Iterable[datetime | None]) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


def first_disclosure(incident: Incident) -> datetime | None:
    """The initial disclosure: the first report posted in the bug, the CA's or a third
    party's."""
    p = incident.posted
    return _first((p.third_party_report, p.preliminary, p.full, p.first_response))


def full_report_due(incident: Incident) -> datetime:
    """14 days after the initial disclosure; until one is posted, after the 72-hour deadline."""
    start = first_disclosure(incident) or incident.awareness.at + FIRST_REPORT
    return start + FULL_REPORT


def problem_report_received(incident: Incident) -> datetime | None:
    return _first(e.at for e in incident.timeline if e.kind is EventKind.PROBLEM_REPORT_RECEIVED)


def revocation_deadline(incident: Incident) -> Deadline | None:
    """The revocation deadline of the incident's revocation section, if it has one: the BR
    window from receipt of the problem report, or from awareness if earlier, unless the
    section says when the clock started."""
    plan = incident.revocation
    if plan is None:
        return None
    started = plan.clock_started or _first(
        (incident.awareness.at, problem_report_received(incident))
    )
    assert started is not None
    return deadline(started, plan.reason, smime=plan.smime, ca_certificate=plan.ca_certificates)


def _posts(incident: Incident) -> list[datetime]:
    """Every report and update the CA posted, in order."""
    p = incident.posted
    moments = {p.first_response, p.preliminary, p.full, p.closure, p.last_update, *p.updates}
    return sorted(m for m in moments if m is not None)


def clocks(
    incident: Incident, as_of: datetime, *, revoked_at: datetime | None = None
) -> list[Clock]:
    """Every clock of the incident, met, late, open or overdue, by due moment.

    ``revoked_at``: when revocation was published, where the CRLs show it (the build knows);
    else the timeline's ``revocation-completed`` event is used."""
    require_aware(as_of)
    found: list[Clock] = []
    closed = incident.stage is Stage.CLOSED

    def add(
        kind: str,
        what: str,
        due: datetime,
        done: datetime | None,
        field: Loc = (),
        *,
        must: bool = True,
    ) -> None:
        if done is None and closed:
            return  # a closed bug has no running clocks
        found.append(
            Clock(
                kind,
                what,
                due,
                done,
                overdue=done is None and as_of > due,
                late=done is not None and done > due,
                source=_SOURCE[kind],
                must=must,
                field=field,
            )
        )

    posted = incident.posted
    posts = _posts(incident)
    first = _first((posted.preliminary, posted.full, posted.first_response))
    add(
        "first-report",
        "first report (72 hours after awareness)",
        incident.awareness.at + FIRST_REPORT,
        first,
        ("posted",) if first else ("awareness", "at"),
    )
    add(
        "full-report",
        "Full report (14 days after the initial disclosure)",
        full_report_due(incident),
        posted.full,
        ("posted", "full") if posted.full else ("posted",),
    )
    _update_clocks(incident, as_of, posts, add)
    for index, question in enumerate(incident.questions):
        where = f" (comment {question.comment})" if question.comment is not None else ""
        add(
            "question",
            f"answer the question of {question.by}{where}",
            question.asked + ANSWER_WITHIN,
            question.answered,
            ("questions", index),
        )
    _cpr_clock(incident, add)
    _revocation_clock(incident, revoked_at, add)
    for index, item in enumerate(incident.action_items, start=1):
        if item.status is ActionStatus.CANCELED:
            continue
        done = _start_of(item.completed) if item.completed else None
        add(
            "action-item",
            f"action item {index} due ({_short(item.description)})",
            _end_of(item.due),
            done,
            ("action_items", index - 1),
        )
    _closure_clock(incident, add)
    return sorted(found, key=lambda c: (c.due, KINDS.index(c.kind)))


class _Add(Protocol):
    """The signature of ``clocks``'s ``add``."""

    def __call__(
        self,
        kind: str,
        what: str,
        due: datetime,
        done: datetime | None,
        field: Loc = (),
        *,
        must: bool = True,
    ) -> None: ...


def _update_clocks(incident: Incident, as_of: datetime, posts: list[datetime], add: _Add) -> None:
    posted = incident.posted
    open_question = any(q.answered is None for q in incident.questions)
    delay_bug = is_revocation_delay(incident.whiteboard)
    agreed = next_update(incident.whiteboard)
    # Between updates already posted: judged only where no Next update date was agreed, since
    # the whiteboard's history is not in the incident file.
    if agreed is None:
        for before, after in pairwise(posts):
            if delay_bug:
                add(
                    "update",
                    "update (revocation delay: every 3 days)",
                    before + REVOCATION_DELAY_SHOULD,
                    after,
                    ("posted",),
                    must=False,
                )
            add(
                "update",
                "update (7 days after the last)",
                before + UPDATE_EVERY,
                after,
                ("posted",),
            )
    for index, item in enumerate(incident.action_items):
        # (from, due, word, key): a change at its moment; a completion on its day, due three
        # days after that day ends.
        moments: list[tuple[datetime, datetime, str]] = []
        if item.changed is not None:
            moments.append((item.changed, item.changed + AFTER_ACTION_ITEM_CHANGE, "changed"))
        if item.completed is not None:
            moments.append(
                (
                    _start_of(item.completed),
                    _end_of(item.completed) + AFTER_ACTION_ITEM_CHANGE,
                    "completed",
                )
            )
        for moment, due, word in moments:
            next_post = _first(m for m in posts if m >= moment)
            add(
                "update",
                f"update: action item {index + 1} {word}",
                due,
                next_post,
                ("action_items", index, word),
            )
    stopped = incident.stage is Stage.CLOSED or (posted.closure is not None and not open_question)
    if not posts or stopped:
        return
    last = posts[-1]
    seven = last + UPDATE_EVERY
    agreed_due = _end_of(agreed) if agreed is not None else None
    if agreed_due is not None and agreed_due < last:
        agreed_due = None  # the date on the whiteboard has passed an update ago
    if delay_bug:
        add(
            "update",
            "update (revocation delay: every 3 days)",
            last + REVOCATION_DELAY_SHOULD,
            None,
            ("whiteboard",),
            must=False,
        )
        due = min(seven, agreed_due) if agreed_due else seven
        add(
            "update", "update (revocation delay: at least every 7 days)", due, None, ("whiteboard",)
        )
    elif agreed_due is not None:
        add("update", "update (whiteboard Next update)", agreed_due, None, ("whiteboard",))
    else:
        add("update", "update (7 days after the last)", seven, None, ("posted",))


def _cpr_clock(incident: Incident, add: _Add) -> None:
    received = problem_report_received(incident)
    if received is None:
        return
    position = next(
        i for i, e in enumerate(incident.timeline) if e.kind is EventKind.PROBLEM_REPORT_RECEIVED
    )

    def sent(kind: EventKind) -> datetime | None:
        return _first(e.at for e in incident.timeline if e.kind is kind and e.at >= received)

    to_reporter = sent(EventKind.PRELIMINARY_REPORT_TO_REPORTER)
    to_subscriber = sent(EventKind.PRELIMINARY_REPORT_TO_SUBSCRIBER)
    done = max(to_reporter, to_subscriber) if to_reporter and to_subscriber else None
    smime = incident.revocation is not None and incident.revocation.smime
    add(
        "cpr-response",
        "preliminary report to the reporter and the Subscriber (24 hours after the problem "
        f"report{', S/MIME BR 4.9.5' if smime else ''})",
        received + CPR_RESPONSE,
        done,
        ("timeline", position),
    )


def _revocation_clock(incident: Incident, revoked_at: datetime | None, add: _Add) -> None:
    plan = incident.revocation
    found = revocation_deadline(incident)
    if plan is None or found is None:
        return
    done = revoked_at or _first(
        e.at for e in incident.timeline if e.kind is EventKind.REVOCATION_COMPLETED
    )
    add(
        "revocation",
        f"revocation ({deadline_label(plan.reason, plan.smime, plan.ca_certificates)}, "
        f"{found.reason.window_hours} hours)",
        found.due,
        done,
        ("revocation",),
    )


def _closure_clock(incident: Incident, add: _Add) -> None:
    items = incident.action_items
    if not items or any(item.status not in CLOSED_STATUSES for item in items):
        return
    if any(q.answered is None for q in incident.questions):
        return
    completed = [item.completed for item in items if item.completed is not None]
    changed = [item.changed for item in items if item.changed is not None]
    ends = [_end_of(day) for day in completed] + changed
    if not ends:
        return
    add(
        "closure-request",
        f"request closure: post the Report Closure Summary and needinfo {CLOSURE_NEEDINFO}",
        max(ends) + UPDATE_EVERY,
        incident.posted.closure,
        ("posted", "closure") if incident.posted.closure else ("action_items",),
    )


def _short(text: str, limit: int = 60) -> str:
    """One line of at most ``limit`` characters, cut at a word, with an ellipsis if cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def deadline_label(reason: int, smime: bool, ca_certificates: bool) -> str:
    prefix = "S/MIME BR" if smime else "TLS BR"
    return f"{prefix} 4.9.1.{2 if ca_certificates else 1} #{reason}"


def ics(entries: list[tuple[Incident, str, list[Clock]]], as_of: datetime) -> bytes:
    """An iCalendar file of every running deadline, one event each."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//ca-incident//incident clocks//EN")
    calendar.add("version", "2.0")
    for incident, path, found in entries:
        for clock in found:
            if not clock.open:
                continue
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
