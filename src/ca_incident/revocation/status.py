"""Where each affected certificate stands against the revocation deadline, from the CRLs.

For the appendix: Is revoked? is Yes (on a CRL), N/A (expired before being revoked),
Planned (not yet revoked, deadline not passed) or Delayed (not revoked, deadline passed).
For a revocation-delay bug: the four IRG progress numbers and a paragraph to paste.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ca_incident.certs.appendix import Revocation
from ca_incident.certs.record import CertRecord
from ca_incident.revocation.crl import CrlIndex
from ca_incident.timeutil import report_time


@dataclass
class ProblemRevocation:
    """The revocation figures of one problem."""

    name: str
    count: int = 0
    revoked_on_time: int = 0
    revoked_late: int = 0
    late_hours: list[float] = field(default_factory=list)
    not_revoked_overdue: int = 0
    not_revoked_in_time: int = 0
    expired_unrevoked: int = 0
    not_covered: int = 0
    """Certificates whose issuer no given CRL covers: their status is unknown."""
    last_revoked: datetime | None = None

    @property
    def revoked(self) -> int:
        return self.revoked_on_time + self.revoked_late

    @property
    def not_yet_revoked(self) -> int:
        return self.not_revoked_overdue + self.not_revoked_in_time

    @property
    def late_median_hours(self) -> float | None:
        return statistics.median(self.late_hours) if self.late_hours else None

    @property
    def late_max_hours(self) -> float | None:
        return max(self.late_hours) if self.late_hours else None

    @property
    def anything_late(self) -> bool:
        return bool(self.revoked_late or self.not_revoked_overdue)

    @property
    def complete(self) -> bool:
        """Nothing left to revoke: every certificate revoked or expired."""
        return self.count > 0 and not self.not_yet_revoked and not self.not_covered


def assess(
    name: str,
    records: Iterable[CertRecord],
    index: CrlIndex,
    due: datetime | None,
    as_of: datetime,
    expected_completion: datetime | None = None,
) -> tuple[ProblemRevocation, dict[str, Revocation]]:
    """Figures for a problem, and the appendix's revocation columns per certificate SHA-256."""
    figures = ProblemRevocation(name)
    columns: dict[str, Revocation] = {}
    for record in records:
        figures.count += 1
        revoked = index.lookup(record.issuer, record.serial)
        if revoked is not None and revoked.date > as_of:
            revoked = None  # a CRL newer than the moment judged: not yet revoked then
        if revoked is not None:
            columns[record.sha256] = Revocation("Yes", revoked.date, revoked.reason)
            if figures.last_revoked is None or revoked.date > figures.last_revoked:
                figures.last_revoked = revoked.date
            if due is not None and revoked.date > due:
                figures.revoked_late += 1
                figures.late_hours.append((revoked.date - due).total_seconds() / 3600)
            else:
                figures.revoked_on_time += 1
            continue
        if not index.covers(record.issuer):
            figures.not_covered += 1
            continue
        if record.not_after is not None and record.not_after <= as_of:
            figures.expired_unrevoked += 1
            columns[record.sha256] = Revocation("N/A")
        elif due is not None and as_of > due:
            figures.not_revoked_overdue += 1
            columns[record.sha256] = Revocation("Delayed", expected_completion)
        else:
            figures.not_revoked_in_time += 1
            columns[record.sha256] = Revocation("Planned", due)
    return figures, columns


def progress_paragraph(
    problems: list[ProblemRevocation],
    due: datetime | None,
    as_of: datetime,
    expected_completion: datetime | None,
) -> str:
    """The progress numbers a revocation-delay update must give, as a paragraph."""
    revoked = sum(p.revoked for p in problems)
    pending = sum(p.not_yet_revoked for p in problems)
    expired = sum(p.expired_unrevoked for p in problems)
    total = sum(p.count for p in problems)
    parts = [
        f"As of {report_time(as_of)}, of the {total:,} affected certificates {revoked:,} "
        f"have been revoked, {pending:,} are not yet revoked, and {expired:,} expired before "
        "being revoked."
    ]
    late = sum(p.revoked_late for p in problems)
    overdue = sum(p.not_revoked_overdue for p in problems)
    if due is not None:
        parts.append(f"The revocation deadline was {report_time(due)}.")
        if late:
            worst = max((p.late_max_hours or 0) for p in problems)
            parts.append(f"{late:,} were revoked after it, at most {worst:,.1f} hours late.")
        if overdue:
            parts.append(f"{overdue:,} are past it and still not revoked.")
    if pending and expected_completion is not None:
        parts.append(f"We expect to complete revocation by {report_time(expected_completion)}.")
    elif pending:
        parts.append("The date by which revocation will be complete is not yet estimated.")
    elif total:
        parts.append("Revocation is complete.")
    return " ".join(parts)
