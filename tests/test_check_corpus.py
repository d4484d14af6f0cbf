"""The checker on the real Bugzilla corpus (../shared/corpus/reports): every opening checked
without a crash, a cut found only where the text shows one, and template detection measured
against a hand-labelled sample (tests/data/template-labels.csv)."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from ca_incident.checks.engine import INTERNAL, STATED_CUT, check_input
from ca_incident.checks.registry import Context
from ca_incident.checks.report import UNRECOGNISED, parse
from ca_incident.templates import RECOGNISED

from .helpers import shared_path

LABELS = Path(__file__).parent / "data" / "template-labels.csv"
CASES = Path(__file__).parent / "reports"
NONE = "none"
"""The label of a text that is no incident report (a request, a notice, free text)."""

WHOLE = 220
TRUNCATED = 540
CUT_SHOWN = 340
"""At least this many of the 540 truncated openings show the cut in their text (350 when this
was written); the others were cut between two whole words, where nothing can show it."""


def _rows() -> list[dict[str, object]]:
    path = shared_path("corpus", "reports", "bugzilla-report-openings.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def _posted(row: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(row["time"]).replace("Z", "+00:00"))


def _check(row: dict[str, object], truncated: bool | None) -> list[str]:
    posted = _posted(row)
    checked = check_input(
        str(row["text"]), f"bug {row['bug']}", Context(posted, posted), truncated=truncated
    )
    return [f.code for f in checked.findings]


def test_every_opening_is_checked_without_a_crash() -> None:
    rows = _rows()
    assert len(rows) == WHOLE + TRUNCATED
    for row in rows:
        assert INTERNAL not in _check(row, bool(row["truncated"])), row["bug"]


def test_a_whole_report_is_never_taken_for_a_cut_one() -> None:
    """GEN003 from the text alone: on none of the 220 whole reports, though most end without
    a final newline or full stop."""
    whole = [row for row in _rows() if not row["truncated"]]
    assert len(whole) == WHOLE
    assert sum(not str(row["text"]).endswith(("\n", ".")) for row in whole) > 100
    cut = [row["bug"] for row in whole if "GEN003" in _check(row, None)]
    assert cut == []


def test_truncated_openings_show_their_cut() -> None:
    """GEN003 from the text alone on the openings cut at 1,000 characters, and on all of them
    when the user says they are cut (the corpus's `truncated`), once each, naming the rules
    that did not judge past the cut."""
    truncated = [row for row in _rows() if row["truncated"]]
    assert len(truncated) == TRUNCATED
    shown = [row for row in truncated if "GEN003" in _check(row, None)]
    assert len(shown) >= CUT_SHOWN
    for row in truncated:
        posted = _posted(row)
        checked = check_input(str(row["text"]), "r", Context(posted, posted), truncated=True)
        cut = [f for f in checked.findings if f.code == "GEN003"]
        assert len(cut) == 1, row["bug"]
        assert "not judged (rules " in cut[0].message
        assert checked.cut is not None and (row in shown) != (checked.cut == STATED_CUT)


def _labels() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_labelled_sample_is_large_and_covers_the_corpus_templates() -> None:
    labels = _labels()
    whole = [label for label in labels if label["whole"] == "yes"]
    assert len(whole) >= 60
    assert len({(label["bug"], label["position"]) for label in labels}) == len(labels)
    seen = {label["template"] for label in labels}
    assert {NONE, "irg-3.2-preliminary", "irg-3.2-full", "irg-2.0", "mozilla-2023"} <= seen
    assert {label["stage"] for label in labels if label["template"] == "irg-2.0"} == {
        "preliminary",
        "full",
    }
    assert seen - {NONE} <= set(RECOGNISED)


def test_templates_the_corpus_lacks_are_recognised_in_the_cases() -> None:
    """No opening in the corpus is a closure summary or an IRG 2.0 Audit Incident Report:
    hand-written cases stand in for them."""
    labelled = {label["template"] for label in _labels()}
    missing = set(RECOGNISED) - labelled
    assert missing == {"irg-3.2-closure", "irg-2.0-audit"}
    found = {parse(case.read_text()).template for case in CASES.glob("*.md")}
    assert missing <= found


def test_detection_agrees_with_the_hand_labels() -> None:
    rows = {(row["bug"], row["position"]): row for row in _rows()}
    disagreements = []
    for label in _labels():
        row = rows[(int(label["bug"]), int(label["position"]))]
        assert (label["whole"] == "yes") == (not row["truncated"]), label["bug"]
        report = parse(str(row["text"]))
        template = NONE if report.template == UNRECOGNISED else report.template
        if (template, report.stage or "") != (label["template"], label["stage"]):
            disagreements.append((label["bug"], label["template"], template, report.stage))
    assert disagreements == []


@pytest.mark.parametrize(
    ("template", "opening", "least"),
    [
        ("irg-3.2-preliminary", re.compile(r"#+ Preliminary Incident Report\s*\n"), 100),
        ("irg-3.2-full", re.compile(r"#+ Full Incident Report\s*\n"), 15),
        ("irg-2.0", re.compile(r"## Incident Report\s*\n+### Summary\s*\n"), 20),
    ],
)
def test_detection_on_titled_openings(template: str, opening: re.Pattern[str], least: int) -> None:
    """Beyond the sample: every opening, whole or cut, that starts with a template's title
    (and, for IRG 2.0, its first section)."""
    checked = 0
    for row in _rows():
        text = str(row["text"]).lstrip()
        if opening.match(text) is None:
            continue
        assert parse(text).template == template, row["bug"]
        checked += 1
    assert checked >= least
