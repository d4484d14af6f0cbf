"""A test CA that issues what the tests need: TLS and S/MIME certificates, precertificates and
their certificates, directly or through a Precertificate Signing CA (RFC 6962 section 3.1).

Keys come from fixed numbers and signatures are deterministic, so every run makes the same
bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
PRECERT_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.4")
DV = x509.ObjectIdentifier("2.23.140.1.2.1")
OV = x509.ObjectIdentifier("2.23.140.1.2.2")
SMIME_MAILBOX_STRICT = x509.ObjectIdentifier("2.23.140.1.5.1.3")
T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def key(seed: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(seed, ec.SECP256R1())


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test CA Org"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class Authority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def name(self) -> x509.Name:
        return self.certificate.subject


def _ca(
    common_name: str,
    seed: int,
    issuer: Authority | None,
    eku: list[x509.ObjectIdentifier] | None = None,
) -> Authority:
    own = key(seed)
    signer = issuer.key if issuer else own
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(issuer.name if issuer else name(common_name))
        .public_key(own.public_key())
        .serial_number(seed)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if not issuer else 0), True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(own.public_key()), False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), False)
    return Authority(builder.sign(signer, hashes.SHA256(), ecdsa_deterministic=True), own)


def hierarchy() -> tuple[Authority, Authority, Authority]:
    """Root, issuing CA, and a Precertificate Signing CA under the issuing CA."""
    root = _ca("Test Root", 0x100, None)
    issuing = _ca("Test Issuing CA", 0x200, root)
    signing = _ca("Test Issuing CA Precertificate Signing", 0x300, issuing, [PRECERT_SIGNING])
    return root, issuing, signing


def _sct_list() -> bytes:
    """A syntactically valid SignedCertificateTimestampList with one SCT."""
    sct = (
        b"\x00"
        + bytes(32)
        + struct.pack(">Q", 1_700_000_000_000)
        + b"\x00\x00"
        + b"\x04\x03"
        + struct.pack(">H", 4)
        + b"\x30\x02\x00\x00"
    )
    body = struct.pack(">H", len(sct)) + sct
    tls_list = struct.pack(">H", len(body)) + body
    return bytes([0x04, len(tls_list)]) + tls_list


@dataclass(frozen=True)
class Issued:
    precertificate: bytes | None
    certificate: bytes | None


def issue(
    issuer: Authority,
    serial: int,
    host: str = "www.example.test",
    *,
    not_before: datetime = T0,
    days: int = 90,
    policy: x509.ObjectIdentifier = DV,
    precertificate_by: Authority | None = None,
    with_precertificate: bool = True,
    with_certificate: bool = True,
    smime_email: str | None = None,
) -> Issued:
    """Issue a certificate (with an SCT list when a precertificate exists) and its
    precertificate, signed by ``issuer`` or by ``precertificate_by`` (a Precertificate
    Signing CA)."""
    subscriber = key(0x10_000 + serial)
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, smime_email or host)]
    if smime_email:
        subject.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, smime_email))
        subject.append(x509.NameAttribute(NameOID.GIVEN_NAME, "Alice"))
        subject.append(x509.NameAttribute(NameOID.SURNAME, "Example"))
        san: list[x509.GeneralName] = [x509.RFC822Name(smime_email)]
        eku = [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    else:
        san = [x509.DNSName(host)]
        eku = [ExtendedKeyUsageOID.SERVER_AUTH]

    def builder(
        issuer_name: x509.Name, aki_key: ec.EllipticCurvePrivateKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name(subject))
            .issuer_name(issuer_name)
            .public_key(subscriber.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(san), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.ExtendedKeyUsage(eku), False)
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key.public_key()), False
            )
        )

    precertificate = None
    if with_precertificate:
        signer = precertificate_by or issuer
        pre = builder(signer.name, signer.key).add_extension(x509.PrecertPoison(), True)
        precertificate = _der(pre.sign(signer.key, hashes.SHA256(), ecdsa_deterministic=True))
    certificate = None
    if with_certificate:
        final = builder(issuer.name, issuer.key)
        if with_precertificate:
            final = final.add_extension(x509.UnrecognizedExtension(SCT_LIST, _sct_list()), False)
        certificate = _der(final.sign(issuer.key, hashes.SHA256(), ecdsa_deterministic=True))
    return Issued(precertificate, certificate)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
