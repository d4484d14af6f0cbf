"""The Dask engine: partitions run on the workers of a Dask distributed cluster.

Imported only when ``--engine dask`` is chosen: the local path never loads Dask. With a
scheduler address, the cluster is whatever runs there (``dask-scheduler`` and ``dask-worker``
on several machines, or Kubernetes; see docs/scale.md); without one, a LocalCluster of
worker processes is started on this machine for the run and stopped after it.

Dask retries a task whose worker was lost (up to ``distributed.scheduler.allowed-failures``
times), so a worker killed mid-run costs time, not answers: every task here is a pure
function of its inputs, or an append that puts a file back to where it started before
writing (see :mod:`ca_incident.lint`).
"""

from __future__ import annotations

import logging
import operator
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ca_incident.errors import CaIncidentError

try:
    import dask
    import distributed
except ImportError:  # pragma: no cover - depends on the installed extras
    raise CaIncidentError(
        "--engine dask needs Dask distributed: pip install 'ca-incident[dask]'"
    ) from None

CONNECT_SECONDS = 30
"""How long to wait for a scheduler (and for a LocalCluster's workers) to answer."""


class DaskEngine:
    """A Dask client: submits functions to the cluster's workers, gathers small results."""

    name = "dask"

    def __init__(self, client: distributed.Client) -> None:
        self.client = client
        self.progress: Callable[[int, int, int], None] | None = None
        """See :data:`ca_incident.engines.PartitionProgress`."""

    @classmethod
    @contextmanager
    def connect(cls, scheduler: str | None, *, workers: int | None = None) -> Iterator[DaskEngine]:
        """A client of the scheduler at ``scheduler``, or of a LocalCluster of ``workers``
        processes (one per core by default), one thread each: parsing and pkilint hold
        Python's lock, so threads would not run them side by side."""
        if scheduler is not None:
            try:
                client = distributed.Client(scheduler, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError) as exc:
                raise CaIncidentError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from None
            with client:
                yield cls(client)
            return
        with (
            # The statistical profiler samples every worker's stack a hundred times a second:
            # a cost on every task, for a dashboard nobody here looks at.
            dask.config.set({"distributed.worker.profile.enabled": False}),
            distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # no fixed port: two clusters may run at once
                # A worker's heartbeat meeting the closed scheduler at the end is no news;
                # task errors reach the client all the same.
                silence_logs=logging.CRITICAL,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield cls(client)

    @property
    def workers(self) -> int:
        threads: dict[str, int] = self.client.nthreads()
        return max(1, sum(threads.values()))

    def submit(self, function: Callable[..., Any], /, *args: Any, priority: int = 0) -> Any:
        # Not pure: two runs over the same paths must read the files again.
        return self.client.submit(function, *args, pure=False, priority=priority)

    def part(self, future: Any, index: int) -> Any:
        return self.client.submit(operator.getitem, future, index)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        yield from distributed.as_completed(list(futures))

    def first_done(self, futures: list[Any]) -> list[Any]:
        return list(distributed.wait(futures, return_when="FIRST_COMPLETED").done)

    def gather(self, futures: list[Any]) -> list[Any]:
        return list(self.client.gather(futures))

    def cancel(self, futures: Iterable[Any]) -> None:
        # Only what has not finished: cancelling a finished future cancels its dependents too,
        # and the scheduler refuses a dependent no client holds.
        self.client.cancel([future for future in futures if not future.done()])
