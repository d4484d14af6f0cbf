"""``ca-incident check`` over the 760 real report openings of ../shared/corpus/reports.

Prints the median time to check them all, and its ratio to parsing the same texts with
markdown-it-py alone (the floor any Markdown checker pays), measured in the same run. The
ratio has no target yet: it is reported, not gated.

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
from ca_incident.checks.engine import check_text
from ca_incident.checks.registry import Context

CORPUS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/corpus/reports/bugzilla-report-openings.jsonl"
)


def run(quick: bool = False) -> Iterator[Result]:
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (the shared corpora are not beside the repository)")
        return
    repeat = setting("BENCH_REPEAT", 5, 1, quick)
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    texts = [
        (row["text"], datetime.fromisoformat(row["time"].replace("Z", "+00:00"))) for row in rows
    ]
    markdown = MarkdownIt("commonmark").enable("table")

    def parse_only() -> None:
        for text, _ in texts:
            markdown.parse(text)

    def check_all() -> None:
        for text, posted in texts:
            check_text(text, "r", Context(posted, posted))

    f, c = median_seconds([parse_only, check_all], repeat)
    ratio = Result("check: check / markdown-it parse", c / f, None, False, "x")
    print(f"markdown-it parse of {len(rows)} reports   {f:.3f} s (median of {repeat})")
    print(f"ca-incident check of {len(rows)} reports   {c:.3f} s ({len(rows) / c:,.0f} reports/s)")
    print(f"ratio check / parse                 {ratio.measured:.1f}  (no target)")
    yield ratio
