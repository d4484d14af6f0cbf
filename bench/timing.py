"""Timing for the benchmarks: medians of interleaved runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def median_seconds(actions: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """Each action's median wall time over ``repeat`` rounds. The actions take turns within
    each round, so the machine's noise falls on all of them alike."""
    runs: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for times, action in zip(runs, actions, strict=True):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in runs]
