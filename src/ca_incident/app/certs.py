"""The certificate jobs: count a problem's certificates, and write its Appendix (the IRG CSV or
a crt.sh list)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ca_incident.certs.appendix import Revocation, appendix_rows, crtsh_lines, write_csv
from ca_incident.certs.evidence import Evidence, collect
from ca_incident.certs.output import evidence_json
from ca_incident.certs.read import MAX_BYTES
from ca_incident.engines import Engine
from ca_incident.revocation.crl import CrlError, CrlIndex, read_crls
from ca_incident.revocation.status import ProblemRevocation, assess
from ca_incident.sources import SourceLike
from ca_incident.templates import appendix_form

AppendixFormat = Literal["auto", "csv", "crtsh"]


@dataclass
class Summarized:
    evidence: Evidence
    include_list: bool
    include_pii: bool = False

    def as_json(self) -> dict[str, Any]:
        return evidence_json(
            [self.evidence], include_list=self.include_list, include_pii=self.include_pii
        )


def summarize(
    inputs: Sequence[SourceLike],
    *,
    problem: str = "certificates",
    as_of: datetime,
    jobs: int = 1,
    include_list: bool = False,
    include_pii: bool = False,
    progress: Callable[[int], None] | None = None,
    engine: Engine | None = None,
    max_bytes: int = MAX_BYTES,
) -> Summarized:
    """Count a problem's certificates; with ``include_list``, keep every one for listing.
    ``engine`` reads them (by default the local one with ``jobs`` processes); a compressed
    input may hold ``max_bytes`` once decompressed."""
    evidence = collect(
        inputs,
        problem,
        as_of=as_of,
        jobs=jobs,
        keep=include_list,
        progress=progress,
        engine=engine,
        max_bytes=max_bytes,
    )
    return Summarized(evidence, include_list, include_pii)


@dataclass
class AppendixResult:
    evidence: Evidence
    form: Literal["csv", "crtsh"]
    text: str
    """The CSV, or the crt.sh list, as chosen."""
    crtsh: str
    """The crt.sh list, always."""
    rows: int = field(default=0)
    revocation: ProblemRevocation | None = None
    """What the CRLs given show, when CRLs were given."""
    crl_errors: list[CrlError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": self.form,
            "rows": self.rows,
            "certificates": self.evidence.summary.count,
            "precertificates_only": self.evidence.summary.precertificates_only,
            "unreadable_inputs": len(self.evidence.errors),
        }
        p = self.revocation
        if p is not None:
            document["revocation"] = {
                "revoked": p.revoked,
                "not_revoked": p.not_yet_revoked,
                "on_hold": p.on_hold,
                "expired_unrevoked": p.expired_unrevoked,
                "unknown": p.unknown,
                "unverified": p.unverified,
            }
            document["crl_errors"] = [
                {"source": e.source, "error": e.error, "used": e.used} for e in self.crl_errors
            ]
        return document


def appendix(
    inputs: Sequence[SourceLike],
    *,
    problem: str = "certificates",
    as_of: datetime,
    form: AppendixFormat = "auto",
    jobs: int = 1,
    include_pii: bool = False,
    progress: Callable[[int], None] | None = None,
    crls: Sequence[SourceLike] = (),
    issuers: Sequence[SourceLike] = (),
    unverified: bool = False,
    due: datetime | None = None,
    planned: datetime | None = None,
    engine: Engine | None = None,
    max_bytes: int = MAX_BYTES,
) -> AppendixResult:
    """The IRG 3.2 Appendix of one problem: the CSV, or from 10,000 certificates on (with
    ``auto``) a crt.sh list.

    Is revoked?, Revocation date and Revocation reason come from the CRLs given whose
    signatures verify with ``issuers`` (all of them with ``unverified``): Yes with the entry's
    date and reason; N/A once expired; else Planned, or Delayed past the deadline ``due``,
    dated with the CA's ``planned`` completion (N/A without one). A certificate no CRL shows
    revoked or not revoked is shown the same way and counted as unknown in ``revocation``."""
    evidence = collect(
        inputs,
        problem,
        as_of=as_of,
        jobs=jobs,
        keep=True,
        progress=progress,
        engine=engine,
        max_bytes=max_bytes,
    )
    records = evidence.certificates or []
    summary = evidence.summary
    chosen = appendix_form(summary.count + summary.precertificates_only) if form == "auto" else form
    crtsh = crtsh_lines(records)
    index = read_crls(crls, issuers, unverified=unverified) if crls else CrlIndex()
    figures: ProblemRevocation | None = None
    columns: dict[str, Revocation] = {}
    if crls or chosen == "csv":
        figures, columns = assess(
            problem, records, index, due, as_of, planned, with_columns=chosen == "csv"
        )
    if chosen == "csv":
        text = write_csv(
            appendix_rows(
                ((problem, r) for r in records),
                as_of,
                include_pii=include_pii,
                revocation=columns,
            )
        )
    else:
        text = crtsh
    return AppendixResult(
        evidence,
        chosen,
        text,
        crtsh,
        rows=len(records),
        revocation=figures if crls else None,
        crl_errors=index.errors,
    )
