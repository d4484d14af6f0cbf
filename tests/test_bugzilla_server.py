"""The local test server against what real servers did and what the BMO docs say.

Each of the 20 exchanges recorded from a real Bugzilla 5.2 server
(../shared/corpus/bugzilla-rest/) is replayed, in order, against the server in its 5.2 flavour
seeded with the state the recording started from: the status and the shape of every answer
(its keys, and the type of every value, 0/1 apart from booleans) must be the recorded ones.
The BMO flavour is held to the BMO docs where BMO differs."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .bmo_server import (
    CA,
    CA_KEY,
    Flavour,
    State,
    people,
    running,
)
from .helpers import shared_path

RECORDED_KEY = "admin-recorded-key"


def shape(value: Any) -> Any:
    """A JSON value's shape: keys, and each value's type; a list by its first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def _exchanges() -> list[dict[str, Any]]:
    path = shared_path("corpus", "bugzilla-rest", "bugzilla-5.2-exchanges.json")
    found: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return found


def _headers(auth: str) -> dict[str, str]:
    if auth == "none":
        return {}
    if "invalid" in auth:
        return {"X-BUGZILLA-API-KEY": "not-a-key"}
    return {"X-BUGZILLA-API-KEY": RECORDED_KEY}


@pytest.fixture(scope="module")
def replayed() -> Iterator[list[tuple[dict[str, Any], int, Any]]]:
    exchanges = _exchanges()
    state = State(Flavour.UPSTREAM)
    state.seed_recorded()
    with running(state) as url, httpx.Client(base_url=url) as client:
        results = []
        for exchange in exchanges:
            request = exchange["request"]
            answer = client.request(
                request["method"],
                request["path"],
                json=request["body"],
                headers=_headers(request["auth"]),
            )
            results.append((exchange, answer.status_code, answer.json()))
        yield results


def test_there_are_twenty_exchanges() -> None:
    assert len(_exchanges()) == 20


@pytest.mark.parametrize("index", range(20))
def test_replayed_exchange_has_the_recorded_status_and_shape(
    replayed: list[tuple[dict[str, Any], int, Any]], index: int
) -> None:
    exchange, status, answer = replayed[index]
    recorded = exchange["response"]
    assert status == exchange["status"], exchange["name"]
    assert shape(answer) == shape(recorded), exchange["name"]
    if isinstance(recorded, dict) and recorded.get("error"):
        assert answer["code"] == recorded["code"]
        assert answer["message"] == recorded["message"]
    for key in ("id", "ids"):
        if isinstance(recorded, dict) and key in recorded:
            assert answer[key] == recorded[key], exchange["name"]


def test_replayed_reads_show_the_recorded_values(
    replayed: list[tuple[dict[str, Any], int, Any]],
) -> None:
    by_name = {exchange["name"]: answer for exchange, _, answer in replayed}
    bug = by_name["read the bug (anonymous)"]["bugs"][0]
    assert bug["whiteboard"] == "[ca-compliance] [ov-misissuance] Next update 2026-12-20"
    assert bug["status"] == "CONFIRMED"
    assert bug["flags"][0]["requestee"] == "ca-rep@example.com"
    comments = by_name["read the comments"]["bugs"]["2"]["comments"]
    assert [c["count"] for c in comments] == [0, 1, 2]
    assert [c["id"] for c in comments] == [7, 8, 9]
    assert comments[2]["attachment_id"] == 2
    assert "is_markdown" not in comments[0]  # upstream 5.2 does not say
    attachment = by_name["read attachments with data"]["bugs"]["2"][0]
    assert attachment["is_obsolete"] == 0 and attachment["is_obsolete"] is not False
    assert base64.b64decode(attachment["data"]).startswith(b"Precertificate SHA-256 hash")
    page = by_name["search CA Certificate Compliance bugs, paginated"]["bugs"]
    assert [b["id"] for b in page] == [1, 2]


# The BMO flavour, as the BMO docs describe the calls ca-incident makes.


@pytest.fixture
def bmo() -> Iterator[tuple[State, httpx.Client]]:
    state = people(State(Flavour.BMO))
    with running(state) as url, httpx.Client(base_url=url) as client:
        yield state, client


def _create(client: httpx.Client, **extra: Any) -> httpx.Response:
    body = {
        "product": "CA Program",
        "component": "CA Certificate Compliance",
        "version": "other",
        "summary": "Example: a test",
        "description": "## Preliminary Incident Report",
        **extra,
    }
    return client.post("/rest/bug", json=body, headers={"X-BUGZILLA-API-KEY": CA_KEY})


def test_bmo_requires_a_bug_type_and_accepts_is_markdown(
    bmo: tuple[State, httpx.Client],
) -> None:
    _, client = bmo
    missing = _create(client)
    assert missing.status_code == 400 and missing.json()["code"] == 135
    made = _create(client, type="task", is_markdown=True)
    assert made.status_code == 200
    bug = made.json()["id"]
    comments = client.get(f"/rest/bug/{bug}/comment").json()["bugs"][str(bug)]["comments"]
    assert comments[0]["is_markdown"] is True
    fetched = client.get(f"/rest/bug/{bug}").json()["bugs"][0]
    assert fetched["type"] == "task"
    assert fetched["status"] == "NEW"
    assert fetched["creator"] == CA


def test_bmo_refuses_markdown_where_it_is_disabled(bmo: tuple[State, httpx.Client]) -> None:
    state, client = bmo
    bug = _create(client, type="task").json()["id"]
    state.markdown_enabled = False
    answer = client.post(
        f"/rest/bug/{bug}/comment",
        json={"comment": "text", "is_markdown": True},
        headers={"X-BUGZILLA-API-KEY": CA_KEY},
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 140


def test_bmo_lists_created_attachments_as_strings(bmo: tuple[State, httpx.Client]) -> None:
    _, client = bmo
    bug = _create(client, type="task").json()["id"]
    answer = client.post(
        f"/rest/bug/{bug}/attachment",
        json={
            "ids": [bug],
            "data": base64.b64encode(b"a,b\n").decode(),
            "file_name": "appendix.csv",
            "summary": "Affected certificates",
            "content_type": "text/csv",
        },
        headers={"X-BUGZILLA-API-KEY": CA_KEY},
    )
    assert answer.status_code == 201
    assert answer.json() == {"ids": ["1"]}
    listed = client.get(f"/rest/bug/{bug}/attachment", params={"exclude_fields": "data"})
    entry = listed.json()["bugs"][str(bug)][0]
    assert entry["is_obsolete"] is False and "data" not in entry


def test_bmo_front_end_refuses_long_targets(bmo: tuple[State, httpx.Client]) -> None:
    _, client = bmo
    answer = client.get("/rest/bug", params={"id": ",".join(["1234567"] * 1200)})
    assert answer.status_code == 414
    assert answer.headers["content-type"].startswith("text/plain")


def test_search_pages_with_limit_and_offset(bmo: tuple[State, httpx.Client]) -> None:
    _, client = bmo
    for number in range(5):
        _create(client, type="task", summary=f"Example: bug {number}")
    found = []
    for offset in (0, 2, 4, 6):
        page = client.get(
            "/rest/bug",
            params={"product": "CA Program", "limit": "2", "offset": str(offset)},
        ).json()["bugs"]
        found += [b["id"] for b in page]
    assert found == [1, 2, 3, 4, 5]
    assert client.get("/rest/bug").json()["code"] == 1000


def test_private_bug_needs_access(bmo: tuple[State, httpx.Client]) -> None:
    state, client = bmo
    bug = _create(client, type="task").json()["id"]
    state.bugs[bug].groups = ["ca-program-security"]
    anonymous = client.get(f"/rest/bug/{bug}")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 102
    own = client.get(f"/rest/bug/{bug}", headers={"X-BUGZILLA-API-KEY": CA_KEY})
    assert own.status_code == 200
