"""The dashboard over many synced bugs: the incidents page and the reviewer view, rendered end
to end (request, jobs, template) through the FastAPI application, each within 300 ms (median).

A Bugzilla cache of synthetic CA Certificate Compliance bugs is written through the cache's
own ``store``: about one in ten open, a report as the description (the examples' rendered
reports, under many CA names), a reviewer's question, the CA's answer and updates. Reading
them into the dashboard's index happens once, before the pages are timed, as ``serve`` does
at start; its time is reported, not gated.

    python -m bench --only dashboard        (BENCH_BUGS=2000, BENCH_REPEAT=15; --quick: 300, 5)
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from bench.result import Result, setting
from bench.timing import median_seconds
from ca_incident.app.dashboard import Dashboard
from ca_incident.bugzilla.cache import Cache
from ca_incident.bugzilla.records import Bug, Comment
from ca_incident.bugzilla.settings import Settings
from ca_incident.timeutil import parse_timestamp
from ca_incident.web.app import create_app

TARGET_MS = 300.0
SERVER = "https://bugzilla.example.org"
GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"
AS_OF = parse_timestamp("2026-11-27T12:00Z")
TAGS = (
    "ov-misissuance",
    "dv-misissuance",
    "ev-misissuance",
    "crl-failure",
    "ocsp-failure",
    "audit-finding",
    "disclosure-failure",
    "leaf-revocation-delay",
    "policy-failure",
    "smime-misissuance",
)


def _reports() -> list[str]:
    return [
        p.read_text(encoding="utf-8")
        for folder in ("tls-ou-misissuance", "crl-published-late", "closure-incident")
        for p in sorted((GOLDEN / folder).glob("irg-*.md"))
    ]


def seed(path: Path, count: int) -> None:
    """``count`` bugs, the same for the same count."""
    chance = random.Random(count)
    reports = _reports()
    cas = [f"CA Number {n:02d} Trust Services" for n in range(60)]
    synced = AS_OF - timedelta(hours=6)
    with Cache.open(path) as cache:
        for number in range(count):
            bug_id = 1_800_000 + number
            created = AS_OF - timedelta(days=chance.randrange(5, 8 * 365), hours=number % 24)
            is_open = chance.random() < 0.1
            ca = chance.choice(cas)
            tags = chance.sample(TAGS, chance.randint(1, 2))
            next_update = (
                f" Next update {(AS_OF + timedelta(days=chance.randint(-20, 30))).date()}"
                if is_open and chance.random() < 0.6
                else ""
            )
            owner = f"compliance{number % 60}@ca{number % 60}.example"
            report = chance.choice(reports).replace("Example Trust Services", ca)
            posts = [
                (owner, created, report),
                (
                    "reviewer@example.org",
                    created + timedelta(days=3),
                    "Why did the profile review not catch this? When will the action item close?",
                ),
                (owner, created + timedelta(days=5), "We answer: the review compared profiles."),
                (owner, created + timedelta(days=12), "Update: the action items are on track."),
            ]
            if is_open and chance.random() < 0.3:
                posts.append(
                    ("reviewer@example.org", AS_OF - timedelta(days=9), "Any news on this?")
                )
            last = posts[-1][1]
            bug = Bug(
                id=bug_id,
                summary=f"{ca}: {chance.choice(TAGS).replace('-', ' ')} incident {number}",
                whiteboard=" ".join(f"[{t}]" for t in ["ca-compliance", *tags]) + next_update,
                status="ASSIGNED" if is_open else "RESOLVED",
                resolution="" if is_open else "FIXED",
                creation_time=created,
                last_change_time=last,
                assigned_to=owner,
                creator=owner,
                product="CA Program",
                component="CA Certificate Compliance",
                type="task",
                is_open=is_open,
            )
            comments = [
                Comment(bug_id * 10 + n, bug_id, n, who, when, text, is_markdown=True)
                for n, (who, when, text) in enumerate(posts)
            ]
            cache.store(SERVER, bug, comments, [], [], synced)


def run(quick: bool = False) -> Iterator[Result]:
    count = setting("BENCH_BUGS", 2000, 300, quick)
    repeat = setting("BENCH_REPEAT", 15, 5, quick)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as folder:
        cache = Path(folder) / "bugzilla.sqlite"
        started = time.perf_counter()
        seed(cache, count)
        print(f"seeded {count:,} bugs in {time.perf_counter() - started:.1f} s")
        board = Dashboard([], Settings(url=SERVER, cache=cache), as_of=AS_OF)
        try:
            assert board.index is not None
            started = time.perf_counter()
            board.index.refresh(as_of=AS_OF)
            indexed = time.perf_counter() - started
            print(
                f"indexed {count:,} bugs in {indexed:.1f} s ({indexed / count * 1000:.1f} ms a bug)"
            )
            client = TestClient(create_app(board, allowed_hosts=["testserver"]))

            def incidents() -> None:
                assert client.get("/").status_code == 200

            def reviewer() -> None:
                assert client.get("/reviewer").status_code == 200

            # The first requests load the templates.
            incidents()
            reviewer()
            listing, review = median_seconds([incidents, reviewer], repeat)
        finally:
            board.close()
    for name, seconds in (("incidents page", listing), ("reviewer view", review)):
        print(f"{name} over {count:,} bugs   {seconds * 1000:.0f} ms (median of {repeat})")
        yield Result(f"dashboard: {name}, {count:,} bugs", seconds * 1000, TARGET_MS, False, "ms")
    yield Result(f"dashboard: index {count:,} bugs", indexed, None, False, "s")
