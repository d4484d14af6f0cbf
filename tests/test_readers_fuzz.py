"""Fuzzing the readers (hypothesis, bounded time): whatever surrounds, cuts or garbles the
certificates of an input, reading never crashes, never loses an intact certificate, and reads
the same whole as cut into ranges."""

from __future__ import annotations

import base64
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ca_incident.certs import tasks
from ca_incident.certs.read import iter_items
from ca_incident.errors import CaIncidentError

from .testca import hierarchy, issue, pem

_, CA, _ = hierarchy()
DERS = [issue(CA, 0x7000 + n, with_precertificate=False).certificate or b"" for n in range(6)]

_NOISE = st.sampled_from(
    [
        b"",
        b"\n",
        b"\r\n",
        b"        Signature Algorithm: ecdsa-with-SHA256\n",
        b"-----BEGIN CERTIFICATE-----\n",
        b"-----END CERTIFICATE-----\n",
        b"-----BEGIN X509 CRL-----\nMIIB\n",
        b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n",
        b"ab" * 32 + b"\n",
        b"https://crt.sh/?id=1\n",
        b"\xef\xbb\xbf",
        b"\x00\xff\xfe",
        b'=HYPERLINK("http://e.example")\n',
    ]
)


def _intact(index: int) -> bytes:
    return pem(DERS[index]).encode()


def _cut(index: int, at: int) -> bytes:
    block = _intact(index)
    return block[: max(1, at % len(block))]


def _line(index: int) -> bytes:
    return base64.b64encode(DERS[index]) + b"\n"


_PIECE = st.one_of(
    st.tuples(st.just("intact"), st.integers(0, 5)),
    st.tuples(st.just("cut"), st.integers(0, 5), st.integers(0, 4000)),
    st.tuples(st.just("noise"), _NOISE),
    st.tuples(st.just("bytes"), st.binary(max_size=64)),
)


def _assemble(pieces: list[tuple[object, ...]]) -> tuple[bytes, set[bytes]]:
    data = b""
    intact: set[bytes] = set()
    for piece in pieces:
        kind = piece[0]
        if kind == "intact":
            index = int(piece[1])  # type: ignore[call-overload]
            # An intact block starts on a line of its own, as in any PEM file.
            data += (b"\n" if data and not data.endswith(b"\n") else b"") + _intact(index)
            intact.add(DERS[index])
        elif kind == "cut":
            data += _cut(int(piece[1]), int(piece[2]))  # type: ignore[call-overload]
        else:
            data += piece[1]  # type: ignore[operator]
    return data, intact


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_PIECE, max_size=14))
def test_reading_never_crashes_and_never_loses_an_intact_certificate(
    tmp_path: Path, pieces: list[tuple[object, ...]]
) -> None:
    data, intact = _assemble(pieces)
    path = tmp_path / "input.pem"
    path.write_bytes(data)
    try:
        items = list(iter_items([path]))
    except CaIncidentError:
        assert not intact  # only an input holding nothing certificate-like is refused
        return
    found = {item.der for item in items if item.der is not None}
    assert intact <= found


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=30), st.integers(200, 3000))
def test_ranges_read_what_the_whole_file_holds(
    tmp_path: Path, order: list[int], range_bytes: int
) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_bytes(b"".join(_line(i) for i in order))
    blocks = tmp_path / "blocks.pem"
    blocks.write_bytes(b"# notes\n" + b"".join(_intact(i) for i in order))
    for path in (lines, blocks):
        whole = [i.der for i in iter_items([path]) if i.der]
        ranged = [
            item.der
            for task in tasks.plan([path], range_bytes)
            for item in tasks.run(task)[0]
            if item.der
        ]
        assert ranged == whole == [DERS[i] for i in order]
