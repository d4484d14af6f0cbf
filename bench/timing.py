"""Timing for the benchmarks: medians of interleaved runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
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


def paired_runs(
    actions: Sequence[Callable[[], object]], repeat: int
) -> tuple[list[float], list[list[float]]]:
    """Each action's median wall time over ``repeat`` rounds, and for each action its
    speed as a ratio to the first action's in each round (the first action's time over its
    own). The actions take turns within a round, in alternating order, so a ratio compares
    runs moments apart: on a shared machine whose speed drifts over minutes, the median of
    those ratios is steadier than the ratio of the medians."""
    runs: list[list[float]] = [[] for _ in actions]
    for round_number in range(repeat):
        order = list(range(len(actions)))
        if round_number % 2:
            order.reverse()
        for index in order:
            started = time.perf_counter()
            actions[index]()
            runs[index].append(time.perf_counter() - started)
    ratios = [[base / own for base, own in zip(runs[0], times, strict=True)] for times in runs]
    return [statistics.median(times) for times in runs], ratios


_PEAK_PROBE = (
    "import sys\n"
    "from ca_incident.cli import cli\n"
    "try:\n"
    "    cli(sys.argv[1:], standalone_mode=False)\n"
    "finally:\n"
    "    status = open('/proc/self/status').read()\n"
    "    peak = status.split('VmHWM:')[1].split()[0]\n"
    "    print(f'PEAK_KIB={peak}', file=sys.stderr)\n"
)


def peak_of_command(arguments: list[str]) -> tuple[float, float, str]:
    """Run ``ca-incident ARGUMENTS`` in a new process: its own peak RSS (VmHWM, MiB; rusage
    would count this process's memory, inherited at fork, and its other children), its wall
    time in seconds, and what it printed."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_PROBE, *arguments], capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"ca-incident {arguments[0]} failed:\n{result.stderr[-2000:]}")
    elapsed = time.perf_counter() - started
    peak_kib = int(result.stderr.rsplit("PEAK_KIB=", 1)[1].split()[0])
    return peak_kib / 1024, elapsed, result.stdout
