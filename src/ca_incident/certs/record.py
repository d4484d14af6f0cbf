"""One certificate as the incident report needs it, read so that nothing is ever lost.

``cryptography`` loads the certificate and reads its fields; where it refuses a certificate or
a field (malformed names, extensions, dates — incidents are about broken certificates),
``asn1crypto`` reads it leniently and the record says what could not be read by whom. The
SHA-256 of the exact DER never fails, so even a certificate nothing can parse is counted and
listed.

Counting (``listing`` false) reads the five extension fields it needs (SAN names, policies,
EKU, poison, SCT list) by one walk over the TBS in strict DER, without cryptography building
an object for every extension, and leaves anything not plain (a long-form length where a
short one fits, a repeated extension, a SAN name of another kind) to cryptography as above.
It gives the same fields as reading everything; only the notes on malformed extensions it
does not need (an authority key identifier, an SCT list) are left to a listing.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

POISON_OID = "1.3.6.1.4.1.11129.2.4.3"
"""RFC 6962 precertificate poison: a critical extension marks a precertificate."""
SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"
AKI_OID = "2.5.29.35"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4"

TLS_TYPES = {
    "2.23.140.1.2.1": "DV",
    "2.23.140.1.2.2": "OV",
    "2.23.140.1.2.3": "IV",
    "2.23.140.1.1": "EV",
}
SMIME_LEVELS = {
    "1": "mailbox-validated",
    "2": "organization-validated",
    "3": "sponsor-validated",
    "4": "individual-validated",
}
SMIME_GENERATIONS = {"1": "legacy", "2": "multipurpose", "3": "strict"}
SMIME_PREFIX = "2.23.140.1.5."


@contextmanager
def lenient_parsing() -> Iterator[None]:
    """Silence, while certificates are read, what cryptography warns of rather than refuses:
    attribute lengths outside the X.520 bounds and non-positive serials. The values are still
    read, and such certificates are what incidents are about. Scoped so that a program using
    ca-incident as a library keeps its own warning filters."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Attribute's length must be", category=UserWarning
        )
        warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive")
        yield


_SHA256 = hashlib.sha256
_SAN = ExtensionOID.SUBJECT_ALTERNATIVE_NAME
_POLICIES = ExtensionOID.CERTIFICATE_POLICIES
_EKU = ExtensionOID.EXTENDED_KEY_USAGE
_POISON = ExtensionOID.PRECERT_POISON
_SCTS = ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS

_POISON_DER = bytes.fromhex("060a2b06010401d679020403")
_SCT_DER = bytes.fromhex("060a2b06010401d679020402")
_AKI_DER = bytes.fromhex("0603551d23")


@dataclass(slots=True)
class CertRecord:
    """What the report and its appendix need of one certificate."""

    sha256: str
    """SHA-256 of the exact DER, lowercase hex. Always known."""
    serial: str | None = None
    """Serial number, lowercase hex."""
    issuer: str | None = None
    """Issuer, RFC 4514."""
    subject: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    dns_names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    """rfc822Name SANs and subject emailAddress: personal data in S/MIME certificates."""
    policy_oids: tuple[str, ...] = ()
    eku: tuple[str, ...] = ()
    kind: str = "unknown"
    """tls, smime, other, or unknown when the certificate could not be read."""
    validation_type: str | None = None
    """DV, OV, IV, EV; or the S/MIME level and generation, e.g. ``mailbox-validated strict``."""
    precertificate: bool = False
    has_sct_list: bool = False
    precert_sha256: str | None = None
    """SHA-256 of this certificate's precertificate, when it is among the inputs."""
    pair_key: bytes | None = None
    """Digest of the TBS without poison and SCT list: equal for a precertificate and its
    certificate issued by the same CA."""
    errors: list[str] = field(default_factory=list)
    """What could not be read, and by which library."""
    fatal: str | None = None
    """Set when nothing could parse the certificate: only its SHA-256 is known."""
    source: str = ""
    index: int = 0
    line: int = 0
    """The line of its source a problem around it is on (a PEM block without its END line, a
    cut base64 line), 1-based; 0 when there is none, or no line to name."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Records cross from worker processes in bulk: a plain tuple pickles in C, the
        # dataclass's own state methods in Python.
        return (CertRecord, tuple(getattr(self, name) for name in _FIELDS))


_FIELDS = tuple(CertRecord.__dataclass_fields__)


def from_fingerprint(sha256: str, source: str, index: int) -> CertRecord:
    """A certificate known only by its SHA-256 (hash lists, crt.sh links)."""
    return CertRecord(sha256=sha256, source=source, index=index)


def read_certificate(
    der: bytes, source: str = "", index: int = 0, *, listing: bool = True
) -> CertRecord:
    """Read one DER certificate; never raises.

    ``listing`` (the default): read for a listing or an appendix, every field, and every
    extension through cryptography, so that each malformed one is noted in ``errors``.
    ``listing`` false: read for counting, which needs neither the subject nor the S/MIME
    e-mail addresses, and whose extension fields come from one walk over the DER (see the
    module's notes); every counted field is the same either way."""
    record = CertRecord(_SHA256(der).hexdigest(), source=source, index=index)
    try:
        certificate = x509.load_der_x509_certificate(der)
    except Exception as exc:
        record.errors.append(f"cryptography: {exc}")
        _read_leniently(der, record, all_fields=True)
        return record
    _read_with_cryptography(certificate, der, record, listing)
    return record


def _read_with_cryptography(
    c: x509.Certificate, der: bytes, record: CertRecord, listing: bool = True
) -> None:
    # This runs for every certificate: the common path is kept flat and allocation-free.
    failed: list[str] = []
    try:
        serial = c.serial_number
        record.serial = format(serial, "x")
        if serial <= 0:
            record.errors.append("serial: not positive, which RFC 5280 forbids")
    except Exception as exc:
        failed.append("serial")
        record.errors.append(f"serial: cryptography: {exc}")
    index = _tbs_index(der)
    try:
        record.issuer = _issuer_string(c, None if index is None else index[1])
    except Exception as exc:
        failed.append("issuer")
        record.errors.append(f"issuer: cryptography: {exc}")
    subject = None
    try:
        if listing:
            subject = c.subject
            record.subject = subject.rfc4514_string()
    except Exception as exc:
        failed.append("subject")
        record.errors.append(f"subject: cryptography: {exc}")
    try:
        record.not_before = c.not_valid_before_utc
        record.not_after = c.not_valid_after_utc
    except Exception as exc:
        failed.append("validity")
        record.errors.append(f"validity: cryptography: {exc}")
    names = None
    san_emails: tuple[str, ...] = ()
    indexed = None if listing or index is None else _indexed_extensions(index[2])
    if indexed is not None:
        (
            record.dns_names,
            san_emails,
            record.policy_oids,
            record.eku,
            record.precertificate,
            record.has_sct_list,
        ) = indexed
    else:
        try:
            extensions = c.extensions
        except Exception as exc:
            failed.append("extensions")
            record.errors.append(f"extensions: cryptography: {exc}")
        else:
            names = _read_extensions(extensions, record)
    if failed:
        _read_leniently(der, record, all_fields=False, only=failed)
    _classify(record, der)
    if record.kind == "smime" and listing:
        # Personal data matters only where S/MIME redaction does; not read for the rest.
        emails = list(record.emails)
        if subject is not None:
            emails += [str(a.value) for a in subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
        if names is not None:
            emails += names.get_values_for_type(x509.RFC822Name)
        emails += san_emails
        record.emails = tuple(emails)
    record.pair_key = _pair_key(c, der, record, None if index is None else index[0])


def _read_extensions(
    extensions: x509.Extensions, record: CertRecord
) -> x509.SubjectAlternativeName | None:
    """The fields the report needs, from extensions cryptography has parsed; the SAN."""
    names = None
    for extension in extensions:
        oid = extension.oid
        if oid == _SAN:
            names = extension.value
            record.dns_names = tuple(names.get_values_for_type(x509.DNSName))
        elif oid == _POLICIES:
            record.policy_oids = tuple(p.policy_identifier.dotted_string for p in extension.value)
        elif oid == _EKU:
            record.eku = tuple(u.dotted_string for u in extension.value)
        elif oid == _POISON:
            record.precertificate = True
        elif oid == _SCTS:
            record.has_sct_list = True
    return names


class _NotPlain(Exception):
    """The DER is not in the plain shape the fast read takes: cryptography reads it."""


def _tlv_at(der: bytes, at: int, end: int) -> tuple[int, int, int]:
    """Tag, content start and content end of the TLV at ``at``, in strict DER (low tag
    numbers, minimal definite lengths) and within ``end``; else :class:`_NotPlain`."""
    if at + 2 > end:
        raise _NotPlain
    tag = der[at]
    first = der[at + 1]
    if tag & 0x1F == 0x1F:
        raise _NotPlain
    if first < 0x80:
        start = at + 2
        stop = start + first
    else:
        count = first & 0x7F
        start = at + 2 + count
        if count == 0 or count > 4 or start > end or der[at + 2] == 0:
            raise _NotPlain
        length = int.from_bytes(der[at + 2 : start], "big")
        if length < 0x80:
            raise _NotPlain
        stop = start + length
    if stop > end:
        raise _NotPlain
    return tag, start, stop


Extensions = dict[bytes, bytes]
"""Each extension's value (the OCTET STRING's contents) by its OID (contents octets)."""


def _tbs_index(der: bytes) -> tuple[bytes, bytes, Extensions] | None:
    """The TBSCertificate, the issuer name and the extensions, sliced from the DER of a
    certificate cryptography has loaded; None when anything is not plain DER (then
    cryptography reads it all), or an extension repeats.

    One walk over the TBS does what the report needs of it: the issuer's bytes key the
    issuer-name cache, the TBS's digest pairs a certificate with its precertificate, and
    the extensions give five fields. cryptography's ``extensions`` builds a Python object
    for every extension and every name in it: the largest part of reading a certificate.
    Short lengths are read inline: this runs for every certificate.
    """
    tlv_at = _tlv_at
    try:
        _, tbs_start, end = tlv_at(der, 0, len(der))
        _, at, end = tlv_at(der, tbs_start, end)
        tbs = der[tbs_start:end]
        child = 0
        issuer = b""
        issuer_at = 3 if der[at] == 0xA0 else 2
        while at < end:
            tag = der[at]
            length = der[at + 1]
            if length < 0x80 and tag & 0x1F != 0x1F:
                start, stop = at + 2, at + 2 + length
                if stop > end:
                    return None
            else:
                tag, start, stop = tlv_at(der, at, end)
            if child == issuer_at:
                issuer = der[at:stop]
            child += 1
            if tag == 0xA3:
                break
            at = stop
        else:
            return (tbs, issuer, {}) if issuer else None
        tag, at, end = tlv_at(der, start, stop)
        if tag != 0x30 or end != stop or not issuer:
            return None
        values: Extensions = {}
        while at < end:
            # Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue
            # OCTET STRING }; an OID is short, so its length byte is read inline.
            if der[at] != 0x30:
                return None
            length = der[at + 1]
            if length < 0x80:
                start, stop = at + 2, at + 2 + length
                if stop > end:
                    return None
            else:
                _, start, stop = tlv_at(der, at, end)
            oid_stop = start + 2 + der[start + 1]
            if der[start] != 0x06 or der[start + 1] >= 0x80 or oid_stop > stop:
                return None
            at = oid_stop
            if der[at] == 0x01:  # critical: DER encodes only TRUE, as 01 01 FF
                if der[at : at + 3] != b"\x01\x01\xff":
                    return None
                at += 3
            # The value is an OCTET STRING that ends the extension.
            if der[at] != 0x04:
                return None
            if der[at + 1] == stop - at - 2:
                value_start = at + 2
            else:
                tag, value_start, value_stop = tlv_at(der, at, stop)
                if value_stop != stop:
                    return None
            oid = der[start + 2 : oid_stop]
            if oid in values:
                return None  # a repeated extension: cryptography says so
            values[oid] = der[value_start:stop]
            at = stop
    except (_NotPlain, IndexError):
        return None
    return tbs, issuer, values


_SAN_OID = bytes.fromhex("551d11")
_POLICIES_OID = bytes.fromhex("551d20")
_EKU_OID = bytes.fromhex("551d25")
_POISON_OID = _POISON_DER[2:]
_SCT_OID = _SCT_DER[2:]


def _oid_list(values: Extensions, oid: bytes) -> tuple[str, ...] | None:
    """The OIDs of the certificatePolicies or extKeyUsage extension, none without it; None
    when it is not strict DER, and cryptography reads the certificate."""
    value = values.get(oid)
    return () if value is None else _parsed_oids(oid, value)


@lru_cache(maxsize=4096)
def _parsed_oids(oid: bytes, value: bytes) -> tuple[str, ...] | None:
    """An extension value's OIDs in strict DER (asn1crypto, which the lenient reading uses
    too). A function of the bytes alone, cached: an incident's certificates share a few."""
    try:
        if oid == _EKU_OID:
            return tuple(u.dotted for u in asn1_x509.ExtKeyUsageSyntax.load(value, strict=True))
        policies = asn1_x509.CertificatePolicies.load(value, strict=True)
        return tuple(p["policy_identifier"].dotted for p in policies)
    except Exception:
        return None


Indexed = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool]
"""DNS names, SAN e-mail addresses, policy OIDs, EKU OIDs, precertificate, SCT list."""


def _indexed_extensions(values: Extensions) -> Indexed | None:
    """The extension fields the report needs, without cryptography's ``extensions``: SAN
    names read from the DER (plain ASCII dNSName and rfc822Name entries, IP addresses
    skipped); policies and EKU by their OIDs. None when anything is unusual: then
    cryptography reads the extensions. Whether it applies, and what it reads, depends on the
    certificate's bytes alone, so a certificate reads the same in any order or process."""
    dns: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    value = values.get(_SAN_OID)
    if value is not None:
        names = _san_names(value)
        if names is None:
            return None
        dns, emails = names
    policies = _oid_list(values, _POLICIES_OID)
    eku = _oid_list(values, _EKU_OID)
    if policies is None or eku is None:
        return None
    poison = values.get(_POISON_OID)
    if poison is not None and poison != b"\x05\x00":
        return None
    return dns, emails, policies, eku, poison is not None, _SCT_OID in values


def _san_names(value: bytes) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """dNSName and rfc822Name entries of a SAN in plain DER; None for any other kind of name
    but an IP address of 4 or 16 bytes, or a name that is not ASCII."""
    try:
        tag, at, end = _tlv_at(value, 0, len(value))
    except _NotPlain:
        return None
    if tag != 0x30 or end != len(value):
        return None
    dns: list[str] = []
    emails: list[str] = []
    while at < end:
        try:
            tag, start, stop = _tlv_at(value, at, end)
        except _NotPlain:
            return None
        if tag in (0x82, 0x81):
            text = value[start:stop]
            if not text.isascii():
                return None
            (dns if tag == 0x82 else emails).append(text.decode("ascii"))
        elif tag != 0x87 or stop - start not in (4, 16):
            return None
        at = stop
    return tuple(dns), tuple(emails)


_ISSUER_NAMES: dict[bytes, str] = {}
_ISSUER_CACHE_SIZE = 4096


def _issuer_string(c: x509.Certificate, key: bytes | None) -> str:
    """The issuer in RFC 4514, built once per distinct issuer.

    An incident's certificates come from a handful of issuing CAs, and building the string
    is one of the costliest reads; the issuer's DER, sliced from the TBS, is the cache key
    (``key``; None where the TBS is not plain DER, and the string is built each time).
    """
    if key is None:
        return c.issuer.rfc4514_string()
    name = _ISSUER_NAMES.get(key)
    if name is None:
        if len(_ISSUER_NAMES) >= _ISSUER_CACHE_SIZE:
            _ISSUER_NAMES.clear()
        name = _ISSUER_NAMES[key] = c.issuer.rfc4514_string()
    return name


def _pair_key(
    c: x509.Certificate, der: bytes, record: CertRecord, tbs: bytes | None = None
) -> bytes | None:
    """The digest that pairs a certificate with its precertificate; ``tbs`` when known."""
    try:
        if record.precertificate:
            return hashlib.sha256(
                tbs_without(c.tbs_certificate_bytes, {_POISON_DER, _SCT_DER})
            ).digest()
        if record.has_sct_list:
            return hashlib.sha256(c.tbs_precertificate_bytes).digest()
        return _SHA256(tbs_of(der) if tbs is None else tbs).digest()
    except Exception as exc:
        record.errors.append(f"pairing: {exc}")
        return None


def tbs_of(der: bytes) -> bytes:
    """The TBSCertificate as it lies in the DER, found from the two outer headers.

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }: the TBS is the
    first element. Reading two DER headers is much cheaper than having cryptography encode
    the TBS again, and this runs for every certificate.
    """
    try:
        start = _header_length(der, 0)
        end = start + _tlv_length(der, start)
    except IndexError:
        raise ValueError("too short to hold a TBSCertificate") from None
    if end > len(der):
        raise ValueError("the TBSCertificate runs past the end of the certificate")
    return der[start:end]


def _tlv_length(der: bytes, at: int) -> int:
    """Header plus content length of the TLV at ``at``."""
    return _header_length(der, at) + _content_length(der, at)


def _header_length(der: bytes, at: int) -> int:
    first = der[at + 1]
    return 2 if first < 0x80 else 2 + (first & 0x7F)


def _content_length(der: bytes, at: int) -> int:
    first = der[at + 1]
    if first < 0x80:
        return first
    count = first & 0x7F
    return int.from_bytes(der[at + 2 : at + 2 + count], "big")


def _children(content: bytes) -> list[bytes]:
    parts, position = [], 0
    while position < len(content):
        _, end = asn1_parser._parse(content, len(content), position)
        parts.append(content[position:end])
        position = end
    return parts


def _tlv(tag: bytes, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return tag + bytes([length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return tag + bytes([0x80 | len(encoded)]) + encoded + content


def tbs_without(tbs: bytes, extension_oids: set[bytes], *, drop_issuer: bool = False) -> bytes:
    """The TBSCertificate with the named extensions removed (their OIDs as DER), re-encoded.

    With ``drop_issuer`` the signature algorithm and issuer are removed as well: what stays
    equal between a precertificate from a Precertificate Signing CA and its certificate
    (RFC 6962 section 3.2 replaces issuer and authority key identifier).
    """
    _, _, _, _, content, _ = asn1_parser.parse(tbs)
    parts = _children(content)
    offset = 1 if parts and parts[0][:1] == b"\xa0" else 0
    kept: list[bytes] = []
    for position, part in enumerate(parts):
        if drop_issuer and position in (offset + 1, offset + 2):
            continue
        if part[:1] == b"\xa3":
            _, _, _, _, wrapper, _ = asn1_parser.parse(part)
            _, _, _, _, sequence, _ = asn1_parser.parse(wrapper)
            extensions = [
                e
                for e in _children(sequence)
                if not any(_extension_is(e, oid) for oid in extension_oids)
            ]
            part = _tlv(b"\xa3", _tlv(b"\x30", b"".join(extensions)))
        kept.append(part)
    return _tlv(b"\x30", b"".join(kept))


def _extension_is(extension: bytes, oid_der: bytes) -> bool:
    # An Extension is SEQUENCE { extnID OID, ... }: the OID follows the 2-4 byte header.
    head = extension[: 6 + len(oid_der)]
    return oid_der in head


def signing_ca_key(der: bytes) -> bytes | None:
    """Pairing key across a Precertificate Signing CA: the TBS without poison, SCT list,
    signature algorithm, issuer and authority key identifier."""
    try:
        return hashlib.sha256(
            tbs_without(tbs_of(der), {_POISON_DER, _SCT_DER, _AKI_DER}, drop_issuer=True)
        ).digest()
    except ValueError:
        return None


def _read_leniently(
    der: bytes, record: CertRecord, *, all_fields: bool, only: list[str] | None = None
) -> None:
    """Fill what cryptography could not read from asn1crypto, field by field."""
    try:
        tbs = asn1_x509.Certificate.load(der)["tbs_certificate"]
    except Exception as exc:
        _lenient_failed(record, all_fields, f"{exc}".splitlines()[0])
        return
    wanted = only or ["serial", "issuer", "subject", "validity", "extensions"]
    read = 0
    for name in wanted:
        try:
            _LENIENT_READERS[name](tbs, record)
            read += 1
        except Exception as exc:
            record.errors.append(f"{name}: asn1crypto: {str(exc).splitlines()[0]}")
    if all_fields:
        if read == 0:
            _lenient_failed(record, True, "no field could be read")
            return
        record.errors.append("read with asn1crypto")
        _classify(record, der)
        record.pair_key = _lenient_pair_key(der, record)


def _lenient_failed(record: CertRecord, all_fields: bool, why: str) -> None:
    if all_fields:
        record.fatal = f"cannot be parsed: cryptography and asn1crypto both refuse it ({why})"
        record.kind = "unknown"
    else:
        record.errors.append(f"asn1crypto: {why}")


def _lenient_pair_key(der: bytes, record: CertRecord) -> bytes | None:
    try:
        drop = {_POISON_DER, _SCT_DER}
        return hashlib.sha256(tbs_without(tbs_of(der), drop)).digest()
    except ValueError:
        return None


def _lenient_serial(tbs: Any, record: CertRecord) -> None:
    record.serial = format(int(tbs["serial_number"].native), "x")


def _name_string(name: Any) -> str:
    """RFC 4514 through cryptography where it accepts the attributes, else asn1crypto's."""
    try:
        rdns = [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(
                        x509.ObjectIdentifier(a["type"].dotted), str(a["value"].native)
                    )
                    for a in rdn
                ]
            )
            for rdn in name.chosen
        ]
        return x509.Name(rdns).rfc4514_string()
    except (ValueError, TypeError, AttributeError):
        return str(name.human_friendly)


def _lenient_issuer(tbs: Any, record: CertRecord) -> None:
    record.issuer = _name_string(tbs["issuer"])


def _lenient_subject(tbs: Any, record: CertRecord) -> None:
    record.subject = _name_string(tbs["subject"])


def _lenient_validity(tbs: Any, record: CertRecord) -> None:
    validity = tbs["validity"]
    record.not_before = _utc(validity["not_before"].native)
    record.not_after = _utc(validity["not_after"].native)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lenient_extensions(tbs: Any, record: CertRecord) -> None:
    emails = list(record.emails)
    for extension in tbs["extensions"]:
        oid = extension["extn_id"].dotted
        if oid == POISON_OID:
            record.precertificate = True
        elif oid == SCT_LIST_OID:
            record.has_sct_list = True
        elif oid == "2.5.29.17":
            for general_name in extension["extn_value"].parsed:
                if general_name.name == "dns_name":
                    record.dns_names += (str(general_name.native),)
                elif general_name.name == "rfc822_name":
                    emails.append(str(general_name.native))
        elif oid == "2.5.29.32":
            record.policy_oids = tuple(
                p["policy_identifier"].dotted for p in extension["extn_value"].parsed
            )
        elif oid == "2.5.29.37":
            record.eku = tuple(u.dotted for u in extension["extn_value"].parsed)
    record.emails = tuple(emails)


_LENIENT_READERS = {
    "serial": _lenient_serial,
    "issuer": _lenient_issuer,
    "subject": _lenient_subject,
    "validity": _lenient_validity,
    "extensions": _lenient_extensions,
}


_EMAIL_PROTECTION_DER = bytes.fromhex("06082b06010505070304")
"""The emailProtection EKU's OID, tag and length included."""
_SMIME_ARC_DER = bytes.fromhex("67810c0105")
"""The content octets that start every S/MIME BR policy OID (2.23.140.1.5)."""


def _classify(record: CertRecord, der: bytes = b"") -> None:
    """Kind and validation type from the CA/B Forum policy OIDs and the EKU.

    S/MIME wins: a certificate with any S/MIME policy OID or the emailProtection EKU, in the
    fields read or anywhere in its DER (a malformed extension can stop the fields after it
    from being read), carries personal data and is S/MIME for disclosure, whatever other
    policies it lists first. Otherwise a TLS policy OID gives TLS and its validation type,
    then serverAuth TLS, and anything else is "other".
    """
    smime_policy = None
    for oid in record.policy_oids:
        if oid.startswith(SMIME_PREFIX):
            smime_policy = oid
            break
    if (
        smime_policy is not None
        or EMAIL_PROTECTION in record.eku
        or _EMAIL_PROTECTION_DER in der
        or _SMIME_ARC_DER in der
    ):
        record.kind = "smime"
        record.validation_type = _smime_type(smime_policy) if smime_policy else None
        return
    for oid in record.policy_oids:
        tls_type = TLS_TYPES.get(oid)
        if tls_type is not None:
            record.kind, record.validation_type = "tls", tls_type
            return
    record.kind = "tls" if SERVER_AUTH in record.eku else "other"


def _smime_type(oid: str) -> str:
    """``mailbox-validated strict`` for 2.23.140.1.5.1.3: the level and the generation."""
    parts = oid[len(SMIME_PREFIX) :].split(".")
    level = SMIME_LEVELS.get(parts[0], "unknown level")
    generation = SMIME_GENERATIONS.get(parts[1], "") if len(parts) > 1 else ""
    return f"{level} {generation}".strip()
