"""Run the benchmarks and hold each figure to its target: ``python -m bench [--only NAME]``.

Every figure is printed as it is measured; the last line says which targets were missed.
Exit status: 0 when every target is met, 1 when one is missed or a benchmark fails, 2 for a
usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable, Iterator

from bench.result import Result

BENCHMARKS: dict[str, str] = {
    "certs": "certs_summarize",
    "check": "check_corpus",
    "revocation": "revocation_crl",
    "lint": "lint_throughput",
    "scaling": "scaling",
    "dashboard": "dashboard",
    "dask": "dask_engine",
}
"""Benchmark name -> module in this package exposing ``run(quick: bool) -> Iterator[Result]``,
which prints its figures and yields each as it is measured."""


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks as ratios against baselines measured in the same run; "
        "exits 1 when any figure misses its target.",
    )
    parser.add_argument(
        "--only",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run one benchmark: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes and one repeat: a fast run of every benchmark, whose figures "
        "are noisier and understate what parallelism gains at full size",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    names = [arguments.only] if arguments.only else list(BENCHMARKS)
    results: list[Result] = []
    failed: list[str] = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            run: Callable[[bool], Iterator[Result]] = importlib.import_module(
                f"bench.{BENCHMARKS[name]}"
            ).run
            for result in run(arguments.quick):
                results.append(result)
        except Exception:
            # A broken benchmark must not hide the figures measured before it broke, nor the
            # other benchmarks.
            traceback.print_exc()
            failed.append(name)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    missed = [r for r in results if not r.met]
    gated = sum(r.target is not None for r in results)
    ungated = len(results) - gated
    print()
    if not missed and not failed:
        note = f"{ungated} figure(s) without a target, reported only"
        if not gated:
            print(f"bench: no target to meet; {note}")
        else:
            print(
                f"bench: all {gated} target{'s' if gated > 1 else ''} met"
                + (f" ({note})" if ungated else "")
            )
        return 0
    parts = []
    if missed:
        parts.append(f"{len(missed)} of {gated} targets missed: " + "; ".join(map(str, missed)))
    if failed:
        parts.append(f"failed before reporting: {', '.join(failed)} (traceback above)")
    print("bench: FAILED, " + " | ".join(parts))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
