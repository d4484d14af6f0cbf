"""CRLs: read them (DER or PEM, several at once, partitioned, delta), verify each with the
issuer certificates given, index the revoked serials per issuer once, and say for each
affected certificate what the CRLs prove (RFC 5280):

- **revoked**: an entry of a CRL used whose reasonCode is not certificateHold or
  removeFromCRL. A hold is a suspension, not a revocation (5.3.1); removeFromCRL, in a delta
  CRL, releases a hold (5.2.4). Neither ever counts as revoked.
- **not revoked** at a moment: a CRL used that covers all the certificates of the issuer (no
  issuingDistributionPoint, or one that only limits it to end-entity or to CA certificates)
  is in force at that moment, thisUpdate <= moment <= nextUpdate, and does not list it; or a
  delta CRL in force, applied on top of a base CRL given whose CRL number is at least the
  delta's BaseCRLNumber (5.2.4), lists neither; or such a complete CRL published after the
  moment, while the certificate was unexpired, does not list it (revocation is final, and an
  entry may leave a CRL only once the certificate has expired).
- A CRL naming a distribution point in its issuingDistributionPoint is a partition: it
  covers only the certificates whose cRLDistributionPoints name it (6.3.3 (b)(2)(i)). The
  certificate records do not carry that extension, so a partition proves revocations but
  never that a certificate is not revoked. Nor does a CRL limited by onlySomeReasons.
  Indirect CRLs, whose entries may be other issuers' certificates, are refused.
- A CRL is used when its signature verifies with an issuer certificate given whose subject is
  the CRL's issuer (and whose keyUsage allows cRLSign). A CRL whose issuer no certificate
  given is named for is unverified: not used unless asked for, and then marked unverified.

The index is a dict from serial to revocation date, built in one pass: cryptography's
``get_revoked_certificate_by_serial_number`` scans the whole list on every call, which a
million lookups cannot afford. Entry extensions are read only in a CRL whose bytes hold a
certificateHold or removeFromCRL reasonCode, and otherwise only where they are shown (the
appendix CSV), through a second map built on first use.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import CRLEntryExtensionOID

from ca_incident.errors import CaIncidentError
from ca_incident.sources import SourceLike, as_sources
from ca_incident.timeutil import report_time

HOLD = x509.ReasonFlags.certificate_hold.value
REMOVE = x509.ReasonFlags.remove_from_crl.value
NOT_REVOCATIONS = frozenset((HOLD, REMOVE))
"""Entry reasons that are not a revocation (RFC 5280 5.3.1)."""

_REASON_OID = bytes.fromhex("551d15")
_NOT_REVOCATION_DER = tuple(
    _REASON_OID + critical + bytes.fromhex("04030a01") + code
    for critical in (b"", bytes.fromhex("0101ff"), bytes.fromhex("010100"))
    for code in (b"\x06", b"\x08")
)
"""A reasonCode extension of certificateHold (6) or removeFromCRL (8), as its DER reads: a
CRL without these bytes has no such entry, and its entries' extensions need not be read."""


class Scope(StrEnum):
    """Which of its issuer's certificates a CRL covers: which it can show not revoked."""

    ALL = "all"
    END_ENTITY = "end-entity"
    CA = "ca"
    PARTIAL = "partial"


@dataclass(frozen=True)
class CrlError:
    """A CRL not used, or used with a caveat (``used``)."""

    source: str
    error: str
    used: bool = False
    unverified: bool = False
    """Not used (or used only as asked) because no issuer certificate verifies it."""


@dataclass(frozen=True)
class CrlInfo:
    """One CRL used: where from, whose, when, and what it can prove."""

    source: str
    issuer: str
    this_update: datetime
    next_update: datetime | None
    verified: bool
    scope: Scope
    partial: str | None
    """Why the CRL covers only part of its issuer's certificates, for a partial one."""
    idp: bytes
    """The issuingDistributionPoint, DER (empty without one): CRLs of one scope share it."""
    number: int | None
    """The CRL number."""
    delta_base: int | None
    """For a delta CRL, the BaseCRLNumber of its deltaCRLIndicator; None for a complete CRL."""

    @property
    def delta(self) -> bool:
        return self.delta_base is not None

    def in_force(self, moment: datetime) -> bool:
        """thisUpdate <= moment <= nextUpdate: a CRL without nextUpdate (RFC 5280 requires
        one) is never shown in force."""
        return (
            self.this_update <= moment
            and self.next_update is not None
            and moment <= self.next_update
        )

    def covers(self, ca_certificates: bool) -> bool:
        """Whether the CRL lists every revoked certificate of its issuer of the kind given."""
        return self.scope is Scope.ALL or self.scope is (
            Scope.CA if ca_certificates else Scope.END_ENTITY
        )


@dataclass(frozen=True)
class Coverage:
    """What the CRLs used show, at one moment, of an issuer's certificates they do not list
    as revoked by then."""

    crl: int | None = None
    """The CRL in force at the moment that covers them (a delta, applied on ``base``)."""
    base: int | None = None
    later: datetime | None = None
    """The thisUpdate of the first covering complete CRL published after the moment."""
    later_crl: int | None = None
    why: str = ""
    """Why nothing shows them not revoked, when ``crl`` and ``later`` are None."""

    def shows(self, not_after: datetime | None) -> int | None:
        """The CRL that shows a certificate not listed as revoked to be not revoked, if any:
        the one in force, else a later one published before the certificate expired."""
        if self.crl is not None:
            return self.crl
        if self.later is not None and not_after is not None and not_after > self.later:
            return self.later_crl
        return None


@dataclass(frozen=True)
class Revoked:
    date: datetime


@dataclass
class CrlIndex:
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    """The CRLs used, latest thisUpdate first."""
    info: list[CrlInfo] = field(default_factory=list)
    by_issuer: dict[str, dict[int, datetime]] = field(default_factory=dict)
    """Issuer (RFC 4514) -> serial -> revocation date: all that classifying needs. Only
    revocations: hold and removeFromCRL entries are not here. A serial several CRLs list has
    the date of the earliest CRL listing it."""
    crls_of: dict[str, list[int]] = field(default_factory=dict)
    """Issuer -> the CRLs (partitions, deltas) that list its certificates."""
    errors: list[CrlError] = field(default_factory=list)
    entries: int = 0
    latest_update: dict[str, datetime] = field(default_factory=dict)
    """Issuer -> the latest thisUpdate of its CRLs."""
    first_listed: dict[str, dict[int, tuple[datetime, int]]] = field(default_factory=dict)
    """For an issuer with several CRLs of one scope over time: serial -> the thisUpdate of the
    first CRL listing it revoked, and that scope's number."""
    scope_updates: list[list[datetime]] = field(default_factory=list)
    """Per scope with a history: the thisUpdate of each of its complete CRLs, in order."""
    holds: dict[int, dict[int, str]] = field(default_factory=dict)
    """CRL -> serial -> certificateHold or removeFromCRL, for the CRLs that have such
    entries."""
    unverified: set[str] = field(default_factory=set)
    """Issuers whose CRLs are used without a verified signature (as asked)."""
    unused: set[str] = field(default_factory=set)
    """Issuers of CRLs given but not used (bad signature, unverified, refused)."""
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
        return self.info[self.entry(issuer, serial)[0]].this_update, False

    def lookup(self, issuer: str | None, serial_hex: str | None) -> Revoked | None:
        """The revocation a CRL used shows for a certificate, if any."""
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
        return Revoked(when)

    def entry(self, issuer: str, serial: int) -> tuple[int, x509.RevokedCertificate]:
        """The CRL whose revocation entry ``by_issuer`` holds for the serial (the earliest
        listing it revoked), and the entry. The map from serial to entry is built on first
        use: most work (counting, classifying) needs only dates."""
        positions = self._positions.get(issuer)
        if positions is None:
            positions = {}
            # Latest first, as by_issuer was built: the earliest CRL's entry is kept.
            for number in self.crls_of.get(issuer, []):
                base = number << 32
                held = self.holds.get(number, {})
                positions.update(
                    (e.serial_number, base | i)
                    for i, e in enumerate(self.crls[number])
                    if e.serial_number not in held
                )
            self._positions[issuer] = positions
        packed = positions[serial]
        number = packed >> 32
        return number, self.crls[number][packed & 0xFFFFFFFF]

    def held(self, serial: int, crl: int, base: int | None = None) -> bool:
        """Whether the serial is on hold per the CRL (a delta applied on ``base``)."""
        for number in (crl, base):
            if number is None:
                continue
            reason = self.holds.get(number, {}).get(serial)
            if reason is not None:
                return reason == HOLD
        return False

    def coverage(self, issuer: str, as_of: datetime, *, ca_certificates: bool = False) -> Coverage:
        """What the CRLs used show, at ``as_of``, of the issuer's certificates they do not
        list as revoked by then."""
        numbers = self.crls_of.get(issuer)
        if not numbers:
            if issuer in self.unused:
                return Coverage(why="the CRLs of its issuer given were not used (see the warnings)")
            return Coverage(why="no CRL of its issuer was given")
        complete = [
            n for n in numbers if not self.info[n].delta and self.info[n].covers(ca_certificates)
        ]
        if not complete:
            return Coverage(why=self._partial(numbers, ca_certificates))
        candidates: list[tuple[datetime, int, int | None]] = [
            (self.info[n].this_update, n, None) for n in complete
        ]
        for n in numbers:
            if self.info[n].delta:
                base = self._base(n)
                if base is not None and base in complete:
                    candidates.append((self.info[n].this_update, n, base))
        in_force = [c for c in candidates if self.info[c[1]].in_force(as_of)]
        if in_force:
            _, crl, base = max(in_force, key=lambda c: c[0])
            return Coverage(crl=crl, base=base)
        later = [n for n in complete if self.info[n].this_update > as_of]
        first = min(later, key=lambda n: self.info[n].this_update, default=None)
        latest = self.info[max(complete, key=lambda n: self.info[n].this_update)]
        until = report_time(latest.next_update) if latest.next_update else "none"
        return Coverage(
            later=self.info[first].this_update if first is not None else None,
            later_crl=first,
            why=f"no CRL of its issuer given is in force at {report_time(as_of)} (the latest, "
            f"{latest.source}: thisUpdate {report_time(latest.this_update)}, nextUpdate "
            f"{until})",
        )

    def _partial(self, numbers: list[int], ca_certificates: bool) -> str:
        """Why none of the issuer's CRLs covers all its certificates of the kind given."""
        bases = [self.info[n] for n in numbers if not self.info[n].delta]
        if not bases:
            return "only delta CRLs of its issuer were given, and no base CRL"
        partial = next((info.partial for info in bases if info.partial), None)
        if partial is None:
            other = "end-entity" if ca_certificates else "CA"
            partial = f"they cover only {other} certificates (issuingDistributionPoint)"
        return f"the CRLs of its issuer given are partial: {partial}"

    def _base(self, delta: int) -> int | None:
        """The complete CRL a delta CRL applies on: same issuer and scope, CRL number at least
        the delta's BaseCRLNumber and below the delta's own (RFC 5280 5.2.4); the newest."""
        info = self.info[delta]
        assert info.delta_base is not None
        bases = [
            n
            for n in self.crls_of.get(info.issuer, [])
            if not self.info[n].delta
            and self.info[n].idp == info.idp
            and self.info[n].number is not None
            and info.delta_base <= (self.info[n].number or 0)
            and (info.number is None or (self.info[n].number or 0) < info.number)
        ]
        return max(bases, key=lambda n: self.info[n].number or 0, default=None)


def entry_reason(entry: x509.RevokedCertificate) -> str:
    try:
        extension = entry.extensions.get_extension_for_oid(CRLEntryExtensionOID.CRL_REASON)
    except x509.ExtensionNotFound:
        return "unspecified"
    except Exception:
        return "unreadable"
    value = extension.value
    return value.reason.value if isinstance(value, x509.CRLReason) else "unspecified"


_BEGIN_CRL, _END_CRL = b"-----BEGIN X509 CRL-----", b"-----END X509 CRL-----"


def _pem_blocks(data: bytes) -> list[bytes]:
    """The bodies of the PEM CRL blocks, in linear time: an END is looked for only before the
    next BEGIN, so thousands of BEGIN lines without END lines cost one pass."""
    blocks = []
    begin = data.find(_BEGIN_CRL)
    while begin >= 0:
        body = begin + len(_BEGIN_CRL)
        following = data.find(_BEGIN_CRL, body)
        end = data.find(_END_CRL, body, following if following >= 0 else len(data))
        if end >= 0:
            blocks.append(data[body:end])
        begin = following
    return blocks


def _load(data: bytes, source: str) -> list[tuple[str, x509.CertificateRevocationList, bytes]]:
    if data[:1] == b"\x30":
        # DER: do not scan megabytes of it for PEM markers.
        return [(source, x509.load_der_x509_crl(data), data)]
    blocks = _pem_blocks(data)
    if blocks:
        loaded = []
        for n, block in enumerate(blocks):
            der = binascii.a2b_base64(block)
            name = f"{source}#{n}" if len(blocks) > 1 else source
            loaded.append((name, x509.load_der_x509_crl(der), der))
        return loaded
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


def read_crls(
    crls: Iterable[SourceLike], issuers: Sequence[SourceLike] = (), *, unverified: bool = False
) -> CrlIndex:
    """Index every CRL given (files or bytes) whose signature verifies with an issuer
    certificate given; with ``unverified``, also those no issuer certificate is given for.
    A CRL that cannot be read, does not verify, or is not used is an error naming its file;
    the others are still used."""
    index = CrlIndex()
    keys = _issuer_keys(issuers)
    used: list[tuple[CrlInfo, x509.CertificateRevocationList, bytes]] = []
    for crl_source in as_sources(crls):
        data = crl_source.read_bytes()
        try:
            loaded = _load(data, crl_source.name)
        except (ValueError, binascii.Error) as exc:
            index.errors.append(CrlError(crl_source.name, f"not a readable CRL: {exc}"))
            continue
        for source, crl, der in loaded:
            try:
                issuer = crl.issuer.rfc4514_string()
            except ValueError as exc:
                index.errors.append(CrlError(source, f"unreadable issuer: {exc}"))
                continue
            verified = issuer in keys
            if verified:
                problem = _verify(crl, der, keys[issuer])
                if problem is not None:
                    index.errors.append(CrlError(source, f"{problem}; not used"))
                    index.unused.add(issuer)
                    continue
            else:
                why = _no_issuer_certificate(issuer, bool(keys))
                if not unverified:
                    index.errors.append(CrlError(source, f"{why}; not used", False, True))
                    index.unused.add(issuer)
                    continue
                index.errors.append(CrlError(source, f"{why}; used unverified", True, True))
            try:
                info = _describe(source, issuer, crl, verified)
            except ValueError as exc:
                index.errors.append(CrlError(source, f"{exc}; not used"))
                index.unused.add(issuer)
                continue
            if not verified:
                index.unverified.add(issuer)
            used.append((info, crl, der))
    # Latest first: where several CRLs list a serial, the earliest's entry is written last.
    used.sort(key=lambda item: item[0].this_update, reverse=True)
    for info, crl, der in used:
        try:
            _add(index, info, crl, der)
        except ValueError as exc:
            index.errors.append(CrlError(info.source, f"malformed entries: {exc}"))
    _histories(index)
    for number, info in enumerate(index.info):
        if info.delta and index._base(number) is None:
            index.errors.append(
                CrlError(
                    info.source,
                    f"a delta CRL on base CRL number {info.delta_base}, and no such base CRL "
                    "was given: its revocations are used, but it shows no certificate not "
                    "revoked",
                    used=True,
                )
            )
    return index


def _no_issuer_certificate(issuer: str, any_given: bool) -> str:
    if any_given:
        return f"issued by {issuer}, which matches no issuer certificate given: not verified"
    return f"issued by {issuer}: no issuer certificate given to verify its signature"


def _verify(
    crl: x509.CertificateRevocationList, der: bytes, candidates: list[x509.Certificate]
) -> str | None:
    """Why the CRL is not verified by any of its issuer's certificates given, or None."""
    signers = [c for c in candidates if _verifies(crl, der, c)]
    if not signers:
        issuer = crl.issuer.rfc4514_string()
        return f"signature does not verify with the certificate of {issuer}"
    if not any(_may_sign_crls(c) for c in signers):
        return "its issuer certificate's keyUsage does not allow cRLSign (RFC 5280 6.3.3 (f))"
    return None


def _may_sign_crls(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    except ValueError:
        return False
    return usage.crl_sign


def _describe(
    source: str, issuer: str, crl: x509.CertificateRevocationList, verified: bool
) -> CrlInfo:
    """The CRL's dates, number and scope; ValueError for one that cannot be used."""
    try:
        extensions = crl.extensions
    except ValueError:
        extensions = None
    number = delta_base = None
    scope, partial, idp_der = Scope.ALL, None, b""
    if extensions is None:
        scope, partial, idp_der = Scope.PARTIAL, "its extensions cannot be read", b"unreadable"
    else:
        for extension in extensions:
            value = extension.value
            if isinstance(value, x509.CRLNumber):
                number = value.crl_number
            elif isinstance(value, x509.DeltaCRLIndicator):
                delta_base = value.crl_number
            elif isinstance(value, x509.IssuingDistributionPoint):
                idp_der = value.public_bytes()
                scope, partial = _scope(value)
    return CrlInfo(
        source,
        issuer,
        crl.last_update_utc,
        crl.next_update_utc,
        verified,
        scope,
        partial,
        idp_der,
        number,
        delta_base,
    )


def _scope(idp: x509.IssuingDistributionPoint) -> tuple[Scope, str | None]:
    if idp.indirect_crl:
        raise ValueError(
            "an indirect CRL (its entries may be other issuers' certificates) is not supported"
        )
    if idp.full_name or idp.relative_name:
        return Scope.PARTIAL, (
            "a CRL naming a distribution point (a partition) covers only the certificates "
            "whose cRLDistributionPoints name it, which is not checked"
        )
    if idp.only_some_reasons:
        return Scope.PARTIAL, "a CRL limited to some reasons (onlySomeReasons)"
    if idp.only_contains_attribute_certs:
        return Scope.PARTIAL, "a CRL of attribute certificates only"
    if idp.only_contains_user_certs:
        return Scope.END_ENTITY, None
    if idp.only_contains_ca_certs:
        return Scope.CA, None
    return Scope.ALL, None


def _histories(index: CrlIndex) -> None:
    """For each scope published more than once: the first CRL listing each serial revoked,
    and the thisUpdate of each complete CRL (a delta lists only changes since its base, so
    a delta not listing an entry does not show it omitted)."""
    for (issuer, _), numbers in index._scopes.items():
        if len(numbers) < 2:
            continue
        ordered = sorted(numbers, key=lambda n: index.info[n].this_update)
        scope = len(index.scope_updates)
        index.scope_updates.append(
            [index.info[n].this_update for n in ordered if not index.info[n].delta]
        )
        listed = index.first_listed.setdefault(issuer, {})
        for number in ordered:
            update = index.info[number].this_update
            held = index.holds.get(number, {})
            for entry in index.crls[number]:
                if entry.serial_number not in held:
                    listed.setdefault(entry.serial_number, (update, scope))


def _verifies(crl: x509.CertificateRevocationList, der: bytes, issuer: x509.Certificate) -> bool:
    """Whether the issuer's key verifies the signature over the CRL's TBS bytes as given.
    cryptography's ``is_signature_valid`` re-encodes the TBS from its parsed entries, which
    takes longer than reading a million-entry CRL: the signed bytes are sliced instead."""
    tbs = _tbs(der)
    try:
        key = issuer.public_key()
        if tbs is None:
            return crl.is_signature_valid(key)  # type: ignore[arg-type]
        signature, parameters = crl.signature, crl.signature_algorithm_parameters
        digest = crl.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            if not isinstance(parameters, padding.PKCS1v15 | padding.PSS) or digest is None:
                return False
            key.verify(signature, tbs, parameters, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(parameters, ec.ECDSA):
                return False
            key.verify(signature, tbs, parameters)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, tbs)
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None:
            key.verify(signature, tbs, digest)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError):
        return False
    return True


def _tbs(der: bytes) -> bytes | None:
    """The DER of a CRL's tbsCertList, the first element of its outer SEQUENCE; None if the
    bytes do not read as DER."""
    outer = _header(der, 0)
    if outer is None or der[0] != 0x30:
        return None
    start = outer[0]
    inner = _header(der, start)
    if inner is None or der[start] != 0x30:
        return None
    body, length = inner
    end = body + length
    return der[start:end] if end <= len(der) else None


def _header(der: bytes, at: int) -> tuple[int, int] | None:
    """Where the content of the TLV at ``at`` starts, and its length."""
    if at + 2 > len(der):
        return None
    length, content = der[at + 1], at + 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 8 or content + size > len(der):
            return None
        length, content = int.from_bytes(der[content : content + size], "big"), content + size
    return content, length


def _add(index: CrlIndex, info: CrlInfo, crl: x509.CertificateRevocationList, der: bytes) -> None:
    issuer = info.issuer
    serials = index.by_issuer.setdefault(issuer, {})
    before = len(serials)
    number = len(index.crls)
    if any(pattern in der for pattern in _NOT_REVOCATION_DER):
        holds: dict[int, str] = {}
        revocations = []
        for entry in crl:
            reason = entry_reason(entry)
            if reason in NOT_REVOCATIONS:
                holds[entry.serial_number] = reason
            else:
                revocations.append((entry.serial_number, entry.revocation_date_utc))
        serials.update(revocations)
        if holds:
            index.holds[number] = holds
    else:
        serials.update((entry.serial_number, entry.revocation_date_utc) for entry in crl)
    index.crls_of.setdefault(issuer, []).append(number)
    index._scopes.setdefault((issuer, info.idp), []).append(number)
    if issuer not in index.latest_update or info.this_update > index.latest_update[issuer]:
        index.latest_update[issuer] = info.this_update
    index.crls.append(crl)
    index.info.append(info)
    index.entries += len(serials) - before
