"""Personal data of S/MIME certificates stays out of what is posted, by construction.

The reproducers: an S/MIME certificate that lists the TLS policy OID first, one whose
certificatePolicies is malformed (so the EKU after it is not read), a problem that says
``certificate_kind: smime`` about certificates whose content does not, and lint findings whose
messages quote e-mail addresses.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from ca_incident.app.build import build_folder
from ca_incident.app.lint import WITHHELD, lint
from ca_incident.certs.appendix import REDACTED, appendix_rows, write_csv
from ca_incident.certs.evidence import collect
from ca_incident.certs.record import read_certificate
from ca_incident.cli import cli

from .helpers import AS_OF, EXAMPLES
from .testca import DV, SMIME_MAILBOX_STRICT, T0, hierarchy, key

_, CA, _ = hierarchy()
EMAIL = "alice@example.test"
PERSONAL = ("alice", "Alice")


def personal_certificate(
    serial: int,
    policies: x509.ExtensionType,
    eku: list[x509.ObjectIdentifier] | None = None,
) -> bytes:
    """A certificate of a person (e-mail address, given name), with ``policies`` before the
    EKU (emailProtection unless ``eku`` says otherwise)."""
    subscriber = key(0x30_000 + serial)
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, EMAIL),
                    x509.NameAttribute(NameOID.EMAIL_ADDRESS, EMAIL),
                    x509.NameAttribute(NameOID.GIVEN_NAME, "Alice"),
                ]
            )
        )
        .issuer_name(CA.name)
        .public_key(subscriber.public_key())
        .serial_number(serial)
        .not_valid_before(T0)
        .not_valid_after(T0 + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(EMAIL)]), False)
        .add_extension(policies, False)
        .add_extension(x509.ExtendedKeyUsage(eku or [ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
    )
    certificate = builder.sign(CA.key, hashes.SHA256(), ecdsa_deterministic=True)
    return certificate.public_bytes(serialization.Encoding.DER)


def tls_policy_first() -> bytes:
    return personal_certificate(
        0x6001,
        x509.CertificatePolicies(
            [x509.PolicyInformation(DV, None), x509.PolicyInformation(SMIME_MAILBOX_STRICT, None)]
        ),
    )


def malformed_policies() -> bytes:
    """certificatePolicies holding an INTEGER where a PolicyInformation belongs: neither
    cryptography nor asn1crypto reads it, nor (before the fix) the EKU that follows."""
    return personal_certificate(
        0x6002,
        x509.UnrecognizedExtension(ExtensionOID.CERTIFICATE_POLICIES, b"\x30\x03\x02\x01\x01"),
    )


def _appendix(der: bytes, *, smime_problems: tuple[str, ...] = ()) -> str:
    record = read_certificate(der)
    return write_csv(appendix_rows([("p", record)], AS_OF, smime_problems=smime_problems))


def _assert_withheld(text: str) -> None:
    assert not any(word in text for word in PERSONAL), text
    assert REDACTED in text


def test_smime_certificate_listing_the_tls_policy_first_is_smime() -> None:
    record = read_certificate(tls_policy_first())
    assert (record.kind, record.validation_type) == ("smime", "mailbox-validated strict")
    _assert_withheld(_appendix(tls_policy_first()))


def test_malformed_policies_before_the_eku_is_still_smime() -> None:
    record = read_certificate(malformed_policies())
    assert record.errors, "the policies are meant to be unreadable"
    assert record.kind == "smime"
    _assert_withheld(_appendix(malformed_policies()))


def test_smime_policy_alone_makes_a_certificate_smime() -> None:
    """Any S/MIME policy OID, whatever the EKU says."""
    der = personal_certificate(
        0x6003,
        x509.CertificatePolicies([x509.PolicyInformation(SMIME_MAILBOX_STRICT, None)]),
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH],
    )
    assert read_certificate(der).kind == "smime"


def test_tls_certificate_stays_tls() -> None:
    der = personal_certificate(
        0x6004,
        x509.CertificatePolicies([x509.PolicyInformation(DV, None)]),
        eku=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    record = read_certificate(der)
    assert (record.kind, record.validation_type) == ("tls", "DV")
    assert EMAIL in _appendix(der)


def test_problem_of_kind_smime_redacts_whatever_its_certificates_say() -> None:
    der = personal_certificate(
        0x6005,
        x509.CertificatePolicies([x509.PolicyInformation(DV, None)]),
        eku=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    assert read_certificate(der).kind == "tls"
    _assert_withheld(_appendix(der, smime_problems=("p",)))


def _smime_incident(tmp_path: Path, certificate: bytes, kind: str) -> Path:
    """The TLS example with its problem pointing at ``certificate`` and of ``kind``."""
    folder = tmp_path / "incident"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder, ignore=shutil.ignore_patterns("out"))
    shutil.copytree(EXAMPLES / "ca", tmp_path / "ca")
    (folder / "person").mkdir()
    (folder / "person" / "cert.der").write_bytes(certificate)
    text = (folder / "incident.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "lint/cabf.serverauth.ov.organizational_unit_name_attribute_present.pem", "person"
    ).replace("certificate_kind: tls", f"certificate_kind: {kind}")
    (folder / "incident.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "certificate",
    [
        pytest.param(tls_policy_first, id="tls-policy-first"),
        pytest.param(malformed_policies, id="malformed-policies"),
    ],
)
def test_build_withholds_personal_data(tmp_path: Path, certificate: object) -> None:
    assert callable(certificate)
    folder = _smime_incident(tmp_path, certificate(), "tls")
    built = build_folder(folder, as_of=AS_OF, write=True)
    appendix = (folder / "out" / "appendix.csv").read_text(encoding="utf-8")
    _assert_withheld(appendix)
    assert not any(word in (built.report or "") for word in PERSONAL)


def test_build_of_an_smime_problem_withholds_what_looks_like_tls(tmp_path: Path) -> None:
    """The reproducer: ``certificate_kind: smime`` forces redaction."""
    der = personal_certificate(
        0x6006,
        x509.CertificatePolicies([x509.PolicyInformation(DV, None)]),
        eku=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    folder = _smime_incident(tmp_path, der, "smime")
    build_folder(folder, as_of=AS_OF)
    _assert_withheld((folder / "out" / "appendix.csv").read_text(encoding="utf-8"))
    # The same certificate in a TLS problem keeps its names.
    tls = _smime_incident(tmp_path / "tls", der, "tls")
    build_folder(tls, as_of=AS_OF)
    assert EMAIL in (tls / "out" / "appendix.csv").read_text(encoding="utf-8")


def _findings(folder: Path) -> list[dict[str, str]]:
    with (folder / "findings.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_lint_findings_withhold_messages_on_smime_certificates(tmp_path: Path) -> None:
    """The reproducer: linted as TLS, pkilint quotes the common name, an e-mail address."""
    (tmp_path / "smime.der").write_bytes(tls_policy_first())
    out = tmp_path / "lint"
    result = lint([tmp_path / "smime.der"], profile="tls", out=out)
    rows = _findings(out)
    assert rows and all(row["message"] == WITHHELD for row in rows)
    text = (out / "findings.csv").read_text(encoding="utf-8")
    assert not any(word in text for word in PERSONAL)
    assert all(problem.message == WITHHELD for problem in result.problems.values())
    # The codes and the certificates stay: the CA needs them to write the incident.
    assert {row["code"] for row in rows} == set(result.problems)
    assert all((out / f"{code}.pem").exists() for code in result.problems)


def test_lint_include_pii_keeps_the_messages(tmp_path: Path) -> None:
    (tmp_path / "smime.der").write_bytes(tls_policy_first())
    out = tmp_path / "lint"
    result = CliRunner().invoke(
        cli,
        [
            *("lint", str(tmp_path / "smime.der"), "--profile", "tls"),
            *("--out", str(out), "--include-pii", "--json"),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    assert EMAIL in (out / "findings.csv").read_text(encoding="utf-8")
    assert EMAIL in result.stdout


def test_lint_keeps_messages_of_tls_certificates(tmp_path: Path) -> None:
    source = EXAMPLES / "tls-ou-misissuance" / "certs"
    out = tmp_path / "lint"
    lint([source], out=out)
    assert all(row["message"] != WITHHELD for row in _findings(out))


def test_certs_appendix_cli_withholds_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "smime.der"
    path.write_bytes(malformed_policies())
    runner = CliRunner()
    withheld = runner.invoke(cli, ["certs", "appendix", str(path), "--as-of", "2026-11-27T12:00Z"])
    assert withheld.exit_code == 0, withheld.output
    _assert_withheld(withheld.stdout)
    shown = runner.invoke(
        cli, ["certs", "appendix", str(path), "--as-of", "2026-11-27T12:00Z", "--include-pii"]
    )
    assert EMAIL in shown.stdout
    rows = list(csv.reader(io.StringIO(shown.stdout)))
    assert len(rows) == 2


def test_evidence_counts_the_redacted_certificates(tmp_path: Path) -> None:
    (tmp_path / "a.der").write_bytes(tls_policy_first())
    (tmp_path / "b.der").write_bytes(malformed_policies())
    summary = collect([tmp_path], as_of=AS_OF).summary
    assert summary.count == 2 and summary.kinds["smime"] == 2
