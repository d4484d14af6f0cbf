"""Generate the example incidents' certificates, byte for byte the same on every run.

The fictional CA "Example Trust Services" has a root, an issuing CA, and twelve OV TLS
certificates that carry an organizationalUnitName, which the TLS Baseline Requirements
(section 7.1.2.7.4) prohibit: the misissuance of the TLS example incident. The issuing CA's
CRL of 2026-10-19 lists all twelve as revoked.

Keys are derived from fixed numbers and ECDSA signatures are deterministic (RFC 6979), so the
output depends on nothing but this file. Never edit the certificates by hand: change this
script and run ``python examples/generate_certs.py``.

Usage: python examples/generate_certs.py [OUTPUT_ROOT]   (default: the examples/ folder)
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGN = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
OV_POLICY = x509.ObjectIdentifier("2.23.140.1.2.2")

# notBefore of each misissued certificate: the first at the profile's deployment, the last
# minutes before issuance was stopped.
ISSUED = [
    "2026-08-04T09:12:07",
    "2026-08-11T15:40:51",
    "2026-08-19T08:03:22",
    "2026-08-27T12:31:45",
    "2026-09-02T17:55:10",
    "2026-09-10T10:18:36",
    "2026-09-16T06:47:59",
    "2026-09-24T13:29:14",
    "2026-09-30T19:02:41",
    "2026-10-06T11:36:08",
    "2026-10-10T08:21:33",
    "2026-10-14T14:02:17",
]
SUBSCRIBERS = [
    ("Northwind Traders Ltd", "London", "GB", "shop.northwind.example.com"),
    ("Contoso Pharmaceuticals GmbH", "Berlin", "DE", "portal.contoso.example.com"),
    ("Fabrikam Logistics BV", "Rotterdam", "NL", "track.fabrikam.example.com"),
    ("Tailspin Airways SA", "Lyon", "FR", "booking.tailspin.example.com"),
    ("Wide World Importers Oy", "Helsinki", "FI", "b2b.wideworld.example.com"),
    ("Adventure Works AB", "Stockholm", "SE", "www.adventure-works.example.com"),
    ("Litware Software SL", "Madrid", "ES", "api.litware.example.com"),
    ("Proseware Systems SpA", "Milano", "IT", "secure.proseware.example.com"),
    ("Woodgrove Savings Bank AG", "Zurich", "CH", "online.woodgrove.example.com"),
    ("Coho Winery Lda", "Porto", "PT", "store.cohowinery.example.com"),
    ("Lucerne Publishing NV", "Gent", "BE", "media.lucerne.example.com"),
    ("Trey Research ApS", "Aarhus", "DK", "lab.treyresearch.example.com"),
]
SUBSCRIBER_VALIDITY = timedelta(days=198)


def _key(seed: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(seed, ec.SECP256R1())


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ski(key: ec.EllipticCurvePrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def build_hierarchy() -> tuple[
    x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate, ec.EllipticCurvePrivateKey
]:
    root_key, ca_key = _key(0xE7A001), _key(0xE7A002)
    root_name = _name("Example Trust Root R1", "Example Trust Services")
    ca_name = _name("Example Trust OV TLS Issuing CA G2", "Example Trust Services")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(0x1A2B3C4D5E6F7081)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2049, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(_ski(root_key), critical=False)
        .sign(root_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    issuing = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(root_name)
        .public_key(ca_key.public_key())
        .serial_number(0x2B3C4D5E6F708192)
        .not_valid_before(datetime(2024, 1, 2, tzinfo=UTC))
        .not_valid_after(datetime(2034, 1, 2, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_ski(ca_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return root, root_key, issuing, ca_key


def build_ou_certificates(
    issuing: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> list[x509.Certificate]:
    certificates = []
    for index, (issued, subscriber) in enumerate(zip(ISSUED, SUBSCRIBERS, strict=True)):
        organization, locality, country, host = subscriber
        not_before = datetime.fromisoformat(issued).replace(tzinfo=UTC)
        key = _key(0x5EED0000 + index)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                x509.NameAttribute(NameOID.LOCALITY_NAME, locality),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                # The defect of this incident: OU is prohibited in Subscriber certificates.
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "IT Department"),
                x509.NameAttribute(NameOID.COMMON_NAME, host),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuing.subject)
            .public_key(key.public_key())
            .serial_number(0x7E57_0000_0000_0000_0000_0000_0000_0000 + index * 0x1F3D + 0x101)
            .not_valid_before(not_before)
            .not_valid_after(not_before + SUBSCRIBER_VALIDITY)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.CertificatePolicies([x509.PolicyInformation(OV_POLICY, None)]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(
                                "http://ca.example-trust.example.com/ovtlsg2.cer"
                            ),
                        )
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [
                                x509.UniformResourceIdentifier(
                                    "http://crl.example-trust.example.com/ovtlsg2.crl"
                                )
                            ],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
        )
        certificates.append(certificate)
    return certificates


# When each misissued certificate was revoked: all before the TLS BR 4.9.1.1 #12 deadline,
# 5 days after the Certificate Problem Report of 2026-10-14 13:47 UTC.
REVOKED_FROM = datetime(2026, 10, 15, 18, 0, tzinfo=UTC)
REVOKED_LAST = datetime(2026, 10, 18, 21, 30, tzinfo=UTC)


def build_crl(
    issuing: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, revoked: list[x509.Certificate]
) -> x509.CertificateRevocationList:
    step = (REVOKED_LAST - REVOKED_FROM) / (len(revoked) - 1)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuing.subject)
        .last_update(datetime(2026, 10, 19, 0, 0, tzinfo=UTC))
        .next_update(datetime(2026, 10, 26, 0, 0, tzinfo=UTC))
        .add_extension(x509.CRLNumber(2026101900), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    for number, certificate in enumerate(revoked):
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(
                REVOKED_LAST if number == len(revoked) - 1 else REVOKED_FROM + step * number
            )
            .add_extension(x509.CRLReason(x509.ReasonFlags.superseded), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def write(root_dir: Path) -> list[Path]:
    """Write every example certificate under ``root_dir``; return the paths written."""
    root, _, issuing, ca_key = build_hierarchy()
    written = []
    ca_dir = root_dir / "ca"
    ca_dir.mkdir(parents=True, exist_ok=True)
    for name, certificate in (("root-r1.pem", root), ("ov-tls-issuing-ca-g2.pem", issuing)):
        (ca_dir / name).write_bytes(_pem(certificate))
        written.append(ca_dir / name)
    certs_dir = root_dir / "tls-ou-misissuance" / "certs"
    certs_dir.mkdir(parents=True, exist_ok=True)
    misissued = build_ou_certificates(issuing, ca_key)
    for certificate in misissued:
        path = certs_dir / f"{certificate.serial_number:x}.pem"
        path.write_bytes(_pem(certificate))
        written.append(path)
    crl_dir = root_dir / "tls-ou-misissuance" / "crl"
    crl_dir.mkdir(parents=True, exist_ok=True)
    crl_path = crl_dir / "ovtlsg2-2026-10-19.crl"
    crl = build_crl(issuing, ca_key, misissued)
    crl_path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    written.append(crl_path)
    return written


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    for path in write(target):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
