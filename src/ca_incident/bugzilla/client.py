"""The Bugzilla REST client: one httpx client, with timeouts, retries, pagination, and errors
that say what to do.

Every call follows the BMO REST documentation (../shared/domain/sources/bmo-api/); the line
each follows is quoted in its docstring. The API key travels only in the
``X-BUGZILLA-API-KEY`` header (general.rst: "You can specify 'X-BUGZILLA-API-KEY' header with
the API key as a value to any request"), never in a URL, a log line, an exception or a
printed request (:meth:`Request.render` masks it).

Retries: a read is retried on 429 and 5xx answers and on network failures; a write only on 429
and 503 (refused before it was processed) and on a failure to connect, because a write that
timed out may have been done, and doing it twice posts a report twice. Retry-After is honoured
(up to :data:`MAX_WAIT` seconds); otherwise the wait doubles from ``backoff``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ca_incident import __version__
from ca_incident.bugzilla.errors import (
    INVALID_PARAMETER,
    BugzillaError,
    error_from,
)
from ca_incident.bugzilla.settings import MASK, ApiKey, Settings
from ca_incident.timeutil import iso_z

LOG = logging.getLogger("ca_incident.bugzilla")
KEY_HEADER = "X-BUGZILLA-API-KEY"
RETRY_READ = frozenset({429, 500, 502, 503, 504})
RETRY_WRITE = frozenset({429, 503})
MAX_WAIT = 120.0
"""The longest wait a Retry-After is honoured for; a longer one is reported instead."""
PAGE_SIZE = 500
IDS_PER_REQUEST = 200
"""bug ids per ``GET /rest/bug?id=...``: general.rst, "BMO's Varnish front end rejects
request targets longer than 8 KiB ... Keep request targets below the limit and split large
queries into multiple requests"."""

BUG_FIELDS = (
    "id",
    "summary",
    "whiteboard",
    "status",
    "resolution",
    "is_open",
    "type",
    "product",
    "component",
    "creation_time",
    "last_change_time",
    "assigned_to",
    "creator",
    "flags",
    "see_also",
    "depends_on",
    "blocks",
)
"""The bug fields the cache keeps (``include_fields``: "Only the fields specified in the
object will be returned"; invalid names such as ``type`` on 5.2 "are ignored")."""
COMMENT_FIELDS = (
    "id",
    "bug_id",
    "count",
    "creator",
    "creation_time",
    "time",
    "text",
    "is_markdown",
    "is_private",
    "attachment_id",
)
INCIDENT_PRODUCT = "CA Program"
INCIDENT_COMPONENT = "CA Certificate Compliance"
INCIDENT_TYPE = "task"
INCIDENT_VERSION = "other"
OPTIONAL_ON_CREATE = ("is_markdown", "type")
"""Parameters upstream 5.2 refuses on bug creation (error 53) that BMO wants: sent, and left
out again when refused."""


@dataclass(frozen=True)
class Request:
    """One REST request, as sent and as shown by ``--dry-run``."""

    method: str
    path: str
    """Below ``/rest``, e.g. ``/bug/123/comment``."""
    params: tuple[tuple[str, str], ...] = ()
    body: Mapping[str, Any] | None = None
    write: bool = False

    def url(self, base: str) -> str:
        query = str(httpx.QueryParams(list(self.params)))
        return f"{base}/rest{self.path}" + (f"?{query}" if query else "")

    def render(self, base: str, key: ApiKey | None) -> str:
        """The exact request, the API key masked."""
        lines = [f"{self.method} {self.url(base)}"]
        if self.body is not None:
            lines.append("Content-Type: application/json")
        lines.append(
            f"{KEY_HEADER}: {MASK}" if key else f"(no {KEY_HEADER} header: no API key is set)"
        )
        if self.body is not None:
            lines += ["", json.dumps(self.body, indent=2, ensure_ascii=False)]
        return "\n".join(lines)

    def without(self, name: str) -> Request:
        body = {k: v for k, v in (self.body or {}).items() if k != name}
        return Request(self.method, self.path, self.params, body, self.write)

    def as_json(self, base: str) -> dict[str, Any]:
        return {"method": self.method, "url": self.url(base), "body": self.body}


def _fields(names: Sequence[str]) -> tuple[str, str]:
    return ("include_fields", ",".join(names))


# Builders of the write requests, so a dry run shows exactly what a real run sends.


def create_bug_request(
    *, summary: str, description: str, whiteboard: str, markdown: bool = True
) -> Request:
    """bug.rst, Create Bug: ``POST /rest/bug``; "**product** ... **component** ...
    **summary** ... **version**" are required and "**type** ... Some Bugzilla installations
    require this to be specified"; "Clients that want to be able to interact uniformly with
    multiple Bugzillas should always set both the params marked required and those marked
    (defaulted)", hence ``op_sys`` and ``platform``. ``is_markdown`` makes BMO render the
    description as Markdown."""
    body: dict[str, Any] = {
        "product": INCIDENT_PRODUCT,
        "component": INCIDENT_COMPONENT,
        "version": INCIDENT_VERSION,
        "type": INCIDENT_TYPE,
        "summary": summary,
        "description": description,
        "whiteboard": whiteboard,
        "op_sys": "All",
        "platform": "All",
    }
    if markdown:
        body["is_markdown"] = True
    return Request("POST", "/bug", body=body, write=True)


def comment_request(bug: int | str, text: str, *, markdown: bool = True) -> Request:
    """comment.rst, Create Comments: ``POST /rest/bug/(id)/comment`` with "**comment**
    string The comment to append to the bug" and "is_markdown boolean If true, the comment
    will be rendered as markdown"."""
    body: dict[str, Any] = {"comment": text}
    if markdown:
        body["is_markdown"] = True
    return Request("POST", f"/bug/{bug}/comment", body=body, write=True)


def attachment_request(
    bug: int | str,
    *,
    data: bytes,
    file_name: str,
    summary: str,
    content_type: str,
    comment: str | None = None,
    markdown: bool = True,
) -> Request:
    """attachment.rst, Create Attachment: ``POST /rest/bug/(bug_id)/attachment`` with
    "**ids** ... **data** base64 ... **file_name** ... **summary** ... **content_type**"."""
    import base64

    body: dict[str, Any] = {
        "ids": [bug],
        "data": base64.b64encode(data).decode("ascii"),
        "file_name": file_name,
        "summary": summary,
        "content_type": content_type,
    }
    if comment:
        body["comment"] = comment
        if markdown:
            body["is_markdown"] = True
    return Request("POST", f"/bug/{bug}/attachment", body=body, write=True)


def needinfo_request(bug: int | str, requestee: str) -> Request:
    """bug.rst, Update Bug: ``PUT /rest/bug/(id_or_alias)`` with "flags array An array of
    Flag change objects"; "At least the ``status`` and one of ``type_id``, ``id``, or
    ``name`` must be specified"."""
    body = {"flags": [{"name": "needinfo", "status": "?", "requestee": requestee}]}
    return Request("PUT", f"/bug/{bug}", body=body, write=True)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class BugzillaClient:
    """Talks to one Bugzilla. Use as a context manager, or call :meth:`close`."""

    settings: Settings
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    notes: list[str] = field(default_factory=list)
    """What the server did differently from what was asked (e.g. no Markdown)."""

    def __post_init__(self) -> None:
        timeout = httpx.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout))
        self._http = httpx.Client(
            timeout=timeout,
            transport=self.transport,
            headers={"User-Agent": f"ca-incident/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )

    def __enter__(self) -> BugzillaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def base(self) -> str:
        return self.settings.url

    # The transport.

    def send(self, request: Request) -> Any:
        """Send one request; the decoded JSON answer, or a :class:`BugzillaError`."""
        key = self.settings.api_key
        headers = {KEY_HEADER: key.header_value()} if key else {}
        what = f"{request.method} /rest{request.path}"
        retry_on = RETRY_WRITE if request.write else RETRY_READ
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(
                    request.method,
                    f"{self.base}/rest{request.path}",
                    params=list(request.params),
                    json=request.body,
                    headers=headers,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Not sent: safe to try again, a write included.
                if last:
                    raise BugzillaError(
                        f"Bugzilla: cannot reach {self.base}: {_reason(exc)}"
                    ) from None
                self._wait(attempt, None, what, "cannot connect")
                continue
            except httpx.TimeoutException:
                if request.write:
                    raise BugzillaError(
                        f"Bugzilla: {what}: no answer within {self.settings.timeout:g} s; the "
                        "request may have been done: look at the bug before trying again"
                    ) from None
                if last:
                    raise BugzillaError(
                        f"Bugzilla: {what}: no answer within {self.settings.timeout:g} s "
                        f"after {attempts} attempts"
                    ) from None
                self._wait(attempt, None, what, "timeout")
                continue
            except httpx.HTTPError as exc:
                if request.write or last:
                    raise BugzillaError(f"Bugzilla: {what}: {_reason(exc)}") from None
                self._wait(attempt, None, what, type(exc).__name__)
                continue
            LOG.debug("%s %s -> %s", request.method, request.url(self.base), response.status_code)
            if response.status_code in retry_on and not last:
                self._wait(attempt, _retry_after(response), what, str(response.status_code))
                continue
            return self._decode(response, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: float | None, what: str, why: str) -> None:
        if retry_after is not None:
            if retry_after > MAX_WAIT:
                raise BugzillaError(
                    f"Bugzilla: {what}: the server asks to wait {retry_after:,.0f} s "
                    f"({why}); try again later"
                )
            delay = retry_after
        else:
            delay = self.settings.backoff * (2**attempt) * (1 + random.random() / 4)
        LOG.info("Bugzilla: %s: %s; retrying in %.1f s", what, why, delay)
        self.sleep(delay)

    def _decode(self, response: httpx.Response, what: str) -> Any:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("error"):
            raise error_from(payload, response.status_code, what)
        if response.status_code >= 400:
            reason = response.reason_phrase or "error"
            hint = ""
            if response.status_code == 414:
                hint = "; the request target is over the server's limit (8 KiB on BMO)"
            raise BugzillaError(
                f"Bugzilla: {what}: HTTP {response.status_code} {reason}{hint}",
                status=response.status_code,
            )
        if payload is None:
            raise BugzillaError(f"Bugzilla: {what}: the answer is not JSON")
        return payload

    # Reads.

    def version(self) -> str:
        """general.rst: ``GET /rest/version`` "returns the current version of Bugzilla"."""
        return str(self.send(Request("GET", "/version")).get("version", ""))

    def bug(self, bug: int, fields: Sequence[str] = BUG_FIELDS) -> dict[str, Any]:
        """bug.rst, Get Bug: ``GET /rest/bug/(id_or_alias)``."""
        found = self.send(Request("GET", f"/bug/{bug}", (_fields(fields),)))
        bugs = found.get("bugs") or []
        if not bugs:
            faults = found.get("faults") or []
            if faults and isinstance(faults[0], dict):
                raise error_from({"error": True, **faults[0]}, 200, f"GET /rest/bug/{bug}")
            raise BugzillaError(f"Bugzilla: bug {bug}: the server returned no bug")
        return dict(bugs[0])

    def bugs(self, ids: Sequence[int], fields: Sequence[str] = BUG_FIELDS) -> list[dict[str, Any]]:
        """bug.rst: "You can also use Search Bugs to return more than one bug at a time by
        specifying bug IDs as the search terms. ``GET /rest/bug?id=12434,43421``"."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), IDS_PER_REQUEST):
            chunk = ids[start : start + IDS_PER_REQUEST]
            params = (("id", ",".join(map(str, chunk))), _fields(fields))
            found += self.send(Request("GET", "/bug", params)).get("bugs") or []
        return found

    def search(
        self,
        criteria: Sequence[tuple[str, str]],
        fields: Sequence[str] = BUG_FIELDS,
        *,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """bug.rst, Search Bugs: ``GET /rest/bug``, paged with ``limit`` ("Use the
        ``offset`` argument described below to retrieve more results") and ``offset``
        ("setting ``limit`` to 10 and ``offset`` to 10 would return bugs 11 through 20"),
        ordered by bug id so that pages do not shift. Pages are read until one comes back
        empty: a server may cap ``limit`` below what was asked ("greater than the maximum
        value set by the administrator ... the maximum value will be used instead")."""
        offset = 0
        while True:
            params = (
                *criteria,
                _fields(fields),
                ("order", "bug_id"),
                ("limit", str(page_size)),
                ("offset", str(offset)),
            )
            page = self.send(Request("GET", "/bug", params)).get("bugs") or []
            if not page:
                return
            yield from page
            offset += len(page)

    def comments(self, bug: int, new_since: datetime | None = None) -> list[dict[str, Any]]:
        """comment.rst, Get Comments: ``GET /rest/bug/(id_or_alias)/comment``;
        "new_since datetime If specified, the method will only return comments *newer*
        than this time"."""
        params = [_fields(COMMENT_FIELDS)]
        if new_since is not None:
            params.append(("new_since", iso_z(new_since)))
        found = self.send(Request("GET", f"/bug/{bug}/comment", tuple(params)))
        entry = (found.get("bugs") or {}).get(str(bug)) or {}
        return list(entry.get("comments") or [])

    def attachments(self, bug: int) -> list[dict[str, Any]]:
        """attachment.rst, Get Attachment: ``GET /rest/bug/(bug_id)/attachment``, without
        the data (general.rst: "``exclude_fields``: ... The fields specified will not be
        included in the returned objects")."""
        found = self.send(Request("GET", f"/bug/{bug}/attachment", (("exclude_fields", "data"),)))
        return list((found.get("bugs") or {}).get(str(bug)) or [])

    def attachment_data(self, attachment: int) -> bytes:
        """attachment.rst: "To get a specific attachment based on attachment ID: ``GET
        /rest/bug/attachment/(attachment_id)``"; "data base64 The raw data of the
        attachment, encoded as Base64"."""
        import base64
        import binascii

        found = self.send(Request("GET", f"/bug/attachment/{attachment}"))
        entry = (found.get("attachments") or {}).get(str(attachment))
        if not entry:
            raise BugzillaError(f"Bugzilla: attachment {attachment}: the server returned none")
        try:
            return base64.b64decode(entry.get("data") or "", validate=True)
        except (binascii.Error, ValueError):
            raise BugzillaError(
                f"Bugzilla: attachment {attachment}: the data is not base64"
            ) from None

    def history(self, bug: int, new_since: datetime | None = None) -> list[dict[str, Any]]:
        """bug.rst, Bug History: ``GET /rest/bug/(id)/history``; "new_since datetime A
        datetime timestamp to only show history since"."""
        params = (("new_since", iso_z(new_since)),) if new_since is not None else ()
        found = self.send(Request("GET", f"/bug/{bug}/history", params))
        for entry in found.get("bugs") or []:
            if str(entry.get("id")) == str(bug):
                return list(entry.get("history") or [])
        return []

    # Writes.

    def create_bug(self, request: Request) -> tuple[int, Request]:
        """``POST /rest/bug`` (bug.rst: "Response ... id int This is the ID of the
        newly-filed bug"). A parameter of :data:`OPTIONAL_ON_CREATE` the server refuses
        (upstream 5.2: error 53) is left out and the request sent again; what was left out
        is said in :attr:`notes`. Returns the bug and the request that was accepted."""
        current = request
        while True:
            try:
                found = self.send(current)
            except BugzillaError as exc:
                refused = _refused_parameter(exc, current)
                if refused is None:
                    raise
                current = current.without(refused)
                self.notes.append(_REFUSED_NOTE[refused])
                continue
            return _int_of(found.get("id"), "bug id"), current

    def add_comment(self, request: Request) -> int:
        """comment.rst: "Response ... id int ID of the newly-created comment"."""
        return _int_of(self.send(request).get("id"), "comment id")

    def add_attachment(self, request: Request) -> list[int]:
        """attachment.rst: "Response ... ids array Attachment IDs created" (BMO lists them
        as strings, upstream as numbers)."""
        ids = self.send(request).get("ids") or []
        return [_int_of(i, "attachment id") for i in ids]

    def update_bug(self, request: Request) -> dict[str, Any]:
        """bug.rst, Update Bug: the answer's ``bugs`` list "The changes that were actually
        done on this bug"."""
        return dict(self.send(request))


_REFUSED_NOTE = {
    "is_markdown": (
        "this Bugzilla refused is_markdown on bug creation (upstream Bugzilla 5.2 does): "
        "the bug was filed without it, and the server will not render the description as "
        "Markdown"
    ),
    "type": "this Bugzilla has no bug type (upstream Bugzilla 5.2): filed without 'type'",
}


def _refused_parameter(exc: BugzillaError, request: Request) -> str | None:
    if exc.code != INVALID_PARAMETER or not exc.server_message:
        return None
    for name in OPTIONAL_ON_CREATE:
        if request.body and name in request.body and exc.server_message.startswith(name + " "):
            return name
    return None


def _int_of(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BugzillaError(f"Bugzilla answered without a {what} ({value!r})") from None


def _reason(exc: Exception) -> str:
    """An httpx error's reason: its message, which names the host but no header."""
    text = str(exc).strip()
    return text or type(exc).__name__
