"""1,000,000 affected serials against a 1,000,000-entry CRL.

Prints the time of ca-incident's index-and-match (read the CRL, verify its signature with the
issuer certificate, index it, and classify every affected certificate by its revocation date)
as a ratio to parsing and iterating the same CRL once with cryptography, in the same run.
Target: at most 3. Reasons are not read here: above 10,000 certificates the appendix is a
crt.sh list, which has no reason column.

The CRL is assembled as DER directly and signed once: cryptography's CRL builder slows badly
past 100,000 entries.

    python -m bench --only revocation       (BENCH_CRL=1000000 BENCH_REPEAT=3; --quick: 100000, 1)
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.result import Result, setting
from bench.timing import median_seconds
from ca_incident.certs.record import CertRecord
from ca_incident.revocation.crl import read_crls
from ca_incident.revocation.status import assess

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
DUE = datetime(2026, 10, 19, 13, 47, tzinfo=UTC)
ISSUER = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Issuing CA")])
RATIO_TARGET = 3.0
"""Index, match and classify, as a ratio to one parse of the CRL: at most this."""
_REASON_SUPERSEDED = bytes.fromhex("300c300a0603551d150403 0a0104".replace(" ", ""))


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def serial(number: int) -> int:
    raw = hashlib.blake2b(f"crl:{number}".encode(), digest_size=16).digest()
    return int.from_bytes(bytes([raw[0] & 0x7F | 0x01]) + raw[1:], "big")


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(0xC41, ec.SECP256R1())


def build_issuer(path: Path) -> None:
    """The CRL issuer's certificate, which verifies the CRL: an unverified CRL is not used."""
    key = _key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(ISSUER)
        .issuer_name(ISSUER)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2036, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def build_crl(path: Path, entries: int) -> None:
    key = _key()
    algorithm = _tlv(0x30, _tlv(0x06, bytes.fromhex("2a8648ce3d040302")))  # ecdsa-with-SHA256
    revoked_at = _tlv(0x17, b"261015180000Z")
    parts = []
    for number in range(entries):
        value = serial(number).to_bytes(16, "big")
        parts.append(_tlv(0x30, _tlv(0x02, value) + revoked_at + _REASON_SUPERSEDED))
    revoked = _tlv(0x30, b"".join(parts))
    tbs = _tlv(
        0x30,
        _tlv(0x02, b"\x01")
        + algorithm
        + ISSUER.public_bytes()
        + _tlv(0x17, b"261019000000Z")
        + _tlv(0x17, b"261026000000Z")
        + revoked,
    )
    signature = key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    path.write_bytes(_tlv(0x30, tbs + algorithm + _tlv(0x03, b"\x00" + signature)))


def run(quick: bool = False) -> Iterator[Result]:
    entries = setting("BENCH_CRL", 1_000_000, 100_000, quick)
    repeat = setting("BENCH_REPEAT", 3, 1, quick)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as folder:
        path, issuer_path = Path(folder) / "big.crl", Path(folder) / "issuer.pem"
        started = time.perf_counter()
        build_crl(path, entries)
        build_issuer(issuer_path)
        size, built = path.stat().st_size, time.perf_counter() - started
        print(f"CRL: {entries:,} entries, {size / 2**20:,.0f} MiB, built in {built:.1f} s")
        issuer = ISSUER.rfc4514_string()
        affected = [
            CertRecord(sha256=f"{n:064x}", serial=format(serial(n), "x"), issuer=issuer, kind="tls")
            for n in range(entries)
        ]

        def baseline() -> None:
            crl = x509.load_der_x509_crl(path.read_bytes())
            for entry in crl:
                entry.serial_number  # noqa: B018  # the minimal read of an entry

        def ours() -> None:
            index = read_crls([path], [issuer_path])
            figures, _ = assess("bench", affected, index, DUE, AS_OF, with_columns=False)
            assert figures.revoked_on_time == entries and figures.complete, figures

        b, m = median_seconds([baseline, ours], repeat)
        ratio = Result("revocation: match / parse the CRL once", m / b, RATIO_TARGET, False, "x")
        print(f"parse and iterate the CRL once      {b:.2f} s (median of {repeat})")
        print(f"verify, index, match and classify {entries:,}   {m:.2f} s")
        print(
            f"ratio                               {ratio.measured:.2f}  "
            f"(target {ratio.target_text})"
        )
        yield ratio
