"""The REST client and its settings, against the local server in both flavours: reads,
pagination, retries, errors, bug creation on upstream 5.2, and the API key never leaving
the header."""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from ca_incident.bugzilla.client import (
    BugzillaClient,
    Request,
    comment_request,
    create_bug_request,
)
from ca_incident.bugzilla.errors import BugzillaError
from ca_incident.bugzilla.records import Attachment, Bug, Comment, changes_from_json
from ca_incident.bugzilla.settings import (
    ApiKey,
    Settings,
    bug_number,
    bug_reference,
    check_url,
    resolve,
)
from ca_incident.errors import CaIncidentError

from .bmo_server import CA, CA_KEY, REVIEWER, Flavour, State, people, running


@pytest.fixture(params=[Flavour.BMO, Flavour.UPSTREAM])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[State, Settings]]:
    state = people(State(request.param))
    with running(state) as url:
        yield (
            state,
            Settings(
                url=url,
                api_key=ApiKey(CA_KEY, "the test"),
                cache=tmp_path / "cache.sqlite",
                retries=2,
                backoff=0.0,
            ),
        )


def _new_bug(client: BugzillaClient, summary: str = "Example: a test") -> int:
    bug, _ = client.create_bug(
        create_bug_request(
            summary=summary,
            description="## Preliminary Incident Report\n\n### Summary",
            whiteboard="[ca-compliance]",
        )
    )
    return bug


# Settings.


def test_https_is_required_except_on_loopback() -> None:
    assert check_url("https://bugzilla.mozilla.org/") == "https://bugzilla.mozilla.org"
    assert check_url("https://bugzilla.example.org/rest") == "https://bugzilla.example.org"
    assert check_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert check_url("http://[::1]:8080") == "http://[::1]:8080"
    assert check_url("http://localhost") == "http://localhost"
    with pytest.raises(CaIncidentError, match="needs https"):
        check_url("http://bugzilla.example.org")
    with pytest.raises(CaIncidentError, match="not a server URL"):
        check_url("bugzilla.mozilla.org")
    with pytest.raises(CaIncidentError, match="must not carry an API key"):
        check_url("https://bugzilla.example.org/?api_key=abc")
    with pytest.raises(CaIncidentError, match="user name or password"):
        check_url("https://me:secret@bugzilla.example.org")


def test_bug_references() -> None:
    assert bug_reference("bug:2007948") == 2007948
    assert bug_reference("https://bugzilla.mozilla.org/show_bug.cgi?id=2007948#c3") == 2007948
    assert bug_reference("https://bugzilla.mozilla.org/2007948") == 2007948
    assert bug_reference("report.md") is None
    assert bug_number("2007948") == 2007948
    with pytest.raises(CaIncidentError, match="not a bug"):
        bug_number("two")
    with pytest.raises(CaIncidentError, match="start at 1"):
        bug_number("bug:0")


def test_the_key_comes_from_the_environment_first(tmp_path: Path) -> None:
    env = {"BUGZILLA_API_KEY": CA_KEY, "HOME": str(tmp_path)}
    found = resolve(env=env, config=tmp_path / "absent.toml")
    assert found.url == "https://bugzilla.mozilla.org"
    assert found.api_key is not None and found.api_key.header_value() == CA_KEY
    assert found.cache == tmp_path / ".cache" / "ca-incident" / "bugzilla.sqlite"
    assert CA_KEY not in repr(found) and CA_KEY not in str(found.as_json())
    chosen = resolve(url="http://127.0.0.1:9", env={**env, "CA_INCIDENT_CACHE": "/tmp/x.db"})
    assert chosen.url == "http://127.0.0.1:9" and chosen.cache == Path("/tmp/x.db")


def test_a_config_file_with_a_key_must_be_private(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'api_key = "{CA_KEY}"\nca_accounts = ["ca@example.com"]\n')
    os.chmod(config, 0o644)
    with pytest.raises(CaIncidentError) as caught:
        resolve(env={"HOME": str(tmp_path)}, config=config)
    assert "chmod 600" in str(caught.value) and CA_KEY not in str(caught.value)
    os.chmod(config, 0o600)
    found = resolve(env={"HOME": str(tmp_path)}, config=config)
    assert found.api_key is not None and found.api_key.source == str(config)
    assert found.ca_accounts == ("ca@example.com",)
    # A key from the config file goes only to the config file's server.
    elsewhere = resolve(url="http://127.0.0.1:9", env={"HOME": str(tmp_path)}, config=config)
    assert elsewhere.api_key is None


def test_a_broken_config_file_is_named_without_its_content(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'api_key = "{CA_KEY}\n')
    os.chmod(config, 0o600)
    with pytest.raises(CaIncidentError, match="not a valid TOML") as caught:
        resolve(env={"HOME": str(tmp_path)}, config=config)
    assert CA_KEY not in str(caught.value)
    config.write_text('colour = "blue"\n')
    with pytest.raises(CaIncidentError, match="unknown setting"):
        resolve(env={"HOME": str(tmp_path)}, config=config)


def test_an_api_key_never_shows_itself() -> None:
    key = ApiKey(CA_KEY, "BUGZILLA_API_KEY")
    assert CA_KEY not in repr(key) and CA_KEY not in str(key) and CA_KEY not in f"{key}"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(CaIncidentError, match="control characters"):
        ApiKey("abc\ndef", "BUGZILLA_API_KEY")


# Reads.


def test_reads_a_bug_its_comments_attachments_and_history(
    served: tuple[State, Settings],
) -> None:
    state, settings = served
    with BugzillaClient(settings) as client:
        bug = _new_bug(client)
        client.add_comment(comment_request(bug, "Thank you."))
        client.update_bug(
            Request(
                "PUT",
                f"/bug/{bug}",
                body={"flags": [{"name": "needinfo", "status": "?", "requestee": CA}]},
                write=True,
            )
        )
        read = Bug.from_json(client.bug(bug))
        comments = [Comment.from_json(c) for c in client.comments(bug)]
        attachments = [Attachment.from_json(a) for a in client.attachments(bug)]
        history = changes_from_json(client.history(bug))
        assert client.version()
    assert read.summary == "Example: a test" and read.is_open
    assert read.type == ("task" if state.flavour is Flavour.BMO else None)
    assert read.flags[0].is_open_needinfo and read.flags[0].requestee == CA
    assert [c.count for c in comments] == [0, 1]
    assert attachments == []
    assert any(c.field_name == "flagtypes.name" for c in history)


def test_search_reads_every_page_even_when_the_server_caps_the_limit(
    served: tuple[State, Settings],
) -> None:
    state, settings = served
    state.max_limit = 3
    with BugzillaClient(settings) as client:
        made = [_new_bug(client, f"Example: bug {n}") for n in range(8)]
        found = list(client.search([("product", "CA Program")], page_size=5))
    assert [b["id"] for b in found] == made
    pages = [e for e in state.log if e.method == "GET" and e.target.startswith("/rest/bug?")]
    assert len(pages) == 4  # 3 + 3 + 2, and the empty page that ends it


def test_many_bugs_by_id_stay_under_the_front_ends_limit(
    served: tuple[State, Settings],
) -> None:
    _, settings = served
    with BugzillaClient(settings) as client:
        bug = _new_bug(client)
        found = client.bugs([bug, *range(9_000_000, 9_001_000)])
    assert [b["id"] for b in found] == [bug]


# Retries.


def test_retries_honour_retry_after(served: tuple[State, Settings]) -> None:
    state, settings = served
    waits: list[float] = []
    state.failures = [(429, {"Retry-After": "2"}), (503, {})]
    with BugzillaClient(settings, sleep=waits.append) as client:
        assert client.version()
    assert waits[0] == 2.0 and len(waits) == 2


def test_a_long_retry_after_is_reported_not_waited(served: tuple[State, Settings]) -> None:
    state, settings = served
    state.failures = [(429, {"Retry-After": "3600"})]
    with (
        BugzillaClient(settings, sleep=lambda _: None) as client,
        pytest.raises(BugzillaError, match="wait 3,600 s"),
    ):
        client.version()


def test_reads_give_up_after_the_retries(served: tuple[State, Settings]) -> None:
    state, settings = served
    state.failures = [(502, {})] * 3
    with (
        BugzillaClient(settings, sleep=lambda _: None) as client,
        pytest.raises(BugzillaError, match="HTTP 502"),
    ):
        client.version()


def test_a_write_is_not_repeated_after_a_server_error(served: tuple[State, Settings]) -> None:
    state, settings = served
    with BugzillaClient(settings, sleep=lambda _: None) as client:
        bug = _new_bug(client)
        state.failures = [(502, {})]
        with pytest.raises(BugzillaError, match="HTTP 502"):
            client.add_comment(comment_request(bug, "once"))
        state.failures = [(429, {"Retry-After": "0"})]
        client.add_comment(comment_request(bug, "after a 429"))
    posts = [e for e in state.log if e.method == "POST" and e.target.endswith("/comment")]
    assert len(posts) == 3  # the 502 once; the 429 and its retry
    assert [c.text for c in state.comments if c.bug_id == bug][1:] == ["after a 429"]


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(url="http://127.0.0.1:9", cache=tmp_path / "c", retries=1, backoff=0)
    with (
        BugzillaClient(settings, sleep=lambda _: None) as client,
        pytest.raises(BugzillaError, match=r"cannot reach http://127\.0\.0\.1:9"),
    ):
        client.version()


# Errors.


def test_errors_say_what_to_do(served: tuple[State, Settings]) -> None:
    state, settings = served
    with BugzillaClient(settings) as client:
        with pytest.raises(BugzillaError, match="error 101; no such bug") as missing:
            client.bug(99999999)
        assert missing.value.status == 404
        bug = _new_bug(client)
        state.bugs[bug].groups = ["ca-program-security"]
        state.bugs[bug].creator = REVIEWER
    anonymous = Settings(url=settings.url, cache=settings.cache, backoff=0)
    with BugzillaClient(anonymous) as client:
        with pytest.raises(BugzillaError, match="error 102; access denied"):
            client.bug(bug)
        with pytest.raises(BugzillaError, match="error 410; this needs an API key"):
            client.add_comment(comment_request(1, "anonymous"))
    wrong = Settings(url=settings.url, api_key=ApiKey("wrong", "t"), cache=settings.cache)
    with BugzillaClient(wrong) as client, pytest.raises(BugzillaError, match="error 306"):
        client.version()


def test_markdown_disabled_is_error_140_on_bmo(tmp_path: Path) -> None:
    state = people(State(Flavour.BMO))
    with running(state) as url:
        settings = Settings(url=url, api_key=ApiKey(CA_KEY, "t"), cache=tmp_path / "c")
        with BugzillaClient(settings) as client:
            bug = _new_bug(client)
            state.markdown_enabled = False
            with pytest.raises(BugzillaError, match="error 140; Markdown is disabled"):
                client.add_comment(comment_request(bug, "## Full Incident Report"))
            client.add_comment(comment_request(bug, "plain", markdown=False))


# Bug creation on both servers.


def test_upstream_52_refuses_is_markdown_and_type_on_creation(tmp_path: Path) -> None:
    state = people(State(Flavour.UPSTREAM))
    with running(state) as url:
        settings = Settings(url=url, api_key=ApiKey(CA_KEY, "t"), cache=tmp_path / "c")
        with BugzillaClient(settings) as client:
            request = create_bug_request(
                summary="Example: a test", description="## Preliminary", whiteboard=""
            )
            bug, accepted = client.create_bug(request)
            notes = client.notes
    assert state.bugs[bug].summary == "Example: a test"
    assert accepted.body is not None
    assert "is_markdown" not in accepted.body and "type" not in accepted.body
    assert any("will not render the description as Markdown" in n for n in notes)
    creates = [e for e in state.log if e.method == "POST" and e.target == "/rest/bug"]
    assert len(creates) == 3  # refused for is_markdown, then for type, then filed


def test_bmo_files_the_bug_as_a_task_with_markdown(tmp_path: Path) -> None:
    state = people(State(Flavour.BMO))
    with running(state) as url:
        settings = Settings(url=url, api_key=ApiKey(CA_KEY, "t"), cache=tmp_path / "c")
        with BugzillaClient(settings) as client:
            bug = _new_bug(client)
            assert client.notes == []
    assert state.bugs[bug].type == "task"
    assert state.comments[0].is_markdown is True


# The key.


def test_the_key_travels_only_in_the_header(
    served: tuple[State, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    state, settings = served
    caplog.set_level(logging.DEBUG)
    with BugzillaClient(settings, sleep=lambda _: None) as client:
        bug = _new_bug(client)
        client.add_comment(comment_request(bug, "text"))
        state.failures = [(429, {"Retry-After": "0"})]
        client.bug(bug)
        errors = []
        for call in (lambda: client.bug(99999999), lambda: client.attachment_data(42)):
            try:
                call()
            except BugzillaError as exc:
                errors.append(exc)
    assert len(errors) == 2
    for entry in state.log:
        assert CA_KEY not in entry.target and CA_KEY not in entry.body
        assert entry.headers.get("x-bugzilla-api-key") == CA_KEY
    shown = caplog.text + "".join(f"{e!s}{e!r}{e.args}" for e in errors)
    assert CA_KEY not in shown
    rendered = comment_request(bug, "text").render(settings.url, settings.api_key)
    assert "X-BUGZILLA-API-KEY: ********" in rendered and CA_KEY not in rendered
