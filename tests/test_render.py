"""Rendering: golden files for every template, and the templates' exact outlines.

Regenerate the golden files after an intended change with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ca_incident.app.build import PREPARE_STEPS, build_folder
from ca_incident.errors import ReportTooLongError
from ca_incident.incident_file import load_incident, parse_incident
from ca_incident.model import Stage, at_least
from ca_incident.report.render import (
    BUGZILLA_COMMENT_LIMIT,
    ReportData,
    TemplateNotApplicableError,
    render,
)
from ca_incident.templates import CLOSING_STATEMENT, IRG_32_FULL, LEGACY_TOPICS, TEMPLATES

from .helpers import AS_OF, EXAMPLES, shared_path

GOLDEN = Path(__file__).parent / "golden"
INCIDENTS = {
    "tls-ou-misissuance": EXAMPLES / "tls-ou-misissuance",
    "crl-published-late": EXAMPLES / "crl-published-late",
    "closure-incident": GOLDEN / "closure-incident",
}
CASES = [
    (name, template)
    for name, folder in INCIDENTS.items()
    for template, spec in TEMPLATES.items()
    if at_least(load_incident(folder).stage, spec.min_stage)
]


def _render(name: str, template: str) -> str:
    """The report exactly as build writes it, certificates counted."""
    built = build_folder(
        INCIDENTS[name], as_of=AS_OF, steps=PREPARE_STEPS, template=template, write=False
    )
    assert built.report is not None
    return built.report


@pytest.mark.parametrize(("name", "template"), CASES)
def test_golden(name: str, template: str) -> None:
    text = _render(name, template)
    golden = GOLDEN / name / f"{template}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_template_has_a_golden_file() -> None:
    assert {template for _, template in CASES} == set(TEMPLATES)
    # One golden file per case, none left over from a template or stage that is gone.
    golden = {
        (path.parent.name, path.stem) for name in INCIDENTS for path in (GOLDEN / name).glob("*.md")
    }
    assert golden == set(CASES)


def _assert_in_order(text: str, outline: tuple[str, ...]) -> None:
    """Each item of ``outline`` is in ``text``, after the item before it."""
    start = 0
    for item in outline:
        found = text.find(item, start)
        assert found >= 0, f"{item!r} missing or out of order after position {start}"
        start = found + len(item)


@pytest.mark.parametrize(("name", "template"), CASES)
def test_outline_in_order(name: str, template: str) -> None:
    outline = TEMPLATES[template].text_outline()
    assert outline, f"{template} has no outline to check"
    _assert_in_order(_render(name, template), outline)


def _irg_template_block(heading: str) -> str:
    source = shared_path("domain", "sources", "ccadb-incident-report-v3.2.md").read_text()
    after = source.split(f"#### {heading}\n", 1)[1]
    return after.split("```markdown\n", 1)[1].split("```", 1)[0]


def _outline_of(markdown: str) -> list[str]:
    """Headings and bold labels, in order, as the IRG writes them."""
    items = []
    for line in markdown.splitlines():
        stripped = line.strip().lstrip("- ").strip()
        if stripped.startswith("#"):
            items.append(stripped)
        items.extend(re.findall(r"\*\*[^*]+\*\*", stripped))
    return items


@pytest.mark.parametrize(
    ("heading", "template"),
    [
        ("Preliminary Incident Report", "irg-3.2-preliminary"),
        ("Full Incident Report", "irg-3.2-full"),
        ("Closure Report", "irg-3.2-closure"),
    ],
)
def test_outline_matches_the_irg_32_source(heading: str, template: str) -> None:
    """Every heading and label of the published template, in its order, in our rendering."""
    source_outline = _outline_of(_irg_template_block(heading))
    assert source_outline, "the IRG source template was not found"
    name = (
        "crl-published-late"
        if template == "irg-3.2-preliminary"
        else ("closure-incident" if template == "irg-3.2-closure" else "tls-ou-misissuance")
    )
    text = _render(name, template)
    start = 0
    for item in source_outline:
        if item == "**Contributing Factor #: title**":
            match = re.compile(r"\*\*Contributing Factor \d+: [^*]+\*\*").search(text, start)
            assert match, "no contributing factor heading"
            start = match.end()
            continue
        found = text.find(item, start)
        assert found >= 0, f"IRG label {item!r} missing or out of order"
        start = found + len(item)


def test_full_report_action_items_header_is_the_irgs() -> None:
    block = _irg_template_block("Full Incident Report")
    irg_header = next(line for line in block.splitlines() if line.startswith("| Action Item"))
    irg_columns = [c.strip() for c in irg_header.strip("|").split("|")]
    text = _render("tls-ou-misissuance", "irg-3.2-full")
    ours = next(line for line in text.splitlines() if line.startswith("| Action Item"))
    assert [c.strip() for c in ours.strip("|").split("|")] == irg_columns


def test_closure_statement_is_verbatim() -> None:
    block = _irg_template_block("Closure Report")
    assert CLOSING_STATEMENT in block
    assert _render("closure-incident", "irg-3.2-closure").rstrip().endswith(CLOSING_STATEMENT)


def test_legacy_topics_are_the_seed_pages() -> None:
    seed = shared_path("domain", "seed-mozilla-wiki-2023-diff.txt").read_text()
    # The seed is a wiki diff: removed words run into the added ones ("doneperformed").
    for topic in LEGACY_TOPICS:
        words = re.findall(r"[A-Za-z]+", topic.text)[:12]
        assert re.search(r"\W+".join(words), seed), topic.text[:60]


def test_full_spec_covers_every_field_of_the_source() -> None:
    labels = [
        item
        for item in _outline_of(_irg_template_block("Full Incident Report"))
        if "Contributing Factor #" not in item
    ]
    assert list(IRG_32_FULL.text_outline()) == labels


def test_no_field_is_left_empty() -> None:
    """A label with nothing after it must head a nested list (Timeline summary, lessons)."""
    for name, template in CASES:
        lines = _render(name, template).splitlines()
        for index, line in enumerate(lines):
            if re.fullmatch(r"\s*- \*\*[^*]+:\*\*\s*", line):
                following = lines[index + 1] if index + 1 < len(lines) else ""
                assert re.match(r"\s{3}- \S", following), f"{name}/{template}: empty {line!r}"


def test_every_timestamp_is_utc_to_the_minute() -> None:
    text = _render("tls-ou-misissuance", "irg-3.2-full")
    stamps = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?: \w+)?", text)
    assert stamps and all(re.fullmatch(r"\S+ \d{2}:\d{2} UTC", s) for s in stamps)


def test_stage_too_early_for_template() -> None:
    data = ReportData(load_incident(INCIDENTS["crl-published-late"]), AS_OF)
    with pytest.raises(TemplateNotApplicableError, match="stage 'full' or later"):
        render(data, "irg-3.2-full")


def test_report_over_the_comment_limit_names_what_to_move() -> None:
    text = (INCIDENTS["tls-ou-misissuance"] / "incident.yaml").read_text()
    long_factor = "word " * 14_000
    text = text.replace(
        "    methodology: 5-Whys\n  - id: CF-2",
        f"    methodology: {long_factor}\n  - id: CF-2",
    )
    data = ReportData(parse_incident(text), AS_OF)
    with pytest.raises(ReportTooLongError) as caught:
        render(data, "irg-3.2-full")
    message = str(caught.value)
    assert f"{BUGZILLA_COMMENT_LIMIT:,}" in message
    assert "Largest sections: Root Cause Analysis" in message


def test_pipes_and_newlines_stay_inside_table_cells() -> None:
    original = (INCIDENTS["tls-ou-misissuance"] / "incident.yaml").read_text()
    # The Detect action item: a pipe and a line break in its first cell (a folded block
    # scalar keeps the blank line as a newline) and in its fourth (a quoted "\n").
    description = (
        "  - description: Lint all unexpired certificates daily with the current linter and"
        " alert on any finding.\n    kind: Detect\n"
    )
    criteria = "Daily lint job runs and alerts; results kept for audit."
    assert description in original and criteria in original
    text = original.replace(
        description, "  - description: >-\n      x | y\n\n      z\n    kind: Detect\n"
    ).replace(criteria, '"a | b\\nc"')
    rendered = render(ReportData(parse_incident(text), AS_OF), "irg-3.2-full")
    row = next(line for line in rendered.splitlines() if "a \\| b" in line)
    assert row.startswith("| x \\| y<br>z | Detect | ")
    assert "| a \\| b<br>c |" in row
    assert row.count(" | ") == 5


def test_derived_events_fill_the_timeline() -> None:
    data = ReportData(load_incident(INCIDENTS["tls-ou-misissuance"]), AS_OF)
    derived = {row.kind.value for row in data.timeline() if row.derived}
    assert derived == {
        "ca-aware",
        "incident-began",
        "incident-ended",
        "issuance-stopped",
        "issuance-resumed",
    }
    times = [row.at for row in data.timeline()]
    assert times == sorted(times)


def test_preliminary_commits_to_the_full_report_date() -> None:
    text = _render("crl-published-late", "irg-3.2-preliminary")
    # The clocks' Full-report moment: nothing posted yet, so 14 days after the 72-hour
    # deadline for the first report (awareness 2026-11-25 06:38 UTC).
    assert "no later than 2026-12-12 06:38 UTC" in text
    assert load_incident(INCIDENTS["crl-published-late"]).stage is Stage.PRELIMINARY
