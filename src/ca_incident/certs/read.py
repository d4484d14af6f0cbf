"""Read certificates from whatever a CA has: PEM (with ``openssl x509 -text`` output around the
blocks), PEM bundles, DER, one base64 DER per line, lists of SHA-256 fingerprints or crt.sh
links, folders (recursive), ``.gz``, and bytes in memory.

Reading streams: a file is read line by line, so a bundle of a million certificates never sits
in memory whole. Nothing is dropped: every block or line that is not a certificate becomes an
:class:`Item` with an ``error``, counted and listed with its source and position.
"""

from __future__ import annotations

import binascii
import gzip
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from asn1crypto import parser as asn1_parser

from ca_incident.errors import CaIncidentError
from ca_incident.sources import Source, SourceLike

_GZIP_MAGIC = b"\x1f\x8b"
_BEGIN = re.compile(rb"^-----BEGIN ([A-Z0-9 ]+)-----\s*$")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_HEX64 = re.compile(rb"^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$")
_CRTSH = re.compile(rb"^https?://crt\.sh/\?(?:[^\s#]*&)?sha256=([0-9A-Fa-f]{64})\b")
_CRTSH_ID = re.compile(rb"^https?://crt\.sh/\?(?:[^\s#]*&)?id=\d+")
_BASE64 = re.compile(rb"^[A-Za-z0-9+/]{40,}={0,2}$")
_BASE64_PART = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")


class Item(NamedTuple):
    """One certificate-like thing found in a source, or why what was there is not one.

    A named tuple: millions are made, and a tuple is the cheapest immutable record.
    """

    source: str
    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here uses
    der: bytes | None = None
    sha256: str | None = None
    """Set for fingerprint-only inputs (hash lists, crt.sh links), lowercase hex."""
    error: str | None = None
    """Why this is not a certificate, without the line (see :attr:`message`)."""
    line: int = 0
    """The line an error is on, 1-based; 0 when it concerns the whole source."""

    @property
    def message(self) -> str | None:
        if self.error is None:
            return None
        return f"line {self.line}: {self.error}" if self.line else self.error


class NothingCertificateLike(CaIncidentError):
    """A path named by the user holds no certificate, fingerprint or crt.sh link."""


def iter_items(inputs: Iterable[SourceLike]) -> Iterator[Item]:
    """Every item of every input, in order. A missing path, or a file named directly that
    holds nothing certificate-like, raises :class:`CaIncidentError` naming it."""
    for value in inputs:
        yield from iter_source(Source.of(value))


def iter_source(source: Source) -> Iterator[Item]:
    if source.data is not None:
        yield from iter_bytes(source.data, source.name, named=True)
        return
    path = source.path
    assert path is not None
    if path.is_dir():
        for file in folder_files(path):
            yield from iter_file(file, named=False)
    elif path.exists():
        yield from iter_file(path, named=True, name=source.name)
    else:
        raise CaIncidentError(f"{source.name}: no such file or folder")


def folder_files(folder: Path) -> list[Path]:
    """The files of a folder, recursively, in name order, hidden ones left out."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def iter_file(path: Path, *, named: bool, name: str | None = None) -> Iterator[Item]:
    """The items of one file. ``named``: the user named this file, so an empty result is an
    error; inside a folder an empty file becomes one error item instead."""
    source = name or str(path)
    try:
        stream: BinaryIO = path.open("rb")
    except OSError as exc:
        raise CaIncidentError(f"{source}: cannot read: {exc.strerror or exc}") from None
    with stream:
        yield from _iter_maybe_gzip(stream, source, named)


def iter_bytes(data: bytes, name: str, *, named: bool = True) -> Iterator[Item]:
    """The items of an input held in memory."""
    yield from _iter_maybe_gzip(io.BufferedReader(io.BytesIO(data)), name, named)


def _iter_maybe_gzip(stream: BinaryIO, source: str, named: bool) -> Iterator[Item]:
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head == _GZIP_MAGIC:
        with gzip.open(stream) as unzipped:
            yield from _iter_stream(unzipped, source, named)  # type: ignore[arg-type]
    else:
        yield from _iter_stream(stream, source, named)


def _iter_stream(stream: BinaryIO, source: str, named: bool) -> Iterator[Item]:
    try:
        first = stream.read(_CHUNK)
    except (OSError, EOFError) as exc:
        yield from _nothing(source, named, f"cannot read: {exc}")
        return
    # Text that happens to start with "0" (0x30), like a list of hashes, is not DER.
    if looks_like_der(first):
        data = first + stream.read()
        spans, trailing = _der_spans(data)
        if spans:
            for index, (start, end) in enumerate(spans):
                yield Item(source, index, der=data[start:end])
            if trailing is not None:
                yield Item(source, len(spans), error=trailing)
            return
        yield from _iter_text(io.BytesIO(data), source, named)
    else:
        yield from _iter_text(stream, source, named, first)


def _der_spans(data: bytes) -> tuple[list[tuple[int, int]], str | None]:
    """The DER objects concatenated in ``data``, and what is wrong with the bytes after the
    last one, if anything."""
    spans: list[tuple[int, int]] = []
    position = 0
    while position < len(data):
        try:
            _, end = asn1_parser._parse(data, len(data), position)
        except ValueError as exc:
            return spans, f"trailing bytes after certificate {len(spans)}: {exc}"
        spans.append((position, end))
        position = end
    return spans, None


_CHUNK = 1 << 20


class _TextScanner:
    """Classifies the lines outside PEM blocks; remembers what it needs across chunks.

    Once a file shows a PEM block, its other text lines are commentary (as ``openssl x509
    -text`` writes before and between blocks) and are skipped; in a file without PEM blocks
    every line must be certificate-like, and one that is not becomes an error item.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0
        self.line = 1
        self.found_any = False
        self.pem_mode = False
        self.pending_errors: list[Item] = []
        self.listing = False
        """A line was certificate-like, so the file is a list and bad lines are errors."""
        self.partial: list[bytes] = []

    def lines(self, text: bytes) -> Iterator[Item]:
        if not self.partial and (not text or text.isspace()):
            self.line += text.count(b"\n")
            return
        for raw in text.split(b"\n"):
            yield from self._line(raw.strip())
            self.line += 1
        self.line -= 1  # the segment's last piece is not followed by a newline

    def _line(self, line: bytes) -> Iterator[Item]:
        if self.partial:
            if line and _BASE64_PART.match(line):
                self.partial.append(line)
                item = _joined_base64(self.source, self.index, self.partial)
                if item is not None:
                    yield self._emit(item)
                    self.partial = []
                return
            yield self._emit(
                Item(
                    self.source,
                    self.index,
                    error="base64 ends before the object does",
                    line=self.line,
                )
            )
            self.partial = []
        if not line or line.startswith(b"#"):
            return
        item = _line_item(self.source, self.index, line, self.line)
        if item is _INCOMPLETE:
            self.partial = [line]
        elif item.error is None:
            # A certificate-like line: the file is a list, so the lines held back are errors,
            # in their places.
            if not self.pem_mode:
                for error in self.pending_errors:
                    yield self._emit(error)
                self.pending_errors.clear()
                self.listing = True
            yield self._emit(item)
        elif self.listing:
            yield self._emit(item)
        elif not self.pem_mode:
            self.pending_errors.append(item)

    def block(self, label: bytes, body: bytes, end_line: int) -> Item:
        self.pem_mode = True
        self.pending_errors.clear()
        return self._emit(_pem_item(self.source, self.index, label, body, end_line))

    def _emit(self, item: Item) -> Item:
        self.found_any = True
        if item.index != self.index:
            item = item._replace(index=self.index)
        self.index += 1
        return item

    def partial_errors(self) -> Iterator[Item]:
        """For a range of a file: its invalid lines are errors as they stand."""
        if self.partial:
            yield self._emit(
                Item(self.source, self.index, error="base64 ends before the object does")
            )
        for error in self.pending_errors:
            yield self._emit(error)

    def finish(self) -> Iterator[Item]:
        if self.partial:
            yield self._emit(
                Item(self.source, self.index, error="base64 ends before the object does")
            )
        for error in self.pending_errors if self.found_any else ():
            yield self._emit(error)


def _iter_text(
    stream: BinaryIO,
    source: str,
    named: bool,
    first: bytes = b"",
    *,
    pem_mode: bool = False,
    whole: bool = True,
) -> Iterator[Item]:
    """PEM blocks, and lines that are fingerprints, crt.sh links or base64 certificates,
    scanned a megabyte at a time; markers are found with ``bytes.find``.

    ``whole`` false: the stream is one range of a larger file, scanned in the mode the file
    showed (``pem_mode``); whether the file held anything is then its reader's to judge.
    """
    scanner = _TextScanner(source)
    scanner.pem_mode = pem_mode
    scanner.listing = not whole and not pem_mode
    buffer = b""
    chunk = first
    while True:
        if not first:
            chunk = stream.read(_CHUNK)
        first = b""
        buffer += chunk
        position = 0
        while True:
            begin = buffer.find(b"-----BEGIN ", position)
            if begin < 0:
                break
            label_end = buffer.find(b"-----", begin + 11)
            end = buffer.find(b"-----END ", label_end + 5) if label_end >= 0 else -1
            close = buffer.find(b"-----", end + 9) if end >= 0 else -1
            if close < 0:
                break  # the block is not complete in this buffer yet
            between = buffer[position:begin]
            if (between and not between.isspace()) or scanner.partial:
                yield from scanner.lines(between)
            else:
                scanner.line += between.count(b"\n")
            label = buffer[begin + 11 : label_end]
            scanner.line += buffer.count(b"\n", begin, close)
            yield scanner.block(label, buffer[label_end + 5 : end], scanner.line)
            position = close + 5
        buffer = buffer[position:]
        if not chunk:
            break
        # Hand over complete lines that cannot be part of a block still being read.
        begin = buffer.find(b"-----BEGIN")
        cut = buffer.rfind(b"\n", 0, begin if begin >= 0 else len(buffer))
        if cut >= 0:
            yield from scanner.lines(buffer[: cut + 1])
            buffer = buffer[cut + 1 :]
    begin = buffer.find(b"-----BEGIN")
    if begin >= 0:
        yield from scanner.lines(buffer[:begin])
        opening = _BEGIN.match(buffer[begin:].split(b"\n", 1)[0].strip())
        name = opening.group(1).decode() if opening else "?"
        yield scanner._emit(
            Item(
                source, scanner.index, error=f"PEM block '{name}' is not closed", line=scanner.line
            )
        )
    else:
        yield from scanner.lines(buffer)
    if not whole:
        yield from scanner.partial_errors()
        return
    yield from scanner.finish()
    if not scanner.found_any:
        yield from _nothing(
            source, named, "no PEM block, DER, base64 certificate, SHA-256 or crt.sh link"
        )


def _nothing(source: str, named: bool, why: str) -> Iterator[Item]:
    if named:
        raise NothingCertificateLike(f"{source}: {NOTHING} ({why})")
    yield Item(source, 0, error=f"{NOTHING} ({why})")


def _pem_item(source: str, index: int, label: bytes, body: bytes, line: int) -> Item:
    name = label.decode()
    if label not in _CERT_LABELS:
        what = "a CRL" if b"CRL" in label else f"a '{name}' block"
        return Item(source, index, error=f"PEM block is {what}, not a certificate", line=line)
    try:
        der = binascii.a2b_base64(body)
    except binascii.Error as exc:
        return Item(source, index, error=f"PEM block: bad base64: {exc}", line=line)
    if not der:
        return Item(source, index, error="PEM block is empty", line=line)
    return Item(source, index, der=der)


def _line_item(source: str, index: int, line: bytes, number: int) -> Item:
    if _HEX64.match(line):
        return Item(source, index, sha256=line.replace(b":", b"").decode().lower())
    link = _CRTSH.match(line)
    if link is not None:
        return Item(source, index, sha256=link.group(1).decode().lower())
    if _CRTSH_ID.match(line):
        return Item(
            source,
            index,
            line=number,
            error="a crt.sh id link names no certificate hash; use https://crt.sh/?sha256=HASH",
        )
    if _BASE64.match(line):
        try:
            der = binascii.a2b_base64(line)
        except binascii.Error:
            der = b""
        if der[:1] == b"\x30":
            if _complete(der):
                return Item(source, index, der=der)
            return _INCOMPLETE
    text = line[:40].decode("latin-1")
    return Item(
        source,
        index,
        line=number,
        error=f"'{text}' is not a certificate, SHA-256 or crt.sh link",
    )


_INCOMPLETE = Item("", -1, error="incomplete")

NOTHING = "holds nothing certificate-like"


def looks_like_der(head: bytes) -> bool:
    """A certificate is over 127 bytes: SEQUENCE with a long-form length."""
    return head[:1] == b"\x30" and head[1:2] in (b"\x81", b"\x82", b"\x83", b"\x84")


def iter_range(data: bytes, source: str, pem_mode: bool) -> Iterator[Item]:
    """The items of one range of a large text file, scanned in the mode the file showed;
    indices and lines count from the range's start."""
    yield from _iter_text(io.BytesIO(data), source, False, pem_mode=pem_mode, whole=False)


"""A base64 line that starts a DER object longer than the line: more lines follow."""


def _complete(der: bytes) -> bool:
    try:
        _, end = asn1_parser._parse(der, len(der), 0)
    except ValueError:
        return False
    return bool(end == len(der))


def _joined_base64(source: str, index: int, lines: list[bytes]) -> Item | None:
    try:
        der = binascii.a2b_base64(b"".join(lines))
    except binascii.Error as exc:
        return Item(source, index, error=f"bad base64: {exc}")
    return Item(source, index, der=der) if _complete(der) else None
