"""Revocation deadlines of the TLS Baseline Requirements (v2.2.6) and the S/MIME Baseline
Requirements (v1.0.10), section 4.9.1: every reason with its window and expected CRLReason.

The clock starts when the CA becomes aware of the reason (or receives the Certificate Problem
Report, section 4.9.5); the deadline is that moment plus the window, to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ca_incident.errors import CaIncidentError

DAY = 24


@dataclass(frozen=True)
class Reason:
    number: int
    window_hours: int
    crl_reason: str | None
    """The CRLReason the BR names; None where the text names none (S/MIME, CA certificates)."""
    section: str
    text: str


def _tls_subscriber() -> dict[int, Reason]:
    section = "TLS BR 4.9.1.1"
    rows = [
        (1, DAY, "unspecified", "Subscriber requests revocation in writing without a reason"),
        (2, DAY, "privilegeWithdrawn", "original request not authorized"),
        (3, DAY, "keyCompromise", "evidence of Key Compromise"),
        (4, DAY, "keyCompromise", "a method to compute the Private Key from the Public Key"),
        (5, DAY, "superseded", "domain or IP validation cannot be relied upon (incl. CAA)"),
        (6, 5 * DAY, "superseded", "key size or parameters no longer comply (6.1.5, 6.1.6)"),
        (7, 5 * DAY, "privilegeWithdrawn", "certificate misused"),
        (8, 5 * DAY, "privilegeWithdrawn", "Subscriber violated the Subscriber Agreement"),
        (9, 5 * DAY, "cessationOfOperation", "FQDN or IP no longer legally permitted"),
        (10, 5 * DAY, "privilegeWithdrawn", "wildcard used for a misleading FQDN"),
        (11, 5 * DAY, "privilegeWithdrawn", "material change in the certificate's information"),
        (12, 5 * DAY, "superseded", "not issued in accordance with the BRs or the CP/CPS"),
        (13, 5 * DAY, "privilegeWithdrawn", "information in the certificate inaccurate"),
        (14, 5 * DAY, "unspecified", "the CA's right to issue ends"),
        (15, 5 * DAY, "unspecified", "required by the CP and/or CPS"),
        (16, 5 * DAY, "keyCompromise", "a method exposing the key, or flawed key generation"),
    ]
    return {n: Reason(n, hours, crl, section, text) for n, hours, crl, text in rows}


def _smime_subscriber() -> dict[int, Reason]:
    section = "S/MIME BR 4.9.1.1"
    texts = [
        "Subscriber requests revocation in writing",
        "original request not authorized",
        "evidence of Key Compromise",
        "a method to compute the Private Key (e.g. Debian weak keys)",
        "domain authorization or mailbox control cannot be relied upon",
        "key size or parameters no longer comply (6.1.5, 6.1.6)",
        "certificate misused",
        "Subscriber violated the Subscriber Agreement",
        "email address or FQDN no longer legally permitted",
        "material change in the certificate's information",
        "not issued in accordance with the S/MIME BRs or the CP/CPS",
        "information in the certificate inaccurate",
        "the CA's right to issue ends",
        "required by the CP and/or CPS",
        "a method exposing the key, or flawed key generation",
    ]
    return {
        n: Reason(n, DAY if n <= 5 else 5 * DAY, None, section, text)
        for n, text in enumerate(texts, start=1)
    }


def _subordinate(section: str) -> dict[int, Reason]:
    texts = [
        "Subordinate CA requests revocation in writing",
        "original request not authorized",
        "Key Compromise, or key no longer complies with 6.1.5 and 6.1.6",
        "certificate misused",
        "not issued in accordance with the requirements, or the Subordinate CA did not comply",
        "information in the certificate inaccurate or misleading",
        "a CA ceases operations without arranging revocation support",
        "the right to issue ends without arranging the repository",
        "required by the Issuing CA's CP and/or CPS",
    ]
    return {n: Reason(n, 7 * DAY, None, section, text) for n, text in enumerate(texts, start=1)}


TABLES: dict[tuple[bool, bool], dict[int, Reason]] = {
    (False, False): _tls_subscriber(),
    (True, False): _smime_subscriber(),
    (False, True): _subordinate("TLS BR 4.9.1.2"),
    (True, True): _subordinate("S/MIME BR 4.9.1.2"),
}


MAX_REASON = max(number for table in TABLES.values() for number in table)
"""The highest reason number of any table (TLS BR 4.9.1.1 has 16)."""


def reason_numbers(*, smime: bool = False, ca_certificate: bool = False) -> list[int]:
    """The reason numbers of one table, in order."""
    return sorted(TABLES[(smime, ca_certificate)])


def reason_for(number: int, *, smime: bool = False, ca_certificate: bool = False) -> Reason:
    table = TABLES[(smime, ca_certificate)]
    try:
        return table[number]
    except KeyError:
        section = next(iter(table.values())).section
        raise CaIncidentError(
            f"{section} has no reason {number}: expected 1 to {max(table)}"
        ) from None


@dataclass(frozen=True)
class Deadline:
    aware: datetime
    reason: Reason

    @property
    def due(self) -> datetime:
        return self.aware + timedelta(hours=self.reason.window_hours)


def deadline(
    aware: datetime, number: int, *, smime: bool = False, ca_certificate: bool = False
) -> Deadline:
    """When revocation for reason ``number`` must be complete, the clock started at ``aware``."""
    if aware.tzinfo is None:
        raise CaIncidentError("the moment the clock started needs a time zone")
    return Deadline(aware, reason_for(number, smime=smime, ca_certificate=ca_certificate))
