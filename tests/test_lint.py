"""Linting: pkilint's own test vectors reproduced exactly, grouping, outputs, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ca_incident.app.lint import lint
from ca_incident.certs.read import iter_items
from ca_incident.cli import cli
from ca_incident.lint import Linter

from .helpers import EXAMPLES, shared_path

VECTORS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/corpus/certs/pkilint/tests/integration_certificate"
)


def _vectors() -> list[Path]:
    if not VECTORS.exists():
        # One placeholder case, so the test skips saying why instead of collecting nothing.
        return [VECTORS / "absent"]
    return sorted([*VECTORS.glob("tls_br/*/*.crttest"), *VECTORS.glob("smime_br/*/*/*.crttest")])


def _type_of(vector: Path) -> tuple[str, object]:
    if vector.parts[-3] == "tls_br":
        from pkilint.cabf.serverauth import serverauth_constants

        return "tls", serverauth_constants.CertificateType[vector.parts[-2].upper()]
    from pkilint.cabf.smime import smime_constants

    level = smime_constants.ValidationLevel[vector.parts[-3].upper()]
    generation = smime_constants.Generation[vector.parts[-2].upper()]
    return "smime", (level, generation)


def _expected(vector: Path) -> set[tuple[str, str, str, str, str]]:
    lines = [
        line.strip() for line in vector.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    end = next(i for i, line in enumerate(lines) if "-----END CERTIFICATE-----" in line)
    rows = csv.DictReader(io.StringIO("\n".join(lines[end + 1 :])))
    return {
        (r["node_path"], r["validator"], r["severity"], r["code"], r["message"] or "") for r in rows
    }


_LINTER = Linter()


@pytest.mark.parametrize("vector", _vectors(), ids=lambda p: "/".join(p.parts[-3:]))
def test_pkilint_vector(vector: Path) -> None:
    if not vector.exists():
        shared_path("corpus", "certs", "pkilint")
    item = next(iter_items([vector]))
    assert item.der is not None
    _, findings = _LINTER.lint(item.der, vector.name, certificate_type=_type_of(vector))
    actual = {(f.node_path, f.validator, f.severity, f.code, f.message) for f in findings}
    assert actual == _expected(vector)


def test_there_are_vectors() -> None:
    shared_path("corpus", "certs", "pkilint")
    assert len(_vectors()) > 250


def test_the_example_problem_is_found(tmp_path: Path) -> None:
    result = lint([EXAMPLES / "tls-ou-misissuance" / "certs"], out=tmp_path)
    written = result.written
    code = "cabf.serverauth.ov.organizational_unit_name_attribute_present"
    assert result.problems[code].count == 12 and result.certificates_linted == 12
    assert result.problems[code].first_not_before is not None
    pem = (tmp_path / f"{code}.pem").read_text()
    assert pem.count("BEGIN CERTIFICATE") == 12
    rows = list(csv.DictReader((tmp_path / "findings.csv").open()))
    assert list(rows[0]) == ["sha256", "code", "severity", "message", "node_path"]
    assert tmp_path / "findings.csv" in written


def test_lint_output_is_the_examples_problem() -> None:
    """The example's problem points at what lint --out wrote; it must still be what lint finds."""
    committed = EXAMPLES / "tls-ou-misissuance" / "lint"
    code = "cabf.serverauth.ov.organizational_unit_name_attribute_present"
    result = lint([EXAMPLES / "tls-ou-misissuance" / "certs"])
    assert (committed / f"{code}.pem").read_text().count("BEGIN CERTIFICATE") == result.problems[
        code
    ].count


def test_severity_and_select_filter(tmp_path: Path) -> None:
    certs = [EXAMPLES / "tls-ou-misissuance" / "certs"]
    errors_only = lint(certs, severity="error")
    assert {p.severity for p in errors_only.problems.values()} == {"ERROR"}
    chosen = lint(certs, severity="notice", select=["cabf.serverauth.ov"])
    assert all(code.startswith("cabf.serverauth.ov") for code in chosen.problems)


def test_undecodable_certificates_are_their_own_group(tmp_path: Path) -> None:
    item = next(iter_items([EXAMPLES / "tls-ou-misissuance" / "certs"]))
    assert item.der is not None
    broken = item.der[:4] + bytes(len(item.der) - 4)
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "broken.der").write_bytes(broken)
    (inputs / "hashes.txt").write_text("ab" * 32 + "\n")
    result = lint([inputs], out=tmp_path / "out")
    assert result.certificates_linted == 0 and len(result.undecodable) == 2
    assert (tmp_path / "out" / "undecodable.pem").exists()
    assert (tmp_path / "out" / "undecodable.txt").read_text().strip() == "ab" * 32


def test_jobs_give_the_same_result() -> None:
    certs = [EXAMPLES / "tls-ou-misissuance" / "certs"]
    one = lint(certs)
    two = lint(certs, jobs=2)
    assert {c: p.count for c, p in one.problems.items()} == {
        c: p.count for c, p in two.problems.items()
    }


def test_lint_cli_json() -> None:
    result = CliRunner().invoke(
        cli, ["lint", str(EXAMPLES / "tls-ou-misissuance" / "certs"), "--json"]
    )
    assert result.exit_code == 1  # error-severity findings
    document = json.loads(result.stdout)
    assert {"certificates_linted", "undecodable", "problems"} <= set(document)
    problem = document["problems"][0]
    assert {"code", "severity", "count", "first_not_before", "last_not_before"} <= set(problem)


def test_lint_cli_bad_path() -> None:
    result = CliRunner().invoke(cli, ["lint", "/nonexistent"])
    assert result.exit_code == 2 and "no such file or folder" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_ctrl_c_stops_cleanly_and_keeps_what_was_written(tmp_path: Path, jobs: str) -> None:
    """A real process group, a real SIGINT sent to all of it as a terminal's Ctrl-C is:
    no worker prints a traceback, and the partial results stay on disk."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from bench.corpus import write_pem_bundle

    bundle = tmp_path / "many.pem"
    write_pem_bundle(bundle, 4000, seed=11)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ca_incident",
            "lint",
            str(bundle),
            "--out",
            str(out),
            "--severity",
            "notice",
            "--jobs",
            jobs,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        findings = out / "findings.csv"
        if findings.exists() and findings.stat().st_size > 2000:
            break
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    rows = (out / "findings.csv").read_text().splitlines()
    assert rows[0] == "sha256,code,severity,message,node_path" and len(rows) > 1
    linted = int(stdout.split("linted ")[1].split(" ")[0].replace(",", ""))
    assert 0 < linted < 4000
