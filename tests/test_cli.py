"""The CLI through Click's runner: exit codes, messages, no tracebacks for user mistakes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ca_incident.cli import cli
from ca_incident.errors import IncidentFileError
from ca_incident.templates import TEMPLATES

from .helpers import EXAMPLES

TLS = EXAMPLES / "tls-ou-misissuance"
CRL = EXAMPLES / "crl-published-late"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_build_writes_the_stage_report(tmp_path: Path) -> None:
    code, out, err = run("build", str(TLS), "--out", str(tmp_path), "--as-of", "2026-11-27T12:00Z")
    assert code == 0, err
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("## Full Incident Report\n")
    assert "full (CCADB IRG 3.2 Full Incident Report)" in out
    assert str(tmp_path / "report.md") in out


def test_build_defaults_out_to_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "crl"
    shutil.copytree(CRL, folder)
    # The example's clocks are judged at its own moment: later, its first report is overdue.
    code, _, err = run("build", str(folder), "--as-of", "2026-11-27T12:00Z")
    assert code == 0, err
    assert (folder / "out" / "report.md").read_text().startswith("## Preliminary Incident Report")


def test_build_reports_every_error_with_positions_and_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    source = Path(__file__).parent / "incident_files" / "zoneless-and-unknown-kind.yaml"
    shutil.copy(source, folder / "incident.yaml")
    code, out, err = run("build", str(folder))
    assert code == 2
    assert "Traceback" not in err + out
    assert f"{folder / 'incident.yaml'}:14:9: timeline[0].at" in err
    assert f"{folder / 'incident.yaml'}:18:11: timeline[1].kind" in err
    assert not (folder / "out").exists()


def test_debug_shows_the_exception(tmp_path: Path) -> None:
    (tmp_path / "incident.yaml").write_text("ca_owner: x\n")
    with pytest.raises(IncidentFileError):
        CliRunner().invoke(cli, ["--debug", "build", str(tmp_path)], catch_exceptions=False)


def test_new_then_build_lists_the_blanks(tmp_path: Path) -> None:
    folder = tmp_path / "inc"
    code, out, _ = run("new", str(folder), "--ca", "Example: Trust", "--title", 'A "quoted" title')
    assert code == 0
    assert (folder / "certs").is_dir()
    assert "ca-incident build" in out
    code, _, err = run("build", str(folder))
    assert code == 2
    assert "summary.description: expected text; got nothing" in err
    assert "awareness.at:" in err
    # The names survive YAML quoting exactly.
    text = (folder / "incident.yaml").read_text()
    assert 'ca_owner: "Example: Trust"' in text
    assert 'title: "A \\"quoted\\" title"' in text


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    run("new", str(tmp_path), "--ca", "X", "--title", "Y")
    code, _, err = run("new", str(tmp_path), "--ca", "X", "--title", "Y")
    assert code == 2
    assert "already exists" in err


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_render_every_template_to_stdout(template: str) -> None:
    folder = Path(__file__).parent / "golden" / "closure-incident"
    code, out, err = run("render", str(folder), "-t", template, "--as-of", "2026-11-27T12:00Z")
    assert code == 0, err
    assert out == (folder / f"{template}.md").read_text()


def test_render_to_file(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    code, out, _ = run("render", str(TLS), "-t", "mozilla-2023", "-o", str(target))
    assert code == 0
    assert out == ""
    assert target.read_text().startswith("## Incident Report\n\n**1. How your CA")


def test_render_rejects_a_template_the_stage_cannot_fill() -> None:
    code, _, err = run("render", str(CRL), "-t", "irg-3.2-closure")
    assert code == 2
    assert "needs an incident at stage 'closure'" in err


def test_as_of_without_zone_is_a_usage_error() -> None:
    code, _, err = run("build", str(TLS), "--as-of", "2026-11-27T12:00")
    assert code == 2
    assert "has no time zone" in err


def test_schema_is_json_schema() -> None:
    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"ca_owner", "summary", "timeline", "action_items"} <= set(schema["properties"])
    assert set(schema["required"]) == {"ca_owner", "title", "stage", "summary", "awareness"}


def test_every_command_has_help_with_an_example() -> None:
    for name, command in cli.commands.items():
        code, out, _ = run(name, "--help")
        assert code == 0
        assert "Example" in out, f"'{name} --help' has no example"
        assert command.help


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and "ca-incident" in out


CERTS = TLS / "certs"


def test_certs_summarize_json_has_the_documented_keys() -> None:
    code, out, _ = run("certs", "summarize", str(CERTS), "--json", "--list", "--problem", "ou")
    assert code == 0
    document = json.loads(out)
    problem = document["problems"][0]
    assert {
        "name",
        "count",
        "precertificates_only",
        "first_not_before",
        "last_not_before",
        "remaining_valid",
        "duplicates",
        "kinds",
    } <= set(problem)
    assert set(problem["kinds"]) >= {"tls", "smime", "other"}
    assert problem["count"] == 12 and problem["name"] == "ou"
    assert problem["first_not_before"] == "2026-08-04T09:12:07Z"
    certificate = document["certificates"][0]
    assert {
        "sha256",
        "precert_sha256",
        "serial",
        "not_before",
        "not_after",
        "kind",
        "subject",
        "issuer",
        "dns_names",
        "problem",
        "errors",
    } <= set(certificate)
    assert certificate["serial"] == certificate["serial"].lower()
    assert document["errors"] == []


def test_certs_summarize_without_list_has_no_certificates() -> None:
    code, out, _ = run("certs", "summarize", str(CERTS), "--json")
    assert code == 0 and "certificates" not in json.loads(out)


def test_certs_summarize_reads_stdin() -> None:
    text = "".join(p.read_text() for p in sorted(CERTS.glob("*.pem"))[:3])
    result = CliRunner().invoke(cli, ["certs", "summarize", "-", "--json"], input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["problems"][0]["count"] == 3


def test_certs_unreadable_inputs_are_listed_with_exit_2(tmp_path: Path) -> None:
    """A CRL among the certificates is listed, and the exit status says an input was not a
    certificate."""
    (tmp_path / "ok.pem").write_text((sorted(CERTS.glob("*.pem"))[0]).read_text())
    (tmp_path / "crl.pem").write_text("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n")
    code, out, _ = run("certs", "summarize", str(tmp_path), "--json")
    assert code == 2
    document = json.loads(out)
    assert document["problems"][0]["count"] == 1
    assert document["errors"][0]["source"] == str(tmp_path / "crl.pem")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/nonexistent/certs", "no such file or folder"),
        ("README.md", "holds nothing certificate-like"),
    ],
)
def test_certs_bad_path_is_exit_2(path: str, message: str) -> None:
    code, _, err = run("certs", "summarize", path)
    assert code == 2 and message in err and "Traceback" not in err


def test_certs_appendix_csv_and_crtsh(tmp_path: Path) -> None:
    csv_file, crtsh = tmp_path / "a.csv", tmp_path / "c.txt"
    code, _, _ = run(
        "certs",
        "appendix",
        str(CERTS),
        "-o",
        str(csv_file),
        "--crtsh",
        str(crtsh),
        "--problem",
        "ou",
    )
    assert code == 0
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("Precertificate SHA-256 hash,Certificate SHA-256 hash,Subject,")
    assert lines[0].endswith("Revocation reason,Problem")
    assert len(lines) == 13 and all(line.endswith(",ou") for line in lines[1:])
    assert len(crtsh.read_text().splitlines()) == 12


def test_build_counts_come_from_the_certificates(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtensionOID

    code, _, err = run("build", str(TLS), "--out", str(tmp_path), "--as-of", "2026-11-27T12:00Z")
    assert code == 0, err
    # The figures, found apart from ca-incident: one PEM certificate per file, none a
    # precertificate, all distinct.
    certificates = [x509.load_pem_x509_certificate(p.read_bytes()) for p in CERTS.glob("*.pem")]
    poisoned = [
        c for c in certificates if any(e.oid == ExtensionOID.PRECERT_POISON for e in c.extensions)
    ]
    assert poisoned == []
    assert len({c.fingerprint(hashes.SHA256()) for c in certificates}) == len(certificates) == 12
    issued = sorted(c.not_valid_before_utc for c in certificates)
    report = (tmp_path / "report.md").read_text()
    assert "- **Total number of certificates:** 12\n" in report
    assert f"the first issued {issued[0]:%Y-%m-%d %H:%M} UTC" in report
    assert f"the last issued {issued[-1]:%Y-%m-%d %H:%M} UTC" in report
    rows = (tmp_path / "appendix.csv").read_text().splitlines()
    assert len(rows) - 1 == 12
    assert "incident.yaml" not in report


def test_counts_beside_certificates_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "inc"
    shutil.copytree(TLS, folder)
    text = (
        (folder / "incident.yaml")
        .read_text()
        .replace(
            "    certificate_kind: tls\n",
            "    certificate_kind: tls\n    counts: {count: 11, remaining_valid: 0}\n",
        )
    )
    (folder / "incident.yaml").write_text(text)
    code, _, err = run("build", str(folder))
    assert code == 2
    assert "give certificates or counts, not both" in err


def test_certs_summarize_exits_2_when_an_input_is_not_a_certificate(tmp_path: Path) -> None:
    """The figures are printed, and the exit status says they may be incomplete."""
    from .testca import hierarchy, issue, pem

    _, issuing, _ = hierarchy()
    der = issue(issuing, 0x77, "exit.example").certificate
    assert der is not None
    listing = tmp_path / "hashes.txt"
    listing.write_text("ab" * 32 + "\nnot a certificate = [x]\n")
    result = CliRunner().invoke(cli, ["certs", "summarize", str(listing), "--json"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["problems"][0]["count"] == 1
    assert "could not be read as certificates" in result.stderr
    # The same certificate alone: nothing unread, exit 0.
    alone = tmp_path / "one.pem"
    alone.write_text(pem(der))
    assert CliRunner().invoke(cli, ["certs", "summarize", str(alone)]).exit_code == 0


def test_max_input_gib_bounds_what_a_gz_may_hold(tmp_path: Path) -> None:
    import gzip

    from .testca import hierarchy, issue, pem

    _, issuing, _ = hierarchy()
    der = issue(issuing, 0x78, "gib.example").certificate
    assert der is not None
    bundle = tmp_path / "padded.pem.gz"
    # A certificate after 2 MiB of blank lines: genuine, but over a 1 MiB limit.
    bundle.write_bytes(gzip.compress(b"\n" * (2 << 20) + pem(der).encode()))
    small = str(1 / 1024)
    for command in (["certs", "summarize"], ["certs", "appendix"], ["lint"]):
        result = CliRunner().invoke(cli, [*command, str(bundle), "--max-input-gib", small])
        assert result.exit_code == 2, (command, result.output)
        assert "--max-input-gib" in result.stderr and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["certs", "summarize", str(bundle), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["problems"][0]["count"] == 1
    for value in ("0", "-1", "nan", "inf", "1e400", "1e-12", "abc"):
        bad = CliRunner().invoke(cli, ["certs", "summarize", str(bundle), "--max-input-gib", value])
        assert bad.exit_code == 2 and "--max-input-gib" in bad.stderr, (value, bad.output)
        assert "Traceback" not in bad.output


def test_rules_and_explain_in_a_fresh_program() -> None:
    """The program loads each job when its command runs: ``rules`` and ``explain``, run
    first thing in a new process, still see every rule."""
    import subprocess
    import sys

    def program(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ca_incident", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    listed = program("rules", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) > 50
    explained = program("explain", "tl002")
    assert explained.returncode == 0 and explained.stdout.startswith("TL002"), explained.stderr
