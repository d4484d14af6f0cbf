"""``ca-incident check`` over the 760 real report openings of ../shared/corpus/reports.

Prints the median time to check them all, and its ratio to parsing the same texts with
markdown-it-py alone (the floor any Markdown checker pays), measured in the same run; how
often GEN003 ("cut short") fires on the whole reports and on the truncated openings from
their text alone; and how the time grows with the size of one report (linear: four times
the text, about four times the time).

    python -m bench --only check            (BENCH_REPEAT=5; --quick: 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from markdown_it import MarkdownIt

from bench.result import Result, setting
from bench.timing import median_seconds
from ca_incident.checks.engine import check_input
from ca_incident.checks.registry import Context

CORPUS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/corpus/reports/bugzilla-report-openings.jsonl"
)
GOLDEN = Path(__file__).resolve().parent.parent / "tests/golden/tls-ou-misissuance/irg-3.2-full.md"
LINEAR = 6.0
"""Four times the timeline must take at most this many times as long: linear with headroom
for noise; a quadratic step would take sixteen."""


def _grown(times: int) -> str:
    """The golden Full report with its timeline and action items repeated ``times`` times."""
    text = GOLDEN.read_text(encoding="utf-8")
    head, rest = text.split("### Timeline\n", 1)
    timeline, rest = rest.split("### Related Incidents\n", 1)
    body, actions = rest.split("| ----------- |", 1)
    header, rows = actions.split("\n", 1)
    table, tail = rows.split("\n\n", 1)
    return (
        f"{head}### Timeline\n{timeline * times}### Related Incidents\n{body}| ----------- |"
        f"{header}\n{(table + chr(10)) * times}\n{tail}"
    )


def run(quick: bool = False) -> Iterator[Result]:
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (the shared corpora are not beside the repository)")
        return
    repeat = setting("BENCH_REPEAT", 5, 1, quick)
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    texts = [
        (row["text"], datetime.fromisoformat(row["time"].replace("Z", "+00:00")), row)
        for row in rows
    ]
    markdown = MarkdownIt("commonmark").enable("table")

    def parse_only() -> None:
        for text, _, _ in texts:
            markdown.parse(text)

    def check_all() -> None:
        for text, posted, _ in texts:
            check_input(text, "r", Context(posted, posted))

    f, c = median_seconds([parse_only, check_all], repeat)
    ratio = Result("check: check / markdown-it parse", c / f, None, False, "x")
    print(f"markdown-it parse of {len(rows)} reports   {f:.3f} s (median of {repeat})")
    print(f"ca-incident check of {len(rows)} reports   {c:.3f} s ({len(rows) / c:,.0f} reports/s)")
    print(f"ratio check / parse                 {ratio.measured:.1f}  (no target)")
    yield ratio

    cut = {True: 0, False: 0}
    counted = {True: 0, False: 0}
    for text, posted, row in texts:
        counted[row["truncated"]] += 1
        codes = {f.code for f in check_input(text, "r", Context(posted, posted)).findings}
        cut[row["truncated"]] += "GEN003" in codes
    print(f"GEN003 on whole reports             {cut[False]} of {counted[False]}")
    print(f"GEN003 on truncated openings        {cut[True]} of {counted[True]} (from the text)")
    yield Result("check: GEN003 on whole reports", cut[False], 0, False, "reports")

    small, large = _grown(25), _grown(100)
    now = texts[0][1]
    s, big = median_seconds(
        [
            lambda: check_input(small, "r", Context(now)),
            lambda: check_input(large, "r", Context(now)),
        ],
        repeat,
    )
    growth = Result("check: time for 4x the report", big / s, LINEAR, False, "x")
    print(
        f"one report of {len(small):,} and {len(large):,} characters: {s:.3f} s and "
        f"{big:.3f} s, ratio {growth.measured:.2f} (target <= {LINEAR})"
    )
    yield growth
