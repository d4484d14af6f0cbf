"""Files: outputs written whole, never through a link, only where they belong; inputs an
incident names stay inside its folder; nothing but certificates reaches the outputs; ``lint
--out`` neither reads its own outputs nor keeps stale ones."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ca_incident.app.build import build_folder
from ca_incident.app.lint import lint
from ca_incident.cli import cli
from ca_incident.errors import CaIncidentError
from ca_incident.outputs import (
    TEMPORARY_PREFIX,
    OutputError,
    atomic_open,
    write_bytes,
    write_text,
)
from ca_incident.sources import FolderFiles, OutsideFolderError, outside_allowed

from .helpers import AS_OF, EXAMPLES

AS_OF_TEXT = "2026-11-27T12:00Z"
SECRET = "password=hunter2 do-not-post-this"


@pytest.fixture
def incident(tmp_path: Path) -> Path:
    """A copy of the TLS example, with the CA certificates beside it as in examples/."""
    folder = tmp_path / "work" / "incident"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder, ignore=shutil.ignore_patterns("out"))
    shutil.copytree(EXAMPLES / "ca", tmp_path / "work" / "ca")
    return folder


def _set_certificates(folder: Path, name: str) -> None:
    path = folder / "incident.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "lint/cabf.serverauth.ov.organizational_unit_name_attribute_present.pem", name
    )
    path.write_text(text, encoding="utf-8")


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]


# outputs.py


def test_write_text_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    write_bytes(tmp_path / "a.ics", b"BEGIN:VCALENDAR\r\n")
    assert (tmp_path / "a.ics").read_bytes() == b"BEGIN:VCALENDAR\r\n"
    assert _leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("stopped")
    assert target.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path) == []


def test_an_interrupt_keeps_what_was_written_only_when_asked(tmp_path: Path) -> None:
    kept, dropped = tmp_path / "kept.csv", tmp_path / "dropped.csv"
    for path, keep in ((kept, True), (dropped, False)):
        with pytest.raises(KeyboardInterrupt), atomic_open(path, keep_on_interrupt=keep) as out:
            out.write("row\n")
            raise KeyboardInterrupt
    assert kept.read_text(encoding="utf-8") == "row\n"
    assert not dropped.exists()
    assert _leftovers(tmp_path) == []


def test_outputs_are_created_with_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_never_through_a_symbolic_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious", encoding="utf-8")
    link = tmp_path / "report.md"
    link.symlink_to(outside)
    with pytest.raises(OutputError, match="symbolic link"):
        write_text(link, "overwritten")
    assert outside.read_text(encoding="utf-8") == "precious"
    assert link.is_symlink()


def test_a_folder_that_resolves_outside_is_refused(tmp_path: Path) -> None:
    incident = tmp_path / "incident"
    incident.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (incident / "out").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="outside"):
        write_text(incident / "out" / "report.md", "x", within=incident)
    assert list(elsewhere.iterdir()) == []
    write_text(incident / "report.md", "x", within=incident)


def test_missing_or_wrong_folders_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no such folder"):
        write_text(tmp_path / "missing" / "report.md", "x")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="not a folder"):
        write_text(tmp_path / "file" / "sub", "x")
    with pytest.raises(OutputError, match="a folder"):
        write_text(tmp_path, "x")


# build


def test_symlink_at_out_report_is_not_followed(incident: Path, tmp_path: Path) -> None:
    """The reproducer: a link at out/report.md to a file outside the incident folder."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (incident / "out").mkdir()
    (incident / "out" / "report.md").symlink_to(victim)
    result = CliRunner().invoke(cli, ["build", str(incident), "--as-of", AS_OF_TEXT])
    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious"


def test_out_folder_linked_outside_is_refused_unless_allowed(
    incident: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (incident / "out").symlink_to(elsewhere)
    runner = CliRunner()
    refused = runner.invoke(cli, ["build", str(incident), "--as-of", AS_OF_TEXT])
    assert refused.exit_code == 2 and "outside" in refused.stderr
    assert list(elsewhere.iterdir()) == []
    allowed = runner.invoke(cli, ["build", str(incident), "--as-of", AS_OF_TEXT, "--allow-outside"])
    assert allowed.exit_code == 0, allowed.output
    assert (elsewhere / "report.md").exists()


def test_build_writes_atomically_into_a_given_out(incident: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "out"
    built = build_folder(incident, out, as_of=AS_OF)
    assert {p.name for p in built.written} == {
        "appendix.csv",
        "crtsh-ou-in-subject.txt",
        "evidence.json",
        "report.md",
    }
    assert built.written[-1].name == "report.md"
    assert _leftovers(out) == []


def test_certificates_outside_the_folder_are_refused(incident: Path, tmp_path: Path) -> None:
    """The reproducer: ``certificates: [../secrets.txt]``."""
    (incident.parent / "secrets.txt").write_text(f"{SECRET}\n" * 3, encoding="utf-8")
    _set_certificates(incident, "../secrets.txt")
    result = CliRunner().invoke(cli, ["build", str(incident), "--as-of", AS_OF_TEXT])
    assert result.exit_code == 2
    assert "outside the incident folder" in result.stderr and "--allow-outside" in result.stderr
    assert not (incident / "out").exists()
    assert SECRET not in result.output


def _hashes_with_secrets(folder: Path) -> str:
    """A list of certificate hashes (the SHA-256 of the example's certificates) with lines
    that must never be posted among them."""
    der = x509.load_pem_x509_certificate(next((folder / "certs").iterdir()).read_bytes())
    sha = hashlib.sha256(der.public_bytes(serialization.Encoding.DER)).hexdigest()
    return f"{SECRET}\n{sha}\n{SECRET} again\n"


def test_allowed_outside_still_copies_nothing_but_certificates(incident: Path) -> None:
    """With --allow-outside the file is read, and evidence.json names file, line and reason
    without a character of what the line holds."""
    secrets = incident.parent / "secrets.txt"
    secrets.write_text(_hashes_with_secrets(incident), encoding="utf-8")
    _set_certificates(incident, "../secrets.txt")
    result = CliRunner().invoke(
        cli, ["build", str(incident), "--as-of", AS_OF_TEXT, "--allow-outside"]
    )
    assert result.exit_code in (0, 1), result.output
    assert "hunter2" not in result.output
    out = incident / "out"
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "hunter2" not in text and "password" not in text, path.name
    errors = json.loads((out / "evidence.json").read_text(encoding="utf-8"))["errors"]
    assert [e["error"].split(":")[0] for e in errors] == ["line 1", "line 3"]


def test_a_named_file_of_secrets_is_an_error_that_quotes_nothing(incident: Path) -> None:
    (incident.parent / "secrets.txt").write_text(f"{SECRET}\n" * 3, encoding="utf-8")
    _set_certificates(incident, "../secrets.txt")
    result = CliRunner().invoke(
        cli, ["build", str(incident), "--as-of", AS_OF_TEXT, "--allow-outside"]
    )
    assert result.exit_code == 2 and "hunter2" not in result.output
    assert not (incident / "out").exists()


def test_non_certificates_inside_the_folder_are_not_copied(incident: Path) -> None:
    (incident / "mixed").mkdir()
    (incident / "mixed" / "notes.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (incident / "mixed" / "hashes.txt").write_text(_hashes_with_secrets(incident), encoding="utf-8")
    _set_certificates(incident, "mixed")
    build_folder(incident, as_of=AS_OF)
    evidence = (incident / "out" / "evidence.json").read_text(encoding="utf-8")
    assert "hunter2" not in evidence
    errors = json.loads(evidence)["errors"]
    assert {Path(e["source"]).name for e in errors} == {"hashes.txt", "notes.txt"}
    assert all(e["error"].startswith(("line ", "holds nothing")) for e in errors)


@pytest.mark.parametrize("how", ["absolute", "link", "link-in-folder"])
def test_other_ways_out_of_the_folder_are_refused(incident: Path, tmp_path: Path, how: str) -> None:
    secret = tmp_path / "secrets.txt"
    secret.write_text(SECRET, encoding="utf-8")
    if how == "absolute":
        name = str(secret)
    elif how == "link":
        (incident / "innocent.pem").symlink_to(secret)
        name = "innocent.pem"
    else:
        (incident / "certs" / "more.pem").symlink_to(secret)
        name = "certs"
    _set_certificates(incident, name)
    with pytest.raises(OutsideFolderError, match="outside the incident folder"):
        build_folder(incident, as_of=AS_OF)


def test_crls_and_issuers_may_be_shared_between_incidents(incident: Path) -> None:
    """The example's issuer is ../ca/...: public, verified against, never copied."""
    files = FolderFiles.for_incident(
        incident, certificates=["certs"], verification=["../ca/ov-tls-issuing-ca-g2.pem"]
    )
    assert files("../ca/ov-tls-issuing-ca-g2.pem")
    # A name that is also a certificate input gets no exemption.
    both = FolderFiles.for_incident(
        incident, certificates=["../secrets.txt"], verification=["../secrets.txt"]
    )
    with pytest.raises(OutsideFolderError):
        both("../secrets.txt")


def test_outside_allowed_for_jobs_that_read_a_folder_themselves(incident: Path) -> None:
    files = FolderFiles(incident)
    with pytest.raises(OutsideFolderError):
        files("../ca")
    with outside_allowed():
        assert files("../ca")
    with pytest.raises(OutsideFolderError):
        files("../ca")


def test_check_and_render_take_allow_outside(incident: Path, tmp_path: Path) -> None:
    shutil.copy(incident / "certs" / sorted(os.listdir(incident / "certs"))[0], tmp_path)
    _set_certificates(incident, "../../" + sorted(os.listdir(incident / "certs"))[0])
    runner = CliRunner()
    for command in (["check", str(incident)], ["render", str(incident), "-t", "irg-2.0"]):
        refused = runner.invoke(cli, [*command, "--as-of", AS_OF_TEXT])
        assert refused.exit_code == 2, (command, refused.output)
        assert "--allow-outside" in refused.stderr
        allowed = runner.invoke(cli, [*command, "--as-of", AS_OF_TEXT, "--allow-outside"])
        assert allowed.exit_code in (0, 1), (command, allowed.output)


# The CLI's own -o, --crtsh and --ics


def test_cli_outputs_refuse_links_and_name_missing_folders(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(victim)
    certs = str(EXAMPLES / "tls-ou-misissuance" / "certs")
    incident = str(EXAMPLES / "tls-ou-misissuance")
    runner = CliRunner()
    commands = [
        ["render", incident, "-t", "irg-2.0", "--as-of", AS_OF_TEXT, "-o", str(link)],
        ["certs", "appendix", certs, "-o", str(link)],
        ["certs", "appendix", certs, "--crtsh", str(link)],
        ["status", incident, "--as-of", AS_OF_TEXT, "--ics", str(link)],
    ]
    for command in commands:
        result = runner.invoke(cli, command)
        assert result.exit_code == 2, (command, result.output)
        assert "symbolic link" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious"
    missing = runner.invoke(cli, ["certs", "appendix", certs, "-o", str(tmp_path / "no" / "a")])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr


def test_cli_outputs_are_written(tmp_path: Path) -> None:
    incident = str(EXAMPLES / "tls-ou-misissuance")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["status", incident, "--as-of", AS_OF_TEXT, "--ics", str(tmp_path / "d.ics")]
    )
    assert (tmp_path / "d.ics").read_bytes().startswith(b"BEGIN:VCALENDAR"), result.output
    result = runner.invoke(
        cli,
        ["render", incident, "-t", "irg-2.0", "--as-of", AS_OF_TEXT, "-o", str(tmp_path / "r.md")],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("#")
    assert _leftovers(tmp_path) == []


# lint --out


def _lint_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "incident"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance" / "certs", folder / "certs")
    return folder


def test_lint_out_inside_its_input_reads_only_the_certificates(tmp_path: Path) -> None:
    """The reproducer: `lint D --out D/lint` run twice reads its own outputs the second time
    (12 distinct certificates, 33 linted)."""
    folder = _lint_folder(tmp_path)
    first = lint([folder], out=folder / "lint")
    second = lint([folder], out=folder / "lint")
    assert first.certificates_linted == second.certificates_linted == 12
    assert second.undecodable == []
    assert {p.name for p in second.written} == {p.name for p in first.written}
    assert _leftovers(folder / "lint") == []


def test_lint_out_clears_files_of_codes_no_longer_found(tmp_path: Path) -> None:
    folder = _lint_folder(tmp_path)
    out = folder / "lint"
    lint([folder], out=out)
    codes = {p.name for p in out.glob("*.pem")}
    assert len(codes) == 2
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    narrowed = lint([folder], out=out, select=["cabf.serverauth.ov.organizational"])
    assert {p.name for p in out.glob("*.pem")} == {
        "cabf.serverauth.ov.organizational_unit_name_attribute_present.pem"
    }
    assert set(narrowed.problems) == {
        "cabf.serverauth.ov.organizational_unit_name_attribute_present"
    }
    # What lint did not write is left alone.
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_lint_refuses_its_output_folder_or_outputs_as_input(tmp_path: Path) -> None:
    folder = _lint_folder(tmp_path)
    out = folder / "lint"
    lint([folder], out=out)
    pem = next(out.glob("*.pem"))
    for inputs in ([out], [pem]):
        with pytest.raises(CaIncidentError, match="another --out folder"):
            lint(inputs, out=out)
    assert pem.exists()


def test_lint_out_never_follows_a_link(tmp_path: Path) -> None:
    folder = _lint_folder(tmp_path)
    out = folder / "lint"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (out / "findings.csv").symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        lint([folder / "certs"], out=out)
    assert victim.read_text(encoding="utf-8") == "precious"
