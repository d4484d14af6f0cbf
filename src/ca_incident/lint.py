"""Find the affected certificates: lint with pkilint, many certificates, in parallel.

pkilint's own CLI builds a validator for every certificate (about 7 a second). Here each worker
builds one validator container per certificate type, the first time it meets that type, and
reuses it: the speed of pkilint itself. Types come from pkilint: the TLS certificate type from
``serverauth.determine_certificate_type``; for S/MIME the validation level and generation from
the policy OIDs, else pkilint's guess. Findings are filtered the way pkilint's CLI filters
them. A certificate pkilint cannot decode is reported in its own group, never dropped.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from ca_incident.certs import tasks
from ca_incident.certs.read import MAX_BYTES, Item
from ca_incident.certs.record import lenient_parsing, read_certificate
from ca_incident.engines import Cluster, Packed
from ca_incident.engines.local import LocalEngine
from ca_incident.outputs import TEMPORARY_PREFIX, OutputError, is_inside
from ca_incident.sources import SourceLike

PROFILES = ("auto", "tls", "smime", "etsi", "pkix")
SEVERITIES = ("error", "warning", "notice")
UNDECODABLE = "undecodable"


@dataclass(frozen=True)
class LintFinding:
    code: str
    severity: str
    """pkilint's severity name: FATAL, ERROR, WARNING, NOTICE or INFO."""
    message: str
    node_path: str
    validator: str


@dataclass(frozen=True)
class Linted:
    """One certificate's outcome, as a worker sends it back."""

    source: str
    index: int
    sha256: str | None
    not_before: datetime | None
    certificate_type: str
    findings: tuple[LintFinding, ...]
    pem: str | None = None
    """Kept only when the certificate has findings to write to --out."""
    error: str | None = None
    """Why pkilint could not decode it (or why it is not a certificate)."""


class Linter:
    """pkilint with one validator container per certificate type, built on first use."""

    def __init__(self, profile: str = "auto") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        self.profile = profile
        self._containers: dict[tuple[str, Any], tuple[Any, list[Any]]] = {}

    def _container(self, key: tuple[str, Any]) -> tuple[Any, list[Any]]:
        found = self._containers.get(key)
        if found is None:
            found = self._containers[key] = _build_container(*key)
        return found

    def lint(
        self,
        der: bytes,
        name: str = "certificate",
        kind: str = "unknown",
        certificate_type: tuple[str, Any] | None = None,
    ) -> tuple[str, list[LintFinding]]:
        """The certificate's type and findings; raises when pkilint cannot decode it.

        ``certificate_type`` forces the type, as ``("tls", CertificateType)`` or
        ``("smime", (ValidationLevel, Generation))``, instead of detecting it.
        """
        from pkilint import finding_filter, loader

        document = loader.load_der_certificate(der, name)
        document.decode()
        if certificate_type is not None:
            key, label = certificate_type, f"{certificate_type[0]}:{certificate_type[1]}"
        else:
            profile = self.profile
            if profile == "auto":
                profile = {"tls": "tls", "smime": "smime"}.get(kind, "pkix")
            key, label = _type_key(profile, document)
        container, filters = self._container(key)
        results = container.validate(document.root)
        if filters:
            results, _ = finding_filter.filter_results(filters, results)
        findings = [
            LintFinding(
                description.finding.code,
                description.finding.severity.name,
                description.message or "",
                result.node.path,
                str(result.validator),
            )
            for result in results
            for description in result.finding_descriptions
        ]
        return label, findings


def _type_key(profile: str, document: Any) -> tuple[tuple[str, Any], str]:
    if profile == "tls":
        from pkilint.cabf import serverauth

        certificate_type = serverauth.determine_certificate_type(document)
        return ("tls", certificate_type), f"tls:{certificate_type.to_option_str}"
    if profile == "smime":
        from pkilint.cabf import smime

        level_generation = smime.determine_validation_level_and_generation(document)
        if level_generation is None:
            level_generation = smime.guess_validation_level_and_generation(document)
        level, generation = level_generation
        return ("smime", (level, generation)), f"smime:{level}-{generation}".lower()
    if profile == "etsi":
        from pkilint import etsi

        certificate_type = etsi.determine_certificate_type(document)
        return ("etsi", certificate_type), f"etsi:{certificate_type.to_option_str}"
    return ("pkix", None), "pkix"


def _build_container(profile: str, certificate_type: Any) -> tuple[Any, list[Any]]:
    from pkilint.pkix import certificate

    if profile == "tls":
        from pkilint.cabf import serverauth

        container = certificate.create_pkix_certificate_validator_container(
            serverauth.create_decoding_validators(),
            serverauth.create_validators(certificate_type),
        )
        return container, list(serverauth.create_serverauth_finding_filters(certificate_type))
    if profile == "smime":
        from pkilint.cabf import smime

        level, generation = certificate_type
        container = certificate.create_pkix_certificate_validator_container(
            smime.create_decoding_validators(),
            smime.create_subscriber_validators(level, generation),
        )
        return container, []
    if profile == "etsi":
        from pkilint import etsi

        container = certificate.create_pkix_certificate_validator_container(
            etsi.create_decoding_validators(certificate_type),
            etsi.create_validators(certificate_type),
        )
        return container, list(etsi.create_etsi_finding_filters(certificate_type))
    from pkilint.pkix import extension, name

    container = certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )
    return container, []


_LINTERS: dict[str, Linter] = {}


def _linter(profile: str) -> Linter:
    """This process's linter for the profile: built once, reused for every task."""
    found = _LINTERS.get(profile)
    if found is None:
        found = _LINTERS[profile] = Linter(profile)
    return found


def _pem(der: bytes) -> str:
    import base64

    body = base64.encodebytes(der).decode()
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


def lint_task(task: tasks.Task, profile: str) -> tuple[list[Linted | Item], int]:
    """Read and lint one task where it runs; positions are the task's own. What is not a
    certificate comes back as its item, to be placed in its file before it is reported."""
    items, newlines = tasks.run(task)
    linter = _linter(profile)
    out: list[Linted | Item] = []
    with lenient_parsing():
        out += _lint_items(items, linter)
    return out, newlines


def _lint_items(items: Iterator[Item], linter: Linter) -> Iterator[Linted | Item]:
    for item in items:
        if item.der is None:
            yield item
            continue
        record = read_certificate(item.der, item.source, item.index)
        linted = Linted(item.source, item.index, record.sha256, record.not_before, UNDECODABLE, ())
        try:
            label, findings = linter.lint(item.der, Path(item.source).name, record.kind)
        except Exception as exc:  # pkilint's decoder raises many kinds; each is a finding here
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            yield replace(linted, pem=_pem(item.der), error=message)
            continue
        yield replace(
            linted,
            certificate_type=label,
            findings=tuple(findings),
            pem=_pem(item.der) if findings else None,
        )


LINT_RANGE = 128 << 10
"""Bytes of a bundle per lint task: about a hundred certificates, half a second of pkilint."""


def iter_linted(
    inputs: Sequence[SourceLike],
    profile: str,
    jobs: int,
    max_bytes: int = MAX_BYTES,
    engine: LocalEngine | None = None,
) -> Iterator[Linted]:
    """Every input's certificates linted, in input order; what is not a certificate comes as
    an undecodable outcome saying why. ``engine`` runs the tasks (by default the local one
    with ``jobs`` processes); on a cluster, see :func:`fold_on_cluster`."""
    work = partial(lint_task, profile=profile)
    planned = tasks.plan(inputs, LINT_RANGE, max_bytes)
    outcomes = (engine or LocalEngine(jobs)).run_tasks(planned, work, work)
    for outcome, position in tasks.in_file_order(outcomes):
        yield _placed(outcome, position)


def _placed(outcome: Linted | Item, position: tasks.FilePosition) -> Linted:
    """A task's outcome with its position in its file; an item that is not a certificate as
    an undecodable outcome saying why."""
    if isinstance(outcome, Linted):
        return replace(outcome, index=outcome.index + position.index)
    item = tasks.place(outcome, position)
    reason = item.message or (
        "a fingerprint only: nothing to lint" if item.sha256 else "unreadable"
    )
    return Linted(item.source, item.index, item.sha256, None, UNDECODABLE, (), error=reason)


# On a cluster: each partition is read, linted and folded (grouped, and its part of the
# outputs written) on a worker; only the folded results travel back, and the parts are
# concatenated into the output folder by a worker, in input order.

CLUSTER_LINT_RANGE = 1 << 20
"""Bytes per partition on a cluster: about 800 certificates, seconds of pkilint, so a task is
long beside its scheduling."""
PARTS_PREFIX = f"{TEMPORARY_PREFIX}parts-"
"""The hidden folder in the output folder where workers write their parts."""

P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)


class Fold(Protocol[P_co]):
    """What a worker does with one partition's outcomes, in input order: group them, and
    write its part of the outputs into ``folder`` (None: no outputs). ``earlier`` holds the
    SHA-256 of its certificates that an earlier partition holds too: a certificate is
    counted once, where it comes first."""

    def __call__(
        self, linted: Iterator[Linted], folder: Path | None, earlier: set[str], /
    ) -> P_co: ...


def fold_on_cluster(
    inputs: Sequence[SourceLike],
    profile: str,
    cluster: Cluster,
    fold: Fold[P],
    *,
    out: Path | None = None,
    headed: Collection[str] = (),
    progress: Callable[[int], None] | None = None,
    max_bytes: int = MAX_BYTES,
) -> Iterator[P]:
    """Lint on a cluster: each partition's fold result, in input order.

    A first pass counts each task's items (so outcomes carry their positions in their files
    from the workers) and sends their SHA-256 by bucket to find the certificates an earlier
    partition holds too. Certificates read from ``out`` are left out (it is where the
    outputs go). Partitions are submitted two a worker at a time, in input order. Once every
    partition is folded, the files each wrote are concatenated into ``out`` in input order;
    in a file named in ``headed`` each part starts with the same header line, kept once. On
    an interrupt (Ctrl-C), partitions not yet linted are cancelled, those linted are yielded
    (in input order, with gaps) and their outputs concatenated, and the interrupt goes on.
    """
    size = CLUSTER_LINT_RANGE
    planned = _lint_tasks(inputs, size, max_bytes, out)
    # A small input still makes a few partitions a worker, so the workers stay even.
    small = sum(task.size for task in planned) // (4 * cluster.workers)
    if small < size:
        size = max(min(LINT_RANGE, size), small)
        planned = _lint_tasks(inputs, size, max_bytes, out)
    partitions = tasks.batches(planned, size)
    parts = Path(tempfile.mkdtemp(prefix=PARTS_PREFIX, dir=out)) if out is not None else None
    folders = [parts / f"{n:06d}" if parts is not None else None for n in range(len(partitions))]
    buckets = cluster.workers
    futures: list[Any] = []
    yielded: list[int] = []
    try:
        try:
            counted = [
                cluster.submit(_count_partition, n, batch, buckets, priority=-n)
                for n, batch in enumerate(partitions)
            ]
            futures += counted
            heads = [cluster.part(f, 0) for f in counted]
            futures += heads
            counts = [size for partition in cluster.gather(heads) for size in partition]
            starts = tasks.starts(planned, counts)
            routed = [[cluster.part(f, 1 + b) for f in counted] for b in range(buckets)]
            futures += [future for bucket in routed for future in bucket]
            firsts = [cluster.submit(_earlier_copies, *bucket) for bucket in routed]
            futures += firsts
            work = [
                partial(
                    cluster.submit,
                    _lint_partition,
                    n,
                    batch,
                    [starts[number] for number, _ in batch],
                    profile,
                    fold,
                    folder,
                    *firsts,
                    priority=-n,
                )
                for n, (batch, folder) in enumerate(zip(partitions, folders, strict=True))
            ]
            certificates = [sum(counts[n][0] for n, _ in batch) for batch in partitions]
            for number, ready in _in_order(cluster, work, certificates, progress):
                yield ready
                yielded.append(number)
        except BaseException:
            cluster.cancel(futures)
            raise
        finally:
            if parts is not None and out is not None and yielded:
                # Also after an interrupt: what was linted is kept, as the local engine keeps
                # what it wrote.
                kept = [folders[n] for n in sorted(yielded)]
                cluster.gather([cluster.submit(_concatenate, out, kept, headed)])
    finally:
        if parts is not None:
            shutil.rmtree(parts, ignore_errors=True)


def _lint_tasks(
    inputs: Sequence[SourceLike], size: int, max_bytes: int, out: Path | None
) -> list[tasks.Task]:
    """The tasks of ``size`` bytes, but for files in ``out``, where the outputs go."""
    return [
        task
        for task in tasks.plan(inputs, size, max_bytes)
        if out is None
        or not task.path
        or tasks.is_url(task.path)
        or not is_inside(Path(task.path), out)
    ]


def _in_order(
    cluster: Cluster,
    work: Sequence[Callable[[], Any]],
    certificates: list[int],
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[int, Any]]:
    """Each partition's number and result, in input order as soon as all before it are in,
    with at most two partitions a worker submitted at a time; progress by partitions and
    certificates as they finish, in any order. On an interrupt, the results already in
    follow, whatever their order, before it goes on.

    A partition's future is let go as soon as its result is taken: Dask then forgets it, and
    a worker lost later does not run it again, rewriting its part folder while the parts are
    being concatenated. The futures still running are cancelled on any failure."""
    window = 2 * cluster.workers
    pending: dict[int, Any] = {}
    results: dict[int, Any] = {}
    submitted = following = done = done_certificates = 0
    try:
        while following < len(work):
            while submitted < len(work) and len(pending) < window:
                pending[submitted] = work[submitted]()
                submitted += 1
            finished = set(map(id, cluster.first_done(list(pending.values()))))
            for n in [n for n, future in pending.items() if id(future) in finished]:
                results[n] = pending.pop(n).result()
                done += 1
                done_certificates += certificates[n]
                if progress is not None:
                    progress(done_certificates)
                if cluster.progress is not None:
                    cluster.progress(done, len(work), done_certificates)
            while following in results:
                yield following, results.pop(following)
                following += 1
    except KeyboardInterrupt:
        cluster.cancel(pending.values())
        for n in sorted(results):
            yield n, results[n]
        raise
    except BaseException:
        cluster.cancel(pending.values())
        raise


def _count_partition(
    partition: int, batch: list[tasks.Numbered], buckets: int
) -> tuple[list[tuple[int, int]], *tuple[Packed[list[tuple[int, str]]], ...]]:
    """Each task's results and lines, without parsing, and the SHA-256 of each certificate
    by bucket."""
    sizes: list[tuple[int, int]] = []
    routed: list[list[tuple[int, str]]] = [[] for _ in range(buckets)]
    for _, task in batch:
        items, newlines = tasks.run(task)
        count = 0
        for item in items:
            count += 1
            if item.der is not None:
                sha = hashlib.sha256(item.der).hexdigest()
                routed[int(sha[:8], 16) % buckets].append((partition, sha))
        sizes.append((count, newlines))
    return (sizes, *map(Packed, routed))


def _earlier_copies(*parts: Packed[list[tuple[int, str]]]) -> dict[int, set[str]]:
    """For one bucket: by partition, the SHA-256 of its certificates that an earlier
    partition holds too."""
    first: dict[str, int] = {}
    earlier: dict[int, set[str]] = {}
    for partition, sha in heapq.merge(*(p.unpack() for p in parts)):
        if first.setdefault(sha, partition) != partition:
            earlier.setdefault(partition, set()).add(sha)
    return earlier


def _lint_partition(
    partition: int,
    batch: list[tasks.Numbered],
    starts: list[tuple[tasks.FilePosition, Item | None]],
    profile: str,
    fold: Fold[P],
    folder: Path | None,
    *firsts: dict[int, set[str]],
) -> P:
    """Lint one partition and fold it. Its folder is emptied first: a task Dask runs again
    (its worker was lost) writes its part anew."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def linted() -> Iterator[Linted]:
        for (_, task), (start, nothing) in zip(batch, starts, strict=True):
            outcomes, _ = lint_task(task, profile)
            for outcome in outcomes:
                yield _placed(outcome, start)
            if nothing is not None:
                yield _placed(nothing, tasks.FilePosition())

    earlier = set().union(*(bucket.get(partition, ()) for bucket in firsts))
    return fold(linted(), folder, earlier)


def _concatenate(out: Path, folders: list[Path | None], headed: Collection[str]) -> list[str]:
    """Each file the parts hold, concatenated into ``out`` in input order: written beside
    its target and renamed over it, so a task run again writes it whole again."""
    names = sorted({f.name for folder in folders if folder is not None for f in folder.iterdir()})
    for name in names:
        with _replacing(out / name) as target:
            first = True
            for folder in folders:
                assert folder is not None
                part = folder / name
                if not part.exists():
                    continue
                with part.open("rb") as source:
                    if name in headed and not first:
                        source.readline()
                    shutil.copyfileobj(source, target)
                first = False
    return names


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A new file beside ``path``, renamed over it when the block ends (removed if it
    fails); a symbolic link at ``path`` is refused, never followed or replaced."""
    if path.is_symlink():
        raise OutputError(f"{path}: a symbolic link; refusing to write through it")
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{path.name}.{uuid.uuid4().hex}.tmp")
    # O_EXCL: a name nobody else has; the mode is the umask's, as for any output.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        if path.is_symlink():
            raise OutputError(f"{path}: became a symbolic link while it was written")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
