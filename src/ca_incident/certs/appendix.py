"""The IRG 3.2 Appendix: the CSV of affected certificates, and crt.sh lists.

The eleven standard columns come first and in the IRG's order, "to ensure automated parsing
tools function correctly"; extra columns (Problem) only to their right. For S/MIME
certificates the Subject, dNSNames and any e-mail address are withheld unless personal data
may be published: serial number and SHA-256 always stay (IRG 3.2 Appendix).

Cells come from certificates and incident files, which anyone may have written: a cell that a
spreadsheet would take for a formula is neutralised (OWASP, CSV injection), and serial numbers
are written as the hex of their DER content octets, a negative one in two's complement.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ca_incident.certs.record import CertRecord
from ca_incident.templates import APPENDIX_COLUMNS, IsRevoked
from ca_incident.timeutil import iso_z

REDACTED = "withheld (S/MIME personal data)"
CRTSH = "https://crt.sh/?sha256="


class RevocationState(StrEnum):
    """What the CRLs prove of a certificate at the moment judged."""

    REVOKED = "revoked"
    """A verified CRL lists it revoked (not on hold)."""
    NOT_REVOKED = "not-revoked"
    """A verified CRL in force (or published later) covers it and does not list it revoked."""
    UNKNOWN = "unknown"
    """No CRL given shows either."""


@dataclass(frozen=True)
class Revocation:
    """What the appendix says of a certificate's revocation, and what shows it.

    "Is revoked?" (IRG 3.2): Yes with the CRL entry's date and reason; N/A for a certificate
    expired before it was revoked; else Planned, or Delayed once the deadline has passed, with
    the CA's planned completion as the date (the IRG's "Planned Date"), N/A when the CA has
    given none: the BR deadline is when revocation was due, not a plan. The IRG has no value
    for a certificate whose state is unknown: it is shown as not revoked, the only claim no
    CRL contradicts, and ``state`` says it is unknown, for the jobs to report (and for a
    Closure build to refuse)."""

    status: IsRevoked
    date: datetime | None = None
    reason: str | None = None
    state: RevocationState = RevocationState.UNKNOWN
    crl: str | None = None
    """The CRL that shows the state: the first listing a revoked certificate, or the one in
    force covering a certificate not revoked."""
    crl_this_update: datetime | None = None
    verified: bool = True
    """False when ``crl`` was used without a verified signature, as asked."""


def pending(
    due: datetime | None,
    as_of: datetime,
    planned: datetime | None,
    state: RevocationState = RevocationState.UNKNOWN,
) -> Revocation:
    """An unexpired certificate not shown revoked: Delayed once the deadline has passed, else
    Planned; dated with the CA's planned completion, if any."""
    status = IsRevoked.DELAYED if due is not None and as_of > due else IsRevoked.PLANNED
    return Revocation(status, planned, None, state)


def revocation_of(
    record: CertRecord,
    as_of: datetime,
    due: datetime | None = None,
    planned: datetime | None = None,
) -> Revocation:
    """Without revocation data only expiry is known: N/A for an expired certificate, else an
    unknown state shown as not revoked (see :class:`Revocation`)."""
    if record.not_after is not None and record.not_after <= as_of:
        return Revocation(IsRevoked.NOT_APPLICABLE)
    return pending(due, as_of, planned)


def appendix_rows(
    records: Iterable[tuple[str, CertRecord]],
    as_of: datetime,
    *,
    include_pii: bool = False,
    revocation: dict[str, Revocation] | None = None,
    smime_problems: Collection[str] = (),
) -> Iterator[list[str]]:
    """One row per affected certificate (a pair is one row), Problem as the extra column.

    Personal data is withheld, unless ``include_pii``, for every certificate that is S/MIME
    by its own content or that belongs to a problem in ``smime_problems`` (a problem whose
    ``certificate_kind`` is smime): what the incident says is enough to redact."""
    for problem, record in records:
        if record.precertificate:
            precert, final = record.sha256, ""
        else:
            precert, final = record.precert_sha256 or "", record.sha256
        redact = not include_pii and (record.kind == "smime" or problem in smime_problems)
        state = (revocation or {}).get(record.sha256) or revocation_of(record, as_of)
        if record.serial is None and record.not_before is None:
            # Known by its SHA-256 alone, or unreadable: its fields are unknown, and the row
            # says so rather than leave cells a reader takes for empty values.
            yield [precert, final, *([UNKNOWN] * 6), *_revocation_cells(state), problem]
            continue
        yield [
            precert,
            final,
            REDACTED if redact and record.subject is not None else record.subject or "",
            record.issuer or "",
            iso_z(record.not_before) if record.not_before else "",
            iso_z(record.not_after) if record.not_after else "",
            serial_hex(record.serial),
            REDACTED if redact and record.dns_names else " ".join(record.dns_names),
            state.status.value if state else "",
            (iso_z(state.date) if state.date else "N/A") if state else "",
            (state.reason or "N/A") if state else "",
            problem,
        ]


UNKNOWN = "unknown"
"""A cell whose value nothing read shows (a certificate known by its SHA-256 alone)."""


def _revocation_cells(state: Revocation | None) -> list[str]:
    if state is None:
        return [UNKNOWN, UNKNOWN, UNKNOWN]
    return [state.status.value, iso_z(state.date) if state.date else "N/A", state.reason or "N/A"]


def serial_hex(serial: str | None) -> str:
    """The serial as the hex of its DER INTEGER content: records keep ``format(n, "x")``, so a
    negative serial (which RFC 5280 forbids, and incidents are made of) comes as ``-ff`` and
    is written as its two's complement, ``ff01``, the bytes the certificate holds."""
    if not serial or not serial.startswith("-"):
        return serial or ""
    value = -int(serial[1:], 16)
    octets = ((~value).bit_length() + 8) // 8
    return format(value + (1 << (8 * octets)), f"0{2 * octets}x")


SERIAL_COLUMN = APPENDIX_COLUMNS.index("Serial #")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would evaluate as a formula, prefixed with a single quote: the
    OWASP rule for cells starting with =, +, -, @, tab or carriage return."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def write_csv(rows: Iterable[list[str]]) -> str:
    """The CSV, header first; every cell but the serial (hex, which cannot start a formula)
    neutralised. Long cells are kept whole."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # The csv module quotes a cell with a line feed but not one with a lone carriage return,
    # which many readers take for a line end: such a row is written with every cell quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([*APPENDIX_COLUMNS, "Problem"])
    for row in rows:
        cells = [
            cell if column == SERIAL_COLUMN else neutralise(cell) for column, cell in enumerate(row)
        ]
        (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return out.getvalue()


def crtsh_lines(records: Iterable[CertRecord]) -> str:
    """One ``https://crt.sh/?sha256=`` line per certificate: the final certificate of a pair,
    the precertificate where there is no final certificate."""
    return "".join(f"{CRTSH}{record.sha256}\n" for record in records)
