"""The clocks of each example incident at fixed moments, and the status command."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from ca_incident.app.build import build
from ca_incident.app.check import CheckOptions, check_build
from ca_incident.cli import cli
from ca_incident.clocks import CLOCKS, KINDS, Clock, clocks
from ca_incident.errors import IncidentFileError
from ca_incident.incident_file import parse_incident
from ca_incident.model import Incident
from ca_incident.sources import MemoryFiles
from ca_incident.timeutil import iso_z, parse_timestamp
from ca_incident.whiteboard import next_update

from .helpers import AS_OF, EXAMPLES, REPO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[ca-compliance] [leaf-revocation-delay] Next update 2025-02-01", date(2025, 2, 1)),
        ("Next update 12-Oct-2023", date(2023, 10, 12)),
        ("Next update 1-Oct-2023", date(2023, 10, 1)),
        ("Next update 2023-Oct-11", date(2023, 10, 11)),
        ("Next update 9-9-2024", date(2024, 9, 9)),
        ("Next update at 12.9.2023", date(2023, 9, 12)),
        ("[ca-compliance] Lockdown - Next Update 2020-05-01", date(2020, 5, 1)),
        ("[ca-compliance] [ov-misissuance]", None),
    ],
)
def test_next_update_in_every_form_seen(text: str, expected: date | None) -> None:
    assert next_update([text]) == expected


def _at(text: str) -> datetime:
    return parse_timestamp(text)


def _incident(edit: Callable[[dict[str, Any]], None] | None = None) -> Incident:
    """The TLS example, changed by ``edit`` on its YAML data."""
    yaml = YAML()
    data = yaml.load((EXAMPLES / "tls-ou-misissuance" / "incident.yaml").read_text())
    if edit is not None:
        edit(data)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return parse_incident(buffer.getvalue(), "incident.yaml")


def _by_kind(found: list[Clock], kind: str) -> list[Clock]:
    return [c for c in found if c.kind == kind]


def test_every_kind_is_in_the_table_and_the_docs() -> None:
    assert KINDS == (
        "first-report",
        "full-report",
        "update",
        "question",
        "cpr-response",
        "revocation",
        "action-item",
        "closure-request",
    )
    docs = (REPO / "docs" / "clocks.md").read_text()
    for row in CLOCKS:
        assert f"`{row.kind}`" in docs and row.source in docs


def test_the_flagship_example_is_on_time() -> None:
    found = clocks(_incident(), AS_OF)
    assert [c for c in found if c.late or c.overdue] == []
    done = {c.kind for c in found if c.done is not None}
    assert {"first-report", "full-report", "cpr-response", "revocation", "action-item"} <= done


def test_full_report_clock_runs_at_stage_full_until_posted() -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["posted"]["full"]

    (full,) = _by_kind(clocks(_incident(edit), _at("2026-11-01T00:00Z")), "full-report")
    # 14 days after the Preliminary report, whatever the stage says.
    assert iso_z(full.due) == "2026-10-29T09:20:00Z" and full.overdue and full.done is None


def test_full_report_counts_from_a_third_partys_report() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["posted"]["third_party_report"] = "2026-10-14T12:00Z"

    (full,) = _by_kind(clocks(_incident(edit), AS_OF), "full-report")
    assert iso_z(full.due) == "2026-10-28T12:00:00Z"
    assert full.late and iso_z(full.done or AS_OF) == "2026-10-28T15:00:00Z"


def test_closure_stage_keeps_the_update_clock_until_the_summary_is_posted() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["stage"] = "closure"
        for item in data["action_items"]:
            item["status"] = "Complete"
            item["completed"] = "2026-11-19"
        data["closure"] = {
            "root_causes": "A profile copied from an old template.",
            "remediation": "Profiles are linted before approval.",
            "commitments": "None beyond the action items.",
        }

    open_update = [c for c in clocks(_incident(edit), AS_OF) if c.kind == "update" and c.open]
    assert open_update, "no update clock while the Closure Summary is not posted"
    request = _by_kind(clocks(_incident(edit), AS_OF), "closure-request")
    assert len(request) == 1 and request[0].open

    def posted(data: dict[str, Any]) -> None:
        edit(data)
        data["posted"]["closure"] = "2026-11-21T09:00Z"

    after = clocks(_incident(posted), AS_OF)
    assert [c for c in after if c.kind == "update" and c.open] == []
    assert _by_kind(after, "closure-request")[0].done is not None

    def asked(data: dict[str, Any]) -> None:
        posted(data)
        data["questions"] = [{"asked": "2026-11-22T10:00Z", "by": "a root program"}]

    reopened = clocks(_incident(asked), AS_OF)
    assert [c for c in reopened if c.kind == "update" and c.open], "a question reopens updates"


def test_revocation_delay_cadence_with_a_later_next_update() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["whiteboard"] = ["ca-compliance", "leaf-revocation-delay", "Next update 2026-12-15"]
        data["impact"]["analysis"] = "Three certificates could not be replaced in time."

    moment = _at("2026-11-25T00:00Z")
    found = [c for c in clocks(_incident(edit), moment) if c.kind == "update" and c.open]
    should = [c for c in found if not c.must]
    must = [c for c in found if c.must]
    # Last update 2026-11-20 10:00: SHOULD by 11-23, MUST by 11-27 (not the later Next update).
    assert [iso_z(c.due) for c in should] == ["2026-11-23T10:00:00Z"]
    assert [iso_z(c.due) for c in must] == ["2026-11-27T10:00:00Z"]
    assert should[0].overdue and not must[0].overdue


def test_an_action_item_completed_after_the_last_update() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["action_items"][1]["status"] = "Complete"
        data["action_items"][1]["completed"] = "2026-11-23"

    found = [c for c in clocks(_incident(edit), AS_OF) if c.what.startswith("update: action")]
    item2 = [c for c in found if "item 2" in c.what]
    assert len(item2) == 1 and item2[0].open and item2[0].overdue
    assert iso_z(item2[0].due) == "2026-11-26T23:59:59Z"


def test_a_late_first_report_already_posted_stays_late() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["posted"]["preliminary"] = "2026-10-20T13:47Z"  # 6 days after awareness

    (first,) = _by_kind(clocks(_incident(edit), AS_OF), "first-report")
    assert first.late and not first.overdue and first.done == _at("2026-10-20T13:47Z")


def test_a_problem_report_answered_at_27_hours() -> None:
    def edit(data: dict[str, Any]) -> None:
        for event in data["timeline"]:
            if event["kind"] == "preliminary-report-to-subscriber":
                event["at"] = "2026-10-15T17:10Z"

    (cpr,) = _by_kind(clocks(_incident(edit), AS_OF), "cpr-response")
    assert cpr.late and cpr.done == _at("2026-10-15T17:10Z") and cpr.source == "BR 4.9.5"


def test_a_problem_report_received_before_awareness_starts_the_revocation_clock() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["awareness"]["at"] = "2026-10-15T08:00Z"
        for event in data["timeline"]:
            if event["kind"] == "ca-aware":
                event["at"] = "2026-10-15T08:00Z"

    (revocation,) = _by_kind(clocks(_incident(edit), AS_OF), "revocation")
    # From receipt of the report (2026-10-14 13:47), not from awareness: 120 hours.
    assert iso_z(revocation.due) == "2026-10-19T13:47:00Z"


def test_an_unanswered_question() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["questions"] = [
            {"asked": "2026-11-02T08:15Z", "by": "a root program", "comment": 7},
            {
                "asked": "2026-11-03T08:15Z",
                "by": "a community member",
                "answered": "2026-11-12T09:00Z",
            },
        ]

    questions = _by_kind(clocks(_incident(edit), AS_OF), "question")
    assert [(q.open, q.overdue, q.late) for q in questions] == [
        (True, True, False),
        (False, False, True),
    ]
    assert "comment 7" in questions[0].what


def test_an_answer_before_the_question_is_an_input_error() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["questions"] = [
            {"asked": "2026-11-02T08:15Z", "by": "x", "answered": "2026-11-01T08:15Z"}
        ]

    with pytest.raises(IncidentFileError, match="before the question was asked"):
        _incident(edit)


def test_a_closed_incident_has_no_running_clocks() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["stage"] = "closed"
        data["closure"] = {"root_causes": "x", "remediation": "y", "commitments": "z"}
        for item in data["action_items"]:
            item["status"] = "Complete"
            item["completed"] = "2026-11-19"

    assert [c for c in clocks(_incident(edit), _at("2027-06-01T00:00Z")) if c.open] == []


def _late_folder(tmp_path: Path) -> Path:
    """The TLS example, late on purpose: a first report 6 days after awareness, and a
    problem report answered at 27 hours."""
    folder = tmp_path / "late"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder)
    shutil.rmtree(folder / "out", ignore_errors=True)
    text = (folder / "incident.yaml").read_text()
    text = text.replace("  preliminary: 2026-10-15T09:20Z", "  preliminary: 2026-10-20T13:47Z")
    text = text.replace(
        "  - at: 2026-10-15T11:30Z\n    kind: preliminary-report-to-subscriber",
        "  - at: 2026-10-15T17:10Z\n    kind: preliminary-report-to-subscriber",
    )
    (folder / "incident.yaml").write_text(text)
    shutil.copytree(EXAMPLES / "ca", tmp_path / "ca")
    return folder


def test_lateness_is_a_finding_of_build_and_check(tmp_path: Path) -> None:
    folder = _late_folder(tmp_path)
    runner = CliRunner()
    built = runner.invoke(cli, ["build", str(folder), "--as-of", "2026-11-27T12:00Z"])
    assert built.exit_code == 1, built.output
    lines = [line for line in built.stderr.splitlines() if " CLK" in line]
    assert [line.split()[1] for line in lines] == ["CLK005", "CLK001"] or sorted(
        line.split()[1] for line in lines
    ) == ["CLK001", "CLK005"]
    assert all(line.startswith(str(folder / "incident.yaml") + ":") for line in lines)
    first = next(line for line in lines if "CLK001" in line)
    assert "3 d 0 h 0 min late" in first
    checked = runner.invoke(cli, ["check", str(folder), "--as-of", "2026-11-27T12:00Z"])
    assert sorted(line.split()[1] for line in checked.stdout.splitlines() if " CLK" in line) == [
        "CLK001",
        "CLK005",
    ]
    ignored = runner.invoke(
        cli, ["check", str(folder), "--as-of", "2026-11-27T12:00Z", "--ignore", "CLK"]
    )
    assert " CLK" not in ignored.stdout


def test_the_clock_rules_pass_on_the_flagship_example() -> None:
    result = CliRunner().invoke(
        cli, ["check", str(EXAMPLES / "tls-ou-misissuance"), "--as-of", "2026-11-27T12:00Z"]
    )
    assert result.exit_code == 0 and " CLK" not in result.stdout


@pytest.mark.parametrize("code", ["CLK002", "CLK003", "CLK004", "CLK006"])
def test_each_other_clock_rule_fires(code: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        if code == "CLK002":
            data["posted"]["full"] = "2026-11-02T10:00Z"
        elif code == "CLK003":
            data["whiteboard"] = ["ca-compliance"]
            data["posted"]["updates"] = ["2026-11-06T10:00Z", "2026-11-20T10:00Z"]
        elif code == "CLK004":
            data["questions"] = [{"asked": "2026-11-02T08:15Z", "by": "a root program"}]
        else:
            for event in data["timeline"]:
                if event["kind"] == "revocation-completed":
                    event["at"] = "2026-10-20T21:30Z"

    incident = _incident(edit)
    # No step runs: the clocks come from the incident file alone (revocation from the
    # timeline, with no CRL read).
    result = build(incident, MemoryFiles({}), as_of=AS_OF, steps=())
    codes = {f.code for f in check_build(result, CheckOptions(as_of=AS_OF)).findings}
    assert code in codes


def test_status_json_lists_every_clock(tmp_path: Path) -> None:
    runner = CliRunner()
    calendar = tmp_path / "d.ics"
    result = runner.invoke(
        cli,
        ["status", str(EXAMPLES), "--as-of", "2026-11-27T12:00Z", "--json", "--ics", str(calendar)],
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    paths = [i["path"] for i in document["incidents"]]
    assert paths == [str(EXAMPLES / "crl-published-late"), str(EXAMPLES / "tls-ou-misissuance")]
    deadline = document["incidents"][1]["deadlines"][0]
    assert set(deadline) == {
        "kind",
        "what",
        "due",
        "done",
        "overdue",
        "late",
        "requirement",
        "source",
    }
    kinds = {d["kind"] for d in document["incidents"][1]["deadlines"]}
    assert {"first-report", "full-report", "cpr-response", "revocation", "update"} <= kinds
    met = [d for d in document["incidents"][1]["deadlines"] if d["done"]]
    assert met and all(d["done"].endswith("Z") and not d["overdue"] for d in met)
    ics = calendar.read_text()
    # Only running clocks go to the calendar: 2 of the Preliminary example, 3 of the TLS one.
    assert ics.count("BEGIN:VEVENT") == 5 and "DTSTART:20261128T063800Z" in ics
    late = runner.invoke(cli, ["status", str(EXAMPLES), "--as-of", "2026-12-20T00:00Z"])
    assert late.exit_code == 1 and "OVERDUE" in late.stdout


def test_one_broken_folder_among_valid_ones(tmp_path: Path) -> None:
    for name in ("a-valid", "c-valid"):
        shutil.copytree(EXAMPLES / "crl-published-late", tmp_path / name)
    broken = tmp_path / "b-broken"
    broken.mkdir()
    (broken / "incident.yaml").write_text("ca_owner: [unclosed\n")
    result = CliRunner().invoke(
        cli, ["status", str(tmp_path), "--as-of", "2026-11-27T12:00Z", "--json"]
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [bool(i["errors"]) for i in document["incidents"]] == [False, True, False]
    assert document["incidents"][1]["errors"][0].startswith(str(broken / "incident.yaml"))
    assert all(i["deadlines"] for i in document["incidents"] if not i["errors"])
    text = CliRunner().invoke(cli, ["status", str(tmp_path), "--as-of", "2026-11-27T12:00Z"])
    assert text.exit_code == 1 and "does not load" in text.stdout
    assert text.stdout.count("first report") == 2


def test_status_without_incidents_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["status", str(tmp_path)])
    assert result.exit_code == 2 and "no incident folder" in result.stderr
