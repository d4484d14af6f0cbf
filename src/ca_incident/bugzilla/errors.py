"""Bugzilla's error codes, turned into messages that say what to do.

A REST error is ``{"error": true, "code": N, "message": "..."}`` (BMO docs, general.rst,
"Errors"). The codes below are those the BMO docs list for the calls ca-incident makes; any
other code is shown with the server's own message. No message here ever carries an API key:
errors are built from the code, the server's message and the request's method and path, never
from its headers.
"""

from __future__ import annotations

from ca_incident.errors import CaIncidentError

MARKDOWN_DISABLED = 140
"""comment.rst, Create Comments: "140 (Markdown Disabled) You tried to set the "is_markdown"
flag to true but the Markdown feature is not enabled."."""
INVALID_PARAMETER = 53
"""Upstream Bugzilla 5.2 refuses a parameter it does not know, e.g. ``is_markdown`` on bug
creation: "is_markdown is not a valid parameter for the Bugzilla::Bug::create function."."""
LOGIN_REQUIRED = 410
INVALID_API_KEY = 306

_ADVICE: dict[int, str] = {
    100: "no bug has that alias",
    101: "no such bug",
    102: (
        "access denied: the bug is restricted; set BUGZILLA_API_KEY to the key of an account "
        "that can see it"
    ),
    109: "your account may not edit this bug",
    110: "the comment is private",
    111: "no such comment",
    113: "your account may not make private comments",
    114: "the comment is longer than Bugzilla's limit of 65,535 characters",
    115: "your account may not edit this bug",
    116: "the dependencies would make a loop",
    129: "invalid flag status",
    130: "your account may not set this flag",
    131: "this flag cannot be requested from that person",
    133: "the flag type name matches several flag types",
    134: "the flag type is inactive",
    135: "this Bugzilla requires a bug type",
    MARKDOWN_DISABLED: (
        "Markdown is disabled on this Bugzilla: an incident report posted as plain text "
        "loses its headings and tables; post with --no-markdown only if that is acceptable"
    ),
    300: "the account name or password is invalid",
    301: "the account is disabled",
    304: "the attachment is private",
    305: "the API key was revoked",
    INVALID_API_KEY: (
        "the API key is invalid: check BUGZILLA_API_KEY or the config file, and that the key "
        "was made on this server"
    ),
    LOGIN_REQUIRED: (
        "this needs an API key: set BUGZILLA_API_KEY, or api_key in the config file "
        "(see docs/bugzilla.md). If a key was given, this server does not read the "
        "X-BUGZILLA-API-KEY header (upstream Bugzilla 5.2 without it reads only api_key "
        "parameters, which ca-incident never sends because URLs end up in logs)"
    ),
    504: "a user named in the request does not exist",
    600: "the attachment is larger than this Bugzilla accepts",
    601: "the attachment's content type is invalid",
    603: "the attachment has no file name",
    604: "the attachment has no summary",
    606: "the attachment is empty",
    1000: "a search needs at least one criterion",
}


class BugzillaError(CaIncidentError):
    """A Bugzilla request failed: the server refused it, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: int | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.server_message = server_message


def error_from(payload: dict[str, object], status: int, what: str) -> BugzillaError:
    """The error a server's ``{"error": true, ...}`` answer to ``what`` (e.g. ``GET
    /rest/bug/5``) stands for."""
    raw_code = payload.get("code")
    code = raw_code if isinstance(raw_code, int) else None
    server_message = str(payload.get("message") or "").strip()
    advice = _ADVICE.get(code) if code is not None else None
    parts = [f"Bugzilla: {what}: error {code if code is not None else '?'}"]
    if advice:
        parts.append(advice)
    if server_message:
        parts.append(f"the server says: {server_message}")
    return BugzillaError(
        "; ".join(parts), code=code, status=status, server_message=server_message or None
    )
