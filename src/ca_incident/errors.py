"""Errors a user can cause and fix. The CLI prints them without a traceback and exits 2."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class CaIncidentError(Exception):
    """Base of every error caused by the input rather than by a bug in ca-incident."""


@dataclass(frozen=True, order=True)
class InputProblem:
    """One thing wrong in an input file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class IncidentFileError(CaIncidentError):
    """The incident file has one or more errors; all of them are listed."""

    def __init__(self, path: Path | str, problems: Iterable[InputProblem]) -> None:
        self.path = str(path)
        self.problems = sorted(set(problems))
        count = len(self.problems)
        head = f"{self.path}: {count} error{'s' if count != 1 else ''} in the incident file"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


class ReportTooLongError(CaIncidentError):
    """A rendered report does not fit in one Bugzilla comment."""
