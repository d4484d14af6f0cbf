"""APX: the certificate data — present in the report, and well-formed in the CSV appendix and
crt.sh lists."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ca_incident.checks.attachments import csv_rows
from ca_incident.checks.registry import (
    CRTSH,
    CSV,
    IRG,
    NOT_PRELIMINARY,
    REPORTS,
    SEED,
    WITH_APPENDIX,
    Context,
    Hit,
    Severity,
    quoted,
    rule,
)
from ca_incident.checks.report import Report
from ca_incident.checks.rules.summary import certificates_affected
from ca_incident.checks.rules.template import is_na
from ca_incident.templates import APPENDIX_COLUMNS, IsRevoked
from ca_incident.timeutil import read_date

APPENDIX_SOURCE = f"{IRG}#incident-reports"
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")
_SERIAL = re.compile(r"^(?:[0-9a-fA-F]{2}:)*[0-9a-fA-F]+$")
_CRTSH_LINE = re.compile(r"^https://crt\.sh/\?sha256=[0-9A-Fa-f]{64}$")
REVOKED = tuple(value.value.lower() for value in IsRevoked)
_REVOKED_SHOWN = ", ".join(value.value for value in IsRevoked)


@rule(
    "APX001",
    "certificate-data-missing",
    Severity.ERROR,
    WITH_APPENDIX,
    "certificates affected but no appendix, attachment or crt.sh list",
    what="When the report says certificates are affected, checks that the Appendix gives "
    "them: an attached CSV, a crt.sh list, or links.",
    why="IRG 3.2: the Appendix MUST disclose the affected time-valid certificates, as a CSV "
    "below 10,000 certificates or a crt.sh list above.",
    example="### Appendix\n\nN/A   (with 1,204 certificates affected)",
    fix="Attach the CSV (ca-incident certs appendix) and name it in the Appendix.",
    requirement="REQ-APX-1, REQ-APX-2",
    source=APPENDIX_SOURCE,
    stages=NOT_PRELIMINARY,
    judges_absence=True,
)
def apx001(report: Report, context: Context) -> Iterator[Hit]:
    if report.truncated or not certificates_affected(report):
        return
    section = report.section_text("appendix")
    if section is None:
        yield 1, 1, "certificates are affected but there is no Appendix"
        return
    text, line = section
    body = "\n".join(text.splitlines()[1:]).strip()
    if re.search(r"crt\.sh|attach|\.csv|\.txt|spreadsheet|https?://", body, re.I):
        return
    if not body or is_na(body):
        yield line, 1, "certificates are affected but the Appendix neither attaches nor lists them"
    else:
        yield line, 1, "the Appendix names no attachment, crt.sh list or link for the certificates"


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    yield from csv_rows(text)


@rule(
    "APX002",
    "appendix-csv",
    Severity.ERROR,
    CSV,
    "appendix CSV: header not the IRG columns in order; bad hash, serial, date or 'Is revoked?'",
    what="Checks a CSV appendix: the eleven IRG columns first and in order, hashes of 64 hex "
    "digits, hex serials, dates that parse, and Is revoked? one of Yes, Planned, Delayed, N/A.",
    why="IRG 3.2: the standard fields 'MUST appear first and in the order listed' so that "
    "automated tools can parse every CA's appendix the same way.",
    example="Subject,Issuer,Serial   (columns missing and out of order)",
    fix="Generate the appendix with ca-incident certs appendix.",
    requirement="REQ-APX-2",
    source=APPENDIX_SOURCE,
)
def apx002(report: Report, context: Context) -> Iterator[Hit]:
    rows = _csv_rows(report.text)
    first = next(rows, None)
    if first is None:
        yield 1, 1, "the CSV is empty"
        return
    header = [h.strip() for h in first[1]]
    if header[: len(APPENDIX_COLUMNS)] != list(APPENDIX_COLUMNS):
        yield (
            1,
            1,
            f"header is not the IRG columns in order: expected {', '.join(APPENDIX_COLUMNS)}",
        )
        return
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(APPENDIX_COLUMNS):
            yield line, 1, f"{len(row)} columns; the IRG appendix has {len(APPENDIX_COLUMNS)}"
            continue
        pre, final, _, _, not_before, not_after, serial, _, revoked, revoked_on, _ = row[:11]
        if not pre.strip() and not final.strip():
            yield line, 1, "neither a precertificate nor a certificate hash"
        for name, value in (("precertificate hash", pre), ("certificate hash", final)):
            if value.strip() and not _HASH.match(value.strip()):
                yield line, 1, f"{name} {quoted(value, 20)} is not 64 hex digits"
        if serial.strip() and not _SERIAL.match(serial.strip()):
            yield line, 1, f"serial {quoted(serial, 20)} is not hex"
        for name, value in (("Not before", not_before), ("Not after", not_after)):
            if value.strip() and read_date(value) is None:
                yield line, 1, f"{name} {quoted(value, 25)} is not a date"
        if revoked.strip() and revoked.strip().lower() not in REVOKED:
            yield (
                line,
                1,
                f"Is revoked? {quoted(revoked, 15)} is not {_REVOKED_SHOWN}",
            )
        value = revoked_on.strip()
        if value and not is_na(value) and read_date(value) is None:
            yield line, 1, f"Revocation date {quoted(value, 25)} is not a date or N/A"


@rule(
    "APX003",
    "crtsh-line",
    Severity.ERROR,
    CRTSH,
    "a crt.sh line not 'https://crt.sh/?sha256=' + 64 hex",
    what="Checks every line of a crt.sh list.",
    why="IRG 3.2: above 10,000 certificates the list MAY be 'a text file where each line is of "
    "the form https://crt.sh/?sha256=[sha256 fingerprint]'; other forms break tools.",
    example="https://crt.sh/?id=12345678",
    fix="List https://crt.sh/?sha256= with the certificate's SHA-256 (ca-incident certs appendix).",
    requirement="REQ-APX-3",
    source=APPENDIX_SOURCE,
)
def apx003(report: Report, context: Context) -> Iterator[Hit]:
    for number, line in enumerate(report.lines, start=1):
        if line.strip() and not _CRTSH_LINE.match(line.strip()):
            yield (
                number,
                1,
                f"{quoted(line, 50)} is not https://crt.sh/?sha256= and 64 hex digits",
            )


_PII = re.compile(r"@|\bemailAddress=|\bE=|\bGN=|\bSN=|\bgivenName=|\bsurname=|\bpseudonym=", re.I)


@rule(
    "APX004",
    "smime-personal-data",
    Severity.WARNING,
    CSV,
    "an S/MIME appendix carrying personal data (e-mail addresses, personal names)",
    what="Looks in the Subject and dNSNames columns for e-mail addresses and personal name "
    "attributes.",
    why="IRG 3.2: where publishing personal data in S/MIME certificates may be contrary to "
    "law, give at least serial number and SHA-256 instead.",
    example='...,"CN=Alice Example,emailAddress=alice@example.com",...',
    fix="Withhold Subject and names (ca-incident certs appendix without --include-pii).",
    requirement="REQ-APX-4",
    source=APPENDIX_SOURCE,
)
def apx004(report: Report, context: Context) -> Iterator[Hit]:
    rows = _csv_rows(report.text)
    first = next(rows, None)
    if first is None:
        return
    for line, row in rows:
        if len(row) > 7 and (_PII.search(row[2]) or "@" in row[7]):
            yield line, 1, "personal data (an e-mail address or a personal name) in an S/MIME row"


_CRTSH_ID = re.compile(r"crt\.sh/?\?(?:[^\s)\]]*&)?id=\d+", re.I)


@rule(
    "APX005",
    "crtsh-id-link",
    Severity.WARNING,
    REPORTS,
    "a crt.sh link by crt.sh's own id instead of the certificate's SHA-256",
    what="Finds crt.sh links of the form https://crt.sh/?id=12345 in a report.",
    why="The 2023 Mozilla wiki (topic 5): 'It is also recommended that you use this form in "
    'your list "https://crt.sh/?sha256=[sha256-hash]", unless circumstances dictate '
    "otherwise.' IRG 3.2 lists certificates as 'https://crt.sh/?sha256=[sha256 fingerprint "
    "of the certificate]'. A crt.sh id is crt.sh's database key; the SHA-256 names the "
    "certificate itself and can be checked against any CT log.",
    example="https://crt.sh/?id=16481040023",
    fix="Link https://crt.sh/?sha256= followed by the certificate's SHA-256 fingerprint.",
    requirement="REQ-APX-3, REQ-LEG-CERTDATA-5",
    source=SEED,
)
def apx005(report: Report, context: Context) -> Iterator[Hit]:
    for number, line in enumerate(report.lines, start=1):
        match = _CRTSH_ID.search(line)
        if match is not None:
            yield (
                number,
                match.start() + 1,
                f"{quoted(match.group(0))}: link the certificate by its SHA-256 "
                "(https://crt.sh/?sha256=...)",
            )
