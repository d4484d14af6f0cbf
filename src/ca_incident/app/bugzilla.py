"""The Bugzilla jobs: sync bugs into the local cache, show what a bug says, check its reports,
import it as an incident folder, and post an incident's report to it.

Each takes plain inputs (a bug number, an incident folder, :class:`Settings`, "now") and
returns a result with ``as_json()``. Reading needs no API key; posting does. The key stays in
the settings' :class:`~ca_incident.bugzilla.settings.ApiKey` and the client's request header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ca_incident.app.build import Build, incident_folder
from ca_incident.app.check import CheckOptions, CheckResult, build_and_check, check_report_text
from ca_incident.bugzilla.adopt import adopt
from ca_incident.bugzilla.cache import Cache
from ca_incident.bugzilla.client import (
    INCIDENT_COMPONENT,
    INCIDENT_PRODUCT,
    PAGE_SIZE,
    BugzillaClient,
    Request,
    attachment_request,
    comment_request,
    create_bug_request,
    needinfo_request,
)
from ca_incident.bugzilla.errors import MARKDOWN_DISABLED, BugzillaError
from ca_incident.bugzilla.reading import (
    BugFacts,
    awareness_from_reports,
    clock_incident,
    read_bug,
    whiteboard_text,
)
from ca_incident.bugzilla.records import Attachment, Bug, CachedBug, Comment, changes_from_json
from ca_incident.bugzilla.settings import Settings
from ca_incident.bugzilla.settings import bug_number as _bug_number
from ca_incident.bugzilla.settings import bug_reference as _bug_reference
from ca_incident.bugzilla.settings import resolve as resolve_settings
from ca_incident.bugzilla.view import BugView, cached_view
from ca_incident.checks.output import finding_json
from ca_incident.checks.registry import Finding, Severity
from ca_incident.clocks import CLOSURE_NEEDINFO, Clock, clocks
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import INCIDENT_FILE, load_incident, write_back
from ca_incident.model import Incident, Stage
from ca_incident.report.render import BUGZILLA_COMMENT_LIMIT
from ca_incident.timeutil import iso_z, parse_timestamp, utc_now
from ca_incident.whiteboard import words

Progress = Callable[[int, int], None]
"""(done, total)."""
WATERMARK = "ca-compliance:last_change_time"
PENDING_WATERMARK = "ca-compliance:pending_last_change_time"
COMPLIANCE_SEARCH = (("product", INCIDENT_PRODUCT), ("component", INCIDENT_COMPONENT))
"""bug.rst, Search Bugs: "product string The name of the Product that the bug is in";
"component string The name of the Component that the bug is in ... be sure to also specify
the ``product`` argument"."""
_OVERLAP = timedelta(seconds=1)
"""new_since returns what is *newer*; a second back keeps what came in the same second."""


def client_for(settings: Settings) -> BugzillaClient:
    return BugzillaClient(settings)


# Sync.


@dataclass
class SyncResult:
    server: str
    cache: Path
    synced: list[int] = field(default_factory=list)
    unchanged: int = 0
    matched: int | None = None
    """How many bugs the search found (``--ca-compliance``)."""
    resumed: int = 0
    """Bugs left by an interrupted sync, fetched first."""
    since: datetime | None = None
    watermark: datetime | None = None
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "cache": str(self.cache),
            "synced": self.synced,
            "unchanged": self.unchanged,
            "matched": self.matched,
            "resumed": self.resumed,
            "since": iso_z(self.since) if self.since else None,
            "watermark": iso_z(self.watermark) if self.watermark else None,
            "errors": self.errors,
            "interrupted": self.interrupted,
        }


def _store(client: BugzillaClient, cache: Cache, server: str, header: dict[str, Any]) -> Bug:
    """Fetch a bug's new comments, its attachments' metadata and its new history, and keep
    them with its header, in one transaction."""
    bug = Bug.from_json(header)
    last_comment, last_change = cache.latest(server, bug.id)
    comments = [
        Comment.from_json(c)
        for c in client.comments(bug.id, last_comment - _OVERLAP if last_comment else None)
    ]
    attachments = [Attachment.from_json(a) for a in client.attachments(bug.id)]
    history = changes_from_json(
        client.history(bug.id, last_change - _OVERLAP if last_change else None)
    )
    cache.store(server, bug, comments, attachments, history, utc_now())
    return bug


def sync_bugs(
    bugs: Sequence[int],
    settings: Settings,
    *,
    progress: Progress | None = None,
    client: BugzillaClient | None = None,
) -> SyncResult:
    """Bring these bugs up to date in the cache; a bug whose last change time the cache
    already has is left as it is. A bug that cannot be read is listed in ``errors``."""
    result = SyncResult(settings.url, settings.cache)
    wanted = list(dict.fromkeys(bugs))
    own = client is None
    client = client or client_for(settings)
    try:
        with Cache.open(settings.cache) as cache:
            known = cache.last_change_times(settings.url)
            # One search for the headers of them all; a bug it leaves out (missing, or
            # restricted) is asked for alone, for Bugzilla's own error.
            found = {int(h["id"]): h for h in client.bugs(wanted)} if len(wanted) > 1 else {}
            for done, number in enumerate(wanted, start=1):
                try:
                    header = found.get(number) or client.bug(number)
                    changed = Bug.from_json(header).last_change_time
                    if known.get(number) == changed and cache.bug(settings.url, number):
                        result.unchanged += 1
                    else:
                        _store(client, cache, settings.url, header)
                        result.synced.append(number)
                except BugzillaError as exc:
                    result.errors.append(f"bug {number}: {exc}")
                if progress is not None:
                    progress(done, len(wanted))
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if own:
            client.close()
    return result


def sync_ca_compliance(
    settings: Settings,
    *,
    since: datetime | None = None,
    progress: Progress | None = None,
    client: BugzillaClient | None = None,
    page_size: int = PAGE_SIZE,
) -> SyncResult:
    """Every CA Program :: CA Certificate Compliance bug changed since ``since`` (default:
    the last change time the previous sync saw; the first sync reads them all).

    Resumable: the bugs to fetch are written to the cache before the first is fetched, and
    each leaves the list when it is stored, so after Ctrl-C the next run fetches what was
    left, then searches again. The last change time seen is kept only once every bug up to
    it is stored."""
    result = SyncResult(settings.url, settings.cache)
    server = settings.url
    own = client is None
    client = client or client_for(settings)
    try:
        with Cache.open(settings.cache) as cache:
            pending = cache.pending(server)
            result.resumed = len(pending)
            if pending:
                _fetch(client, cache, server, pending, result, progress)
                _advance(cache, server)
            stored = cache.state(server, WATERMARK)
            start = since or (parse_timestamp(stored) if stored else None)
            result.since = start
            criteria = list(COMPLIANCE_SEARCH)
            if start is not None:
                # bug.rst: "last_change_time datetime Searches for bugs that were modified at
                # this time or later."
                criteria.append(("last_change_time", iso_z(start)))
            headers = list(client.search(criteria, page_size=page_size))
            result.matched = len(headers)
            known = cache.last_change_times(server)
            changed = [
                h for h in headers if known.get(int(h["id"])) != Bug.from_json(h).last_change_time
            ]
            result.unchanged = len(headers) - len(changed)
            moments = [Bug.from_json(h).last_change_time for h in headers]
            mark = max(moments, default=start)
            cache.set_pending(server, changed)
            if mark is not None:
                cache.set_state(server, PENDING_WATERMARK, iso_z(mark))
            _fetch(client, cache, server, changed, result, progress)
            result.watermark = _advance(cache, server)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if own:
            client.close()
    return result


def _fetch(
    client: BugzillaClient,
    cache: Cache,
    server: str,
    headers: Sequence[dict[str, Any]],
    result: SyncResult,
    progress: Progress | None,
) -> None:
    for done, header in enumerate(headers, start=1):
        try:
            _store(client, cache, server, header)
            result.synced.append(int(header["id"]))
        except BugzillaError as exc:
            if exc.code in (101, 102):  # gone or restricted since the search: not retried
                result.errors.append(f"bug {header.get('id')}: {exc}")
                cache.drop_pending(server, int(header["id"]))
            else:
                raise
        if progress is not None:
            progress(done, len(headers))


def _advance(cache: Cache, server: str) -> datetime | None:
    """Once nothing is pending, the search's last change time becomes the next start."""
    if cache.pending(server):
        return None
    mark = cache.state(server, PENDING_WATERMARK)
    if mark is not None:
        cache.set_state(server, WATERMARK, mark)
    return parse_timestamp(mark) if mark else None


# Reading one bug.


def cached_bug(
    bug: int, settings: Settings, *, offline: bool = False, client: BugzillaClient | None = None
) -> CachedBug:
    """The bug from the cache, synced first unless ``offline``."""
    if not offline:
        result = sync_bugs([bug], settings, client=client)
        if result.interrupted:
            raise KeyboardInterrupt
        if result.errors:
            raise BugzillaError(result.errors[0].removeprefix(f"bug {bug}: "))
    found = None
    cache = Cache.read_only(settings.cache)
    if cache is not None:
        with cache:
            found = cache.bug(settings.url, bug)
    if found is None:
        raise CaIncidentError(
            f"bug {bug} of {settings.url} is not in the cache ({settings.cache}); run without "
            f"--offline, or 'ca-incident bugzilla sync {bug}'"
        )
    return found


def _report_name(bug: int, comment: Comment) -> str:
    return f"bug-{bug}/comment-{comment.count}.md"


def _attachment_name(attachment: Attachment) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in attachment.file_name)
    name = safe or f"attachment-{attachment.id}"
    if attachment.is_csv and not name.lower().endswith(".csv"):
        name += ".csv"
    return f"bug-{attachment.bug_id}/attachment-{attachment.id}/{name}"


def _report_findings(facts: BugFacts, options: CheckOptions) -> dict[int, list[Finding]]:
    whiteboard = options.whiteboard or words(facts.cached.bug.whiteboard)
    found: dict[int, list[Finding]] = {}
    for report in facts.reports:
        comment = report.comment
        posted = dataclasses.replace(options, posted=comment.time, whiteboard=whiteboard)
        found[comment.count] = check_report_text(
            comment.text, _report_name(facts.bug, comment), posted
        ).findings
    return found


@dataclass
class ShowResult:
    url: str
    facts: BugFacts
    as_of: datetime
    aware: datetime
    aware_source: str
    clocks: list[Clock] = field(default_factory=list)
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    """Per report comment number: the checker's findings."""

    @property
    def overdue(self) -> bool:
        return any(c.overdue and c.must for c in self.clocks)

    def as_json(self) -> dict[str, Any]:
        facts = self.facts
        bug = facts.cached.bug
        return {
            "url": self.url,
            "bug": bug.as_json(),
            "as_of": iso_z(self.as_of),
            "synced_at": iso_z(facts.cached.synced_at) if facts.cached.synced_at else None,
            "whiteboard": facts.whiteboard,
            "next_update": facts.next_update.isoformat() if facts.next_update else None,
            "whiteboard_changes": [
                {"when": iso_z(w), "who": who, "removed": before, "added": after}
                for w, who, before, after in facts.whiteboard_changes()
            ],
            "ca_accounts": sorted(facts.ca_accounts),
            "stage": facts.stage.value,
            "reports": [
                {
                    **r.as_json(),
                    "findings": [finding_json(f) for f in self.findings.get(r.comment.count, [])],
                }
                for r in facts.reports
            ],
            "posted": facts.posted.model_dump(mode="json"),
            "posted_comments": facts.posted_comments,
            "questions": [{**q.as_json(), "due": iso_z(q.due)} for q in facts.questions],
            "needinfo": [f.as_json() for f in facts.open_needinfo],
            "attachments": [a.as_json() for a in facts.cached.attachments],
            "awareness": {"at": iso_z(self.aware), "from": self.aware_source},
            "clocks": [c.as_json() for c in self.clocks],
            "overdue": self.overdue,
        }


def show_bug(
    bug: int,
    settings: Settings,
    *,
    as_of: datetime,
    offline: bool = False,
    ca_accounts: Iterable[str] = (),
    client: BugzillaClient | None = None,
) -> ShowResult:
    """What the bug says: its whiteboard and Next update, each report (template, stage, and
    the checker's findings at its real posting time), each question with its 7-day clock,
    the needinfo flags, and every clock the bug's own timestamps decide."""
    cached = cached_bug(bug, settings, offline=offline, client=client)
    facts = read_bug(cached, extra_ca_accounts=[*settings.ca_accounts, *ca_accounts])
    aware, source = awareness_from_reports(facts)
    result = ShowResult(settings.url, facts, as_of, aware, source)
    result.clocks = clocks(clock_incident(facts, aware), as_of)
    result.findings = _report_findings(facts, CheckOptions(as_of=as_of))
    return result


def check_bug(
    bug: int,
    settings: Settings,
    options: CheckOptions,
    *,
    offline: bool = False,
    ca_accounts: Iterable[str] = (),
    client: BugzillaClient | None = None,
) -> CheckResult:
    """Check every report in the bug as posted (each at its real posting time, with the
    bug's whiteboard), and every CSV attachment that is not obsolete. ``offline`` checks
    what the cache holds; attachments' data is not cached, so it leaves them out."""
    cached = cached_bug(bug, settings, offline=offline, client=client)
    facts = read_bug(cached, extra_ca_accounts=[*settings.ca_accounts, *ca_accounts])
    result = CheckResult()
    for findings in _report_findings(facts, options).values():
        result.findings += findings
    if offline:
        return result
    csvs = [a for a in cached.attachments if a.is_csv and not a.is_obsolete]
    if csvs:
        own = client is None
        client = client or client_for(settings)
        try:
            for attachment in csvs:
                data = client.attachment_data(attachment.id)
                text = data.decode("utf-8-sig", errors="replace")
                result.findings += check_report_text(
                    text, _attachment_name(attachment), options
                ).findings
        finally:
            if own:
                client.close()
    return result


# Import.


@dataclass
class ImportResult:
    folder: Path
    bug: int
    url: str
    written: list[Path] = field(default_factory=list)
    filled_from: list[str] = field(default_factory=list)
    todos: int = 0
    stage: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "bug": self.bug,
            "url": self.url,
            "stage": self.stage,
            "written": [str(p) for p in self.written],
            "filled_from": self.filled_from,
            "todos": self.todos,
        }


def import_bug(
    bug: int,
    folder: Path,
    settings: Settings,
    *,
    as_of: datetime,
    offline: bool = False,
    ca_accounts: Iterable[str] = (),
    client: BugzillaClient | None = None,
) -> ImportResult:
    """Write an incident folder for an open bug: incident.yaml filled from the CA's latest
    report of each stage, the bug's posts and questions; each CSV appendix kept under
    ``bugzilla/`` and its SHA-256 column written as the problem's certificate list."""
    file = folder / INCIDENT_FILE
    if file.exists():
        raise CaIncidentError(f"{file}: already exists; not overwritten")
    cached = cached_bug(bug, settings, offline=offline, client=client)
    facts = read_bug(cached, extra_ca_accounts=[*settings.ca_accounts, *ca_accounts])
    csvs: list[tuple[Attachment, bytes]] = []
    wanted = [a for a in cached.attachments if a.is_csv and not a.is_obsolete]
    if wanted and not offline:
        own = client is None
        client = client or client_for(settings)
        try:
            csvs = [(a, client.attachment_data(a.id)) for a in wanted]
        finally:
            if own:
                client.close()
    adopted = adopt(facts, bug_url=settings.bug_url(bug), csvs=csvs, as_of=as_of)
    result = ImportResult(folder, bug, settings.bug_url(bug))
    result.filled_from, result.todos = adopted.filled_from, adopted.todos
    result.stage = adopted.stage.value
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for attachment, data in csvs:
            path = folder / "bugzilla" / Path(_attachment_name(attachment)).name
            path = path.with_name(f"{attachment.id}-{path.name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            result.written.append(path)
        for relative, data in adopted.files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            result.written.append(path)
        (folder / "certs").mkdir(exist_ok=True)
        file.write_text(adopted.text, encoding="utf-8")
    except OSError as exc:
        raise CaIncidentError(f"{folder}: cannot write the incident folder: {exc}") from None
    result.written.append(file)
    return result


# Post.

POSTABLE = {
    Stage.PRELIMINARY: "preliminary",
    Stage.FULL: "full",
    Stage.CLOSURE: "closure",
}
_CONTENT_TYPES = {".csv": "text/csv", ".txt": "text/plain"}


@dataclass
class PostPlan:
    """What ``post`` would send, decided before anything is sent."""

    folder: Path
    incident: Incident
    settings: Settings
    what: str
    """preliminary, full or closure (a report), or update."""
    text: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    """(file name, content type, data)."""
    markdown: bool = True
    findings: list[Finding] = field(default_factory=list)
    """Error findings in the report or its attachments: they stop the post."""
    warnings: list[str] = field(default_factory=list)

    @property
    def bug(self) -> int | None:
        return self.incident.bug

    @property
    def refused(self) -> bool:
        return bool(self.findings)

    def requests(self, bug: int | str | None = None) -> list[Request]:
        """The requests, in order; before the bug exists, its number is ``NEW``."""
        target = bug if bug is not None else (self.incident.bug or "NEW")
        found: list[Request] = []
        if self.incident.bug is None and bug is None:
            found.append(
                create_bug_request(
                    summary=self.incident.bugzilla_summary,
                    description=self.text,
                    whiteboard=whiteboard_text(self.incident.whiteboard),
                    markdown=self.markdown,
                )
            )
        else:
            found.append(comment_request(target, self.text, markdown=self.markdown))
        found += self.attachment_requests(target)
        if self.what == "closure":
            found.append(needinfo_request(target, CLOSURE_NEEDINFO))
        return found

    def attachment_requests(self, bug: int | str) -> list[Request]:
        return [
            attachment_request(
                bug,
                data=data,
                file_name=name,
                summary=_attachment_summary(name),
                content_type=content_type,
            )
            for name, content_type, data in self.attachments
        ]

    def rendered(self) -> list[str]:
        """Each request exactly as it would be sent, the API key masked."""
        return [r.render(self.settings.url, self.settings.api_key) for r in self.requests()]

    @property
    def target(self) -> str:
        """Where the post goes, in words."""
        if self.bug is None:
            return f"a new bug on {self.settings.url}"
        return self.settings.bug_url(self.bug)

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "bug": self.bug,
            "what": self.what,
            "markdown": self.markdown,
            "refused": self.refused,
            "findings": [finding_json(f) for f in self.findings],
            "warnings": self.warnings,
            "requests": [r.as_json(self.settings.url) for r in self.requests()],
        }


def _attachment_summary(name: str) -> str:
    if name.endswith(".csv"):
        return "Affected certificates (IRG 3.2 Appendix CSV)"
    problem = name.removeprefix("crtsh-").removesuffix(".txt")
    return f"Affected certificates as crt.sh links (problem {problem})"


def plan_post(
    folder: Path | str,
    settings: Settings,
    *,
    as_of: datetime,
    update: str | None = None,
    force: bool = False,
    markdown: bool = True,
    allow_outside: bool = False,
) -> PostPlan:
    """Decide what to post: the report the incident's stage calls for (as a new bug's
    description when it has no bug yet), or ``update``'s text. The report is built and
    checked as ``build`` does; its error findings stop the post unless ``force`` (the
    incident file's own lateness findings do not: a late report is still to be posted)."""
    folder = incident_folder(folder)
    incident = load_incident(folder)
    if update is not None:
        text = update.strip()
        if not text:
            raise CaIncidentError("the update is empty")
        if incident.bug is None:
            raise CaIncidentError(
                f"{folder}: has no bug yet: post its report first ('ca-incident post {folder}')"
            )
        _check_length(text, "the update")
        return PostPlan(folder, incident, settings, "update", text, markdown=markdown)
    what = POSTABLE.get(incident.stage)
    if what is None:
        raise CaIncidentError(
            f"{folder}: the incident is {incident.stage.value}: there is no report to post; "
            "post an update with --update FILE"
        )
    done = getattr(incident.posted, what)
    if done is not None:
        raise CaIncidentError(
            f"{folder}: the {what} report was posted at {iso_z(done)} (posted.{what}); post an "
            "update with --update FILE, or move the stage on"
        )
    if what == "closure" and incident.bug is None:
        raise CaIncidentError(f"{folder}: a closure report goes in the incident's bug; set bug:")
    built = build_and_check(
        folder, as_of=as_of, write=False, posted=as_of, allow_outside=allow_outside
    )
    report = built.report or ""
    _check_length(report, f"the {what} report")
    plan = PostPlan(folder, incident, settings, what, report, markdown=markdown)
    plan.attachments = _attachments(built, report)
    errors = [f for f in built.findings if f.severity is Severity.ERROR]
    blocking = [f for f in errors if f.path != built.source]
    plan.warnings = [*built.warnings]
    plan.warnings += [
        f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in errors if f not in blocking
    ]
    if force:
        plan.warnings += [
            f"posted despite {f.path}:{f.line}:{f.column}: {f.code} {f.message} (--force)"
            for f in blocking
        ]
    else:
        plan.findings = blocking
    return plan


def _check_length(text: str, what: str) -> None:
    if len(text) > BUGZILLA_COMMENT_LIMIT:
        raise CaIncidentError(
            f"{what} is {len(text):,} characters, over Bugzilla's limit of "
            f"{BUGZILLA_COMMENT_LIMIT:,} for one comment (error 114)"
        )


def _attachments(built: Build, report: str) -> list[tuple[str, str, bytes]]:
    """The files the report names as attachments (the Appendix): the CSV, crt.sh lists."""
    found = []
    for attachment in built.data.attachments:
        name = attachment.filename
        content = built.files_out.get(name)
        if content is None or f"`{name}`" not in report:
            continue
        content_type = _CONTENT_TYPES.get(Path(name).suffix, "text/plain")
        found.append((name, content_type, content.encode("utf-8")))
    return found


@dataclass
class PostResult:
    plan: PostPlan
    bug: int | None = None
    comment: int | None = None
    """The number of the comment that is the post (0: the bug's description)."""
    posted_at: datetime | None = None
    attachments: list[int] = field(default_factory=list)
    needinfo: str | None = None
    """Whom the closure's needinfo was set on."""
    written: list[str] = field(default_factory=list)
    """What was written back into incident.yaml."""
    notes: list[str] = field(default_factory=list)
    """What the server did differently from what was asked."""

    @property
    def url(self) -> str | None:
        if self.bug is None:
            return None
        return self.plan.settings.bug_url(self.bug, self.comment)

    def as_json(self) -> dict[str, Any]:
        return {
            "bug": self.bug,
            "what": self.plan.what,
            "comment": self.comment,
            "url": self.url,
            "posted_at": iso_z(self.posted_at) if self.posted_at else None,
            "attachments": self.attachments,
            "needinfo": self.needinfo,
            "written": self.written,
            "notes": self.notes,
            "warnings": self.plan.warnings,
        }


def run_post(plan: PostPlan, *, client: BugzillaClient | None = None) -> PostResult:
    """Send the plan's requests, then write the bug, the posting time and the comment number
    back into incident.yaml (and refresh the bug in the cache). Each step's result is
    written back as soon as it is known, so a failure later (an attachment) never loses
    the bug number of a report already posted."""
    if plan.refused:
        raise CaIncidentError("the report has error findings; not posted (--force posts it)")
    settings = plan.settings
    if settings.api_key is None:
        raise CaIncidentError(
            "posting needs an API key: set BUGZILLA_API_KEY, or api_key in the config file "
            "(see docs/bugzilla.md)"
        )
    result = PostResult(plan)
    own = client is None
    client = client or client_for(settings)
    try:
        first = plan.requests()[0]
        try:
            if plan.bug is None:
                bug, accepted = client.create_bug(first)
                comment_id = None
                markdown_sent = bool((accepted.body or {}).get("is_markdown"))
            else:
                bug = plan.bug
                comment_id = client.add_comment(first)
                markdown_sent = plan.markdown
        except BugzillaError as exc:
            if exc.code == MARKDOWN_DISABLED:
                raise BugzillaError(f"{exc}; nothing was posted", code=exc.code) from None
            raise
        result.bug = bug
        result.notes += client.notes
        posted = _posted_comment(client, settings, bug, comment_id)
        if posted is not None:
            result.comment, result.posted_at = posted.count, posted.time
            if markdown_sent and posted.is_markdown is not True:
                result.notes.append(
                    "the server did not record the post as Markdown (upstream Bugzilla 5.2 "
                    "ignores is_markdown on comments): it will show as plain text"
                )
        result.written += _write_back(plan, result)
        for request in plan.attachment_requests(bug):
            result.attachments += client.add_attachment(request)
        if plan.what == "closure":
            client.update_bug(needinfo_request(bug, CLOSURE_NEEDINFO))
            result.needinfo = CLOSURE_NEEDINFO
        sync_bugs([bug], settings, client=client)
        result.written += _write_questions(plan, settings, bug)
    finally:
        if own:
            client.close()
    return result


def _posted_comment(
    client: BugzillaClient, settings: Settings, bug: int, comment_id: int | None
) -> Comment | None:
    """The comment just posted (the description of a new bug), as the server has it."""
    sync_bugs([bug], settings, client=client)
    cache = Cache.read_only(settings.cache)
    if cache is None:
        return None
    with cache:
        cached = cache.bug(settings.url, bug)
    if cached is None:
        return None
    if comment_id is None:
        return cached.comment(0)
    return next((c for c in cached.comments if c.id == comment_id), None)


def _write_back(plan: PostPlan, result: PostResult) -> list[str]:
    if result.posted_at is None:
        return []
    file = plan.folder / INCIDENT_FILE
    if plan.what == "update":
        return write_back(file, bug=result.bug, updates=[(result.posted_at, result.comment)])
    return write_back(file, bug=result.bug, posted={plan.what: (result.posted_at, result.comment)})


def _write_questions(plan: PostPlan, settings: Settings, bug: int) -> list[str]:
    """The questions the bug shows, and their answers, into incident.yaml."""
    cache = Cache.read_only(settings.cache)
    if cache is None:
        return []
    with cache:
        cached = cache.bug(settings.url, bug)
    if cached is None:
        return []
    facts = read_bug(cached, extra_ca_accounts=settings.ca_accounts)
    if not facts.questions:
        return []
    return write_back(
        plan.folder / INCIDENT_FILE,
        questions=[(q.question, q.answered_in) for q in facts.questions],
    )


# Clocks from the bug, for status and build.


def bug_view(
    incident: Incident,
    settings: Settings,
    *,
    sync: bool = False,
    client: BugzillaClient | None = None,
) -> BugView | None:
    """The incident with the posts, whiteboard and questions its bug shows (from the cache;
    ``sync`` refreshes the bug first), or None when it has no bug or the cache does not
    hold it."""
    if incident.bug is not None and sync:
        result = sync_bugs([incident.bug], settings, client=client)
        if result.errors:
            raise BugzillaError(result.errors[0])
    return cached_view(incident, settings)


# What the doors need to turn their options into the jobs' inputs.


def settings(
    url: str | None = None,
    cache: Path | None = None,
    ca_accounts: Sequence[str] = (),
) -> Settings:
    """The settings a command runs with: its options, then the environment, then the config
    file (see :mod:`ca_incident.bugzilla.settings`)."""
    return resolve_settings(url, cache, ca_accounts=tuple(ca_accounts))


def bug_reference(text: str) -> int | None:
    """The bug a ``check`` argument names (``bug:N`` or a show_bug URL), else None."""
    return _bug_reference(text)


def bug_number(text: str) -> int:
    """A bug argument: a number, ``bug:N`` or a show_bug URL."""
    return _bug_number(text)
