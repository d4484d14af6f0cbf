"""``ca-incident revocation``: the affected certificates against the CRLs and the deadline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ca_incident.certs.evidence import collect
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import INCIDENT_FILE, load_incident
from ca_incident.revocation.crl import CrlError, read_crls
from ca_incident.revocation.deadlines import deadline
from ca_incident.revocation.status import ProblemRevocation, assess, progress_paragraph
from ca_incident.timeutil import iso_z


@dataclass
class RevocationResult:
    due: datetime | None
    problems: list[ProblemRevocation] = field(default_factory=list)
    crl_errors: list[CrlError] = field(default_factory=list)
    paragraph: str = ""

    @property
    def delay_report_required(self) -> bool:
        return any(p.anything_late for p in self.problems)

    def as_json(self) -> dict[str, Any]:
        return {
            "deadline": iso_z(self.due) if self.due else None,
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
                    "expired_unrevoked": p.expired_unrevoked,
                    "not_covered": p.not_covered,
                }
                for p in self.problems
            ],
            "crl_errors": [{"source": e.source, "error": e.error} for e in self.crl_errors],
            "delay_report_required": self.delay_report_required,
            "progress": self.paragraph,
        }


def check_revocation(
    paths: list[str],
    *,
    crls: list[str],
    issuers: list[str],
    aware: datetime | None,
    reason: int | None,
    smime: bool = False,
    ca_certificate: bool = False,
    as_of: datetime,
) -> RevocationResult:
    expected_completion = None
    groups: list[tuple[str, list[Path]]]
    if len(paths) == 1 and (Path(paths[0]) / INCIDENT_FILE).exists():
        folder = Path(paths[0])
        incident = load_incident(folder)
        plan = incident.revocation
        if plan is not None:
            crls = crls or [str(folder / p) for p in plan.crls]
            issuers = issuers or [str(folder / p) for p in plan.issuers]
            aware = aware or incident.revocation_clock
            reason = reason or plan.reason
            smime = smime or plan.smime
            ca_certificate = ca_certificate or plan.ca_certificates
            expected_completion = plan.expected_completion
        groups = [
            (p.id, [folder / c for c in p.certificates])
            for p in incident.certificate_problems
            if p.certificates
        ]
        if not groups:
            raise CaIncidentError(f"{folder}: no problem names its certificates")
    else:
        groups = [("certificates", [Path(p) for p in paths])]
    if not crls:
        raise CaIncidentError(
            "no CRL given: use --crl, or crls in the incident's revocation section"
        )
    due = None
    if aware is not None and reason is not None:
        due = deadline(aware, reason, smime=smime, ca_certificate=ca_certificate).due
    index = read_crls(crls, issuers)
    result = RevocationResult(due, crl_errors=index.errors)
    for name, group in groups:
        evidence = collect([str(p) for p in group], name, as_of=as_of, keep=True)
        figures, _ = assess(
            name,
            evidence.certificates or [],
            index,
            due,
            as_of,
            expected_completion,
            with_columns=False,
        )
        result.problems.append(figures)
    result.paragraph = progress_paragraph(result.problems, due, as_of, expected_completion)
    return result
