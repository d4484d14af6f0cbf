"""The Bugzilla commands through Click's runner: help with examples, exit codes, clear errors,
an interrupted sync that resumes, and the end to end path of an adopted incident: import a bug,
build, post, sync, and see every clock met in status. The API key is grepped for in everything
the commands print and in the cache."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ca_incident.app.build import build_folder
from ca_incident.bugzilla.cache import Cache
from ca_incident.cli import cli
from ca_incident.timeutil import iso_z

from .bmo_server import CA, CA_KEY, REVIEWER_KEY, Flavour, State, people, running, ticking
from .helpers import EXAMPLES, shared_path

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AS_OF = "2026-11-27T12:00Z"


@dataclass
class Session:
    """A server, and the environment a CA's shell would have."""

    state: State
    url: str
    cache: Path
    seen: list[str] = field(default_factory=list)
    """Everything the commands printed, for the key grep."""

    def run(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
        self.seen += [result.stdout, result.stderr]
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Session]:
    state = people(State(Flavour.BMO))
    state.clock = ticking(START)
    state.seed_corpus(
        shared_path("corpus", "reports", "bugzilla-bug-headers.json"),
        shared_path("corpus", "reports", "bugzilla-report-openings.jsonl"),
        where=lambda b: b["id"] in (2007948, 2015383),
    )
    with running(state) as url:
        cache = tmp_path / "cache" / "bugzilla.sqlite"
        monkeypatch.setenv("CA_INCIDENT_BUGZILLA_URL", url)
        monkeypatch.setenv("BUGZILLA_API_KEY", CA_KEY)
        monkeypatch.setenv("CA_INCIDENT_CACHE", str(cache))
        monkeypatch.setenv("CA_INCIDENT_CONFIG", str(tmp_path / "no-config.toml"))
        current = Session(state, url, cache)
        yield current
        printed = "".join(current.seen)
        assert CA_KEY not in printed
        if cache.exists():
            assert CA_KEY.encode() not in cache.read_bytes()
        for entry in state.log:
            assert CA_KEY not in entry.target and CA_KEY not in entry.body


NEW_COMMANDS = (
    ("bugzilla",),
    ("bugzilla", "sync"),
    ("bugzilla", "show"),
    ("bugzilla", "check"),
    ("import",),
    ("post",),
)


@pytest.mark.parametrize("command", NEW_COMMANDS, ids=" ".join)
def test_every_new_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "ca-incident" in result.stdout


def test_usage_and_input_errors_exit_2_without_a_traceback(session: Session) -> None:
    for args, message in (
        (("bugzilla", "sync"), "name bugs to sync, or pass --ca-compliance"),
        (("bugzilla", "sync", "1", "--since", "2026-01-01"), "--since goes with"),
        (("bugzilla", "show", "two"), "is not a bug"),
        (("bugzilla", "show", "99999999"), "no such bug"),
        (("bugzilla", "show", "1", "--bugzilla-url", "http://example.org"), "needs https"),
        (("bugzilla", "show", "1", "--offline"), "not in the cache"),
        (("bugzilla", "sync", "--ca-compliance", "--since", "yesterday"), "not an ISO 8601"),
        (("post", str(EXAMPLES / "crl-published-late"), "--update", "-"), "the update is empty"),
    ):
        code, out, err = session.run(*args, stdin="")
        assert code == 2, (args, out, err)
        assert message in out + err, (args, out, err)
        assert "Traceback" not in out + err


def test_sync_show_and_check_a_real_bug(session: Session) -> None:
    code, out, err = session.run("bugzilla", "sync", "2007948", "bug:2015383")
    assert code == 0, err
    assert "synced 2 bug(s), 0 unchanged" in out
    code, out, _ = session.run("bugzilla", "show", "2007948", "--offline", "--as-of", AS_OF)
    assert "Bug 2007948: NETLOCK: Full Incident Report was not published" in out
    assert "comment 0" in out and "CCADB IRG 3.2 Preliminary Incident Report" in out
    assert "SUM002 error" in out
    assert code == 1  # no update in 7 days: a MUST overdue
    code, out, _ = session.run("bugzilla", "show", "2007948", "--json", "--as-of", AS_OF)
    shown = json.loads(out)
    assert shown["posted"]["preliminary"] == "2025-12-29T20:30:46Z"
    code, out, _ = session.run(
        "bugzilla", "check", "https://bugzilla.mozilla.org/show_bug.cgi?id=2007948"
    )
    assert code == 1
    assert "bug-2007948/comment-0.md:10:3: SUM002 error" in out
    code, out, _ = session.run("bugzilla", "check", "2007948", "--format", "json", "--offline")
    assert {f["code"] for f in json.loads(out)} >= {"SUM002"}


def test_an_interrupted_sync_resumes(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[int] = []
    original = Cache.store

    def store_once(self: Cache, server: str, bug: Any, *args: Any) -> None:
        if stored:
            raise KeyboardInterrupt
        stored.append(bug.id)
        original(self, server, bug, *args)

    monkeypatch.setattr(Cache, "store", store_once)
    code, out, err = session.run("bugzilla", "sync", "--ca-compliance")
    assert code == 130
    assert "run the same command again to resume" in err
    monkeypatch.setattr(Cache, "store", original)
    code, out, err = session.run("bugzilla", "sync", "--ca-compliance", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["resumed"] == 1 and result["synced"] == [2015383]
    assert result["watermark"] is not None


def test_post_dry_run_confirmation_and_refusal(session: Session, tmp_path: Path) -> None:
    folder = tmp_path / "crl"
    folder.mkdir()
    (folder / "incident.yaml").write_text(
        (EXAMPLES / "crl-published-late" / "incident.yaml").read_text(encoding="utf-8")
    )
    code, out, err = session.run("post", str(folder), "--dry-run", "--as-of", AS_OF)
    assert code == 0, err
    assert out.startswith(f"POST {session.url}/rest/bug\n")
    assert "X-BUGZILLA-API-KEY: ********" in out
    assert "dry run: nothing was sent" in err
    assert not [e for e in session.state.log if e.method == "POST"]
    code, out, err = session.run("post", str(folder), "--as-of", AS_OF)
    assert code == 2 and "pass --yes" in err
    assert not [e for e in session.state.log if e.method == "POST"]

    broken = (folder / "incident.yaml").read_text(encoding="utf-8")
    (folder / "incident.yaml").write_text(broken.replace("stage: preliminary", "stage: fully"))
    code, out, err = session.run("post", str(folder), "--yes")
    assert code == 2 and "stage: expected one of" in err


def _file_by_hand(session: Session, folder: Path) -> int:
    """The CA files its Preliminary report by hand (the web form, not ca-incident), and a
    reviewer asks a question with a needinfo on the CA."""
    report = build_folder(folder, as_of=START, write=False).report or ""
    body = {
        "product": "CA Program",
        "component": "CA Certificate Compliance",
        "version": "other",
        "type": "task",
        "summary": "Example Trust Services: CRL for OV TLS Issuing CA G2 published 19 hours late",
        "description": report,
        "whiteboard": "[ca-compliance] [crl-failure]",
    }
    with httpx.Client(base_url=session.url) as client:
        made = client.post("/rest/bug", json=body, headers={"X-BUGZILLA-API-KEY": CA_KEY})
        bug = int(made.json()["id"])
        reviewer = {"X-BUGZILLA-API-KEY": REVIEWER_KEY}
        client.post(
            f"/rest/bug/{bug}/comment",
            json={"comment": "Why did the alert go to a retired queue?"},
            headers=reviewer,
        ).raise_for_status()
        flags = [{"name": "needinfo", "status": "?", "requestee": CA}]
        client.put(f"/rest/bug/{bug}", json={"flags": flags}, headers=reviewer)
    return bug


def test_import_build_post_sync_status(session: Session, tmp_path: Path) -> None:
    """End to end: an incident filed by hand is adopted, built, answered with a post, synced,
    and status shows every clock met, judged on the bug's own timestamps."""
    bug = _file_by_hand(session, EXAMPLES / "crl-published-late")
    folder = tmp_path / "adopted"

    code, out, err = session.run("import", str(bug), str(folder), "--as-of", AS_OF)
    assert code == 0, err
    assert f"wrote   {folder / 'incident.yaml'}" in out
    text = (folder / "incident.yaml").read_text(encoding="utf-8")
    assert f"bug: {bug}" in text and "# comment 0" in text
    assert "questions:" in text and "comment: 1" in text

    code, out, err = session.run("build", str(folder), "--as-of", AS_OF)
    assert code == 2 and "awareness.at" in err  # the TODOs, each with its line
    text = re.sub(r"(?m)^  at:$", "  at: 2026-11-25T06:38Z", text)
    text = re.sub(r"(?m)^  detail:$", '  detail: "Our CRL freshness monitor alerted."', text)
    (folder / "incident.yaml").write_text(text, encoding="utf-8")
    code, out, err = session.run("build", str(folder), "--as-of", AS_OF)
    assert code == 0, out + err
    assert (folder / "out" / "report.md").read_text().startswith("## Preliminary Incident Report")

    answer = tmp_path / "answer.md"
    answer.write_text("The alert queue was retired in October; alerts now go to on-call.\n")
    code, out, err = session.run("post", str(folder), "--update", str(answer), "--yes")
    assert code == 0, err
    assert "posted  the update as comment 2" in out
    assert "posted.updates" in out

    code, out, err = session.run("bugzilla", "sync", str(bug))
    assert code == 0, err
    code, out, err = session.run("status", str(folder), "--as-of", AS_OF, "--json")
    assert code == 0, out + err
    entry = json.loads(out)["incidents"][0]
    clocks = {c["kind"]: c for c in entry["deadlines"]}
    posted = session.state.comments[-1].time
    assert clocks["first-report"]["done"] == iso_z(START) and not clocks["first-report"]["late"]
    assert clocks["question"]["done"] == iso_z(posted) and not clocks["question"]["late"]
    assert entry["bugzilla"]["differences"] == []
    code, out, _ = session.run("status", str(folder), "--as-of", AS_OF)
    assert "OVERDUE" not in out
