"""The clocks of each example incident at fixed moments, and the status command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ca_incident.cli import cli
from ca_incident.clocks import clocks
from ca_incident.incident_file import load_incident
from ca_incident.timeutil import iso_z, parse_timestamp
from ca_incident.whiteboard import next_update

from .helpers import EXAMPLES


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


CASES = {
    ("crl-published-late", "2026-11-27T12:00Z"): [
        ("first report (72 hours after awareness)", "2026-11-28T06:38:00Z", False),
        ("Full report (14 days after the first disclosure)", "2026-12-12T06:38:00Z", False),
    ],
    ("crl-published-late", "2026-11-29T00:00Z"): [
        ("first report (72 hours after awareness)", "2026-11-28T06:38:00Z", True),
        ("Full report (14 days after the first disclosure)", "2026-12-12T06:38:00Z", False),
    ],
    ("tls-ou-misissuance", "2026-11-27T12:00Z"): [
        ("update (whiteboard Next update)", "2026-12-15T23:59:59Z", False),
        (
            "action item 2 due (Update pre-issuance linting to the current release)",
            "2026-12-15T23:59:59Z",
            False,
        ),
        (
            "action item 3 due (Lint all unexpired certificates daily with the cur)",
            "2027-01-31T23:59:59Z",
            False,
        ),
    ],
    ("tls-ou-misissuance", "2026-12-16T00:00Z"): [
        ("update (whiteboard Next update)", "2026-12-15T23:59:59Z", True),
        (
            "action item 2 due (Update pre-issuance linting to the current release)",
            "2026-12-15T23:59:59Z",
            True,
        ),
        (
            "action item 3 due (Lint all unexpired certificates daily with the cur)",
            "2027-01-31T23:59:59Z",
            False,
        ),
    ],
}


@pytest.mark.parametrize(("example", "as_of"), list(CASES))
def test_example_clocks(example: str, as_of: str) -> None:
    found = clocks(load_incident(EXAMPLES / example), parse_timestamp(as_of))
    assert [(c.what, iso_z(c.due), c.overdue) for c in found] == CASES[(example, as_of)]


def test_revocation_clock_until_revocation_completes(tmp_path: Path) -> None:
    text = (EXAMPLES / "tls-ou-misissuance" / "incident.yaml").read_text()
    text = text.replace("    kind: revocation-completed\n", "    kind: other\n")
    (tmp_path / "incident.yaml").write_text(text)
    found = {
        c.what: c for c in clocks(load_incident(tmp_path), parse_timestamp("2026-10-20T00:00Z"))
    }
    clock = found["revocation (TLS BR 4.9.1.1 #12)"]
    assert iso_z(clock.due) == "2026-10-19T13:47:00Z" and clock.overdue


def test_status_json_ics_and_exit_codes(tmp_path: Path) -> None:
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
    assert set(document["incidents"][0]["deadlines"][0]) == {
        "kind",
        "what",
        "due",
        "overdue",
        "source",
    }
    ics = calendar.read_text()
    assert ics.count("BEGIN:VEVENT") == 5 and "DTSTART:20261128T063800Z" in ics
    late = runner.invoke(cli, ["status", str(EXAMPLES), "--as-of", "2026-12-20T00:00Z"])
    assert late.exit_code == 1 and "OVERDUE" in late.stdout


def test_status_without_incidents_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["status", str(tmp_path)])
    assert result.exit_code == 2 and "no incident folder" in result.stderr
