"""A local Bugzilla for the tests: the subset of the REST API ca-incident uses, as the BMO docs
(../shared/domain/sources/bmo-api/) describe it, on 127.0.0.1 only.

It answers as bugzilla.mozilla.org (``Flavour.BMO``) or as upstream Bugzilla 5.2
(``Flavour.UPSTREAM``), with the differences ../shared/corpus/bugzilla-rest/README.md lists:
5.2 refuses ``is_markdown`` and ``type`` on bug creation (error 53) and ignores
``is_markdown`` on comments, sends attachments' booleans as 0/1, has no bug ``type``, and
calls its open statuses CONFIRMED and IN_PROGRESS; BMO requires ``type`` (error 135), renders
Markdown unless it is disabled (error 140), lists created attachment ids as strings, and its
front end refuses request targets over 8 KiB with a plain-text 414.

Paths, parameters, the auth header, error codes and shapes, HTTP statuses (Bugzilla's
REST_STATUS_CODE_MAP: 51, 101 -> 404; 102, 109, 410, 504 -> 401; others -> 400) and
pagination follow the docs; the data is seeded from the real corpus
(../shared/corpus/reports/: 1,688 bug headers, 760 report openings as descriptions) or from
the state the 20 recorded exchanges started from. Account names are placeholders, as in the
corpus.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class Flavour(StrEnum):
    BMO = "bmo"
    UPSTREAM = "bugzilla-5.2"


PRODUCT = "CA Program"
COMPONENT = "CA Certificate Compliance"
VERSIONS = ("other",)
DOCUMENTATION = {
    Flavour.BMO: "https://bmo.readthedocs.io/en/latest/api/",
    Flavour.UPSTREAM: "https://bugzilla.readthedocs.org/en/5.0/api/",
}
COMMENT_LIMIT = 65_535
TARGET_LIMIT = 8 * 1024
"""general.rst: "BMO's Varnish front end rejects request targets longer than 8 KiB"."""
MAX_LIMIT = 10_000
NOBODY = "nobody@mozilla.org"

HTTP_STATUS = {51: 404, 101: 404, 102: 401, 106: 401, 109: 401, 110: 401, 113: 401}
HTTP_STATUS |= {120: 401, 300: 401, 301: 401, 304: 401, 410: 401, 504: 401, 505: 401}
"""Bugzilla::WebService::Constants REST_STATUS_CODE_MAP; every other code is 400."""

OPEN_STATUSES = {
    Flavour.BMO: ("UNCONFIRMED", "NEW", "ASSIGNED", "REOPENED"),
    Flavour.UPSTREAM: ("UNCONFIRMED", "CONFIRMED", "IN_PROGRESS"),
}
_STATUS_IN = {"NEW": "CONFIRMED", "ASSIGNED": "IN_PROGRESS", "REOPENED": "CONFIRMED"}

CREATE_PARAMETERS = {
    "product",
    "component",
    "summary",
    "version",
    "description",
    "op_sys",
    "platform",
    "priority",
    "severity",
    "alias",
    "assigned_to",
    "cc",
    "comment_is_private",
    "groups",
    "qa_contact",
    "status",
    "resolution",
    "target_milestone",
    "flags",
    "keywords",
    "dependson",
    "blocked",
    "whiteboard",
    "see_also",
    "url",
}
"""bug.rst, Create Bug, plus whiteboard; BMO adds ``type``, ``is_markdown``,
``regressed_by`` and ``filed_via``."""
BMO_CREATE_PARAMETERS = CREATE_PARAMETERS | {"type", "is_markdown", "regressed_by", "filed_via"}
LEGAL = {
    "op_sys": {"All", "Unspecified", "Linux", "Windows", "macOS", "Other"},
    "platform": {"All", "Unspecified", "x86_64", "Other"},
    "priority": {Flavour.BMO: {"--", "P1", "P2", "P3", "P4", "P5"}, Flavour.UPSTREAM: {"---"}},
    "severity": {
        Flavour.BMO: {"--", "S1", "S2", "S3", "S4", "N/A"},
        Flavour.UPSTREAM: {"blocker", "critical", "major", "normal", "minor", "trivial"},
    },
    "type": {"defect", "enhancement", "task"},
}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    value = text.strip().replace(" ", "T")
    if len(value) == 10:
        value += "T00:00:00Z"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class User:
    id: int
    login: str
    real_name: str
    key: str | None = None
    insider: bool = False


@dataclass
class Bug:
    id: int
    summary: str
    whiteboard: str
    status: str
    resolution: str
    creation_time: datetime
    last_change_time: datetime
    creator: str
    assigned_to: str
    product: str = PRODUCT
    component: str = COMPONENT
    version: str = "other"
    type: str = "task"
    op_sys: str = "All"
    platform: str = "All"
    priority: str = "--"
    severity: str = "--"
    cc: list[str] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    depends_on: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    """A bug in a group is private: only its creator, its assignee and insiders see it."""


@dataclass
class Comment:
    id: int
    bug_id: int
    count: int
    creator: str
    time: datetime
    text: str
    is_markdown: bool = True
    is_private: bool = False
    attachment_id: int | None = None


@dataclass
class Attachment:
    id: int
    bug_id: int
    file_name: str
    summary: str
    content_type: str
    data: bytes
    creator: str
    creation_time: datetime
    is_private: bool = False
    is_obsolete: bool = False
    is_patch: bool = False


@dataclass
class Logged:
    method: str
    target: str
    headers: dict[str, str]
    body: str


@dataclass
class State:
    """Everything the server holds; tests read and change it directly."""

    flavour: Flavour = Flavour.BMO
    users: dict[str, User] = field(default_factory=dict)
    bugs: dict[int, Bug] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    attachments: dict[int, Attachment] = field(default_factory=dict)
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    next_bug: int = 1
    next_comment: int = 1
    next_attachment: int = 1
    next_flag: int = 1
    markdown_enabled: bool = True
    header_auth: bool = True
    """Whether the X-BUGZILLA-API-KEY header is read (BMO; upstream 5.2 only with it added,
    as the recorded server had)."""
    max_limit: int = MAX_LIMIT
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC).replace(microsecond=0))
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    """Answers to give before handling the next requests: (status, headers), in order."""
    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # Set-up.

    def add_user(self, login: str, real_name: str = "", key: str | None = None) -> User:
        user = User(len(self.users) + 1, login, real_name or login.split("@")[0], key)
        self.users[login] = user
        return user

    def add_bug(self, bug: Bug, description: str, *, is_markdown: bool = True) -> Bug:
        self.bugs[bug.id] = bug
        self.next_bug = max(self.next_bug, bug.id + 1)
        self._comment(bug, bug.creator, description, bug.creation_time, is_markdown)
        return bug

    def status_name(self, bmo_status: str) -> str:
        if self.flavour is Flavour.UPSTREAM:
            return _STATUS_IN.get(bmo_status, bmo_status)
        return bmo_status

    def seed_corpus(
        self,
        headers: Path,
        openings: Path,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The real CA Certificate Compliance bugs: their headers, and each report opening as
        the bug's description (authors are left out of the corpus: placeholders here)."""
        texts: dict[int, tuple[str, str]] = {}
        for line in openings.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["position"] == 0:
                texts[int(row["bug"])] = (row["text"], row["time"])
        self.add_user(NOBODY, "Nobody; OK to take it and work on it")
        entries = json.loads(headers.read_text(encoding="utf-8"))
        for entry in entries:
            if where is not None and not where(entry):
                continue
            number = int(entry["id"])
            created = _parse(entry["creation_time"])
            creator = f"reporter-{number}@example.com"
            if creator not in self.users:
                self.add_user(creator, f"Reporter of bug {number}")
            status = entry["status"]
            text, _ = texts.get(number, (entry["summary"], entry["creation_time"]))
            self.add_bug(
                Bug(
                    id=number,
                    summary=entry["summary"],
                    whiteboard=entry["whiteboard"],
                    status=self.status_name(status),
                    resolution=entry["resolution"],
                    creation_time=created,
                    last_change_time=created,
                    creator=creator,
                    assigned_to=creator if status == "ASSIGNED" else NOBODY,
                    priority="--" if self.flavour is Flavour.BMO else "---",
                    severity="--" if self.flavour is Flavour.BMO else "normal",
                ),
                text,
            )

    def seed_recorded(self) -> None:
        """The server the 20 exchanges were recorded on, before them: bug 1 with six comments
        and an attachment; accounts admin@example.com and ca-rep@example.com."""
        self.add_user("admin@example.com", "BZ Admin", key="admin-recorded-key")
        self.add_user("ca-rep@example.com", "CA Representative")
        self.add_user(NOBODY, "Nobody")
        created = datetime(2026, 11, 28, 22, 33, 40, tzinfo=UTC)
        bug = self.add_bug(
            Bug(
                id=1,
                summary="Example CA: OV misissuance",
                whiteboard="[ca-compliance] [ov-misissuance] [leaf-revocation-delay]",
                status=self.status_name("ASSIGNED"),
                resolution="",
                creation_time=created,
                last_change_time=created + timedelta(seconds=13),
                creator="admin@example.com",
                assigned_to="admin@example.com",
                priority="---",
                severity="normal",
            ),
            "Example CA issued OV certificates with a prohibited attribute.",
        )
        for number in range(1, 5):
            self._comment(
                bug, "admin@example.com", f"Update {number}.", created + timedelta(seconds=number)
            )
        self._attach(
            bug,
            "admin@example.com",
            {"file_name": "list.txt", "summary": "Certificates", "content_type": "text/plain"},
            b"https://crt.sh/?sha256=" + b"0" * 64 + b"\n",
            created + timedelta(seconds=13),
        )

    # The API.

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.log.append(Logged(method, target, headers, body.decode("utf-8", "replace")))
            if self.failures:
                # As a front end answers: plain text, no Bugzilla error object.
                status, extra = self.failures.pop(0)
                return status, f"{status} try again later", {"Content-Type": "text/plain", **extra}
            if self.flavour is Flavour.BMO and len(target) > TARGET_LIMIT:
                return 414, "414 URI Too Long", {"Content-Type": "text/plain"}
            parts = urlsplit(target)
            query = parse_qsl(parts.query, keep_blank_values=True)
            try:
                data = json.loads(body) if body.strip() else {}
            except ValueError:
                return self._error(32000, "The request body is not JSON.")
            if not isinstance(data, dict):
                return self._error(32000, "The request body must be a JSON object.")
            # general.rst: parameters "in the query string for non-GET requests ... will
            # override any matching parameters in the request body".
            params: dict[str, Any] = dict(data)
            for name, value in query:
                params[name] = value
            try:
                user = self._user(headers, query, data)
                status, answer = self._route(method, parts.path, query, params, user)
            except ApiError as exc:
                return self._error(exc.code, exc.message)
            return status, answer, {}

    def _error(self, code: int, message: str) -> tuple[int, Any, dict[str, str]]:
        payload = {
            "error": True,
            "code": code,
            "message": message,
            "documentation": DOCUMENTATION[self.flavour],
        }
        return HTTP_STATUS.get(code, 400), payload, {}

    def _user(
        self, headers: dict[str, str], query: list[tuple[str, str]], body: dict[str, Any]
    ) -> User | None:
        key = headers.get("x-bugzilla-api-key") if self.header_auth else None
        for name, value in query:
            if name in ("api_key", "Bugzilla_api_key"):
                key = value
        if key is None and isinstance(body.get("api_key"), str):
            key = body["api_key"]
        if key is None:
            return None
        for user in self.users.values():
            if user.key is not None and user.key == key:
                return user
        raise ApiError(
            306,
            "The API key you specified is invalid. Please check that you typed it correctly.",
        )

    def _route(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        params: dict[str, Any],
        user: User | None,
    ) -> tuple[int, Any]:
        if not path.startswith("/rest/"):
            raise ApiError(32614, f"A REST API resource was not found for '{method} {path}'.")
        route = path[len("/rest") :].rstrip("/")
        routes: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
            ("GET", r"/version", self._version),
            ("GET", r"/bug", self._search),
            ("POST", r"/bug", self._create),
            ("GET", r"/bug/comment/(\d+)", self._comment_by_id),
            ("GET", r"/bug/attachment/(\d+)", self._attachment_by_id),
            ("GET", r"/bug/([^/]+)/comment", self._comments),
            ("POST", r"/bug/([^/]+)/comment", self._add_comment),
            ("GET", r"/bug/([^/]+)/attachment", self._attachments),
            ("POST", r"/bug/([^/]+)/attachment", self._add_attachment),
            ("GET", r"/bug/([^/]+)/history", self._history),
            ("GET", r"/bug/([^/]+)", self._get),
            ("PUT", r"/bug/([^/]+)", self._update),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, route)
            if match and verb == method:
                return handler(query, params, user, *match.groups())
        raise ApiError(32614, f"A REST API resource was not found for '{method} {path}'.")

    # Helpers.

    def _visible(self, bug: Bug, user: User | None) -> bool:
        if not bug.groups:
            return True
        if user is None:
            return False
        return user.insider or user.login in (bug.creator, bug.assigned_to, *bug.cc)

    def _bug(self, ident: str, user: User | None) -> Bug:
        if not ident.isdigit():
            raise ApiError(100, f"'{ident}' is not a valid bug number nor an alias to a bug.")
        bug = self.bugs.get(int(ident))
        if bug is None:
            raise ApiError(101, f"Bug #{ident} does not exist.")
        if not self._visible(bug, user):
            raise ApiError(102, f"You are not authorized to access bug #{ident}.")
        return bug

    def _need_login(self, user: User | None) -> User:
        if user is None:
            raise ApiError(410, "You must log in before using this part of Bugzilla.")
        return user

    def _detail(self, login: str) -> dict[str, Any]:
        user = self.users.get(login) or User(0, login, login.split("@")[0])
        detail: dict[str, Any] = {
            "id": user.id,
            "real_name": user.real_name,
            "name": user.login,
            "email": user.login,
        }
        if self.flavour is Flavour.BMO:
            detail["nick"] = user.login.split("@")[0]
        return detail

    def _flag_json(self, flag: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in flag.items() if k != "requestee" or v}
        shown["creation_date"] = stamp(flag["creation_date"])
        shown["modification_date"] = stamp(flag["modification_date"])
        return shown

    def _bug_json(self, bug: Bug) -> dict[str, Any]:
        bmo = self.flavour is Flavour.BMO
        found: dict[str, Any] = {
            "id": bug.id,
            "alias": None if bmo else [],
            "summary": bug.summary,
            "whiteboard": bug.whiteboard,
            "status": bug.status,
            "resolution": bug.resolution,
            "is_open": bug.status in OPEN_STATUSES[self.flavour],
            "is_confirmed": bug.status != "UNCONFIRMED",
            "product": bug.product,
            "component": bug.component,
            "classification": "Other" if bmo else "Unclassified",
            "version": bug.version,
            "op_sys": bug.op_sys,
            "platform": bug.platform,
            "priority": bug.priority,
            "severity": bug.severity,
            "target_milestone": "---",
            "url": "",
            "creation_time": stamp(bug.creation_time),
            "last_change_time": stamp(bug.last_change_time),
            "creator": bug.creator,
            "creator_detail": self._detail(bug.creator),
            "assigned_to": bug.assigned_to,
            "assigned_to_detail": self._detail(bug.assigned_to),
            "qa_contact": "",
            "cc": list(bug.cc),
            "cc_detail": [self._detail(c) for c in bug.cc],
            "flags": [self._flag_json(f) for f in bug.flags],
            "see_also": list(bug.see_also),
            "depends_on": list(bug.depends_on),
            "blocks": list(bug.blocks),
            "groups": list(bug.groups),
            "keywords": [],
            "deadline": None,
            "dupe_of": None,
            "is_cc_accessible": True,
            "is_creator_accessible": True,
        }
        if bmo:
            found |= {
                "type": bug.type,
                "duplicates": [],
                "regressed_by": [],
                "regressions": [],
                "triage_owner": "",
                "comment_count": sum(1 for c in self.comments if c.bug_id == bug.id),
            }
        return found

    def _comment_json(self, comment: Comment) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": comment.id,
            "bug_id": comment.bug_id,
            "count": comment.count,
            "creator": comment.creator,
            "time": stamp(comment.time),
            "creation_time": stamp(comment.time),
            "text": comment.text,
            "attachment_id": comment.attachment_id,
            "is_private": comment.is_private,
            "tags": [],
        }
        if self.flavour is Flavour.BMO:
            found |= {"is_markdown": comment.is_markdown, "raw_text": comment.text}
            found["reactions"] = {}
        return found

    def _attachment_json(self, attachment: Attachment) -> dict[str, Any]:
        def flag(value: bool) -> bool | int:
            return value if self.flavour is Flavour.BMO else int(value)

        found: dict[str, Any] = {
            "id": attachment.id,
            "bug_id": attachment.bug_id,
            "file_name": attachment.file_name,
            "summary": attachment.summary,
            "content_type": attachment.content_type,
            "size": len(attachment.data),
            "creator": attachment.creator,
            "creation_time": stamp(attachment.creation_time),
            "last_change_time": stamp(attachment.creation_time),
            "is_private": flag(attachment.is_private),
            "is_obsolete": flag(attachment.is_obsolete),
            "is_patch": flag(attachment.is_patch),
            "flags": [],
            "data": base64.b64encode(attachment.data).decode("ascii"),
        }
        if self.flavour is Flavour.BMO:
            found["creator_detail"] = self._detail(attachment.creator)
        return found

    @staticmethod
    def _filter(
        found: dict[str, Any], params: dict[str, Any], details: bool = True
    ) -> dict[str, Any]:
        """general.rst, include_fields and exclude_fields ("Invalid field names are
        ignored"; "Specifying fields here overrides ``include_fields``")."""
        include = _names(params.get("include_fields"))
        exclude = _names(params.get("exclude_fields"))
        if include and "_all" not in include and "_default" not in include:
            wanted = set(include)
            if details:
                # As the recorded 5.2 server did: a user field brings its _detail along.
                wanted |= {f"{name}_detail" for name in include}
            found = {k: v for k, v in found.items() if k in wanted}
        return {k: v for k, v in found.items() if k not in exclude}

    def _change(self, bug: Bug, who: str, when: datetime, changes: list[dict[str, Any]]) -> None:
        if changes:
            self.history.setdefault(bug.id, []).append(
                {"who": who, "when": stamp(when), "changes": changes}
            )
        bug.last_change_time = when

    def _comment(
        self,
        bug: Bug,
        who: str,
        text: str,
        when: datetime,
        is_markdown: bool = True,
        attachment_id: int | None = None,
    ) -> Comment:
        count = sum(1 for c in self.comments if c.bug_id == bug.id)
        comment = Comment(
            self.next_comment, bug.id, count, who, when, text, is_markdown, False, attachment_id
        )
        self.next_comment += 1
        self.comments.append(comment)
        bug.last_change_time = when
        return comment

    def _attach(
        self, bug: Bug, who: str, params: dict[str, Any], data: bytes, when: datetime
    ) -> Attachment:
        attachment = Attachment(
            self.next_attachment,
            bug.id,
            str(params["file_name"]),
            str(params["summary"]),
            str(params.get("content_type") or "text/plain"),
            data,
            who,
            when,
            is_private=bool(params.get("is_private")),
            is_patch=bool(params.get("is_patch")),
        )
        self.next_attachment += 1
        self.attachments[attachment.id] = attachment
        text = f"Created attachment {attachment.id}\n{attachment.summary}"
        if params.get("comment"):
            text += f"\n\n{params['comment']}"
        self._comment(bug, who, text, when, bool(params.get("is_markdown")), attachment.id)
        return attachment

    def _markdown(self, params: dict[str, Any]) -> bool:
        """Whether a new comment is Markdown: BMO stores ``is_markdown`` (default: the site's
        use_markdown), refusing true where Markdown is disabled; 5.2 ignores it."""
        if self.flavour is Flavour.UPSTREAM:
            return False
        wanted = _truthy(params.get("is_markdown", self.markdown_enabled))
        if wanted and not self.markdown_enabled:
            raise ApiError(
                140,
                'You tried to set the "is_markdown" flag to true but the Markdown feature '
                "is not enabled.",
            )
        return wanted

    # Handlers.

    def _version(self, query: Any, params: Any, user: Any) -> tuple[int, Any]:
        return 200, {"version": "20261120.1" if self.flavour is Flavour.BMO else "5.2+"}

    def _get(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        bug = self._bug(ident, user)
        return 200, {"bugs": [self._filter(self._bug_json(bug), params)], "faults": []}

    def _search(
        self, query: list[tuple[str, str]], params: dict[str, Any], user: User | None
    ) -> tuple[int, Any]:
        criteria = [
            (name, value)
            for name, value in query
            if name not in ("include_fields", "exclude_fields", "limit", "offset", "order")
            and not re.fullmatch(r"[fov]\d+", name)
        ]
        advanced = _advanced(query)
        if not criteria and not advanced:
            raise ApiError(1000, "You may not search without any search terms.")
        found = [
            b
            for b in sorted(self.bugs.values(), key=lambda b: b.id)
            if self._visible(b, user) and _matches(b, criteria) and _matches_advanced(b, advanced)
        ]
        if _truthy(params.get("count_only")):
            return 200, {"bug_count": len(found)}
        limit = int(params.get("limit") or 0)
        if limit <= 0 or limit > self.max_limit:
            limit = self.max_limit
        offset = int(params.get("offset") or 0)
        page = found[offset : offset + limit]
        return 200, {"bugs": [self._filter(self._bug_json(b), params) for b in page]}

    def _comments(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        bug = self._bug(ident, user)
        since = _parse(params["new_since"]) if params.get("new_since") else None
        found = [
            self._filter(self._comment_json(c), params, details=False)
            for c in self.comments
            if c.bug_id == bug.id
            and (since is None or c.time > since)
            and (not c.is_private or (user is not None and user.insider))
        ]
        return 200, {"bugs": {str(bug.id): {"comments": found}}, "comments": {}}

    def _comment_by_id(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        comment = next((c for c in self.comments if c.id == int(ident)), None)
        if comment is None:
            raise ApiError(111, f"There is no comment with the ID {ident}.")
        self._bug(str(comment.bug_id), user)
        if comment.is_private and not (user is not None and user.insider):
            raise ApiError(110, f"Comment {ident} is private.")
        return 200, {"bugs": {}, "comments": {ident: self._comment_json(comment)}}

    def _attachments(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        bug = self._bug(ident, user)
        found = [
            self._filter(self._attachment_json(a), params, details=False)
            for a in self.attachments.values()
            if a.bug_id == bug.id and (not a.is_private or (user is not None and user.insider))
        ]
        return 200, {"bugs": {str(bug.id): found}, "attachments": {}}

    def _attachment_by_id(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        attachment = self.attachments.get(int(ident))
        if attachment is None:
            raise ApiError(100, f"Attachment #{ident} does not exist.")
        self._bug(str(attachment.bug_id), user)
        if attachment.is_private and not (user is not None and user.insider):
            raise ApiError(304, f"Attachment #{ident} is private.")
        shown = self._filter(self._attachment_json(attachment), params, details=False)
        return 200, {"bugs": {}, "attachments": {ident: shown}}

    def _history(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        bug = self._bug(ident, user)
        since = _parse(params["new_since"]) if params.get("new_since") else None
        entries = [
            h for h in self.history.get(bug.id, []) if since is None or _parse(h["when"]) >= since
        ]
        alias: list[str] | None = None if self.flavour is Flavour.BMO else []
        return 200, {"bugs": [{"id": bug.id, "alias": alias, "history": entries}]}

    def _create(self, query: Any, params: dict[str, Any], user: User | None) -> tuple[int, Any]:
        user = self._need_login(user)
        allowed = BMO_CREATE_PARAMETERS if self.flavour is Flavour.BMO else CREATE_PARAMETERS
        for name in params:
            if name not in allowed and name not in ("api_key", "Bugzilla_api_key"):
                raise ApiError(
                    53, f"{name} is not a valid parameter for the Bugzilla::Bug::create function."
                )
        if params.get("product") != PRODUCT:
            raise ApiError(106, "Either you didn't specify a product, or it doesn't exist.")
        if not params.get("component"):
            raise ApiError(105, "You must select a component for this bug.")
        if params["component"] != COMPONENT:
            raise ApiError(105, f"There is no component named '{params['component']}'.")
        if not str(params.get("summary") or "").strip():
            raise ApiError(107, "You must enter a summary for this bug.")
        if params.get("version") not in VERSIONS:
            raise ApiError(
                51,
                f"There is no version named '{params.get('version')}' in the '{PRODUCT}' product.",
            )
        if self.flavour is Flavour.BMO and not params.get("type"):
            raise ApiError(135, "You must select a Type for this bug.")
        for name in ("op_sys", "platform", "priority", "severity", "type"):
            if name not in params:
                continue
            legal = LEGAL[name]
            values = legal[self.flavour] if isinstance(legal, dict) else legal
            if params[name] not in values:
                raise ApiError(51, f"There is no {name} named '{params[name]}'.")
        description = str(params.get("description") or "")
        if len(description) > COMMENT_LIMIT:
            raise ApiError(114, "Comments cannot be longer than 65,535 characters.")
        markdown = self._markdown(params)
        now = self.clock()
        bmo = self.flavour is Flavour.BMO
        bug = Bug(
            id=self.next_bug,
            summary=str(params["summary"]),
            whiteboard=str(params.get("whiteboard") or ""),
            status="NEW" if bmo else "CONFIRMED",
            resolution="",
            creation_time=now,
            last_change_time=now,
            creator=user.login,
            assigned_to=NOBODY if bmo else "admin@example.com",
            type=str(params.get("type") or "task"),
            op_sys=str(params.get("op_sys") or "Unspecified"),
            platform=str(params.get("platform") or "Unspecified"),
            priority=str(params.get("priority") or ("--" if bmo else "---")),
            severity=str(params.get("severity") or ("--" if bmo else "normal")),
        )
        self.add_bug(bug, description, is_markdown=markdown)
        return 200, {"id": bug.id}

    def _add_comment(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        user = self._need_login(user)
        bug = self._bug(ident, user)
        text = str(params.get("comment") or "")
        if not text.strip():
            raise ApiError(
                50,
                "The function Bugzilla::Bug->add_comment requires that you set one of the "
                "following parameters: comment",
            )
        if len(text) > COMMENT_LIMIT:
            raise ApiError(114, "Comments cannot be longer than 65,535 characters.")
        comment = self._comment(bug, user.login, text, self.clock(), self._markdown(params))
        return 201, {"id": comment.id}

    def _add_attachment(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        user = self._need_login(user)
        bug = self._bug(ident, user)
        if not params.get("file_name"):
            raise ApiError(603, "You must specify a file name for the attachment.")
        if not params.get("summary"):
            raise ApiError(604, "You must enter a description for the attachment.")
        content_type = str(params.get("content_type") or "")
        if not re.fullmatch(r"[\w.+-]+/[\w.+-]+", content_type) and not params.get("is_patch"):
            raise ApiError(601, f"Valid MIME type '{content_type}' expected.")
        try:
            data = base64.b64decode(str(params.get("data") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(600, "The attachment data is not valid base64.") from None
        if not data:
            raise ApiError(606, "The file you are trying to attach is empty.")
        if params.get("comment") and len(str(params["comment"])) > COMMENT_LIMIT:
            raise ApiError(114, "Comments cannot be longer than 65,535 characters.")
        if params.get("comment"):
            self._markdown(params)
        attachment = self._attach(bug, user.login, params, data, self.clock())
        ids: list[int | str] = [attachment.id]
        if self.flavour is Flavour.BMO:
            ids = [str(attachment.id)]  # attachment.rst: "ids" : [ "2797" ]
        return 201, {"ids": ids}

    def _update(
        self, query: Any, params: dict[str, Any], user: User | None, ident: str
    ) -> tuple[int, Any]:
        user = self._need_login(user)
        bug = self._bug(ident, user)
        now = self.clock()
        changes: dict[str, dict[str, str]] = {}
        history: list[dict[str, Any]] = []

        def changed(name: str, removed: str, added: str) -> None:
            changes[name] = {"added": added, "removed": removed}
            history.append({"field_name": name, "removed": removed, "added": added})

        if "whiteboard" in params and params["whiteboard"] != bug.whiteboard:
            changed("whiteboard", bug.whiteboard, str(params["whiteboard"]))
            bug.whiteboard = str(params["whiteboard"])
        if "status" in params and params["status"] != bug.status:
            changed("status", bug.status, str(params["status"]))
            bug.status = str(params["status"])
            if params.get("resolution"):
                changed("resolution", bug.resolution, str(params["resolution"]))
                bug.resolution = str(params["resolution"])
        added_cc: list[str] = []
        added_flags: list[str] = []
        removed_flags: list[str] = []
        for change in params.get("flags") or []:
            status = change.get("status")
            if status not in ("?", "+", "-", "X"):
                raise ApiError(129, f"The flag status '{status}' is invalid.")
            name = change.get("name")
            if name != "needinfo":
                raise ApiError(133, f"The flag type '{name}' is not unique or does not exist.")
            requestee = change.get("requestee")
            if requestee and requestee not in self.users:
                raise ApiError(504, f"There is no user named '{requestee}'.")
            if status == "X":
                for flag in [f for f in bug.flags if f["requestee"] == requestee]:
                    bug.flags.remove(flag)
                    removed_flags.append(f"needinfo?({flag['requestee']})")
                continue
            bug.flags.append(
                {
                    "id": self.next_flag,
                    "name": "needinfo",
                    "type_id": 1,
                    "status": status,
                    "setter": user.login,
                    "requestee": requestee,
                    "creation_date": now,
                    "modification_date": now,
                }
            )
            self.next_flag += 1
            added_flags.append(f"needinfo{status}({requestee})" if requestee else "needinfo?")
            if requestee and requestee not in bug.cc:
                bug.cc.append(requestee)
                added_cc.append(requestee)
        if added_cc:
            changed("cc", "", ", ".join(added_cc))
        if added_flags or removed_flags:
            changed("flagtypes.name", ", ".join(removed_flags), ", ".join(added_flags))
        comment = params.get("comment")
        if isinstance(comment, dict) and (comment.get("body") or comment.get("comment")):
            text = str(comment.get("body") or comment.get("comment"))
            self._comment(bug, user.login, text, now, self._markdown({}))
        if history or comment:
            self._change(bug, user.login, now, history)
        entry: dict[str, Any] = {
            "id": bug.id,
            "alias": None if self.flavour is Flavour.BMO else [],
            "changes": changes,
            "last_change_time": stamp(bug.last_change_time),
        }
        return 200, {"bugs": [entry]}


def _names(value: Any) -> list[str]:
    if not value:
        return []
    return [n.strip() for n in str(value).split(",") if n.strip()]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


_SEARCHABLE: dict[str, Callable[[Bug], str]] = {
    "id": lambda b: str(b.id),
    "product": lambda b: b.product,
    "component": lambda b: b.component,
    "status": lambda b: b.status,
    "resolution": lambda b: b.resolution,
    "creator": lambda b: b.creator,
    "reporter": lambda b: b.creator,
    "assigned_to": lambda b: b.assigned_to,
    "type": lambda b: b.type,
    "version": lambda b: b.version,
}


def _matches(bug: Bug, criteria: list[tuple[str, str]]) -> bool:
    """bug.rst, Search Bugs: exact matches, ANDed; a repeated (or comma-separated ``id``)
    parameter is "any of these values"; summary and whiteboard are substrings;
    creation_time and last_change_time are "at this time or later"."""
    wanted: dict[str, list[str]] = {}
    for name, value in criteria:
        values = value.split(",") if name == "id" else [value]
        wanted.setdefault(name, []).extend(v.strip() for v in values)
    for name, values in wanted.items():
        if name in ("summary", "whiteboard"):
            text = (bug.summary if name == "summary" else bug.whiteboard).lower()
            if not any(v.lower() in text for v in values):
                return False
        elif name in ("creation_time", "last_change_time"):
            moment = bug.creation_time if name == "creation_time" else bug.last_change_time
            if moment < _parse(values[-1]):
                return False
        elif name in _SEARCHABLE and _SEARCHABLE[name](bug).lower() not in {
            v.lower() for v in values
        }:
            return False
        # Unknown criteria: "you just won't get any results for that value" applies to
        # values; unknown names are ignored, as Bugzilla does.
    return True


def _advanced(query: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    fields = dict(query)
    found = []
    for name, value in query:
        match = re.fullmatch(r"f(\d+)", name)
        if match:
            number = match[1]
            found.append((value, fields.get(f"o{number}", "equals"), fields.get(f"v{number}", "")))
    return found


_ADVANCED_FIELDS: dict[str, Callable[[Bug], str]] = {
    "status_whiteboard": lambda b: b.whiteboard,
    "short_desc": lambda b: b.summary,
    "bug_status": lambda b: b.status,
    "product": lambda b: b.product,
    "component": lambda b: b.component,
}


def _matches_advanced(bug: Bug, terms: list[tuple[str, str, str]]) -> bool:
    """The Advanced Search form's f1/o1/v1 criteria (bug.rst: "you may also use criteria
    that is similar to what is used in the Advanced Search screen")."""
    for field_name, operator, value in terms:
        read = _ADVANCED_FIELDS.get(field_name)
        if read is None:
            continue
        text = read(bug)
        if operator == "substring" and value.lower() not in text.lower():
            return False
        if operator == "equals" and text != value:
            return False
        if operator == "notsubstring" and value.lower() in text.lower():
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer, extra = self.server.state.handle(self.command, self.path, headers, body)
        if isinstance(answer, str):
            payload = answer.encode()
            content_type = "text/plain"
        else:
            payload = json.dumps(answer).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", extra.pop("Content-Type", content_type))
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the state keeps its own log


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextmanager
def running(state: State) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1 on a free port; yields the base URL."""
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def ticking(start: datetime, step: timedelta = timedelta(minutes=1)) -> Callable[[], datetime]:
    """A clock that moves ``step`` on each reading: each post gets its own minute."""
    moment = [start - step]

    def now() -> datetime:
        moment[0] += step
        return moment[0]

    return now


# What the tests share: the accounts, and a served state with settings that point at it.

CA_KEY = "ca-key-Zq7f3KpW9xT2vB8nL4mR"
"""The CA's API key on the test server: the tests grep every output, log, cache and error for
it."""
REVIEWER_KEY = "reviewer-key-Hj5sD1uY6cE0aN3w"
CA = "ca-rep@example.com"
REVIEWER = "reviewer@example.com"
CCADB = "incident-reporting@ccadb.org"


def people(state: State) -> State:
    """The CA's representative and a root-program reviewer, with keys, and the CCADB's
    incident-reporting account (the closure's needinfo goes to it)."""
    state.add_user(CA, "CA Representative", key=CA_KEY)
    state.add_user(REVIEWER, "Root Program Reviewer", key=REVIEWER_KEY)
    state.add_user(CCADB, "CCADB Incident Reporting")
    if NOBODY not in state.users:
        state.add_user(NOBODY, "Nobody")
    return state
