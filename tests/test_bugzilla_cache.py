"""The SQLite cache: versioned schema, one transaction a bug, read-only reading that never
creates a file."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ca_incident.bugzilla.cache import SCHEMA_VERSION, Cache
from ca_incident.bugzilla.records import Attachment, Bug, Change, Comment, Flag
from ca_incident.errors import CaIncidentError

SERVER = "https://bugzilla.example.org"
T0 = datetime(2026, 11, 28, 22, 36, 41, tzinfo=UTC)


def _bug(**changes: object) -> Bug:
    values: dict[str, object] = {
        "id": 7,
        "summary": "Example: a bug",
        "whiteboard": "[ca-compliance] Next update 2026-12-20",
        "status": "ASSIGNED",
        "resolution": "",
        "creation_time": T0,
        "last_change_time": T0,
        "assigned_to": "ca@example.com",
        "creator": "ca@example.com",
        "type": "task",
        "flags": (Flag(1, "needinfo", "?", "reviewer@example.com", "ca@example.com", T0, T0),),
        "see_also": ("https://bugzilla.mozilla.org/show_bug.cgi?id=1",),
        "depends_on": (3,),
        "blocks": (),
    }
    values.update(changes)
    return Bug(**values)  # type: ignore[arg-type]


def test_a_new_cache_has_the_current_schema_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "cache.sqlite"
    with Cache.open(path):
        pass
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reading_never_creates_a_cache(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    assert Cache.read_only(path) is None
    assert not path.exists()


def test_a_newer_schema_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(CaIncidentError, match="newer than this ca-incident"):
        Cache.open(path)
    with pytest.raises(CaIncidentError, match="newer than this ca-incident"):
        Cache.read_only(path)


def test_a_file_that_is_not_a_cache_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_text("not sqlite at all, but long enough to be read as a header " * 20)
    with pytest.raises(CaIncidentError, match="not a ca-incident cache"):
        Cache.open(path)


def test_a_bug_round_trips_and_new_comments_add_up(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    comment = Comment(11, 7, 0, "ca@example.com", T0, "## Preliminary", True, False, None)
    attachment = Attachment(
        5, 7, "appendix.csv", "Affected", "text/csv", 153, "ca@example.com", T0, T0
    )
    change = Change(T0, "reviewer@example.com", "whiteboard", "", "[ca-compliance]")
    with Cache.open(path) as cache:
        cache.set_pending(SERVER, [{"id": 7}, {"id": 8}])
        cache.store(SERVER, _bug(), [comment], [attachment], [change, change], T0)
        later = Comment(12, 7, 1, "reviewer@example.com", T0, "Why?", None, False, None)
        cache.store(SERVER, _bug(status="RESOLVED", is_open=False), [later], [], [change], T0)
        assert [h["id"] for h in cache.pending(SERVER)] == [8]
        cache.set_state(SERVER, "mark", "2026-11-28T22:36:41Z")
        assert cache.state(SERVER, "mark") == "2026-11-28T22:36:41Z"
        assert cache.state("https://other.example", "mark") is None
        assert cache.latest(SERVER, 7) == (T0, T0)
    reader = Cache.read_only(path)
    assert reader is not None
    with reader:
        found = reader.bug(SERVER, 7)
        assert reader.bug("https://other.example", 7) is None
    assert found is not None
    assert found.bug == _bug(status="RESOLVED", is_open=False)
    assert [c.count for c in found.comments] == [0, 1]
    assert found.comments[1].is_markdown is None
    assert found.attachments == (attachment,)
    assert found.history == (change,)
    assert found.synced_at == T0
