"""Writing output files safely: whole or not at all, never through a symbolic link, and only
where they belong.

A file is written to a temporary file in its own folder and renamed over the target, so a
reader (or an interrupted run) sees the old file or the new one, never half of one; the rename
replaces a name, never follows it. A file that grows as results arrive (``lint --out``) is
renamed into place when it is created, then written through the same descriptor.

A target that is a symbolic link is refused rather than followed or replaced: a link planted
at ``out/report.md`` must not turn a build into a write anywhere else. With ``within``, the
target's folder must resolve inside that folder (an incident's ``out/`` must stay in the
incident folder); a path the user names on the command line is written where it says.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO

from ca_incident.errors import CaIncidentError

TEMPORARY_PREFIX = ".ca-incident-"
"""How temporary files start: hidden, so that a folder being read skips them."""


class OutputError(CaIncidentError):
    """An output that cannot or must not be written where it was asked for."""


@cache
def _mode() -> int:
    """Permissions of a new output: what ``open`` would give, under the process umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, every link followed, lies in ``folder`` (or is it)."""
    return path.resolve().is_relative_to(folder.resolve())


def prepare_folder(folder: Path, *, within: Path | None = None, create: bool = True) -> Path:
    """The folder outputs go to, created if asked, checked to be a folder and, with
    ``within``, to resolve inside it."""
    if create:
        if within is not None and not is_inside(folder.parent, within):
            raise OutputError(f"{folder}: outside {within}; refusing to write there")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OutputError(f"{folder}: not a folder") from None
        except OSError as exc:
            raise OutputError(f"{folder}: cannot create: {exc.strerror or exc}") from None
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise OutputError(f"{folder}: {what}")
    if within is not None and not is_inside(folder, within):
        raise OutputError(
            f"{folder}: resolves to {folder.resolve()}, outside {within}; refusing to write there"
        )
    return folder


def _check_target(path: Path, within: Path | None) -> None:
    if path.is_symlink():
        raise OutputError(
            f"{path}: a symbolic link; refusing to write through it (remove it, or name "
            "another output)"
        )
    if path.is_dir():
        raise OutputError(f"{path}: a folder, expected a file")
    prepare_folder(path.parent, within=within, create=False)


@contextlib.contextmanager
def _replacing(
    path: Path, within: Path | None, keep_on_interrupt: bool
) -> Iterator[tuple[int, str]]:
    """A temporary file beside ``path`` (its descriptor and name), renamed over ``path`` when
    the block ends, and removed if it fails; with ``keep_on_interrupt`` an interrupt (Ctrl-C)
    still renames it, so that what was written so far is kept."""
    _check_target(path, within)
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f"{TEMPORARY_PREFIX}{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        os.fchmod(descriptor, _mode())
        try:
            yield descriptor, temporary
        except KeyboardInterrupt:
            if keep_on_interrupt:
                _replace(temporary, path)
            raise
        _replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def atomic_open(
    path: Path,
    *,
    within: Path | None = None,
    newline: str | None = None,
    keep_on_interrupt: bool = False,
) -> Iterator[IO[str]]:
    """A text file (UTF-8) to write ``path`` through: written beside it and renamed over it
    when the block ends, so ``path`` is the old file or the whole new one."""
    with (
        _replacing(path, within, keep_on_interrupt) as (descriptor, _),
        os.fdopen(descriptor, "w", encoding="utf-8", newline=newline) as handle,
    ):
        try:
            yield handle
        finally:
            handle.flush()
            os.fsync(handle.fileno())


def open_growing(path: Path, *, newline: str | None = None) -> IO[str]:
    """A text file (UTF-8) that grows as results arrive, for outputs an interrupted run must
    keep: created beside ``path`` and renamed over it at once (never through a link, and an
    earlier file replaced whole, not truncated under its readers), then written through the
    same descriptor, so no name is opened twice. The caller closes it."""
    with contextlib.ExitStack() as on_error:
        with _replacing(path, None, keep_on_interrupt=False) as (descriptor, _):
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline=newline)
            on_error.callback(handle.close)
        # The descriptor outlives the rename: it is the file now at ``path``.
        on_error.pop_all()
    return handle


def _replace(temporary: str, path: Path) -> None:
    # The link check again, as late as it can be: a link put there meanwhile is refused too.
    if path.is_symlink():
        raise OutputError(f"{path}: became a symbolic link while it was written; not replaced")
    try:
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_text(path: Path, text: str, *, within: Path | None = None) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_open`."""
    with atomic_open(path, within=within) as handle:
        handle.write(text)
    return path


def write_bytes(path: Path, data: bytes, *, within: Path | None = None) -> Path:
    """Write ``data`` to ``path`` atomically; see :func:`atomic_open`."""
    with (
        _replacing(path, within, keep_on_interrupt=False) as (descriptor, _),
        os.fdopen(descriptor, "wb") as handle,
    ):
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path
