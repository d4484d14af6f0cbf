"""The dashboard jobs: what ``ca-incident serve`` shows, what its ``/api`` returns, and what
``ca-incident related`` prints.

- :func:`incident_list`: one row per incident, local folder or synced bug, filtered and
  sorted;
- :func:`incident_page`: one incident folder, built as ``build`` would (nothing written): its
  clocks, findings, problems with their issuance per day, revocation progress against the
  deadline, the report and the files to download;
- :func:`bug_page`: one synced bug, as ``show_bug`` reads it from the cache;
- :func:`reviewer_view`: every synced CA Certificate Compliance bug: open bugs, overdue
  updates, questions unanswered for 7 days, the latest report's template and findings, and
  counts per CA and per whiteboard tag by year;
- :func:`related`: the bugs of the last two years most like an incident, a bug or a text,
  ranked by SQLite full-text search, with the words they share;
- :func:`rule_catalog`: every rule, as ``ca-incident rules --json`` lists them.

Reading a bug's comments and checking its latest report costs tens of milliseconds; a page
over thousands of bugs cannot pay that. :class:`BugIndex` keeps what the pages need of each
bug (a :class:`BugDigest`) and the full-text table in an SQLite file beside the Bugzilla
cache, and brings it up to date with the bugs whose last change time moved. Clocks are judged
at the moment asked: an open bug's are computed again from its digest by the clock engine.
:class:`Dashboard` holds the folders and the index one ``serve`` shows, for the web door.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from ca_incident import __version__
from ca_incident.app.bugzilla import ShowResult, show_bug
from ca_incident.app.build import Build, incident_files
from ca_incident.app.check import CheckOptions, CheckResult, build_and_check, check_paths
from ca_incident.app.revocation import RevocationResult, check_incident_revocation
from ca_incident.app.status import StatusResult, incident_folders, status
from ca_incident.bugzilla.cache import Cache
from ca_incident.bugzilla.reading import (
    awareness_from_reports,
    clock_incident,
    read_bug,
    whiteboard_entries,
)
from ca_incident.bugzilla.records import Bug, CachedBug
from ca_incident.bugzilla.settings import Settings, bug_reference
from ca_incident.certs.appendix import RevocationState
from ca_incident.checks.engine import check_text
from ca_incident.checks.output import finding_json, rule_json
from ca_incident.checks.registry import RULES, Context, Finding, Rule, Severity
from ca_incident.clocks import Clock, clocks, ics, revocation_deadline
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import INCIDENT_FILE, load_incident
from ca_incident.model import Incident, Posted, Question, Stage
from ca_incident.report.render import ProblemFigures
from ca_incident.revocation.status import ProblemRevocation
from ca_incident.templates import get as template
from ca_incident.timeutil import iso_z, parse_timestamp
from ca_incident.whiteboard import next_update, words

RELATED_YEARS = 2
"""How far back related incidents are looked for: the IRG asks for related incidents of the
last two years."""
COMPLIANCE_COMPONENT = "CA Certificate Compliance"
COMPLIANCE_TAG = "ca-compliance"
INDEX_VERSION = 1
"""Bumped when a digest's content changes; an index of another version is rebuilt."""


def _clocks_json(found: Iterable[Clock]) -> list[dict[str, Any]]:
    return [c.as_json() for c in found]


def _open_questions(found: Iterable[Clock]) -> list[Clock]:
    return [c for c in found if c.kind == "question" and c.open]


# Bugs: digests and the index.


@dataclass(frozen=True)
class LatestReport:
    """The CA's latest report in a bug, checked as posted (at its posting time, with the bug's
    whiteboard)."""

    comment: int
    posted: datetime
    template: str
    findings: tuple[Finding, ...]

    @cached_property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @cached_property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)

    @property
    def template_title(self) -> str:
        return template(self.template).title

    def as_json(self) -> dict[str, Any]:
        return {
            "comment": self.comment,
            "posted": iso_z(self.posted),
            "template": self.template,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [finding_json(f) for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LatestReport:
        return cls(
            comment=int(data["comment"]),
            posted=parse_timestamp(data["posted"]),
            template=str(data["template"]),
            findings=tuple(
                Finding(
                    f["path"],
                    f["line"],
                    f["column"],
                    f["code"],
                    Severity(f["severity"]),
                    f["message"],
                )
                for f in data["findings"]
            ),
        )


@dataclass(frozen=True)
class BugDigest:
    """What the dashboard needs of one synced bug, read once from the cache."""

    server: str
    id: int
    summary: str
    whiteboard: str
    status: str
    resolution: str
    is_open: bool
    component: str
    created: datetime
    last_change: datetime
    synced_at: datetime | None
    stage: Stage
    aware: datetime
    aware_source: str
    posted: Posted
    questions: tuple[Question, ...]
    latest: LatestReport | None
    stored_clocks: tuple[Clock, ...]
    """The clocks at the moment the digest was made: a closed bug's never change."""

    @property
    def url(self) -> str:
        return f"{self.server}/show_bug.cgi?id={self.id}"

    @cached_property
    def ca(self) -> str:
        owner, _, title = self.summary.partition(": ")
        return owner.strip() if title else ""

    @cached_property
    def title(self) -> str:
        title = self.summary.partition(": ")[2]
        return title.strip() if title else self.summary

    @cached_property
    def entries(self) -> list[str]:
        return whiteboard_entries(self.whiteboard)

    @cached_property
    def tags(self) -> tuple[str, ...]:
        """The bracketed whiteboard tags, without brackets."""
        return tuple(t.strip() for t in re.findall(r"\[([^\]]*)\]", self.whiteboard) if t.strip())

    @cached_property
    def next_update(self) -> date | None:
        return next_update(self.entries)

    @cached_property
    def compliance(self) -> bool:
        return self.component == COMPLIANCE_COMPONENT or COMPLIANCE_TAG in self.tags

    def clock_incident(self) -> Incident:
        """The incident as far as its clocks go, as :func:`clock_incident` makes it from the
        bug."""
        owner, _, title = self.summary.partition(": ")
        return _CLOCK_BASE.model_copy(
            update={
                "ca_owner": owner if title else "",
                "title": title or self.summary,
                "bug": self.id,
                "whiteboard": self.entries,
                "stage": self.stage,
                "posted": self.posted,
                "questions": list(self.questions),
                "awareness": _CLOCK_BASE.awareness.model_copy(update={"at": self.aware}),
            }
        )

    def clocks(self, as_of: datetime) -> tuple[Clock, ...]:
        """Every clock at ``as_of``: an open bug's from the clock engine, a closed bug's as
        stored (a closed bug has no running clock, so they do not move).

        An open bug's clocks are kept with the span of moments they hold for: the engine
        makes the same clocks at any moment and judges only whether each running one is past
        due, so they hold until ``as_of`` crosses a running clock's due moment."""
        if not self.is_open:
            return self.stored_clocks
        kept = self.__dict__.get("_judged")
        if kept is not None and kept[0] < as_of <= kept[1]:
            found: tuple[Clock, ...] = kept[2]
            return found
        found = tuple(clocks(self.clock_incident(), as_of))
        dues = [c.due for c in found if c.open]
        since = max((d for d in dues if d < as_of), default=datetime.min.replace(tzinfo=UTC))
        until = min((d for d in dues if d >= as_of), default=datetime.max.replace(tzinfo=UTC))
        # Overdue means as_of is past due: the flags hold while since < as_of <= until.
        self.__dict__["_judged"] = (since, until, found)
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "id": self.id,
            "summary": self.summary,
            "whiteboard": self.whiteboard,
            "status": self.status,
            "resolution": self.resolution,
            "is_open": self.is_open,
            "component": self.component,
            "created": iso_z(self.created),
            "last_change": iso_z(self.last_change),
            "synced_at": iso_z(self.synced_at) if self.synced_at else None,
            "stage": self.stage.value,
            "aware": iso_z(self.aware),
            "aware_source": self.aware_source,
            "posted": self.posted.model_dump(mode="json"),
            "questions": [q.model_dump(mode="json") for q in self.questions],
            "latest": self.latest.as_json() if self.latest else None,
            "clocks": [{**c.as_json(), "must": c.must} for c in self.stored_clocks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BugDigest:
        return cls(
            server=data["server"],
            id=int(data["id"]),
            summary=data["summary"],
            whiteboard=data["whiteboard"],
            status=data["status"],
            resolution=data["resolution"],
            is_open=bool(data["is_open"]),
            component=data["component"],
            created=parse_timestamp(data["created"]),
            last_change=parse_timestamp(data["last_change"]),
            synced_at=parse_timestamp(data["synced_at"]) if data["synced_at"] else None,
            stage=Stage(data["stage"]),
            aware=parse_timestamp(data["aware"]),
            aware_source=data["aware_source"],
            posted=Posted.model_validate(data["posted"]),
            questions=tuple(Question.model_validate(q) for q in data["questions"]),
            latest=LatestReport.from_json(data["latest"]) if data["latest"] else None,
            stored_clocks=tuple(
                Clock(
                    kind=c["kind"],
                    what=c["what"],
                    due=parse_timestamp(c["due"]),
                    done=parse_timestamp(c["done"]) if c["done"] else None,
                    overdue=c["overdue"],
                    late=c["late"],
                    source=c["source"],
                    must=c["must"],
                )
                for c in data["clocks"]
            ),
        )


def _clock_base() -> Incident:
    """An incident with nothing but what the clock engine reads, to copy per bug."""
    moment = parse_timestamp("2000-01-01T00:00Z")
    empty = CachedBug(Bug(0, "", "", "NEW", "", moment, moment, "", ""))
    return clock_incident(read_bug(empty), moment)


_CLOCK_BASE = _clock_base()


def report_name(bug: int, comment: int) -> str:
    """How findings name a report comment (as ``ca-incident bugzilla check`` does)."""
    return f"bug-{bug}/comment-{comment}.md"


def digest(cached: CachedBug, server: str, *, as_of: datetime) -> tuple[BugDigest, str]:
    """A bug's digest, and the text of its reports for the full-text index. The latest
    report is checked as posted; the stored clocks are those at ``as_of``."""
    facts = read_bug(cached)
    bug = cached.bug
    aware, source = awareness_from_reports(facts)
    ours = [r for r in facts.reports if r.by_ca] or facts.reports
    latest = None
    if ours:
        last = ours[-1]
        found = check_text(
            last.comment.text,
            report_name(bug.id, last.comment.count),
            Context(as_of, last.comment.time, words(bug.whiteboard)),
        )
        latest = LatestReport(
            last.comment.count, last.comment.time, last.template.name, tuple(found)
        )
    result = BugDigest(
        server=server,
        id=bug.id,
        summary=bug.summary,
        whiteboard=bug.whiteboard,
        status=bug.status,
        resolution=bug.resolution,
        is_open=bug.is_open,
        component=bug.component,
        created=bug.creation_time,
        last_change=bug.last_change_time,
        synced_at=cached.synced_at,
        stage=facts.stage,
        aware=aware,
        aware_source=source,
        posted=facts.posted,
        questions=tuple(q.question for q in facts.questions),
        latest=latest,
        stored_clocks=tuple(clocks(clock_incident(facts, aware), as_of)),
    )
    texts = "\n\n".join(r.comment.text for r in facts.reports)
    return result, texts


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS digests (
    key INTEGER PRIMARY KEY,
    server TEXT NOT NULL,
    id INTEGER NOT NULL,
    last_change_time TEXT NOT NULL,
    created TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (server, id)
);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(
    summary, whiteboard, reports, tokenize = 'porter unicode61'
);
"""
_WEIGHTS = (6.0, 3.0, 1.0)
"""bm25 weights of summary, whiteboard and report texts: a shared word in a summary says more
than one deep in a report."""
_INDEX_TAG = f"{INDEX_VERSION}:{__version__}:{len(RULES)}"


def index_path(cache: Path) -> Path:
    """The dashboard's index beside a Bugzilla cache: ``bugzilla.sqlite`` ->
    ``bugzilla.dashboard.sqlite``."""
    return cache.with_name(f"{cache.stem}.dashboard{cache.suffix or '.sqlite'}")


Progress = Callable[[int, int], None]
"""(done, total)."""


class BugIndex:
    """The digests of one server's synced bugs, and their full-text table.

    Kept in :func:`index_path` of the cache (in memory where that cannot be written). Safe to
    share between threads: every use holds one lock."""

    def __init__(self, settings: Settings, path: Path | None = None) -> None:
        self.settings = settings
        self.server = settings.url
        self.path = path or index_path(settings.cache)
        self._lock = threading.RLock()
        self._db = self._connect()
        self._digests: dict[int, BugDigest] = {}
        self._seen: tuple[int, int] | None = None
        self._load()

    def _connect(self) -> sqlite3.Connection:
        try:
            if not self.settings.cache.is_file():
                raise FileNotFoundError(self.settings.cache)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            # Derived data, made again from the cache if lost: no need to wait for the disk.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error):
            # No cache yet, or somewhere read-only: an index in memory, made at each start.
            db = sqlite3.connect(":memory:", check_same_thread=False)
            db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
        if row is None or row[0] != _INDEX_TAG:
            with db:
                db.execute("DELETE FROM digests")
                db.execute("DELETE FROM texts")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (_INDEX_TAG,))
        return db

    def _load(self) -> None:
        rows = self._db.execute("SELECT data FROM digests WHERE server = ?", (self.server,))
        self._digests = {d.id: d for d in (BugDigest.from_json(json.loads(r[0])) for r in rows)}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> BugIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _cache_state(self) -> tuple[int, int] | None:
        """The cache file's last modification (its write-ahead log's included), or None."""
        cache = self.settings.cache
        stamps = []
        for path in (cache, cache.with_name(cache.name + "-wal")):
            try:
                info = path.stat()
            except OSError:
                continue
            stamps.append((info.st_mtime_ns, info.st_size))
        if not stamps:
            return None
        return max(s[0] for s in stamps), sum(s[1] for s in stamps)

    def refresh(self, *, as_of: datetime, progress: Progress | None = None) -> int:
        """Digest every bug of the cache whose last change time the index does not have yet,
        and forget those the cache no longer holds. Returns how many bugs were digested. A
        cache unchanged since the last refresh is not read."""
        with self._lock:
            state = self._cache_state()
            if state is None or state == self._seen:
                return 0
            cache = Cache.read_only(self.settings.cache)
            if cache is None:
                return 0
            with cache:
                times = cache.last_change_times(self.server)
                known = {
                    int(i): t
                    for i, t in self._db.execute(
                        "SELECT id, last_change_time FROM digests WHERE server = ?",
                        (self.server,),
                    )
                }
                changed = [b for b, t in sorted(times.items()) if known.get(b) != iso_z(t)]
                for done, number in enumerate(changed, start=1):
                    cached = cache.bug(self.server, number)
                    if cached is not None:
                        self._store(*digest(cached, self.server, as_of=as_of))
                    if done % 100 == 0:
                        self._db.commit()
                    if progress is not None:
                        progress(done, len(changed))
            for number in set(known) - set(times):
                self._forget(number)
            self._db.commit()
            self._seen = state
            return len(changed)

    def _store(self, found: BugDigest, texts: str) -> None:
        """Keep one digest; committed by :meth:`refresh`, a hundred at a time."""
        db = self._db
        row = db.execute(
            "SELECT key FROM digests WHERE server = ? AND id = ?", (self.server, found.id)
        ).fetchone()
        if row is not None:
            db.execute("DELETE FROM texts WHERE rowid = ?", (row[0],))
        db.execute(
            "INSERT OR REPLACE INTO digests (key, server, id, last_change_time, created, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                row[0] if row else None,
                self.server,
                found.id,
                iso_z(found.last_change),
                iso_z(found.created),
                json.dumps(found.as_json()),
            ),
        )
        key = db.execute(
            "SELECT key FROM digests WHERE server = ? AND id = ?", (self.server, found.id)
        ).fetchone()[0]
        db.execute(
            "INSERT INTO texts (rowid, summary, whiteboard, reports) VALUES (?, ?, ?, ?)",
            (key, found.summary, found.whiteboard, texts),
        )
        self._digests[found.id] = found

    def _forget(self, number: int) -> None:
        db = self._db
        row = db.execute(
            "SELECT key FROM digests WHERE server = ? AND id = ?", (self.server, number)
        ).fetchone()
        if row is not None:
            db.execute("DELETE FROM texts WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM digests WHERE key = ?", (row[0],))
        self._digests.pop(number, None)

    def digests(self) -> list[BugDigest]:
        with self._lock:
            return list(self._digests.values())

    def get(self, number: int) -> BugDigest | None:
        with self._lock:
            return self._digests.get(number)

    def report_texts(self, number: int) -> str:
        with self._lock:
            row = self._db.execute(
                "SELECT t.reports FROM texts t JOIN digests d ON d.key = t.rowid "
                "WHERE d.server = ? AND d.id = ?",
                (self.server, number),
            ).fetchone()
        return str(row[0]) if row else ""

    def search(
        self, terms: Sequence[str], *, since: datetime, exclude: Iterable[int], limit: int
    ) -> list[tuple[int, float, tuple[str, ...]]]:
        """The bugs created since ``since`` that share the most of ``terms``, best first:
        (bug, score, the terms each shares). Higher scores are better."""
        if not terms:
            return []
        match = " OR ".join(_phrase(t) for t in terms)
        skip = sorted(set(exclude))
        marks = ",".join("?" * len(skip))
        with self._lock:
            rows = self._db.execute(
                "SELECT d.id, d.key, bm25(texts, ?, ?, ?) AS rank FROM texts "
                "JOIN digests d ON d.key = texts.rowid "
                "WHERE texts MATCH ? AND d.server = ? AND d.created >= ? "
                + (f"AND d.id NOT IN ({marks}) " if skip else "")
                + "ORDER BY rank LIMIT ?",
                (*_WEIGHTS, match, self.server, iso_z(since), *skip, limit),
            ).fetchall()
            keys = [int(r[1]) for r in rows]
            shared: dict[int, list[str]] = {k: [] for k in keys}
            if keys:
                where = ",".join("?" * len(keys))
                for term in terms:
                    for (key,) in self._db.execute(
                        f"SELECT rowid FROM texts WHERE texts MATCH ? AND rowid IN ({where})",
                        (_phrase(term), *keys),
                    ):
                        shared[int(key)].append(term)
        return [(int(r[0]), -float(r[2]), tuple(shared[int(r[1])])) for r in rows]


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def open_index(settings: Settings | None) -> BugIndex | None:
    """The index of the settings' cache, or None without settings."""
    return None if settings is None else BugIndex(settings)


# The incident list.


RowKind = Literal["folder", "bug"]
_STAGE_ORDER = {s: n for n, s in enumerate(Stage)}


@dataclass(frozen=True)
class IncidentRow:
    """One incident of the list: a local incident folder, or a synced bug."""

    kind: RowKind
    key: str
    """The folder's key (see :func:`folder_keys`) or the bug number."""
    ca: str
    title: str
    stage: Stage | None
    clocks: tuple[Clock, ...] = ()
    errors: int = 0
    warnings: int = 0
    tags: tuple[str, ...] = ()
    bug: int | None = None
    url: str | None = None
    path: str | None = None
    template: str | None = None
    """The template of the report checked: a folder's stage template, a bug's latest report."""
    load_errors: tuple[str, ...] = ()

    @cached_property
    def next_clock(self) -> Clock | None:
        return next((c for c in self.clocks if c.open and not c.overdue), None)

    @cached_property
    def overdue(self) -> list[Clock]:
        return [c for c in self.clocks if c.overdue]

    @cached_property
    def late(self) -> list[Clock]:
        return [c for c in self.clocks if c.late]

    @cached_property
    def open_questions(self) -> int:
        return len(_open_questions(self.clocks))

    def as_json(self) -> dict[str, Any]:
        following = self.next_clock
        return {
            "kind": self.kind,
            "key": self.key,
            "ca": self.ca,
            "title": self.title,
            "stage": self.stage.value if self.stage else None,
            "bug": self.bug,
            "url": self.url,
            "path": self.path,
            "tags": list(self.tags),
            "next": following.as_json() if following else None,
            "overdue": _clocks_json(self.overdue),
            "late": _clocks_json(self.late),
            "open_questions": self.open_questions,
            "template": self.template,
            "errors": self.errors,
            "warnings": self.warnings,
            "load_errors": list(self.load_errors),
        }


@dataclass(frozen=True)
class ListQuery:
    """Which rows, in which order: every filter is optional."""

    ca: str | None = None
    stage: str | None = None
    tag: str | None = None
    overdue: bool = False
    sort: str = "next"
    descending: bool = False
    page: int = 1
    per_page: int = 100

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise CaIncidentError(f"cannot sort by '{self.sort}': one of {', '.join(SORTS)}")
        if self.stage and self.stage not in {s.value for s in Stage}:
            raise CaIncidentError(f"no stage '{self.stage}'")
        if self.page < 1 or self.per_page < 1:
            raise CaIncidentError("pages count from 1")


@dataclass
class IncidentList:
    as_of: datetime
    query: ListQuery
    rows: list[IncidentRow]
    """The rows of the page asked for."""
    matched: int
    """Rows matching the filters, on every page."""
    total: int
    cas: list[str]
    stages: list[str]
    tags: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.matched // self.query.per_page))

    def as_json(self) -> dict[str, Any]:
        q = self.query
        return {
            "as_of": iso_z(self.as_of),
            "query": {
                "ca": q.ca,
                "stage": q.stage,
                "tag": q.tag,
                "overdue": q.overdue,
                "sort": q.sort,
                "descending": q.descending,
                "page": q.page,
                "per_page": q.per_page,
            },
            "total": self.total,
            "matched": self.matched,
            "pages": self.pages,
            "incidents": [r.as_json() for r in self.rows],
            "cas": self.cas,
            "stages": self.stages,
            "tags": self.tags,
        }


_FAR = datetime.max.replace(tzinfo=UTC)


def _first_due(row: IncidentRow) -> datetime:
    """When the row's most pressing clock was or is due: its first overdue, else its next."""
    overdue = row.overdue
    if overdue:
        return min(c.due for c in overdue)
    following = row.next_clock
    return following.due if following else _FAR


_SORT_KEYS: dict[str, Callable[[IncidentRow], Any]] = {
    "next": _first_due,
    "ca": lambda r: r.ca.casefold(),
    "title": lambda r: r.title.casefold(),
    "stage": lambda r: _STAGE_ORDER[r.stage] if r.stage else -1,
    "overdue": lambda r: len(r.overdue),
    "late": lambda r: len(r.late),
    "questions": lambda r: r.open_questions,
    "errors": lambda r: r.errors,
    "warnings": lambda r: r.warnings,
}
SORTS = tuple(_SORT_KEYS)


def select_rows(
    rows: Sequence[IncidentRow], query: ListQuery, as_of: datetime
) -> tuple[list[IncidentRow], int]:
    """The rows of the page asked for, and how many match the filters."""
    wanted = [
        r
        for r in rows
        if (not query.ca or r.ca == query.ca)
        and (not query.stage or (r.stage is not None and r.stage.value == query.stage))
        and (not query.tag or query.tag in r.tags)
        and (not query.overdue or r.overdue)
    ]
    primary = _SORT_KEYS[query.sort]
    wanted.sort(
        key=lambda r: (primary(r), r.ca.casefold(), r.title.casefold(), r.key),
        reverse=query.descending,
    )
    start = (query.page - 1) * query.per_page
    return wanted[start : start + query.per_page], len(wanted)


def bug_row(found: BugDigest, as_of: datetime) -> IncidentRow:
    """The bug's row; kept on the digest while its clocks hold (see :meth:`BugDigest.clocks`)."""
    judged = found.clocks(as_of)
    kept = found.__dict__.get("_row")
    if kept is not None and kept.clocks is judged:
        row: IncidentRow = kept
        return row
    latest = found.latest
    row = IncidentRow(
        kind="bug",
        key=str(found.id),
        ca=found.ca,
        title=found.title,
        stage=found.stage,
        clocks=judged,
        errors=latest.errors if latest else 0,
        warnings=latest.warnings if latest else 0,
        tags=found.tags,
        bug=found.id,
        url=found.url,
        template=latest.template if latest else None,
    )
    found.__dict__["_row"] = row
    return row


def incident_list(
    folders: Sequence[FolderEntry],
    bugs: Sequence[BugDigest],
    query: ListQuery,
    *,
    as_of: datetime,
) -> IncidentList:
    """One row per incident: each local folder, and each synced bug no folder names."""
    rows = [folder_row(entry, as_of) for entry in folders]
    named = {r.bug for r in rows if r.bug is not None}
    rows += [bug_row(b, as_of) for b in bugs if b.id not in named]
    page, matched = select_rows(rows, query, as_of)
    return IncidentList(
        as_of=as_of,
        query=query,
        rows=page,
        matched=matched,
        total=len(rows),
        cas=sorted({r.ca for r in rows if r.ca}, key=str.casefold),
        stages=[s.value for s in Stage if any(r.stage is s for r in rows)],
        tags=sorted({t for r in rows for t in r.tags}, key=str.casefold),
    )


# Local incident folders.


@dataclass
class FolderEntry:
    """An incident folder, built (nothing written) at a moment; ``build`` is None when it
    failed, and ``errors`` say why."""

    key: str
    path: Path
    as_of: datetime
    build: Build | None = None
    incident: Incident | None = None
    clocks: list[Clock] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def folder_keys(folders: Sequence[Path]) -> dict[str, Path]:
    """A short, stable key per incident folder for URLs: its name, made unique with the names
    of its parents where two folders share one."""
    keys: dict[str, Path] = {}
    for folder in folders:
        parts = folder.resolve().parts
        for depth in range(1, len(parts) + 1):
            key = "-".join(parts[-depth:]).strip("/") or "root"
            key = re.sub(r"[^A-Za-z0-9._-]+", "-", key)
            if key not in keys:
                keys[key] = folder
                break
    return keys


def build_entry(key: str, folder: Path, *, as_of: datetime) -> FolderEntry:
    """Build one folder as ``build`` does, writing nothing. A folder that does not load or
    build keeps its clocks where the incident file alone gives them."""
    entry = FolderEntry(key, folder, as_of)
    try:
        entry.build = build_and_check(folder, as_of=as_of, write=False)
        entry.incident = entry.build.incident
        entry.clocks = list(entry.build.clocks)
    except CaIncidentError as exc:
        entry.errors = str(exc).splitlines()
    except Exception as exc:  # one folder that breaks the build must not hide the others
        entry.errors = [f"the build failed ({type(exc).__name__}: {exc}); please report it"]
    if entry.build is None:
        try:
            entry.incident = load_incident(folder)
            entry.clocks = clocks(entry.incident, as_of)
        except CaIncidentError:
            entry.incident = None
    return entry


def folder_row(entry: FolderEntry, as_of: datetime) -> IncidentRow:
    incident = entry.incident
    built = entry.build
    findings = built.findings if built else []
    return IncidentRow(
        kind="folder",
        key=entry.key,
        ca=incident.ca_owner if incident else "",
        title=incident.title if incident else str(entry.path),
        stage=incident.stage if incident else None,
        clocks=tuple(entry.clocks),
        errors=sum(f.severity is Severity.ERROR for f in findings),
        warnings=sum(f.severity is Severity.WARNING for f in findings),
        tags=tuple(
            t for t in (incident.whiteboard if incident else []) if next_update([t]) is None
        ),
        bug=incident.bug if incident else None,
        path=str(entry.path),
        template=built.template.name if built and built.template else None,
        load_errors=tuple(entry.errors),
    )


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass
class ProblemView:
    """One problem of an incident: what the report says of it, and the certificates behind."""

    id: str
    description: str
    requirement: str
    figures: ProblemFigures | None
    issuance: list[DayCount]
    """Certificates (and precertificates without their certificate) by notBefore day."""
    revocation: ProblemRevocation | None
    revoked: list[tuple[datetime, int]]
    """When revoked, and how many by then, per CRL evidence."""

    def as_json(self) -> dict[str, Any]:
        f = self.figures
        return {
            "id": self.id,
            "description": self.description,
            "requirement": self.requirement,
            "count": f.count if f else None,
            "remaining_valid": f.remaining_valid if f else None,
            "first_not_before": iso_z(f.first_not_before) if f and f.first_not_before else None,
            "last_not_before": iso_z(f.last_not_before) if f and f.last_not_before else None,
            "types": list(f.types) if f else [],
            "issuance_per_day": [
                {"day": d.day.isoformat(), "count": d.count} for d in self.issuance
            ],
            "revoked_over_time": [{"at": iso_z(at), "revoked": n} for at, n in self.revoked],
        }


@dataclass
class IncidentPage:
    """Everything the page of one incident folder shows."""

    entry: FolderEntry
    problems: list[ProblemView] = field(default_factory=list)
    revocation_start: datetime | None = None
    revocation_due: datetime | None = None

    @property
    def build(self) -> Build | None:
        return self.entry.build

    @property
    def incident(self) -> Incident | None:
        return self.entry.incident

    @property
    def downloads(self) -> list[str]:
        """Files to download: what ``build`` writes, and the clocks as a calendar."""
        names = sorted(self.build.files_out) if self.build else []
        return [*names, "clocks.ics"] if self.incident else names

    def file(self, name: str) -> tuple[bytes, str] | None:
        """A download's content and media type, or None for a name that is not one."""
        if name == "clocks.ics" and self.incident is not None:
            return self.ics(), "text/calendar"
        if self.build is None or name not in self.build.files_out:
            return None
        content = self.build.files_out[name].encode("utf-8")
        kind = {
            ".md": "text/markdown",
            ".csv": "text/csv",
            ".json": "application/json",
        }.get(Path(name).suffix, "text/plain")
        return content, kind

    def ics(self) -> bytes:
        assert self.incident is not None
        return ics([(self.incident, str(self.entry.path), self.entry.clocks)], self.entry.as_of)

    def as_json(self) -> dict[str, Any]:
        incident = self.incident
        return {
            "key": self.entry.key,
            "path": str(self.entry.path),
            "title": incident.bugzilla_summary if incident else None,
            "stage": incident.stage.value if incident else None,
            "bug": incident.bug if incident else None,
            "whiteboard": list(incident.whiteboard) if incident else [],
            "errors": self.entry.errors,
            "deadlines": _clocks_json(self.entry.clocks),
            "build": self.build.as_json() if self.build else None,
            "problems": [p.as_json() for p in self.problems],
            "revocation_deadline": iso_z(self.revocation_due) if self.revocation_due else None,
            "downloads": self.downloads,
        }


def incident_page(entry: FolderEntry) -> IncidentPage:
    """The page of a built incident folder: each problem's certificates per notBefore day and
    revoked over time (from the CRLs the build read), against the revocation deadline."""
    page = IncidentPage(entry)
    built = entry.build
    incident = entry.incident
    if incident is None:
        return page
    found = revocation_deadline(incident)
    if found is not None:
        page.revocation_start, page.revocation_due = found.aware, found.due
    for problem in incident.problems:
        figures = built.data.figures_for(problem) if built else None
        evidence = built.evidence.get(problem.id) if built else None
        records = evidence.certificates or [] if evidence else []
        days = Counter(r.not_before.date() for r in records if r.not_before is not None)
        moments: list[datetime] = []
        if built is not None and built.crl_index is not None:
            for record in records:
                state = built.revocation_columns.get(record.sha256)
                if state and state.state is RevocationState.REVOKED and state.date:
                    moments.append(state.date)
        moments.sort()
        page.problems.append(
            ProblemView(
                id=problem.id,
                description=problem.description,
                requirement=problem.requirement,
                figures=figures,
                issuance=[DayCount(d, n) for d, n in sorted(days.items())],
                revocation=built.revocation.get(problem.id) if built else None,
                revoked=[(at, n) for n, at in enumerate(moments, start=1)],
            )
        )
    return page


# One synced bug.


def bug_page(number: int, settings: Settings, *, as_of: datetime) -> ShowResult:
    """What the bug says, from the cache alone (the dashboard never reaches Bugzilla)."""
    return show_bug(number, settings, as_of=as_of, offline=True)


# The reviewer view.


@dataclass(frozen=True)
class ReviewerBug:
    digest: BugDigest
    clocks: tuple[Clock, ...]

    @property
    def overdue_updates(self) -> list[Clock]:
        return [c for c in self.clocks if c.kind == "update" and c.overdue]

    @property
    def unanswered(self) -> list[Clock]:
        """Questions open for 7 days or more: their 7-day clock has run out."""
        return [c for c in self.clocks if c.kind == "question" and c.overdue]

    def as_json(self) -> dict[str, Any]:
        d = self.digest
        return {
            "bug": d.id,
            "url": d.url,
            "ca": d.ca,
            "title": d.title,
            "stage": d.stage.value,
            "whiteboard": d.whiteboard,
            "next_update": d.next_update.isoformat() if d.next_update else None,
            "latest_report": d.latest.as_json() if d.latest else None,
            "overdue_updates": _clocks_json(self.overdue_updates),
            "unanswered_questions": _clocks_json(self.unanswered),
            "overdue": _clocks_json(c for c in self.clocks if c.overdue),
        }


@dataclass
class ReviewerView:
    as_of: datetime
    server: str
    total: int
    """Synced CA Certificate Compliance bugs."""
    open: list[ReviewerBug]
    years: list[int]
    by_ca: dict[str, dict[int, int]]
    """Bugs opened per CA per year, the CAs with most bugs first."""
    by_tag: dict[str, dict[int, int]]
    opened_per_year: dict[int, int] = field(default_factory=dict)
    """Every synced compliance bug, by the year it was opened."""

    @property
    def overdue_updates(self) -> list[ReviewerBug]:
        return [b for b in self.open if b.overdue_updates]

    @property
    def unanswered(self) -> list[ReviewerBug]:
        return [b for b in self.open if b.unanswered]

    @property
    def with_errors(self) -> list[ReviewerBug]:
        return [b for b in self.open if b.digest.latest and b.digest.latest.errors]

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": iso_z(self.as_of),
            "server": self.server,
            "bugs": self.total,
            "open": [b.as_json() for b in self.open],
            "overdue_updates": [b.digest.id for b in self.overdue_updates],
            "unanswered_questions": [b.digest.id for b in self.unanswered],
            "years": self.years,
            "opened_per_year": {str(y): n for y, n in self.opened_per_year.items()},
            "per_ca": {ca: {str(y): n for y, n in c.items()} for ca, c in self.by_ca.items()},
            "per_tag": {t: {str(y): n for y, n in c.items()} for t, c in self.by_tag.items()},
        }


def _per_year(pairs: Iterable[tuple[str, int]], limit: int) -> dict[str, dict[int, int]]:
    counts: dict[str, Counter[int]] = {}
    for name, year in pairs:
        counts.setdefault(name, Counter())[year] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1].total(), kv[0].casefold()))
    return {name: dict(sorted(c.items())) for name, c in ranked[:limit]}


def reviewer_view(
    bugs: Sequence[BugDigest], server: str, *, as_of: datetime, top: int = 12
) -> ReviewerView:
    """Every synced CA Certificate Compliance bug, as a root-program reviewer looks at them:
    the open ones most overdue first, and the counts per CA and per tag (the ``top`` of each)
    by the year each bug was opened."""
    compliance = [b for b in bugs if b.compliance]
    open_bugs = [ReviewerBug(b, b.clocks(as_of)) for b in compliance if b.is_open]

    def urgency(b: ReviewerBug) -> tuple[Any, ...]:
        overdue = [c.due for c in b.clocks if c.overdue]
        return (not overdue, min(overdue, default=as_of), b.digest.id)

    open_bugs.sort(key=urgency)
    years = sorted({b.created.year for b in compliance})
    return ReviewerView(
        as_of=as_of,
        server=server,
        total=len(compliance),
        open=open_bugs,
        years=years,
        by_ca=_per_year(((b.ca or "(no CA named)", b.created.year) for b in compliance), top),
        by_tag=_per_year(
            (
                (t, b.created.year)
                for b in compliance
                for t in dict.fromkeys(b.tags)
                if t != COMPLIANCE_TAG
            ),
            top,
        ),
        opened_per_year=dict(sorted(Counter(b.created.year for b in compliance).items())),
    )


# Related incidents.

_STOP_WORDS = """a about above after again against all also an and any are as at
    be because been before being below between both but by can could did do does
    doing down during each few for from further had has have having here how if
    in into is it its itself just more most no nor not now of off on once only
    or other our out over own same should so some such than that the their them
    then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your n/a
    na incident report reports bug"""
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*")
MAX_TERMS = 40


def query_terms(text: str) -> list[str]:
    """The words of a text a search looks for: without stop words, each once, the rarer
    (longer) first when there are too many."""
    found = [w.lower() for w in _WORD.findall(text)]
    kept = list(dict.fromkeys(w for w in found if len(w) > 2 and w not in _STOP))
    if len(kept) > MAX_TERMS:
        frequency = Counter(found)
        kept = sorted(kept, key=lambda w: (frequency[w], -len(w)))[:MAX_TERMS]
    return kept


@dataclass(frozen=True)
class RelatedHit:
    digest: BugDigest
    score: float
    shared: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        d = self.digest
        return {
            "bug": d.id,
            "url": d.url,
            "summary": d.summary,
            "ca": d.ca,
            "whiteboard": d.whiteboard,
            "status": d.status,
            "created": iso_z(d.created),
            "score": round(self.score, 3),
            "shared_words": list(self.shared),
        }


@dataclass
class RelatedResult:
    kind: Literal["folder", "bug", "text"]
    label: str
    """The incident folder, the bug, or the text looked for."""
    terms: list[str]
    since: datetime
    hits: list[RelatedHit] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "query": {"kind": self.kind, "label": self.label, "words": self.terms},
            "since": iso_z(self.since),
            "related": [h.as_json() for h in self.hits],
        }


def incident_text(incident: Incident) -> str:
    """What an incident is about, as its bug's summary, whiteboard and reports would say."""
    parts = [
        incident.title,
        incident.summary.description,
        *(t for t in incident.whiteboard if next_update([t]) is None),
        *(f"{p.description} {p.requirement}" for p in incident.problems),
        *(f.title for f in incident.contributing_factors),
    ]
    return "\n".join(parts)


def related(
    argument: str,
    index: BugIndex,
    *,
    as_of: datetime,
    limit: int = 10,
    folders: bool = True,
) -> RelatedResult:
    """The bugs of the last two years most like ``argument``: an incident folder (or its
    incident.yaml), a bug (``1234``, ``bug:1234`` or a show_bug URL) the index holds, or any
    text. Without ``folders`` a path is only text: the web door never reads a folder it is
    named, only those it serves."""
    since = as_of.replace(year=as_of.year - RELATED_YEARS)
    exclude: set[int] = set()
    path = Path(argument) if folders and "\0" not in argument else None
    kind: Literal["folder", "bug", "text"]
    if path is not None and (
        (path / INCIDENT_FILE).is_file() or (path.is_file() and path.name == INCIDENT_FILE)
    ):
        incident = load_incident(path if path.is_dir() else path.parent)
        kind, label, text = "folder", str(path), incident_text(incident)
        if incident.bug is not None:
            exclude.add(incident.bug)
    else:
        digits = argument.strip()
        number = int(digits) if digits.isascii() and digits.isdigit() else bug_reference(digits)
        found = index.get(number) if number is not None else None
        if number is not None and found is None:
            raise CaIncidentError(
                f"bug {number} is not in the Bugzilla cache ({index.settings.cache}); sync it first"
            )
        if found is not None:
            kind, label = "bug", f"bug {found.id}: {found.summary}"
            text = f"{found.summary}\n{found.whiteboard}\n{index.report_texts(found.id)}"
            exclude.add(found.id)
        else:
            kind, label, text = "text", argument, argument
    terms = query_terms(text)
    if not terms:
        raise CaIncidentError(f"'{argument}': no word to look for")
    result = RelatedResult(kind, label, terms, since)
    for number, score, shared in index.search(terms, since=since, exclude=exclude, limit=limit):
        hit = index.get(number)
        if hit is not None:
            result.hits.append(RelatedHit(hit, score, shared))
    return result


# The rule catalog.


@dataclass(frozen=True)
class RuleCatalog:
    rules: tuple[Rule, ...]

    def get(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.code == code.upper()), None)

    def as_json(self) -> list[dict[str, Any]]:
        return [rule_json(r) for r in self.rules]


def rule_catalog() -> RuleCatalog:
    """Every rule, by code, as ``ca-incident rules --json`` lists them."""
    return RuleCatalog(tuple(RULES[code] for code in sorted(RULES)))


# The store the web door holds.


class Dashboard:
    """The incident folders and the Bugzilla index one dashboard shows, and the builds of the
    folders, kept for a minute (a build reads every certificate; a page wants it now)."""

    def __init__(
        self,
        paths: Sequence[Path],
        settings: Settings | None,
        *,
        as_of: datetime | None = None,
        keep: timedelta = timedelta(minutes=1),
    ) -> None:
        self.paths = list(paths)
        self.settings = settings
        self.fixed_as_of = as_of
        self.keep = keep
        self.index = open_index(settings)
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[Any, ...], FolderEntry]] = {}

    def close(self) -> None:
        if self.index is not None:
            self.index.close()

    def folders(self) -> dict[str, Path]:
        found = incident_folders(self.paths) if self.paths else []
        return folder_keys(found)

    def _stamp(self, folder: Path, as_of: datetime) -> tuple[Any, ...]:
        """What a build of the folder depends on: its files (but ``out/``) and the moment, to
        the minute of ``keep``."""
        seen = []
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d != "out"]
            for name in files:
                try:
                    info = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                seen.append((root, name, info.st_mtime_ns, info.st_size))
        window = int(as_of.timestamp() // max(self.keep.total_seconds(), 1))
        return (window, tuple(sorted(seen)))

    def entry(self, key: str, folder: Path, as_of: datetime) -> FolderEntry:
        stamp = self._stamp(folder, as_of)
        with self._lock:
            kept = self._entries.get(key)
        if kept is not None and kept[0] == stamp and kept[1].path == folder:
            return kept[1]
        built = build_entry(key, folder, as_of=as_of)
        with self._lock:
            self._entries[key] = (stamp, built)
        return built

    def entries(self, as_of: datetime) -> list[FolderEntry]:
        return [self.entry(k, p, as_of) for k, p in self.folders().items()]

    def bugs(self, as_of: datetime) -> list[BugDigest]:
        if self.index is None:
            return []
        self.index.refresh(as_of=as_of)
        return self.index.digests()

    def incidents(self, query: ListQuery, as_of: datetime) -> IncidentList:
        return incident_list(self.entries(as_of), self.bugs(as_of), query, as_of=as_of)

    def incident(self, key: str, as_of: datetime) -> IncidentPage | None:
        folder = self.folders().get(key)
        if folder is None:
            return None
        return incident_page(self.entry(key, folder, as_of))

    def reviewer(self, as_of: datetime) -> ReviewerView | None:
        if self.settings is None:
            return None
        return reviewer_view(self.bugs(as_of), self.settings.url, as_of=as_of)

    def bug(self, number: int, as_of: datetime) -> ShowResult | None:
        if self.settings is None or self.index is None:
            return None
        self.index.refresh(as_of=as_of)
        if self.index.get(number) is None:
            return None
        return bug_page(number, self.settings, as_of=as_of)

    def check(self, key: str, as_of: datetime) -> CheckResult | None:
        """What ``ca-incident check DIR`` finds."""
        folder = self.folders().get(key)
        if folder is None:
            return None
        return check_paths([folder], CheckOptions(as_of=as_of))

    def revocation(self, key: str, as_of: datetime) -> RevocationResult | None:
        """What ``ca-incident revocation DIR --json`` prints."""
        folder = self.folders().get(key)
        if folder is None:
            return None
        incident = load_incident(folder)
        return check_incident_revocation(
            incident,
            incident_files(folder, incident, allow_outside=False),
            as_of=as_of,
            certificates=True,
        )

    def status(self, as_of: datetime) -> StatusResult:
        """What ``ca-incident status --json`` prints over the folders served."""
        return status(self.paths, as_of=as_of)

    def related(self, argument: str, as_of: datetime, limit: int = 10) -> RelatedResult:
        """Related to a bug or a text; a folder only by the key of one served."""
        return self._related(argument, as_of, limit, folders=False)

    def related_to_incident(self, key: str, as_of: datetime, limit: int = 10) -> RelatedResult:
        folder = self.folders().get(key)
        if folder is None:
            raise CaIncidentError(f"no incident '{key}'")
        return self._related(str(folder), as_of, limit, folders=True)

    def _related(self, argument: str, as_of: datetime, limit: int, folders: bool) -> RelatedResult:
        if self.index is None:
            raise CaIncidentError("no Bugzilla cache: related incidents come from synced bugs")
        self.index.refresh(as_of=as_of)
        return related(argument, self.index, as_of=as_of, limit=limit, folders=folders)
