"""The dashboard (``ca-incident serve``) through FastAPI's TestClient: every page and every /api
answer, on the examples and on a Bugzilla cache seeded through the cache's own ``store``.

/api answers are compared with what the command line's ``--json`` prints for the same input.
The seeded bugs include one whose summary, whiteboard and report carry HTML and script: every
page must show them as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ca_incident.app.build import build_folder
from ca_incident.app.dashboard import (
    BugIndex,
    Dashboard,
    ListQuery,
    index_path,
    query_terms,
    related,
)
from ca_incident.bugzilla.cache import Cache
from ca_incident.bugzilla.records import Bug, Comment, Flag
from ca_incident.bugzilla.settings import Settings
from ca_incident.cli import cli
from ca_incident.timeutil import iso_z, parse_timestamp
from ca_incident.web.app import CONTENT_SECURITY_POLICY, LOOPBACK_HOSTS, create_app
from ca_incident.web.markdown import render

from .helpers import AS_OF, EXAMPLES, REPO

SERVER = "https://bugzilla.example.org"
CA = "ca@example.com"
REVIEWER = "reviewer@example.org"
GOLDEN = REPO / "tests" / "golden"
EVIL = '<script>alert("x")</script><img src=x onerror=alert(2)>'
TLS_KEY = "tls-ou-misissuance"
CRL_KEY = "crl-published-late"


def _at(text: str) -> datetime:
    return parse_timestamp(text)


def _bug(
    number: int,
    summary: str,
    whiteboard: str,
    created: str,
    *,
    is_open: bool = True,
    changed: str | None = None,
    flags: tuple[Flag, ...] = (),
) -> Bug:
    return Bug(
        id=number,
        summary=summary,
        whiteboard=whiteboard,
        status="ASSIGNED" if is_open else "RESOLVED",
        resolution="" if is_open else "FIXED",
        creation_time=_at(created),
        last_change_time=_at(changed or created),
        assigned_to=CA,
        creator=CA,
        product="CA Program",
        component="CA Certificate Compliance",
        type="task",
        is_open=is_open,
        flags=flags,
    )


def _comments(number: int, *posts: tuple[str, str, str]) -> list[Comment]:
    """(who, when, text) in order; the first is the bug's description."""
    return [
        Comment(
            id=number * 100 + count,
            bug_id=number,
            count=count,
            creator=who,
            time=_at(when),
            text=text,
            is_markdown=True,
        )
        for count, (who, when, text) in enumerate(posts)
    ]


def seed_cache(path: Path, server: str = SERVER, *, hostile: bool = True) -> None:
    """Six bugs: the TLS example's own (open, a question unanswered for 7+ days), a related
    one of another CA (closed), an open bug past its Next update, one without a report, one
    too old to be related, and (unless not ``hostile``) one whose every text is HTML and
    script."""
    tls = (GOLDEN / "tls-ou-misissuance").glob("irg-3.2-*.md")
    reports = {p.stem: p.read_text(encoding="utf-8") for p in tls}
    crl = (GOLDEN / "crl-published-late" / "irg-3.2-preliminary.md").read_text(encoding="utf-8")
    synced = _at("2026-11-27T06:00Z")
    bugs = [
        (
            _bug(
                1999001,
                "Example Trust Services: OV TLS certificates issued with organizationalUnitName",
                "[ca-compliance] [ov-misissuance] Next update 2026-12-15",
                "2026-10-15T09:20Z",
                changed="2026-11-10T08:00Z",
            ),
            _comments(
                1999001,
                (CA, "2026-10-15T09:20Z", reports["irg-3.2-preliminary"]),
                (CA, "2026-10-28T15:00Z", reports["irg-3.2-full"]),
                (REVIEWER, "2026-11-10T08:00Z", "Which linter release runs in production now?"),
            ),
        ),
        (
            _bug(
                1999002,
                "Other Trust CA: OV certificates with a prohibited organizationalUnitName",
                "[ca-compliance] [ov-misissuance]",
                "2025-11-03T10:00Z",
                is_open=False,
                changed="2026-02-01T10:00Z",
            ),
            _comments(
                1999002,
                (CA, "2025-11-03T10:00Z", reports["irg-3.2-full"].replace("Example", "Other")),
            ),
        ),
        (
            _bug(
                1999003,
                "Third Root CA: CRL published late",
                "[ca-compliance] [crl-failure] Next update 2026-11-20",
                "2026-11-01T10:00Z",
                changed="2026-11-05T10:00Z",
            ),
            _comments(
                1999003,
                (CA, "2026-11-01T10:00Z", crl.replace("Example Trust Services", "Third Root CA")),
                (CA, "2026-11-05T10:00Z", "An update: the CRL schedule now has a second check."),
            ),
        ),
        (
            _bug(
                1999004,
                "Fourth CA: OCSP responder answered unknown",
                "[ca-compliance] [ocsp-failure]",
                "2026-11-20T10:00Z",
            ),
            _comments(1999004, (REVIEWER, "2026-11-20T10:00Z", "The OCSP responder of Fourth CA?")),
        ),
        (
            _bug(
                1899005,
                "Old CA: organizationalUnitName in OV certificates",
                "[ca-compliance] [ov-misissuance]",
                "2023-03-01T10:00Z",
                is_open=False,
            ),
            _comments(1899005, (CA, "2023-03-01T10:00Z", "organizationalUnitName was included.")),
        ),
        (
            _bug(
                1999006,
                f"Evil CA: {EVIL}",
                f"[ca-compliance] [{EVIL}]",
                "2026-11-02T10:00Z",
            ),
            _comments(
                1999006,
                (
                    CA,
                    "2026-11-02T10:00Z",
                    reports["irg-3.2-preliminary"]
                    + f"\n\n{EVIL}\n\n[click](javascript:alert(3)) ![img](https://x.invalid/i.png)",
                ),
            ),
        ),
    ]
    if not hostile:
        bugs = [(bug, comments) for bug, comments in bugs if bug.id != 1999006]
    with Cache.open(path) as cache:
        for bug, comments in bugs:
            cache.store(server, bug, comments, [], [], synced)


@pytest.fixture(scope="module")
def cache_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "bugzilla.sqlite"
    seed_cache(path)
    return path


@pytest.fixture(scope="module")
def settings(cache_file: Path) -> Settings:
    return Settings(url=SERVER, cache=cache_file)


@pytest.fixture(scope="module")
def board(settings: Settings) -> Iterator[Dashboard]:
    found = Dashboard([EXAMPLES], settings, as_of=AS_OF)
    yield found
    found.close()


@pytest.fixture(scope="module")
def client(board: Dashboard) -> TestClient:
    return TestClient(create_app(board, allowed_hosts=[*LOOPBACK_HOSTS, "testserver"]))


@pytest.fixture(scope="module")
def plain_client() -> Iterator[TestClient]:
    """The examples alone, without a Bugzilla cache."""
    found = Dashboard([EXAMPLES], None, as_of=AS_OF)
    yield TestClient(create_app(found, allowed_hosts=["testserver"]))
    found.close()


PAGES = [
    "/",
    "/?stage=full",
    "/?overdue=true",
    "/?sort=errors&order=desc",
    f"/incidents/{TLS_KEY}",
    f"/incidents/{CRL_KEY}",
    "/reviewer",
    "/related",
    "/related?q=organizationalUnitName",
    f"/related?incident={TLS_KEY}",
    "/rules",
    "/rules/TL002",
]
BUG_PAGES = ["/bugs/1999001", "/bugs/1999003", "/bugs/1999004", "/bugs/1999006"]


def _cli_json(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("url", PAGES + BUG_PAGES)
def test_every_page_answers_with_a_strict_policy(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    html = response.text
    # No inline script or style: every script is a file of this server, no style attribute.
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == []
    assert " style=" not in html and "<style" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for link in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert link.startswith(("/", "#", "https://")), link


@pytest.mark.parametrize("url", PAGES)
def test_every_page_works_without_a_bugzilla_cache(plain_client: TestClient, url: str) -> None:
    assert plain_client.get(url).status_code == 200


def test_the_list_has_a_row_per_incident(client: TestClient) -> None:
    html = client.get("/").text
    assert "OV TLS certificates issued with organizationalUnitName" in html
    assert f'href="/incidents/{TLS_KEY}"' in html
    # The TLS example names bug 1999001: one row, the folder's.
    assert 'href="/bugs/1999001"' not in html
    for bug in (1999002, 1999003, 1999004, 1999006):
        assert f'href="/bugs/{bug}"' in html


def test_the_list_filters_and_sorts(board: Dashboard) -> None:
    def keys(**query: Any) -> list[str]:
        return [r.key for r in board.incidents(ListQuery(**query), AS_OF).rows]

    assert keys(stage="full") == [TLS_KEY]
    assert set(keys(stage="preliminary")) >= {CRL_KEY, "1999003"}
    assert set(keys(tag="crl-failure")) == {CRL_KEY, "1999003"}
    overdue = keys(overdue=True)
    assert "1999003" in overdue and TLS_KEY not in overdue
    by_ca = [r.ca for r in board.incidents(ListQuery(sort="ca"), AS_OF).rows]
    assert by_ca == sorted(by_ca, key=str.casefold)
    descending = [r.ca for r in board.incidents(ListQuery(sort="ca", descending=True), AS_OF).rows]
    assert descending == sorted(by_ca, key=str.casefold, reverse=True)
    paged = board.incidents(ListQuery(per_page=2, page=2), AS_OF)
    assert len(paged.rows) == 2 and paged.pages == 4 and paged.matched == 7


def test_the_list_page_marks_the_sorted_column(client: TestClient) -> None:
    html = client.get("/?sort=ca&order=desc").text
    assert 'aria-sort="descending"' in html
    assert client.get("/?sort=nonsense").status_code == 400
    assert client.get("/?stage=nonsense").status_code == 400


def test_user_text_is_escaped_everywhere(client: TestClient) -> None:
    for url in ["/", "/bugs/1999006", "/reviewer", "/related?q=Evil+CA", "/?tag=" + EVIL]:
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    bug = client.get("/bugs/1999006").text
    assert "&lt;script&gt;alert(" in bug
    assert 'href="javascript:' not in bug
    assert "<img" not in bug


def test_markdown_as_bugzilla_renders_it() -> None:
    html = str(
        render("# Title\n\n| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n<b>raw</b> [x](javascript:y)")
    )
    assert "<h3>Title</h3>" in html
    assert "<table>" in html and "<s>2</s>" in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html
    assert "javascript:" not in html.replace("[x](javascript:y)", "")


def test_the_incident_page_shows_clocks_problems_charts_and_report(client: TestClient) -> None:
    html = client.get(f"/incidents/{TLS_KEY}").text
    assert "Clocks" in html and "state-met" in html
    assert 'id="issuance-ou-in-subject"' in html and 'id="revocation-ou-in-subject"' in html
    # Each chart has a text alternative and a table.
    assert html.count('role="img"') == 3
    assert "12 of 12 certificates of problem ou-in-subject shown revoked" in html
    assert "<summary>Table: Issuance per day: ou-in-subject</summary>" in html
    assert "<h3>Full Incident Report</h3>" in html or "Full Incident Report" in html
    for name in ("report.md", "appendix.csv", "evidence.json", "clocks.ics"):
        assert f"/incidents/{TLS_KEY}/files/{name}" in html


LATER = parse_timestamp("2026-11-29T12:00Z")
"""When the CRL example's first report is overdue: a finding (CLK001) on its page."""


def test_a_finding_links_to_its_rule() -> None:
    board = Dashboard([EXAMPLES], None, as_of=LATER)
    client = TestClient(create_app(board, allowed_hosts=["testserver"]))
    html = client.get(f"/incidents/{CRL_KEY}").text
    codes = re.findall(r'href="/rules/([A-Z]+\d+)"', html)
    assert codes
    rule = client.get(f"/rules/{codes[0]}").text
    assert f"<h1>{codes[0]} " in rule and "What it checks" in rule


def test_downloads_are_what_build_writes(client: TestClient) -> None:
    built = build_folder(EXAMPLES / TLS_KEY, as_of=AS_OF, write=False)
    for name in ("appendix.csv", "report.md", "evidence.json", "crtsh-ou-in-subject.txt"):
        response = client.get(f"/incidents/{TLS_KEY}/files/{name}")
        assert response.status_code == 200
        assert response.text == built.files_out[name]
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    calendar = client.get(f"/incidents/{TLS_KEY}/files/clocks.ics")
    assert calendar.text.startswith("BEGIN:VCALENDAR")
    assert client.get(f"/incidents/{TLS_KEY}/files/..%2Fincident.yaml").status_code == 404
    assert client.get(f"/incidents/{TLS_KEY}/files/incident.yaml").status_code == 404


def test_unknown_things_are_not_found(client: TestClient) -> None:
    assert client.get("/incidents/nope").status_code == 404
    assert client.get("/bugs/4").status_code == 404
    assert client.get("/rules/XX999").status_code == 404
    assert client.get("/api/incidents/nope").status_code == 404
    assert client.get("/api/bugs/4").status_code == 404


def test_read_only_and_loopback_hosts_only(board: Dashboard) -> None:
    served = TestClient(create_app(board), base_url="http://127.0.0.1:8000")
    assert served.get("/").status_code == 200
    assert served.post("/").status_code == 405
    assert served.delete("/api/incidents").status_code == 405
    assert served.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_the_reviewer_view(client: TestClient, board: Dashboard) -> None:
    view = board.reviewer(AS_OF)
    assert view is not None
    assert view.total == 6
    # 1999003 is past its Next update; 1999006 is 7 days past its only report.
    assert {b.digest.id for b in view.overdue_updates} == {1999003, 1999006}
    assert [b.digest.id for b in view.unanswered] == [1999001]
    assert {b.digest.id for b in view.open} == {1999001, 1999003, 1999004, 1999006}
    latest = next(b for b in view.open if b.digest.id == 1999001).digest.latest
    assert latest is not None and latest.template == "irg-3.2-full"
    assert view.by_tag["ov-misissuance"] == {2023: 1, 2025: 1, 2026: 1}
    html = client.get("/reviewer").text
    assert "Questions unanswered for 7 days or more" in html
    assert 'href="/bugs/1999003"' in html


def test_related_incidents_share_words_and_skip_old_and_own_bugs(
    board: Dashboard, settings: Settings
) -> None:
    found = board.related_to_incident(TLS_KEY, AS_OF)
    bugs = [h.digest.id for h in found.hits]
    assert bugs[0] == 1999002
    assert 1999001 not in bugs  # the incident's own bug
    assert 1899005 not in bugs  # opened more than two years ago
    assert "organizationalunitname" in found.hits[0].shared
    text = board.related("CRL published late", AS_OF)
    assert text.hits[0].digest.id == 1999003
    assert set(text.hits[0].shared) == {"crl", "published", "late"}
    by_bug = board.related("bug:1999002", AS_OF)
    assert by_bug.kind == "bug" and 1999002 not in [h.digest.id for h in by_bug.hits]


def test_query_terms_drop_stop_words() -> None:
    assert query_terms("The CRL was published LATE, the CRL!") == ["crl", "published", "late"]


def test_the_index_is_kept_beside_the_cache_and_follows_it(settings: Settings) -> None:
    with BugIndex(settings) as index:
        index.refresh(as_of=AS_OF)
        assert index_path(settings.cache).is_file()
        assert len(index.digests()) == 6
        # A second refresh of an unchanged cache reads nothing.
        assert index.refresh(as_of=AS_OF) == 0


def test_the_index_refreshes_a_changed_bug(tmp_path: Path) -> None:
    path = tmp_path / "bugzilla.sqlite"
    seed_cache(path)
    settings = Settings(url=SERVER, cache=path)
    with BugIndex(settings) as index:
        assert index.refresh(as_of=AS_OF) == 6
        changed = _bug(
            1999004,
            "Fourth CA: OCSP responder answered unknown for revoked certificates",
            "[ca-compliance] [ocsp-failure]",
            "2026-11-20T10:00Z",
            changed="2026-11-26T10:00Z",
        )
        with Cache.open(path) as cache:
            cache.store(SERVER, changed, [], [], [], AS_OF)
        assert index.refresh(as_of=AS_OF) == 1
        digest = index.get(1999004)
        assert digest is not None and "revoked certificates" in digest.summary
        found = related("OCSP responder revoked certificates", index, as_of=AS_OF)
        assert found.hits[0].digest.id == 1999004


# /api answers are what the command line's --json prints.


def test_api_status_is_status_json(client: TestClient) -> None:
    expected = _cli_json("status", str(EXAMPLES), "--as-of", iso_z(AS_OF), "--json")
    assert client.get("/api/status").json() == expected


def test_api_rules_is_rules_json(client: TestClient) -> None:
    assert client.get("/api/rules").json() == _cli_json("rules", "--json")
    assert client.get("/api/rules/TL002").json()["code"] == "TL002"


def test_api_check_is_check_json(client: TestClient) -> None:
    for key in (TLS_KEY, CRL_KEY):
        expected = _cli_json(
            "check", str(EXAMPLES / key), "--as-of", iso_z(AS_OF), "--format", "json"
        )
        assert client.get(f"/api/incidents/{key}/check").json() == expected


def test_api_revocation_is_revocation_json(client: TestClient) -> None:
    expected = _cli_json("revocation", str(EXAMPLES / TLS_KEY), "--as-of", iso_z(AS_OF), "--json")
    assert client.get(f"/api/incidents/{TLS_KEY}/revocation").json() == expected
    assert client.get(f"/api/incidents/{CRL_KEY}/revocation").status_code == 400


def test_api_build_is_the_build_job(client: TestClient) -> None:
    built = build_folder(EXAMPLES / TLS_KEY, as_of=AS_OF, write=False)
    assert client.get(f"/api/incidents/{TLS_KEY}/build").json() == built.as_json()
    page = client.get(f"/api/incidents/{TLS_KEY}").json()
    assert page["problems"][0]["count"] == 12
    assert sum(d["count"] for d in page["problems"][0]["issuance_per_day"]) == 12


def test_api_bug_is_bugzilla_show_json(client: TestClient, cache_file: Path) -> None:
    expected = _cli_json(
        "bugzilla",
        "show",
        "1999001",
        "--offline",
        "--json",
        "--as-of",
        iso_z(AS_OF),
        "--bugzilla-url",
        SERVER,
        "--cache",
        str(cache_file),
    )
    assert client.get("/api/bugs/1999001").json() == expected


def test_api_related_is_related_json(client: TestClient, cache_file: Path) -> None:
    expected = _cli_json(
        "related",
        "CRL published late",
        "--json",
        "--as-of",
        iso_z(AS_OF),
        "--bugzilla-url",
        SERVER,
        "--cache",
        str(cache_file),
    )
    assert client.get("/api/related", params={"q": "CRL published late"}).json() == expected


def test_api_list_and_reviewer(client: TestClient) -> None:
    listing = client.get("/api/incidents", params={"stage": "full"}).json()
    assert [r["key"] for r in listing["incidents"]] == [TLS_KEY]
    reviewer = client.get("/api/reviewer").json()
    assert set(reviewer["overdue_updates"]) == {1999003, 1999006}
    assert reviewer["unanswered_questions"] == [1999001]


def test_cli_related_prints_the_bugs_and_their_shared_words(cache_file: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "related",
            str(EXAMPLES / TLS_KEY),
            "--as-of",
            iso_z(AS_OF),
            "--bugzilla-url",
            SERVER,
            "--cache",
            str(cache_file),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split()[0] == "1999002"
    assert "organizationalunitname" in lines[2]


def test_cli_serve_binds_to_loopback_by_default(
    monkeypatch: pytest.MonkeyPatch, cache_file: Path
) -> None:
    calls: list[tuple[Dashboard, str, int]] = []

    def fake(board: Dashboard, *, host: str, port: int) -> None:
        calls.append((board, host, port))
        assert [r.key for r in board.incidents(ListQuery(), AS_OF).rows][:1]

    monkeypatch.setattr("ca_incident.web.server.serve", fake)
    arguments = ["serve", str(EXAMPLES), "--bugzilla-url", SERVER, "--cache", str(cache_file)]
    result = CliRunner().invoke(cli, [*arguments, "--as-of", iso_z(AS_OF)])
    assert result.exit_code == 0, result.output
    assert calls[0][1:] == ("127.0.0.1", 8000)
    assert "http://127.0.0.1:8000/" in result.stderr
    wide = CliRunner().invoke(cli, [*arguments, "--host", "0.0.0.0", "--port", "8080"])
    assert wide.exit_code == 0 and calls[1][1:] == ("0.0.0.0", 8080)
    assert "no login" in wide.stderr


def test_the_openapi_schema_lists_the_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/incidents", "/api/status", "/api/rules", "/api/related"} <= paths
    assert all(p.startswith("/api/") for p in paths)


CONFORMANCE = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def test_the_api_follows_its_schema(client: TestClient) -> None:
    """schemathesis calls every /api operation with generated parameters: no server error,
    and every status code, content type and body as the OpenAPI schema says."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10
    for operation in operations:

        @hypothesis.given(operation.as_strategy())
        @hypothesis.settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def call(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(headers={"host": "testserver"}, checks=CONFORMANCE)

        call()


def test_clocks_are_judged_at_the_moment_asked(board: Dashboard) -> None:
    later = AS_OF + timedelta(days=30)
    listing = board.incidents(ListQuery(), later)
    assert any(r.overdue for r in listing.rows if r.key == TLS_KEY)


def test_the_web_never_reads_a_folder_it_is_named(client: TestClient) -> None:
    """A path in /api/related is words to look for, never a folder to read."""
    answer = client.get("/api/related", params={"q": str(EXAMPLES / TLS_KEY)}).json()
    assert answer["query"]["kind"] == "text"
    assert client.get("/api/related", params={"q": "\x00²"}).status_code == 400
