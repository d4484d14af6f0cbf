"""Run every benchmark: ``python -m bench [NAME...]``."""

from __future__ import annotations

import sys

BENCHMARKS: dict[str, str] = {
    "certs": "certs_summarize",
    "check": "check_corpus",
    "revocation": "revocation_crl",
    "lint": "lint_throughput",
}
"""Benchmark name -> module in this package exposing ``main() -> int``."""


def main(argv: list[str]) -> int:
    if not BENCHMARKS:
        print("no benchmarks are defined yet")
        return 0
    import importlib

    names = argv or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark '{name}': expected one of {', '.join(BENCHMARKS)}")
            return 2
        print(f"== {name}")
        status = importlib.import_module(f"bench.{BENCHMARKS[name]}").main()
        if status:
            return int(status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
