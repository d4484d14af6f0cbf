"""Limits, not crashes: inputs that once raised a traceback now give a clear error naming the
file and position, and text fields keep the text as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ca_incident.checks.engine import check_text
from ca_incident.checks.registry import Context
from ca_incident.cli import cli
from ca_incident.errors import IncidentFileError
from ca_incident.incident_file import parse_incident
from ca_incident.timeutil import read_stamp

from .helpers import AS_OF, EXAMPLES

TLS_TEXT = (EXAMPLES / "tls-ou-misissuance" / "incident.yaml").read_text()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00+05:00", "9999-12-31T23:00-05:00"])
def test_a_timestamp_at_the_ends_of_the_calendar_is_an_input_error(moment: str) -> None:
    with pytest.raises(IncidentFileError, match="outside the years 1950 to 2199") as caught:
        parse_incident(TLS_TEXT.replace("2026-10-14T13:47Z", moment, 1), "incident.yaml")
    assert "incident.yaml:" in str(caught.value)
    result = CliRunner().invoke(cli, ["deadline", "--aware", moment, "--reason", "12"])
    assert result.exit_code == 2 and "outside the years" in result.stderr


def test_a_report_line_at_the_end_of_the_calendar_keeps_the_rules_running() -> None:
    assert read_stamp("9999-12-31 23:59 -05:00") is not None
    golden = Path(__file__).parent / "golden" / "tls-ou-misissuance" / "irg-3.2-full.md"
    text = golden.read_text().replace(
        "### Timeline\n",
        "### Timeline\n\n- 9999-12-31 23:59 -05:00: far away\n"
        "- 0001-01-01 00:00 +05:00: long ago\n",
        1,
    )
    codes = [f.code for f in check_text(text, "report.md", Context(AS_OF, AS_OF))]
    assert "INT001" not in codes and "TL004" in codes  # the rules ran on those lines


def test_deep_nesting_is_an_input_error() -> None:
    with pytest.raises(IncidentFileError, match="nested too deeply"):
        parse_incident("x: " + "[" * 3000 + "]" * 3000, "incident.yaml")


@pytest.mark.parametrize("written", ["0x1F", "0o17", "017", "1_000"])
def test_a_text_field_keeps_the_text_as_written(written: str) -> None:
    text = TLS_TEXT.replace(
        "title: OV TLS certificates issued with organizationalUnitName", f"title: {written}"
    )
    assert parse_incident(text, "incident.yaml").title == written


def test_an_integer_field_still_reads_integers() -> None:
    incident = parse_incident(TLS_TEXT, "incident.yaml")
    assert incident.bug == 1999001 and incident.revocation and incident.revocation.reason == 12
    with pytest.raises(IncidentFileError, match="bug"):
        parse_incident(TLS_TEXT.replace("bug: 1999001", "bug: 0x1F"), "incident.yaml")


def test_crls_naming_a_folder_is_an_input_error(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "tls"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder)
    shutil.copytree(EXAMPLES / "ca", tmp_path / "ca")
    text = (folder / "incident.yaml").read_text()
    (folder / "incident.yaml").write_text(
        text.replace("crls: [crl/ovtlsg2-2026-10-19.crl]", "crls: [crl]")
    )
    result = CliRunner().invoke(cli, ["build", str(folder), "--as-of", "2026-11-27T12:00Z"])
    assert result.exit_code == 2 and "a folder, expected a file" in result.stderr
    assert "Traceback" not in result.output
