"""Read certificates from whatever a CA has: PEM (with ``openssl x509 -text`` output around the
blocks), PEM bundles, DER, one base64 DER per line, lists of SHA-256 fingerprints or crt.sh
links, folders (recursive), ``.gz``, and standard input.

Reading streams: a file is read line by line, so a bundle of a million certificates never sits
in memory whole. Nothing is dropped: every block or line that is not a certificate becomes an
:class:`Item` with an ``error``, counted and listed with its source and position.
"""

from __future__ import annotations

import atexit
import binascii
import gzip
import io
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from asn1crypto import parser as asn1_parser

from ca_incident.errors import CaIncidentError

STDIN = "-"

_GZIP_MAGIC = b"\x1f\x8b"
_BEGIN = re.compile(rb"^-----BEGIN ([A-Z0-9 ]+)-----\s*$")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_HEX64 = re.compile(rb"^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$")
_CRTSH = re.compile(rb"^https?://crt\.sh/\?(?:[^\s#]*&)?sha256=([0-9A-Fa-f]{64})\b")
_CRTSH_ID = re.compile(rb"^https?://crt\.sh/\?(?:[^\s#]*&)?id=\d+")
_BASE64 = re.compile(rb"^[A-Za-z0-9+/]{40,}={0,2}$")
_BASE64_PART = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")


@dataclass(frozen=True, slots=True)
class Item:
    """One certificate-like thing found in a source, or why what was there is not one."""

    source: str
    index: int
    der: bytes | None = None
    sha256: str | None = None
    """Set for fingerprint-only inputs (hash lists, crt.sh links), lowercase hex."""
    error: str | None = None


class NothingCertificateLike(CaIncidentError):
    """A path named by the user holds no certificate, fingerprint or crt.sh link."""


def iter_items(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Every item of every path, in order. A missing path, or a file named directly that holds
    nothing certificate-like, raises :class:`CaIncidentError` naming it."""
    for path in paths:
        yield from iter_path(path)


def iter_path(path: str | Path) -> Iterator[Item]:
    if str(path) == STDIN:
        yield from _iter_stdin()
        return
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        for file in files:
            yield from iter_file(file, named=False)
    elif path.exists():
        yield from iter_file(path, named=True)
    else:
        raise CaIncidentError(f"{path}: no such file or folder")


def _iter_stdin() -> Iterator[Item]:
    # Standard input can be read once; spool it so that pairing can read it again.
    spool = tempfile.NamedTemporaryFile(prefix="ca-incident-stdin-", delete=False)  # noqa: SIM115
    with spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
    _SPOOLED[STDIN] = spool.name
    atexit.register(Path(spool.name).unlink, missing_ok=True)
    yield from iter_file(Path(spool.name), named=True, name=STDIN)


_SPOOLED: dict[str, str] = {}


def reopen_path(source: str) -> Path:
    """The file behind a source name, standard input included (as spooled)."""
    return Path(_SPOOLED.get(source, source))


def iter_file(path: Path, *, named: bool, name: str | None = None) -> Iterator[Item]:
    """The items of one file. ``named``: the user named this file, so an empty result is an
    error; inside a folder an empty file becomes one error item instead."""
    source = name or str(path)
    try:
        stream: BinaryIO = path.open("rb")
    except OSError as exc:
        raise CaIncidentError(f"{source}: cannot read: {exc.strerror or exc}") from None
    with stream:
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
    # A certificate is over 127 bytes, so its DER starts with SEQUENCE and a long-form length;
    # text that happens to start with "0" (0x30), like a list of hashes, does not.
    if first[:1] == b"\x30" and first[1:2] in (b"\x81", b"\x82", b"\x83", b"\x84"):
        data = first + stream.read()
        if _parses_as_der(data):
            yield from _iter_der(data, source, named)
            return
        yield from _iter_text(io.BytesIO(data), source, named)
    else:
        yield from _iter_text(stream, source, named, first)


def _parses_as_der(data: bytes) -> bool:
    position = 0
    try:
        while position < len(data):
            _, position = asn1_parser._parse(data, len(data), position)
    except ValueError:
        return position > 0
    return True


def _iter_der(data: bytes, source: str, named: bool) -> Iterator[Item]:
    """One DER certificate, or several concatenated."""
    position, index = 0, 0
    while position < len(data):
        try:
            _, end = asn1_parser._parse(data, len(data), position)
        except ValueError as exc:
            if index == 0 and not named:
                yield Item(source, 0, error=f"not DER: {exc}")
            elif index == 0:
                raise NothingCertificateLike(
                    f"{source}: holds nothing certificate-like (binary, but not DER: {exc})"
                ) from None
            else:
                yield Item(source, index, error=f"trailing bytes after certificate {index}: {exc}")
            return
        yield Item(source, index, der=data[position:end])
        position, index = end, index + 1


_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
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
        self.partial: list[bytes] = []

    def lines(self, text: bytes) -> Iterator[Item]:
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
                    error=f"line {self.line}: base64 ends before the object does",
                )
            )
            self.partial = []
        if not line or line.startswith(b"#"):
            return
        item = _line_item(self.source, self.index, line, self.line)
        if item is _INCOMPLETE:
            self.partial = [line]
        elif item.error is None:
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
            item = Item(item.source, self.index, item.der, item.sha256, item.error)
        self.index += 1
        return item

    def finish(self) -> Iterator[Item]:
        if self.partial:
            yield self._emit(
                Item(self.source, self.index, error="base64 ends before the object does")
            )
        for error in self.pending_errors if self.found_any else ():
            yield self._emit(error)


def _iter_text(stream: BinaryIO, source: str, named: bool, first: bytes = b"") -> Iterator[Item]:
    """PEM blocks, and lines that are fingerprints, crt.sh links or base64 certificates,
    scanned a megabyte at a time."""
    scanner = _TextScanner(source)
    buffer = b""
    chunk = first
    while True:
        if not first:
            chunk = stream.read(_CHUNK)
        first = b""
        buffer += chunk
        position = 0
        for match in _BLOCK.finditer(buffer):
            yield from scanner.lines(buffer[position : match.start()])
            scanner.line += buffer.count(b"\n", match.start(), match.end())
            yield scanner.block(match.group(1), match.group(2), scanner.line)
            position = match.end()
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
        label = _BEGIN.match(buffer[begin:].split(b"\n", 1)[0].strip())
        name = label.group(1).decode() if label else "?"
        yield scanner._emit(
            Item(
                source,
                scanner.index,
                error=f"PEM block '{name}' on line {scanner.line} is not closed",
            )
        )
    else:
        yield from scanner.lines(buffer)
    yield from scanner.finish()
    if not scanner.found_any:
        yield from _nothing(
            source, named, "no PEM block, DER, base64 certificate, SHA-256 or crt.sh link"
        )


def _nothing(source: str, named: bool, why: str) -> Iterator[Item]:
    if named:
        raise NothingCertificateLike(f"{source}: holds nothing certificate-like ({why})")
    yield Item(source, 0, error=f"holds nothing certificate-like ({why})")


def _pem_item(source: str, index: int, label: bytes, body: bytes, line: int) -> Item:
    name = label.decode()
    if label not in _CERT_LABELS:
        what = "a CRL" if b"CRL" in label else f"a '{name}' block"
        return Item(
            source, index, error=f"PEM block ending on line {line} is {what}, not a certificate"
        )
    try:
        der = binascii.a2b_base64(body)
    except binascii.Error as exc:
        return Item(source, index, error=f"PEM block ending on line {line}: bad base64: {exc}")
    if not der:
        return Item(source, index, error=f"PEM block ending on line {line} is empty")
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
            error=f"line {number}: a crt.sh id link names no certificate hash; "
            "use https://crt.sh/?sha256=HASH",
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
        error=f"line {number}: '{text}' is not a certificate, SHA-256 or crt.sh link",
    )


_INCOMPLETE = Item("", -1, error="incomplete")
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
