"""What a bug says about its incident: which comments are reports (template and stage), who
posts for the CA, which questions others asked and when the CA answered, when each report
was posted, and how that compares with what incident.yaml says.

Who posts for the CA is read from the bug, since Bugzilla does not say: the assignee (on
incident bugs, the CA's representative), whoever posted a report after the description, the
bug's creator when the description is a report (unless the bug is assigned to another person
who comments in it: then the description was a third party's report), and any account the
user names (``--ca-account``, or ``ca_accounts`` in the config file). Everyone else is a
reviewer or a third party.

A question is a comment from someone other than the CA with a question mark outside quotes
and links, or a needinfo on a CA account (REQ-TIME-5 in the domain notes: "Classify comments
not written by the CA's accounts that contain a question (a `?`, or a needinfo flag naming
the CA)"); it is answered by the CA's next comment, or when the needinfo is cleared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ca_incident.bugzilla.records import NEEDINFO, CachedBug, Comment, Flag
from ca_incident.checks.report import UNRECOGNISED, Report, parse
from ca_incident.clocks import ANSWER_WITHIN
from ca_incident.model import (
    Awareness,
    AwarenessChannel,
    Incident,
    Posted,
    Question,
    Stage,
    Summary,
)
from ca_incident.templates import Template, get
from ca_incident.timeutil import iso_z, read_stamp, report_time
from ca_incident.whiteboard import next_update

SAME_MOMENT = timedelta(minutes=1)
"""incident.yaml gives times to the minute; Bugzilla to the second."""
NEEDINFO_WITH_COMMENT = timedelta(minutes=5)
"""A needinfo set this close to its setter's comment is that comment's question."""
_NOBODY = re.compile(r"^(nobody@|nobody$)", re.IGNORECASE)
_NEEDINFO_FLAG = re.compile(r"needinfo\?\(([^)]+)\)")
_LINK = re.compile(r"https?://\S+")


def whiteboard_entries(text: str) -> list[str]:
    """A whiteboard as incident.yaml keeps it: each bracketed tag, then the free text.
    ``[ca-compliance] [ov-misissuance] Next update 2026-12-20`` ->
    ``['ca-compliance', 'ov-misissuance', 'Next update 2026-12-20']``."""
    tags = [t.strip() for t in re.findall(r"\[([^\]]*)\]", text) if t.strip()]
    rest = " ".join(re.sub(r"\[[^\]]*\]", " ", text).split())
    return [*tags, rest] if rest else tags


def whiteboard_text(entries: Sequence[str]) -> str:
    """The whiteboard field for incident.yaml's entries: tags in brackets, free text (such as
    ``Next update 2026-12-20``) as it is."""
    tags = [e.strip() for e in entries if e.strip() and next_update([e]) is None]
    free = [e.strip() for e in entries if e.strip() and next_update([e]) is not None]
    return " ".join([*(f"[{t.strip('[]')}]" for t in tags), *free])


def report_template(text: str) -> tuple[Template, Report] | None:
    """The template a comment is a report of, or None when it is not a report."""
    try:
        report = parse(text)
    except Exception:  # an unreadable comment is not a report, never a crash
        return None
    if report.template == UNRECOGNISED:
        return None
    return get(report.template), report


@dataclass(frozen=True)
class ReportComment:
    """A comment that is an incident report."""

    comment: Comment
    template: Template
    report: Report
    by_ca: bool

    @property
    def stage(self) -> Stage:
        return self.template.report_stage

    def as_json(self) -> dict[str, Any]:
        return {
            "comment": self.comment.count,
            "id": self.comment.id,
            "by": self.comment.creator,
            "posted": iso_z(self.comment.time),
            "template": self.template.name,
            "stage": self.stage.value,
            "by_ca": self.by_ca,
        }


@dataclass(frozen=True)
class BugQuestion:
    question: Question
    via: str
    """``comment`` or ``needinfo``."""
    answered_in: int | None = None
    """The comment number of the CA's answer, if a comment answered it."""

    @property
    def due(self) -> datetime:
        """IRG 3.2: the CA "MUST respond within 7 days"."""
        return self.question.asked + ANSWER_WITHIN

    def as_json(self) -> dict[str, Any]:
        q = self.question
        return {
            "asked": iso_z(q.asked),
            "by": q.by,
            "comment": q.comment,
            "via": self.via,
            "answered": iso_z(q.answered) if q.answered else None,
            "answered_in": self.answered_in,
        }


@dataclass
class BugFacts:
    """Everything the bug says that an incident's clocks and file care about."""

    cached: CachedBug
    ca_accounts: frozenset[str]
    reports: list[ReportComment]
    posted: Posted
    posted_comments: dict[str, int] = field(default_factory=dict)
    """Per ``posted`` field, the number of the comment that was that post."""
    update_comments: list[int] = field(default_factory=list)
    questions: list[BugQuestion] = field(default_factory=list)
    whiteboard: list[str] = field(default_factory=list)

    @property
    def bug(self) -> int:
        return self.cached.bug.id

    @property
    def next_update(self) -> date | None:
        return next_update(self.whiteboard)

    @property
    def open_needinfo(self) -> list[Flag]:
        return [f for f in self.cached.bug.flags if f.name == NEEDINFO and f.status == "?"]

    @property
    def stage(self) -> Stage:
        """The stage the CA's reports have reached; closed once the bug is."""
        if not self.cached.bug.is_open:
            return Stage.CLOSED
        stages = [r.stage for r in self.reports if r.by_ca]
        for stage in (Stage.CLOSURE, Stage.FULL):
            if stage in stages:
                return stage
        return Stage.PRELIMINARY

    def latest_report(self, stage: Stage) -> ReportComment | None:
        found = [r for r in self.reports if r.by_ca and r.stage is stage]
        return found[-1] if found else None

    def whiteboard_changes(self) -> list[tuple[datetime, str, str, str]]:
        """(when, who, before, after) for each change of the whiteboard."""
        return [
            (c.when, c.who, c.removed, c.added)
            for c in self.cached.history
            if c.field_name in ("whiteboard", "status_whiteboard")
        ]


def _is_person(account: str) -> bool:
    return bool(account.strip()) and not _NOBODY.match(account.strip())


def ca_accounts(
    cached: CachedBug, reports: Sequence[tuple[Comment, Template]], extra: Iterable[str] = ()
) -> frozenset[str]:
    """The accounts that post for the CA on this bug (see the module's docstring)."""
    bug = cached.bug
    found = {a.strip().lower() for a in extra if a.strip()}
    assignee = bug.assigned_to.strip().lower()
    if _is_person(assignee):
        found.add(assignee)
    for comment, _ in reports:
        if comment.count > 0:
            found.add(comment.creator.strip().lower())
    creator = bug.creator.strip().lower()
    assignee_posts = any(c.creator.strip().lower() == assignee for c in cached.comments)
    if any(c.count == 0 for c, _ in reports) and (
        not _is_person(assignee) or creator in found or not assignee_posts
    ):
        # The description is a report: its author is the CA, unless the bug is assigned to
        # someone else who takes part in it (the CA answering a third party's report).
        found.add(creator)
    return frozenset(found)


def _bare_attachment(comment: Comment) -> bool:
    """A comment Bugzilla wrote for an attachment ("Created attachment N" and its summary),
    with nothing said besides: the attachment goes with a report, it is no update."""
    if comment.attachment_id is None:
        return False
    lines = comment.text.strip().splitlines()
    return (
        bool(lines)
        and lines[0].startswith("Created attachment")
        and not any(line.strip() for line in lines[2:])
    )


def _asks(comment: Comment) -> bool:
    lines = [line for line in comment.text.splitlines() if not line.lstrip().startswith(">")]
    return "?" in _LINK.sub("", "\n".join(lines))


def read_bug(cached: CachedBug, *, extra_ca_accounts: Iterable[str] = ()) -> BugFacts:
    """What the cached bug says: its reports, the CA's posts, the questions and answers."""
    comments = sorted(cached.comments, key=lambda c: (c.count, c.id))
    recognised: list[tuple[Comment, Template, Report]] = []
    for comment in comments:
        found = report_template(comment.text)
        if found is not None:
            recognised.append((comment, found[0], found[1]))
    accounts = ca_accounts(cached, [(c, t) for c, t, _ in recognised], extra_ca_accounts)

    def by_ca(comment: Comment) -> bool:
        return comment.creator.strip().lower() in accounts

    reports = [ReportComment(c, t, r, by_ca(c)) for c, t, r in recognised]
    facts = BugFacts(
        cached=cached,
        ca_accounts=accounts,
        reports=reports,
        posted=Posted(),
        whiteboard=whiteboard_entries(cached.bug.whiteboard),
    )
    moments: dict[str, datetime] = {}
    for report in reports:
        name = report.stage.value
        if report.by_ca and name not in moments:
            moments[name] = report.comment.time
            facts.posted_comments[name] = report.comment.count
    ca_comments = [c for c in comments if by_ca(c)]
    third_party = not by_ca(comments[0]) if comments else False
    if third_party:
        moments["third_party_report"] = cached.bug.creation_time
        facts.posted_comments["third_party_report"] = 0
        first_report = min(
            (moments[s] for s in ("preliminary", "full") if s in moments), default=None
        )
        first_ca = next((c for c in ca_comments if c.count > 0), None)
        if first_ca is not None and (first_report is None or first_ca.time < first_report):
            moments["first_response"] = first_ca.time
            facts.posted_comments["first_response"] = first_ca.count
    used = set(facts.posted_comments.values())
    start = min(moments.values(), default=None)
    updates = [
        c
        for c in ca_comments
        if start is not None
        and c.time > start
        and c.count not in used
        and c.count > 0
        and not _bare_attachment(c)
    ]
    facts.update_comments = [c.count for c in updates]
    facts.posted = Posted(
        **moments,
        updates=[c.time for c in updates],
        last_update=updates[-1].time if updates else None,
    )
    facts.questions = _questions(cached, comments, accounts)
    return facts


def _questions(
    cached: CachedBug, comments: Sequence[Comment], accounts: frozenset[str]
) -> list[BugQuestion]:
    def by_ca(account: str) -> bool:
        return account.strip().lower() in accounts

    ca_comments = [c for c in comments if by_ca(c.creator)]

    def answer_after(moment: datetime) -> Comment | None:
        return next((c for c in ca_comments if c.time > moment), None)

    asked: list[tuple[datetime, str, Comment | None]] = [
        (c.time, c.creator, c)
        for c in comments
        if c.count > 0 and not by_ca(c.creator) and _asks(c)
    ]
    # Needinfo requests on a CA account, from the history (set, and when cleared).
    cleared: dict[str, list[datetime]] = {}
    requests: list[tuple[datetime, str, str]] = []
    for change in cached.history:
        if change.field_name != "flagtypes.name":
            continue
        for requestee in _NEEDINFO_FLAG.findall(change.added):
            if by_ca(requestee):
                requests.append((change.when, change.who, requestee.strip().lower()))
        for requestee in _NEEDINFO_FLAG.findall(change.removed):
            cleared.setdefault(requestee.strip().lower(), []).append(change.when)
    seen = {(when, who) for when, who, _ in requests}
    for flag in cached.bug.flags:
        if (
            flag.is_open_needinfo
            and flag.requestee
            and by_ca(flag.requestee)
            and (flag.creation_date, flag.setter) not in seen
        ):
            requests.append((flag.creation_date, flag.setter, flag.requestee.strip().lower()))
    found: list[BugQuestion] = []
    merged: set[int] = set()
    for when, who, comment in asked:
        reply = answer_after(when)
        found.append(
            BugQuestion(
                Question(
                    asked=when,
                    by=who,
                    comment=comment.count if comment else None,
                    answered=reply.time if reply else None,
                ),
                "comment",
                reply.count if reply else None,
            )
        )
    for when, who, requestee in requests:
        near = next(
            (
                index
                for index, (moment, author, _) in enumerate(asked)
                if author == who and abs(moment - when) <= NEEDINFO_WITH_COMMENT
            ),
            None,
        )
        if near is not None:
            merged.add(near)
            continue
        reply = answer_after(when)
        clear = next((t for t in cleared.get(requestee, []) if t >= when), None)
        answered = min((t for t in (reply.time if reply else None, clear) if t), default=None)
        found.append(
            BugQuestion(
                Question(asked=when, by=who, comment=None, answered=answered),
                "needinfo",
                reply.count if reply and reply.time == answered else None,
            )
        )
    return sorted(found, key=lambda q: q.question.asked)


# Comparing with incident.yaml.

_POSTED_FIELDS = ("third_party_report", "first_response", "preliminary", "full", "closure")


@dataclass(frozen=True)
class Difference:
    """One thing incident.yaml and the bug say differently."""

    field: str
    file: str | None
    bug: str | None
    note: str = ""

    def __str__(self) -> str:
        said_file = self.file if self.file is not None else "nothing"
        said_bug = self.bug if self.bug is not None else "nothing"
        note = f" ({self.note})" if self.note else ""
        return f"{self.field}: incident.yaml says {said_file}, the bug says {said_bug}{note}"

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "file": self.file, "bug": self.bug, "note": self.note}


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < SAME_MOMENT


def _shown(moment: datetime | None) -> str | None:
    return report_time(moment) if moment else None


def compare(incident: Incident, facts: BugFacts) -> tuple[Incident, list[Difference]]:
    """The incident as the bug shows it, and every difference with the file.

    The bug decides what it shows: when each report and update was posted, the whiteboard
    (root programs set Next update there), and the questions asked in it and their answers.
    What the file says and the bug does not show is kept, and reported."""
    differences: list[Difference] = []
    file_posted = incident.posted
    merged: dict[str, Any] = {}
    for name in _POSTED_FIELDS:
        mine, theirs = getattr(file_posted, name), getattr(facts.posted, name)
        if not _same(mine, theirs):
            number = facts.posted_comments.get(name)
            differences.append(
                Difference(
                    f"posted.{name}",
                    _shown(mine),
                    _shown(theirs),
                    f"comment {number}" if number is not None and theirs else "",
                )
            )
        merged[name] = theirs or mine
    bug_updates = list(facts.posted.updates)
    kept = [u for u in file_posted.updates if not any(_same(u, b) for b in bug_updates)]
    for moment in kept:
        differences.append(Difference("posted.updates", _shown(moment), None))
    for moment, number in zip(bug_updates, facts.update_comments, strict=True):
        if not any(_same(moment, u) for u in file_posted.updates):
            differences.append(
                Difference("posted.updates", None, _shown(moment), f"comment {number}")
            )
    updates = sorted([*bug_updates, *kept])
    last = max([u for u in (*updates, file_posted.last_update) if u is not None], default=None)
    merged["updates"] = updates
    merged["last_update"] = last
    posted = Posted(**merged)

    file_tags = {w.strip().lower() for w in incident.whiteboard}
    bug_tags = {w.strip().lower() for w in facts.whiteboard}
    whiteboard = list(incident.whiteboard)
    if file_tags != bug_tags:
        differences.append(
            Difference(
                "whiteboard",
                whiteboard_text(incident.whiteboard) or None,
                facts.cached.bug.whiteboard or None,
            )
        )
        whiteboard = list(facts.whiteboard)

    questions: list[Question] = []
    # The file may hold the number as text (or a comment's URL ending in #cN).
    by_comment = {
        str(q.question.comment): q for q in facts.questions if q.question.comment is not None
    }
    matched: set[str] = set()
    for index, mine_q in enumerate(incident.questions):
        key = _comment_key(mine_q.comment)
        theirs_q = by_comment.get(key) if key is not None else None
        if theirs_q is None:
            questions.append(mine_q)
            differences.append(
                Difference(
                    f"questions[{index}]",
                    f"asked {report_time(mine_q.asked)} by {mine_q.by}",
                    None,
                    "no such question in the bug",
                )
            )
            continue
        matched.add(str(key))
        if not _same(mine_q.answered, theirs_q.question.answered):
            differences.append(
                Difference(
                    f"questions[{index}].answered",
                    _shown(mine_q.answered),
                    _shown(theirs_q.question.answered),
                    f"comment {theirs_q.answered_in}" if theirs_q.answered_in is not None else "",
                )
            )
        questions.append(theirs_q.question)
    for theirs_q in facts.questions:
        q = theirs_q.question
        if q.comment is not None and str(q.comment) in matched:
            continue
        where = f"comment {q.comment}" if q.comment is not None else "needinfo"
        differences.append(
            Difference("questions", None, f"asked {report_time(q.asked)} by {q.by}", where)
        )
        questions.append(q)
    questions.sort(key=lambda q: q.asked)
    updated = incident.model_copy(
        update={"posted": posted, "whiteboard": whiteboard, "questions": questions}
    )
    return updated, differences


def _comment_key(comment: int | str | None) -> str | None:
    if comment is None:
        return None
    text = str(comment).strip()
    anchor = re.search(r"#c(\d+)$", text)
    return anchor[1] if anchor else text


def awareness_from_reports(facts: BugFacts) -> tuple[datetime, str]:
    """When the CA became aware, as far as the bug tells: the latest Full report's
    Non-compliance identified date, else the bug's creation."""
    full = facts.latest_report(Stage.FULL)
    if full is not None:
        label = next(
            (i.text for i in full.template.labels() if i.key == "identified"),
            None,
        )
        found = full.report.field(label) if label else None
        stamp = read_stamp(found.value) if found is not None else None
        if stamp is not None and stamp.moment is not None and stamp.zone in ("utc", "offset"):
            where = f"the Non-compliance identified date of comment {full.comment.count}"
            return stamp.moment, where
    return facts.cached.bug.creation_time, "the bug's creation (no Full report states it)"


def clock_incident(facts: BugFacts, aware: datetime) -> Incident:
    """The incident as far as its clocks go, from the bug alone: its posts, whiteboard,
    questions and stage. Built without validation (a bug is not an incident file): the
    parts the bug does not tell (the summary, the problems) stay empty, and the clock engine
    does not read them."""
    summary = facts.cached.bug.summary
    owner, _, title = summary.partition(": ")
    return Incident.model_construct(
        ca_owner=owner if title else "",
        title=title or summary,
        bug=facts.bug,
        whiteboard=facts.whiteboard,
        stage=facts.stage,
        posted=facts.posted,
        summary=Summary.model_construct(description=summary, relevant_policies=[]),
        awareness=Awareness.model_construct(channel=AwarenessChannel.BUGZILLA, at=aware, detail=""),
        questions=[q.question for q in facts.questions],
    )
