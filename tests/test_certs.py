"""Certificate evidence: readers, records, pairing, summaries and the appendix, on
certificates issued by the test CA and on the shared corpora."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from cryptography.hazmat.primitives import serialization

from ca_incident.certs.appendix import REDACTED, appendix_rows, crtsh_lines, write_csv
from ca_incident.certs.evidence import ReadError, collect, stream_records
from ca_incident.certs.read import NothingCertificateLike, iter_items
from ca_incident.certs.record import CertRecord, read_certificate
from ca_incident.errors import CaIncidentError
from ca_incident.templates import APPENDIX_COLUMNS

from .helpers import shared_path
from .testca import SMIME_MAILBOX_STRICT, hierarchy, issue, key, pem

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
ROOT, CA, SIGNING_CA = hierarchy()


def sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


@pytest.fixture
def pairs(tmp_path: Path) -> dict[str, bytes]:
    """Four shapes: pair, pair across a Precertificate Signing CA, lone precertificate,
    certificate logged without a precertificate."""
    same = issue(CA, 0x1001)
    signed = issue(CA, 0x1002, precertificate_by=SIGNING_CA)
    lone = issue(CA, 0x1003, with_certificate=False)
    plain = issue(CA, 0x1004, with_precertificate=False)
    ders = {
        "same.pre": same.precertificate,
        "same.cert": same.certificate,
        "signed.pre": signed.precertificate,
        "signed.cert": signed.certificate,
        "lone.pre": lone.precertificate,
        "plain.cert": plain.certificate,
    }
    for name, der in ders.items():
        assert der is not None
        (tmp_path / f"{name}.der").write_bytes(der)
    return {k: v for k, v in ders.items() if v is not None}


def test_pairing_counts_a_pair_once(tmp_path: Path, pairs: dict[str, bytes]) -> None:
    evidence = collect([tmp_path], as_of=AS_OF, keep=True)
    s = evidence.summary
    assert (s.count, s.paired, s.via_signing_ca, s.precertificates_only) == (3, 2, 1, 1)
    by_hash = {r.sha256: r for r in evidence.certificates or []}
    assert by_hash[sha(pairs["same.cert"])].precert_sha256 == sha(pairs["same.pre"])
    assert by_hash[sha(pairs["signed.cert"])].precert_sha256 == sha(pairs["signed.pre"])
    assert by_hash[sha(pairs["plain.cert"])].precert_sha256 is None
    assert by_hash[sha(pairs["lone.pre"])].precertificate


def test_pairing_does_not_depend_on_order_or_jobs(tmp_path: Path, pairs: dict[str, bytes]) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("".join(pem(pairs[k]) for k in sorted(pairs, reverse=True)))
    single = collect([bundle], as_of=AS_OF).summary
    parallel = collect([bundle], as_of=AS_OF, jobs=2).summary
    assert (single.count, single.paired, single.precertificates_only) == (3, 2, 1)
    assert (parallel.count, parallel.paired, parallel.precertificates_only) == (3, 2, 1)


def test_same_serial_different_certificate_does_not_pair(tmp_path: Path) -> None:
    a = issue(CA, 0x2001, host="a.example.test", with_certificate=False)
    b = issue(CA, 0x2001, host="b.example.test", with_precertificate=False)
    assert a.precertificate and b.certificate
    (tmp_path / "a.der").write_bytes(a.precertificate)
    (tmp_path / "b.der").write_bytes(b.certificate)
    s = collect([tmp_path], as_of=AS_OF).summary
    assert (s.count, s.paired, s.precertificates_only) == (1, 0, 1)


def test_appendix_row_carries_both_hashes(tmp_path: Path, pairs: dict[str, bytes]) -> None:
    evidence = collect([tmp_path], as_of=AS_OF, keep=True)
    rows = list(appendix_rows((("p1", r) for r in evidence.certificates or []), AS_OF))
    table = list(csv.reader(io.StringIO(write_csv(rows))))
    assert table[0] == [*APPENDIX_COLUMNS, "Problem"]
    assert [sha(pairs["same.pre"]), sha(pairs["same.cert"])] in [row[:2] for row in table[1:]]
    assert [sha(pairs["lone.pre"]), ""] in [row[:2] for row in table[1:]]
    assert len(table) == 1 + 4


def test_csv_header_is_the_irg_columns_in_order() -> None:
    source = shared_path("domain", "sources", "ccadb-incident-report-v3.2.md").read_text()
    appendix = source.split("For incidents affecting less than 10,000 certificates", 1)[1]
    fields = [
        line.split("**")[1]
        for line in appendix.split("CA Owners MAY append", 1)[0].splitlines()
        if line.startswith("| **")
    ]
    assert tuple(fields) == APPENDIX_COLUMNS


def test_remaining_valid_and_dates(tmp_path: Path) -> None:
    early = issue(
        CA, 0x3001, not_before=datetime(2026, 1, 1, tzinfo=UTC), days=90, with_precertificate=False
    )
    late = issue(
        CA,
        0x3002,
        not_before=datetime(2026, 10, 1, 8, 30, tzinfo=UTC),
        days=90,
        with_precertificate=False,
    )
    for name, issued in (("early", early), ("late", late)):
        assert issued.certificate
        (tmp_path / f"{name}.der").write_bytes(issued.certificate)
    s = collect([tmp_path], as_of=AS_OF).summary
    assert s.first_not_before == datetime(2026, 1, 1, tzinfo=UTC)
    assert s.last_not_before == datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    assert (s.remaining_valid, s.expired) == (1, 1)
    rows = list(
        appendix_rows(
            (("p", r) for r in collect([tmp_path], as_of=AS_OF, keep=True).certificates or []),
            AS_OF,
        )
    )
    # Without CRLs nothing shows a revocation: the expired one is N/A, the other Planned.
    assert sorted(row[8] for row in rows) == ["N/A", "Planned"]


def test_smime_personal_data_is_withheld_unless_asked(tmp_path: Path) -> None:
    issued = issue(
        CA,
        0x4001,
        smime_email="alice@example.test",
        policy=SMIME_MAILBOX_STRICT,
        with_precertificate=False,
    )
    assert issued.certificate
    (tmp_path / "smime.der").write_bytes(issued.certificate)
    evidence = collect([tmp_path], as_of=AS_OF, keep=True)
    record = (evidence.certificates or [])[0]
    assert (record.kind, record.validation_type) == ("smime", "mailbox-validated strict")
    redacted = write_csv(appendix_rows([("p", record)], AS_OF))
    assert "alice" not in redacted and "Alice" not in redacted and REDACTED in redacted
    assert record.serial is not None
    assert sha(issued.certificate) in redacted and record.serial in redacted
    full = write_csv(appendix_rows([("p", record)], AS_OF, include_pii=True))
    assert "alice@example.test" in full


def test_crtsh_list_one_line_per_certificate(tmp_path: Path, pairs: dict[str, bytes]) -> None:
    evidence = collect([tmp_path], as_of=AS_OF, keep=True)
    lines = crtsh_lines(evidence.certificates or []).splitlines()
    assert len(lines) == 4
    assert f"https://crt.sh/?sha256={sha(pairs['same.cert'])}" in lines
    assert f"https://crt.sh/?sha256={sha(pairs['same.pre'])}" not in lines


# Readers


def _one_cert() -> bytes:
    issued = issue(CA, 0x5001, with_precertificate=False)
    assert issued.certificate
    return issued.certificate


def test_every_input_form_reads_the_same_certificate(tmp_path: Path) -> None:
    der = _one_cert()
    text = pem(der)
    forms = {
        "cert.pem": text.encode(),
        "cert.der": der,
        "openssl.txt": b"Certificate:\n    Data:\n        Version: 3 (0x2)\n" + text.encode(),
        "cert.b64": base64.b64encode(der) + b"\n",
        "hashes.txt": f"# affected\n{sha(der).upper()}\n".encode(),
        "colons.txt": ":".join(sha(der)[i : i + 2] for i in range(0, 64, 2)).encode(),
        "links.txt": f"https://crt.sh/?sha256={sha(der)}\n".encode(),
        "cert.pem.gz": gzip.compress(text.encode()),
    }
    for name, content in forms.items():
        path = tmp_path / name
        path.write_bytes(content)
        items = list(iter_items([path]))
        assert len(items) == 1, name
        item = items[0]
        assert item.error is None, (name, item.error)
        assert (item.sha256 or sha(item.der or b"")) == sha(der), name


def test_text_between_pem_blocks_is_commentary(tmp_path: Path) -> None:
    a, b = _one_cert(), issue(CA, 0x5002, with_precertificate=False).certificate
    assert b
    path = tmp_path / "bundle.pem"
    path.write_text("subject=CN = a\n" + pem(a) + "\nissuer=CN = x\nrandom notes\n" + pem(b))
    items = list(iter_items([path]))
    assert [i.error for i in items] == [None, None]
    assert [i.index for i in items] == [0, 1]


def test_duplicates_count_once_and_are_reported(tmp_path: Path) -> None:
    der = _one_cert()
    (tmp_path / "a.pem").write_text(pem(der) + pem(der))
    (tmp_path / "b.der").write_bytes(der)
    s = collect([tmp_path], as_of=AS_OF).summary
    assert (s.count, s.duplicates) == (1, 2)


def test_fingerprints_are_counted_with_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "hashes.txt"
    path.write_text("".join(f"{i:064x}\n" for i in range(1, 6)))
    evidence = collect([path], as_of=AS_OF, keep=True)
    assert (evidence.summary.count, evidence.summary.fingerprints_only) == (5, 5)
    assert evidence.summary.kinds["unknown"] == 5
    assert all(r.serial is None for r in evidence.certificates or [])


def test_lines_that_are_not_certificates_are_errors_not_losses(tmp_path: Path) -> None:
    der = _one_cert()
    path = tmp_path / "list.txt"
    path.write_text(f"{sha(der)}\nnot a hash\nhttps://crt.sh/?id=12345\n")
    evidence = collect([path], as_of=AS_OF)
    assert evidence.summary.count == 1
    messages = [e.error for e in evidence.errors]
    assert len(messages) == 2
    assert "line 2: the line is not a certificate" in messages[0]
    assert "not a hash" not in messages[0]  # inputs are never quoted
    assert "crt.sh id link names no certificate hash" in messages[1]


def test_crl_and_key_blocks_are_named(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pem"
    path.write_text(
        pem(_one_cert())
        + "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"
        + "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"
        + "-----BEGIN CERTIFICATE-----\nMIIB\n"
    )
    items = list(iter_items([path]))
    assert items[0].der is not None
    assert "is a CRL, not a certificate" in (items[1].error or "")
    assert "'PRIVATE KEY' block" in (items[2].error or "")
    assert "has no END line" in (items[3].error or "")


def test_a_named_path_with_nothing_certificate_like_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(NothingCertificateLike, match=r"notes\.txt: holds nothing certificate-like"):
        list(iter_items([path]))
    with pytest.raises(CaIncidentError, match="no such file or folder"):
        list(iter_items([tmp_path / "missing"]))


def test_the_same_file_inside_a_folder_is_one_error_item(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "c.der").write_bytes(_one_cert())
    evidence = collect([tmp_path], as_of=AS_OF)
    assert evidence.summary.count == 1
    assert [e.source for e in evidence.errors] == [str(tmp_path / "notes.txt")]


def test_unparseable_certificate_is_counted_and_listed_by_hash(tmp_path: Path) -> None:
    der = bytearray(_one_cert())
    broken = bytes(der[:4]) + bytes(len(der) - 4)  # valid outer header, zeroed contents
    (tmp_path / "broken.der").write_bytes(broken)
    evidence = collect([tmp_path], as_of=AS_OF)
    assert (evidence.summary.count, evidence.summary.unreadable) == (1, 1)
    assert evidence.errors[0].sha256 == sha(broken)
    assert "cannot be parsed" in evidence.errors[0].error


# The shared corpora


def _zlint_files() -> list[Path]:
    folder = shared_path("corpus", "certs", "zlint", "v3", "testdata")
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_every_zlint_file_yields_rows_or_errors() -> None:
    folder = shared_path("corpus", "certs", "zlint", "v3", "testdata")
    files = _zlint_files()
    assert len(files) == 1384
    evidence = collect([folder], as_of=AS_OF, keep=True)
    records = evidence.certificates or []
    sources = {r.source for r in records} | {e.source for e in evidence.errors}
    # What the evidence accounts for: counted certificates, the precertificates paired with
    # them, and unreadable certificates listed by hash.
    accounted = (
        {r.sha256 for r in records}
        | {r.precert_sha256 for r in records if r.precert_sha256 is not None}
        | {e.sha256 for e in evidence.errors if e.sha256 is not None}
    )
    held: dict[str, list[str | None]] = {}
    for item in iter_items([folder]):
        digest = sha(item.der) if item.der is not None else item.sha256
        held.setdefault(item.source, []).append(digest)
    # A file with no row or error of its own must hold only copies of certificates counted
    # from another file: nothing is lost.
    for file in files:
        if str(file) in sources:
            continue
        hashes = held.get(str(file), [])
        assert hashes, f"{file}: yields nothing"
        assert all(h is not None and h in accounted for h in hashes), file
    assert evidence.summary.count + evidence.summary.precertificates_only + len(
        [e for e in evidence.errors if e.sha256 is None]
    ) + evidence.summary.duplicates == sum(len(hashes) for hashes in held.values())


class OpensslFacts(NamedTuple):
    """What openssl reads of a certificate."""

    sha256: str
    serial: int
    not_before: str
    not_after: str


def _openssl_one(path: Path) -> OpensslFacts | None:
    """Facts of the first certificate of one file, by ``openssl x509``; None if it refuses."""
    result = subprocess.run(
        [
            "openssl",
            "x509",
            "-in",
            str(path),
            "-noout",
            "-serial",
            "-fingerprint",
            "-sha256",
            "-startdate",
            "-enddate",
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:
        return None
    facts = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return OpensslFacts(
        facts["sha256 Fingerprint"].replace(":", "").lower(),
        int(facts["serial"], 16),
        facts["notBefore"],
        facts["notAfter"],
    )


# One ``openssl storeutl -text`` over a bundle of the corpus files reads them all in one
# process. Each file's text is preceded by this public key, so that the objects openssl
# prints can be told apart by file even where it skips a certificate it cannot decode.
_MARKER = (
    key(0x5107)
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
_STORE_OBJECT = re.compile(r"^(\d+): (.+)\n", re.M)
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\n(.*?)-----END \1-----\n", re.S)
# "Serial Number: 4660 (0x1234)" when it fits a long, else hex bytes on the next line.
_SERIAL = re.compile(
    r"^ *Serial Number:(?: (-?)(\d+) \(.*\n|\n *( \(Negative\))?([0-9a-f:]+)\n)", re.M
)


def _der_length(der: bytes) -> int:
    """The length of the DER object at the start of ``der``, header included."""
    if der[1] < 0x80:
        return 2 + der[1]
    size = der[1] & 0x7F
    return 2 + size + int.from_bytes(der[2 : 2 + size], "big")


def _printed_certificate(text: str) -> OpensslFacts:
    """The facts of one certificate as ``openssl storeutl -text`` prints it, text then PEM."""
    serial = _SERIAL.search(text)
    not_before = re.search(r"^ *Not Before: (.+)$", text, re.M)
    not_after = re.search(r"^ *Not After : (.+)$", text, re.M)
    block = _PEM_BLOCK.search(text)
    assert serial and not_before and not_after and block, text[:2000]
    if serial.group(2) is not None:
        number = int(serial.group(2))
        negative = bool(serial.group(1))
    else:
        number = int(serial.group(4).replace(":", ""), 16)
        negative = bool(serial.group(3))
    # storeutl writes certificates with their trust settings (PEM "TRUSTED CERTIFICATE"):
    # the certificate is the first DER object.
    der = base64.b64decode(block.group(2))
    return OpensslFacts(
        sha(der[: _der_length(der)]),
        -number if negative else number,
        not_before.group(1),
        not_after.group(1),
    )


def _openssl_facts(paths: list[str], tmp_path: Path) -> dict[str, OpensslFacts | None]:
    """For each file, openssl's facts of its first certificate, or None if openssl reads no
    certificate in it. Text files go through one ``openssl storeutl``; a binary file, or one
    in which that finds no certificate, is read alone by ``openssl x509`` as before."""
    texts = [p for p in paths if b"-----BEGIN " in Path(p).read_bytes()]
    bundle = tmp_path / "corpus.pem"
    with bundle.open("wb") as out:
        for path in texts:
            out.write(_MARKER.encode() + Path(path).read_bytes() + b"\n")
    result = subprocess.run(
        ["openssl", "storeutl", "-text", "-passin", "pass:", str(bundle)],
        capture_output=True,
        encoding="latin-1",  # names in the text may be in any encoding
        stdin=subprocess.DEVNULL,
        check=False,
    )
    parts = _STORE_OBJECT.split(result.stdout)  # text before, then number, kind, text, ...
    objects = [(int(parts[i]), parts[i + 1], parts[i + 2]) for i in range(1, len(parts), 3)]
    assert [n for n, _, _ in objects] == list(range(len(objects))), "storeutl output misread"
    slots: list[list[str]] = []
    for _, kind, text in objects:
        if kind == "Public key" and _MARKER in text:
            slots.append([])
        elif kind == "Certificate":
            slots[-1].append(text)
    # A marker lost (say, to an unclosed PEM block before it) would shift every later file.
    assert len(slots) == len(texts), (
        f"storeutl read {len(slots)} of {len(texts)} files: {result.stderr[-2000:]}"
    )
    facts: dict[str, OpensslFacts | None] = {
        path: _printed_certificate(certificates[0])
        for path, certificates in zip(texts, slots, strict=True)
        if certificates
    }
    for path in paths:
        if path not in facts:
            facts[path] = _openssl_one(Path(path))
    return facts


def _openssl_date(text: str) -> datetime:
    text = re.sub(r"\.\d+", "", " ".join(text.split()))  # openssl shows fractions of a second
    return datetime.strptime(text, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)


@pytest.mark.parametrize("corpus", ["zlint", "pkilint"])
def test_hash_serial_and_dates_agree_with_openssl(corpus: str, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = shared_path("corpus", "certs", corpus)
    firsts: dict[str, bytes] = {}
    for item in iter_items([folder]):
        if item.der is not None and item.source not in firsts and item.index == 0:
            firsts[item.source] = item.der
    facts = _openssl_facts(sorted(firsts), tmp_path)
    compared = 0
    for path, der in firsts.items():
        truth = facts[path]
        if truth is None:
            continue
        record = read_certificate(der, path)
        assert record.sha256 == truth.sha256, path
        assert record.serial == format(truth.serial, "x"), path
        if record.not_before is not None and record.not_before.year >= 1950:
            assert record.not_before.replace(microsecond=0) == _openssl_date(truth.not_before), path
        if record.not_after is not None and record.not_after.year >= 1950:
            assert record.not_after.replace(microsecond=0) == _openssl_date(truth.not_after), path
        compared += 1
    assert compared > (1200 if corpus == "zlint" else 400)


# Large inputs are read in ranges; the result must not depend on where they are cut.


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    from ca_incident.certs import tasks

    monkeypatch.setattr(tasks, "RANGE", 4096)
    monkeypatch.setattr(tasks, "_WINDOW", 1024)


def test_ranges_give_the_same_result_as_one_pass(tmp_path: Path, small_ranges: None) -> None:
    from ca_incident.certs import tasks

    ders = [issue(CA, 0x6000 + n, with_precertificate=False).certificate for n in range(40)]
    text = ""
    for number, der in enumerate(ders):
        assert der
        text += f"subject=CN {number}\n" + pem(der)
        if number == 17:
            text += "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(text)
    assert len(list(tasks.plan([bundle]))) > 3
    whole = list(iter_items([bundle]))
    crl = next(i for i in whole if i.error)
    for jobs in (1, 2):
        evidence = collect([bundle], as_of=AS_OF, jobs=jobs, keep=True)
        records = evidence.certificates or []
        assert [r.sha256 for r in records] == [sha(i.der) for i in whole if i.der], jobs
        assert [r.index for r in records] == [i.index for i in whole if i.der], jobs
        assert [(e.index, e.error) for e in evidence.errors] == [(crl.index, crl.message)], jobs
        # The stream under collect puts what is not a certificate, in its place, in the list
        # it is given.
        errors: list[ReadError] = []
        streamed = list(stream_records([bundle], jobs, errors))
        assert [r.index for r in streamed if isinstance(r, CertRecord)] == [
            i.index for i in whole if i.der
        ], jobs
        assert errors == [ReadError(str(bundle), crl.index, None, crl.message or "")], jobs


def test_line_numbers_count_from_the_start_of_the_file(tmp_path: Path, small_ranges: None) -> None:
    path = tmp_path / "hashes.txt"
    lines = [f"{n:064x}" for n in range(1, 400)]
    lines[350] = "not a fingerprint"
    path.write_text("\n".join(lines) + "\n")
    evidence = collect([path], as_of=AS_OF)
    assert evidence.summary.count == 398
    assert [e.error for e in evidence.errors] == [
        "line 351: the line is not a certificate, SHA-256 or crt.sh link"
    ]
    assert evidence.errors[0].index == 350


def test_issuer_cache_gives_cryptographys_string() -> None:
    from cryptography import x509

    folder = shared_path("corpus", "certs", "zlint", "v3", "testdata")
    checked = 0
    for item in iter_items([folder]):
        if item.der is None:
            continue
        record = read_certificate(item.der)
        try:
            expected = x509.load_der_x509_certificate(item.der).issuer.rfc4514_string()
        except Exception:
            continue
        assert record.issuer == expected, item.source
        checked += 1
    assert checked > 1100


@pytest.mark.parametrize("corpus", ["zlint", "pkilint"])
def test_counting_without_a_listing_gives_the_listings_figures(corpus: str) -> None:
    """Without --list the subject and e-mail addresses are not read: the summary, errors
    and warnings are still those of a run that reads everything."""
    from dataclasses import asdict

    from .helpers import shared_path

    folder = shared_path("corpus", "certs", corpus)
    counted = collect([folder], as_of=AS_OF)
    listed = collect([folder], as_of=AS_OF, keep=True)
    assert asdict(counted.summary) == asdict(listed.summary)
    assert counted.summary.count > 100
    assert counted.errors == listed.errors and counted.warnings == listed.warnings
    assert any(r.subject for r in listed.certificates or [])
