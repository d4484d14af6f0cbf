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
from ca_incident.templates import IsRevoked
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
    backdated: int = 0
    """Revoked late: a CRL published after the revocationDate and before the deadline does not
    list the entry, which appears only in a CRL published after the deadline."""
    publication_not_shown: int = 0
    """On time by their revocationDate, but every CRL listing them was published after the
    deadline: that the revocation was published in time is not shown."""
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
    *,
    with_reasons: bool = True,
    with_columns: bool = True,
) -> tuple[ProblemRevocation, dict[str, Revocation]]:
    """Figures for a problem, and the appendix's revocation columns per certificate SHA-256.

    ``with_reasons`` false skips reading each entry's CRLReason, which only the appendix CSV
    shows; ``with_columns`` false skips the columns altogether. The loop is kept flat: it
    runs once per affected certificate, a million times in a large incident.
    """
    figures = ProblemRevocation(name)
    columns: dict[str, Revocation] = {}
    by_issuer = index.by_issuer
    first_listed, latest_update = index.first_listed, index.latest_update
    late_hours = figures.late_hours
    count = on_time = late = overdue = in_time = expired = not_covered = 0
    last_revoked: datetime | None = None
    planned_state = Revocation(IsRevoked.PLANNED, due)
    delayed_state = Revocation(IsRevoked.DELAYED, expected_completion)
    expired_state = Revocation(IsRevoked.NOT_APPLICABLE)
    for record in records:
        count += 1
        serials = by_issuer.get(record.issuer) if record.issuer is not None else None
        if serials is None:
            not_covered += 1
            continue
        when = None
        if record.serial is not None:
            try:
                when = serials.get(int(record.serial, 16))
            except ValueError:
                when = None
        if when is not None and when <= as_of:
            published = when
            if (
                due is not None
                and when <= due
                and record.issuer is not None
                and (record.issuer in first_listed or latest_update[record.issuer] > due)
            ):
                assert record.serial is not None
                shown, backdated = index.publication(record.issuer, int(record.serial, 16), when)
                if backdated and shown > due:
                    figures.backdated += 1
                    published = shown
                elif shown > due:
                    figures.publication_not_shown += 1
            if last_revoked is None or published > last_revoked:
                last_revoked = published
            if due is not None and published > due:
                late += 1
                late_hours.append((published - due).total_seconds() / 3600)
            else:
                on_time += 1
            if with_columns:
                reason = None
                if with_reasons and record.issuer is not None and record.serial is not None:
                    reason = index.reason(record.issuer, int(record.serial, 16))
                columns[record.sha256] = Revocation(IsRevoked.YES, when, reason)
            continue
        # Not on a CRL, or revoked only after the moment judged (a newer CRL).
        if record.not_after is not None and record.not_after <= as_of:
            expired += 1
            state = expired_state
        elif due is not None and as_of > due:
            overdue += 1
            state = delayed_state
        else:
            in_time += 1
            state = planned_state
        if with_columns:
            columns[record.sha256] = state
    figures.count, figures.revoked_on_time, figures.revoked_late = count, on_time, late
    figures.not_revoked_overdue, figures.not_revoked_in_time = overdue, in_time
    figures.expired_unrevoked, figures.not_covered = expired, not_covered
    figures.last_revoked = last_revoked
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
        backdated = sum(p.backdated for p in problems)
        if backdated:
            parts.append(
                f"{backdated:,} carry a revocation date before it but were first published in "
                "a CRL after it (a CRL published in between did not list them)."
            )
        unshown = sum(p.publication_not_shown for p in problems)
        if unshown:
            parts.append(
                f"{unshown:,} are on time by their revocation date; the CRLs given were all "
                "published after the deadline, so publication in time is not shown."
            )
    if pending and expected_completion is not None:
        parts.append(f"We expect to complete revocation by {report_time(expected_completion)}.")
    elif pending:
        parts.append("The date by which revocation will be complete is not yet estimated.")
    elif total:
        parts.append("Revocation is complete.")
    return " ".join(parts)
