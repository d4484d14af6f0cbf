"""The Dask engine against the local engine, on a LocalCluster of two worker processes.

Prints, measured in the same run:
1. ``certs summarize`` through the cluster as a ratio to the local ``--jobs 2`` over the same
   bundle (target at least 0.85);
2. ``lint`` through the cluster as a ratio to the local ``--jobs 2`` (target at least 0.85),
   on fewer certificates: pkilint runs at about 200 certificates a second a core, so 200,000
   would take many minutes a run here; the per-core rate it shows is what docs/scale.md
   multiplies out;
3. the client's peak RSS for ``certs summarize --engine dask`` over 1,000,000 certificates
   (target under 300 MiB: partial results travel, records stay on the workers). The client
   process runs the LocalCluster's scheduler too, so that is counted; its two workers are
   other processes, and are not.

Each ratio is the median over rounds of the ratio within a round (the two runs of a round
take turns, in alternating order); the cluster is started once, outside the timings.

    python -m bench --only dask   (BENCH_CERTS=200000 BENCH_DASK_LINT=2000 BENCH_MILLION=1000000
                                   BENCH_REPEAT=3; --quick: 20,000, 400, 100,000 and 1)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench.corpus import write_pem_bundle
from bench.result import Result, setting
from bench.timing import paired_runs, peak_of_command
from ca_incident.app.lint import lint
from ca_incident.certs.evidence import collect
from ca_incident.engines import Engine, open_engine

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
SUMMARIZE_TARGET = 0.85
"""Summarize through a 2-worker LocalCluster, as a ratio to the local ``--jobs 2``."""
LINT_TARGET = 0.85
"""Lint through a 2-worker LocalCluster, as a ratio to the local ``--jobs 2``."""
CLIENT_MIB_TARGET = 300.0
"""Peak RSS of the client of ``certs summarize --engine dask`` over the million, MiB."""
WORKERS = 2


def _ratios(folder: Path, count: int, lint_count: int, repeat: int) -> Iterator[Result]:
    bundle = folder / "corpus.pem"
    write_pem_bundle(bundle, count)
    lint_bundle = folder / "lint.pem"
    write_pem_bundle(lint_bundle, lint_count, seed=3)
    with open_engine("dask", workers=WORKERS) as cluster:

        def summarize(engine: Engine | None) -> None:
            evidence = collect([bundle], as_of=AS_OF, jobs=WORKERS, engine=engine)
            assert evidence.summary.count == count, evidence.summary

        def linted(engine: Engine | None) -> None:
            result = lint([lint_bundle], profile="tls", jobs=WORKERS, engine=engine)
            assert result.certificates_linted == lint_count, result

        (local, dask), ratios = paired_runs(
            [lambda: summarize(None), lambda: summarize(cluster)], repeat
        )
        ratio = Result(
            "dask: summarize / local --jobs 2", median(ratios[1]), SUMMARIZE_TARGET, True, "x"
        )
        print(f"certs summarize --jobs 2       {count / local:>9,.0f} certificates/s")
        print(f"certs summarize --engine dask  {count / dask:>9,.0f} certificates/s")
        print(f"ratio dask / local             {ratio.measured:>9.2f} (target {ratio.target_text})")
        yield ratio
        (local, dask), ratios = paired_runs([lambda: linted(None), lambda: linted(cluster)], repeat)
        ratio = Result("dask: lint / local --jobs 2", median(ratios[1]), LINT_TARGET, True, "x")
        rate = lint_count / dask
        print(f"lint --jobs 2                  {lint_count / local:>9,.0f} certificates/s")
        print(f"lint --engine dask             {rate:>9,.0f} certificates/s")
        print(f"  a worker core                {rate / WORKERS:>9,.0f} certificates/s")
        print(f"ratio dask / local             {ratio.measured:>9.2f} (target {ratio.target_text})")
        print(f"(medians of {repeat}; {count:,} certificates summarized, {lint_count:,} linted)")
        yield ratio


def _client_peak(folder: Path, million: int) -> Result:
    big = folder / "million.pem"
    write_pem_bundle(big, million, seed=7)
    # The client's own high-water mark: the workers are its children and have their own.
    mib, elapsed, output = peak_of_command(
        ["certs", "summarize", str(big), "--json", "--engine", "dask", "--jobs", str(WORKERS)]
    )
    assert f'"count": {million}' in output, output[:500]
    peak = Result(
        f"dask: client peak RSS over {million:,} certificates",
        mib,
        CLIENT_MIB_TARGET,
        False,
        "MiB",
    )
    print(
        f"client peak RSS for {million:,} certificates   {peak.measured:,.0f} MiB "
        f"(target {peak.target_text}; {million / elapsed:,.0f} certificates/s with "
        f"{WORKERS} workers, cluster start included)"
    )
    return peak


def run(quick: bool = False) -> Iterator[Result]:
    count = setting("BENCH_CERTS", 200_000, 20_000, quick)
    lint_count = setting("BENCH_DASK_LINT", 2000, 400, quick)
    million = setting("BENCH_MILLION", 1_000_000, 100_000, quick)
    repeat = setting("BENCH_REPEAT", 3, 1, quick)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as folder:
        yield from _ratios(Path(folder), count, lint_count, repeat)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as folder:
        yield _client_peak(Path(folder), million)
