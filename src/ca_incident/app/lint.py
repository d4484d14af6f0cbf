"""The lint job: find the affected certificates with pkilint and group them into one candidate
problem per finding code; ``--out`` writes a PEM file per code and findings.csv as results
arrive, so an interrupted run keeps what it found."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ca_incident.certs import tasks
from ca_incident.lint import UNDECODABLE, Linted, LintFinding, iter_linted
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


class Output:
    """What --out writes, as results arrive, so an interrupted run keeps what it found."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._findings = (folder / "findings.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._findings, lineterminator="\n")
        self._csv.writerow(["sha256", "code", "severity", "message", "node_path"])
        self._files: dict[str, io.TextIOWrapper] = {}

    def _file(self, name: str) -> io.TextIOWrapper:
        handle = self._files.get(name)
        if handle is None:
            handle = self._files[name] = (self.folder / name).open("w", encoding="utf-8")
        return handle

    def write(self, linted: Linted, findings: list[LintFinding]) -> None:
        for finding in findings:
            self._csv.writerow(
                [linted.sha256, finding.code, finding.severity, finding.message, finding.node_path]
            )
        for code in sorted({f.code for f in findings}):
            self._file(f"{code}.pem").write(linted.pem or "")

    def undecodable(self, linted: Linted) -> None:
        if linted.pem:
            self._file(f"{UNDECODABLE}.pem").write(linted.pem)
        elif linted.sha256:
            self._file(f"{UNDECODABLE}.txt").write(f"{linted.sha256}\n")

    def close(self) -> list[Path]:
        self._findings.close()
        for handle in self._files.values():
            handle.close()
        return [self.folder / "findings.csv", *(self.folder / n for n in sorted(self._files))]


def lint(
    inputs: Sequence[SourceLike],
    *,
    profile: str = "auto",
    severity: str = "warning",
    select: Sequence[str] = (),
    jobs: int = 1,
    out: Path | None = None,
    progress: Callable[[int], None] | None = None,
    into: LintResult | None = None,
) -> LintResult:
    """Lint every certificate and group the findings by code, into ``into`` (a new result by
    default). An interrupt (Ctrl-C) propagates to the caller once the outputs written so far
    are closed; ``into`` then holds what was linted, for the caller to report."""
    result = into if into is not None else LintResult()
    writer = Output(out) if out is not None else None
    done = 0
    try:
        for linted in iter_linted(inputs, profile, jobs):
            done += 1
            if progress is not None:
                progress(done)
            if linted.error is not None:
                result.undecodable.append(linted)
                if writer is not None:
                    writer.undecodable(linted)
                continue
            result.certificates_linted += 1
            result.types[linted.certificate_type] = result.types.get(linted.certificate_type, 0) + 1
            findings = [f for f in linted.findings if wanted(f, severity, select)]
            for code in {f.code for f in findings}:
                first = next(f for f in findings if f.code == code)
                problem = result.problems.setdefault(
                    code, LintProblem(code, first.severity, message=first.message)
                )
                problem.add(linted.not_before)
            if writer is not None and findings:
                writer.write(linted, findings)
    finally:
        if writer is not None:
            result.written = writer.close()
    return result


def lint_json(result: LintResult) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return iso_z(value) if value is not None else None

    return {
        "certificates_linted": result.certificates_linted,
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
