"""Revocation claimed only with proof (issue 11): each reproducer of "Revocation claimed
without proof" as a test. A certificate is revoked when a verified CRL lists it (a hold is not
a revocation), not revoked when a verified CRL in force covers it, else unknown; revocation is
complete only when verified CRLs show every certificate revoked."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ca_incident.app.build import (
    build,
    closure_revocation_step,
    crl_step,
    evidence_step,
    revocation_step,
)
from ca_incident.certs.appendix import Revocation
from ca_incident.certs.evidence import collect
from ca_incident.cli import cli
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import parse_incident
from ca_incident.revocation.crl import CrlIndex, read_crls
from ca_incident.revocation.deadlines import deadline
from ca_incident.revocation.status import ProblemRevocation, assess
from ca_incident.sources import FolderFiles

from .helpers import EXAMPLES, REPO
from .testca import Authority, hierarchy, issue, key

ROOT, CA, _ = hierarchy()
AWARE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DUE = deadline(AWARE, 12).due  # 2026-03-06 10:00 UTC
ISSUED = datetime(2026, 3, 10, tzinfo=UTC)  # the CRLs' thisUpdate; nextUpdate 7 days on
AS_OF = datetime(2026, 3, 12, tzinfo=UTC)
HOLD = x509.ReasonFlags.certificate_hold
REMOVE = x509.ReasonFlags.remove_from_crl
SUPERSEDED = x509.ReasonFlags.superseded

Entry = tuple[int, datetime, x509.ReasonFlags]


def crl(
    issuer: Authority,
    entries: list[Entry],
    issued: datetime = ISSUED,
    *,
    signer: ec.EllipticCurvePrivateKey | None = None,
    number: int | None = None,
    delta_of: int | None = None,
    idp: x509.IssuingDistributionPoint | None = None,
) -> bytes:
    """A CRL of the test CA: a delta CRL with ``delta_of`` (its BaseCRLNumber), a partition
    or limited CRL with ``idp``; signed by the issuer's key unless ``signer``."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.name)
        .last_update(issued)
        .next_update(issued + timedelta(days=7))
    )
    if number is not None:
        builder = builder.add_extension(x509.CRLNumber(number), False)
    if delta_of is not None:
        builder = builder.add_extension(x509.DeltaCRLIndicator(delta_of), True)
    if idp is not None:
        builder = builder.add_extension(idp, True)
    for serial, when, reason in entries:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(when)
            .add_extension(x509.CRLReason(reason), False)
            .build()
        )
    signed = builder.sign(signer or issuer.key, hashes.SHA256(), ecdsa_deterministic=True)
    return signed.public_bytes(serialization.Encoding.DER)


def _idp(
    *,
    uri: str | None = None,
    user: bool = False,
    indirect: bool = False,
) -> x509.IssuingDistributionPoint:
    return x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier(uri)] if uri else None,
        relative_name=None,
        only_contains_user_certs=user,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=indirect,
        only_contains_attribute_certs=False,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three certificates of the test CA (serials 20, 21, 22) valid until June 2026, one of
    the root (serial 20 too), and the PEM of both CAs."""
    certs = tmp_path / "certs"
    certs.mkdir()
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for serial in (0x20, 0x21, 0x22):
        issued = issue(CA, serial, with_precertificate=False, not_before=start, days=120)
        (certs / f"{serial:x}.der").write_bytes(issued.certificate or b"")
    other = tmp_path / "other"
    other.mkdir()
    root_issued = issue(ROOT, 0x20, with_precertificate=False, not_before=start, days=120)
    (other / "root-20.der").write_bytes(root_issued.certificate or b"")
    for name, authority in (("ca.pem", CA), ("root.pem", ROOT)):
        (tmp_path / name).write_bytes(
            authority.certificate.public_bytes(serialization.Encoding.PEM)
        )
    return tmp_path


def _write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return str(folder / name)


def _revocation(folder: Path, *options: str, as_of: str = "2026-03-12T00:00Z") -> Result:
    arguments = ["revocation", str(folder / "certs"), "--aware", "2026-03-01T10:00Z"]
    arguments += ["--reason", "12", "--as-of", as_of, *options]
    return CliRunner().invoke(cli, arguments)


def _assess(
    folder: Path,
    crls: list[str],
    issuers: list[str],
    *,
    as_of: datetime = AS_OF,
    ca_certificates: bool = False,
) -> tuple[CrlIndex, ProblemRevocation, dict[str | None, Revocation]]:
    """The CRLs' index, the figures, and each certificate's state by serial."""
    index = read_crls(crls, issuers)
    records = collect([folder / "certs"], as_of=as_of, keep=True).certificates or []
    figures, columns = assess("p", records, index, DUE, as_of, ca_certificates=ca_certificates)
    return index, figures, {r.serial: columns[r.sha256] for r in records}


# With no applicable CRL, revocation is never complete


def test_another_issuers_crl_shows_nothing(folder: Path) -> None:
    """Reproducer: the root's CRL (verified, listing serial 20 of its own) for the issuing
    CA's certificates printed "0 have been revoked ... Revocation is complete." and exit 0."""
    root_crl = _write(folder, "root.crl", crl(ROOT, [(0x20, AWARE, SUPERSEDED)]))
    result = _revocation(folder, "--crl", root_crl, "--issuer", str(folder / "root.pem"))
    assert result.exit_code == 1
    assert "Revocation is complete." not in result.stdout
    assert "unknown (no CRL shows) 3" in result.stdout
    assert "For 3 the CRLs given show neither that they are revoked nor that they are not." in (
        result.stdout.replace("\n", " ")
    )
    assert "3: no CRL of its issuer was given" in result.stderr
    document = json.loads(
        _revocation(
            folder, "--crl", root_crl, "--issuer", str(folder / "root.pem"), "--json"
        ).stdout
    )
    assert document["revocation_complete"] is False
    problem = document["problems"][0]
    assert (problem["unknown"], problem["revoked_on_time"], problem["revocation_complete"]) == (
        3,
        0,
        False,
    )
    assert {c["state"] for c in document["certificates"]} == {"unknown"}


def test_a_crl_with_a_bad_signature_shows_nothing(folder: Path) -> None:
    """Reproducer: a CRL rejected for a bad signature, the only one given."""
    forged = _write(
        folder,
        "forged.crl",
        crl(CA, [(s, AWARE, SUPERSEDED) for s in (0x20, 0x21, 0x22)], signer=key(0xBAD)),
    )
    result = _revocation(folder, "--crl", forged, "--issuer", str(folder / "ca.pem"))
    assert result.exit_code == 1
    assert "Revocation is complete." not in result.stdout
    assert "revoked on time 0" in result.stdout
    assert "signature does not verify" in result.stderr and "not used" in result.stderr
    assert "3: the CRLs of its issuer given were not used (see the warnings)" in result.stderr


def test_complete_only_when_verified_crls_show_every_certificate_revoked(folder: Path) -> None:
    good = _write(folder, "ca.crl", crl(CA, [(s, AWARE, SUPERSEDED) for s in (0x20, 0x21, 0x22)]))
    result = _revocation(folder, "--crl", good, "--issuer", str(folder / "ca.pem"))
    assert result.exit_code == 0, result.stderr
    assert "Revocation is complete." in result.stdout
    # The root's certificate added: one unknown, and no longer complete.
    shutil.copy(folder / "other" / "root-20.der", folder / "certs")
    result = _revocation(folder, "--crl", good, "--issuer", str(folder / "ca.pem"))
    assert result.exit_code == 1
    assert "Revocation is complete." not in result.stdout


# Unverified CRLs are warnings, not used unless asked


def test_a_crl_matching_no_given_issuer_is_not_used(folder: Path) -> None:
    """Reproducer: with --issuer, a CRL whose issuer matches no given issuer was used
    unverified, silently."""
    ca_crl = _write(folder, "ca.crl", crl(CA, [(s, AWARE, SUPERSEDED) for s in (0x20, 0x21, 0x22)]))
    result = _revocation(folder, "--crl", ca_crl, "--issuer", str(folder / "root.pem"))
    assert result.exit_code == 1
    assert "revoked on time 0" in result.stdout and "unknown (no CRL shows) 3" in result.stdout
    assert "matches no issuer certificate given: not verified; not used" in result.stderr
    assert "--unverified to use them anyway" in result.stderr
    # No --issuer at all: the same.
    result = _revocation(folder, "--crl", ca_crl)
    assert result.exit_code == 1
    assert "no issuer certificate given to verify its signature; not used" in result.stderr


def test_unverified_crls_are_used_only_when_asked_and_never_complete(folder: Path) -> None:
    ca_crl = _write(folder, "ca.crl", crl(CA, [(s, AWARE, SUPERSEDED) for s in (0x20, 0x21, 0x22)]))
    result = _revocation(folder, "--crl", ca_crl, "--unverified")
    assert result.exit_code == 1
    assert "revoked on time 3" in result.stdout
    assert "shown by unverified CRLs 3" in result.stdout
    assert "Revocation is complete." not in result.stdout
    assert "used unverified" in result.stderr
    document = json.loads(_revocation(folder, "--crl", ca_crl, "--unverified", "--json").stdout)
    assert {c["verified"] for c in document["certificates"]} == {False}
    assert document["crls"][0]["verified"] is False


def test_an_issuer_certificate_that_may_not_sign_crls_does_not_verify(folder: Path) -> None:
    """RFC 5280 6.3.3 (f): the key that signs a CRL must be allowed to (keyUsage cRLSign)."""
    no_crl_sign = (
        x509.CertificateBuilder()
        .subject_name(CA.name)
        .issuer_name(ROOT.name)
        .public_key(CA.key.public_key())
        .serial_number(0x201)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, False, False, False), True
        )
        .sign(ROOT.key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    issuer = _write(folder, "no-crl-sign.pem", no_crl_sign.public_bytes(serialization.Encoding.PEM))
    ca_crl = _write(folder, "ca.crl", crl(CA, [(0x20, AWARE, SUPERSEDED)]))
    index = read_crls([ca_crl], [issuer])
    assert index.crls == [] and "does not allow cRLSign" in index.errors[0].error


# certificateHold and removeFromCRL are not revocations


def test_a_hold_is_not_a_revocation(folder: Path) -> None:
    """Reproducer: certificateHold entries counted as revoked."""
    held = _write(
        folder,
        "held.crl",
        crl(CA, [(0x20, AWARE, HOLD), (0x21, AWARE, SUPERSEDED)]),
    )
    index, figures, by_serial = _assess(folder, [held], [str(folder / "ca.pem")])
    assert index.lookup(CA.name.rfc4514_string(), "20") is None
    assert (figures.revoked, figures.not_yet_revoked, figures.on_hold) == (1, 2, 1)
    assert by_serial["20"].state == "not-revoked" and by_serial["20"].status == "Delayed"
    assert by_serial["21"].status == "Yes"
    result = _revocation(folder, "--crl", held, "--issuer", str(folder / "ca.pem"))
    assert "revoked on time 1" in result.stdout and "on hold (not revoked) 1" in result.stdout
    # Nor does a hold make a certificate not "remaining valid".
    evidence = collect(
        [folder / "certs"],
        as_of=AS_OF,
        is_revoked=lambda r: index.lookup(r.issuer, r.serial) is not None,
    )
    assert evidence.summary.remaining_valid == 2


def test_a_delta_crl_applies_on_its_base_and_remove_from_crl_is_not_a_revocation(
    folder: Path,
) -> None:
    """Reproducer: a delta CRL's removeFromCRL entry counted as revoked. RFC 5280 5.2.4: the
    delta (CRL number 11 on base 10) applies on top of its base; here it releases the hold on
    20 and revokes 22. At the moment judged only the delta is in force."""
    base = _write(
        folder,
        "base.crl",
        crl(CA, [(0x20, AWARE, HOLD)], datetime(2026, 3, 2, tzinfo=UTC), number=10),
    )
    delta = _write(
        folder,
        "delta.crl",
        crl(
            CA,
            [(0x20, AWARE, REMOVE), (0x22, AWARE + timedelta(days=1), SUPERSEDED)],
            number=11,
            delta_of=10,
        ),
    )
    ca = str(folder / "ca.pem")
    index, figures, by_serial = _assess(folder, [base, delta], [ca])
    assert index.errors == []
    assert (figures.revoked, figures.not_yet_revoked, figures.on_hold, figures.unknown) == (
        1,
        2,
        0,
        0,
    )
    assert by_serial["20"].state == "not-revoked" and by_serial["20"].crl == delta
    assert by_serial["21"].state == "not-revoked" and by_serial["21"].crl == delta
    assert by_serial["22"].status == "Yes" and by_serial["22"].crl == delta
    # The delta alone: its revocation still counts, the rest is unknown, and it says why.
    index, figures, by_serial = _assess(folder, [delta], [ca])
    assert "no such base CRL was given" in index.errors[0].error and index.errors[0].used
    assert (figures.revoked, figures.unknown) == (1, 2)
    assert by_serial["20"].state == "unknown"
    assert figures.unknowns[0].why.startswith("only delta CRLs of its issuer were given")
    # A delta that does not release the hold: still on hold, still not revoked.
    other = _write(folder, "delta2.crl", crl(CA, [], number=11, delta_of=10))
    _, figures, by_serial = _assess(folder, [base, other], [ca])
    assert (figures.on_hold, figures.revoked) == (1, 0)


# Which CRLs show a certificate not revoked


def test_a_partition_shows_revocations_but_never_not_revoked(folder: Path) -> None:
    ca = str(folder / "ca.pem")
    partition = _write(
        folder,
        "part.crl",
        crl(CA, [(0x20, AWARE, SUPERSEDED)], idp=_idp(uri="http://crl.example.test/1.crl")),
    )
    _, figures, by_serial = _assess(folder, [partition], [ca])
    assert by_serial["20"].status == "Yes"
    assert (figures.revoked, figures.unknown) == (1, 2)
    assert "a partition" in figures.unknowns[0].why
    # With the full CRL in force, the others are shown not revoked.
    full = _write(folder, "full.crl", crl(CA, [(0x20, AWARE, SUPERSEDED)]))
    _, figures, by_serial = _assess(folder, [partition, full], [ca])
    assert (figures.revoked, figures.not_yet_revoked, figures.unknown) == (1, 2, 0)
    # A CRL limited to end-entity certificates covers them, not CA certificates.
    users = _write(folder, "users.crl", crl(CA, [], idp=_idp(user=True)))
    _, figures, _ = _assess(folder, [users], [ca])
    assert figures.not_yet_revoked == 3
    _, figures, _ = _assess(folder, [users], [ca], ca_certificates=True)
    assert figures.unknown == 3
    assert "cover only end-entity certificates" in figures.unknowns[0].why


def test_an_indirect_crl_is_refused(folder: Path) -> None:
    indirect = _write(folder, "indirect.crl", crl(CA, [], idp=_idp(indirect=True)))
    index = read_crls([indirect], [str(folder / "ca.pem")])
    assert index.crls == [] and "indirect CRL" in index.errors[0].error


def test_current_means_in_force_at_the_moment_judged(folder: Path) -> None:
    """thisUpdate <= as_of <= nextUpdate; or a complete CRL published after the moment, while
    the certificate was unexpired (revocation is final)."""
    ca = str(folder / "ca.pem")
    full = _write(folder, "full.crl", crl(CA, [(0x20, AWARE, SUPERSEDED)]))
    _, figures, _ = _assess(folder, [full], [ca], as_of=datetime(2026, 3, 20, tzinfo=UTC))
    assert (figures.revoked, figures.unknown) == (1, 2)
    assert "no CRL of its issuer given is in force at 2026-03-20 00:00 UTC" in (
        figures.unknowns[0].why
    )
    _, figures, _ = _assess(folder, [full], [ca], as_of=datetime(2026, 3, 5, tzinfo=UTC))
    assert (figures.revoked, figures.not_yet_revoked, figures.unknown) == (1, 2, 0)


def test_a_certificate_expired_before_a_later_crl_is_not_shown_by_it(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    short = issue(
        CA, 0x30, with_precertificate=False, not_before=datetime(2026, 2, 1, tzinfo=UTC), days=36
    )
    (certs / "30.der").write_bytes(short.certificate or b"")
    (tmp_path / "ca.pem").write_bytes(CA.certificate.public_bytes(serialization.Encoding.PEM))
    full = _write(tmp_path, "full.crl", crl(CA, []))
    # Expires 2026-03-09, before the CRL of 2026-03-10, which may have dropped its entry.
    _, figures, _ = _assess(
        tmp_path, [full], [str(tmp_path / "ca.pem")], as_of=datetime(2026, 3, 5, tzinfo=UTC)
    )
    assert figures.unknown == 1


# Backdated entries stay late; a delta published in time counts


def test_a_backdated_entry_is_late_and_a_delta_in_time_is_publication(folder: Path) -> None:
    ca = str(folder / "ca.pem")
    revoked = DUE - timedelta(days=3)
    before = _write(folder, "1.crl", crl(CA, [], DUE - timedelta(days=2), number=1))
    after = _write(folder, "3.crl", crl(CA, [(0x20, revoked, SUPERSEDED)], ISSUED, number=3))
    _, figures, _ = _assess(folder, [before, after], [ca])
    assert (figures.backdated, figures.revoked_late, figures.revoked_on_time) == (1, 1, 0)
    assert figures.late_max_hours == pytest.approx((ISSUED - DUE).total_seconds() / 3600)
    delta = _write(
        folder,
        "2.crl",
        crl(CA, [(0x20, revoked, SUPERSEDED)], DUE - timedelta(days=1), number=2, delta_of=1),
    )
    _, figures, _ = _assess(folder, [before, delta, after], [ca])
    assert (figures.backdated, figures.revoked_late, figures.revoked_on_time) == (0, 0, 1)


def test_with_only_crls_after_the_deadline_publication_is_not_shown(folder: Path) -> None:
    """BR 4.9.5 counts to published revocation: a revocation date before the deadline, seen
    only in a CRL published after it, is on time by its date, and said to be unproven."""
    ca = str(folder / "ca.pem")
    revoked = DUE - timedelta(days=3)
    after = _write(folder, "3.crl", crl(CA, [(0x20, revoked, SUPERSEDED)], ISSUED, number=3))
    _, figures, _ = _assess(folder, [after], [ca])
    assert ISSUED > DUE
    assert (figures.revoked_on_time, figures.revoked_late, figures.backdated) == (1, 0, 0)
    assert figures.publication_not_shown == 1


# certs appendix --crl --issuer


def _appendix(folder: Path, *options: str) -> tuple[Result, list[dict[str, str]]]:
    out = folder / "appendix.csv"
    arguments = ["certs", "appendix", str(folder / "certs"), "-o", str(out)]
    result = CliRunner().invoke(cli, [*arguments, "--as-of", "2026-03-12T00:00Z", *options])
    rows = list(csv.DictReader(io.StringIO(out.read_text()))) if out.exists() else []
    return result, rows


def test_certs_appendix_fills_the_revocation_columns(folder: Path) -> None:
    """Reproducer: certs appendix had no --crl, so Is revoked? was always blank."""
    ca_crl = _write(folder, "ca.crl", crl(CA, [(0x20, AWARE, SUPERSEDED), (0x21, AWARE, HOLD)]))
    options = ["--crl", ca_crl, "--issuer", str(folder / "ca.pem")]
    result, rows = _appendix(folder, *options, "--deadline", "2026-03-06T10:00Z")
    assert result.exit_code == 0, result.stderr
    cells = {
        r["Serial #"]: (r["Is revoked?"], r["Revocation date"], r["Revocation reason"])
        for r in rows
    }
    assert cells == {
        "20": ("Yes", "2026-03-01T10:00:00Z", "superseded"),
        "21": ("Delayed", "N/A", "N/A"),  # on hold: not revoked
        "22": ("Delayed", "N/A", "N/A"),
    }
    # Planned rows carry the CA's planned date, not the deadline.
    result, rows = _appendix(
        folder, *options, "--deadline", "2026-03-20T10:00Z", "--planned", "2026-03-15T12:00Z"
    )
    assert [r["Is revoked?"] for r in rows].count("Planned") == 2
    assert {r["Revocation date"] for r in rows if r["Is revoked?"] == "Planned"} == {
        "2026-03-15T12:00:00Z"
    }


def test_certs_appendix_reports_unknowns_and_exits_1(folder: Path) -> None:
    shutil.copy(folder / "other" / "root-20.der", folder / "certs" / "root-20.der")
    ca_crl = _write(folder, "ca.crl", crl(CA, [(0x20, AWARE, SUPERSEDED)]))
    result, rows = _appendix(folder, "--crl", ca_crl, "--issuer", str(folder / "ca.pem"))
    assert result.exit_code == 1
    assert "the revocation of 1 certificate(s) is unknown" in result.stderr
    # Never blank; the unknown one is not claimed revoked.
    assert all(r["Is revoked?"] for r in rows)
    root_row = next(r for r in rows if r["Issuer"] == ROOT.name.rfc4514_string())
    assert root_row["Is revoked?"] == "Planned" and root_row["Revocation date"] == "N/A"
    # Without --crl: nothing shown revoked, a warning, still never blank.
    result, rows = _appendix(folder)
    assert result.exit_code == 0 and "no --crl" in result.stderr
    assert {r["Is revoked?"] for r in rows} == {"Planned"}


def test_certs_appendix_of_the_example_from_its_crl(tmp_path: Path) -> None:
    example = EXAMPLES / "tls-ou-misissuance"
    out = tmp_path / "a.csv"
    result = CliRunner().invoke(
        cli,
        [
            "certs",
            "appendix",
            str(example / "certs"),
            "-o",
            str(out),
            "--crl",
            str(example / "crl" / "ovtlsg2-2026-10-19.crl"),
            "--issuer",
            str(EXAMPLES / "ca" / "ov-tls-issuing-ca-g2.pem"),
            "--as-of",
            "2026-11-27T12:00Z",
        ],
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 12 and {r["Is revoked?"] for r in rows} == {"Yes"}
    assert {r["Revocation reason"] for r in rows} == {"superseded"}


# Builds: Planned dates, and no Closure report while certificates are unrevoked


def _example(tmp_path: Path, edit: dict[str, str]) -> Path:
    """The TLS example, its issuer certificate moved into its folder."""
    folder = tmp_path / "tls"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder)
    shutil.copytree(EXAMPLES / "ca", folder / "ca")
    edit = {"../ca/": "ca/", **edit}
    text = (folder / "incident.yaml").read_text()
    for old, new in edit.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "incident.yaml").write_text(text)
    return folder


STEPS = (crl_step, evidence_step, revocation_step, closure_revocation_step)


def test_a_build_dates_planned_rows_with_the_plan(tmp_path: Path) -> None:
    folder = _example(
        tmp_path,
        {
            "  clock_started: 2026-10-14T13:47Z\n": "  clock_started: 2026-10-14T13:47Z\n"
            "  expected_completion: 2026-10-18T22:00Z\n"
        },
    )
    incident = parse_incident((folder / "incident.yaml").read_text(), "incident.yaml")
    result = build(
        incident, FolderFiles(folder), as_of=datetime(2026, 10, 16, tzinfo=UTC), steps=STEPS
    )
    states = list(result.revocation_columns.values())
    assert sum(s.status == "Yes" for s in states) == 1  # revoked 2026-10-15 18:00
    planned = [s for s in states if s.status == "Planned"]
    assert len(planned) == 11 and {s.date for s in planned} == {
        datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    }


def _closure(tmp_path: Path, crl_name: str) -> Path:
    """The Closure golden incident with the TLS example's certificates and a CRL."""
    folder = tmp_path / "closure"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance" / "certs", folder / "certs")
    shutil.copytree(EXAMPLES / "ca", folder / "ca")
    text = (REPO / "tests" / "golden" / "closure-incident" / "incident.yaml").read_text()
    counts = text[text.index("    counts:\n") : text.index("\nimpact:")]
    text = text.replace(counts, "    certificates: [certs]\n")
    text = text.replace(
        "\nimpact:",
        "\nrevocation:\n  reason: 12\n  clock_started: 2026-10-14T13:47Z\n"
        f"  crls: [{crl_name}]\n  issuers: [ca/ov-tls-issuing-ca-g2.pem]\n\nimpact:",
        1,
    )
    (folder / "incident.yaml").write_text(text)
    return folder


def _example_ca_crl(revoked: list[int], issued: datetime) -> bytes:
    """A CRL of the example's issuing CA (examples/generate_certs.py derives its key)."""
    pem = (EXAMPLES / "ca" / "ov-tls-issuing-ca-g2.pem").read_bytes()
    issuing = Authority(
        x509.load_pem_x509_certificate(pem), ec.derive_private_key(0xE7A002, ec.SECP256R1())
    )
    when = datetime(2026, 10, 16, tzinfo=UTC)
    return crl(issuing, [(s, when, SUPERSEDED) for s in revoked], issued)


def test_a_closure_build_with_certificates_unrevoked_past_the_deadline_is_an_error(
    tmp_path: Path,
) -> None:
    """Reproducer: a closure report built while certificates were unrevoked past their
    deadline. Two of the twelve are not on the CRL in force."""
    serials = sorted(
        int(p.stem, 16) for p in (EXAMPLES / "tls-ou-misissuance" / "certs").glob("*.pem")
    )
    folder = _closure(tmp_path, "ten.crl")
    (folder / "ten.crl").write_bytes(
        _example_ca_crl(serials[:10], datetime(2027, 2, 1, tzinfo=UTC))
    )
    incident = parse_incident((folder / "incident.yaml").read_text(), "incident.yaml")
    as_of = datetime(2027, 2, 3, 12, 0, tzinfo=UTC)
    with pytest.raises(CaIncidentError, match="stage closure, but 2 not revoked on the CRLs"):
        build(incident, FolderFiles(folder), as_of=as_of, steps=STEPS)
    result = CliRunner().invoke(cli, ["build", str(folder), "--as-of", "2027-02-03T12:00Z"])
    assert result.exit_code == 2 and "still unrevoked past the revocation deadline" in result.stderr
    assert not (folder / "out").exists()
    # Every one revoked: the Closure report builds.
    (folder / "ten.crl").write_bytes(_example_ca_crl(serials, datetime(2027, 2, 1, tzinfo=UTC)))
    built = build(incident, FolderFiles(folder), as_of=as_of, steps=STEPS)
    assert all(p.complete for p in built.revocation.values())


def test_a_closure_build_without_a_crl_is_an_error(tmp_path: Path) -> None:
    folder = _closure(tmp_path, "none.crl")
    text = (folder / "incident.yaml").read_text().replace("  crls: [none.crl]\n", "")
    (folder / "incident.yaml").write_text(text)
    incident = parse_incident(text, "incident.yaml")
    with pytest.raises(CaIncidentError, match="12 that no verified CRL shows revoked"):
        build(
            incident,
            FolderFiles(folder),
            as_of=datetime(2027, 2, 3, 12, 0, tzinfo=UTC),
            steps=STEPS,
        )


def test_a_build_uses_no_crl_its_issuers_do_not_verify(tmp_path: Path) -> None:
    folder = _example(tmp_path, {"  issuers: [ca/ov-tls-issuing-ca-g2.pem]\n": ""})
    incident = parse_incident((folder / "incident.yaml").read_text(), "incident.yaml")
    result = build(
        incident, FolderFiles(folder), as_of=datetime(2026, 11, 27, tzinfo=UTC), steps=STEPS
    )
    assert any(
        "no issuer certificate given to verify its signature; not used (add its issuer "
        "certificate to revocation.issuers)" in w
        for w in result.warnings
    )
    assert any("the revocation of 12 certificate(s) is unknown" in w for w in result.warnings)
    assert {s.status for s in result.revocation_columns.values()} == {"Delayed"}
    assert not any(p.complete for p in result.revocation.values())


def test_revocation_json_names_the_crl_that_shows_each_state() -> None:
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
    assert document["revocation_complete"] is True
    certificates = document["certificates"]
    assert len(certificates) == 12
    assert {(c["state"], c["verified"], c["crl_this_update"]) for c in certificates} == {
        ("revoked", True, "2026-10-19T00:00:00Z")
    }
    assert all(c["crl"].endswith("ovtlsg2-2026-10-19.crl") for c in certificates)


def test_an_rsa_signed_crl_verifies_with_its_issuer_only(folder: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_ca = (
        x509.CertificateBuilder()
        .subject_name(CA.name)
        .issuer_name(CA.name)
        .public_key(rsa_key.public_key())
        .serial_number(0x202)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .sign(rsa_key, hashes.SHA256())
    )
    signed = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(CA.name)
        .last_update(ISSUED)
        .next_update(ISSUED + timedelta(days=7))
        .sign(rsa_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    rsa_crl = _write(folder, "rsa.crl", signed)
    issuer = _write(folder, "rsa.pem", rsa_ca.public_bytes(serialization.Encoding.PEM))
    assert read_crls([rsa_crl], [issuer]).errors == []
    wrong = read_crls([rsa_crl], [str(folder / "ca.pem")])
    assert "signature does not verify" in wrong.errors[0].error
