"""Where each affected certificate stands against the revocation deadline, from the CRLs.

Each certificate's state is what the CRLs used prove (see :mod:`ca_incident.revocation.crl`):
revoked, not revoked, or unknown. For the appendix, Is revoked? is Yes (revoked), N/A
(expired before being revoked), else Planned, or Delayed once the deadline has passed (see
:class:`~ca_incident.certs.appendix.Revocation`). For a revocation-delay bug: the four IRG
progress numbers and a paragraph to paste, which calls revocation complete only when verified
CRLs show every unexpired certificate revoked.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ca_incident.certs.appendix import Revocation, RevocationState, pending
from ca_incident.certs.record import CertRecord
from ca_incident.revocation.crl import Coverage, CrlIndex, entry_reason
from ca_incident.templates import IsRevoked
from ca_incident.timeutil import report_time


@dataclass(frozen=True)
class Unknown:
    """A certificate whose revocation the CRLs given do not show, and why."""

    sha256: str
    serial: str | None
    issuer: str | None
    why: str


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
    unknown: int = 0
    """Unexpired certificates no CRL used shows revoked or not revoked."""
    unknowns: list[Unknown] = field(default_factory=list)
    unverified: int = 0
    """Certificates whose state rests on a CRL used without a verified signature."""
    on_hold: int = 0
    """Not revoked, and on hold (certificateHold) in the CRL that shows it."""
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
    def proven(self) -> bool:
        """Every certificate's state shown by verified CRLs."""
        return not self.unknown and not self.unverified

    @property
    def complete(self) -> bool:
        """Nothing left to revoke, as verified CRLs show: every certificate revoked, or
        expired before it was."""
        return self.count > 0 and not self.not_yet_revoked and self.proven


def assess(
    name: str,
    records: Iterable[CertRecord],
    index: CrlIndex,
    due: datetime | None,
    as_of: datetime,
    expected_completion: datetime | None = None,
    *,
    ca_certificates: bool = False,
    with_reasons: bool = True,
    with_columns: bool = True,
) -> tuple[ProblemRevocation, dict[str, Revocation]]:
    """Figures for a problem, and the appendix's revocation columns per certificate SHA-256.

    ``ca_certificates`` says which CRLs limited by kind (onlyContainsCACerts or
    onlyContainsUserCerts) cover the certificates. ``with_reasons`` false skips reading each
    entry's CRLReason and which CRL shows each state, which only the appendix CSV and the
    per-certificate listing show; ``with_columns`` false skips the columns altogether. The
    loop is kept flat: it runs once per affected certificate, a million times in a large
    incident.
    """
    figures = ProblemRevocation(name)
    columns: dict[str, Revocation] = {}
    first_listed, latest_update = index.first_listed, index.latest_update
    late_hours, unknowns = figures.late_hours, figures.unknowns
    count = on_time = late = overdue = in_time = expired = unknown = unverified = held = 0
    last_revoked: datetime | None = None
    past_due = due is not None and as_of > due
    not_revoked_state = pending(due, as_of, expected_completion, RevocationState.NOT_REVOKED)
    unknown_state = pending(due, as_of, expected_completion)
    expired_state = Revocation(IsRevoked.NOT_APPLICABLE)
    issuers: dict[str, tuple[dict[int, datetime] | None, Coverage, bool]] = {}
    for record in records:
        count += 1
        issuer = record.issuer
        number: int | None = None
        if record.serial is not None:
            try:
                number = int(record.serial, 16)
            except ValueError:
                number = None
        if issuer is None or number is None:
            if record.not_after is not None and record.not_after <= as_of:
                expired += 1
                if with_columns:
                    columns[record.sha256] = expired_state
                continue
            unknown += 1
            why = "its issuer and serial number are not known (the certificate was not read)"
            unknowns.append(Unknown(record.sha256, record.serial, issuer, why))
            if with_columns:
                columns[record.sha256] = unknown_state
            continue
        known = issuers.get(issuer)
        if known is None:
            known = issuers[issuer] = (
                index.by_issuer.get(issuer),
                index.coverage(issuer, as_of, ca_certificates=ca_certificates),
                issuer in index.unverified,
            )
        serials, coverage, trusted_unverified = known
        when = serials.get(number) if serials is not None else None
        if when is not None and when <= as_of:
            published = when
            if (
                due is not None
                and when <= due
                and (issuer in first_listed or latest_update[issuer] > due)
            ):
                shown, backdated = index.publication(issuer, number, when)
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
            if trusted_unverified:
                unverified += 1
            if with_columns:
                if with_reasons:
                    crl, entry = index.entry(issuer, number)
                    info = index.info[crl]
                    columns[record.sha256] = Revocation(
                        IsRevoked.YES,
                        when,
                        entry_reason(entry),
                        RevocationState.REVOKED,
                        info.source,
                        info.this_update,
                        info.verified,
                    )
                else:
                    columns[record.sha256] = Revocation(
                        IsRevoked.YES, when, None, RevocationState.REVOKED
                    )
            continue
        # Not shown revoked by the moment judged.
        if record.not_after is not None and record.not_after <= as_of:
            expired += 1
            if with_columns:
                columns[record.sha256] = expired_state
            continue
        if when is not None:
            # Listed revoked only after the moment: not revoked then, by that CRL's own word.
            shown_by = index.entry(issuer, number)[0] if with_reasons else None
        else:
            shown_by = coverage.shows(record.not_after)
            if shown_by is None:
                unknown += 1
                unknowns.append(Unknown(record.sha256, record.serial, issuer, coverage.why))
                if with_columns:
                    columns[record.sha256] = unknown_state
                continue
            base = coverage.base if shown_by == coverage.crl else None
            if index.held(number, shown_by, base):
                held += 1
        if past_due:
            overdue += 1
        else:
            in_time += 1
        if trusted_unverified:
            unverified += 1
        if with_columns:
            if with_reasons and shown_by is not None:
                info = index.info[shown_by]
                columns[record.sha256] = Revocation(
                    not_revoked_state.status,
                    not_revoked_state.date,
                    None,
                    RevocationState.NOT_REVOKED,
                    info.source,
                    info.this_update,
                    info.verified,
                )
            else:
                columns[record.sha256] = not_revoked_state
    figures.count, figures.revoked_on_time, figures.revoked_late = count, on_time, late
    figures.not_revoked_overdue, figures.not_revoked_in_time = overdue, in_time
    figures.expired_unrevoked, figures.unknown = expired, unknown
    figures.unverified, figures.on_hold = unverified, held
    figures.last_revoked = last_revoked
    return figures, columns


def progress_paragraph(
    problems: list[ProblemRevocation],
    due: datetime | None,
    as_of: datetime,
    expected_completion: datetime | None,
) -> str:
    """The progress numbers a revocation-delay update must give, as a paragraph. It says
    revocation is complete only when verified CRLs show it."""
    revoked = sum(p.revoked for p in problems)
    pending_count = sum(p.not_yet_revoked for p in problems)
    expired = sum(p.expired_unrevoked for p in problems)
    unknown = sum(p.unknown for p in problems)
    unverified = sum(p.unverified for p in problems)
    total = sum(p.count for p in problems)
    parts = [
        f"As of {report_time(as_of)}, of the {total:,} affected certificates {revoked:,} "
        f"have been revoked, {pending_count:,} are not yet revoked, and {expired:,} expired "
        "before being revoked."
    ]
    if unknown:
        parts.append(
            f"For {unknown:,} the CRLs given show neither that they are revoked nor that they "
            "are not."
        )
    if unverified:
        parts.append(
            f"{unverified:,} of these figures rest on CRLs whose signatures were not verified."
        )
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
    if (pending_count or unknown) and expected_completion is not None:
        parts.append(f"We expect to complete revocation by {report_time(expected_completion)}.")
    elif pending_count or unknown:
        parts.append("The date by which revocation will be complete is not yet estimated.")
    elif total and not unverified:
        parts.append("Revocation is complete.")
    return " ".join(parts)
