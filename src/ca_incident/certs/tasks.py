"""Reading split into tasks that worker processes run whole: a file, or a range of a large
file cut at a PEM block (or line) boundary.

A worker reads its own bytes and sends back only records, so no certificate crosses between
processes; the main process merges the results in input order, turning each task's local
positions (certificate index, line) into positions in its file.

An input named by an fsspec URL (``s3://bucket/issued/``, ``file:///data/issued.pem``) is
planned and read the same way through fsspec, when fsspec and the URL's backend are
installed: a cluster's workers read their ranges straight from the store.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from ca_incident.certs.read import (
    _GZIP_MAGIC,
    MAX_BYTES,
    NOTHING,
    Item,
    NothingCertificateLike,
    folder_files,
    iter_bytes,
    iter_file,
    iter_range,
    looks_like_der,
    regular_file,
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
    max_bytes: int = MAX_BYTES
    """How much a compressed input may hold once decompressed."""
    size: int = 0
    """Bytes to read, as planned (of the file, or the range): to batch small tasks."""
    refused: str | None = None
    """Why an entry of a folder is not read (a link to a folder, a FIFO): its one item."""


def plan(
    inputs: Sequence[SourceLike], range_bytes: int | None = None, max_bytes: int = MAX_BYTES
) -> Iterator[Task]:
    """Tasks for every input; a large text file is cut into ranges of about ``range_bytes``
    (default :data:`RANGE`): smaller for slow work such as linting, so workers stay even.
    A cut never splits an item: it falls before a BEGIN line in a file that has PEM blocks
    anywhere, and before a line that starts an item (a hash, a link, a base64 certificate)
    in one that has none."""
    size = range_bytes or RANGE
    for value in inputs:
        source = Source.of(value)
        if source.path is not None and is_url(source.name) and not source.path.exists():
            yield from _url_tasks(source.name, size, max_bytes)
            continue
        if source.data is not None:
            yield Task(
                source.name,
                "",
                named=source.named,
                data=source.data,
                max_bytes=max_bytes,
                size=len(source.data),
            )
            continue
        path = source.path
        assert path is not None
        if path.is_dir():
            for file, refused in folder_files(path):
                if refused is not None:
                    yield Task(str(file), "", named=False, refused=refused)
                else:
                    yield from _file_tasks(file, str(file), False, size, max_bytes)
        else:
            regular_file(path, source.name)
            yield from _file_tasks(path, source.name, True, size, max_bytes)


_PEM_MARK = b"-----BEGIN "


def _has_pem(stream: BinaryIO) -> bool:
    """Whether a PEM BEGIN line occurs anywhere: read once, a window at a time."""
    stream.seek(0)
    tail = b""
    while True:
        window = stream.read(_WINDOW)
        if not window:
            return False
        if _PEM_MARK in tail + window[: len(_PEM_MARK)] or _PEM_MARK in window:
            return True
        tail = window[-len(_PEM_MARK) :]


_ITEM_START = re.compile(rb"\n(?=MII|https?://|[0-9A-Fa-f]{2}[0-9A-Fa-f:]{62}|#)")
"""A line that starts an item of a list (or a comment): never a continuation of the one
before, so a range may begin there."""


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(name: str) -> bool:
    """Whether an input names an fsspec URL (``s3://...``) rather than a path."""
    return _URL.match(name) is not None


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise CaIncidentError(
            f"{url}: reading URLs needs fsspec and its backend for the scheme "
            "(pip install 'ca-incident[dask]', and s3fs for s3://)"
        ) from None
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise CaIncidentError(f"{url}: {exc}") from None
    return fs, str(root)


def _url_tasks(url: str, range_bytes: int, max_bytes: int) -> Iterator[Task]:
    """Tasks for a URL: a file, or every file under a prefix (a folder), in name order,
    hidden ones left out, as for a folder on disk."""
    fs, root = _filesystem(url)
    try:
        if not fs.isdir(root):
            if not fs.exists(root):
                raise CaIncidentError(f"{url}: no such file or folder")
            yield from _file_tasks(url, url, True, range_bytes, max_bytes, size=fs.size(root))
            return
        files = sorted(f for f in fs.find(root) if not f.rsplit("/", 1)[-1].startswith("."))
    except OSError as exc:
        raise CaIncidentError(f"{url}: cannot read: {exc.strerror or exc}") from None
    for file in files:
        name = fs.unstrip_protocol(file)
        yield from _file_tasks(name, name, False, range_bytes, max_bytes, size=fs.size(file))


def _open(path: str) -> BinaryIO:
    """A file by path, or by URL through fsspec."""
    if is_url(path):
        fs, root = _filesystem(path)
        stream: BinaryIO = fs.open(root, "rb")
        return stream
    return Path(path).open("rb")


def _file_tasks(
    file: Path | str,
    source: str,
    named: bool,
    range_bytes: int,
    max_bytes: int = MAX_BYTES,
    size: int | None = None,
) -> Iterator[Task]:
    try:
        if size is None:
            size = Path(file).stat().st_size
        if size <= range_bytes:
            yield Task(source, str(file), named=named, max_bytes=max_bytes, size=size)
            return
        with _open(str(file)) as stream:
            head = stream.read(min(_WINDOW, range_bytes))
            if head[:2] == _GZIP_MAGIC or looks_like_der(head):
                yield Task(source, str(file), named=named, max_bytes=max_bytes, size=size)
                return
            pem_mode = _has_pem(stream)
            boundaries = [0]
            position = range_bytes
            while position < size:
                stream.seek(position)
                window = stream.read(_WINDOW)
                if not window:
                    break
                if pem_mode:
                    found = window.find(b"\n" + _PEM_MARK)
                else:
                    match = _ITEM_START.search(window)
                    found = match.start() if match else -1
                if found < 0:
                    position += max(len(window) - len(_PEM_MARK), 1)
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
            max_bytes=max_bytes,
            size=end - start,
        )


def run(task: Task) -> tuple[Iterator[Item], int]:
    """The task's items, with positions local to it, and the lines it spans."""
    if task.refused is not None:
        return iter([Item(task.source, 0, error=task.refused)]), 0
    if task.data is not None:
        return iter_bytes(task.data, task.source, named=task.named, max_bytes=task.max_bytes), 0
    if task.end is None:
        if is_url(task.path):
            # Read whole, like an input in memory: a small file, DER, or a compressed input.
            with _open(task.path) as stream:
                data = stream.read()
            return iter_bytes(data, task.source, named=task.named, max_bytes=task.max_bytes), 0
        path = Path(task.path)
        return iter_file(path, named=task.named, name=task.source, max_bytes=task.max_bytes), 0
    try:
        with _open(task.path) as stream:
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


def even_range(total: int, limit: int, workers: int, least: int = 1 << 20) -> int:
    """Bytes a partition, at most ``limit``, that cut ``total`` bytes into a multiple of
    ``workers`` partitions of about equal size: in the last round every worker has one,
    instead of one worker reading while the others wait."""
    if total <= 0 or workers <= 1:
        return limit
    count = -(-total // limit)
    count = -(-count // workers) * workers
    return max(least, min(limit, -(-total // count)))


Numbered = tuple[int, Task]
"""A task with its number in input order."""


def batches(planned: Iterable[Task], limit: int) -> list[list[Numbered]]:
    """The tasks, numbered in input order, in partitions of consecutive tasks of about
    ``limit`` bytes in all: a folder of small files makes a few partitions, not one task
    each; a range of a large file, cut to about ``limit`` already, is a partition alone."""
    out: list[list[Numbered]] = []
    held = limit
    for number, task in enumerate(planned):
        if held + task.size > limit:
            out.append([])
            held = 0
        out[-1].append((number, task))
        held += task.size
    return out


def starts(
    planned: Iterable[Task], sizes: Iterable[tuple[int, int]]
) -> list[tuple[FilePosition, Item | None]]:
    """Where each task starts in its file, from what every task held (results, lines), as
    :func:`in_file_order` counts them; with, after the last task of a file that held
    nothing, the item saying so (raised for a named file). For tasks run apart, whose
    results come back out of order: the positions need only these counts."""
    out: list[tuple[FilePosition, Item | None]] = []
    position = FilePosition()
    for task, (count, newlines) in zip(planned, sizes, strict=True):
        if task.first_of_file:
            position = FilePosition()
        start = FilePosition(position.index, position.line, position.found)
        position.found += count
        out.append((start, nothing_in(task, position)))
        position.index += count
        position.line += newlines
    return out


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


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C on a terminal reaches every process of the group: a worker ignores it, and the
    parent, which alone reports and keeps what was done, stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    tasks = list(planned)
    jobs = min(jobs, len(tasks))  # never more workers than there is work
    if jobs <= 1:
        for task in tasks:
            yield task, here(task)
        return
    pending: list[tuple[Task, Future[T]]] = []
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_leave_interrupts_to_the_parent)
    try:
        for task in tasks:
            pending.append((task, pool.submit(in_worker, task)))
            while len(pending) > 2 * jobs:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
