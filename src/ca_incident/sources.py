"""Inputs as jobs take them: a file or folder on disk, or bytes in memory, each with the name a
user knows it by.

A web request or a Bugzilla attachment feeds a job the same way a folder does, with no temporary
files: certificates, CRLs and issuer certificates are :class:`Source` values, and an incident's
own file names (``certificates: [certs]``, ``crls: [crl/ca.crl]``) are turned into sources by a
:class:`Resolver`: :class:`FolderFiles` for an incident folder, :class:`MemoryFiles` for bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from ca_incident.errors import CaIncidentError


@dataclass(frozen=True)
class Source:
    """One input: ``path`` on disk (a file or a folder), or ``data`` in memory."""

    name: str
    """What the user knows it by: a path, an attachment's file name, ``-``."""
    path: Path | None = None
    data: bytes | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("a Source has a path or data, exactly one of them")

    @classmethod
    def of(cls, value: SourceLike) -> Source:
        if isinstance(value, Source):
            return value
        return cls(str(value), path=Path(value))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name, data=data)

    def read_bytes(self) -> bytes:
        """The whole input (a file's bytes); a folder or a missing file is an input error."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except IsADirectoryError:
            raise CaIncidentError(f"{self.name}: a folder, expected a file") from None
        except FileNotFoundError:
            raise CaIncidentError(f"{self.name}: no such file") from None
        except OSError as exc:
            raise CaIncidentError(f"{self.name}: cannot read: {exc.strerror or exc}") from None


SourceLike = str | Path | Source


def as_sources(values: Iterable[SourceLike]) -> list[Source]:
    return [Source.of(value) for value in values]


class Resolver(Protocol):
    """Turns a name an incident file gives (relative to the incident) into sources."""

    def __call__(self, name: str) -> list[Source]: ...


@dataclass(frozen=True)
class FolderFiles:
    """Names relative to an incident folder."""

    folder: Path

    def __call__(self, name: str) -> list[Source]:
        path = self.folder / name
        return [Source(str(path), path=path)]


@dataclass(frozen=True)
class MemoryFiles:
    """Names in a mapping of file name to bytes; a name that is a folder prefix
    (``certs`` for ``certs/a.pem``) stands for every file under it, in name order."""

    files: Mapping[str, bytes]

    def __call__(self, name: str) -> list[Source]:
        wanted = PurePosixPath(name)
        if str(wanted) in self.files:
            return [Source(str(wanted), data=self.files[str(wanted)])]
        under = sorted(key for key in self.files if wanted in PurePosixPath(key).parents)
        if not under:
            raise CaIncidentError(f"{name}: no such file among the inputs given")
        return [Source(key, data=self.files[key]) for key in under]


def resolve_all(resolver: Resolver, names: list[str] | tuple[str, ...]) -> list[Source]:
    return [source for name in names for source in resolver(name)]
