"""The checker: data-driven cases in tests/reports (input beside expected findings), every
rule proven both ways, the real Bugzilla corpus, and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ca_incident.checks.engine import check_text, kind_of
from ca_incident.checks.registry import INCIDENT, RULES, Context, Finding
from ca_incident.checks.report import Report, looks_truncated, parse
from ca_incident.cli import cli
from ca_incident.timeutil import parse_timestamp

from .helpers import AS_OF, EXAMPLES, shared_path

CASES = Path(__file__).parent / "reports"
GOLDEN = Path(__file__).parent / "golden"
INPUTS = sorted(
    p for p in CASES.iterdir() if p.suffix in (".md", ".csv", ".txt") and p.name != "README.txt"
)


def _context(case: Path) -> tuple[Context, bool | None]:
    options = (
        json.loads(case.with_suffix(".json").read_text())
        if case.with_suffix(".json").exists()
        else {}
    )
    as_of = parse_timestamp(options["as_of"]) if "as_of" in options else AS_OF
    posted = parse_timestamp(options["posted"]) if "posted" in options else as_of
    return Context(as_of, posted, tuple(options.get("whiteboard", ()))), options.get("truncated")


def run_case(case: Path) -> list[Finding]:
    context, truncated = _context(case)
    return check_text(case.read_text(encoding="utf-8"), case.name, context, truncated=truncated)


def _shown(findings: list[Finding]) -> list[str]:
    return [f"{f.line}:{f.column} {f.code}" for f in findings]


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.name)
def test_case(case: Path) -> None:
    expected = case.with_suffix(".expected").read_text(encoding="utf-8").split()
    expected_pairs = [" ".join(expected[i : i + 2]) for i in range(0, len(expected), 2)]
    assert _shown(run_case(case)) == expected_pairs


def _golden_reports() -> list[tuple[Path, Context]]:
    out = []
    for path in sorted(GOLDEN.glob("*/*.md")):
        # Each template checked when it was current, and due dates judged at rendering.
        posted = {"mozilla-2023.md": "2023-06-01T00:00Z", "irg-2.0.md": "2024-06-01T00:00Z"}.get(
            path.name
        )
        moment = parse_timestamp(posted) if posted else AS_OF
        out.append((path, Context(min(moment, AS_OF), moment)))
    return out


@pytest.mark.parametrize(
    ("path", "context"), _golden_reports(), ids=lambda v: getattr(v, "name", "")
)
def test_what_we_render_passes(path: Path, context: Context) -> None:
    assert check_text(path.read_text(), str(path), context) == []


def _long_report() -> str:
    text = (GOLDEN / "tls-ou-misissuance" / "irg-3.2-full.md").read_text()
    return text.replace("### Appendix\n", "### Appendix\n\n" + "x" * 70_000 + "\n")


def test_every_rule_is_tested_both_ways() -> None:
    fired: set[str] = set()
    passed: set[str] = set()
    inputs = [(case.name, case.read_text(), *_context(case)) for case in INPUTS]
    inputs += [(p.name, p.read_text(), context, None) for p, context in _golden_reports()]
    inputs.append(("long.md", _long_report(), Context(AS_OF, AS_OF), None))
    for name, text, context, truncated in inputs:
        kind = kind_of(name, text)
        template = parse(text).template if kind == "report" else kind
        codes = {f.code for f in check_text(text, name, context, truncated=truncated)}
        fired |= codes
        applicable = {code for code, rule in RULES.items() if template in rule.templates}
        passed |= applicable - codes
    # The CLK rules judge incident folders, not texts: tests/test_clocks.py proves them.
    text_rules = {code for code, rule in RULES.items() if rule.templates != INCIDENT}
    assert text_rules - fired == set(), "rules never seen failing"
    assert text_rules - passed == set(), "rules never seen passing"


def test_long_report_is_over_the_comment_limit() -> None:
    codes = [f.code for f in check_text(_long_report(), "long.md", Context(AS_OF, AS_OF))]
    assert codes == ["GEN002"]


def test_a_broken_rule_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    def explode(report: Report, context: Context) -> Iterator[tuple[int, int, str]]:
        raise RuntimeError("boom")

    monkeypatch.setitem(RULES, "TL001", replace(RULES["TL001"], check=explode))
    text = (GOLDEN / "tls-ou-misissuance" / "irg-3.2-full.md").read_text()
    findings = check_text(text, "r.md", Context(AS_OF, AS_OF))
    assert [(f.code, "TL001" in f.message) for f in findings] == [("INT001", True)]


def test_truncation_is_detected_from_the_text() -> None:
    assert looks_truncated("## Preliminary Incident Report\n\n- **Incident description:** We iss")
    assert not looks_truncated("## Preliminary Incident Report\n\nDone.\n")


# The Bugzilla corpus


def _corpus() -> list[dict[str, object]]:
    path = shared_path("corpus", "reports", "bugzilla-report-openings.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_real_report_is_checked_without_a_crash() -> None:
    rows = _corpus()
    assert len(rows) == 760
    for row in rows:
        posted = datetime.fromisoformat(str(row["time"]).replace("Z", "+00:00"))
        findings = check_text(str(row["text"]), f"bug {row['bug']}", Context(posted, posted))
        assert not [f for f in findings if f.code == "INT001"], row["bug"]


def _oracle(text: str) -> str | None:
    """The template a whole report plainly announces, by its headings."""
    if re.search(r"^#+\s*Full Incident Report", text, re.M | re.I):
        return "irg-3.2-full"
    if re.search(r"^#+\s*Preliminary Incident Report", text, re.M | re.I):
        return "irg-3.2-preliminary"
    if re.search(r"^#+\s*Report Closure Summary", text, re.M | re.I):
        return "irg-3.2-closure"
    if re.search(r"^\W*1\W+How your CA first became aware", text, re.M | re.I):
        return "mozilla-2023"
    return None


def test_template_detection_on_whole_reports() -> None:
    whole = [row for row in _corpus() if not row["truncated"]]
    assert len(whole) == 220
    announced = [(str(row["text"]), _oracle(str(row["text"]))) for row in whole]
    checked = [(text, template) for text, template in announced if template is not None]
    assert len(checked) > 100
    wrong = [
        (template, parse(text).template)
        for text, template in checked
        if parse(text).template != template
    ]
    assert wrong == []


def test_truncated_openings_get_one_finding_for_the_cut() -> None:
    for row in _corpus():
        if not row["truncated"]:
            continue
        posted = datetime.fromisoformat(str(row["time"]).replace("Z", "+00:00"))
        codes = [
            f.code
            for f in check_text(str(row["text"]), "x", Context(posted, posted), truncated=True)
        ]
        assert codes.count("GEN003") == 1


# CLI


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_cli_text_output_is_ruff_style() -> None:
    code, out, _ = _run(
        "check",
        str(CASES / "full-out-of-order.md"),
        "--posted",
        "2025-05-20T00:00Z",
        "--as-of",
        "2025-05-20T00:00Z",
    )
    assert code == 1
    first = out.splitlines()[0]
    assert re.fullmatch(
        r".+full-out-of-order\.md:\d+:\d+: [A-Z]+\d{3} (error|warning|info) .+", first
    )


def test_cli_json_and_exit_codes() -> None:
    golden = GOLDEN / "tls-ou-misissuance" / "irg-3.2-full.md"
    code, out, _ = _run("check", str(golden), "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = _run(
        "check",
        str(CASES / "full-many-defects.md"),
        "--format",
        "json",
        "--posted",
        "2025-03-25T10:00Z",
    )
    assert code == 1
    findings = json.loads(out)
    assert {"path", "line", "code", "severity", "message"} <= set(findings[0])


def test_cli_select_and_ignore() -> None:
    path = str(CASES / "full-many-defects.md")
    _, out, _ = _run("check", path, "--format", "json", "--select", "TL")
    assert {f["code"][:2] for f in json.loads(out)} == {"TL"}
    _, out, _ = _run("check", path, "--format", "json", "--ignore", "TL,AI")
    assert not {f["code"][:2] for f in json.loads(out)} & {"TL", "AI"}
    code, _, err = _run("check", path, "--select", "XYZ")
    assert code == 2 and "no rule code starts with 'XYZ'" in err


def test_cli_sarif() -> None:
    _, out, _ = _run("check", str(CASES / "full-many-defects.md"), "--format", "sarif")
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "ca-incident"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1


def test_cli_checks_an_incident_folder_and_stdin() -> None:
    code, out, _ = _run(
        "check", str(EXAMPLES / "tls-ou-misissuance"), "--as-of", "2026-11-27T12:00Z"
    )
    assert code == 0 and out == ""
    text = (CASES / "full-out-of-order.md").read_text()
    code, out, _ = _run("check", "-", "--posted", "2025-05-20T00:00Z", stdin=text)
    assert code == 1 and out.startswith("-:")


def test_cli_rules_and_explain() -> None:
    code, out, _ = _run("rules", "--json")
    catalog = json.loads(out)
    assert code == 0 and {r["code"] for r in catalog} == set(RULES)
    for entry in catalog:
        assert (
            entry["why"]
            and entry["fix"]
            and entry["example"]
            and entry["source"].startswith("http")
        )
        assert re.match(r"(REQ|CRIT)-", entry["requirement"])
    code, out, _ = _run("explain", "tl002")
    assert code == 0 and out.startswith("TL002 ") and "Fix:" in out
    code, _, err = _run("explain", "NOPE1")
    assert code == 2 and "no rule 'NOPE1'" in err


def test_missing_file_is_exit_2() -> None:
    code, _, err = _run("check", "/nonexistent/report.md")
    assert code == 2 and "no such file or folder" in err
