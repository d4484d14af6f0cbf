"""The local cache of bugs: one SQLite file, every SQL statement of ca-incident in this module.

What it keeps, per server (a bug number means nothing without its server): bugs (summary,
whiteboard, status, resolution, creation and last change times, assignee, creator, type,
see also, depends on, blocks), their flags (needinfo among them), comments (id, number,
author, time, text, is_markdown, attachment id), attachment metadata, the history of changes
(the whiteboard's among them), and the state of syncs (the last change time seen, and the
bugs an interrupted sync has still to fetch). Never an API key: nothing that reaches this
module carries one.

The schema is versioned with SQLite's ``user_version``; :data:`MIGRATIONS` brings an older
file up to date, and a file from a newer ca-incident is refused rather than damaged. Each bug
is written in one transaction, so an interrupted sync leaves every bug whole.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from ca_incident.bugzilla.records import (
    Attachment,
    Bug,
    CachedBug,
    Change,
    Comment,
    Flag,
)
from ca_incident.errors import CaIncidentError
from ca_incident.timeutil import iso_z, parse_timestamp

SCHEMA_VERSION = 1

_V1 = """
CREATE TABLE bugs (
    server TEXT NOT NULL,
    id INTEGER NOT NULL,
    summary TEXT NOT NULL,
    whiteboard TEXT NOT NULL,
    status TEXT NOT NULL,
    resolution TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    type TEXT,
    product TEXT NOT NULL,
    component TEXT NOT NULL,
    creation_time TEXT NOT NULL,
    last_change_time TEXT NOT NULL,
    assigned_to TEXT NOT NULL,
    creator TEXT NOT NULL,
    see_also TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    blocks TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    PRIMARY KEY (server, id)
);
CREATE TABLE flags (
    server TEXT NOT NULL,
    bug_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    setter TEXT NOT NULL,
    requestee TEXT,
    creation_date TEXT NOT NULL,
    modification_date TEXT NOT NULL,
    PRIMARY KEY (server, bug_id, id)
);
CREATE TABLE comments (
    server TEXT NOT NULL,
    bug_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    creator TEXT NOT NULL,
    time TEXT NOT NULL,
    text TEXT NOT NULL,
    is_markdown INTEGER,
    is_private INTEGER NOT NULL,
    attachment_id INTEGER,
    PRIMARY KEY (server, id)
);
CREATE INDEX comments_by_bug ON comments (server, bug_id, count);
CREATE TABLE attachments (
    server TEXT NOT NULL,
    bug_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    creator TEXT NOT NULL,
    creation_time TEXT NOT NULL,
    last_change_time TEXT NOT NULL,
    is_private INTEGER NOT NULL,
    is_obsolete INTEGER NOT NULL,
    is_patch INTEGER NOT NULL,
    PRIMARY KEY (server, id)
);
CREATE TABLE history (
    server TEXT NOT NULL,
    bug_id INTEGER NOT NULL,
    time TEXT NOT NULL,
    who TEXT NOT NULL,
    field_name TEXT NOT NULL,
    removed TEXT NOT NULL,
    added TEXT NOT NULL,
    attachment_id INTEGER,
    UNIQUE (server, bug_id, time, who, field_name, removed, added)
);
CREATE TABLE sync_state (
    server TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (server, name)
);
CREATE TABLE sync_pending (
    server TEXT NOT NULL,
    bug_id INTEGER NOT NULL,
    header TEXT NOT NULL,
    PRIMARY KEY (server, bug_id)
);
"""

MIGRATIONS: tuple[str, ...] = (_V1,)
"""MIGRATIONS[n] takes a file from schema version n to n + 1."""


def _json_list(values: Sequence[Any]) -> str:
    return json.dumps(list(values))


def _time(value: str) -> datetime:
    return parse_timestamp(value)


class Cache:
    """One cache file. ``Cache.open`` creates or upgrades it; ``Cache.read_only`` opens an
    existing one without writing (or returns None when there is none)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Cache:
        """The cache file, created readable by its owner only: a key that sees restricted
        bugs puts their text here."""
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            new = not path.exists()
            connection = sqlite3.connect(path, timeout=30)
            if new:
                os.chmod(path, 0o600)
        except (OSError, sqlite3.Error) as exc:
            raise CaIncidentError(f"{path}: cannot open the Bugzilla cache: {exc}") from None
        cache = cls(connection, path)
        try:
            cache._upgrade()
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise CaIncidentError(
                f"{path}: not a ca-incident cache ({exc}); remove it or choose another with --cache"
            ) from None
        except CaIncidentError:
            connection.close()
            raise
        return cache

    @classmethod
    def read_only(cls, path: Path) -> Cache | None:
        if not path.is_file():
            return None
        try:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise CaIncidentError(f"{path}: cannot read the Bugzilla cache: {exc}") from None
        if version != SCHEMA_VERSION:
            connection.close()
            if version == 0:
                return None
            raise _version_error(path, version)
        return cls(connection, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _upgrade(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _version_error(self.path, version)
        while version < SCHEMA_VERSION:
            with self._db:
                self._db.executescript(
                    "BEGIN;" + MIGRATIONS[version] + f"PRAGMA user_version = {version + 1};"
                )
            version += 1

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    # Writing.

    def store(
        self,
        server: str,
        bug: Bug,
        comments: Sequence[Comment],
        attachments: Sequence[Attachment],
        history: Sequence[Change],
        synced_at: datetime,
    ) -> None:
        """One bug, in one transaction; new comments and changes are added to those kept,
        and the bug leaves the pending list of an interrupted sync."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO bugs VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    server,
                    bug.id,
                    bug.summary,
                    bug.whiteboard,
                    bug.status,
                    bug.resolution,
                    int(bug.is_open),
                    bug.type,
                    bug.product,
                    bug.component,
                    iso_z(bug.creation_time),
                    iso_z(bug.last_change_time),
                    bug.assigned_to,
                    bug.creator,
                    _json_list(bug.see_also),
                    _json_list(bug.depends_on),
                    _json_list(bug.blocks),
                    iso_z(synced_at),
                ),
            )
            db.execute("DELETE FROM flags WHERE server = ? AND bug_id = ?", (server, bug.id))
            db.executemany(
                "INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        server,
                        bug.id,
                        f.id,
                        f.name,
                        f.status,
                        f.setter,
                        f.requestee,
                        iso_z(f.creation_date),
                        iso_z(f.modification_date),
                    )
                    for f in bug.flags
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO comments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        server,
                        bug.id,
                        c.id,
                        c.count,
                        c.creator,
                        iso_z(c.time),
                        c.text,
                        None if c.is_markdown is None else int(c.is_markdown),
                        int(c.is_private),
                        c.attachment_id,
                    )
                    for c in comments
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO attachments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        server,
                        bug.id,
                        a.id,
                        a.file_name,
                        a.summary,
                        a.content_type,
                        a.size,
                        a.creator,
                        iso_z(a.creation_time),
                        iso_z(a.last_change_time),
                        int(a.is_private),
                        int(a.is_obsolete),
                        int(a.is_patch),
                    )
                    for a in attachments
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        server,
                        bug.id,
                        iso_z(h.when),
                        h.who,
                        h.field_name,
                        h.removed,
                        h.added,
                        h.attachment_id,
                    )
                    for h in history
                ],
            )
            db.execute("DELETE FROM sync_pending WHERE server = ? AND bug_id = ?", (server, bug.id))

    def set_pending(self, server: str, headers: Sequence[dict[str, Any]]) -> None:
        """The bugs a sync has still to fetch, kept until each is stored (so Ctrl-C loses
        nothing)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO sync_pending VALUES (?, ?, ?)",
                [(server, int(h["id"]), json.dumps(h)) for h in headers],
            )

    def drop_pending(self, server: str, bug_id: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sync_pending WHERE server = ? AND bug_id = ?", (server, bug_id))

    def pending(self, server: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT header FROM sync_pending WHERE server = ? ORDER BY bug_id", (server,)
        )
        return [json.loads(row[0]) for row in rows]

    def set_state(self, server: str, name: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO sync_state VALUES (?, ?, ?)", (server, name, value))

    def state(self, server: str, name: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM sync_state WHERE server = ? AND name = ?", (server, name)
        ).fetchone()
        return None if row is None else str(row[0])

    # Reading.

    def last_change_times(self, server: str) -> dict[int, datetime]:
        rows = self._db.execute("SELECT id, last_change_time FROM bugs WHERE server = ?", (server,))
        return {int(i): _time(t) for i, t in rows}

    def latest(self, server: str, bug: int) -> tuple[datetime | None, datetime | None]:
        """The time of the bug's newest cached comment and history entry."""
        comment = self._db.execute(
            "SELECT MAX(time) FROM comments WHERE server = ? AND bug_id = ?", (server, bug)
        ).fetchone()[0]
        change = self._db.execute(
            "SELECT MAX(time) FROM history WHERE server = ? AND bug_id = ?", (server, bug)
        ).fetchone()[0]
        return (_time(comment) if comment else None, _time(change) if change else None)

    def bug_count(self, server: str) -> int:
        return int(
            self._db.execute("SELECT COUNT(*) FROM bugs WHERE server = ?", (server,)).fetchone()[0]
        )

    def bug(self, server: str, bug_id: int) -> CachedBug | None:
        row = self._db.execute(
            "SELECT id, summary, whiteboard, status, resolution, is_open, type, product, "
            "component, creation_time, last_change_time, assigned_to, creator, see_also, "
            "depends_on, blocks, synced_at FROM bugs WHERE server = ? AND id = ?",
            (server, bug_id),
        ).fetchone()
        if row is None:
            return None
        flags = tuple(
            Flag(
                id=int(f[0]),
                name=f[1],
                status=f[2],
                setter=f[3],
                requestee=f[4],
                creation_date=_time(f[5]),
                modification_date=_time(f[6]),
            )
            for f in self._db.execute(
                "SELECT id, name, status, setter, requestee, creation_date, modification_date "
                "FROM flags WHERE server = ? AND bug_id = ? ORDER BY id",
                (server, bug_id),
            )
        )
        bug = Bug(
            id=int(row[0]),
            summary=row[1],
            whiteboard=row[2],
            status=row[3],
            resolution=row[4],
            is_open=bool(row[5]),
            type=row[6],
            product=row[7],
            component=row[8],
            creation_time=_time(row[9]),
            last_change_time=_time(row[10]),
            assigned_to=row[11],
            creator=row[12],
            see_also=tuple(json.loads(row[13])),
            depends_on=tuple(json.loads(row[14])),
            blocks=tuple(json.loads(row[15])),
            flags=flags,
        )
        comments = tuple(
            Comment(
                id=int(c[0]),
                bug_id=bug_id,
                count=int(c[1]),
                creator=c[2],
                time=_time(c[3]),
                text=c[4],
                is_markdown=None if c[5] is None else bool(c[5]),
                is_private=bool(c[6]),
                attachment_id=c[7],
            )
            for c in self._db.execute(
                "SELECT id, count, creator, time, text, is_markdown, is_private, attachment_id "
                "FROM comments WHERE server = ? AND bug_id = ? ORDER BY count, id",
                (server, bug_id),
            )
        )
        attachments = tuple(
            Attachment(
                id=int(a[0]),
                bug_id=bug_id,
                file_name=a[1],
                summary=a[2],
                content_type=a[3],
                size=int(a[4]),
                creator=a[5],
                creation_time=_time(a[6]),
                last_change_time=_time(a[7]),
                is_private=bool(a[8]),
                is_obsolete=bool(a[9]),
                is_patch=bool(a[10]),
            )
            for a in self._db.execute(
                "SELECT id, file_name, summary, content_type, size, creator, creation_time, "
                "last_change_time, is_private, is_obsolete, is_patch FROM attachments "
                "WHERE server = ? AND bug_id = ? ORDER BY id",
                (server, bug_id),
            )
        )
        history = tuple(
            Change(_time(h[0]), h[1], h[2], h[3], h[4], h[5])
            for h in self._db.execute(
                "SELECT time, who, field_name, removed, added, attachment_id FROM history "
                "WHERE server = ? AND bug_id = ? ORDER BY time, rowid",
                (server, bug_id),
            )
        )
        return CachedBug(
            bug=bug,
            comments=comments,
            attachments=attachments,
            history=history,
            synced_at=_time(row[16]),
            server=server,
        )


def _version_error(path: Path, version: int) -> CaIncidentError:
    return CaIncidentError(
        f"{path}: the Bugzilla cache has schema version {version}, newer than this "
        f"ca-incident's ({SCHEMA_VERSION}); upgrade ca-incident, or use another file with "
        "--cache"
    )
