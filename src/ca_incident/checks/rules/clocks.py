"""CLK: the incident's own lateness, from its clocks (``ca_incident.clocks``).

These rules judge an incident folder, not a report's text: ``build`` and ``check FOLDER`` turn
each late or overdue clock into a finding, because the IRG expects a CA to disclose its own
lateness. Checking a report alone never runs them.
"""

from __future__ import annotations

from collections.abc import Iterator

from ca_incident.checks.registry import INCIDENT, IRG, Context, Hit, Severity, rule
from ca_incident.checks.report import Report

_WHEN_EXPECTED = f"{IRG}#when-are-reports-expected"
_WHEN_UPDATED = f"{IRG}#when-are-reports-updated"
_BR = "https://cabforum.org/working-groups/server/baseline-requirements/documents/"


def _judged_from_the_incident(report: Report, context: Context) -> Iterator[Hit]:
    """Nothing to find in a text: the findings come from the incident's clocks."""
    yield from ()


CLOCK_RULES: dict[str, str] = {}
"""Clock kind -> the rule that reports it late or overdue."""


def _clock_rule(
    code: str,
    kind: str,
    name: str,
    message: str,
    *,
    what: str,
    why: str,
    example: str,
    fix: str,
    requirement: str,
    source: str,
) -> None:
    CLOCK_RULES[kind] = code
    rule(
        code,
        name,
        Severity.ERROR,
        INCIDENT,
        message,
        what=what,
        why=why,
        example=example,
        fix=fix,
        requirement=requirement,
        source=source,
    )(_judged_from_the_incident)


_clock_rule(
    "CLK001",
    "first-report",
    "first-report-late",
    "the first report was posted (or is due) more than 72 hours after awareness",
    what="Compares the first Preliminary or Full report (or first response to a third "
    "party's report) with awareness.at + 72 hours.",
    why="IRG 3.2: 'Within 72 hours of a CA Owner becoming aware of an incident ... the CA "
    "Owner MUST either: disclose a Preliminary or Full Incident Report; or respond to a "
    "Preliminary Incident Report previously created for the incident by a third party "
    "reporter.' A late disclosure is reported as an incident of its own.",
    example="awareness.at: 2026-10-14T13:47Z; posted.preliminary: 2026-10-20T09:00Z",
    fix="Disclose the lateness in the report's timeline and Analysis; post reports on time.",
    requirement="REQ-TIME-1",
    source=_WHEN_EXPECTED,
)
_clock_rule(
    "CLK002",
    "full-report",
    "full-report-late",
    "the Full report was posted (or is due) more than 14 days after the initial disclosure",
    what="Compares posted.full with 14 days after the first report in the bug (the CA's or a "
    "third party's), whatever the incident's stage.",
    why="IRG 3.2: 'While Full Incident Reports SHOULD be posted as soon as possible, they MUST "
    "be posted within 14 days of the incident's initial disclosure.'",
    example="posted.preliminary: 2026-10-15T09:20Z; posted.full: 2026-11-02T10:00Z",
    fix="Post the Full report; say in it that it is late and why.",
    requirement="REQ-TIME-4",
    source=_WHEN_EXPECTED,
)
_clock_rule(
    "CLK003",
    "update",
    "update-late",
    "an update was posted (or is due) after the Next update date, 7 days, or 3 days after an "
    "action item changed",
    what="Follows the update cadence: the whiteboard's Next update, else 7 days after the "
    "last update; 7 days at most on a revocation-delay bug; 3 days after an action item is "
    "changed, completed or delayed.",
    why='IRG 3.2: \'open incident reports MUST be updated: on or before the "Next update" '
    'date ...; within 7 days, if a "Next update" date is not recorded; or within 3 days of '
    "an Action Item being changed, completed, or delayed.'",
    example="posted.updates: [2026-11-01T10:00Z, 2026-11-12T10:00Z]  (11 days apart)",
    fix="Post the update; agree a Next update date on the whiteboard for longer waits.",
    requirement="REQ-TIME-6, REQ-TIME-8",
    source=_WHEN_UPDATED,
)
_clock_rule(
    "CLK004",
    "question",
    "question-answered-late",
    "a question was answered (or is unanswered) more than 7 days after it was asked",
    what="Compares each question's answered with asked + 7 days.",
    why="IRG 3.2: 'CA Owners SHOULD respond promptly to comments and questions, and MUST "
    "respond within 7 days, even if only to acknowledge the request and provide a timeline "
    "for a full response.'",
    example="questions: [{asked: 2026-11-02T08:15Z, by: a root program}]  (open on 11-12)",
    fix="Answer, even if only to acknowledge the question and say when the full answer comes.",
    requirement="REQ-TIME-5",
    source=_WHEN_UPDATED,
)
_clock_rule(
    "CLK005",
    "cpr-response",
    "problem-report-response-late",
    "the preliminary report to the reporter and the Subscriber came (or is due) more than 24 "
    "hours after the Certificate Problem Report",
    what="Compares the timeline's problem-report-received with the later of "
    "preliminary-report-to-reporter and preliminary-report-to-subscriber.",
    why="BR 4.9.5: 'Within 24 hours after receiving a Certificate Problem Report, the CA SHALL "
    "... provide a preliminary report on its findings to both the Subscriber and the entity "
    "who filed the Certificate Problem Report.'",
    example="problem-report-received 2026-10-14T13:47Z; preliminary-report-to-subscriber "
    "2026-10-15T17:10Z  (27 h 23 min)",
    fix="Send both preliminary reports within 24 hours; record each in the timeline.",
    requirement="REQ-TIME-10",
    source=_BR,
)
_clock_rule(
    "CLK006",
    "revocation",
    "revocation-late",
    "revocation was published (or is due) after the BR 4.9.1 deadline",
    what="Compares revocation, as the CRLs publish it (else the timeline's "
    "revocation-completed), with the BR window from receipt of the problem report.",
    why="BR 4.9.5: 'The period from receipt of the Certificate Problem Report or "
    "revocation-related notice to published revocation MUST NOT exceed the time frame set "
    "forth in Section 4.9.1.1.' A late revocation needs its own revocation-delay report.",
    example="reason 12 (5 days) from 2026-10-14T13:47Z; revoked 2026-10-21",
    fix="Revoke; file the separate revocation-delay report the root programs require.",
    requirement="REQ-REV-TLS-5D",
    source=_BR,
)
