"""The checker: data-driven cases in tests/reports (input beside expected findings), every
rule proven both ways, the real Bugzilla corpus, and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ca_incident.checks.attachments import Attachment, read_attachment
from ca_incident.checks.engine import STATED_CUT, check_input, check_text
from ca_incident.checks.registry import INCIDENT, RULES, Context, Finding, quoted
from ca_incident.checks.report import UNRECOGNISED, Report, cut_evidence, looks_truncated, parse
from ca_incident.cli import cli
from ca_incident.timeutil import parse_timestamp

from .helpers import AS_OF, EXAMPLES, REPO

CASES = Path(__file__).parent / "reports"
GOLDEN = Path(__file__).parent / "golden"
COMPANIONS = (".appendix.csv", ".crtsh.txt")
"""A report case's attachments, checked together with it: ``<case>.appendix.csv``."""
INPUTS = sorted(
    p
    for p in CASES.iterdir()
    if p.suffix in (".md", ".csv", ".txt")
    and p.name != "README.txt"
    and not p.name.endswith(COMPANIONS)
)


def companions(case: Path) -> tuple[Attachment, ...]:
    found = []
    for suffix in COMPANIONS:
        path = case.with_name(case.stem + suffix)
        if path.exists():
            kind = "csv" if suffix.endswith(".csv") else "crtsh"
            found.append(read_attachment(path.name, path.read_text(encoding="utf-8"), kind))
    return tuple(found)


def _context(case: Path) -> tuple[Context, bool | None]:
    options = (
        json.loads(case.with_suffix(".json").read_text())
        if case.with_suffix(".json").exists()
        else {}
    )
    as_of = parse_timestamp(options["as_of"]) if "as_of" in options else AS_OF
    posted = parse_timestamp(options["posted"]) if "posted" in options else as_of
    context = Context(
        as_of,
        posted,
        tuple(options.get("whiteboard", ())),
        third_party=bool(options.get("third_party")),
        attachments=companions(case),
    )
    return context, options.get("truncated")


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
    found = [f.code for f in check_text(path.read_text(), str(path), context)]
    assert found == []


def _long_report() -> str:
    text = (GOLDEN / "tls-ou-misissuance" / "irg-3.2-full.md").read_text()
    return text.replace("### Appendix\n", "### Appendix\n\n" + "x" * 70_000 + "\n")


def _reads_attachments(code: str) -> bool:
    """The consistency rules find nothing without an appendix: they pass only with one."""
    return RULES[code].check.__module__.endswith(".consistency")


def test_every_rule_is_tested_both_ways() -> None:
    fired: set[str] = set()
    passed: set[str] = set()
    inputs = [(case.name, case.read_text(), *_context(case)) for case in INPUTS]
    inputs += [(p.name, p.read_text(), context, None) for p, context in _golden_reports()]
    inputs.append(("long.md", _long_report(), Context(AS_OF, AS_OF), None))
    for name, text, context, truncated in inputs:
        checked = check_input(text, name, context, truncated=truncated)
        template = (checked.template or UNRECOGNISED) if checked.kind == "report" else checked.kind
        codes = {f.code for f in checked.findings}
        fired |= codes
        applicable = {
            code
            for code, rule in RULES.items()
            if template in rule.templates
            and checked.stage in rule.stages
            and (context.attachments or not _reads_attachments(code))
        }
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


def test_each_companion_checks_clean_on_its_own() -> None:
    """A case's appendix is there to be compared with the report, not for its own defects."""
    paths = [p for p in CASES.iterdir() if p.name.endswith(COMPANIONS)]
    assert paths
    for path in paths:
        assert check_text(path.read_text(), path.name, Context(AS_OF, AS_OF)) == [], path.name


def test_timeline_findings_point_at_their_entry() -> None:
    """Each timeline finding names the line of the entry it is about, not the one above."""
    case = CASES / "full-many-defects.md"
    lines = case.read_text().splitlines()
    timeline = [f for f in run_case(case) if f.code.startswith("TL")]
    assert len(timeline) >= 5
    for finding in timeline:
        assert lines[finding.line - 1].startswith("- 2025-03-1"), finding


def test_a_named_zone_with_its_offset_is_explicit() -> None:
    report = parse(
        "## Full Incident Report\n\n### Timeline\n\n"
        "- 2026-04-01 12:00 CEST (UTC+2): Profile deployed.\n"
        "- 2026-04-01 10:30 UTC: Report received.\n"
    )
    first, second = report.timeline
    assert first.stamp is not None and first.stamp.zone == "offset"
    assert first.window is not None and f"{first.window[0]:%H:%M}" == "10:00"
    assert second.window is not None and second.window[0] > first.window[0]


def test_a_named_zone_is_every_offset_it_can_be() -> None:
    """09:00 PT is 16:00 or 17:00 UTC: a later line at 16:30 UTC may or may not be out of
    order, one at 15:00 UTC is under either reading."""
    head = "## Full Incident Report\n\n### Timeline\n\n- 2025-03-19 09:00 PT: Fixed.\n"
    maybe = check_text(head + "- 2025-03-19 16:30 UTC: Revoked.\n", "r.md", Context(AS_OF))
    surely = check_text(head + "- 2025-03-19 15:00 UTC: Revoked.\n", "r.md", Context(AS_OF))
    assert "TL003" not in {f.code for f in maybe}
    assert [f.line for f in surely if f.code == "TL003"] == [6]


def test_labels_on_lines_of_one_paragraph_are_read_as_a_person_reads_them() -> None:
    report = parse(
        "### Preliminary Incident Report\n### Summary\n"
        "**Incident description:** Seven certificates.\n"
        "**Relevant requirements:** TLS BR v2.2.2, section 7.1.2.7\n"
        "**Source of incident disclosure: ** Third Party Reported\n"
    )
    source = report.field("Source of incident disclosure")
    policies = report.field("Relevant policies")
    description = report.field("Incident description")
    assert source is not None and source.value == "Third Party Reported" and source.unrendered
    assert policies is not None and policies.line == 4
    assert description is not None and description.value == "Seven certificates."


def test_truncation_needs_evidence() -> None:
    whole = "## Preliminary Incident Report\n\n### Summary\n- **Incident description:** "
    assert cut_evidence(whole + "See https://crt.sh/?id=16481040023") is None
    assert cut_evidence(whole + "A full incident report will follow") is None
    assert cut_evidence(whole + "Audit") is None
    assert cut_evidence(whole + "For each problem we found the first probl") == (
        "ends mid-word ('probl')"
    )
    assert cut_evidence(whole + "We stopped issuance and the") == ("ends mid-sentence, on 'the'")
    assert cut_evidence("| Action Item | Kind |\n|---|---|\n| Fix it | Prev") == (
        "ends mid-table-row"
    )
    assert cut_evidence(whole + "x\n- **Relevant policies:**") is not None
    assert cut_evidence(whole + "x\n- **Source of incid") == "ends inside bold text, mid-field"
    assert looks_truncated("## Preliminary Incident Report\n\n- **Incident description:** We iss")
    assert not looks_truncated("## Preliminary Incident Report\n\nDone.\n")


def test_a_cut_never_turns_errors_off_silently() -> None:
    """The old reader took a missing final newline for a cut and dropped FLD001: now such a
    report gets FLD001, and a text said to be cut gets GEN003 naming what it skipped."""
    text = (CASES / "preliminary-no-final-newline.md").read_text()
    assert not text.endswith("\n")
    context = Context(parse_timestamp("2025-04-03T00:00Z"))
    assert [f.code for f in check_text(text, "r.md", context)] == ["FLD001"]
    stated = check_text(text, "r.md", context, truncated=True)
    cut = [f for f in stated if f.code == "GEN003"]
    assert len(cut) == 1 and STATED_CUT in cut[0].message and "FLD001" in cut[0].message
    whole = check_text(text + " and the", "r.md", context, truncated=False)
    assert "GEN003" not in {f.code for f in whole}


def test_quotes_are_cut_at_a_word_and_never_inside_a_url() -> None:
    text = "Third-party report via Bugzilla (https://bugzilla.mozilla.org/show_bug.cgi?id=2004699)"
    shown = quoted(text)
    assert shown == "'Third-party report via Bugzilla\u2026'"
    url = "https://bugzilla.mozilla.org/show_bug.cgi?id=2004699 and more words after it"
    assert quoted(url).startswith("'https://bugzilla.mozilla.org/show_bug.cgi?id=2004699")
    assert quoted("short") == "'short'"
    for finding in run_case(CASES / "full-reviewer-misses.md"):
        for inside in re.findall(r"'([^']*)\u2026'", finding.message):
            assert not inside.endswith(("http", "https:", "/")), finding.message


# CLI


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_cli_text_says_what_it_saw_and_sums_up() -> None:
    code, out, err = _run(
        "check",
        str(CASES / "full-out-of-order.md"),
        str(CASES / "not-a-report.md"),
        str(CASES / "irg20-preliminary.md"),
        "--posted",
        "2025-05-20",
        "--as-of",
        "2025-05-20",
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{CASES / 'full-out-of-order.md'}: IRG 3.2 Full (irg-3.2-full)"
    assert re.fullmatch(
        r".+full-out-of-order\.md:\d+:\d+: [A-Z]+\d{3} (error|warning|info) .+", lines[1]
    )
    assert f"{CASES / 'not-a-report.md'}: not recognised as an incident report" in lines
    assert f"{CASES / 'irg20-preliminary.md'}: IRG 2.0, preliminary (irg-2.0)" in lines
    assert err.strip().splitlines()[-1] == "3 files checked: 4 errors, 0 warnings"


def test_cli_json_is_files_and_findings() -> None:
    golden = GOLDEN / "tls-ou-misissuance" / "irg-3.2-full.md"
    code, out, _ = _run("check", str(golden), "--format", "json", "--as-of", "2026-11-27")
    assert code == 0
    assert json.loads(out) == {
        "files": [
            {
                "path": str(golden),
                "kind": "report",
                "template": "irg-3.2-full",
                "stage": "full",
                "findings": [],
            }
        ],
        "findings": [],
    }
    code, out, _ = _run(
        "check",
        str(CASES / "full-counts-disagree.md"),
        str(CASES / "full-counts-disagree.appendix.csv"),
        str(CASES / "not-a-report.md"),
        "--format",
        "json",
        "--as-of",
        "2026-11-27",
    )
    assert code == 1
    document = json.loads(out)
    kinds = [(f["kind"], f["template"], f["stage"]) for f in document["files"]]
    assert kinds == [
        ("report", "irg-3.2-full", "full"),
        ("appendix", None, None),
        ("report", None, None),
    ]
    flat = document["findings"]
    assert flat == [f for entry in document["files"] for f in entry["findings"]]
    assert {"CON001", "IMP004", "TPL001"} <= {f["code"] for f in flat}
    assert {"path", "line", "column", "code", "severity", "message"} <= set(flat[0])


def test_cli_reads_a_report_with_the_appendix_given_beside_it() -> None:
    report = str(CASES / "full-counts-disagree.md")
    _, alone, _ = _run("check", report, "--format", "json")
    _, together, _ = _run(
        "check", report, str(CASES / "full-counts-disagree.appendix.csv"), "--format", "json"
    )
    assert "CON001" not in {f["code"] for f in json.loads(alone)["findings"]}
    assert "CON001" in {f["code"] for f in json.loads(together)["findings"]}


def test_cli_dates_are_midnight_utc() -> None:
    text = (CASES / "full-many-defects.md").read_text()
    day = _run("check", "-", "--format", "json", "--as-of", "2025-04-02", stdin=text)
    moment = _run("check", "-", "--format", "json", "--as-of", "2025-04-02T00:00Z", stdin=text)
    earlier = _run("check", "-", "--format", "json", "--as-of", "2025-04-01T23:59Z", stdin=text)
    assert day[1] == moment[1] != earlier[1]  # the item due 2025-04-01 is overdue from 04-02
    code, _, err = _run("check", "-", "--as-of", "2025-04-02T10:00", stdin=text)
    assert code == 2 and "no time zone" in err
    _, help_text, _ = _run("check", "--help")
    assert "00:00 UTC" in help_text


def test_cli_truncated_and_third_party() -> None:
    text = (CASES / "preliminary-no-final-newline.md").read_text()
    code, out, _ = _run("check", "-", "--as-of", "2025-04-03", stdin=text)
    assert code == 1 and "FLD001" in out
    code, out, _ = _run("check", "-", "--as-of", "2025-04-03", "--truncated", stdin=text)
    assert re.search(r"GEN003 warning the text is cut short \(as stated\).*FLD001", out)
    third = (CASES / "preliminary-third-party.md").read_text()
    code, out, _ = _run("check", "-", "--as-of", "2026-10-14", stdin=third)
    assert code == 1 and "FLD001" in out
    code, out, _ = _run("check", "-", "--as-of", "2026-10-14", "--third-party", stdin=third)
    assert code == 0 and "FLD001" not in out


def test_cli_select_and_ignore() -> None:
    path = str(CASES / "full-many-defects.md")
    _, out, _ = _run("check", path, "--format", "json", "--select", "TL")
    assert {f["code"][:2] for f in json.loads(out)["findings"]} == {"TL"}
    _, out, _ = _run("check", path, "--format", "json", "--ignore", "TL,AI")
    assert not {f["code"][:2] for f in json.loads(out)["findings"]} & {"TL", "AI"}
    code, _, err = _run("check", path, "--select", "XYZ")
    assert code == 2 and "no rule code starts with 'XYZ'" in err


def test_cli_template_option_takes_read_only_templates() -> None:
    code, out, _ = _run(
        "check",
        str(CASES / "irg20-audit.md"),
        "--template",
        "IRG-2.0-audit",
        "--posted",
        "2024-06-01",
        "--as-of",
        "2024-06-01",
    )
    assert code == 0 and out.splitlines()[0].endswith("IRG 2.0 Audit (irg-2.0-audit)")


def test_cli_sarif_carries_the_template() -> None:
    _, out, _ = _run("check", str(CASES / "full-many-defects.md"), "--format", "sarif")
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "ca-incident"
    assert run["properties"]["template"] == "irg-3.2-full"
    assert run["properties"]["files"][0]["stage"] == "full"
    assert run["artifacts"][0]["properties"]["template"] == "irg-3.2-full"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1


def test_cli_checks_an_incident_folder_and_stdin() -> None:
    code, out, err = _run(
        "check", str(EXAMPLES / "tls-ou-misissuance"), "--as-of", "2026-11-27T12:00Z"
    )
    folder = EXAMPLES / "tls-ou-misissuance"
    assert code == 0
    assert out.splitlines() == [
        f"{folder / 'incident.yaml'}: incident file, stage full",
        f"{folder / 'out' / 'appendix.csv'}: CSV appendix",
        f"{folder / 'out' / 'crtsh-ou-in-subject.txt'}: crt.sh list",
        f"{folder / 'out' / 'report.md'}: IRG 3.2 Full (irg-3.2-full)",
    ]
    assert err.strip() == "4 files checked: 0 errors, 0 warnings"
    text = (CASES / "full-out-of-order.md").read_text()
    code, out, _ = _run("check", "-", "--posted", "2025-05-20T00:00Z", stdin=text)
    assert code == 1 and out.startswith("-: IRG 3.2 Full") and "\n-:14:1: TPL001" in out


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


def test_pre_commit_hooks_run_the_checker() -> None:
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"ca-incident-check", "ca-incident-check-reports"}
    folder_hook = by_id["ca-incident-check"]
    assert re.search(folder_hook["files"], "incidents/2026-ou/incident.yaml")
    assert not re.search(folder_hook["files"], "incidents/2026-ou/notes.md")
    assert re.search(by_id["ca-incident-check-reports"]["files"], "reports/2026-ou/report.md")
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is True
        assert hook["entry"].split()[:2] == ["ca-incident", "check"]
    entry = folder_hook["entry"].split()[2:]
    code, out, _ = _run(
        "check",
        *entry,
        str(EXAMPLES / "tls-ou-misissuance" / "incident.yaml"),
        "--as-of",
        "2026-11-27",
    )
    assert code == 0 and "IRG 3.2 Full (irg-3.2-full)" in out
