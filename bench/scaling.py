"""Inputs that once took super-linear time: 10x the input must take at most 15x the time.

Each case is timed at a size and at ten times that size (median of the repeats, in one run,
so the machine's noise hits both alike):

- a certificate file with no line breaks at all (once 2.5, 8.3, 29.5 s for 32, 64, 128 MiB);
- a file of thousands of PEM BEGIN lines without END lines, read as certificates and as CRLs
  (once 2.7, 9 and 34 s for 100, 200, 400 KB as CRLs);
- ``check`` on a report with a long timeline (once 1.7 s for 1 MB, 51.7 s for 8 MB).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.result import Result, setting
from bench.timing import median_seconds
from ca_incident.certs.read import iter_items
from ca_incident.checks.engine import check_text
from ca_incident.checks.registry import Context
from ca_incident.errors import CaIncidentError
from ca_incident.revocation.crl import read_crls
from ca_incident.timeutil import parse_timestamp

TARGET = 15.0
"""At most this many times slower for ten times the input."""
AS_OF = parse_timestamp("2026-11-27T12:00Z")


def _read(path: Path) -> Callable[[], object]:
    """Read every item; an input with nothing certificate-like ends in an input error, which
    is the answer too."""

    def read() -> object:
        try:
            return sum(1 for _ in iter_items([path]))
        except CaIncidentError as exc:
            return exc

    return read


def _no_line_breaks(folder: Path, size: int) -> Callable[[], object]:
    path = folder / f"no-breaks-{size}.txt"
    path.write_bytes(b"QUJD" * (size // 4))
    return _read(path)


def _begin_lines(folder: Path, size: int) -> Callable[[], object]:
    path = folder / f"begins-{size}.pem"
    line = b"-----BEGIN CERTIFICATE-----\nMIIB\n"
    path.write_bytes(line * (size // len(line)))
    return _read(path)


def _crl_begin_lines(folder: Path, size: int) -> Callable[[], object]:
    path = folder / f"begins-{size}.crl"
    line = b"-----BEGIN X509 CRL-----\nMIIB\n"
    path.write_bytes(line * (size // len(line)))
    return lambda: read_crls([path]).errors


def _long_timeline(folder: Path, size: int) -> Callable[[], object]:
    rows: list[str] = []
    day = 0
    length = 0
    while length < size:
        rows.append(
            f"- 2026-{1 + day % 12:02d}-{1 + day % 28:02d} {day % 24:02d}:00 UTC: step {day}\n"
        )
        length += len(rows[-1])
        day += 1
    text = (
        "## Full Incident Report\n\n### Summary\n\n- **Incident description:** x\n\n"
        "### Impact\n\n### Timeline\n\n" + "".join(rows) + "\n### Root Cause Analysis\n"
    )
    context = Context(AS_OF, AS_OF)
    return lambda: check_text(text, "long.md", context)


CASES: dict[str, tuple[Callable[[Path, int], Callable[[], object]], int, int]] = {
    "no line breaks": (_no_line_breaks, 4 << 20, 1 << 20),
    "BEGIN lines without END (certificates)": (_begin_lines, 1 << 20, 200 << 10),
    "BEGIN lines without END (CRLs)": (_crl_begin_lines, 400 << 10, 40 << 10),
    "check, long timeline": (_long_timeline, 400 << 10, 100 << 10),
}
"""Name -> (builder, full-size base, quick base): the base and ten times it are timed."""


def run(quick: bool) -> Iterator[Result]:
    repeats = setting("BENCH_SCALING_REPEATS", 3, 1, quick)
    with tempfile.TemporaryDirectory(prefix="ca-incident-bench-") as scratch:
        folder = Path(scratch)
        for name, (build, full, small) in CASES.items():
            base = small if quick else full
            once, tenfold = median_seconds([build(folder, base), build(folder, base * 10)], repeats)
            ratio = tenfold / max(once, 1e-6)
            print(
                f"{name}: {base >> 10:,} KiB {once:.3f} s, {base * 10 >> 10:,} KiB "
                f"{tenfold:.3f} s: {ratio:.1f}x for 10x the input",
                flush=True,
            )
            yield Result(f"{name}: 10x input / 1x", ratio, TARGET, False, "x")
