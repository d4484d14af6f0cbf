"""From the affected certificates of one problem to the figures a report states.

Certificates stream through: each is read (in worker processes with ``jobs`` > 1), counted
into the aggregates, and forgotten unless a listing is wanted. What pairing needs stays: a
digest per certificate, and the precertificates. A precertificate and its certificate count
once (IRG 3.2: the certificate is the unit); a precertificate whose certificate is not among
the inputs is counted apart, in ``precertificates_only``.
"""

from __future__ import annotations

import hashlib
import heapq
import operator
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

from ca_incident.certs import tasks
from ca_incident.certs.read import MAX_BYTES, Item
from ca_incident.certs.record import (
    CertRecord,
    from_fingerprint,
    lenient_parsing,
    read_certificate,
    signing_ca_key,
)
from ca_incident.engines import Cluster, Engine, Packed
from ca_incident.engines.local import LocalEngine
from ca_incident.sources import SourceLike
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

    @property
    def unread(self) -> list[ReadError]:
        """Inputs read as no certificate at all, nothing counted for them (a line that is
        not a certificate, a damaged .gz, a file that holds nothing): the figures may miss
        what they held. Certificates that cannot be parsed are counted, so not here."""
        return [error for error in self.errors if error.sha256 is None]


Light = tuple[
    str, str | None, str | None, bytes | None, float | None, float | None, str, str | None
]
"""What counting and pairing read of an ordinary certificate: sha256, issuer, serial,
pair_key, not_before, not_after, kind, validation_type. The validity as POSIX timestamps
(exact to the microsecond, whatever the year): a float crosses between processes in nine
bytes, where a datetime is rebuilt through Python."""


def _light(record: CertRecord) -> Light:
    not_before, not_after = record.not_before, record.not_after
    return (
        record.sha256,
        record.issuer,
        record.serial,
        record.pair_key,
        None if not_before is None else not_before.timestamp(),
        None if not_after is None else not_after.timestamp(),
        record.kind,
        record.validation_type,
    )


def _moment(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


Result = CertRecord | Light | Item
"""A certificate read (a record, or a light tuple), or an item that is not a certificate."""


def _task_results(task: tasks.Task, keep: bool) -> tuple[Iterator[Result], int]:
    items, newlines = tasks.run(task)

    def results() -> Iterator[Result]:
        with lenient_parsing():
            for item in items:
                if item.der is not None:
                    record = read_certificate(item.der, item.source, item.index, listing=keep)
                    if item.error is not None:
                        # Read, but with something wrong around it (a cut, trailing bytes);
                        # its line is said once the task's place in its file is known.
                        note = f"{_AROUND}{item.error}"
                        record.line = item.line
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
    outcomes: Iterator[tuple[tasks.Task, tuple[Iterable[Result], int]]] = LocalEngine(
        jobs
    ).run_tasks(
        tasks.plan(paths, max_bytes=max_bytes),
        partial(_task_results, keep=keep),
        partial(_run_task, keep=keep),
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
            _place_note(result, position.line)
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
    engine: Engine | None = None,
) -> Evidence:
    """Read, deduplicate, pair and count the certificates of one problem.

    ``progress`` is called with the number of certificates read so far, every 1,000 (on a
    cluster, as each partition is read). ``engine`` runs the reading: by default the local
    one with ``jobs`` processes; on a cluster, deduplication and pairing happen on the
    workers too (see :func:`_collect_on_cluster`), with the same answers.
    """
    require_aware(as_of)
    if engine is not None and not isinstance(engine, LocalEngine):
        return _collect_on_cluster(
            paths,
            name,
            engine,
            as_of=as_of,
            keep=keep,
            is_revoked=is_revoked,
            progress=progress,
            max_bytes=max_bytes,
        )
    if engine is not None:
        jobs = engine.jobs
    evidence = Evidence(summary=Summary(name=name, as_of=as_of), certificates=[] if keep else None)
    tally = Tally(evidence, as_of, keep, is_revoked)
    tally.read(
        enumerate(stream_records(paths, jobs, evidence.errors, keep, max_bytes), 1), progress
    )
    unpaired = _pair(
        tally.precertificates, tally.final_keys, tally.final_serials, evidence.summary, paths, keep
    )
    for precertificate in unpaired:
        tally.unpaired(precertificate)
    tally.hashes_only()
    return evidence


PairKey = tuple[str | None, str | None, bytes | None]
"""Issuer, serial and the digest of the TBS without poison and SCT list."""


class Tally:
    """Deduplication and counting over records in input order, each with its number (its
    place in that order). What pairing needs stays: each counted certificate's key and
    serial, and the precertificates. Certificates known by SHA-256 only wait for the end:
    the parsed certificate with the same SHA-256, wherever it comes, stands for them."""

    def __init__(
        self,
        evidence: Evidence,
        as_of: datetime,
        keep: bool,
        is_revoked: Callable[[CertRecord], bool] | None,
        pairing: bool = True,
    ) -> None:
        self.pairing = pairing
        """Keep each counted certificate's pairing key and serial; false where it is known
        that no precertificate is among the inputs."""
        self.evidence = evidence
        self.as_of = as_of
        self.keep = keep
        self.is_revoked = is_revoked
        self.seen: set[str] = set()
        self.hashes: dict[str, CertRecord | None] = {}
        """Certificates known by SHA-256 only, counted at the end unless parsed meanwhile."""
        self.final_keys: dict[PairKey, CertRecord | None] = {}
        self.final_serials: set[str] = set()
        self.precertificates: list[CertRecord] = []

    def read(
        self,
        numbered: Iterable[tuple[int, CertRecord | Light]],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Count every record; ``progress`` every 1,000 numbers."""
        evidence, summary, as_of, keep = self.evidence, self.evidence.summary, self.as_of, self.keep
        is_revoked = self.is_revoked
        seen, hashes, final_keys = self.seen, self.hashes, self.final_keys
        final_serials, precertificates = self.final_serials, self.precertificates
        kinds: dict[str, int] = {}
        types: dict[str, int] = {}
        first: float | None = None
        last: float | None = None
        expires_by = as_of.timestamp()
        # Counted here and added to the summary at the end: a local is cheaper to bump.
        count = duplicates = expired = remaining_valid = 0
        add_seen, add_serial = seen.add, final_serials.add
        pairing = self.pairing
        try:
            for number, record in numbered:
                if progress is not None and number % 1000 == 0:
                    progress(number)
                if type(record) is tuple:
                    # The common case, kept flat: an ordinary certificate from a worker.
                    sha, issuer, serial, pair_key, not_before, not_after, kind, validation_type = (
                        record
                    )
                    if sha in seen:
                        duplicates += 1
                        continue
                    add_seen(sha)
                    count += 1
                    kinds[kind] = kinds.get(kind, 0) + 1
                    if validation_type:
                        types[validation_type] = types.get(validation_type, 0) + 1
                    if not_before is not None:
                        if first is None or not_before < first:
                            first = not_before
                        if last is None or not_before > last:
                            last = not_before
                    if not_after is not None and not_after <= expires_by:
                        expired += 1
                    elif is_revoked is None or not is_revoked(_light_record(record)):
                        remaining_valid += 1
                    if pairing and serial is not None:
                        final_keys[(issuer, serial, pair_key)] = None
                        add_serial(serial)
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
                    final_keys[(record.issuer, record.serial, record.pair_key)] = (
                        record if keep else None
                    )
                    final_serials.add(record.serial)
                if keep:
                    assert evidence.certificates is not None
                    evidence.certificates.append(record)
        finally:
            summary.count += count
            summary.duplicates += duplicates
            summary.expired += expired
            summary.remaining_valid += remaining_valid
            summary.note_issued(_moment(first))
            summary.note_issued(_moment(last))
            summary.kinds.update(kinds)
            summary.types.update(types)

    def unpaired(self, precertificate: CertRecord) -> None:
        """A precertificate whose certificate is not among the inputs: counted apart."""
        summary = self.evidence.summary
        summary.precertificates_only += 1
        summary.note_issued(precertificate.not_before)
        if self.keep:
            assert self.evidence.certificates is not None
            self.evidence.certificates.append(precertificate)

    def hashes_only(self) -> None:
        """Count the certificates known by SHA-256 only that no parsed input stands for."""
        summary = self.evidence.summary
        for sha, hashed in self.hashes.items():
            if sha in self.seen:
                summary.duplicates += 1  # the parsed certificate with this SHA-256 stands for it
                continue
            summary.count += 1
            summary.fingerprints_only += 1
            summary.validity_unknown += 1
            summary.kinds["unknown"] += 1
            if self.keep and hashed is not None:
                assert self.evidence.certificates is not None
                self.evidence.certificates.append(hashed)


_AROUND = "read with a problem around it: "


def _place_note(record: CertRecord, lines_before: int) -> None:
    """Name the line of a certificate's problem in its file, its task's ``lines_before``
    it added (a range of a large file counts its lines from its own start)."""
    if not record.line:
        return
    record.line += lines_before
    where = f"{_AROUND}line {record.line}: "
    record.errors[0] = where + record.errors[0].removeprefix(_AROUND)
    if record.fatal is not None and record.fatal.startswith(_AROUND):
        record.fatal = where + record.fatal.removeprefix(_AROUND)


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
        sha,
        serial,
        issuer,
        None,
        _moment(not_before),
        _moment(not_after),
        kind=kind,
        validation_type=validation_type,
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
    final_keys: dict[PairKey, CertRecord | None],
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
    unpaired, candidates = pair_by_key(precertificates, final_keys, final_serials, summary)
    if candidates:
        # One more pass over the inputs, hashing only what has a candidate serial.
        items = (item for task in tasks.plan(paths) for item in tasks.run(task)[0])
        scanned = signing_ca_scan(enumerate(items), candidates)
        unpaired += match_across_signing_ca(candidates, scanned, final_keys, summary, keep)
    return unpaired


def pair_by_key(
    precertificates: Iterable[CertRecord],
    final_keys: dict[PairKey, CertRecord | None],
    final_serials: set[str],
    summary: Summary,
) -> tuple[list[CertRecord], dict[str, list[CertRecord]]]:
    """Pair precertificates (in input order) with their certificates issued by the same CA;
    return the unpaired ones, and by serial those that may pair across a Precertificate
    Signing CA."""
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
    return unpaired, candidates


def signing_ca_scan(
    items: Iterable[tuple[int, Item]], serials: Container[str]
) -> Iterator[tuple[int, str, bytes, str]]:
    """Position, serial, pairing key across a Precertificate Signing CA, and SHA-256 of
    each certificate among the numbered ``items`` whose serial is one of ``serials``."""
    from cryptography import x509

    for position, item in items:
        if item.der is None:
            continue
        try:
            serial = format(x509.load_der_x509_certificate(item.der).serial_number, "x")
        except Exception:
            continue
        if serial not in serials:
            continue
        key = signing_ca_key(item.der)
        if key is None:
            continue
        yield position, serial, key, hashlib.sha256(item.der).hexdigest()


def match_across_signing_ca(
    candidates: dict[str, list[CertRecord]],
    scanned: Iterable[tuple[int, str, bytes, str]],
    final_keys: dict[PairKey, CertRecord | None],
    summary: Summary,
    keep: bool,
) -> list[CertRecord]:
    """Pair the candidates with the certificates :func:`signing_ca_scan` found; return the
    candidates left unpaired."""
    precertificates = {p.sha256: p for group in candidates.values() for p in group}
    wanted: dict[tuple[str, bytes], list[CertRecord]] = {}
    finals: list[tuple[str, bytes, str]] = []
    for _, serial, key, sha in scanned:
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


# On a cluster. Partitions are read and parsed where they run; records travel between workers
# only, keyed by SHA-256 (deduplication and counting) and then by serial (pairing: the
# (issuer, serial) of a precertificate and its certificate share the serial, and across a
# Precertificate Signing CA only the serial). Each record carries its place in input order,
# ``partition << 32 | position``, so every step decides as the local engine does; this
# process holds futures and small partial results, never a record per certificate (except
# the listing itself, when one is asked for).

CLUSTER_RANGE = 16 << 20
"""Bytes of a large text file per partition on a cluster: tens of thousands of certificates,
so a task is long beside its scheduling, and still many per worker."""
_PLACE = 32
Placed = tuple[int, CertRecord | Light]
"""A record with its place in input order."""
Listed = tuple[tuple[int, int, int], CertRecord]
"""A certificate to list, with where the local engine lists it: counted certificates, then
unpaired precertificates, then those left by pairing across a Precertificate Signing CA
(by serial), then those known by SHA-256 only; each in input order."""
Final = tuple[int, PairKey, CertRecord | None]


@dataclass
class _Part:
    """What a worker sends back to this process: counts, and the few things listed."""

    summary: Summary
    errors: list[tuple[int, ReadError]] = field(default_factory=list)
    warnings: list[tuple[int, ReadError]] = field(default_factory=list)
    listed: list[Listed] = field(default_factory=list)


def _sha_bucket(sha: str, buckets: int) -> int:
    return int(sha[:8], 16) % buckets


def _serial_bucket(serial: str, buckets: int) -> int:
    # Not hash(): salted per process, and workers must agree.
    return zlib.crc32(serial.encode()) % buckets


Size = tuple[int, int, int, list[tuple[int, Item]], int]
"""Of a task read: results, certificates, lines, the items that are not certificates with
their positions, and precertificates."""


def _read_partition(
    batch: list[tasks.Numbered], buckets: int, keep: bool
) -> tuple[list[tuple[int, Size]], *tuple[Packed[list[Placed]], ...]]:
    """Read and parse one partition: each task's size, and the records by SHA-256 bucket."""
    routed: list[list[Placed]] = [[] for _ in range(buckets)]
    sizes: list[tuple[int, Size]] = []
    for number, task in batch:
        results, newlines = _task_results(task, keep)
        items: list[tuple[int, Item]] = []
        base = number << _PLACE
        count = precertificates = 0
        for position, result in enumerate(results):
            count += 1
            if type(result) is tuple:
                sha = result[0]
            elif isinstance(result, CertRecord):
                sha = result.sha256
                precertificates += result.precertificate
            else:
                items.append((position, cast(Item, result)))
                continue
            routed[_sha_bucket(sha, buckets)].append(
                (base | position, cast(CertRecord | Light, result))
            )
        sizes.append((number, (count, count - len(items), newlines, items, precertificates)))
    return (sizes, *map(Packed, routed))


def _dedup_bucket(
    name: str,
    as_of: datetime,
    keep: bool,
    is_revoked: Callable[[CertRecord], bool] | None,
    offsets: list[tuple[int, int]],
    buckets: int,
    route: bool,
    *parts: Packed[list[Placed]],
) -> tuple[Any, ...]:
    """Deduplicate and count the records of one SHA-256 bucket, from every partition; with
    ``route`` (a listing is wanted, or some partition holds a precertificate), send the
    counted certificates and the precertificates on by serial, for pairing."""
    # Each part is in input order, and the parts come in partition order: joined, they are
    # in input order.
    merged = [placed for p in parts for placed in p.unpack()]
    for place, record in merged:
        if type(record) is not tuple:
            index, lines = offsets[place >> _PLACE]
            cast(CertRecord, record).index += index
            _place_note(cast(CertRecord, record), lines)
    part = _Part(Summary(name=name, as_of=as_of))
    evidence = Evidence(part.summary, certificates=[] if keep else None)
    tally = Tally(evidence, as_of, keep, is_revoked, pairing=route)
    tally.read(merged)
    if not route:
        # Nothing to pair or list: only the certificates reported need their places.
        reported = {e.sha256 for e in (*evidence.errors, *evidence.warnings)}
        part.errors, part.warnings = _placed_reports(merged, reported, evidence)
        tally.hashes_only()
        return (part, 0, *(Packed(([], [])) for _ in range(buckets)))
    # Where each kept thing stands in input order: the first parsed copy of a certificate is
    # the one counted, the first of a SHA-256 known alone the one listed.
    first: dict[str, int] = {}
    first_hash: dict[str, int] = {}
    finals: list[list[Final]] = [[] for _ in range(buckets)]
    precertificates: list[list[tuple[int, CertRecord]]] = [[] for _ in range(buckets)]
    for place, record in merged:
        if type(record) is tuple:
            light = record
            if light[0] not in first:
                first[light[0]] = place
                if light[2] is not None:
                    key = (light[1], light[2], light[3])
                    finals[_serial_bucket(light[2], buckets)].append((place, key, None))
            continue
        full = cast(CertRecord, record)
        if _fingerprint_only(full):
            first_hash.setdefault(full.sha256, place)
            continue
        if full.sha256 in first:
            continue
        first[full.sha256] = place
        if full.precertificate or full.serial is None:
            continue
        key = (full.issuer, full.serial, full.pair_key)
        finals[_serial_bucket(full.serial, buckets)].append((place, key, full if keep else None))
    for precertificate in tally.precertificates:
        place = first[precertificate.sha256]
        if precertificate.serial is None:
            tally.unpaired(precertificate)  # no certificate can share its serial
            if keep:
                part.listed.append(((1, 0, place), precertificate))
            continue
        bucket = _serial_bucket(precertificate.serial, buckets)
        precertificates[bucket].append((place, precertificate))
    if keep:
        assert evidence.certificates is not None
        part.listed += [
            ((0, 0, first[r.sha256]), r)
            for r in evidence.certificates
            if r.serial is None and not r.precertificate
        ]
    tally.hashes_only()
    if keep:
        assert evidence.certificates is not None
        part.listed += [
            ((3, 0, first_hash[r.sha256]), r) for r in evidence.certificates if _fingerprint_only(r)
        ]
    part.errors = [(first[e.sha256 or ""], e) for e in evidence.errors]
    part.warnings = [(first[w.sha256 or ""], w) for w in evidence.warnings]
    count = len(tally.precertificates)
    return (part, count, *map(Packed, zip(finals, precertificates, strict=True)))


def _placed_reports(
    merged: list[Placed], reported: set[str | None], evidence: Evidence
) -> tuple[list[tuple[int, ReadError]], list[tuple[int, ReadError]]]:
    """The errors and warnings with the place of their certificate's first parsed copy."""
    first: dict[str, int] = {}
    if reported:
        for place, record in merged:
            sha = record[0] if type(record) is tuple else cast(CertRecord, record).sha256
            parsed = type(record) is tuple or not _fingerprint_only(cast(CertRecord, record))
            if parsed and sha in reported and sha not in first:
                first[sha] = place
    return (
        [(first[e.sha256 or ""], e) for e in evidence.errors],
        [(first[w.sha256 or ""], w) for w in evidence.warnings],
    )


_first = operator.itemgetter(0)
"""The place (or listing key) of a placed thing."""


@dataclass
class _Pairing:
    """One serial bucket, paired by key: what pairing across a Precertificate Signing CA
    still needs."""

    part: _Part
    candidates: dict[str, list[CertRecord]]
    places: dict[str, int]
    final_keys: dict[PairKey, CertRecord | None]
    keep: bool

    def unpaired(self, precertificate: CertRecord, at: tuple[int, int, int]) -> None:
        self.part.summary.precertificates_only += 1
        self.part.summary.note_issued(precertificate.not_before)
        if self.keep:
            self.part.listed.append((at, precertificate))


def _pair_bucket(
    name: str, keep: bool, *packed: Packed[tuple[list[Final], list[tuple[int, CertRecord]]]]
) -> tuple[int, frozenset[str], _Pairing]:
    """Pair the precertificates of one serial bucket with its certificates by key; return
    how many may pair across a Precertificate Signing CA, and their serials."""
    parts = [p.unpack() for p in packed]
    finals: list[Final] = list(heapq.merge(*(p[0] for p in parts), key=_first))
    precertificates = list(heapq.merge(*(p[1] for p in parts), key=_first))
    final_keys: dict[PairKey, CertRecord | None] = {}
    final_serials: set[str] = set()
    part = _Part(Summary(name=name))
    for place, key, record in finals:
        final_keys[key] = record
        final_serials.add(cast(str, key[1]))
        if record is not None:
            part.listed.append(((0, 0, place), record))
    places = {p.sha256: place for place, p in precertificates}
    unpaired, candidates = pair_by_key(
        (p for _, p in precertificates), final_keys, final_serials, part.summary
    )
    pairing = _Pairing(part, candidates, places, final_keys, keep)
    for precertificate in unpaired:
        pairing.unpaired(precertificate, (1, 0, places[precertificate.sha256]))
    count = sum(len(group) for group in candidates.values())
    return count, frozenset(candidates), pairing


class _InBuckets:
    """Serials, held by bucket as the pairing buckets sent them."""

    def __init__(self, serials: tuple[frozenset[str], ...]) -> None:
        self.serials = serials

    def __contains__(self, serial: object) -> bool:
        assert isinstance(serial, str)
        return serial in self.serials[_serial_bucket(serial, len(self.serials))]


def _scan_partition(
    batch: list[tasks.Numbered], *serials: frozenset[str]
) -> tuple[Packed[list[tuple[int, str, bytes, str]]], ...]:
    """Read one partition again for the serials that may pair across a Precertificate
    Signing CA (see :func:`signing_ca_scan`); what it finds, by serial bucket."""
    routed: list[list[tuple[int, str, bytes, str]]] = [[] for _ in serials]
    wanted = _InBuckets(serials)
    with lenient_parsing():
        for number, task in batch:
            items, _ = tasks.run(task)
            base = number << _PLACE
            for position, serial, key, sha in signing_ca_scan(enumerate(items), wanted):
                bucket = _serial_bucket(serial, len(serials))
                routed[bucket].append((base | position, serial, key, sha))
    return tuple(map(Packed, routed))


def _finish_bucket(pairing: _Pairing, *scans: Packed[list[tuple[int, str, bytes, str]]]) -> _Part:
    """Pair what is left of one serial bucket across a Precertificate Signing CA."""
    scanned = heapq.merge(*(s.unpack() for s in scans), key=_first)
    summary = pairing.part.summary
    left = match_across_signing_ca(
        pairing.candidates, scanned, pairing.final_keys, summary, pairing.keep
    )
    for precertificate in left:
        group = pairing.candidates[cast(str, precertificate.serial)]
        at = (2, pairing.places[group[0].sha256], pairing.places[precertificate.sha256])
        pairing.unpaired(precertificate, at)
    return pairing.part


def _collect_on_cluster(
    paths: Sequence[SourceLike],
    name: str,
    cluster: Cluster,
    *,
    as_of: datetime,
    keep: bool,
    is_revoked: Callable[[CertRecord], bool] | None,
    progress: Callable[[int], None] | None,
    max_bytes: int,
) -> Evidence:
    """:func:`collect` on a cluster: read, deduplicate and count, pair; merge the partial
    results here. On an interrupt the futures are cancelled."""
    planned = list(tasks.plan(paths, CLUSTER_RANGE, max_bytes))
    size = tasks.even_range(sum(t.size for t in planned), CLUSTER_RANGE, cluster.workers)
    if size < CLUSTER_RANGE:
        planned = list(tasks.plan(paths, size, max_bytes))
    partitions = tasks.batches(planned, size)
    buckets = cluster.workers
    futures: list[Any] = []

    def submit(function: Callable[..., Any], *args: Any, priority: int = 0) -> Any:
        futures.append(cluster.submit(function, *args, priority=priority))
        return futures[-1]

    def part(future: Any, index: int) -> Any:
        futures.append(cluster.part(future, index))
        return futures[-1]

    try:
        reads = [
            submit(_read_partition, batch, buckets, keep, priority=-n)
            for n, batch in enumerate(partitions)
        ]
        sizes = _task_sizes(cluster, [part(r, 0) for r in reads], len(planned), progress)
        starts = tasks.starts(planned, [(size[0], size[2]) for size in sizes])
        errors = _item_errors(starts, sizes)
        offsets = [(start.index, start.line) for start, _ in starts]
        route = keep or any(size[4] for size in sizes)
        counted = [
            submit(
                _dedup_bucket,
                name,
                as_of,
                keep,
                is_revoked,
                offsets,
                buckets,
                route,
                *(part(r, 1 + b) for r in reads),
            )
            for b in range(buckets)
        ]
        del reads
        finished: list[Any] = []
        # Without a precertificate there is nothing to pair: only a listing needs the step.
        if route and (keep or sum(cluster.gather([part(c, 1) for c in counted]))):
            pairs = [
                submit(_pair_bucket, name, keep, *(part(c, 2 + b) for c in counted))
                for b in range(buckets)
            ]
            scans: list[Any] = []
            if sum(cluster.gather([part(p, 0) for p in pairs])):
                serials = [part(p, 1) for p in pairs]
                scans = [submit(_scan_partition, batch, *serials) for batch in partitions]
            finished = [
                submit(_finish_bucket, part(p, 2), *(part(s, b) for s in scans))
                for b, p in enumerate(pairs)
            ]
        parts: list[_Part] = cluster.gather([part(c, 0) for c in counted] + finished)
    except BaseException:
        cluster.cancel(futures)
        raise
    evidence = Evidence(Summary(name=name, as_of=as_of), certificates=[] if keep else None)
    listed: list[Listed] = []
    warnings: list[tuple[int, ReadError]] = []
    for one in parts:
        _add(evidence.summary, one.summary)
        errors += one.errors
        warnings += one.warnings
        listed += one.listed
    evidence.errors = [error for _, error in sorted(errors, key=_first)]
    evidence.warnings = [warning for _, warning in sorted(warnings, key=_first)]
    if keep:
        evidence.certificates = [record for _, record in sorted(listed, key=_first)]
    return evidence


def _task_sizes(
    cluster: Cluster, heads: list[Any], tasks_planned: int, progress: Callable[[int], None] | None
) -> list[Size]:
    """Each task's size, in input order, gathered as partitions finish, with progress by
    partitions and certificates."""
    sizes: list[Size | None] = [None] * tasks_planned
    certificates = 0
    for done, future in enumerate(cluster.as_completed(heads), start=1):
        head: list[tuple[int, Size]] = future.result()
        for number, size in head:
            sizes[number] = size
            certificates += size[1]
        if progress is not None:
            progress(certificates)
        if cluster.progress is not None:
            cluster.progress(done, len(heads), certificates)
    return [size for size in sizes if size is not None]


def _item_errors(
    starts: list[tuple[tasks.FilePosition, Item | None]], sizes: list[Size]
) -> list[tuple[int, ReadError]]:
    """The items that are not certificates, placed in their files, with their places."""
    errors: list[tuple[int, ReadError]] = []
    for number, ((start, nothing), size) in enumerate(zip(starts, sizes, strict=True)):
        base = number << _PLACE
        found = [(base | position, tasks.place(item, start)) for position, item in size[3]]
        if nothing is not None:
            found.append((base | size[0], nothing))
        errors += [
            (place, ReadError(item.source, item.index, None, item.message or "unreadable"))
            for place, item in found
        ]
    return errors


_ADDED = (
    "count",
    "precertificates_only",
    "paired",
    "via_signing_ca",
    "remaining_valid",
    "validity_unknown",
    "expired",
    "duplicates",
    "fingerprints_only",
    "unreadable",
)


def _add(summary: Summary, part: Summary) -> None:
    """Add a partial summary to ``summary``: sums, and the first and last notBefore."""
    for name in _ADDED:
        setattr(summary, name, getattr(summary, name) + getattr(part, name))
    summary.note_issued(part.first_not_before)
    summary.note_issued(part.last_not_before)
    summary.kinds.update(part.kinds)
    summary.types.update(part.types)
