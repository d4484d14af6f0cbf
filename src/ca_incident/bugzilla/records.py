"""Bugs, comments, attachments and changes as values, whichever Bugzilla sent them.

bugzilla.mozilla.org (BMO) and upstream Bugzilla 5.2 answer the same calls with small
differences (../shared/corpus/bugzilla-rest/README.md): 5.2 sends ``is_private``,
``is_obsolete`` and ``is_patch`` of attachments as 0/1, has no bug ``type``, calls its open
statuses CONFIRMED and IN_PROGRESS where BMO has NEW, ASSIGNED and REOPENED, and sends no
``is_markdown`` on comments; BMO's attachment-creation answer lists ids as strings. The
readers here accept both, so nothing past them needs to know which server it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ca_incident.bugzilla.errors import BugzillaError
from ca_incident.timeutil import TimestampError, iso_z, parse_timestamp

CLOSED_STATUSES = frozenset({"RESOLVED", "VERIFIED", "CLOSED"})
"""Statuses of a closed bug, on BMO and upstream alike."""

NEEDINFO = "needinfo"
"""The flag BMO's Needinfo extension adds ("Request information from")."""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _bool(value: Any) -> bool:
    """``true``/``false`` (BMO) or ``1``/``0`` (upstream 5.2 attachments)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _optional_bool(value: Any) -> bool | None:
    return None if value is None else _bool(value)


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BugzillaError(f"Bugzilla sent {what} {value!r}, not a number") from None


def _optional_int(value: Any, what: str) -> int | None:
    return None if value in (None, "", 0) else _int(value, what)


def moment(value: Any, what: str) -> datetime:
    """A Bugzilla datetime (``2026-11-28T22:36:41Z``), in UTC."""
    try:
        return parse_timestamp(_text(value))
    except TimestampError:
        raise BugzillaError(f"Bugzilla sent {what} {value!r}, not a UTC datetime") from None


def _optional_moment(value: Any, what: str) -> datetime | None:
    return None if not value else moment(value, what)


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values or () if str(v).strip().isdigit())


@dataclass(frozen=True)
class Flag:
    """A flag on a bug, e.g. needinfo?(ca@example.com)."""

    id: int
    name: str
    status: str
    setter: str
    requestee: str | None
    creation_date: datetime
    modification_date: datetime

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Flag:
        return cls(
            id=_int(data.get("id"), "a flag id"),
            name=_text(data.get("name")),
            status=_text(data.get("status")),
            setter=_text(data.get("setter")),
            requestee=_text(data.get("requestee")) or None,
            creation_date=moment(data.get("creation_date"), "a flag creation_date"),
            modification_date=moment(
                data.get("modification_date") or data.get("creation_date"),
                "a flag modification_date",
            ),
        )

    @property
    def is_open_needinfo(self) -> bool:
        return self.name == NEEDINFO and self.status == "?"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "setter": self.setter,
            "requestee": self.requestee,
            "creation_date": iso_z(self.creation_date),
            "modification_date": iso_z(self.modification_date),
        }


@dataclass(frozen=True)
class Bug:
    id: int
    summary: str
    whiteboard: str
    status: str
    resolution: str
    creation_time: datetime
    last_change_time: datetime
    assigned_to: str
    creator: str
    product: str = ""
    component: str = ""
    type: str | None = None
    """BMO's bug type (``task`` for incidents); upstream 5.2 has none."""
    is_open: bool = True
    flags: tuple[Flag, ...] = ()
    see_also: tuple[str, ...] = ()
    depends_on: tuple[int, ...] = ()
    blocks: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bug:
        status = _text(data.get("status"))
        is_open = data.get("is_open")
        return cls(
            id=_int(data.get("id"), "a bug id"),
            summary=_text(data.get("summary")),
            whiteboard=_text(data.get("whiteboard")),
            status=status,
            resolution=_text(data.get("resolution")),
            creation_time=moment(data.get("creation_time"), "a bug creation_time"),
            last_change_time=moment(data.get("last_change_time"), "a bug last_change_time"),
            assigned_to=_text(data.get("assigned_to")),
            creator=_text(data.get("creator")),
            product=_text(data.get("product")),
            component=_text(data.get("component")),
            type=_text(data.get("type")) or None,
            is_open=_bool(is_open) if is_open is not None else status not in CLOSED_STATUSES,
            flags=tuple(Flag.from_json(f) for f in data.get("flags") or ()),
            see_also=tuple(_text(s) for s in data.get("see_also") or ()),
            depends_on=_ints(data.get("depends_on")),
            blocks=_ints(data.get("blocks")),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "whiteboard": self.whiteboard,
            "status": self.status,
            "resolution": self.resolution,
            "is_open": self.is_open,
            "type": self.type,
            "product": self.product,
            "component": self.component,
            "creation_time": iso_z(self.creation_time),
            "last_change_time": iso_z(self.last_change_time),
            "assigned_to": self.assigned_to,
            "creator": self.creator,
            "flags": [f.as_json() for f in self.flags],
            "see_also": list(self.see_also),
            "depends_on": list(self.depends_on),
            "blocks": list(self.blocks),
        }


@dataclass(frozen=True)
class Comment:
    id: int
    bug_id: int
    count: int
    """The comment's number in the bug: 0 is the description."""
    creator: str
    time: datetime
    text: str
    is_markdown: bool | None = None
    """None where the server does not say (upstream 5.2)."""
    is_private: bool = False
    attachment_id: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comment:
        return cls(
            id=_int(data.get("id"), "a comment id"),
            bug_id=_int(data.get("bug_id"), "a comment's bug_id"),
            count=_int(data.get("count"), "a comment count"),
            creator=_text(data.get("creator")),
            time=moment(data.get("creation_time") or data.get("time"), "a comment time"),
            text=_text(data.get("text")),
            is_markdown=_optional_bool(data.get("is_markdown")),
            is_private=_bool(data.get("is_private")),
            attachment_id=_optional_int(data.get("attachment_id"), "an attachment id"),
        )


@dataclass(frozen=True)
class Attachment:
    """An attachment's metadata (its data is fetched only when needed)."""

    id: int
    bug_id: int
    file_name: str
    summary: str
    content_type: str
    size: int
    creator: str
    creation_time: datetime
    last_change_time: datetime
    is_private: bool = False
    is_obsolete: bool = False
    is_patch: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attachment:
        created = moment(data.get("creation_time"), "an attachment creation_time")
        return cls(
            id=_int(data.get("id"), "an attachment id"),
            bug_id=_int(data.get("bug_id"), "an attachment's bug_id"),
            file_name=_text(data.get("file_name")),
            summary=_text(data.get("summary")),
            content_type=_text(data.get("content_type")),
            size=_int(data.get("size") or 0, "an attachment size"),
            creator=_text(data.get("creator")),
            creation_time=created,
            last_change_time=_optional_moment(
                data.get("last_change_time"), "an attachment last_change_time"
            )
            or created,
            is_private=_bool(data.get("is_private")),
            is_obsolete=_bool(data.get("is_obsolete")),
            is_patch=_bool(data.get("is_patch")),
        )

    @property
    def is_csv(self) -> bool:
        return self.content_type.split(";")[0].strip() == "text/csv" or (
            self.file_name.lower().endswith(".csv")
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file_name": self.file_name,
            "summary": self.summary,
            "content_type": self.content_type,
            "size": self.size,
            "creator": self.creator,
            "creation_time": iso_z(self.creation_time),
            "is_private": self.is_private,
            "is_obsolete": self.is_obsolete,
        }


@dataclass(frozen=True)
class Change:
    """One field changed in the bug's history."""

    when: datetime
    who: str
    field_name: str
    removed: str
    added: str
    attachment_id: int | None = None


def changes_from_json(history: Sequence[Mapping[str, Any]]) -> list[Change]:
    """The History objects of ``GET /rest/bug/ID/history``, one Change per field."""
    found = []
    for entry in history:
        when = moment(entry.get("when"), "a history time")
        who = _text(entry.get("who"))
        for change in entry.get("changes") or ():
            found.append(
                Change(
                    when,
                    who,
                    _text(change.get("field_name")),
                    _text(change.get("removed")),
                    _text(change.get("added")),
                    _optional_int(change.get("attachment_id"), "an attachment id"),
                )
            )
    return found


@dataclass(frozen=True)
class CachedBug:
    """A bug as the cache holds it."""

    bug: Bug
    comments: tuple[Comment, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    history: tuple[Change, ...] = ()
    synced_at: datetime | None = None
    server: str = ""

    def comment(self, count: int) -> Comment | None:
        return next((c for c in self.comments if c.count == count), None)
