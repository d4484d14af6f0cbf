"""The Bugzilla jobs against the local server: sync (incremental, resumable), show, check a
bug, import (real report texts round-trip through build and check), post, and status judged
on what the bug shows."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ca_incident.app import bugzilla as job
from ca_incident.app.build import build, build_folder
from ca_incident.app.check import CheckOptions, check_report_text
from ca_incident.app.status import status
from ca_incident.bugzilla.adopt import adopt, certificate_lists, policies
from ca_incident.bugzilla.cache import Cache
from ca_incident.bugzilla.reading import read_bug, whiteboard_entries, whiteboard_text
from ca_incident.bugzilla.records import Attachment, Bug, CachedBug, Comment
from ca_incident.bugzilla.settings import ApiKey, Settings
from ca_incident.checks.report import parse
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import load_incident, parse_incident
from ca_incident.model import Stage
from ca_incident.sources import MemoryFiles
from ca_incident.templates import STAGE_TEMPLATE
from ca_incident.timeutil import iso_z, parse_timestamp

from .bmo_server import (
    CA,
    CA_KEY,
    CCADB,
    REVIEWER,
    REVIEWER_KEY,
    Flavour,
    State,
    people,
    running,
    ticking,
)
from .helpers import EXAMPLES, shared_path

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
"""The server's clock starts here (after the CRL example's awareness), a minute a write."""


def _headers() -> Path:
    return shared_path("corpus", "reports", "bugzilla-bug-headers.json")


def _openings() -> Path:
    return shared_path("corpus", "reports", "bugzilla-report-openings.jsonl")


def _settings(url: str, tmp_path: Path, key: str | None = CA_KEY) -> Settings:
    return Settings(
        url=url,
        api_key=ApiKey(key, "the test") if key else None,
        cache=tmp_path / "cache.sqlite",
        retries=1,
        backoff=0.0,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[tuple[State, Settings]]:
    """The BMO flavour with the real bugs filed in 2026 (71 of them) and bug 2007948, a
    Preliminary report filed on 2025-12-29."""
    state = people(State(Flavour.BMO))
    state.seed_corpus(
        _headers(),
        _openings(),
        where=lambda b: str(b["creation_time"]) >= "2026-01-01" or b["id"] == 2007948,
    )
    with running(state) as url:
        yield state, _settings(url, tmp_path)


@pytest.fixture(params=[Flavour.BMO, Flavour.UPSTREAM])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[State, Settings]]:
    state = people(State(request.param))
    state.clock = ticking(START)
    with running(state) as url:
        yield state, _settings(url, tmp_path)


def _as(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-BUGZILLA-API-KEY": key})


def _ask(settings: Settings, bug: int, text: str, *, needinfo: bool = False) -> None:
    """A reviewer's comment, with a needinfo on the CA's account if asked for."""
    with _as(settings.url, REVIEWER_KEY) as reviewer:
        reviewer.post(f"/rest/bug/{bug}/comment", json={"comment": text}).raise_for_status()
        if needinfo:
            flags = [{"name": "needinfo", "status": "?", "requestee": CA}]
            reviewer.put(f"/rest/bug/{bug}", json={"flags": flags}).raise_for_status()


def _example(tmp_path: Path, name: str, *, drop: tuple[str, ...] = ("bug", "posted")) -> Path:
    """A copy of an example incident (with the shared issuing CA beside it), without the
    fields named in ``drop``."""
    folder = tmp_path / "incidents" / name
    shutil.copytree(EXAMPLES / name, folder)
    if (EXAMPLES / "ca").is_dir():
        shutil.copytree(EXAMPLES / "ca", tmp_path / "incidents" / "ca", dirs_exist_ok=True)
    shutil.rmtree(folder / "out", ignore_errors=True)
    lines = (folder / "incident.yaml").read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    skipping = False
    for line in lines:
        key = re.match(r"^([a-z_]+):", line)
        if key is not None:
            skipping = key[1] in drop
        if not skipping:
            kept.append(line)
    (folder / "incident.yaml").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return folder


# Whiteboards.


def test_whiteboard_entries_round_trip() -> None:
    text = "[close on 2025-12-10] [ca-compliance] [ov-misissuance] Next update 2026-12-20"
    entries = whiteboard_entries(text)
    assert entries == [
        "close on 2025-12-10",
        "ca-compliance",
        "ov-misissuance",
        "Next update 2026-12-20",
    ]
    assert whiteboard_text(entries) == text


# Sync.


def test_sync_ca_compliance_is_incremental(corpus: tuple[State, Settings]) -> None:
    state, settings = corpus
    first = job.sync_ca_compliance(settings, page_size=20)
    assert first.matched == 72 and len(first.synced) == 72 and not first.errors
    assert first.watermark == max(b.last_change_time for b in state.bugs.values())
    bug = 2007948
    state.clock = lambda: datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    _ask(settings, bug, "When will the Full report be posted?")
    second = job.sync_ca_compliance(settings, page_size=20)
    assert second.synced == [bug]
    assert second.since == first.watermark
    cache = Cache.read_only(settings.cache)
    assert cache is not None
    with cache:
        cached = cache.bug(settings.url, bug)
        assert cache.bug_count(settings.url) == 72
    assert cached is not None and [c.count for c in cached.comments] == [0, 1]
    comments = [e.target for e in state.log if e.target.startswith(f"/rest/bug/{bug}/comment")]
    assert "new_since=" in comments[-1]


def test_sync_resumes_after_an_interruption(corpus: tuple[State, Settings]) -> None:
    _, settings = corpus

    def interrupt(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    stopped = job.sync_ca_compliance(settings, progress=interrupt)
    assert stopped.interrupted and len(stopped.synced) == 5
    with Cache.open(settings.cache) as cache:
        assert len(cache.pending(settings.url)) == 67
        assert cache.state(settings.url, job.WATERMARK) is None
    resumed = job.sync_ca_compliance(settings)
    assert resumed.resumed == 67 and not resumed.interrupted
    assert len(resumed.synced) == 67
    assert resumed.watermark is not None
    again = job.sync_ca_compliance(settings)
    assert again.synced == [] and again.resumed == 0


def test_sync_names_a_bug_it_cannot_read(corpus: tuple[State, Settings]) -> None:
    _, settings = corpus
    result = job.sync_bugs([2007948, 99999999], settings)
    assert result.synced == [2007948]
    assert len(result.errors) == 1 and "no such bug" in result.errors[0]
    unchanged = job.sync_bugs([2007948], settings)
    assert unchanged.synced == [] and unchanged.unchanged == 1


# Show and check.


def test_show_reads_reports_questions_and_clocks(corpus: tuple[State, Settings]) -> None:
    state, settings = corpus
    bug = 2007948
    state.clock = ticking(datetime(2026, 1, 2, 9, 0, tzinfo=UTC))
    _ask(settings, bug, "Which certificates are affected?", needinfo=True)
    _ask(settings, bug, "See https://bugzilla.mozilla.org/show_bug.cgi?id=1 for context.")
    result = job.show_bug(bug, settings, as_of=parse_timestamp("2026-01-20T00:00Z"))
    facts = result.facts
    assert [(r.comment.count, r.template.name, r.by_ca) for r in facts.reports] == [
        (0, STAGE_TEMPLATE[Stage.PRELIMINARY].name, True)
    ]
    assert len(facts.questions) == 1  # the link's ? is no question; the needinfo is merged
    question = facts.questions[0].question
    assert question.comment == 1 and question.by == REVIEWER and question.answered is None
    assert [f.requestee for f in facts.open_needinfo] == [CA]
    kinds = {c.kind: c for c in result.clocks}
    assert kinds["first-report"].done == parse_timestamp("2025-12-29T20:30:46Z")
    assert kinds["question"].overdue and result.overdue
    assert {f.code for f in result.findings[0]} >= {"SUM002"}
    document = result.as_json()
    assert document["questions"][0]["due"] == "2026-01-09T09:00:00Z"
    assert document["reports"][0]["findings"][0]["path"] == f"bug-{bug}/comment-0.md"


def test_check_bug_checks_reports_as_posted_and_csv_attachments(
    corpus: tuple[State, Settings],
) -> None:
    _, settings = corpus
    bug = 2007948
    bad = b"Certificate SHA-256 hash,Subject\nnot-a-hash,CN=x\n"
    with _as(settings.url, CA_KEY) as ca:
        ca.post(
            f"/rest/bug/{bug}/attachment",
            json={
                "ids": [bug],
                "data": base64.b64encode(bad).decode(),
                "file_name": "appendix.csv",
                "summary": "Affected certificates",
                "content_type": "text/csv",
            },
        ).raise_for_status()
    result = job.check_bug(bug, settings, CheckOptions(as_of=parse_timestamp("2026-11-27T12:00Z")))
    paths = {f.path for f in result.findings}
    assert f"bug-{bug}/comment-0.md" in paths
    assert f"bug-{bug}/attachment-1/appendix.csv" in paths
    assert any(f.code.startswith("APX") for f in result.findings)
    offline = job.check_bug(
        bug, settings, CheckOptions(as_of=parse_timestamp("2026-11-27T12:00Z")), offline=True
    )
    assert {f.path for f in offline.findings} == {f"bug-{bug}/comment-0.md"}


def test_offline_needs_the_bug_in_the_cache(corpus: tuple[State, Settings]) -> None:
    _, settings = corpus
    with pytest.raises(CaIncidentError, match="not in the cache"):
        job.show_bug(2007948, settings, as_of=START, offline=True)


# Import.


def _fill_todos(text: str, at: datetime) -> str:
    """What a CA fills in after an import where the reports say nothing."""
    for name, value in (
        ("version", '"1"'),
        ("section", '"1"'),
        ("document", '"Policy"'),
        ("at", iso_z(at)),
        ("detail", '"As the report says."'),
        ("channel", "other"),
        ("source", "Self Reported"),
        ("description", '"As the report says."'),
    ):
        text = re.sub(rf"(?m)^(\s+(?:- )?){name}:$", rf"\g<1>{name}: {value}", text)
    return text


def _labelled_preliminary_reports() -> list[dict[str, Any]]:
    headers = {b["id"]: b for b in json.loads(_headers().read_text(encoding="utf-8"))}
    found = []
    for line in _openings().read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["truncated"] or row["bug"] not in headers:
            continue
        report = parse(row["text"])
        if report.template == STAGE_TEMPLATE[Stage.PRELIMINARY].name and report.fields[2:]:
            found.append({**row, "summary": headers[row["bug"]]["summary"]})
    return found


def test_real_reports_round_trip_through_import_build_and_check() -> None:
    """Every whole IRG 3.x Preliminary report of the corpus: imported, its TODOs filled as a
    CA would, built, and checked: the rebuilt report has no error the original did not."""
    rows = _labelled_preliminary_reports()
    assert len(rows) > 100
    for row in rows:
        posted = parse_timestamp(row["time"])
        bug = Bug(
            id=row["bug"],
            summary=row["summary"],
            whiteboard="[ca-compliance]",
            status="ASSIGNED",
            resolution="",
            creation_time=posted,
            last_change_time=posted,
            assigned_to=CA,
            creator=CA,
        )
        cached = CachedBug(bug, (Comment(1, row["bug"], 0, CA, posted, row["text"]),))
        adopted = adopt(read_bug(cached), bug_url="https://bugzilla.example", as_of=posted)
        description = parse(row["text"]).field("Incident description")
        incident = parse_incident(_fill_todos(adopted.text, posted))
        assert incident.bug == row["bug"] and incident.posted.preliminary == posted
        if description is not None and description.value.strip():
            assert incident.summary.description == description.value.strip()
        rebuilt = build(incident, MemoryFiles({}), as_of=posted, posted=posted)
        new = {
            f.code
            for f in rebuilt.findings
            if f.severity.value == "error" and f.path != rebuilt.source
        }
        original = {
            f.code
            for f in check_report_text(
                row["text"], "original.md", CheckOptions(as_of=posted, posted=posted)
            ).findings
            if f.severity.value == "error"
        }
        assert new <= original, (row["bug"], new - original)


def test_policies_are_read_from_report_words() -> None:
    assert policies("TLS Baseline Requirements v2.2.6, section 7.1.2.7.4; CP/CPS") == [
        (
            "TLS Baseline Requirements",
            "2.2.6",
            "7.1.2.7.4",
            "TLS Baseline Requirements v2.2.6, section 7.1.2.7.4",
        ),
        ("CP/CPS", None, None, "CP/CPS"),
    ]


def test_import_writes_a_folder_that_build_lists_the_todos_of(
    corpus: tuple[State, Settings], tmp_path: Path
) -> None:
    _, settings = corpus
    folder = tmp_path / "adopted"
    result = job.import_bug(2007948, folder, settings, as_of=START)
    assert result.stage == "preliminary" and result.todos == 3
    text = (folder / "incident.yaml").read_text(encoding="utf-8")
    assert "bug: 2007948" in text and "preliminary: 2025-12-29T20:30:46Z  # comment 0" in text
    with pytest.raises(CaIncidentError) as caught:
        load_incident(folder)
    assert "awareness.at" in str(caught.value) and "relevant_policies[0].version" in str(
        caught.value
    )
    with pytest.raises(CaIncidentError, match="already exists"):
        job.import_bug(2007948, folder, settings, as_of=START)


def test_certificate_lists_come_from_the_csv_sha256_column() -> None:
    csv = (
        "Precertificate SHA-256 hash,Certificate SHA-256 hash,Subject,Problem\n"
        f",{'a' * 64},CN=x,ou-in-subject\n"
        f"{'B' * 64},,CN=y,ou-in-subject\n"
        f",{'c' * 64},CN=z,other problem\n"
    ).encode()
    attachment = Attachment(3, 1, "appendix.csv", "a", "text/csv", len(csv), CA, START, START)
    found = certificate_lists([(attachment, csv)])
    assert [(f.problem, f.path, len(f.fingerprints)) for f in found] == [
        ("ou-in-subject", "certs/ou-in-subject.sha256", 2),
        ("other-problem", "certs/other-problem.sha256", 1),
    ]
    assert found[0].fingerprints[1] == "b" * 64


# Post.


def test_dry_run_prints_the_exact_requests_with_the_key_masked(
    fresh: tuple[State, Settings], tmp_path: Path
) -> None:
    state, settings = fresh
    folder = _example(tmp_path, "tls-ou-misissuance")
    plan = job.plan_post(folder, settings, as_of=parse_timestamp("2026-10-28T15:00Z"))
    rendered = plan.rendered()
    assert plan.what == "full" and plan.bug is None and not plan.refused
    assert rendered[0].startswith(f"POST {settings.url}/rest/bug\n")
    assert "X-BUGZILLA-API-KEY: ********" in rendered[0]
    body = json.loads(rendered[0].split("\n\n", 1)[1])
    assert (
        body["summary"]
        == "Example Trust Services: OV TLS certificates issued with organizationalUnitName"
    )
    assert body["description"].startswith("## Full Incident Report")
    assert body["whiteboard"] == "[ca-compliance] [ov-misissuance] Next update 2026-12-15"
    assert body["type"] == "task" and body["is_markdown"] is True
    assert [r.split("\n", 1)[0] for r in rendered[1:]] == [
        f"POST {settings.url}/rest/bug/NEW/attachment"
    ] * 2
    assert all(CA_KEY not in r for r in rendered)
    assert CA_KEY not in json.dumps(plan.as_json())
    assert state.log == []


def test_post_files_a_bug_then_the_closure_with_its_needinfo(
    fresh: tuple[State, Settings], tmp_path: Path
) -> None:
    state, settings = fresh
    folder = _example(tmp_path, "tls-ou-misissuance")
    as_of = parse_timestamp("2026-10-28T15:00Z")
    posted = job.run_post(job.plan_post(folder, settings, as_of=as_of))
    bug = posted.bug
    assert bug is not None and posted.comment == 0 and posted.posted_at is not None
    assert len(posted.attachments) == 2
    incident = load_incident(folder)
    assert incident.bug == bug and incident.posted.full == posted.posted_at
    text = (folder / "incident.yaml").read_text(encoding="utf-8")
    assert "# comment 0" in text and "# A fictional TLS misissuance" in text
    assert state.bugs[bug].whiteboard == "[ca-compliance] [ov-misissuance] Next update 2026-12-15"
    if state.flavour is Flavour.UPSTREAM:
        assert any("Markdown" in note for note in posted.notes)
    else:
        assert posted.notes == [] and state.bugs[bug].type == "task"
    with pytest.raises(CaIncidentError, match="was posted at"):
        job.plan_post(folder, settings, as_of=as_of)

    # Closure: every action item done, the closure summary written.
    yaml = (folder / "incident.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace("stage: full", "stage: closure")
    yaml = yaml.replace(
        "    status: Ongoing\n", "    status: Complete\n    completed: 2026-12-10\n"
    )
    yaml += (
        "closure:\n  root_causes: A copied profile and an outdated linter.\n"
        "  remediation: Profile reviews against the BRs and a current linter.\n"
        "  commitments: Daily linting of every unexpired certificate.\n"
    )
    (folder / "incident.yaml").write_text(yaml, encoding="utf-8")
    closed = job.run_post(
        job.plan_post(folder, settings, as_of=parse_timestamp("2026-12-12T10:00Z"))
    )
    assert closed.bug == bug and closed.comment is not None and closed.comment > 0
    assert closed.needinfo == CCADB
    assert [(f["requestee"], f["status"]) for f in state.bugs[bug].flags] == [(CCADB, "?")]
    assert load_incident(folder).posted.closure == closed.posted_at


def test_a_posted_full_report_imports_back(fresh: tuple[State, Settings], tmp_path: Path) -> None:
    """Post the TLS example's Full report, import the bug into a new folder, fill the one
    TODO, build: the rebuilt report says what the example says, and has no error the posted
    one does not."""
    _, settings = fresh
    folder = _example(tmp_path, "tls-ou-misissuance")
    as_of = parse_timestamp("2026-10-28T15:00Z")
    posted = job.run_post(job.plan_post(folder, settings, as_of=as_of))
    assert posted.bug is not None
    adopted = tmp_path / "incidents" / "adopted"
    result = job.import_bug(posted.bug, adopted, settings, as_of=as_of)
    assert result.stage == "full" and result.todos == 1
    assert (adopted / "certs" / "ou-in-subject.sha256").read_text().count("\n") == 12
    text = (adopted / "incident.yaml").read_text(encoding="utf-8")
    text = text.replace("    completed:\n", "    completed: 2026-11-12\n", 1)
    (adopted / "incident.yaml").write_text(text, encoding="utf-8")
    original, imported = load_incident(folder), load_incident(adopted)
    for name in ("ca_owner", "title", "ccadb_id", "summary", "awareness", "issuance"):
        assert getattr(imported, name) == getattr(original, name), name
    assert imported.contributing_factors == original.contributing_factors
    assert imported.lessons == original.lessons
    assert imported.related_incidents == original.related_incidents
    assert imported.action_items == original.action_items
    assert {e.text for e in original.timeline} <= {e.text for e in imported.timeline}
    rebuilt = build_folder(adopted, as_of=as_of, write=False, posted=as_of)
    errors = [f for f in rebuilt.findings if f.severity.value == "error"]
    in_report = {f.code for f in errors if f.path.endswith("report.md")}
    checked = job.check_bug(posted.bug, settings, CheckOptions(as_of=as_of), offline=True)
    assert in_report <= {f.code for f in checked.findings if f.severity.value == "error"}
    # A SHA-256 gives no serial or dates: the appendix rebuilt from the list says so until
    # the certificates themselves replace it, as the import's comment asks.
    in_appendix = {f.code for f in errors if f.path.endswith("appendix.csv")}
    assert in_appendix <= {"APX002"}


def test_post_refuses_a_report_with_error_findings_unless_forced(
    fresh: tuple[State, Settings], tmp_path: Path
) -> None:
    state, settings = fresh
    folder = _example(tmp_path, "tls-ou-misissuance")
    yaml = (folder / "incident.yaml").read_text(encoding="utf-8")
    unaddressed = (
        "  - id: CF-3\n    title: Nobody owned the review\n    description: No owner.\n"
        "    timeline: Since 2021.\n    detection: Found now.\n    interaction: None.\n"
    )
    yaml = yaml.replace("\nlessons:", unaddressed + "\nlessons:")
    (folder / "incident.yaml").write_text(yaml, encoding="utf-8")
    as_of = parse_timestamp("2026-10-28T15:00Z")
    plan = job.plan_post(folder, settings, as_of=as_of)
    assert plan.refused and {f.code for f in plan.findings} == {"AI005"}
    with pytest.raises(CaIncidentError, match="not posted"):
        job.run_post(plan)
    assert state.log == []
    forced = job.plan_post(folder, settings, as_of=as_of, force=True)
    assert not forced.refused and any("--force" in w for w in forced.warnings)


def test_post_needs_a_key(fresh: tuple[State, Settings], tmp_path: Path) -> None:
    _, settings = fresh
    folder = _example(tmp_path, "crl-published-late")
    anonymous = Settings(url=settings.url, cache=settings.cache)
    plan = job.plan_post(folder, anonymous, as_of=START)
    with pytest.raises(CaIncidentError, match="needs an API key"):
        job.run_post(plan)


def test_markdown_disabled_posts_nothing(tmp_path: Path) -> None:
    state = people(State(Flavour.BMO))
    state.markdown_enabled = False
    with running(state) as url:
        settings = _settings(url, tmp_path)
        folder = _example(tmp_path, "crl-published-late")
        plan = job.plan_post(folder, settings, as_of=START)
        with pytest.raises(CaIncidentError, match=r"Markdown is disabled.*nothing was posted"):
            job.run_post(plan)
        assert state.bugs == {}
        plain = job.plan_post(folder, settings, as_of=START, markdown=False)
        assert job.run_post(plain).bug == 1


# Status, from the bug.


def test_status_takes_posts_and_questions_from_the_bug(
    fresh: tuple[State, Settings], tmp_path: Path
) -> None:
    _, settings = fresh
    folder = _example(tmp_path, "crl-published-late")
    posted = job.run_post(job.plan_post(folder, settings, as_of=START))
    bug = posted.bug
    assert bug is not None
    _ask(settings, bug, "Why was the alert routed to a retired queue?")
    as_of = parse_timestamp("2026-11-27T12:00Z")
    before = status([folder], as_of=as_of, bugzilla=settings, sync=True).incidents[0]
    assert before.bug is not None and not before.warnings
    assert [d.field for d in before.bug.differences] == ["questions"]
    assert "by reviewer@example.com" in before.differences[0]
    question = [c for c in before.clocks if c.kind == "question"]
    assert len(question) == 1 and question[0].open
    update = job.plan_post(folder, settings, as_of=as_of, update="The queue was not retired.")
    answered = job.run_post(update)
    assert answered.comment == 2
    incident = load_incident(folder)
    assert incident.posted.updates == [answered.posted_at]
    assert [(str(q.comment), q.answered) for q in incident.questions] == [("1", answered.posted_at)]
    after = status([folder], as_of=as_of, bugzilla=settings, sync=True).incidents[0]
    clocks = {c.kind: c for c in after.clocks}
    assert clocks["first-report"].done == posted.posted_at and not clocks["first-report"].late
    assert clocks["question"].done == answered.posted_at and not clocks["question"].late
    assert after.differences == []
    assert after.as_json()["bugzilla"]["differences"] == []


def test_build_folder_still_builds_what_was_posted(
    fresh: tuple[State, Settings], tmp_path: Path
) -> None:
    _, settings = fresh
    folder = _example(tmp_path, "crl-published-late")
    job.run_post(job.plan_post(folder, settings, as_of=START))
    built = build_folder(folder, as_of=START + timedelta(hours=1), write=False)
    assert not built.errors
