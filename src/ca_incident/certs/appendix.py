"""The IRG 3.2 Appendix: the CSV of affected certificates, and crt.sh lists.

The eleven standard columns come first and in the IRG's order, "to ensure automated parsing
tools function correctly"; extra columns (Problem) only to their right. For S/MIME
certificates the Subject, dNSNames and any e-mail address are withheld unless personal data
may be published: serial number and SHA-256 always stay (IRG 3.2 Appendix).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from ca_incident.certs.record import CertRecord
from ca_incident.templates import APPENDIX_COLUMNS, IsRevoked
from ca_incident.timeutil import iso_z

REDACTED = "withheld (S/MIME personal data)"
CRTSH = "https://crt.sh/?sha256="


@dataclass(frozen=True)
class Revocation:
    """What the appendix says of a certificate's revocation."""

    status: IsRevoked
    date: datetime | None = None
    reason: str | None = None


def revocation_of(record: CertRecord, as_of: datetime) -> Revocation | None:
    """Without revocation data only expiry is known: N/A for an expired certificate."""
    if record.not_after is not None and record.not_after <= as_of:
        return Revocation(IsRevoked.NOT_APPLICABLE)
    return None


def appendix_rows(
    records: Iterable[tuple[str, CertRecord]],
    as_of: datetime,
    *,
    include_pii: bool = False,
    revocation: dict[str, Revocation] | None = None,
) -> Iterator[list[str]]:
    """One row per affected certificate (a pair is one row), Problem as the extra column."""
    for problem, record in records:
        if record.precertificate:
            precert, final = record.sha256, ""
        else:
            precert, final = record.precert_sha256 or "", record.sha256
        redact = record.kind == "smime" and not include_pii
        state = (revocation or {}).get(record.sha256) or revocation_of(record, as_of)
        yield [
            precert,
            final,
            REDACTED if redact and record.subject is not None else record.subject or "",
            record.issuer or "",
            iso_z(record.not_before) if record.not_before else "",
            iso_z(record.not_after) if record.not_after else "",
            record.serial or "",
            REDACTED if redact and record.dns_names else " ".join(record.dns_names),
            state.status.value if state else "",
            (iso_z(state.date) if state.date else "N/A") if state else "",
            (state.reason or "N/A") if state else "",
            problem,
        ]


def write_csv(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*APPENDIX_COLUMNS, "Problem"])
    writer.writerows(rows)
    return out.getvalue()


def crtsh_lines(records: Iterable[CertRecord]) -> str:
    """One ``https://crt.sh/?sha256=`` line per certificate: the final certificate of a pair,
    the precertificate where there is no final certificate."""
    return "".join(f"{CRTSH}{record.sha256}\n" for record in records)
