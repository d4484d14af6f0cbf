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
import stat
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from asn1crypto import parser as asn1_parser

from ca_incident.errors import CaIncidentError
from ca_incident.sources import Source, SourceLike

MAX_BYTES = 4 << 30
"""Bytes an input may hold once decompressed, unless the user raises it (--max-input-gib)."""

_GZIP_MAGIC = b"\x1f\x8b"
_BEGIN = re.compile(rb"^-----BEGIN ([A-Z0-9 ]+)-----\s*$")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_HEX64 = re.compile(rb"^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$")
_CRTSH = re.compile(rb"^https?://crt\.sh/\?(?:[^\s#]*&)?sha256=([0-9A-Fa-f]{64})\b")
_CRTSH_ID = re.compile(rb"^https?://crt\.sh/\?(?:[^\s#]*&)?id=\d+")
_BASE64 = re.compile(rb"^[A-Za-z0-9+/]{40,}={0,2}$")
_BASE64_PART = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")
_PLAIN_BEGIN = re.compile(rb"\s*-----BEGIN CERTIFICATE-----")
"""A certificate block's BEGIN line after nothing but white space: matched without looking
further than the white space, so trying it costs nothing where text comes first."""
_PLAIN_END = b"-----END CERTIFICATE-----"


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


def iter_items(inputs: Iterable[SourceLike], *, max_bytes: int = MAX_BYTES) -> Iterator[Item]:
    """Every item of every input, in order. A missing path, or a file named directly that
    holds nothing certificate-like, raises :class:`CaIncidentError` naming it."""
    for value in inputs:
        yield from iter_source(Source.of(value), max_bytes=max_bytes)


def iter_source(source: Source, *, max_bytes: int = MAX_BYTES) -> Iterator[Item]:
    if source.data is not None:
        yield from iter_bytes(source.data, source.name, named=source.named, max_bytes=max_bytes)
        return
    path = source.path
    assert path is not None
    if path.is_dir():
        for file, refused in folder_files(path):
            if refused is not None:
                yield Item(str(file), 0, error=refused)
            else:
                yield from iter_file(file, named=False, max_bytes=max_bytes)
    else:
        regular_file(path, source.name)
        yield from iter_file(path, named=True, name=source.name, max_bytes=max_bytes)


def regular_file(path: Path, name: str) -> None:
    """Refuse what is not a regular file: a FIFO or a device would never end, or block."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CaIncidentError(f"{name}: no such file or folder") from None
    except OSError as exc:
        raise CaIncidentError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise CaIncidentError(
            f"{name}: not a regular file (a FIFO, socket or device); give a file or a folder"
        )


def folder_files(folder: Path) -> list[tuple[Path, str | None]]:
    """The entries of a folder to read, recursively, in name order, hidden ones left out:
    each file, with None; and with why it is not read, each entry that is neither a file nor
    a folder (a link to a folder, which is not followed, a link that leads nowhere, a FIFO,
    a socket, a device), so that it is reported rather than passed over."""
    entries: list[tuple[Path, str | None]] = []
    for path in sorted(folder.rglob("*")):
        if path.name.startswith("."):
            continue
        if path.is_file():
            entries.append((path, None))
        elif path.is_symlink():
            why = "a link to a folder, not followed" if path.is_dir() else "a link to no file"
            entries.append((path, f"not read: {why}; name its target instead"))
        elif not path.is_dir():
            entries.append((path, "not read: not a regular file (a FIFO, socket or device)"))
    return entries


def iter_file(
    path: Path, *, named: bool, name: str | None = None, max_bytes: int = MAX_BYTES
) -> Iterator[Item]:
    """The items of one file. ``named``: the user named this file, so an empty result is an
    error; inside a folder an empty file becomes one error item instead."""
    source = name or str(path)
    try:
        stream: BinaryIO = path.open("rb")
    except OSError as exc:
        raise CaIncidentError(f"{source}: cannot read: {exc.strerror or exc}") from None
    with stream:
        yield from _iter_maybe_gzip(stream, source, named, max_bytes)


def iter_bytes(
    data: bytes, name: str, *, named: bool = True, max_bytes: int = MAX_BYTES
) -> Iterator[Item]:
    """The items of an input held in memory."""
    yield from _iter_maybe_gzip(io.BufferedReader(io.BytesIO(data)), name, named, max_bytes)


class InputTooLarge(CaIncidentError):
    """An input, once decompressed, is larger than the limit the user set."""


class _Capped(io.RawIOBase):
    """A decompressed stream that stops at ``limit`` bytes: a gzip bomb is refused, not
    read whole."""

    def __init__(self, inner: BinaryIO, source: str, limit: int) -> None:
        self.inner, self.source, self.limit, self.seen = inner, source, limit, 0
        self.damage: str | None = None
        """Why the compressed data ended early, if it did: what came before still stands."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.damage is not None:
            return 0
        try:
            # read1: one step of decompression at a time, so the bytes before a damaged
            # stretch are returned before the damage is met.
            data = self.inner.read1(len(buffer))  # type: ignore[attr-defined]
        except EOFError:
            self.damage = "truncated"
            return 0
        except (OSError, zlib.error) as exc:
            self.damage = f"corrupt ({exc})"
            return 0
        self.seen += len(data)
        if self.seen > self.limit:
            raise InputTooLarge(
                f"{self.source}: more than {_amount(self.limit)} once decompressed (the "
                "--max-input-gib limit); raise the limit if the input is genuine"
            )
        buffer[: len(data)] = data
        return len(data)


def _amount(size: int) -> str:
    """A byte count as a person reads it: 4 GiB, 10 MiB, 512 KiB."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):,.4g} {unit}"
    return f"{size:,} bytes"


def _iter_maybe_gzip(
    stream: BinaryIO, source: str, named: bool, max_bytes: int = MAX_BYTES
) -> Iterator[Item]:
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head != _GZIP_MAGIC:
        yield from _iter_stream(stream, source, named)
        return
    found = 0
    with gzip.open(stream) as unzipped:
        raw = _Capped(unzipped, source, max_bytes)  # type: ignore[arg-type]
        for item in _iter_stream(io.BufferedReader(raw, _CHUNK), source, named, raw):
            found += 1
            yield item
    if raw.damage is not None:
        # A truncated or damaged .gz: what was read before the damage stands.
        yield Item(
            source, found, error=f"the .gz file is {raw.damage}; what followed the damage is lost"
        )


_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def _utf16(head: bytes) -> bool:
    """Text in UTF-16: ASCII characters with a zero byte beside each (after a byte order mark,
    or without one). A stray FF FE pair before real content is not enough."""
    body = head[2:] if head.startswith(_UTF16) else head
    zeros = b"\x00\x00\x00\x00"
    return len(body) >= 8 and (body[1:8:2] == zeros or body[0:8:2] == zeros)


def _iter_stream(
    stream: BinaryIO, source: str, named: bool, gz: _Capped | None = None
) -> Iterator[Item]:
    first = stream.read(_CHUNK)
    if not first and gz is not None and gz.damage is not None:
        return  # nothing could be decompressed: the damage is reported by the caller
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]  # a UTF-8 byte order mark is not part of the first line
    if _utf16(first):
        yield from _nothing(
            source,
            named,
            "the file is UTF-16 text: convert it to UTF-8 or ASCII, e.g. iconv -f UTF-16 -t UTF-8",
        )
        return
    # Text that happens to start with "0" (0x30), like a list of hashes, is not DER.
    if looks_like_der(first):
        data = first + stream.read(MAX_DER + 1 - len(first))
        if len(data) > MAX_DER:
            yield from _nothing(source, named, f"DER data larger than {MAX_DER >> 20} MiB")
            return
        yield from _der_items(data, source)
        return
    yield from _iter_text(stream, source, named, first)


MAX_DER = 64 << 20
"""A DER file is read whole: no certificate comes near this size."""


def _der_items(data: bytes, source: str) -> Iterator[Item]:
    """Concatenated DER certificates. Bytes after the last complete one are reported on it;
    a file that ends before its first certificate does is still counted, by its SHA-256."""
    spans: list[tuple[int, int]] = []
    position = 0
    trailing = None
    while position < len(data):
        try:
            _, end = asn1_parser._parse(data, len(data), position)
        except ValueError as exc:
            trailing = f"{len(data) - position:,} bytes after the certificate are not DER ({exc})"
            break
        spans.append((position, end))
        position = end
        if position < len(data) and not looks_like_der(data[position : position + 2]):
            trailing = f"{len(data) - position:,} bytes after the certificate are not DER"
            break
    if not spans:
        yield Item(
            source, 0, der=data, error="the DER data ends before the certificate does (truncated)"
        )
        return
    last = len(spans) - 1
    for index, (start, end) in enumerate(spans):
        note = trailing if index == last else None
        yield Item(source, index, der=data[start:end], error=note)


_CHUNK = 1 << 20
MAX_LINE = 4 << 20
"""A line longer than this without a break is no certificate: it is reported and skipped."""
MAX_BLOCK = 16 << 20
"""A PEM block longer than this without its END line is reported and skipped."""


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
        self.partial_line = 0
        self.partial_size = 0
        """The DER length the partial object announces in its header."""

    def lines(self, text: bytes) -> Iterator[Item]:
        """Complete lines (and, before a PEM block, the start of its line)."""
        if not self.partial and (not text or text.isspace()):
            self.line += text.count(b"\n")
            return
        pieces = text.split(b"\n")
        last = len(pieces) - 1
        for number, raw in enumerate(pieces):
            if number == last and not raw:
                break  # the text ended with its line break: nothing follows it
            yield from self._line(raw.strip())
            if number < last:
                self.line += 1

    def _line(self, line: bytes) -> Iterator[Item]:
        if self.partial:
            if line and _BASE64_PART.match(line) and not line.startswith(b"MII"):
                self.partial.append(line)
                joined = _joined_base64(self.source, self.index, self.partial)
                if joined is not None:
                    yield self._emit(joined)
                    self.partial = []
                elif sum(len(p) for p in self.partial) * 3 // 4 > self.partial_size + 3:
                    yield from self._truncated()
                return
            # A line that is not a continuation, or that starts an object of its own:
            # the object before it was cut short.
            yield from self._truncated()
        if not line or line.startswith(b"#"):
            return
        item = _line_item(self.source, self.index, line, self.line)
        if item is _INCOMPLETE:
            self.partial = [line]
            self.partial_line = self.line
            self.partial_size = _announced_size(line)
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

    def _truncated(self) -> Iterator[Item]:
        """The partial base64 object, cut short: counted, by the SHA-256 of what is there."""
        if not self.partial:
            return
        der = _decode_cut(b"".join(self.partial))
        self.partial = []
        yield self._emit(
            Item(
                self.source,
                self.index,
                der=der or None,
                error="base64 ends before the certificate does (cut short)",
                line=self.partial_line,
            )
        )

    def block(self, label: bytes, body: bytes, end_line: int, *, closed: bool = True) -> Item:
        self.pem_mode = True
        self.pending_errors.clear()
        if closed:
            return self._emit(_pem_item(self.source, self.index, label, body, end_line))
        return self._emit(_unclosed_item(self.source, self.index, label, body, end_line))

    def _emit(self, item: Item) -> Item:
        self.found_any = True
        if item.index != self.index:
            item = item._replace(index=self.index)
        self.index += 1
        return item

    def partial_errors(self) -> Iterator[Item]:
        """For a range of a file: its invalid lines are errors as they stand."""
        yield from self._truncated()
        for error in self.pending_errors:
            yield self._emit(error)

    def finish(self) -> Iterator[Item]:
        yield from self._truncated()
        for error in self.pending_errors if self.found_any else ():
            yield self._emit(error)


def _announced_size(line: bytes) -> int:
    """The total DER length a base64 line's first bytes announce (0 if unreadable)."""
    try:
        head = binascii.a2b_base64(line[:8])
    except binascii.Error:
        return 0
    if len(head) < 2 or head[0] != 0x30:
        return 0
    if head[1] < 0x80:
        return 2 + head[1]
    count = head[1] & 0x7F
    if count == 0 or len(head) < 2 + count:
        return 0
    return 2 + count + int.from_bytes(head[2 : 2 + count], "big")


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
    scanned a megabyte at a time; markers are found with ``bytes.find``, and no stretch of
    bytes is searched again and again, so time grows linearly with the input, whatever its
    shape (no line breaks, thousands of BEGIN lines).

    A block without its END line ends at the next BEGIN line and is reported; the block after
    it is read as usual. ``whole`` false: the stream is one range of a larger file, scanned in
    the mode the file showed (``pem_mode``); whether the file held anything is then its
    reader's to judge.
    """
    scanner = _TextScanner(source)
    scanner.pem_mode = pem_mode
    scanner.listing = not whole and not pem_mode
    buffer = b""
    look = 0  # where the next BEGIN may start in ``buffer``: before it, none
    waiting = False  # ``buffer`` starts with a block whose end has not arrived yet
    block_look = 0  # for that block: where its END (or the next BEGIN) may start
    skipping = False  # inside an over-long line, until its line break
    chunk = first
    while True:
        if not first:
            chunk = stream.read(_CHUNK)
        first = b""
        eof = not chunk
        if skipping and chunk:
            cut = chunk.find(b"\n")
            if cut < 0:
                continue
            chunk, skipping = chunk[cut + 1 :], False
            scanner.line += 1
        buffer += chunk
        position = 0
        while True:
            if not waiting and not scanner.partial:
                # The common case: certificate blocks after white space, one after another,
                # read as the general path below reads them: the body ends at its first '-',
                # which must start the END line.
                while (begin_match := _PLAIN_BEGIN.match(buffer, position)) is not None:
                    body = begin_match.end()
                    close = buffer.find(b"-", body)
                    if close < 0 or not buffer.startswith(_PLAIN_END, close):
                        break
                    stop = close + len(_PLAIN_END)
                    scanner.line += buffer.count(b"\n", position, stop)
                    yield scanner.block(b"CERTIFICATE", buffer[body:close], scanner.line)
                    position = stop
                look = max(look, position)
            if waiting:
                begin = 0
            else:
                begin = buffer.find(b"-----BEGIN ", max(position, look))
                if begin < 0:
                    look = max(position, len(buffer) - 10)
                    break
            # The label ends on the BEGIN line itself: dashes on a later line are not its end.
            line_end = buffer.find(b"\n", begin, begin + 100)
            label_end = buffer.find(
                b"-----", begin + 11, line_end if line_end >= 0 else begin + 100
            )
            if label_end < 0:
                if not eof and len(buffer) < begin + 100:
                    yield from _between(scanner, buffer, position, begin)
                    position, waiting, block_look = begin, True, begin + 11
                    break
                waiting, look = False, begin + 11  # not a BEGIN line: plain text
                continue
            if not waiting:
                yield from _between(scanner, buffer, position, begin)
            position = begin
            body_from = label_end + 5
            start = max(body_from, block_look) if waiting else body_from
            # The next BEGIN first: an END is looked for only before it, so a file of BEGIN
            # lines without END lines is read in linear time.
            following = buffer.find(b"-----BEGIN ", start)
            end = buffer.find(b"-----END ", start, following if following >= 0 else len(buffer))
            if end >= 0:
                following = -1
            label = buffer[begin + 11 : label_end]
            if end >= 0 and following < 0:
                # The END line closes the block where its dashes close it, or at its line
                # break when they are missing: never on a later line.
                end_line = buffer.find(b"\n", end, end + 100)
                close = buffer.find(b"-----", end + 9, end_line if end_line >= 0 else end + 100)
                if close < 0 and end_line < 0 and not eof and len(buffer) < end + 100:
                    waiting, block_look = True, end
                    break
                if close >= 0:
                    stop = close + 5
                else:
                    stop = end_line if end_line >= 0 else min(len(buffer), end + 100)
                scanner.line += buffer.count(b"\n", begin, stop)
                yield scanner.block(label, buffer[body_from:end], scanner.line)
                position = stop
            elif following >= 0:
                scanner.line += buffer.count(b"\n", begin, following)
                yield scanner.block(label, buffer[body_from:following], scanner.line, closed=False)
                position = following
            elif eof or len(buffer) - begin > MAX_BLOCK:
                scanner.line += buffer.count(b"\n", begin)
                yield scanner.block(label, buffer[body_from:], scanner.line, closed=False)
                position = len(buffer)
            else:
                waiting, block_look = True, max(body_from, len(buffer) - 10)
                break
            waiting, look = False, position
        buffer = buffer[position:]
        look, block_look = max(0, look - position), max(0, block_look - position)
        if eof:
            break
        if waiting:
            continue
        # Hand over complete lines: none can be part of a block (a BEGIN would have been seen).
        cut = buffer.rfind(b"\n")
        if cut >= 0:
            yield from scanner.lines(buffer[: cut + 1])
            buffer, look = buffer[cut + 1 :], max(0, look - cut - 1)
        elif len(buffer) > MAX_LINE:
            yield scanner._emit(
                Item(
                    source,
                    scanner.index,
                    error=f"a line longer than {MAX_LINE >> 20} MiB: not a certificate",
                    line=scanner.line,
                )
            )
            buffer, look, skipping = b"", 0, True
    yield from scanner.lines(buffer)
    if not whole:
        yield from scanner.partial_errors()
        return
    yield from scanner.finish()
    if not scanner.found_any:
        yield from _nothing(
            source, named, "no PEM block, DER, base64 certificate, SHA-256 or crt.sh link"
        )


def _between(scanner: _TextScanner, buffer: bytes, start: int, end: int) -> Iterator[Item]:
    """The text between two blocks: lines to classify, or only line breaks to count."""
    between = buffer[start:end]
    if (between and not between.isspace()) or scanner.partial:
        yield from scanner.lines(between)
    else:
        scanner.line += between.count(b"\n")


def _nothing(source: str, named: bool, why: str) -> Iterator[Item]:
    if named:
        raise NothingCertificateLike(f"{source}: {NOTHING} ({why})")
    yield Item(source, 0, error=f"{NOTHING} ({why})")


def _pem_item(source: str, index: int, label: bytes, body: bytes, line: int) -> Item:
    if label not in _CERT_LABELS:
        name = label.decode("ascii", "backslashreplace")
        what = "a CRL" if b"CRL" in label else f"a '{name}' block"
        return Item(source, index, error=f"PEM block is {what}, not a certificate", line=line)
    try:
        der = binascii.a2b_base64(body)
    except binascii.Error as exc:
        return Item(source, index, error=f"PEM block: bad base64: {exc}", line=line)
    if not der:
        return Item(source, index, error="PEM block is empty", line=line)
    return Item(source, index, der=der)


def _unclosed_item(source: str, index: int, label: bytes, body: bytes, line: int) -> Item:
    """A block whose END line is missing. A certificate in it is still read (and counted):
    only its armour is broken."""
    name = label.decode("ascii", "backslashreplace")
    why = f"PEM block '{name}' has no END line"
    if label not in _CERT_LABELS:
        return Item(source, index, error=why, line=line)
    try:
        der = binascii.a2b_base64(body)
    except binascii.Error:
        der = b""
    return Item(source, index, der=der or None, error=why, line=line)


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
            # A line cut short may have lost its padding: decode what is there.
            whole = line if len(line) % 4 == 0 else line[: len(line) - len(line) % 4]
            der = binascii.a2b_base64(whole)
        except binascii.Error:
            der = b""
        if der[:1] == b"\x30":
            if _complete(der):
                return Item(source, index, der=der)
            return _INCOMPLETE
    # The line itself is never quoted: inputs may hold what must not reach an output (a
    # file and a line number say where it is).
    return Item(
        source, index, line=number, error="the line is not a certificate, SHA-256 or crt.sh link"
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


def _decode_cut(text: bytes) -> bytes:
    """Base64 that may have been cut anywhere: the bytes its whole quads hold."""
    try:
        return binascii.a2b_base64(text[: len(text) - len(text) % 4])
    except binascii.Error:
        return b""


def _joined_base64(source: str, index: int, lines: list[bytes]) -> Item | None:
    try:
        der = binascii.a2b_base64(b"".join(lines))
    except binascii.Error as exc:
        return Item(source, index, error=f"bad base64: {exc}")
    return Item(source, index, der=der) if _complete(der) else None
