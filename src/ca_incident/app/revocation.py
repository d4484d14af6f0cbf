"""The revocation jobs: the affected certificates against the CRLs and the BR deadline, and
the deadline alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ca_incident.certs.appendix import Revocation, RevocationState
from ca_incident.certs.evidence import collect
from ca_incident.certs.read import MAX_BYTES
from ca_incident.certs.record import CertRecord
from ca_incident.clocks import revocation_deadline
from ca_incident.errors import CaIncidentError
from ca_incident.model import Incident
from ca_incident.revocation.crl import CrlError, CrlInfo, read_crls
from ca_incident.revocation.deadlines import Deadline, deadline
from ca_incident.revocation.status import ProblemRevocation, assess, progress_paragraph
from ca_incident.sources import Resolver, SourceLike, resolve_all
from ca_incident.timeutil import iso_z


@dataclass
class RevocationResult:
    due: datetime | None
    problems: list[ProblemRevocation] = field(default_factory=list)
    crl_errors: list[CrlError] = field(default_factory=list)
    crls: list[CrlInfo] = field(default_factory=list)
    """The CRLs used."""
    paragraph: str = ""
    certificates: dict[str, list[tuple[CertRecord, Revocation]]] | None = None
    """Per problem, each certificate with its state and the CRL that shows it, when asked."""

    @property
    def delay_report_required(self) -> bool:
        return any(p.anything_late for p in self.problems)

    @property
    def proven(self) -> bool:
        """Every certificate's state shown by verified CRLs: no unknown, nothing taken on
        trust."""
        return all(p.proven for p in self.problems)

    @property
    def complete(self) -> bool:
        return bool(self.problems) and all(p.complete for p in self.problems)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "deadline": iso_z(self.due) if self.due else None,
            "revocation_complete": self.complete,
            "problems": [
                {
                    "name": p.name,
                    "count": p.count,
                    "revoked_on_time": p.revoked_on_time,
                    "revoked_late": p.revoked_late,
                    "late_median_hours": p.late_median_hours,
                    "late_max_hours": p.late_max_hours,
                    "not_revoked_overdue": p.not_revoked_overdue,
                    "not_revoked_in_time": p.not_revoked_in_time,
                    "on_hold": p.on_hold,
                    "expired_unrevoked": p.expired_unrevoked,
                    "unknown": p.unknown,
                    "unverified": p.unverified,
                    "backdated": p.backdated,
                    "publication_not_shown": p.publication_not_shown,
                    "revocation_complete": p.complete,
                    "unknown_certificates": [
                        {"sha256": u.sha256, "serial": u.serial, "issuer": u.issuer, "why": u.why}
                        for u in p.unknowns
                    ],
                }
                for p in self.problems
            ],
            "crls": [
                {
                    "source": c.source,
                    "issuer": c.issuer,
                    "this_update": iso_z(c.this_update),
                    "next_update": iso_z(c.next_update) if c.next_update else None,
                    "crl_number": c.number,
                    "delta_base": c.delta_base,
                    "scope": c.scope.value,
                    "verified": c.verified,
                }
                for c in self.crls
            ],
            "crl_errors": [
                {"source": e.source, "error": e.error, "used": e.used} for e in self.crl_errors
            ],
            "delay_report_required": self.delay_report_required,
            "progress": self.paragraph,
        }
        if self.certificates is not None:
            document["certificates"] = [
                {
                    "problem": problem,
                    "sha256": record.sha256,
                    "serial": record.serial,
                    "issuer": record.issuer,
                    "state": state.state.value,
                    "is_revoked": state.status.value,
                    "revocation_date": iso_z(state.date)
                    if state.state is RevocationState.REVOKED and state.date
                    else None,
                    "reason": state.reason,
                    "crl": state.crl,
                    "crl_this_update": iso_z(state.crl_this_update)
                    if state.crl_this_update
                    else None,
                    "verified": state.verified if state.crl else None,
                }
                for problem, pairs in self.certificates.items()
                for record, state in pairs
            ]
        return document


def check_revocation(
    inputs: Sequence[SourceLike],
    *,
    crls: Sequence[SourceLike],
    issuers: Sequence[SourceLike],
    aware: datetime | None,
    reason: int | None,
    smime: bool = False,
    ca_certificate: bool = False,
    as_of: datetime,
    jobs: int = 1,
    max_bytes: int = MAX_BYTES,
    unverified: bool = False,
    certificates: bool = False,
) -> RevocationResult:
    """Certificates given directly, read as one problem, against the CRLs given.

    Only CRLs whose signature verifies with an issuer certificate given are used, unless
    ``unverified``; ``certificates`` lists each certificate with its state."""
    due = None
    if aware is not None and reason is not None:
        due = deadline(aware, reason, smime=smime, ca_certificate=ca_certificate).due
    return _assess(
        [("certificates", list(inputs))],
        crls,
        issuers,
        due,
        None,
        as_of,
        jobs,
        max_bytes,
        ca_certificates=ca_certificate,
        unverified=unverified,
        certificates=certificates,
    )


def check_incident_revocation(
    incident: Incident,
    files: Resolver,
    *,
    crls: Sequence[SourceLike] = (),
    issuers: Sequence[SourceLike] = (),
    aware: datetime | None = None,
    reason: int | None = None,
    as_of: datetime,
    jobs: int = 1,
    max_bytes: int = MAX_BYTES,
    unverified: bool = False,
    certificates: bool = False,
) -> RevocationResult:
    """An incident's problems against the CRLs and deadline of its revocation section; CRLs,
    issuers, the clock's start and the reason given here replace the section's."""
    plan = incident.revocation
    groups: list[tuple[str, list[SourceLike]]] = [
        (p.id, list(resolve_all(files, p.certificates)))
        for p in incident.certificate_problems
        if p.certificates
    ]
    if not groups:
        raise CaIncidentError("no problem of the incident names its certificates")
    if plan is not None:
        crls = crls or resolve_all(files, plan.crls)
        issuers = issuers or resolve_all(files, plan.issuers)
    found = revocation_deadline(incident)
    due = found.due if found is not None else None
    if aware is not None or reason is not None:
        started = aware or (found.aware if found else None)
        number = reason or (plan.reason if plan else None)
        if started is not None and number is not None:
            smime = plan.smime if plan else False
            ca = plan.ca_certificates if plan else False
            due = deadline(started, number, smime=smime, ca_certificate=ca).due
    expected = plan.expected_completion if plan is not None else None
    return _assess(
        groups,
        crls,
        issuers,
        due,
        expected,
        as_of,
        jobs,
        max_bytes,
        ca_certificates=plan.ca_certificates if plan is not None else False,
        unverified=unverified,
        certificates=certificates,
    )


def _assess(
    groups: list[tuple[str, list[SourceLike]]],
    crls: Sequence[SourceLike],
    issuers: Sequence[SourceLike],
    due: datetime | None,
    expected_completion: datetime | None,
    as_of: datetime,
    jobs: int,
    max_bytes: int,
    *,
    ca_certificates: bool,
    unverified: bool,
    certificates: bool,
) -> RevocationResult:
    if not crls:
        raise CaIncidentError(
            "no CRL given: use --crl, or crls in the incident's revocation section"
        )
    index = read_crls(crls, issuers, unverified=unverified)
    result = RevocationResult(due, crl_errors=index.errors, crls=list(index.info))
    if certificates:
        result.certificates = {}
    for name, group in groups:
        evidence = collect(group, name, as_of=as_of, keep=True, jobs=jobs, max_bytes=max_bytes)
        records = evidence.certificates or []
        figures, columns = assess(
            name,
            records,
            index,
            due,
            as_of,
            expected_completion,
            ca_certificates=ca_certificates,
            with_columns=certificates,
        )
        result.problems.append(figures)
        if result.certificates is not None:
            result.certificates[name] = [(r, columns[r.sha256]) for r in records]
    result.paragraph = progress_paragraph(result.problems, due, as_of, expected_completion)
    return result


@dataclass(frozen=True)
class DeadlineResult:
    """When revocation must be complete, for one reason, from one moment."""

    aware: datetime
    found: Deadline

    @property
    def due(self) -> datetime:
        return self.found.due

    def as_json(self) -> dict[str, Any]:
        reason = self.found.reason
        return {
            "deadline": iso_z(self.due),
            "window_hours": reason.window_hours,
            "reason": reason.number,
            "crl_reason": reason.crl_reason,
            "section": reason.section,
            "text": reason.text,
            "aware": iso_z(self.aware),
        }


def revocation_deadline_for(
    aware: datetime, reason: int, *, smime: bool = False, ca_certificate: bool = False
) -> DeadlineResult:
    return DeadlineResult(
        aware, deadline(aware, reason, smime=smime, ca_certificate=ca_certificate)
    )
