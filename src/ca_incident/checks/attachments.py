"""A report's attachments as the consistency rules read them: the IRG 3.2 CSV appendix and crt.sh
lists, reduced to what a report's Impact must agree with.

Text in, values out, like the rest of ``checks``: the check job finds the files (given beside
the report, or built from an incident folder).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from ca_incident.templates import APPENDIX_COLUMNS, IsRevoked

_IS_REVOKED = 8
"""The ninth IRG column, "Is revoked?"."""
_NOT_REVOKED = frozenset({IsRevoked.PLANNED.value.lower(), IsRevoked.DELAYED.value.lower()})


@dataclass(frozen=True)
class Attachment:
    """One attachment of a report."""

    path: str
    kind: str
    """``csv`` (the appendix) or ``crtsh`` (a list of crt.sh links)."""
    certificates: int
    """Rows of the CSV with a hash, or lines of the crt.sh list."""
    revoked: Counter[str] = field(default_factory=Counter)
    """CSV only: how many rows carry each "Is revoked?" value (lowercase; "" for none)."""
    readable: bool = True
    """The CSV has the IRG columns in order, so its rows can be counted as certificates."""

    @property
    def not_revoked(self) -> int | None:
        """Rows neither revoked nor expired ("Planned" or "Delayed"): the remaining valid
        certificates the appendix shows; None when a row does not say."""
        if self.kind != "csv" or not self.readable or self.revoked.get("", 0):
            return None
        return sum(count for value, count in self.revoked.items() if value in _NOT_REVOKED)

    @property
    def expired_listed(self) -> bool:
        """The CSV lists expired certificates too ("N/A"), so it means to be complete."""
        return self.revoked.get(IsRevoked.NOT_APPLICABLE.value.lower(), 0) > 0


def csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Every row of a CSV with the line it ends on. Cells of any length are read: an appendix
    may hold hundreds of thousands of dNSNames in one cell. The csv module's field limit is
    process-wide, so it is raised for this read only and then put back."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text))
        return [(reader.line_num, row) for row in reader]
    finally:
        csv.field_size_limit(previous)


def read_attachment(path: str, text: str, kind: str) -> Attachment:
    """Count what an appendix CSV (``kind`` ``csv``) or crt.sh list (``crtsh``) lists."""
    if kind == "crtsh":
        lines = [line for line in text.splitlines() if line.strip()]
        return Attachment(path, kind, len(lines))
    rows = [row for _, row in csv_rows(text)]
    if not rows or [h.strip() for h in rows[0][: len(APPENDIX_COLUMNS)]] != list(APPENDIX_COLUMNS):
        return Attachment(path, kind, 0, readable=False)
    revoked: Counter[str] = Counter()
    count = 0
    for row in rows[1:]:
        if len(row) < len(APPENDIX_COLUMNS) or not (row[0].strip() or row[1].strip()):
            continue
        count += 1
        revoked[row[_IS_REVOKED].strip().lower()] += 1
    return Attachment(path, kind, count, revoked)
