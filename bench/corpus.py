"""Fast generation of large certificate corpora for benchmarks.

One certificate is built and signed with cryptography; every other one is that DER with the
serial number and host name bytes replaced in place (equal lengths, so every length in the
encoding stays valid). The signatures of the copies do not verify, which does not matter for
reading speed. A million certificates take seconds.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERIAL_BYTES = 16
HOST_DIGITS = 8
_MARK_SERIAL = 0x7A5E_11AB_7A5E_11AB_7A5E_11AB_7A5E_11AB
_MARK_HOST = "h" + "9" * HOST_DIGITS
_BEGIN = b"-----BEGIN CERTIFICATE-----\n"
_END = b"-----END CERTIFICATE-----\n"


def template() -> tuple[bytes, int, list[int]]:
    """A signed DER certificate, the offset of its serial, and the offsets of its host name."""
    ca_key = ec.derive_private_key(0xBE9C4, ec.SECP256R1())
    key = ec.derive_private_key(0xBE9C5, ec.SECP256R1())
    host = f"{_MARK_HOST}.bench.example"
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Issuing CA")])
    not_before = datetime(2026, 6, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(_MARK_SERIAL)
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=199))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"), None)]
            ),
            False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    serial_at = der.index(_MARK_SERIAL.to_bytes(SERIAL_BYTES, "big"))
    marker = _MARK_HOST.encode()
    hosts, start = [], 0
    while (found := der.find(marker, start)) >= 0:
        hosts.append(found + 1)  # the digits after the leading "h"
        start = found + 1
    return der, serial_at, hosts


def certificates(count: int, seed: int = 0) -> list[bytes]:
    """``count`` distinct DER certificates."""
    der, serial_at, hosts = template()
    base = bytearray(der)
    out = []
    for number in range(count):
        serial = hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=SERIAL_BYTES).digest()
        base[serial_at : serial_at + SERIAL_BYTES] = bytes([serial[0] & 0x7F | 0x01]) + serial[1:]
        digits = f"{number % 10**HOST_DIGITS:0{HOST_DIGITS}d}".encode()
        for at in hosts:
            base[at : at + HOST_DIGITS] = digits
        out.append(bytes(base))
    return out


def write_pem_bundle(path: Path, count: int, seed: int = 0, chunk: int = 50_000) -> None:
    """A PEM bundle of ``count`` distinct certificates, written in chunks to bound memory."""
    with path.open("wb") as stream:
        for start in range(0, count, chunk):
            for der in certificates(min(chunk, count - start), seed=seed * 1_000_003 + start):
                body = base64.encodebytes(der)
                stream.write(
                    b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END CERTIFICATE-----\n"
                )
