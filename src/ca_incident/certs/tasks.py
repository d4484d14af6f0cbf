"""Reading split into tasks that worker processes run whole: a file, or a range of a large
file cut at a PEM block (or line) boundary.

A worker reads its own bytes and sends back only records, so no certificate crosses between
processes; the main process merges the results in input order, turning each task's local
positions (certificate index, line) into positions in its file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ca_incident.certs.read import (
    _GZIP_MAGIC,
    NOTHING,
    Item,
    NothingCertificateLike,
    folder_files,
    iter_bytes,
    iter_file,
    iter_range,
    looks_like_der,
)
from ca_incident.errors import CaIncidentError
from ca_incident.sources import Source, SourceLike

RANGE = 2 << 20
"""Bytes of a large text file per task: thousands of certificates, a few MiB of results."""
_WINDOW = 1 << 20


@dataclass(frozen=True)
class Task:
    source: str
    """The name the user knows the input by (a path, an attachment's name, -)."""
    path: str
    """The file to open; empty for an input held in memory."""
    start: int = 0
    end: int | None = None
    """None: the whole file, read by the general reader (any format)."""
    pem_mode: bool = False
    named: bool = True
    """The user named this file: holding nothing certificate-like is an error."""
    first_of_file: bool = True
    last_of_file: bool = True
    data: bytes | None = None
    """An input held in memory, read whole by the task."""


def plan(inputs: Sequence[SourceLike], range_bytes: int | None = None) -> Iterator[Task]:
    """Tasks for every input; a large text file is cut into ranges of about ``range_bytes``
    (default :data:`RANGE`): smaller for slow work such as linting, so workers stay even."""
    size = range_bytes or RANGE
    for value in inputs:
        source = Source.of(value)
        if source.data is not None:
            yield Task(source.name, "", data=source.data)
            continue
        path = source.path
        assert path is not None
        if path.is_dir():
            for file in folder_files(path):
                yield from _file_tasks(file, str(file), False, size)
        elif path.exists():
            yield from _file_tasks(path, source.name, True, size)
        else:
            raise CaIncidentError(f"{source.name}: no such file or folder")


def _file_tasks(file: Path, source: str, named: bool, range_bytes: int) -> Iterator[Task]:
    try:
        size = file.stat().st_size
        if size <= range_bytes:
            yield Task(source, str(file), named=named)
            return
        with file.open("rb") as stream:
            head = stream.read(min(_WINDOW, range_bytes))
            if head[:2] == _GZIP_MAGIC or looks_like_der(head):
                yield Task(source, str(file), named=named)
                return
            pem_mode = b"-----BEGIN " in head
            marker = b"\n-----BEGIN " if pem_mode else b"\n"
            boundaries = [0]
            position = range_bytes
            while position < size:
                stream.seek(position)
                window = stream.read(_WINDOW)
                if not window:
                    break
                found = window.find(marker)
                if found < 0:
                    position += len(window)
                    continue
                boundaries.append(position + found + 1)
                position = boundaries[-1] + range_bytes
    except OSError as exc:
        raise CaIncidentError(f"{source}: cannot read: {exc.strerror or exc}") from None
    ends = [*boundaries[1:], size]
    for number, (start, end) in enumerate(zip(boundaries, ends, strict=True)):
        yield Task(
            source,
            str(file),
            start,
            end,
            pem_mode,
            named,
            first_of_file=number == 0,
            last_of_file=number == len(boundaries) - 1,
        )


def run(task: Task) -> tuple[Iterator[Item], int]:
    """The task's items, with positions local to it, and the lines it spans."""
    if task.data is not None:
        return iter_bytes(task.data, task.source, named=task.named), 0
    if task.end is None:
        return iter_file(Path(task.path), named=task.named, name=task.source), 0
    try:
        with Path(task.path).open("rb") as stream:
            stream.seek(task.start)
            data = stream.read(task.end - task.start)
    except OSError as exc:
        raise CaIncidentError(f"{task.source}: cannot read: {exc.strerror or exc}") from None
    return iter_range(data, task.source, task.pem_mode), data.count(b"\n")


@dataclass
class FilePosition:
    """Where the next task of a file starts: certificates and lines before it."""

    index: int = 0
    line: int = 0
    found: int = 0


R = TypeVar("R")


def in_file_order(
    outcomes: Iterable[tuple[Task, tuple[Iterable[R], int]]],
) -> Iterator[tuple[R | Item, FilePosition]]:
    """Each result with the position of its task in its file (certificates and lines before
    it), for the caller to shift task-local positions; after a file whose ranges held nothing,
    the item saying so. The position is shared: read it before taking the next result."""
    position = FilePosition()
    for task, (results, newlines) in outcomes:
        if task.first_of_file:
            position = FilePosition()
        count = 0
        for result in results:
            count += 1
            position.found += 1
            yield result, position
        nothing = nothing_in(task, position)
        if nothing is not None:
            yield nothing, FilePosition()
        position.index += count
        position.line += newlines


def place(item: Item, at: FilePosition) -> Item:
    """An item with its position in the whole file."""
    if at.index == 0 and at.line == 0:
        return item
    return item._replace(index=item.index + at.index, line=item.line + at.line if item.line else 0)


def nothing_in(task: Task, at: FilePosition) -> Item | None:
    """After the last range of a file: the file held nothing (raise for a named file)."""
    if not task.last_of_file or task.end is None or at.found:
        return None
    why = "no PEM block, DER, base64 certificate, SHA-256 or crt.sh link"
    if task.named:
        raise NothingCertificateLike(f"{task.source}: {NOTHING} ({why})")
    return Item(task.source, 0, error=f"{NOTHING} ({why})")


T = TypeVar("T")


def run_tasks(
    planned: Iterable[Task],
    here: Callable[[Task], T],
    in_worker: Callable[[Task], T],
    jobs: int,
) -> Iterator[tuple[Task, T]]:
    """Each task with its outcome, in input order: ``here`` in this process with one job,
    else ``in_worker`` (picklable) in ``jobs`` processes, at most two tasks per worker in
    flight so memory stays flat. On an interrupt, queued work is dropped and running tasks
    end; what was already yielded stands."""
    if jobs <= 1:
        for task in planned:
            yield task, here(task)
        return
    pending: list[tuple[Task, Future[T]]] = []
    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        for task in planned:
            pending.append((task, pool.submit(in_worker, task)))
            while len(pending) > 2 * jobs:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
