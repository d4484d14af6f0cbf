"""What reaches the terminal: user and certificate text comes out literally, never as Rich
markup, emoji codes or live escape sequences; standard input is read once and as UTF-8."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from ca_incident.cli import cli, safe, visible

from .helpers import EXAMPLES

HOSTILE_TITLE = r"Cert [/G2] [bold]x[/bold] [ov-misissuance] :smile: [link=http://e] back\\"
AS_OF = "2026-11-27T12:00Z"


def _incident(tmp_path: Path, title: str) -> Path:
    folder = tmp_path / "crl"
    shutil.copytree(EXAMPLES / "crl-published-late", folder)
    text = (folder / "incident.yaml").read_text()
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    (folder / "incident.yaml").write_text(text.replace(title_line, f"title: '{title}'"))
    return folder


def test_markup_and_emoji_codes_come_out_literally(tmp_path: Path) -> None:
    folder = _incident(tmp_path, HOSTILE_TITLE)
    expected = HOSTILE_TITLE.replace("\\\\", "\\")  # YAML single quotes keep both; one shown
    runner = CliRunner()
    built = runner.invoke(cli, ["build", str(folder), "--as-of", AS_OF])
    assert built.exit_code == 0, built.output
    status = runner.invoke(cli, ["status", str(folder), "--as-of", AS_OF])
    for output in (built.stdout, status.stdout):
        assert expected in output, output
        assert "\U0001f604" not in output  # :smile: stays text


def test_a_control_character_in_a_title_is_refused_and_shown(tmp_path: Path) -> None:
    folder = _incident(tmp_path, "red \\x1b[31m title")
    text = (
        (folder / "incident.yaml")
        .read_text()
        .replace("title: 'red \\x1b[31m title'", 'title: "red \\x1b[31m title"')
    )
    (folder / "incident.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["build", str(folder), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert "U+001B" in result.stderr and "\x1b" not in result.stderr


def test_escape_bytes_in_names_are_shown_not_acted_on(tmp_path: Path) -> None:
    source = EXAMPLES / "tls-ou-misissuance" / "certs"
    hostile = tmp_path / "esc\x1b[31mRED\x1b]8;;http://evil\x07[bold]"
    shutil.copytree(source, hostile)
    (hostile / "notes.txt").write_text("not a certificate\n")  # an error line names the path
    result = CliRunner().invoke(
        cli, ["certs", "summarize", str(hostile), "--list", "--as-of", AS_OF]
    )
    assert result.exit_code == 2, result.output  # notes.txt is not a certificate
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[31mRED" in result.output and "[bold]" in result.output
    # Whole SHA-256 hashes, however narrow the terminal.
    assert len(re.findall(r"\b[0-9a-f]{64}\b", result.output)) == 12


def test_check_output_never_carries_escape_bytes(tmp_path: Path) -> None:
    folder = _incident(tmp_path, "plain")
    hostile = tmp_path / "inc\x1b[31mRED"
    folder.rename(hostile)
    result = CliRunner().invoke(cli, ["check", str(hostile), "--as-of", AS_OF])
    assert "\x1b" not in result.output and "\\x1b[31mRED" in result.output


def test_safe_and_visible() -> None:
    assert visible("a\x1bb\tc\nd\u202e") == "a\\x1bb\tc\nd\\x202e"
    assert safe("trailing\\") == "trailing\\\\[dim][/dim]"
    assert safe("[bold]") == "\\[bold]"


def test_standard_input_is_read_once(tmp_path: Path) -> None:
    pem = (EXAMPLES / "tls-ou-misissuance" / "certs").glob("*.pem")
    data = "".join(p.read_text() for p in pem)
    runner = CliRunner()
    for command in (["certs", "summarize", "-", "-"], ["check", "-", "-"]):
        result = runner.invoke(cli, command, input=data)
        assert result.exit_code == 2 and "can be given once" in result.output


def test_check_of_standard_input_must_be_utf8() -> None:
    result = CliRunner().invoke(cli, ["check", "-"], input=b"## Full Incident Report\n\xff\xfe\n")
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


def test_new_refuses_a_line_break_in_a_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["new", str(tmp_path / "n2\nbug: 5"), "--ca", "CA", "--title", "T"]
    )
    assert result.exit_code == 2 and "line break" in result.stderr
    assert not list(tmp_path.iterdir())


def test_lint_counts_a_certificate_given_twice_once(tmp_path: Path) -> None:
    certs = str(EXAMPLES / "tls-ou-misissuance" / "certs")
    result = CliRunner().invoke(cli, ["lint", certs, certs, "--json"])
    assert '"certificates_linted": 12' in result.stdout and '"duplicates": 12' in result.stdout


def test_check_bug_without_a_number_is_a_usage_error() -> None:
    for argument in ("bug:abc", "bug:", "bug:-1"):
        result = CliRunner().invoke(cli, ["check", argument])
        assert result.exit_code == 2 and "needs a bug number" in result.output, argument
