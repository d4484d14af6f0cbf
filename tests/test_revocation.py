"""Revocation: the BR deadline table against the BR text, CRLs issued by the test CA, and the
revocation columns and figures they produce."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ca_incident.certs.evidence import collect
from ca_incident.cli import cli
from ca_incident.errors import CaIncidentError
from ca_incident.revocation.crl import read_crls
from ca_incident.revocation.deadlines import TABLES, deadline, reason_for
from ca_incident.revocation.status import assess, progress_paragraph

from .helpers import EXAMPLES, shared_path
from .testca import hierarchy, issue, key

ROOT, CA, _ = hierarchy()
AWARE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


# Deadlines


@pytest.mark.parametrize(
    ("aware", "reason", "expected"),
    [
        ("2026-03-01T10:00:00Z", 1, "2026-03-02T10:00:00Z"),  # exactly 24 hours
        ("2026-03-01T10:00:00Z", 12, "2026-03-06T10:00:00Z"),  # exactly 5 days
        ("2026-01-31T23:30:00Z", 3, "2026-02-01T23:30:00Z"),  # across a month end
        ("2026-12-31T12:00:00Z", 5, "2027-01-01T12:00:00Z"),  # across a year end
        ("2028-02-27T08:00:00Z", 12, "2028-03-03T08:00:00Z"),  # over a leap day
        ("2027-02-27T08:00:00Z", 12, "2027-03-04T08:00:00Z"),  # no leap day
        ("2026-03-01T10:00:00+02:00", 1, "2026-03-02T08:00:00Z"),  # offsets count
    ],
)
def test_deadline_edges(aware: str, reason: int, expected: str) -> None:
    start = datetime.fromisoformat(aware.replace("Z", "+00:00"))
    assert deadline(start, reason).due == datetime.fromisoformat(expected.replace("Z", "+00:00"))


def test_windows_by_table() -> None:
    assert deadline(AWARE, 5, smime=True).due - AWARE == timedelta(hours=24)
    assert deadline(AWARE, 11, smime=True).due - AWARE == timedelta(days=5)
    assert deadline(AWARE, 5, ca_certificate=True).due - AWARE == timedelta(days=7)
    assert deadline(AWARE, 9, smime=True, ca_certificate=True).due - AWARE == timedelta(days=7)


def test_unknown_reason_is_an_input_error() -> None:
    with pytest.raises(CaIncidentError, match="has no reason 16"):
        reason_for(16, smime=True)
    with pytest.raises(CaIncidentError, match="expected 1 to 9"):
        reason_for(10, ca_certificate=True)


def _numbered(text: str, heading: str) -> dict[int, str]:
    section = text.split(heading, 1)[1].split("\n####", 1)[0].split("\n### ", 1)[0]
    return {int(n): item for n, item in re.findall(r"^(\d+)\. (.+)$", section, re.M)}


def test_tls_table_matches_the_br_text() -> None:
    text = shared_path("domain", "sources", "tls-br-4.9.1-v2.2.6.md").read_text()
    items = _numbered(text, "#### 4.9.1.1")
    assert sorted(items) == sorted(TABLES[(False, False)])
    for number, item in items.items():
        stated = re.search(r'CRLReason (?:"unspecified|#\d+, (\w+))', item)
        assert stated, number
        expected = stated.group(1) or "unspecified"
        assert TABLES[(False, False)][number].crl_reason == expected, number
        assert TABLES[(False, False)][number].window_hours == (24 if number <= 5 else 120), number
    assert sorted(_numbered(text, "#### 4.9.1.2")) == sorted(TABLES[(False, True)])


def test_smime_table_matches_the_sbr_text() -> None:
    text = shared_path("domain", "sources", "smime-br-4.9.1-v1.0.10.md").read_text()
    assert sorted(_numbered(text, "#### 4.9.1.1")) == sorted(TABLES[(True, False)])
    assert sorted(_numbered(text, "#### 4.9.1.2")) == sorted(TABLES[(True, True)])


def test_deadline_cli_json() -> None:
    result = CliRunner().invoke(
        cli, ["deadline", "--aware", "2026-10-14T13:47Z", "--reason", "12", "--json"]
    )
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["deadline"] == "2026-10-19T13:47:00Z"
    assert (document["window_hours"], document["reason"], document["crl_reason"]) == (
        120,
        12,
        "superseded",
    )


# CRLs by the test CA


def _crl(
    issuer_key: object,
    entries: list[tuple[int, datetime]],
    issued: datetime = datetime(2026, 3, 10, tzinfo=UTC),
) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(CA.name)
        .last_update(issued)
        .next_update(issued + timedelta(days=7))
    )
    for serial, when in entries:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.superseded), False)
            .build()
        )
    crl = builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)  # type: ignore[arg-type]
    return crl.public_bytes(serialization.Encoding.DER)


@pytest.fixture
def scene(tmp_path: Path) -> dict[str, Path]:
    """Six certificates: two revoked on time (in two CRLs), one revoked late, one not revoked,
    one expired unrevoked, one from an issuer no CRL covers. The CRLs are in force from
    2026-03-10 to 2026-03-17."""
    certs = tmp_path / "certs"
    certs.mkdir()
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for serial in (0x10, 0x11, 0x12, 0x13):
        issued = issue(CA, serial, with_precertificate=False, not_before=start, days=90)
        (certs / f"{serial:x}.der").write_bytes(issued.certificate or b"")
    old = issue(
        CA, 0x14, with_precertificate=False, not_before=datetime(2025, 11, 1, tzinfo=UTC), days=30
    )
    (certs / "14.der").write_bytes(old.certificate or b"")
    other = issue(ROOT, 0x15, with_precertificate=False, not_before=start, days=90)
    (certs / "15.der").write_bytes(other.certificate or b"")
    due = deadline(AWARE, 12).due
    (tmp_path / "part1.crl").write_bytes(_crl(CA.key, [(0x10, AWARE + timedelta(hours=3))]))
    (tmp_path / "part2.crl").write_bytes(
        _crl(CA.key, [(0x11, due - timedelta(minutes=1)), (0x12, due + timedelta(hours=10))])
    )
    (tmp_path / "ca.pem").write_bytes(CA.certificate.public_bytes(serialization.Encoding.PEM))
    return {
        "certs": certs,
        "part1": tmp_path / "part1.crl",
        "part2": tmp_path / "part2.crl",
        "ca": tmp_path / "ca.pem",
    }


def test_two_crls_and_every_state(scene: dict[str, Path]) -> None:
    index = read_crls([scene["part1"], scene["part2"]], [scene["ca"]])
    assert index.errors == [] and index.entries == 3
    as_of = datetime(2026, 3, 12, tzinfo=UTC)
    records = collect([scene["certs"]], as_of=as_of, keep=True).certificates or []
    figures, columns = assess("p", records, index, deadline(AWARE, 12).due, as_of)
    assert (figures.revoked_on_time, figures.revoked_late, figures.not_revoked_overdue) == (2, 1, 1)
    assert (figures.expired_unrevoked, figures.unknown, figures.count) == (1, 1, 6)
    assert figures.late_max_hours == pytest.approx(10.0)
    by_serial = {r.serial: columns[r.sha256] for r in records}
    assert by_serial["10"].status == "Yes" and by_serial["10"].state == "revoked"
    assert by_serial["10"].reason == "superseded"
    assert by_serial["10"].crl == str(scene["part1"])
    assert by_serial["13"].status == "Delayed" and by_serial["13"].state == "not-revoked"
    assert by_serial["14"].status == "N/A"
    # Another issuer's certificate: no CRL shows it either way.
    assert by_serial["15"].state == "unknown" and by_serial["15"].status == "Delayed"
    assert figures.unknowns[0].why == "no CRL of its issuer was given"
    assert not figures.complete
    paragraph = progress_paragraph([figures], deadline(AWARE, 12).due, as_of, None)
    assert (
        "of the 6 affected certificates 3 have been revoked, 1 are not yet revoked, and 1 expired"
        in paragraph
    )
    assert "For 1 the CRLs given show neither" in paragraph
    assert "Revocation is complete." not in paragraph


def test_before_the_deadline_an_unrevoked_certificate_is_planned(scene: dict[str, Path]) -> None:
    """Planned rows carry the CA's planned completion, not the BR deadline; N/A (no date)
    without a plan."""
    index = read_crls([scene["part1"]], [scene["ca"]])
    as_of = AWARE + timedelta(days=1)
    plan = AWARE + timedelta(days=3, hours=6)
    records = collect([scene["certs"]], as_of=as_of, keep=True).certificates or []
    # The CRL, published after the moment judged, does not list them: not revoked then.
    figures, columns = assess("p", records, index, deadline(AWARE, 12).due, as_of, plan)
    assert figures.not_revoked_in_time == 3 and figures.not_revoked_overdue == 0
    planned = [c for c in columns.values() if c.status == "Planned" and c.state == "not-revoked"]
    assert len(planned) == 3 and all(c.date == plan for c in planned)
    _, columns = assess("p", records, index, deadline(AWARE, 12).due, as_of)
    assert all(c.date is None for c in columns.values() if c.status == "Planned")


def test_a_crl_that_does_not_verify_is_reported_and_the_others_used(
    scene: dict[str, Path], tmp_path: Path
) -> None:
    forged = tmp_path / "forged.crl"
    forged.write_bytes(_crl(key(0xBAD), [(0x13, AWARE)]))
    index = read_crls([forged, scene["part1"]], [scene["ca"]])
    assert [e.source for e in index.errors] == [str(forged)]
    assert "signature does not verify" in index.errors[0].error
    assert index.entries == 1


def test_malformed_crls_from_zlint_name_their_file() -> None:
    folder = shared_path("corpus", "certs", "zlint", "v3", "testdata")
    paths = sorted(folder.glob("crl*"))
    index = read_crls(paths, unverified=True)
    assert index.crls and index.errors
    assert {e.source.split("#")[0] for e in index.errors} <= {str(p) for p in paths}
    assert len(index.crls) + len(index.errors) >= len(paths)


def test_revocation_cli_on_the_example() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "revocation",
            str(EXAMPLES / "tls-ou-misissuance"),
            "--as-of",
            "2026-11-27T12:00Z",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["deadline"] == "2026-10-19T13:47:00Z"
    problem = document["problems"][0]
    assert (problem["name"], problem["count"], problem["revoked_on_time"]) == (
        "ou-in-subject",
        12,
        12,
    )
    assert problem["revoked_late"] == problem["not_revoked_overdue"] == 0
    assert document["crl_errors"] == []


def test_revocation_cli_late_exits_1_with_the_warning(scene: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "revocation",
            str(scene["certs"]),
            "--crl",
            str(scene["part1"]),
            "--crl",
            str(scene["part2"]),
            "--issuer",
            str(scene["ca"]),
            "--aware",
            "2026-03-01T10:00Z",
            "--reason",
            "12",
            "--as-of",
            "2026-03-12T00:00Z",
        ],
    )
    assert result.exit_code == 1
    assert "revocation-delay report is required" in result.stderr
    assert "revoked late 1 (median 10.0 h, max 10.0 h)" in result.stdout


def test_build_fills_the_revocation_columns_from_the_crl(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "build",
            str(EXAMPLES / "tls-ou-misissuance"),
            "--out",
            str(tmp_path),
            "--as-of",
            "2026-11-27T12:00Z",
        ],
    )
    assert result.exit_code == 0, result.stderr
    crl = x509.load_der_x509_crl(
        (EXAMPLES / "tls-ou-misissuance" / "crl" / "ovtlsg2-2026-10-19.crl").read_bytes()
    )
    truth = {format(e.serial_number, "x"): e.revocation_date_utc for e in crl}
    import csv

    rows = list(csv.DictReader((tmp_path / "appendix.csv").open()))
    assert len(rows) == 12
    for row in rows:
        assert row["Is revoked?"] == "Yes"
        assert row["Revocation date"] == truth[row["Serial #"]].strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["Revocation reason"] == "superseded"
    report = (tmp_path / "report.md").read_text()
    assert '**Total number of "remaining valid" certificates:** 0' in report


def _example_copy(tmp_path: Path, edit: dict[str, str]) -> Path:
    import shutil

    folder = tmp_path / "examples" / "tls"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder)
    shutil.copytree(EXAMPLES / "ca", tmp_path / "examples" / "ca")
    text = (folder / "incident.yaml").read_text()
    for old, new in edit.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "incident.yaml").write_text(text)
    return folder


def test_build_adds_revocation_completed_from_the_crl(tmp_path: Path) -> None:
    folder = _example_copy(tmp_path, {"    kind: revocation-completed\n": "    kind: other\n"})
    result = CliRunner().invoke(cli, ["build", str(folder), "--as-of", "2026-11-27T12:00Z"])
    assert result.exit_code == 0, result.stderr
    report = (folder / "out" / "report.md").read_text()
    line = next(line for line in report.splitlines() if "(from the CRLs)" in line)
    assert line.startswith("- 2026-10-18 21:30 UTC:") and line.endswith("_(revocation completed)_")


def test_build_warns_when_revocation_was_late(tmp_path: Path) -> None:
    folder = _example_copy(tmp_path, {"  reason: 12 ": "  reason: 3 "})
    result = CliRunner().invoke(cli, ["build", str(folder), "--as-of", "2026-11-27T12:00Z"])
    assert (
        "revoked late or overdue: a separate revocation-delay report is required" in result.stderr
    )
