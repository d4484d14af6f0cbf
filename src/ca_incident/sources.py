"""Inputs as jobs take them: a file or folder on disk, or bytes in memory, each with the name a
user knows it by.

A web request or a Bugzilla attachment feeds a job the same way a folder does, with no temporary
files: certificates, CRLs and issuer certificates are :class:`Source` values, and an incident's
own file names (``certificates: [certs]``, ``crls: [crl/ca.crl]``) are turned into sources by a
:class:`Resolver`: :class:`FolderFiles` for an incident folder, :class:`MemoryFiles` for bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
    named: bool = True
    """Named by the user: holding nothing certificate-like is an error. False for a file
    found in a folder, which then becomes one error item instead, as on disk."""

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("a Source has a path or data, exactly one of them")
        if self.data is not None and not isinstance(self.data, bytes):
            raise TypeError(f"{self.name}: data must be bytes, not {type(self.data).__name__}")

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


_OUTSIDE_ALLOWED: ContextVar[bool] = ContextVar("ca_incident_outside_allowed", default=False)


@contextmanager
def outside_allowed(allowed: bool = True) -> Iterator[None]:
    """Within the block, incident folders may name inputs outside themselves, as
    ``--allow-outside`` asks, for a job that reads a folder without taking the switch itself
    (``check`` of an incident folder)."""
    token = _OUTSIDE_ALLOWED.set(allowed)
    try:
        yield
    finally:
        _OUTSIDE_ALLOWED.reset(token)


@dataclass(frozen=True)
class FolderFiles:
    """Names relative to an incident folder, which must stay inside it.

    An incident file is data anyone may have written (an attachment, a pull request): a name
    that resolves outside the folder (``../secrets.txt``, an absolute path, a link that leads
    out, or a file reached through one inside a named folder) is refused unless
    ``allow_outside`` (``--allow-outside``), so that building an incident never reads, and
    never copies into its outputs, a file the incident does not hold. Names in ``anywhere``
    are exempt: an incident's CRLs and issuer certificates, public documents a CA keeps once
    for all its incidents, which are only verified against (see :meth:`for_incident`)."""

    folder: Path
    allow_outside: bool = False
    anywhere: frozenset[str] = frozenset()

    @classmethod
    def for_incident(
        cls,
        folder: Path,
        *,
        certificates: Iterable[str],
        verification: Iterable[str],
        allow_outside: bool = False,
    ) -> FolderFiles:
        """The files of an incident folder: ``verification`` (CRLs, issuer certificates) may
        lie anywhere, unless also named among the ``certificates``, whose content reaches
        the outputs."""
        anywhere = frozenset(verification) - frozenset(certificates)
        return cls(folder, allow_outside=allow_outside, anywhere=anywhere)

    def __call__(self, name: str) -> list[Source]:
        path = self.folder / name
        if not (self.allow_outside or name in self.anywhere or _OUTSIDE_ALLOWED.get()):
            self._refuse_outside(name, path)
        return [Source(str(path), path=path)]

    def _refuse_outside(self, name: str, path: Path) -> None:
        root = self.folder.resolve()
        outside = [path] if not path.resolve().is_relative_to(root) else []
        if not outside and path.is_dir():
            outside = [
                file
                for file in sorted(path.rglob("*"))
                if file.is_symlink() and not file.resolve().is_relative_to(root)
            ]
        if outside:
            where = f"'{name}'" if outside[0] == path else f"'{outside[0]}' (in '{name}')"
            raise OutsideFolderError(
                f"{where} resolves to {outside[0].resolve()}, outside the incident folder "
                f"{self.folder}; move it into the folder, or pass --allow-outside"
            )


class OutsideFolderError(CaIncidentError):
    """An incident names an input outside its own folder."""


@dataclass(frozen=True)
class MemoryFiles:
    """Names in a mapping of file name to bytes, read as a folder would be: a name that is a
    folder (``certs`` for ``certs/a.pem``) stands for every file under it, in name order,
    hidden files left out, and a file there that is not a certificate is one error item."""

    files: Mapping[str, bytes]

    def __post_init__(self) -> None:
        for key, value in self.files.items():
            if not isinstance(value, bytes):
                raise TypeError(f"{key}: the content must be bytes, not {type(value).__name__}")

    def __call__(self, name: str) -> list[Source]:
        wanted = _clean(name)
        if wanted is None:
            raise CaIncidentError(f"'{name}': name a file or a folder among the inputs")
        keys = {_clean(key): key for key in self.files}
        if wanted in keys:
            return [Source(str(wanted), data=self.files[keys[wanted]])]
        under = sorted(
            (path, key)
            for path, key in keys.items()
            if path is not None
            and wanted in path.parents
            and not any(part.startswith(".") for part in path.relative_to(wanted).parts)
        )
        if not under:
            raise CaIncidentError(f"{name}: no such file among the inputs given")
        return [Source(str(path), data=self.files[key], named=False) for path, key in under]


def _clean(name: str) -> PurePosixPath | None:
    """A name as a relative path, ``./`` dropped; None for one that names nothing."""
    path = PurePosixPath(name)
    if str(path) in ("", ".") or path.is_absolute():
        return None
    return path


def resolve_all(resolver: Resolver, names: list[str] | tuple[str, ...]) -> list[Source]:
    return [source for name in names for source in resolver(name)]
