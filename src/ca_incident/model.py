"""The incident: everything the CCADB Incident Reporting Guidelines (IRG) 3.2 templates and the
seven legacy topics ask of a CA, as structured data.

Names follow the guidelines' own words (contributing factor, action item, remaining valid) so a
reader who knows the IRG recognises every type. Timestamps are timezone-aware and held in UTC.

Type checks (enums, timestamps, required fields) are pydantic's. Checks across fields — ids
that must exist, what each report stage requires — live in :func:`consistency_issues` and are
run by the model's validator, so an ``Incident`` that exists is a consistent one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from ca_incident.revocation.deadlines import MAX_REASON, reason_numbers
from ca_incident.timeutil import parse_date, parse_timestamp

CONTROL_CHARACTERS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (ANSI escapes, NUL) and bidirectional overrides: they change how text
reads on a terminal or in a report, so no text field may carry them."""


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    found = CONTROL_CHARACTERS.search(value)
    if found is not None:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start() + 1}: remove it (text may hold line breaks and tabs, nothing else)"
        )
    return value.strip()


def one_line(value: str) -> str:
    """Text fit for a name or a title: no control characters, no line break."""
    result = _line(value)
    assert isinstance(result, str)
    return result


def _line(value: Any) -> Any:
    value = _text(value)
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise ValueError("must be one line: remove the line break")
    return value


Timestamp = Annotated[datetime, BeforeValidator(parse_timestamp)]
"""An ISO 8601 date-time with ``Z`` or an offset, held in UTC."""

Day = Annotated[date, BeforeValidator(parse_date)]
"""A calendar date ``YYYY-MM-DD``."""

Text = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
"""Text that must say something: blank is an error, ``N/A`` is written by the renderer."""

Line = Annotated[str, BeforeValidator(_line), Field(min_length=1)]
"""Text on one line: names and titles, shown where a line break would forge a line."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _identifier(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            f"'{value}' is not an id: use letters, digits, '.', '_' or '-', e.g. 'CF-1'"
        )
    return value


Identifier = Annotated[str, BeforeValidator(_text), AfterValidator(_identifier)]


CCADB_ID = re.compile(r"A\d{6}")
"""IRG 3.2: the CA Owner's CCADB unique ID 'begins with "A" followed by a six-digit number'."""


def _ccadb_id(value: str) -> str:
    if not CCADB_ID.fullmatch(value):
        raise ValueError(
            f"'{value}' is not a CCADB unique ID: expected 'A' followed by six digits, "
            "e.g. 'A000123'"
        )
    return value


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        use_enum_values=False,
        validate_default=True,
        use_attribute_docstrings=True,
    )


class Stage(StrEnum):
    """Where the incident is in the IRG report lifecycle."""

    PRELIMINARY = "preliminary"
    FULL = "full"
    CLOSURE = "closure"
    CLOSED = "closed"


class DisclosureSource(StrEnum):
    """IRG 3.2 Summary, "Source of incident disclosure"."""

    SELF_REPORTED = "Self Reported"
    THIRD_PARTY_REPORTED = "Third Party Reported"
    AUDIT = "Audit"


class AwarenessChannel(StrEnum):
    """How the CA first became aware (legacy topic 1)."""

    PROBLEM_REPORT = "problem-report"
    AUDIT = "audit"
    SELF_AUDIT = "self-audit"
    BUGZILLA = "bugzilla"
    MAILING_LIST = "mailing-list"
    ROOT_PROGRAM = "root-program"
    OTHER = "other"


class EventKind(StrEnum):
    """The IRG 3.2 "Expected Timeline elements", plus ``other``."""

    CONTRIBUTING_CHANGE = "contributing-change"
    INCIDENT_BEGAN = "incident-began"
    CA_AWARE = "ca-aware"
    PROBLEM_REPORT_RECEIVED = "problem-report-received"
    PRELIMINARY_REPORT_TO_REPORTER = "preliminary-report-to-reporter"
    PRELIMINARY_REPORT_TO_SUBSCRIBER = "preliminary-report-to-subscriber"
    SCOPE_DISCLOSED = "scope-disclosed"
    SCOPE_UPDATED = "scope-updated"
    REVOCATION_EXPECTED = "revocation-expected"
    REVOCATION_COMPLETED = "revocation-completed"
    INCIDENT_ENDED = "incident-ended"
    ISSUANCE_STOPPED = "issuance-stopped"
    ISSUANCE_RESUMED = "issuance-resumed"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _EVENT_LABELS[self]


_EVENT_LABELS = {
    EventKind.CONTRIBUTING_CHANGE: "contributing change",
    EventKind.INCIDENT_BEGAN: "incident began",
    EventKind.CA_AWARE: "CA became aware",
    EventKind.PROBLEM_REPORT_RECEIVED: "Certificate Problem Report received",
    EventKind.PRELIMINARY_REPORT_TO_REPORTER: "preliminary report to reporter",
    EventKind.PRELIMINARY_REPORT_TO_SUBSCRIBER: "preliminary report to Subscriber",
    EventKind.SCOPE_DISCLOSED: "scope and impact disclosed",
    EventKind.SCOPE_UPDATED: "scope and impact updated",
    EventKind.REVOCATION_EXPECTED: "revocation expected",
    EventKind.REVOCATION_COMPLETED: "revocation completed",
    EventKind.INCIDENT_ENDED: "incident ended",
    EventKind.ISSUANCE_STOPPED: "issuance stopped",
    EventKind.ISSUANCE_RESUMED: "issuance resumed",
    EventKind.OTHER: "",
}


class CertificateKind(StrEnum):
    TLS = "tls"
    SMIME = "smime"
    NONE = "none"


class ValidationType(StrEnum):
    """CA/Browser Forum validation types (IRG 3.2 Impact, "Affected certificate types")."""

    DV = "DV"
    IV = "IV"
    OV = "OV"
    EV = "EV"
    SMIME = "S/MIME"


class ActionKind(StrEnum):
    PREVENT = "Prevent"
    MITIGATE = "Mitigate"
    DETECT = "Detect"


class ActionStatus(StrEnum):
    ONGOING = "Ongoing"
    COMPLETE = "Complete"
    DELAYED = "Delayed"
    CANCELED = "Canceled"


CLOSED_STATUSES = frozenset({ActionStatus.COMPLETE, ActionStatus.CANCELED})
"""Statuses an action item ends in."""


class Policy(_Model):
    """A requirement the incident breaks: IRG "policy name(s), version(s) and section(s)"."""

    document: Text
    """The policy's name, e.g. ``TLS Baseline Requirements``, ``Mozilla Root Store Policy``."""
    version: Text
    """The version in force, e.g. ``2.2.6``. Quote it when it looks like a number (``"2.10"``)."""
    section: Text
    """The section, e.g. ``7.1.2.7.4``."""

    def __str__(self) -> str:
        return f"{self.document} v{self.version.removeprefix('v')}, section {self.section}"


class NonCompliance(_Model):
    """IRG 3.2 Summary, "Timeline summary"."""

    start: Timestamp | None = None
    """When the non-compliance began (required from the Full report on)."""
    identified: Timestamp
    """When the non-compliance was detected."""
    end: Timestamp | None = None
    """When it ended; leave out while it is ongoing."""
    end_expected: bool = False
    """True when ``end`` is a forecast: when the non-compliance is expected to end."""


class Summary(_Model):
    """IRG 3.2 Summary."""

    description: Text
    """A short description that gives a new reader enough context."""
    relevant_policies: list[Policy] = Field(min_length=1)
    """Every requirement broken: document, version and section."""
    source: DisclosureSource
    """``Self Reported``, ``Third Party Reported`` or ``Audit``."""
    non_compliance: NonCompliance | None = None
    """The Timeline summary: start, identified and end (required from the Full report on)."""


class Awareness(_Model):
    """How and when the CA first became aware (legacy topic 1)."""

    channel: AwarenessChannel
    """problem-report, audit, self-audit, bugzilla, mailing-list, root-program or other."""
    at: Timestamp
    """When the CA became aware; starts the 72-hour clock of the first report."""
    detail: Text
    """How: who reported what, or which check found it."""


class Event(_Model):
    """One timeline entry."""

    at: Timestamp
    """When it happened, to the minute, with a zone."""
    kind: EventKind = EventKind.OTHER
    """Which IRG expected timeline element it is, or ``other``."""
    text: Text
    """What happened."""


class Issuance(_Model):
    """Whether issuance stopped. A "yes" is a pledge to the community; a "no" needs a reason."""

    stopped: bool
    """yes or no. A yes is a pledge to the community."""
    stopped_at: Timestamp | None = None
    """When issuance stopped (required when stopped)."""
    resumed_at: Timestamp | None = None
    """When issuance resumed, if it has."""
    explanation: Text
    """Why issuance was stopped, or why not."""


class Statistic(_Model):
    """A figure for an incident whose unit is not the certificate (CRLs, OCSP responses)."""

    label: Text
    """What is counted, e.g. ``CRLs published late``."""
    value: Text
    """The figure, e.g. ``"19"``."""


class AffectedCounts(_Model):
    """Counts stated by hand, for a problem whose certificates the CA cannot hand to the tool."""

    count: int = Field(ge=0)
    """Affected certificates, expired and revoked ones included."""
    remaining_valid: int = Field(ge=0)
    """Affected certificates neither expired nor revoked."""
    first_not_before: Timestamp | None = None
    """notBefore of the first affected certificate."""
    last_not_before: Timestamp | None = None
    """notBefore of the last affected certificate."""
    types: list[ValidationType] = Field(default_factory=list)
    """Validation types present: DV, IV, OV, EV, S/MIME."""


class Problem(_Model):
    """A distinct problem: one requirement broken, with its own set of affected certificates."""

    id: Identifier
    """A short id, used in file names: letters, digits, ``.``, ``_``, ``-``."""
    description: Text
    """What is wrong."""
    requirement: Text
    """The requirement it breaks, e.g. ``TLS BR 7.1.2.7.4``."""
    certificate_kind: CertificateKind
    """tls, smime, or none for an incident whose unit is not the certificate."""
    certificates: list[Text] = Field(default_factory=list)
    """Files or folders of the affected certificates, relative to the incident folder."""
    counts: AffectedCounts | None = None
    """Counts stated by hand, only where the certificates cannot be given."""
    statistics: list[Statistic] = Field(default_factory=list)
    """For certificate_kind none: the figures that measure the problem."""


class Impact(_Model):
    """IRG 3.2 Impact; the counts come from the problems."""

    heuristic: Text | None = None
    """How a third party could assemble every affected certificate, why it cannot, or that
    the Appendix lists them all (required from the Full report on)."""
    analysis: Text | None = None
    """Why revocation is delayed; required when the whiteboard says revocation-delay."""
    additional_considerations: Text | None = None
    """Anything else on size and nature, e.g. how precertificates were affected differently."""


class RelatedIncident(_Model):
    """A related Bugzilla incident, of this or another CA Owner, from the last two years."""

    bug: int = Field(gt=0)
    """Its Bugzilla bug number."""
    opened: Day
    """When it was opened."""
    description: Text
    """How it relates to this incident."""

    @property
    def url(self) -> str:
        return f"https://bugzilla.mozilla.org/show_bug.cgi?id={self.bug}"


class ContributingFactor(_Model):
    """IRG 3.2 Root Cause Analysis: one contributing factor."""

    id: Identifier
    """Its id, which action items name in ``addresses``, e.g. ``CF-1``."""
    title: Text
    """A short title."""
    description: Text
    """The condition, its role, and when it first arose."""
    timeline: Text
    """When it was introduced and how it evolved."""
    detection: Text
    """How it was detected, and how it avoided detection before the incident."""
    interaction: Text
    """How it interacted with the other factors."""
    methodology: Text | None = None
    """The analysis method used, e.g. 5-Whys (optional, recommended)."""


class Lesson(_Model):
    id: Identifier
    """Its id, which action items name in ``addresses``, e.g. ``DGW-1``."""
    text: Text
    """The lesson."""


class LessonsLearned(_Model):
    """IRG 3.2 Lessons Learned."""

    went_well: list[Lesson] = Field(default_factory=list)
    """What went well."""
    did_not_go_well: list[Lesson] = Field(default_factory=list)
    """What didn't go well; each MUST have an action item."""
    got_lucky: list[Lesson] = Field(default_factory=list)
    """Where we got lucky; each SHOULD have an action item."""
    additional: list[Lesson] = Field(default_factory=list)
    """Other lessons; each MUST have an action item."""

    def all(self) -> Iterator[tuple[str, int, Lesson]]:
        for group in ("went_well", "did_not_go_well", "got_lucky", "additional"):
            for index, lesson in enumerate(getattr(self, group)):
                yield group, index, lesson


class ActionItem(_Model):
    """IRG 3.2 Action Items: one row."""

    description: Text
    """The action to be taken."""
    kind: ActionKind
    """Prevent, Mitigate or Detect."""
    addresses: list[Identifier] = Field(min_length=1)
    """Ids of the contributing factors and lessons it addresses."""
    evaluation_criteria: Text
    """How its effectiveness will be measured, publicly where possible."""
    due: Day
    """The date by which it will be complete: a binding commitment."""
    status: ActionStatus
    """Ongoing, Complete, Delayed or Canceled."""
    completed: Day | None = None
    """When it was completed (required when Complete): the report is due an update within 3
    days."""
    changed: Timestamp | None = Field(
        default=None, validation_alias=AliasChoices("changed", "status_changed")
    )
    """When it was last changed or delayed: the report is due an update within 3 days
    (``status_changed`` is read as well)."""


class Closure(_Model):
    """IRG 3.2 Report Closure Summary."""

    root_causes: Text
    """A few sentences summarising the root causes."""
    remediation: Text
    """A few sentences summarising the remediation."""
    commitments: Text
    """Ongoing commitments beyond the action items."""


class Revocation(_Model):
    """The revocation clock: why the certificates must be revoked, and since when."""

    reason: int = Field(ge=1, le=MAX_REASON)
    """The reason number of BR section 4.9.1.1 (4.9.1.2 with ``ca_certificates``), e.g. 12 for
    'not issued in accordance with these Requirements'."""
    smime: bool = False
    """True for S/MIME certificates: the S/MIME Baseline Requirements' table applies."""
    ca_certificates: bool = False
    """True when the affected certificates are CA certificates (section 4.9.1.2, 7 days)."""
    clock_started: Timestamp | None = None
    """When the revocation clock started; default: receipt of the problem report, or awareness if
    earlier (BR 4.9.5)."""
    expected_completion: Timestamp | None = None
    """When revocation is expected to be complete, if it is not yet."""
    crls: list[Text] = Field(default_factory=list)
    """CRL files (DER or PEM), relative to the incident folder."""
    issuers: list[Text] = Field(default_factory=list)
    """Issuer certificates whose keys verify the CRLs' signatures."""


class Posted(_Model):
    """When each report and update was posted to Bugzilla: the clocks are judged on these."""

    third_party_report: Timestamp | None = None
    """When a third party's report opened the bug, where one did (the initial disclosure)."""
    first_response: Timestamp | None = None
    """When the CA first responded to a third party's report, if before its own report."""
    preliminary: Timestamp | None = None
    """When the Preliminary report was posted."""
    full: Timestamp | None = None
    """When the Full report was posted."""
    closure: Timestamp | None = None
    """When the Closure report (the Report Closure Summary) was posted."""
    last_update: Timestamp | None = None
    """When the last update was posted to the bug."""
    updates: list[Timestamp] = Field(default_factory=list)
    """When each update was posted, for judging the time between updates."""


class Question(_Model):
    """A question or comment in the bug from someone other than the CA: IRG 3.2, the CA "MUST
    respond within 7 days"."""

    asked: Timestamp
    """When it was asked."""
    by: Line
    """Who asked it."""
    comment: int | Text | None = None
    """The comment number (or its URL)."""
    answered: Timestamp | None = None
    """When the CA answered it; leave out while it is open."""


class Incident(_Model):
    """One incident, as kept in ``incident.yaml``."""

    ca_owner: Line
    """The CA Owner's name, as in the CCADB."""
    ccadb_id: Annotated[str, BeforeValidator(_text), AfterValidator(_ccadb_id)] | None = None
    """The CA Owner CCADB unique ID: ``A`` and six digits (required from the Full report on)."""
    title: Line
    """A brief title; the Bugzilla summary is ``CA Owner: title``."""
    bug: int | None = Field(default=None, gt=0)
    """The Bugzilla bug number, once there is one."""
    whiteboard: list[Line] = Field(default_factory=list)
    """The bug's whiteboard tags, e.g. ``ca-compliance``, ``leaf-revocation-delay``."""
    stage: Stage
    """preliminary, full, closure or closed: the report ``build`` writes."""
    posted: Posted = Field(default_factory=Posted)
    """When each report was posted to Bugzilla."""
    summary: Summary
    """IRG 3.2 Summary."""
    awareness: Awareness
    """How and when the CA first became aware."""
    timeline: list[Event] = Field(default_factory=list)
    """Every relevant event, including those before the CA became aware."""
    issuance: Issuance | None = None
    """Whether issuance stopped (required from the Full report on)."""
    problems: list[Problem] = Field(default_factory=list)
    """Each distinct problem, with its certificates or statistics."""
    impact: Impact = Field(default_factory=Impact)
    """IRG 3.2 Impact, beyond the counts."""
    related_incidents: list[RelatedIncident] = Field(default_factory=list)
    """Related incidents of the last two years, of any CA Owner."""
    contributing_factors: list[ContributingFactor] = Field(default_factory=list)
    """IRG 3.2 Root Cause Analysis."""
    lessons: LessonsLearned = Field(default_factory=LessonsLearned)
    """IRG 3.2 Lessons Learned."""
    action_items: list[ActionItem] = Field(default_factory=list)
    """IRG 3.2 Action Items."""
    questions: list[Question] = Field(default_factory=list)
    """Questions from others in the bug, each answered within 7 days."""
    revocation: Revocation | None = None
    """The revocation clock, and the CRLs that show what was revoked."""
    closure: Closure | None = None
    """IRG 3.2 Report Closure Summary (required from the Closure report on)."""
    appendix_notes: Text | None = None
    """Other supporting data for the Appendix: queries, logs."""

    @property
    def bugzilla_summary(self) -> str:
        """The bug's summary line: ``CA Owner: title``."""
        return f"{self.ca_owner}: {self.title}"

    @property
    def certificate_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.certificate_kind is not CertificateKind.NONE]

    def whiteboard_says(self, word: str) -> bool:
        return any(word in tag for tag in self.whiteboard)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Incident:
        issues = consistency_issues(self)
        if issues:
            sink = (info.context or {}).get("consistency_issues")
            if sink is None:
                raise ValueError(
                    "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in issues)
                )
            sink.extend(issues)
        return self


Loc = tuple[str | int, ...]
Issue = tuple[Loc, str]

_STAGE_ORDER = [Stage.PRELIMINARY, Stage.FULL, Stage.CLOSURE, Stage.CLOSED]


def at_least(stage: Stage, minimum: Stage) -> bool:
    return _STAGE_ORDER.index(stage) >= _STAGE_ORDER.index(minimum)


def consistency_issues(incident: Incident) -> list[Issue]:
    """Everything wrong across fields: references, and what the report stage requires."""
    return [
        *reference_issues(incident.model_dump(mode="python")),
        *_stage_issues(incident),
        *_agreement_issues(incident),
    ]


def reference_issues(data: Mapping[str, Any]) -> list[Issue]:
    """Duplicate ids and action items that address an id nothing defines.

    Works on plain data so that a file with type errors still gets its references checked.
    """
    issues: list[Issue] = []
    defined: set[str] = set()
    addressable: set[str] = set()

    def define(loc: Loc, value: Any, can_be_addressed: bool) -> None:
        if not isinstance(value, str):
            return
        if value in defined:
            issues.append((loc, f"id '{value}' is used twice; ids must be unique"))
        defined.add(value)
        if can_be_addressed:
            addressable.add(value)

    for name in ("problems", "contributing_factors"):
        for index, entry in enumerate(_seq(data.get(name))):
            if isinstance(entry, Mapping):
                define((name, index, "id"), entry.get("id"), name == "contributing_factors")
    lessons = data.get("lessons")
    if isinstance(lessons, Mapping):
        for group in ("went_well", "did_not_go_well", "got_lucky", "additional"):
            for index, entry in enumerate(_seq(lessons.get(group))):
                if isinstance(entry, Mapping):
                    define(("lessons", group, index, "id"), entry.get("id"), True)

    for index, item in enumerate(_seq(data.get("action_items"))):
        if not isinstance(item, Mapping):
            continue
        for ref_index, ref in enumerate(_seq(item.get("addresses"))):
            if isinstance(ref, str) and ref.strip() not in addressable:
                known = ", ".join(sorted(addressable)) or "none defined"
                issues.append(
                    (
                        ("action_items", index, "addresses", ref_index),
                        f"'{ref}' names no contributing factor or lesson (known ids: {known})",
                    )
                )
    return issues


def _seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _stage_issues(incident: Incident) -> list[Issue]:
    """What the IRG 3.2 template of the incident's stage cannot be written without."""
    issues: list[Issue] = []
    stage = incident.stage
    if at_least(stage, Stage.FULL):

        def need(loc: Loc, present: bool, what: str) -> None:
            if not present:
                issues.append((loc, f"the {stage.value} report needs {what}"))

        need(("ccadb_id",), incident.ccadb_id is not None, "the CA Owner CCADB unique ID")
        nc = incident.summary.non_compliance
        need(
            ("summary", "non_compliance"),
            nc is not None,
            "the non-compliance start, identified and end date-times",
        )
        if nc is not None:
            need(("summary", "non_compliance", "start"), nc.start is not None, "a start date-time")
        need(("timeline",), bool(incident.timeline), "a timeline")
        need(("issuance",), incident.issuance is not None, "whether issuance was stopped")
        need(("problems",), bool(incident.problems), "at least one problem")
        need(
            ("impact", "heuristic"), incident.impact.heuristic is not None, "an incident heuristic"
        )
        need(
            ("contributing_factors",),
            bool(incident.contributing_factors),
            "at least one contributing factor",
        )
        need(("action_items",), bool(incident.action_items), "at least one action item")
        if incident.whiteboard_says("revocation-delay"):
            need(
                ("impact", "analysis"),
                incident.impact.analysis is not None,
                "the Analysis, because the whiteboard says revocation-delay",
            )
    if at_least(stage, Stage.CLOSURE):
        if incident.closure is None:
            issues.append((("closure",), f"the {stage.value} report needs the closure summary"))
        for index, item in enumerate(incident.action_items):
            if item.status not in (ActionStatus.COMPLETE, ActionStatus.CANCELED):
                issues.append(
                    (
                        ("action_items", index, "status"),
                        f"is {item.status.value}: a closure report states that all action "
                        "items are complete, so each must be Complete or Canceled",
                    )
                )
    return issues


def _agreement_issues(incident: Incident) -> list[Issue]:
    """Fields that state the same moment twice must agree."""
    issues: list[Issue] = []
    nc = incident.summary.non_compliance
    if nc is not None:
        if nc.start is not None and nc.start > nc.identified:
            issues.append(
                (("summary", "non_compliance", "start"), "is after the identified date-time")
            )
        if nc.end is not None and nc.start is not None and nc.end < nc.start:
            issues.append((("summary", "non_compliance", "end"), "is before the start"))
    issuance = incident.issuance
    if issuance is not None:
        if issuance.stopped and issuance.stopped_at is None:
            issues.append(
                (("issuance", "stopped_at"), "issuance stopped (a pledge) needs when it stopped")
            )
        if not issuance.stopped and (issuance.stopped_at or issuance.resumed_at):
            issues.append((("issuance", "stopped"), "is no, but stopped_at or resumed_at is given"))
        if (
            issuance.stopped_at is not None
            and issuance.resumed_at is not None
            and issuance.resumed_at < issuance.stopped_at
        ):
            issues.append((("issuance", "resumed_at"), "is before stopped_at"))
    stated = {
        EventKind.CA_AWARE: (("awareness", "at"), incident.awareness.at),
        EventKind.INCIDENT_BEGAN: (
            ("summary", "non_compliance", "start"),
            nc.start if nc else None,
        ),
        EventKind.ISSUANCE_STOPPED: (
            ("issuance", "stopped_at"),
            issuance.stopped_at if issuance else None,
        ),
        EventKind.ISSUANCE_RESUMED: (
            ("issuance", "resumed_at"),
            issuance.resumed_at if issuance else None,
        ),
    }
    for kind, (loc, moment) in stated.items():
        events = [e for e in incident.timeline if e.kind is kind]
        if moment is not None and events and all(e.at != moment for e in events):
            stated_there = f"{events[0].at:%Y-%m-%dT%H:%MZ}"
            issues.append(
                (loc, f"disagrees with the timeline's '{kind.value}' event ({stated_there})")
            )
    revocation = incident.revocation
    if revocation is not None:
        top = max(reason_numbers(smime=revocation.smime, ca_certificate=revocation.ca_certificates))
        if revocation.reason > top:
            issues.append(
                (
                    ("revocation", "reason"),
                    f"{revocation.reason} is not a reason of that table: expected 1 to {top}",
                )
            )
    for index, question in enumerate(incident.questions):
        if question.answered is not None and question.answered < question.asked:
            issues.append((("questions", index, "answered"), "is before the question was asked"))
    for index, item in enumerate(incident.action_items):
        if item.status is ActionStatus.COMPLETE and item.completed is None:
            issues.append(
                (("action_items", index, "completed"), "a Complete action item needs its date")
            )
    for index, problem in enumerate(incident.problems):
        if problem.certificate_kind is CertificateKind.NONE:
            if problem.certificates or problem.counts:
                issues.append(
                    (
                        ("problems", index, "certificate_kind"),
                        "is none, but certificates or counts are given",
                    )
                )
            if not problem.statistics:
                issues.append(
                    (
                        ("problems", index, "statistics"),
                        "a problem that affects no certificates needs its statistics "
                        "(e.g. number of CRLs, hours late)",
                    )
                )
        elif problem.certificates and problem.counts is not None:
            issues.append(
                (
                    ("problems", index, "counts"),
                    "give certificates or counts, not both: with certificates the counts are "
                    "computed from them",
                )
            )
        elif not problem.certificates and problem.counts is None:
            issues.append(
                (
                    ("problems", index, "certificates"),
                    "a certificate problem needs its certificates (files or folders) or, "
                    "if they cannot be given, its counts",
                )
            )
    return issues
