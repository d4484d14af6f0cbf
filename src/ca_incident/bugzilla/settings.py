"""Which Bugzilla, with which API key, and where the cache lives.

- The server: ``--bugzilla-url``, else ``CA_INCIDENT_BUGZILLA_URL``, else ``url`` in the
  config file, else https://bugzilla.mozilla.org. It must be https, except on loopback (a
  local test server).
- The API key: ``BUGZILLA_API_KEY``, else ``api_key`` in the config file, which must be
  readable by its owner only (mode 0600). A key from the config file is sent only to the
  config file's server (BMO unless ``url`` says otherwise), so pointing a command at another
  server never hands it the key. The key is held in :class:`ApiKey`, whose ``str`` and
  ``repr`` are masked; only the client reads it, to put it in the ``X-BUGZILLA-API-KEY``
  header.
- The cache: ``--cache``, else ``CA_INCIDENT_CACHE``, else ``bugzilla.sqlite`` in the user's
  cache folder (``$XDG_CACHE_HOME/ca-incident``, ``~/.cache/ca-incident``,
  ``~/Library/Caches/ca-incident`` on macOS, ``%LOCALAPPDATA%\\ca-incident\\Cache`` on
  Windows).
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ca_incident.errors import CaIncidentError

DEFAULT_URL = "https://bugzilla.mozilla.org"
URL_ENV = "CA_INCIDENT_BUGZILLA_URL"
KEY_ENV = "BUGZILLA_API_KEY"
CONFIG_ENV = "CA_INCIDENT_CONFIG"
CACHE_ENV = "CA_INCIDENT_CACHE"
CACHE_FILE = "bugzilla.sqlite"
CONFIG_FILE = "config.toml"
MASK = "********"


class ApiKey:
    """A Bugzilla API key. It never shows itself: ``str``, ``repr`` and JSON say where it
    came from, not what it is."""

    __slots__ = ("_secret", "source")

    def __init__(self, secret: str, source: str) -> None:
        if not secret.strip():
            raise CaIncidentError(f"the API key from {source} is empty")
        if any(c in secret for c in "\r\n") or not secret.isprintable():
            raise CaIncidentError(
                f"the API key from {source} holds control characters; copy it again"
            )
        self._secret = secret.strip()
        self.source = source

    def header_value(self) -> str:
        """The key itself, for the ``X-BUGZILLA-API-KEY`` header and nothing else."""
        return self._secret

    def __repr__(self) -> str:
        return f"ApiKey({MASK}, from {self.source})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("an API key is not pickled")


@dataclass(frozen=True)
class Settings:
    """How to reach one Bugzilla."""

    url: str
    """The server's base URL, without a trailing slash or ``/rest``."""
    api_key: ApiKey | None = field(default=None, repr=False)
    cache: Path = field(default_factory=lambda: default_cache_path())
    ca_accounts: tuple[str, ...] = ()
    """Accounts known to post for the CA (config file ``ca_accounts``), besides those the
    bug shows."""
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0
    """Seconds before the first retry; doubled each time unless Retry-After says otherwise."""

    def bug_url(self, bug: int, comment: int | None = None) -> str:
        anchor = f"#c{comment}" if comment is not None else ""
        return f"{self.url}/show_bug.cgi?id={bug}{anchor}"

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "api_key": f"set (from {self.api_key.source})" if self.api_key else None,
            "cache": str(self.cache),
        }


_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, origin: str = "--bugzilla-url") -> str:
    """The server's base URL, normalised; https required except on loopback."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CaIncidentError(
            f"{origin}: '{text}' is not a server URL: expected e.g. {DEFAULT_URL}"
        )
    if parts.username or parts.password:
        raise CaIncidentError(
            f"{origin}: the URL must not carry a user name or password; use BUGZILLA_API_KEY"
        )
    if parts.query or parts.fragment:
        keys = parse_qs(parts.query)
        if any(k.lower() in ("api_key", "bugzilla_api_key") for k in keys):
            raise CaIncidentError(
                f"{origin}: the URL must not carry an API key (it would end up in logs); "
                "use BUGZILLA_API_KEY"
            )
        raise CaIncidentError(f"{origin}: the URL must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise CaIncidentError(
            f"{origin}: '{parts.hostname}' needs https: the API key and reports must not "
            "travel in clear text (http is accepted only on loopback, for a local server)"
        )
    path = re.sub(r"/+$", "", parts.path)
    path = re.sub(r"/rest$", "", path)
    port = f":{parts.port}" if parts.port else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host.lower()}{port}{path}"


def _user_folder(kind: str, env: Mapping[str, str]) -> Path:
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "ca-incident" / ("Cache" if kind == "cache" else "Config")
    if sys.platform == "darwin":
        sub = "Caches" if kind == "cache" else "Application Support"
        return home / "Library" / sub / "ca-incident"
    variable, fallback = (
        ("XDG_CACHE_HOME", ".cache") if kind == "cache" else ("XDG_CONFIG_HOME", ".config")
    )
    return Path(env.get(variable) or home / fallback) / "ca-incident"


def default_cache_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV]).expanduser()
    return _user_folder("cache", env) / CACHE_FILE


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    return _user_folder("config", env) / CONFIG_FILE


_CONFIG_KEYS = {"url", "api_key", "ca_accounts"}


def read_config(path: Path) -> dict[str, Any]:
    """The config file's settings; an absent file is no settings. A file that holds an API
    key must be readable by its owner only."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CaIncidentError(f"{path}: cannot read the config file: {exc.strerror}") from None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaIncidentError(f"{path}: cannot read the config file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # TOMLDecodeError names a line and column, never the text.
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise CaIncidentError(f"{path}: not a valid TOML config file: {reason}") from None
    section = data.get("bugzilla", data)
    if not isinstance(section, dict):
        raise CaIncidentError(f"{path}: [bugzilla] must be a table")
    unknown = sorted(set(section) - _CONFIG_KEYS)
    if unknown:
        expected = ", ".join(sorted(_CONFIG_KEYS))
        raise CaIncidentError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; expected {expected}"
        )
    if "api_key" in section and sys.platform != "win32" and info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise CaIncidentError(
            f"{path}: holds an API key but others can read it (mode {mode:04o}); run "
            f"'chmod 600 {path}'"
        )
    for name in ("url", "api_key"):
        if name in section and not isinstance(section[name], str):
            raise CaIncidentError(f"{path}: {name} must be a string")
    accounts = section.get("ca_accounts", [])
    if not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts):
        raise CaIncidentError(f"{path}: ca_accounts must be a list of account names")
    return {k: v for k, v in section.items() if k in _CONFIG_KEYS}


def resolve(
    url: str | None = None,
    cache: Path | str | None = None,
    *,
    ca_accounts: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    config: Path | None = None,
) -> Settings:
    """The settings a command runs with, from its options, the environment and the config
    file, in that order."""
    env = os.environ if env is None else env
    config_path = config or default_config_path(env)
    stored = read_config(config_path)
    stored_url = check_url(stored["url"], str(config_path)) if "url" in stored else None
    if url:
        chosen = check_url(url, "--bugzilla-url")
    elif env.get(URL_ENV):
        chosen = check_url(env[URL_ENV], URL_ENV)
    else:
        chosen = stored_url or DEFAULT_URL
    key: ApiKey | None = None
    if env.get(KEY_ENV):
        key = ApiKey(env[KEY_ENV], KEY_ENV)
    elif "api_key" in stored and chosen == (stored_url or DEFAULT_URL):
        key = ApiKey(stored["api_key"], str(config_path))
    return Settings(
        url=chosen,
        api_key=key,
        cache=Path(cache).expanduser() if cache else default_cache_path(env),
        ca_accounts=tuple(dict.fromkeys([*stored.get("ca_accounts", []), *ca_accounts])),
    )


_SHOW_BUG = re.compile(r"[?&]id=(\d+)(?:&|#|$)")
_SHORT = re.compile(r"^https?://[^/]+/(\d+)/?(?:#.*)?$")


def bug_reference(text: str) -> int | None:
    """The bug a command line names: ``bug:1234``, ``bug1234``, or a show_bug URL
    (``https://bugzilla.mozilla.org/show_bug.cgi?id=1234``, or the short ``/1234``); None
    for anything else (a file name, say)."""
    value = text.strip()
    match = re.fullmatch(r"(?i)bug:?\s*(\d+)", value)
    if match:
        return _positive(match[1], text)
    if value.startswith(("https://", "http://")):
        if "show_bug.cgi" in value:
            found = _SHOW_BUG.search(value)
            if found is None:
                raise CaIncidentError(f"'{text}': a show_bug URL without a bug number")
            return _positive(found[1], text)
        short = _SHORT.match(value)
        if short:
            return _positive(short[1], text)
    return None


def bug_number(text: str) -> int:
    """A bug given on the command line: a number, ``bug:N`` or a show_bug URL."""
    value = text.strip()
    if value.isdigit():
        return _positive(value, text)
    found = bug_reference(value)
    if found is None:
        raise CaIncidentError(
            f"'{text}' is not a bug: expected a number, bug:NUMBER or a show_bug.cgi URL"
        )
    return found


def _positive(digits: str, text: str) -> int:
    number = int(digits)
    if number <= 0:
        raise CaIncidentError(f"'{text}': bug numbers start at 1")
    return number
