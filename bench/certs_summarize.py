"""``certs summarize`` against a bare cryptography loop, and its memory at a million.

Prints three figures, each measured in this run:
1. single-process throughput of ``certs summarize`` as a ratio to a bare Python loop of
   cryptography load + SHA-256 + the same fields, over the same certificates already in
   memory (the loop reads no file; summarize does): target at least 0.8;
2. ``--jobs 2`` throughput as a ratio to the single process: target at least 1.6;
3. peak RSS of ``ca-incident certs summarize`` over 1,000,000 distinct certificates: target
   under 1 GiB.

Each ratio is the median over rounds of the ratio within a round (the runs of a round take
turns, moments apart): this machine is shared, and its speed drifts over minutes.

    python -m bench --only certs     (BENCH_CERTS=200000 BENCH_MILLION=1000000 BENCH_REPEAT=3)
    python -m bench --only certs --quick          (20,000 and 100,000 certificates, 1 repeat)
"""

from __future__ import annotations

import binascii
import hashlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from bench.corpus import certificates, write_pem_bundle
from bench.result import Result, setting
from bench.timing import paired_runs, peak_of_command
from ca_incident.certs.evidence import collect

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
SUMMARIZE_TARGET = 0.8
"""``certs summarize`` throughput as a ratio to the bare loop: at least this."""
JOBS_2_TARGET = 1.6
"""``--jobs 2`` throughput as a ratio to one process: at least this."""
PEAK_MIB_TARGET = 1024.0
"""Peak RSS of ``certs summarize`` over the large bundle, MiB: at most this."""


def bare_loop(ders: list[bytes]) -> int:
    """What any script would do: load, hash, and read the fields the appendix needs."""
    count = 0
    for der in ders:
        c = x509.load_der_x509_certificate(der)
        hashlib.sha256(der).hexdigest()
        format(c.serial_number, "x")
        c.issuer.rfc4514_string()
        c.subject.rfc4514_string()
        _ = (c.not_valid_before_utc, c.not_valid_after_utc)
        for extension in c.extensions:
            if extension.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME:
                extension.value.get_values_for_type(x509.DNSName)
            elif extension.oid == ExtensionOID.CERTIFICATE_POLICIES:
                [p.policy_identifier.dotted_string for p in extension.value]
            elif extension.oid == ExtensionOID.EXTENDED_KEY_USAGE:
                [u.dotted_string for u in extension.value]
        count += 1
    return count


def bare_file_loop(bundle: Path) -> int:
    """The bare loop over the PEM file itself: read it, split the blocks, decode, and go on
    as :func:`bare_loop` does."""
    data = bundle.read_bytes()
    ders = [
        binascii.a2b_base64(block.split(b"-----END", 1)[0])
        for block in data.split(b"-----BEGIN CERTIFICATE-----")[1:]
    ]
    return bare_loop(ders)


def _command(bundle: Path, jobs: int, count: int) -> None:
    """``ca-incident certs summarize FILE --json`` as a user runs it: a new process, the
    program's start and the JSON included."""
    command = [
        sys.executable,
        "-m",
        "ca_incident",
        "certs",
        "summarize",
        str(bundle),
        "--json",
        "--jobs",
        str(jobs),
        "--as-of",
        "2026-11-27T00:00Z",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode or f'"count": {count}' not in result.stdout:
        raise RuntimeError(f"certs summarize failed:\n{result.stderr[-2000:]}")


def _end_to_end(bundle: Path, count: int, repeat: int) -> list[Result]:
    seconds, ratios = paired_runs(
        [
            lambda: bare_file_loop(bundle),
            lambda: _command(bundle, 1, count),
            lambda: _command(bundle, 2, count),
        ],
        repeat,
    )
    b, s, d = (count / t for t in seconds)
    single = Result(
        "certs: end to end --json / bare loop over the file",
        median(ratios[1]),
        SUMMARIZE_TARGET,
        True,
        "x",
    )
    jobs = median(one / two for one, two in zip(ratios[2], ratios[1], strict=True))
    double = Result("certs: end to end --jobs 2 / --jobs 1", jobs, JOBS_2_TARGET, True, "x")
    print(f"bare loop over the PEM file {b:>9,.0f} certificates/s (median of {repeat})")
    print(f"ca-incident ... --json      {s:>9,.0f} certificates/s (a new process each run)")
    print(f"ca-incident ... --jobs 2    {d:>9,.0f} certificates/s")
    print(f"ratio end to end / bare loop      {single.measured:.2f}  (target {single.target_text})")
    print(f"ratio --jobs 2 / --jobs 1         {double.measured:.2f}  (target {double.target_text})")
    return [single, double]


def _throughput(bundle: Path, count: int, repeat: int) -> list[Result]:
    ders = certificates(count)

    def summarize(jobs: int) -> None:
        evidence = collect([bundle], as_of=AS_OF, jobs=jobs)
        assert evidence.summary.count == count, evidence.summary

    seconds, ratios = paired_runs(
        [lambda: bare_loop(ders), lambda: summarize(1), lambda: summarize(2)], repeat
    )
    b, s, d = (count / t for t in seconds)
    single = Result("certs: summarize / bare loop", median(ratios[1]), SUMMARIZE_TARGET, True, "x")
    jobs = median(one / two for one, two in zip(ratios[2], ratios[1], strict=True))
    double = Result("certs: --jobs 2 / single process", jobs, JOBS_2_TARGET, True, "x")
    print(f"bare cryptography loop      {b:>9,.0f} certificates/s (median of {repeat})")
    print(f"certs summarize             {s:>9,.0f} certificates/s")
    print(f"certs summarize --jobs 2    {d:>9,.0f} certificates/s")
    print(f"ratio summarize / bare loop       {single.measured:.2f}  (target {single.target_text})")
    print(f"ratio --jobs 2 / single process   {double.measured:.2f}  (target {double.target_text})")
    return [single, double]


def run(quick: bool = False) -> Iterator[Result]:
    count = setting("BENCH_CERTS", 200_000, 20_000, quick)
    million = setting("BENCH_MILLION", 1_000_000, 100_000, quick)
    repeat = setting("BENCH_REPEAT", 3, 1, quick)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as folder:
        bundle = Path(folder) / "corpus.pem"
        started = time.perf_counter()
        write_pem_bundle(bundle, count)
        print(f"corpus: {count:,} distinct certificates in {time.perf_counter() - started:.1f} s")
        yield from _throughput(bundle, count, repeat)
        yield from _end_to_end(bundle, count, repeat)
        bundle.unlink()

        big = Path(folder) / "million.pem"
        write_pem_bundle(big, million, seed=7)
        mib, elapsed, output = peak_of_command(["certs", "summarize", str(big), "--json"])
        assert f'"count": {million}' in output, output[:500]
        peak = Result(
            f"certs: peak RSS over {million:,} certificates",
            mib,
            PEAK_MIB_TARGET,
            False,
            "MiB",
        )
        print(
            f"peak RSS for {million:,} certificates   {peak.measured:,.0f} MiB "
            f"(target {peak.target_text}; {million / elapsed:,.0f} certificates/s, one process)"
        )
        yield peak
