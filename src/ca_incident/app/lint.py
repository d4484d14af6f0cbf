"""The lint job: find the affected certificates with pkilint and group them into one candidate
problem per finding code; ``--out`` writes a PEM file per code and findings.csv as results
arrive, so an interrupted run keeps what it found."""

from __future__ import annotations

import base64
import csv
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ca_incident.certs import tasks
from ca_incident.certs.read import MAX_BYTES
from ca_incident.certs.record import lenient_parsing, read_certificate
from ca_incident.engines import Engine
from ca_incident.engines.local import LocalEngine
from ca_incident.errors import CaIncidentError
from ca_incident.lint import UNDECODABLE, Linted, LintFinding, fold_on_cluster, iter_linted
from ca_incident.outputs import is_inside, open_growing, prepare_folder
from ca_incident.sources import Source, SourceLike
from ca_incident.timeutil import iso_z

SEVERITY_RANK = {"FATAL": 0, "ERROR": 1, "WARNING": 2, "NOTICE": 3, "INFO": 4}


@dataclass
class LintProblem:
    """The certificates sharing one finding code: one candidate problem of an incident."""

    code: str
    severity: str
    count: int = 0
    first_not_before: datetime | None = None
    last_not_before: datetime | None = None
    message: str = ""

    def add(self, not_before: datetime | None) -> None:
        self.count += 1
        if not_before is not None:
            if self.first_not_before is None or not_before < self.first_not_before:
                self.first_not_before = not_before
            if self.last_not_before is None or not_before > self.last_not_before:
                self.last_not_before = not_before


@dataclass
class LintResult:
    certificates_linted: int = 0
    undecodable: list[Linted] = field(default_factory=list)
    problems: dict[str, LintProblem] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False
    """Set by the caller that stopped the run."""
    written: list[Path] = field(default_factory=list)
    duplicates: int = 0
    """Certificates given more than once (the same SHA-256): linted and counted once."""

    @property
    def errors(self) -> bool:
        """Whether a finding of error severity (or worse) was reported."""
        return any(SEVERITY_RANK.get(p.severity, 9) <= 1 for p in self.problems.values())

    def as_json(self) -> dict[str, Any]:
        return lint_json(self)


def wanted(finding: LintFinding, severity: str, select: Sequence[str]) -> bool:
    if SEVERITY_RANK.get(finding.severity, 9) > SEVERITY_RANK[severity.upper()]:
        return False
    return not select or any(finding.code.startswith(prefix) for prefix in select)


WITHHELD = "withheld (S/MIME personal data)"
"""What stands for a finding message on an S/MIME certificate: pkilint quotes the values it
finds wrong, e-mail addresses and names among them."""
FINDINGS_FILE = "findings.csv"
_UNDECODABLE_FILES = (f"{UNDECODABLE}.pem", f"{UNDECODABLE}.txt")
_CODE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def is_smime(linted: Linted) -> bool:
    """Whether a linted certificate is S/MIME for disclosure: linted as S/MIME, or S/MIME by
    its own content (any S/MIME policy OID or emailProtection EKU; see ``record._classify``),
    however it was linted."""
    if linted.certificate_type.startswith("smime"):
        return True
    if not linted.pem:
        return False
    body = "".join(line for line in linted.pem.splitlines() if not line.startswith("-----"))
    try:
        der = base64.b64decode(body)
    except ValueError:
        return True  # cannot tell: when in doubt, withhold
    with lenient_parsing():
        return read_certificate(der).kind == "smime"


def shown_message(linted: Linted, finding: LintFinding, include_pii: bool) -> str:
    """The finding's message, or :data:`WITHHELD` for an S/MIME certificate unless personal
    data may be published."""
    return finding.message if include_pii or not is_smime(linted) else WITHHELD


def earlier_outputs(folder: Path) -> list[Path]:
    """What an earlier ``lint --out`` wrote to ``folder``: findings.csv, the file of each code
    it lists, and the undecodable files. Nothing when there is no findings.csv: a folder
    lint has not written to is left alone, and so are symbolic links."""
    findings = folder / FINDINGS_FILE
    if findings.is_symlink() or not findings.is_file():
        return []
    names = {FINDINGS_FILE, *_UNDECODABLE_FILES}
    try:
        with findings.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code = row.get("code") or ""
                if _CODE_FILE.fullmatch(code):
                    names.add(f"{code}.pem")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CaIncidentError(
            f"{findings}: cannot read the findings of an earlier run: {exc}; remove it, or "
            "write to another --out folder"
        ) from None
    # Links are not lint's: left alone here, refused when written to.
    paths = (folder / name for name in names)
    return sorted(path for path in paths if path.is_file() and not path.is_symlink())


class Output:
    """What --out writes, as results arrive, so an interrupted run keeps what it found.

    Files are never written through a link (see :func:`~ca_incident.outputs.open_growing`).
    What an earlier run wrote here is removed first (see :func:`earlier_outputs`): a code no
    longer found must not keep its file, and the folder may be inside an input folder. An
    input that is the output folder, lies in it, or is one of those earlier outputs is
    refused; certificates read from the output folder while walking an input folder are
    skipped (see :meth:`holds`), so a run never reads what it writes."""

    def __init__(
        self, folder: Path, *, include_pii: bool = False, inputs: Sequence[SourceLike] = ()
    ) -> None:
        prepare_folder(folder)
        self.folder = folder
        self.include_pii = include_pii
        previous = earlier_outputs(folder)
        _refuse_inputs_in_output(folder, previous, inputs)
        for path in previous:
            path.unlink(missing_ok=True)
        self._resolved = folder.resolve()
        # Named inputs are outside the folder (refused otherwise); only files found by
        # walking a folder can be in it.
        self._inside: dict[str, bool] = {Source.of(value).name: False for value in inputs}
        self._stack = ExitStack()
        self._findings = self._open(FINDINGS_FILE, newline="")
        self._csv = csv.writer(self._findings, lineterminator="\n")
        self._csv.writerow(["sha256", "code", "severity", "message", "node_path"])
        self._findings.flush()
        self._files: dict[str, IO[str]] = {}

    def _open(self, name: str, newline: str | None = None) -> IO[str]:
        return self._stack.enter_context(open_growing(self.folder / name, newline=newline))

    def _file(self, name: str) -> IO[str]:
        handle = self._files.get(name)
        if handle is None:
            handle = self._files[name] = self._open(name)
        return handle

    def holds(self, linted: Linted) -> bool:
        """Whether a certificate was read from this output folder (one per source file)."""
        inside = self._inside.get(linted.source)
        if inside is None:
            inside = self._inside[linted.source] = is_inside(Path(linted.source), self._resolved)
        return inside

    def write(self, linted: Linted, findings: list[LintFinding]) -> None:
        smime = not self.include_pii and is_smime(linted)
        for finding in findings:
            self._csv.writerow(
                [
                    linted.sha256,
                    finding.code,
                    finding.severity,
                    WITHHELD if smime else finding.message,
                    finding.node_path,
                ]
            )
        for code in sorted({f.code for f in findings}):
            self._file(f"{code}.pem").write(linted.pem or "")

    def undecodable(self, linted: Linted) -> None:
        if linted.pem:
            self._file(f"{UNDECODABLE}.pem").write(linted.pem)
        elif linted.sha256:
            self._file(f"{UNDECODABLE}.txt").write(f"{linted.sha256}\n")

    def close(self) -> list[Path]:
        self._stack.close()
        return [self.folder / FINDINGS_FILE, *(self.folder / n for n in sorted(self._files))]


def _refuse_inputs_in_output(
    folder: Path, previous: list[Path], inputs: Sequence[SourceLike]
) -> None:
    earlier = {path.resolve() for path in previous}
    for source in map(Source.of, inputs):
        if source.path is None:
            continue
        if source.path.resolve() in earlier or is_inside(source.path, folder):
            raise CaIncidentError(
                f"{source.name}: is in the --out folder {folder}, where lint writes (and "
                "clears) its outputs; name inputs elsewhere, or write to another --out folder"
            )


def lint(
    inputs: Sequence[SourceLike],
    *,
    profile: str = "auto",
    severity: str = "warning",
    select: Sequence[str] = (),
    jobs: int = 1,
    out: Path | None = None,
    include_pii: bool = False,
    progress: Callable[[int], None] | None = None,
    into: LintResult | None = None,
    engine: Engine | None = None,
    max_bytes: int = MAX_BYTES,
) -> LintResult:
    """Lint every certificate and group the findings by code, into ``into`` (a new result by
    default). An interrupt (Ctrl-C) propagates to the caller once the outputs written so far
    are closed; ``into`` then holds what was linted, for the caller to report. Finding
    messages on S/MIME certificates are withheld, in the result and in ``out``, unless
    ``include_pii``. ``engine`` lints: by default the local one with ``jobs`` processes; on
    a cluster each partition is grouped, and its part of ``out`` written, on a worker (see
    :func:`~ca_incident.lint.fold_on_cluster`)."""
    result = into if into is not None else LintResult()
    writer = Output(out, include_pii=include_pii, inputs=inputs) if out is not None else None
    done = 0
    seen: set[str] = set()
    names: set[str] = set()
    try:
        if engine is not None and not isinstance(engine, LocalEngine):
            fold = _Fold(severity, tuple(select), include_pii)
            headed = (FINDINGS_FILE,)
            for part in fold_on_cluster(
                inputs,
                profile,
                engine,
                fold,
                out=out,
                headed=headed,
                progress=progress,
                max_bytes=max_bytes,
            ):
                _merge(result, part, names)
            return result
        for linted in iter_linted(inputs, profile, jobs, max_bytes=max_bytes, engine=engine):
            done += 1
            if progress is not None:
                progress(done)
            if writer is not None and writer.holds(linted):
                continue
            _take(result, writer, linted, seen, severity, select, include_pii)
    finally:
        if writer is not None:
            result.written = writer.close()
            result.written += [writer.folder / name for name in sorted(names - {FINDINGS_FILE})]
    return result


def _take(
    result: LintResult,
    writer: Output | None,
    linted: Linted,
    seen: set[str],
    severity: str,
    select: Sequence[str],
    include_pii: bool,
) -> None:
    """One certificate's outcome into ``result`` and ``writer``, in input order; ``seen``
    holds the SHA-256 of those counted before it."""
    if linted.error is None and linted.sha256 is not None:
        if linted.sha256 in seen:
            result.duplicates += 1
            return
        seen.add(linted.sha256)
    if linted.error is not None:
        result.undecodable.append(linted)
        if writer is not None:
            writer.undecodable(linted)
        return
    result.certificates_linted += 1
    result.types[linted.certificate_type] = result.types.get(linted.certificate_type, 0) + 1
    findings = [f for f in linted.findings if wanted(f, severity, select)]
    for code in {f.code for f in findings}:
        first = next(f for f in findings if f.code == code)
        problem = result.problems.get(code)
        if problem is None:
            message = shown_message(linted, first, include_pii)
            problem = result.problems[code] = LintProblem(code, first.severity, 0, message=message)
        problem.add(linted.not_before)
    if writer is not None and findings:
        writer.write(linted, findings)


@dataclass(frozen=True)
class _Fold:
    """One partition's share of :func:`lint`, on a cluster's worker: its outcomes taken as
    the local engine takes them, its part of --out written to ``folder``."""

    severity: str
    select: tuple[str, ...]
    include_pii: bool

    def __call__(
        self, linted: Iterator[Linted], folder: Path | None, earlier: set[str]
    ) -> LintResult:
        result = LintResult()
        writer = Output(folder, include_pii=self.include_pii) if folder is not None else None
        seen = set(earlier)
        try:
            for one in linted:
                _take(result, writer, one, seen, self.severity, self.select, self.include_pii)
        finally:
            if writer is not None:
                result.written = writer.close()
        # Only what is reported travels back: not the PEM of undecodable certificates.
        result.undecodable = [replace(u, pem=None) for u in result.undecodable]
        return result


def _merge(result: LintResult, part: LintResult, names: set[str]) -> None:
    """A later partition's result into ``result``: a code's severity and message stay those
    of the certificate where it was found first."""
    result.certificates_linted += part.certificates_linted
    result.duplicates += part.duplicates
    result.undecodable += part.undecodable
    for kind, count in part.types.items():
        result.types[kind] = result.types.get(kind, 0) + count
    for code, problem in part.problems.items():
        mine = result.problems.setdefault(code, replace(problem, count=0))
        count = mine.count + problem.count
        mine.add(problem.first_not_before)
        mine.add(problem.last_not_before)
        mine.count = count
    names.update(path.name for path in part.written)


def lint_json(result: LintResult) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return iso_z(value) if value is not None else None

    return {
        "certificates_linted": result.certificates_linted,
        "duplicates": result.duplicates,
        "undecodable": len(result.undecodable),
        "problems": [
            {
                "code": p.code,
                "severity": p.severity.lower(),
                "count": p.count,
                "first_not_before": moment(p.first_not_before),
                "last_not_before": moment(p.last_not_before),
                "message": p.message,
            }
            for p in sorted(result.problems.values(), key=lambda p: (-p.count, p.code))
        ],
        "undecodable_certificates": [
            {"source": u.source, "index": u.index, "sha256": u.sha256, "error": u.error}
            for u in result.undecodable
        ],
        "types": dict(sorted(result.types.items())),
        "interrupted": result.interrupted,
        "written": [str(path) for path in result.written],
    }


def estimate_certificates(inputs: Sequence[SourceLike]) -> int | None:
    """A quick count for the progress bar's ETA: PEM blocks and lines, without parsing."""
    total = 0
    for task in tasks.plan([s for s in map(Source.of, inputs) if s.path is not None]):
        if task.end is not None and task.start != 0:
            continue
        try:
            head = Path(task.path).read_bytes()
        except OSError:
            return None
        if head[:2] == b"\x1f\x8b":
            return None
        blocks = head.count(b"-----BEGIN CERTIFICATE")
        total += blocks or (1 if head[:1] == b"\x30" else head.count(b"\n"))
    return total or None
