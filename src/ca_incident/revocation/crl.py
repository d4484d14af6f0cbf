"""CRLs: read them (DER or PEM, several at once, partitioned), index revoked serials per
issuer once, and answer for each affected certificate whether, when and why it was revoked.

The index is a dict from serial to revocation date, built in one pass: cryptography's
``get_revoked_certificate_by_serial_number`` scans the whole list on every call, which a
million lookups cannot afford. Reasons are read only where they are shown (the appendix
CSV), through a second map built on first use.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from ca_incident.errors import CaIncidentError
from ca_incident.sources import SourceLike, as_sources

_PEM = re.compile(rb"-----BEGIN X509 CRL-----(.*?)-----END X509 CRL-----", re.DOTALL)


@dataclass(frozen=True)
class CrlError:
    source: str
    error: str


@dataclass(frozen=True)
class Revoked:
    date: datetime
    reason: str | None = None
    """The CRLReason name (``unspecified`` when the entry has none); None when not read."""


@dataclass
class CrlIndex:
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    by_issuer: dict[str, dict[int, datetime]] = field(default_factory=dict)
    """Issuer (RFC 4514) -> serial -> revocation date: all that classifying needs."""
    crls_of: dict[str, list[int]] = field(default_factory=dict)
    """Issuer -> the CRLs (partitions) that list its certificates."""
    errors: list[CrlError] = field(default_factory=list)
    entries: int = 0
    latest_update: dict[str, datetime] = field(default_factory=dict)
    """Issuer -> the latest thisUpdate of its CRLs."""
    first_listed: dict[str, dict[int, tuple[datetime, int]]] = field(default_factory=dict)
    """For an issuer with several CRLs of one scope over time: serial -> the thisUpdate of the
    first CRL listing it, and that scope's number."""
    scope_updates: list[list[datetime]] = field(default_factory=list)
    """Per scope with a history: the thisUpdate of each of its CRLs, in order."""
    _scopes: dict[tuple[str, bytes], list[int]] = field(default_factory=dict, repr=False)
    _positions: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)

    def publication(self, issuer: str, serial: int, revoked: datetime) -> tuple[datetime, bool]:
        """When the CRLs show the revocation published, and whether the entry is backdated.

        BR 4.9.5 counts to *published* revocation. Where a CRL of the same scope was published
        (thisUpdate) after the entry's revocationDate but does not list it, the revocation was
        published only with the first CRL that does: the revocationDate is backdated. Else the
        first CRL listing it is the latest the publication can be shown to have happened."""
        history = self.first_listed.get(issuer)
        if history is not None and serial in history:
            first, scope = history[serial]
            omitted = any(revoked <= update < first for update in self.scope_updates[scope])
            return first, omitted
        listing = [
            self.crls[n].last_update_utc
            for n in self.crls_of.get(issuer, [])
            if self.crls[n].get_revoked_certificate_by_serial_number(serial) is not None
        ]
        return min(listing, default=revoked), False

    @property
    def issuers(self) -> list[str]:
        return sorted(self.by_issuer)

    def lookup(
        self, issuer: str | None, serial_hex: str | None, *, with_reason: bool = False
    ) -> Revoked | None:
        if issuer is None or serial_hex is None:
            return None
        serials = self.by_issuer.get(issuer)
        if serials is None:
            return None
        try:
            number = int(serial_hex, 16)
        except ValueError:
            return None
        when = serials.get(number)
        if when is None:
            return None
        return Revoked(when, self.reason(issuer, number) if with_reason else None)

    def reason(self, issuer: str, serial: int) -> str:
        """The entry's CRLReason. The map from serial to entry is built on first use: most
        work (counting, classifying) needs only dates."""
        positions = self._positions.get(issuer)
        if positions is None:
            positions = {}
            for number in self.crls_of.get(issuer, []):
                base = number << 32
                positions.update(
                    (e.serial_number, base | i) for i, e in enumerate(self.crls[number])
                )
            self._positions[issuer] = positions
        packed = positions[serial]
        return _reason(self.crls[packed >> 32][packed & 0xFFFFFFFF])

    def covers(self, issuer: str | None) -> bool:
        return issuer is not None and issuer in self.by_issuer


def _reason(entry: x509.RevokedCertificate) -> str:
    try:
        extension = entry.extensions.get_extension_for_oid(CRLEntryExtensionOID.CRL_REASON)
    except x509.ExtensionNotFound:
        return "unspecified"
    except Exception:
        return "unreadable"
    value = extension.value
    return value.reason.value if isinstance(value, x509.CRLReason) else "unspecified"


def _load(data: bytes, source: str) -> list[tuple[str, x509.CertificateRevocationList]]:
    if data[:1] == b"\x30":
        # DER: do not scan megabytes of it for PEM markers.
        return [(source, x509.load_der_x509_crl(data))]
    blocks = _PEM.findall(data)
    if blocks:
        return [
            (
                f"{source}#{n}" if len(blocks) > 1 else source,
                x509.load_der_x509_crl(binascii.a2b_base64(block)),
            )
            for n, block in enumerate(blocks)
        ]
    if b"-----BEGIN CERTIFICATE-----" in data:
        raise ValueError("it holds a certificate, not a CRL")
    raise ValueError("no DER CRL and no PEM 'X509 CRL' block")


def _issuer_keys(inputs: Sequence[SourceLike]) -> dict[str, list[x509.Certificate]]:
    keys: dict[str, list[x509.Certificate]] = {}
    for issuer in as_sources(inputs):
        data = issuer.read_bytes()
        try:
            certificates = (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError as exc:
            raise CaIncidentError(
                f"{issuer.name}: not a readable issuer certificate ({exc})"
            ) from None
        for certificate in certificates:
            keys.setdefault(certificate.subject.rfc4514_string(), []).append(certificate)
    return keys


def read_crls(crls: Iterable[SourceLike], issuers: Sequence[SourceLike] = ()) -> CrlIndex:
    """Index every CRL given (files or bytes). A CRL that cannot be read, or whose signature
    does not verify against a given issuer certificate, is an error naming its file; the others
    are still used."""
    index = CrlIndex()
    keys = _issuer_keys(issuers)
    for crl_source in as_sources(crls):
        data = crl_source.read_bytes()
        try:
            loaded = _load(data, crl_source.name)
        except (ValueError, binascii.Error) as exc:
            index.errors.append(CrlError(crl_source.name, f"not a readable CRL: {exc}"))
            continue
        for source, crl in loaded:
            try:
                issuer = crl.issuer.rfc4514_string()
            except ValueError as exc:
                index.errors.append(CrlError(source, f"unreadable issuer: {exc}"))
                continue
            if issuer in keys and not any(_verifies(crl, c) for c in keys[issuer]):
                index.errors.append(
                    CrlError(
                        source,
                        f"signature does not verify with the certificate of {issuer}; not used",
                    )
                )
                continue
            try:
                _add(index, source, issuer, crl)
            except ValueError as exc:
                index.errors.append(CrlError(source, f"malformed entries: {exc}"))
    _histories(index)
    return index


def _scope(crl: x509.CertificateRevocationList) -> bytes:
    """What a CRL covers, beyond its issuer: its issuing distribution point, if any (a
    partition). Only CRLs of one scope can show an entry missing."""
    try:
        extension = crl.extensions.get_extension_for_oid(ExtensionOID.ISSUING_DISTRIBUTION_POINT)
    except x509.ExtensionNotFound:
        return b""
    except ValueError:
        return b"unreadable"
    return extension.value.public_bytes()


def _histories(index: CrlIndex) -> None:
    """For each scope published more than once: the first CRL listing each serial."""
    for (issuer, _), numbers in index._scopes.items():
        if len(numbers) < 2:
            continue
        ordered = sorted(numbers, key=lambda n: index.crls[n].last_update_utc)
        scope = len(index.scope_updates)
        index.scope_updates.append([index.crls[n].last_update_utc for n in ordered])
        listed = index.first_listed.setdefault(issuer, {})
        for number in ordered:
            update = index.crls[number].last_update_utc
            for entry in index.crls[number]:
                listed.setdefault(entry.serial_number, (update, scope))


def _verifies(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _add(index: CrlIndex, source: str, issuer: str, crl: x509.CertificateRevocationList) -> None:
    serials = index.by_issuer.setdefault(issuer, {})
    before = len(serials)
    serials.update((entry.serial_number, entry.revocation_date_utc) for entry in crl)
    number = len(index.crls)
    index.crls_of.setdefault(issuer, []).append(number)
    index._scopes.setdefault((issuer, _scope(crl)), []).append(number)
    update = crl.last_update_utc
    if issuer not in index.latest_update or update > index.latest_update[issuer]:
        index.latest_update[issuer] = update
    index.crls.append(crl)
    index.sources.append(source)
    index.entries += len(serials) - before
