"""Where the certificate jobs run: a process pool on this machine, or a Dask cluster.

``collect`` (``certs summarize``, ``certs appendix``) and ``lint`` take an engine. The
:class:`~ca_incident.engines.local.LocalEngine` is today's pool of worker processes, reading
tasks in input order while this process merges. A :class:`Cluster` (the Dask one, in
:mod:`ca_incident.engines.cluster`, imported only when it is chosen) runs partitions on
workers that may be on other machines: each partition is read, parsed, linted and summarised
where it runs, and only small partial results reach this process.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, Literal, Protocol, TypeVar

from ca_incident.engines.local import LocalEngine

ENGINES = ("local", "dask")
EngineName = Literal["local", "dask"]
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
"""The environment variable naming a running Dask scheduler, as Dask's own tools read it."""

PartitionProgress = Callable[[int, int, int], None]
"""Called as partitions finish: partitions done, partitions in all, certificates done."""


class Cluster(Protocol):
    """What the jobs ask of a cluster: run functions on workers, near their data, and hand
    back futures; only what is gathered travels to this process."""

    name: str
    progress: PartitionProgress | None

    @property
    def workers(self) -> int:
        """Worker threads in the cluster: how many partitions run at once."""
        ...

    def submit(self, function: Callable[..., Any], /, *args: Any, priority: int = 0) -> Any:
        """A future of ``function(*args)`` run on a worker; futures among the arguments are
        replaced by their results there. Of the tasks ready, those of higher ``priority``
        run first: partitions in input order, so results can be taken in that order."""
        ...

    def part(self, future: Any, index: int) -> Any:
        """A future of ``future.result()[index]``, computed where ``future``'s result is."""
        ...

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        """The futures as they finish."""
        ...

    def first_done(self, futures: list[Any]) -> list[Any]:
        """Wait until one of the futures (at least) has finished; those that have."""
        ...

    def gather(self, futures: list[Any]) -> list[Any]:
        """The results, brought to this process: only for small ones."""
        ...

    def cancel(self, futures: Iterable[Any]) -> None:
        """Stop what has not run yet (and drop what has)."""
        ...


Engine = LocalEngine | Cluster

T = TypeVar("T")


class Packed(Generic[T]):
    """A value pickled once, as bytes, to travel between workers: Dask sends bytes as they
    are, where it would walk a list of a hundred thousand records element by element."""

    __slots__ = ("data",)

    def __init__(self, value: T) -> None:
        self.data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def unpack(self) -> T:
        value: T = pickle.loads(self.data)
        return value


def from_environment(scheduler: str | None, environ: dict[str, str]) -> str | None:
    """The scheduler named by ``--scheduler``, else by ``DASK_SCHEDULER_ADDRESS``, else none
    (a LocalCluster is started)."""
    return scheduler or environ.get(SCHEDULER_VARIABLE) or None


@contextmanager
def open_engine(
    name: EngineName,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: PartitionProgress | None = None,
) -> Iterator[Engine]:
    """The engine named: ``local`` with ``jobs`` processes, or ``dask`` on the scheduler at
    ``scheduler`` (``tcp://HOST:PORT``), or on a LocalCluster of ``workers`` processes
    (default: ``jobs`` when above one, else one per core) started here and stopped at the end.
    Dask is imported only here, and only for ``dask``."""
    if name == "local":
        if scheduler is not None:
            raise ValueError("a scheduler is for --engine dask")
        yield LocalEngine(jobs)
        return
    if name != "dask":
        raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
    from ca_incident.engines.cluster import DaskEngine

    with DaskEngine.connect(scheduler, workers=workers or (jobs if jobs > 1 else None)) as engine:
        engine.progress = progress
        yield engine
