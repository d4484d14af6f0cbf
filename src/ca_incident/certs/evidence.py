"""From the affected certificates of one problem to the figures a report states.

Certificates stream through: each is read (in worker processes with ``jobs`` > 1), counted
into the aggregates, and forgotten unless a listing is wanted. What pairing needs stays: a
digest per certificate, and the precertificates. A precertificate and its certificate count
once (IRG 3.2: the certificate is the unit); a precertificate whose certificate is not among
the inputs is counted apart, in ``precertificates_only``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import cast

from ca_incident.certs import tasks
from ca_incident.certs.read import MAX_BYTES, Item, iter_source
from ca_incident.certs.record import (
    CertRecord,
    from_fingerprint,
    lenient_parsing,
    read_certificate,
    signing_ca_key,
)
from ca_incident.sources import SourceLike, as_sources
from ca_incident.timeutil import require_aware

KINDS = ("tls", "smime", "other", "unknown")


@dataclass(frozen=True, slots=True)
class ReadError:
    """An input that is not a readable certificate: still counted where it has a hash."""

    source: str
    index: int
    sha256: str | None
    error: str


@dataclass
class Summary:
    """The figures of one problem."""

    name: str
    count: int = 0
    """Certificates; a precertificate and its certificate count once."""
    precertificates_only: int = 0
    """Precertificates whose certificate is not among the inputs."""
    paired: int = 0
    """Certificates whose precertificate is among the inputs."""
    via_signing_ca: int = 0
    """Pairs whose precertificate a Precertificate Signing CA issued."""
    first_not_before: datetime | None = None
    last_not_before: datetime | None = None
    remaining_valid: int = 0
    """Not expired at ``as_of`` (and, once revocation data is given, not revoked)."""
    validity_unknown: int = 0
    """Certificates whose expiry is unknown (known by SHA-256 only, or unparseable): neither
    remaining valid nor expired, as far as anything shows."""
    expired: int = 0
    duplicates: int = 0
    """Inputs dropped because the same DER was already counted."""
    fingerprints_only: int = 0
    """Certificates known only by their SHA-256: counted, their other fields unknown. The same
    SHA-256 among the parsed inputs is that certificate, not another one."""
    unreadable: int = 0
    """Certificates nothing could parse: counted and listed by SHA-256."""
    kinds: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    as_of: datetime | None = None

    def note_issued(self, not_before: datetime | None) -> None:
        if not_before is None:
            return
        if self.first_not_before is None or not_before < self.first_not_before:
            self.first_not_before = not_before
        if self.last_not_before is None or not_before > self.last_not_before:
            self.last_not_before = not_before

    @property
    def type_names(self) -> list[str]:
        return sorted(self.types)


@dataclass
class Evidence:
    """A problem's summary, its read errors, and (when asked for) every certificate."""

    summary: Summary
    errors: list[ReadError] = field(default_factory=list)
    warnings: list[ReadError] = field(default_factory=list)
    """Certificates read and counted, with something wrong around them: a PEM block without
    its END line, bytes after a DER certificate."""
    certificates: list[CertRecord] | None = None
    """Counted certificates, then unpaired precertificates; only with ``keep=True``."""


Light = tuple[
    str, str | None, str | None, bytes | None, datetime | None, datetime | None, str, str | None
]
"""What counting and pairing read of an ordinary certificate: sha256, issuer, serial,
pair_key, not_before, not_after, kind, validation_type."""


def _light(record: CertRecord) -> Light:
    return (
        record.sha256,
        record.issuer,
        record.serial,
        record.pair_key,
        record.not_before,
        record.not_after,
        record.kind,
        record.validation_type,
    )


Result = CertRecord | Light | Item
"""A certificate read (a record, or a light tuple), or an item that is not a certificate."""


def _task_results(task: tasks.Task, keep: bool) -> tuple[Iterator[Result], int]:
    items, newlines = tasks.run(task)

    def results() -> Iterator[Result]:
        with lenient_parsing():
            for item in items:
                if item.der is not None:
                    record = read_certificate(item.der, item.source, item.index)
                    if item.error is not None:
                        # Read, but with something wrong around it (a cut, trailing bytes).
                        where = f"line {item.line}: " if item.line else ""
                        note = f"{_AROUND}{where}{item.error}"
                        record.errors.insert(0, note)
                        if record.fatal is not None:
                            record.fatal = f"{note}; {record.fatal}"
                    whole = (
                        keep
                        or record.precertificate
                        or record.fatal is not None
                        or item.error is not None
                    )
                    yield record if whole else _light(record)
                elif item.sha256 is not None:
                    yield from_fingerprint(item.sha256, item.source, item.index)
                else:
                    yield item

    return results(), newlines


def _run_task(task: tasks.Task, keep: bool) -> tuple[list[Result], int]:
    """Read and parse one task in a worker process: only records travel back."""
    results, newlines = _task_results(task, keep)
    return list(results), newlines


def stream_records(
    paths: Sequence[SourceLike],
    jobs: int = 1,
    errors: list[ReadError] | None = None,
    keep: bool = True,
    max_bytes: int = MAX_BYTES,
) -> Iterator[CertRecord | Light]:
    """Records of every certificate in ``paths``, in input order; items that are not
    certificates go to ``errors``. With ``keep`` false, ordinary certificates may come as
    :data:`Light` tuples.

    Reading is split into tasks (files, or ranges of large files) that ``jobs`` worker
    processes read and parse whole; with one job they run here, streaming.
    """
    sink = errors if errors is not None else []
    outcomes: Iterator[tuple[tasks.Task, tuple[Iterable[Result], int]]] = tasks.run_tasks(
        tasks.plan(paths, max_bytes=max_bytes),
        partial(_task_results, keep=keep),
        partial(_run_task, keep=keep),
        jobs,
    )
    yield from _merge(outcomes, sink)


def _merge(
    outcomes: Iterator[tuple[tasks.Task, tuple[Iterable[Result], int]]], sink: list[ReadError]
) -> Iterator[CertRecord | Light]:
    for result, position in tasks.in_file_order(outcomes):
        if type(result) is tuple:  # a Light; an Item is a tuple subclass
            yield cast(Light, result)
        elif isinstance(result, CertRecord):
            result.index += position.index
            yield result
        else:
            assert isinstance(result, Item)
            item = tasks.place(result, position)
            sink.append(ReadError(item.source, item.index, None, item.message or "unreadable"))


def collect(
    paths: Sequence[SourceLike],
    name: str = "certificates",
    *,
    as_of: datetime,
    jobs: int = 1,
    keep: bool = False,
    is_revoked: Callable[[CertRecord], bool] | None = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int = MAX_BYTES,
) -> Evidence:
    """Read, deduplicate, pair and count the certificates of one problem.

    ``progress`` is called with the number of certificates read so far, every 1,000.
    """
    require_aware(as_of)
    summary = Summary(name=name, as_of=as_of)
    evidence = Evidence(summary=summary, certificates=[] if keep else None)
    seen: set[str] = set()
    hashes: dict[str, CertRecord | None] = {}
    """Certificates known by SHA-256 only, counted at the end unless parsed meanwhile."""
    final_keys: dict[tuple[str | None, str | None, bytes | None], CertRecord | None] = {}
    final_serials: set[str] = set()
    precertificates: list[CertRecord] = []

    records = stream_records(paths, jobs, evidence.errors, keep, max_bytes)
    kinds: dict[str, int] = {}
    types: dict[str, int] = {}
    first: datetime | None = None
    last: datetime | None = None
    for number, record in enumerate(records, start=1):
        if progress is not None and number % 1000 == 0:
            progress(number)
        if type(record) is tuple:
            # The common case, kept flat: an ordinary certificate from a worker.
            sha, issuer, serial, pair_key, not_before, not_after, kind, validation_type = record
            if sha in seen:
                summary.duplicates += 1
                continue
            seen.add(sha)
            summary.count += 1
            kinds[kind] = kinds.get(kind, 0) + 1
            if validation_type:
                types[validation_type] = types.get(validation_type, 0) + 1
            if not_before is not None:
                if first is None or not_before < first:
                    first = not_before
                if last is None or not_before > last:
                    last = not_before
            if not_after is not None and not_after <= as_of:
                summary.expired += 1
            elif is_revoked is None or not is_revoked(_light_record(record)):
                summary.remaining_valid += 1
            if serial is not None:
                final_keys[(issuer, serial, pair_key)] = None
                final_serials.add(serial)
            continue
        assert isinstance(record, CertRecord)
        if _fingerprint_only(record):
            if record.sha256 in seen or record.sha256 in hashes:
                summary.duplicates += 1
            else:
                hashes[record.sha256] = record if keep else None
            continue
        if record.sha256 in seen:
            summary.duplicates += 1
            continue
        seen.add(record.sha256)
        if record.precertificate:
            precertificates.append(record)
            continue
        _count(summary, record, as_of, is_revoked)
        if record.fatal is not None:
            evidence.errors.append(
                ReadError(record.source, record.index, record.sha256, record.fatal)
            )
        elif record.errors and record.errors[0].startswith(_AROUND):
            evidence.warnings.append(
                ReadError(record.source, record.index, record.sha256, record.errors[0])
            )
        if record.serial is not None:
            final_keys[(record.issuer, record.serial, record.pair_key)] = record if keep else None
            final_serials.add(record.serial)
        if keep:
            assert evidence.certificates is not None
            evidence.certificates.append(record)
    summary.note_issued(first)
    summary.note_issued(last)
    summary.kinds.update(kinds)
    summary.types.update(types)

    unpaired = _pair(precertificates, final_keys, final_serials, summary, paths, keep)
    for precertificate in unpaired:
        summary.precertificates_only += 1
        summary.note_issued(precertificate.not_before)
        if keep:
            assert evidence.certificates is not None
            evidence.certificates.append(precertificate)
    for sha, hashed in hashes.items():
        if sha in seen:
            summary.duplicates += 1  # the parsed certificate with this SHA-256 stands for it
            continue
        summary.count += 1
        summary.fingerprints_only += 1
        summary.validity_unknown += 1
        summary.kinds["unknown"] += 1
        if keep and hashed is not None:
            assert evidence.certificates is not None
            evidence.certificates.append(hashed)
    return evidence


_AROUND = "read with a problem around it: "


def _fingerprint_only(record: CertRecord) -> bool:
    """A certificate known by its SHA-256 alone (a hash list, a crt.sh link)."""
    return (
        record.serial is None
        and record.not_before is None
        and record.fatal is None
        and not record.errors
        and not record.precertificate
    )


def _light_record(light: Light) -> CertRecord:
    sha, issuer, serial, _, not_before, not_after, kind, validation_type = light
    return CertRecord(
        sha, serial, issuer, None, not_before, not_after, kind=kind, validation_type=validation_type
    )


def _count(
    summary: Summary,
    record: CertRecord,
    as_of: datetime,
    is_revoked: Callable[[CertRecord], bool] | None,
) -> None:
    summary.count += 1
    summary.kinds[record.kind] += 1
    if record.validation_type:
        summary.types[record.validation_type] += 1
    if record.fatal is not None:
        summary.unreadable += 1
    summary.note_issued(record.not_before)
    if record.not_after is None:
        summary.validity_unknown += 1
    elif record.not_after <= as_of:
        summary.expired += 1
    elif is_revoked is None or not is_revoked(record):
        summary.remaining_valid += 1


def _pair(
    precertificates: list[CertRecord],
    final_keys: dict[tuple[str | None, str | None, bytes | None], CertRecord | None],
    final_serials: set[str],
    summary: Summary,
    paths: Sequence[SourceLike],
    keep: bool,
) -> list[CertRecord]:
    """Pair each precertificate with its certificate; return the unpaired ones.

    Same issuer: equal serial and equal TBS without poison and SCT list (how crt.sh pairs).
    Where the serial matches but the issuer or TBS does not — a Precertificate Signing CA
    (RFC 6962 section 3.1) — the inputs are read again for just those serials and compared
    with issuer, signature algorithm and authority key identifier set aside as well.
    """
    unpaired: list[CertRecord] = []
    candidates: dict[str, list[CertRecord]] = {}
    for precertificate in precertificates:
        key = (precertificate.issuer, precertificate.serial, precertificate.pair_key)
        if precertificate.pair_key is not None and key in final_keys:
            summary.paired += 1
            final = final_keys[key]
            if final is not None:
                final.precert_sha256 = precertificate.sha256
        elif precertificate.serial is not None and precertificate.serial in final_serials:
            candidates.setdefault(precertificate.serial, []).append(precertificate)
        else:
            unpaired.append(precertificate)
    if candidates:
        unpaired += _pair_across_signing_ca(candidates, final_keys, summary, paths, keep)
    return unpaired


def _pair_across_signing_ca(
    candidates: dict[str, list[CertRecord]],
    final_keys: dict[tuple[str | None, str | None, bytes | None], CertRecord | None],
    summary: Summary,
    paths: Sequence[SourceLike],
    keep: bool,
) -> list[CertRecord]:
    from cryptography import x509

    # One more pass over the inputs, hashing only what has a candidate serial: the
    # precertificates themselves, and the certificates they may pair with.
    precertificates = {p.sha256: p for group in candidates.values() for p in group}
    wanted: dict[tuple[str, bytes], list[CertRecord]] = {}
    finals: list[tuple[str, bytes, str]] = []
    for source in as_sources(list(paths)):
        for item in iter_source(source):
            if item.der is None:
                continue
            try:
                serial = format(x509.load_der_x509_certificate(item.der).serial_number, "x")
            except Exception:
                continue
            if serial not in candidates:
                continue
            key = signing_ca_key(item.der)
            if key is None:
                continue
            sha = hashlib.sha256(item.der).hexdigest()
            precertificate = precertificates.get(sha)
            if precertificate is not None:
                wanted.setdefault((serial, key), []).append(precertificate)
            else:
                finals.append((serial, key, sha))
    by_serial: dict[tuple[str | None, str], CertRecord] = {}
    if keep:
        by_serial = {
            (final.serial, final.sha256): final
            for final in final_keys.values()
            if final is not None
        }
    matched: set[str] = set()
    for serial, key, sha in finals:
        for precertificate in wanted.get((serial, key), []):
            if precertificate.sha256 in matched:
                continue
            matched.add(precertificate.sha256)
            summary.paired += 1
            summary.via_signing_ca += 1
            final = by_serial.get((serial, sha))
            if final is not None:
                final.precert_sha256 = precertificate.sha256
            break
    return [p for group in candidates.values() for p in group if p.sha256 not in matched]
