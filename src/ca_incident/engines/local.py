"""Today's engine: worker processes on this machine, fed tasks in input order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from ca_incident.certs import tasks

T = TypeVar("T")


@dataclass(frozen=True)
class LocalEngine:
    """``jobs`` worker processes (none with one job: the work runs in this process)."""

    jobs: int = 1
    name: str = "local"

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")

    def run_tasks(
        self,
        planned: Iterable[tasks.Task],
        here: Callable[[tasks.Task], T],
        in_worker: Callable[[tasks.Task], T],
    ) -> Iterator[tuple[tasks.Task, T]]:
        """Each task with its outcome, in input order; see :func:`tasks.run_tasks`."""
        return tasks.run_tasks(planned, here, in_worker, self.jobs)
