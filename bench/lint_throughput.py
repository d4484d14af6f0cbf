"""``ca-incident lint`` against a single-process loop over pkilint with cached validators.

Prints, measured in the same run: the loop's throughput; ``lint --jobs 1`` as a ratio to it
(target at least 0.9: the per-worker cost of reading, pairing of types and grouping); and
``lint --jobs 2`` as a ratio to it (target at least 1.7).

    python -m bench --only lint            (BENCH_LINT=2000 BENCH_REPEAT=3; --quick: 200, 1)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.corpus import certificates, write_pem_bundle
from bench.result import Result, setting
from bench.timing import median_seconds
from ca_incident.app.lint import lint

JOBS_1_TARGET = 0.9
"""``lint --jobs 1`` throughput as a ratio to the pkilint loop: at least this."""
JOBS_2_TARGET = 1.7
"""``lint --jobs 2`` throughput as a ratio to the pkilint loop: at least this."""


def pkilint_loop(ders: list[bytes]) -> int:
    """What a careful script does: one validator per certificate type, reused."""
    from pkilint import finding_filter, loader
    from pkilint.cabf import serverauth
    from pkilint.pkix import certificate

    containers: dict[object, tuple[object, list[object]]] = {}
    findings = 0
    for der in ders:
        document = loader.load_der_certificate(der, "c")
        document.decode()
        certificate_type = serverauth.determine_certificate_type(document)
        if certificate_type not in containers:
            containers[certificate_type] = (
                certificate.create_pkix_certificate_validator_container(
                    serverauth.create_decoding_validators(),
                    serverauth.create_validators(certificate_type),
                ),
                serverauth.create_serverauth_finding_filters(certificate_type),
            )
        container, filters = containers[certificate_type]
        results = container.validate(document.root)  # type: ignore[attr-defined]
        results, _ = finding_filter.filter_results(filters, results)
        findings += sum(len(r.finding_descriptions) for r in results)
    return findings


def run(quick: bool = False) -> Iterator[Result]:
    count = setting("BENCH_LINT", 2000, 200, quick)
    repeat = setting("BENCH_REPEAT", 3, 1, quick)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as folder:
        bundle = Path(folder) / "corpus.pem"
        write_pem_bundle(bundle, count, seed=3)
        ders = certificates(count, seed=3 * 1_000_003)

        def ours(jobs: int) -> None:
            result = lint([bundle], profile="tls", jobs=jobs)
            assert result.certificates_linted == count, result

        seconds = median_seconds(
            [lambda: pkilint_loop(ders), lambda: ours(1), lambda: ours(2)], repeat
        )
        b, s, d = (count / t for t in seconds)
        single = Result("lint: --jobs 1 / pkilint loop", s / b, JOBS_1_TARGET, True, "x")
        double = Result("lint: --jobs 2 / pkilint loop", d / b, JOBS_2_TARGET, True, "x")
        print(f"pkilint loop, cached validators   {b:>7,.0f} certificates/s (median of {repeat})")
        print(f"ca-incident lint --jobs 1         {s:>7,.0f} certificates/s")
        print(f"ca-incident lint --jobs 2         {d:>7,.0f} certificates/s")
        print(
            f"ratio --jobs 1 / loop                  {single.measured:.2f}  "
            f"(target {single.target_text})"
        )
        print(
            f"ratio --jobs 2 / loop                  {double.measured:.2f}  "
            f"(target {double.target_text})"
        )
        yield from (single, double)
