"""Readers that never lose a certificate: each way a real input was seen to lose, swallow or
invent one, as a test. Certificates come from the test CA."""

from __future__ import annotations

import base64
import gzip
import os
import textwrap
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import pytest

from ca_incident.certs import tasks
from ca_incident.certs.evidence import collect
from ca_incident.certs.read import InputTooLarge, iter_items
from ca_incident.errors import CaIncidentError

from .helpers import AS_OF
from .testca import hierarchy, issue, pem

_, CA, _ = hierarchy()


@pytest.fixture(scope="module")
def ders() -> list[bytes]:
    """6,000 distinct certificates: enough to cross the readers' 1 MiB chunks."""
    out = []
    for serial in range(0x5000, 0x5000 + 6000):
        der = issue(CA, serial, with_precertificate=False).certificate
        assert der is not None
        out.append(der)
    return out


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode()


def test_a_cut_base64_line_swallows_nothing(tmp_path: Path, ders: list[bytes]) -> None:
    lines = [_b64(d) for d in ders]
    lines[10] = lines[10][: len(lines[10]) // 2]  # line 11 cut in the middle
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 2 << 20
    for jobs in (1, 2):
        evidence = collect([path], as_of=AS_OF, jobs=jobs)
        s = evidence.summary
        assert (s.count, s.unreadable) == (6000, 1), jobs
        (error,) = evidence.errors
        assert "line 11" in error.error and "cut short" in error.error and error.sha256


def test_a_pem_block_without_its_end_line_hides_no_certificate(
    tmp_path: Path, ders: list[bytes]
) -> None:
    blocks = [pem(d) for d in ders[:5]]
    blocks[1] = blocks[1].replace("-----END CERTIFICATE-----\n", "")
    path = tmp_path / "five.pem"
    path.write_text("".join(blocks))
    evidence = collect([path], as_of=AS_OF, keep=True)
    assert evidence.summary.count == 5 and evidence.errors == []
    (warning,) = evidence.warnings
    assert "has no END line" in warning.error and warning.index == 1


def test_text_first_then_pem_over_several_ranges(tmp_path: Path, ders: list[bytes]) -> None:
    """openssl x509 -text output first (over a MiB of it), then blocks: no spurious errors,
    no block lost at a range boundary."""
    text = "        Signature Algorithm: ecdsa-with-SHA256\n" * 30_000
    path = tmp_path / "text-first.pem"
    path.write_text(text + "".join(pem(d) for d in ders[:2500]))
    assert path.stat().st_size > 2 << 20 and len(list(tasks.plan([path]))) > 1
    for jobs in (1, 2):
        evidence = collect([path], as_of=AS_OF, jobs=jobs)
        assert evidence.summary.count == 2500 and evidence.errors == [], jobs


def test_base64_wrapped_over_lines_across_chunks(tmp_path: Path, ders: list[bytes]) -> None:
    wrapped = "".join(textwrap.fill(_b64(d), 64) + "\n" for d in ders)
    path = tmp_path / "wrapped.txt"
    path.write_text(wrapped)
    assert path.stat().st_size > 2 << 20
    for jobs in (1, 2):
        evidence = collect([path], as_of=AS_OF, jobs=jobs)
        assert evidence.summary.count == 6000 and evidence.errors == [], jobs


@pytest.mark.parametrize("order", ["links first", "certificates first"])
def test_a_hash_is_enriched_by_its_certificate(
    tmp_path: Path, ders: list[bytes], order: str
) -> None:
    import hashlib

    links = tmp_path / "links.txt"
    links.write_text(
        "".join(f"https://crt.sh/?sha256={hashlib.sha256(d).hexdigest()}\n" for d in ders[:5])
    )
    five = tmp_path / "five.pem"
    five.write_text("".join(pem(d) for d in ders[:5]))
    inputs = [links, five] if order == "links first" else [five, links]
    evidence = collect(inputs, as_of=AS_OF, keep=True)
    s = evidence.summary
    assert (s.count, s.fingerprints_only, s.duplicates) == (5, 0, 5)
    assert s.first_not_before is not None
    assert all(r.serial for r in evidence.certificates or [])


def test_hash_only_certificates_are_not_remaining_valid(tmp_path: Path) -> None:
    path = tmp_path / "hashes.txt"
    path.write_text("ab" * 32 + "\n" + "cd" * 32 + "\n")
    s = collect([path], as_of=AS_OF).summary
    assert (s.count, s.fingerprints_only, s.remaining_valid, s.validity_unknown) == (2, 2, 0, 2)


def test_bytes_after_a_der_certificate_are_no_phantom(tmp_path: Path, ders: list[bytes]) -> None:
    path = tmp_path / "one.der"
    path.write_bytes(ders[0] + b"\x00\x01garbage")
    evidence = collect([path], as_of=AS_OF)
    assert (evidence.summary.count, evidence.summary.unreadable) == (1, 0)
    assert evidence.errors == [] and "not DER" in evidence.warnings[0].error


def test_a_truncated_der_file_is_counted_by_its_sha256(tmp_path: Path, ders: list[bytes]) -> None:
    path = tmp_path / "cut.der"
    path.write_bytes(ders[0][:300])
    evidence = collect([path], as_of=AS_OF)
    assert (evidence.summary.count, evidence.summary.unreadable) == (1, 1)
    (error,) = evidence.errors
    assert "truncated" in error.error and error.sha256 is not None


def test_a_byte_order_mark_loses_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "hashes.txt"
    path.write_bytes(b"\xef\xbb\xbf" + b"ab" * 32 + b"\n" + b"cd" * 32 + b"\n")
    assert [i.sha256 for i in iter_items([path])] == ["ab" * 32, "cd" * 32]


def test_utf16_pem_is_named_as_such(tmp_path: Path, ders: list[bytes]) -> None:
    path = tmp_path / "utf16.pem"
    path.write_bytes(pem(ders[0]).encode("utf-16"))
    with pytest.raises(CaIncidentError, match="UTF-16"):
        list(iter_items([path]))


def test_a_truncated_gz_keeps_what_was_read(tmp_path: Path, ders: list[bytes]) -> None:
    data = gzip.compress("".join(pem(d) for d in ders[:200]).encode())
    cut = tmp_path / "cut.pem.gz"
    cut.write_bytes(data[: len(data) // 2])
    items = list(iter_items([cut]))
    assert 0 < sum(1 for i in items if i.der) < 200
    assert "truncated" in (items[-1].error or "")
    bad = tmp_path / "bad.pem.gz"
    bad.write_bytes(data[:-8] + b"\x00" * 8)  # CRC and length zeroed
    items = list(iter_items([bad]))
    assert sum(1 for i in items if i.der) == 200 and "corrupt" in (items[-1].error or "")


def test_a_gzip_bomb_is_refused_by_size(tmp_path: Path) -> None:
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(b"0" * (8 << 20)))
    with pytest.raises(InputTooLarge, match="--max-input-gib"):
        list(iter_items([path], max_bytes=1 << 20))


def test_fifos_and_devices_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(CaIncidentError, match="not a regular file"):
            collect([path], as_of=AS_OF)


def test_no_more_workers_than_work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[int] = []
    real = futures.ProcessPoolExecutor

    def recording(max_workers: int, **kwargs: Any) -> futures.ProcessPoolExecutor:
        seen.append(max_workers)
        return real(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(tasks, "ProcessPoolExecutor", recording)
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("ab" * 32 + "\n")
    collect([tmp_path], as_of=AS_OF, jobs=200)
    assert seen == [2]


def _lines_without_breaks(size: int) -> Iterator[bytes]:
    yield b"A" * size


def test_a_file_without_line_breaks_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "one-line.txt"
    path.write_bytes(b"A" * (9 << 20) + b"\n" + b"ab" * 32 + b"\n")
    items = list(iter_items([path]))
    assert "longer than" in (items[0].error or "")
    assert items[-1].sha256 == "ab" * 32


def _corpus_certificates() -> list[tuple[str, bytes]]:
    from .helpers import shared_path

    folder = shared_path("corpus", "certs")
    found = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            items = list(iter_items([file]))
        except CaIncidentError:
            continue
        found += [(f"{file.name}#{i.index}", i.der) for i in items if i.der is not None]
    return found


def test_the_fast_extension_read_agrees_with_cryptography_on_every_corpus_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one-walk read of the TBS used for counting gives, for every certificate of the
    pkilint and zlint corpora (many malformed on purpose), the fields cryptography's own
    extension objects give. Only the notes on extensions counting never reads (a malformed
    AKI, SCT list or name constraint) are left to a listing, which reads them all."""
    from dataclasses import asdict

    from ca_incident.certs import record as record_module
    from ca_incident.certs.record import lenient_parsing, read_certificate

    certificates = _corpus_certificates()
    assert len(certificates) > 1500
    with lenient_parsing():
        fast = [asdict(read_certificate(der, listing=False)) for _, der in certificates]
        # What was read before makes no difference: the same in reverse, caches emptied.
        record_module._parsed_oids.cache_clear()
        record_module._ISSUER_NAMES.clear()
        backwards = [
            asdict(read_certificate(der, listing=False)) for _, der in reversed(certificates)
        ]
        assert backwards[::-1] == fast
        monkeypatch.setattr(record_module, "_tbs_index", lambda der: None)
        slow = [asdict(read_certificate(der, listing=False)) for _, der in certificates]
        listed = [asdict(read_certificate(der)) for _, der in certificates]
    differing = []
    for (name, _), one, other in zip(certificates, fast, slow, strict=True):
        ignored = {"errors"} if one["kind"] == "smime" else {"errors", "emails"}
        if {k: v for k, v in one.items() if k not in ignored} != {
            k: v for k, v in other.items() if k not in ignored
        }:
            differing.append(name)
        dropped = [e for e in other["errors"] if e not in one["errors"]]
        assert all(e.startswith("extensions: cryptography: ") for e in dropped), (name, dropped)
    assert differing == []
    # A listing reads the subject and e-mail addresses too, and every extension through
    # cryptography: the rest is the same.
    only_listed = {"subject", "emails", "errors"}
    for one, other in zip(fast, listed, strict=True):
        assert {k: v for k, v in one.items() if k not in only_listed} == {
            k: v for k, v in other.items() if k not in only_listed
        }
    assert sum(1 for one in listed if one["subject"]) > 1500
    # The fast read is what ran: the plain certificates were not all read the slow way.
    assert sum(1 for one in fast if one["dns_names"]) > 500


def test_the_fast_read_leaves_a_repeated_extension_or_a_long_form_length_to_cryptography() -> None:
    """The walk takes strict DER only; what it refuses, cryptography reads and judges."""
    from ca_incident.certs.record import _tbs_index, read_certificate

    _, issuing, _ = hierarchy()
    issued = issue(issuing, 0x5A11, "walk.example")
    der, precertificate = issued.certificate, issued.precertificate
    assert der is not None and precertificate is not None
    index = _tbs_index(der)
    assert index is not None
    tbs, issuer, values = index
    assert der.index(tbs) == 4 and issuer in tbs
    oids = list(values)
    assert oids[0] == bytes.fromhex("551d11") and bytes.fromhex("551d25") in oids
    # The EKU's OID made the SAN's: the same extension twice, which the walk refuses and
    # cryptography reports.
    repeated = der.replace(b"\x06\x03\x55\x1d\x25", b"\x06\x03\x55\x1d\x11", 1)
    assert _tbs_index(repeated) is None
    record = read_certificate(repeated)
    assert any(e.startswith("extensions: cryptography:") for e in record.errors)
    # The poison extension makes a precertificate, read by the walk as by cryptography.
    assert read_certificate(precertificate).precertificate
    assert read_certificate(der).has_sct_list
    assert read_certificate(der).pair_key == read_certificate(precertificate).pair_key


def test_a_pem_label_that_is_not_utf8_is_named_not_a_crash(tmp_path: Path) -> None:
    closed = tmp_path / "closed.pem"
    closed.write_bytes(b"-----BEGIN \xff\xfe-----\nabcd\n-----END \xff\xfe-----\n")
    unclosed = tmp_path / "unclosed.pem"
    unclosed.write_bytes(b"-----BEGIN \xff\x1b-----\nabcd\n")
    errors = [i.error for path in (closed, unclosed) for i in iter_items([path])]
    assert errors == [
        "PEM block is a '\\xff\\xfe' block, not a certificate",
        "PEM block '\\xff\x1b' has no END line",
    ]


def test_plain_blocks_and_the_general_reader_agree_on_lines_and_bodies(tmp_path: Path) -> None:
    """Blocks read by the plain-block path (white space between them) and by the general
    one (text between them) give the same certificates, indices and error lines."""
    from .testca import hierarchy, issue

    _, issuing, _ = hierarchy()
    ders = [issue(issuing, 0x900 + n, f"h{n}.example").certificate for n in range(4)]
    blocks = [pem(d) for d in ders if d is not None]
    plain = tmp_path / "plain.pem"
    plain.write_text("\n\n".join(blocks) + "-----BEGIN CERTIFICATE-----\nnot-base64\n")
    texty = tmp_path / "texty.pem"
    texty.write_text("\nx\n".join(blocks) + "-----BEGIN CERTIFICATE-----\nnot-base64\n")
    one, other = list(iter_items([plain])), list(iter_items([texty]))
    assert [i.der for i in one] == [i.der for i in other] and len(one) == 5
    assert [i.index for i in one] == [i.index for i in other] == list(range(5))
    assert one[-1].error == other[-1].error and one[-1].line == other[-1].line


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_problem_in_a_later_range_names_its_line_in_the_file(tmp_path: Path, jobs: int) -> None:
    """A large file is read in ranges, each counting lines from its own start: a block
    without its END line in the third range is still reported at its line in the file."""
    from ca_incident.certs.tasks import RANGE

    _, issuing, _ = hierarchy()
    ders = [issue(issuing, 0x4C1 + n, f"lines{n}.example").certificate for n in range(3)]
    block, *others = [pem(der) for der in ders if der is not None]
    blocks = (RANGE * 3) // len(block) + 10
    # Two distinct certificates lose their END line, in the second range and the last one.
    unclosed = {blocks // 2: others[0], blocks - 5: others[1]}
    text = "".join(
        unclosed[n].replace("-----END CERTIFICATE-----\n", "") if n in unclosed else block
        for n in range(blocks)
    )
    bundle = tmp_path / "big.pem"
    bundle.write_text(text)
    expected = sorted(i.line for i in iter_items([bundle]) if i.error)
    assert len(expected) == 2 and expected[0] > RANGE // len(block)
    evidence = collect([bundle], as_of=AS_OF, jobs=jobs, keep=True)
    lines = sorted(int(w.error.split("line ")[1].split(":")[0]) for w in evidence.warnings)
    assert lines == expected


@pytest.mark.parametrize("jobs", [1, 2])
def test_links_and_fifos_in_a_folder_are_reported_not_passed_over(
    tmp_path: Path, jobs: int
) -> None:
    """A link to a folder (not followed), a link to nothing, a link loop and a FIFO inside
    a certificate folder each become an error naming it, so the count is never silently
    short; a link to a file is read as the file."""
    _, issuing, _ = hierarchy()
    ders = [issue(issuing, 0x5E0 + n, f"link{n}.example").certificate for n in range(2)]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.pem").write_text(pem(ders[0] or b""))
    folder = tmp_path / "certs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "b.pem").write_text(pem(ders[1] or b""))
    (folder / "linkdir").symlink_to(elsewhere)
    (folder / "linkfile.pem").symlink_to(elsewhere / "a.pem")
    (folder / "dangling.pem").symlink_to(tmp_path / "nowhere")
    (folder / "loop").symlink_to(folder / "loop")
    os.mkfifo(folder / "fifo.pem")
    evidence = collect([folder], as_of=AS_OF, jobs=jobs)
    assert evidence.summary.count == 2
    reported = {Path(e.source).name: e.error for e in evidence.unread}
    assert set(reported) == {"linkdir", "dangling.pem", "loop", "fifo.pem"}
    assert "link to a folder, not followed" in reported["linkdir"]
    assert "not a regular file" in reported["fifo.pem"]
    assert all(i.error for i in iter_items([folder]) if Path(i.source).name in reported)
