"""Machine-readable evidence: the JSON of ``ca-incident certs summarize --json``.

Times are ISO 8601 UTC ending in ``Z``; hashes and serials lowercase hex.
"""

from __future__ import annotations

from typing import Any

from ca_incident.certs.appendix import REDACTED
from ca_incident.certs.evidence import KINDS, Evidence, ReadError, Summary
from ca_incident.certs.record import CertRecord
from ca_incident.timeutil import iso_z


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "name": summary.name,
        "count": summary.count,
        "precertificates_only": summary.precertificates_only,
        "paired": summary.paired,
        "via_signing_ca": summary.via_signing_ca,
        "first_not_before": _time(summary.first_not_before),
        "last_not_before": _time(summary.last_not_before),
        "remaining_valid": summary.remaining_valid,
        "validity_unknown": summary.validity_unknown,
        "expired": summary.expired,
        "duplicates": summary.duplicates,
        "fingerprints_only": summary.fingerprints_only,
        "unreadable": summary.unreadable,
        "kinds": {kind: summary.kinds.get(kind, 0) for kind in KINDS},
        "types": dict(sorted(summary.types.items())),
        "as_of": _time(summary.as_of),
    }


def certificate_json(record: CertRecord, problem: str, *, include_pii: bool) -> dict[str, Any]:
    redact = record.kind == "smime" and not include_pii
    only_precert = record.precertificate
    return {
        "sha256": None if only_precert else record.sha256,
        "precert_sha256": record.sha256 if only_precert else record.precert_sha256,
        "serial": record.serial,
        "not_before": _time(record.not_before),
        "not_after": _time(record.not_after),
        "kind": record.kind,
        "validation_type": record.validation_type,
        "subject": REDACTED if redact and record.subject else record.subject,
        "issuer": record.issuer,
        "dns_names": [REDACTED] if redact and record.dns_names else list(record.dns_names),
        "problem": problem,
        "precertificate_only": only_precert,
        "source": record.source,
        "index": record.index,
        "errors": list(record.errors) + ([record.fatal] if record.fatal else []),
    }


def error_json(error: ReadError) -> dict[str, Any]:
    return {
        "source": error.source,
        "index": error.index,
        "sha256": error.sha256,
        "error": error.error,
    }


def evidence_json(
    evidences: list[Evidence], *, include_list: bool, include_pii: bool = False
) -> dict[str, Any]:
    document: dict[str, Any] = {"problems": [summary_json(e.summary) for e in evidences]}
    if include_list:
        document["certificates"] = [
            certificate_json(record, e.summary.name, include_pii=include_pii)
            for e in evidences
            for record in e.certificates or []
        ]
    document["errors"] = [error_json(err) for e in evidences for err in e.errors]
    document["warnings"] = [error_json(w) for e in evidences for w in e.warnings]
    return document


def _time(moment: Any) -> str | None:
    return iso_z(moment) if moment is not None else None
