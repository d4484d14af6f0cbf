"""Where each requirement a rule enforces is written, as its readers know it.

A rule names its requirements by id (``REQ-TL-1``); the ids are the project's own shorthand.
This table turns each into the public document and section that states it, with a link, so
that ``ca-incident explain`` and docs/rules.md cite what a reader can open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IRG = "CCADB Incident Reporting Guidelines 3.2"
IRG_URL = "https://www.ccadb.org/cas/incident-report"
IRG_1 = "CCADB Incident Reporting Guidelines 1.0 (archived)"
IRG_1_URL = (
    "https://github.com/mozilla/www.ccadb.org/blob/master/incident_archive/ir_version_1_0.md"
)
CCADB_POLICY = "CCADB Policy 2.1"
CCADB_POLICY_URL = "https://www.ccadb.org/policy"
WIKI_2023 = "Mozilla wiki, CA/Responding To An Incident (February 2023)"
# The revision of 15 February 2023: the seven topics. The page today defers to the CCADB.
WIKI_2023_URL = (
    "https://wiki.mozilla.org/index.php?title=CA/Responding_To_An_Incident"
    "&oldid=1245560#Incident_Report"
)

BR = "CA/Browser Forum TLS Baseline Requirements 2.2.6"
BR_URL = "https://cabforum.org/working-groups/server/baseline-requirements/documents/"

_ID = re.compile(r"(REQ|CRIT)-[A-Z0-9.-]+")


@dataclass(frozen=True)
class Citation:
    """A requirement id, and the document, section and public URL that state it."""

    id: str
    document: str
    section: str
    url: str

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise ValueError(f"citation id {self.id!r} is not a requirement id such as REQ-TL-1")
        if not self.url.startswith("https://"):
            raise ValueError(f"citation {self.id}: {self.url!r} is not an https URL")

    def __str__(self) -> str:
        return f"{self.document}, {self.section}"


def _irg(id: str, section: str, anchor: str) -> Citation:
    return Citation(id, IRG, section, f"{IRG_URL}#{anchor}")


def _fields(id: str, section: str) -> Citation:
    return _irg(id, f"Report field definitions: {section}", "incident-reports")


def _wiki(id: str, topic: int, what: str) -> Citation:
    return Citation(id, WIKI_2023, f"Incident Report, topic {topic} ({what})", WIKI_2023_URL)


CITATIONS: dict[str, Citation] = {
    c.id: c
    for c in (
        _irg(
            "REQ-SCOPE-4", "How are reports scoped? (reports stand alone)", "how-are-reports-scoped"
        ),
        Citation(
            "REQ-SCOPE-6",
            CCADB_POLICY,
            "§6.1 Disclosing and Responding to Incidents (template versions)",
            f"{CCADB_POLICY_URL}#61-disclosing-and-responding-to-incidents",
        ),
        _irg(
            "REQ-FILE-4",
            "What format is used? (Markdown, not an attachment)",
            "what-format-is-used",
        ),
        _irg(
            "REQ-PRE-1",
            "Report Templates: Preliminary Incident Report",
            "preliminary-incident-report",
        ),
        _irg("REQ-FULL-1", "Report Templates: Full Incident Report", "full-incident-report"),
        _irg("REQ-CLOSE-1", "Report Templates: Closure Report", "closure-report"),
        _fields("REQ-SUM-1", "Summary, CA Owner CCADB unique ID"),
        _fields("REQ-SUM-3", "Summary, Timeline summary"),
        _fields("REQ-SUM-4", "Summary, Relevant policies (name, version and section)"),
        _fields("REQ-SUM-5", "Summary, Source of incident disclosure"),
        _fields("REQ-IMP-1", "Impact, Total number of certificates"),
        _fields("REQ-IMP-2", 'Impact, Total number of "remaining valid" certificates'),
        _fields("REQ-IMP-5", "Impact, Was issuance stopped in response to this incident?"),
        _fields("REQ-IMP-6", "Impact, Analysis (revocation delay)"),
        _fields("REQ-TL-1", "Timeline (UTC or UTC+offset, to the minute)"),
        _fields("REQ-TL-2", "Timeline (events before the discovery)"),
        _fields("REQ-TL-3", "Timeline, Expected Timeline elements"),
        _fields("REQ-RCA-1", "Root Causes (contributing factors)"),
        _fields("REQ-LL-2", "Lessons Learned (each item has an Action Item)"),
        _fields("REQ-AI-1", "Action Items (the table)"),
        _fields("REQ-AI-2", "Action Items, Kind"),
        _fields("REQ-AI-3", "Action Items, Corresponding Root Cause(s)"),
        _fields("REQ-AI-4", "Action Items, Due date"),
        _fields("REQ-AI-5", "Action Items, Status"),
        _fields(
            "REQ-AI-6",
            "Action Items (revocation-delay: steps to prevent or reduce future revocation delays)",
        ),
        _fields("REQ-AI-7", "Action Items, Evaluation criteria"),
        _fields("REQ-APX-1", "Appendix (affected certificates)"),
        _fields("REQ-APX-2", "Appendix, CSV for fewer than 10,000 certificates"),
        _fields("REQ-APX-3", "Appendix, crt.sh list for 10,000 or more certificates"),
        _fields("REQ-APX-4", "Appendix, S/MIME certificates and personal data"),
        Citation(
            "REQ-RCA-2",
            IRG_1,
            'Incident Reports ("human error" or "lack of training" is not a root cause)',
            f"{IRG_1_URL}#incident-reports",
        ),
        _irg("REQ-TIME-1", "When are reports expected? (72 hours)", "when-are-reports-expected"),
        _irg(
            "REQ-TIME-2",
            "When are reports expected? (the initial report states impact and containment)",
            "when-are-reports-expected",
        ),
        _irg(
            "REQ-TIME-4",
            "When are reports expected? (Full report, 14 days)",
            "when-are-reports-expected",
        ),
        _irg(
            "REQ-TIME-5", "When are reports updated? (answers, 7 days)", "when-are-reports-updated"
        ),
        _irg("REQ-TIME-6", "When are reports updated? (updates)", "when-are-reports-updated"),
        _irg(
            "REQ-TIME-8",
            "When are reports updated? (revocation-delay, every 3 and 7 days)",
            "when-are-reports-updated",
        ),
        Citation(
            "REQ-TIME-10",
            BR,
            "§4.9.5 Time within which CA must process the revocation request (24 hours)",
            BR_URL,
        ),
        Citation(
            "REQ-REV-TLS-5D",
            BR,
            "§4.9.1.1 Reasons for revoking a subscriber certificate, and §4.9.5 (to published "
            "revocation)",
            BR_URL,
        ),
        _irg(
            "CRIT-05",
            'Are there examples of "bad" practices? (5. Superficial Root Cause Analysis)',
            "are-there-examples-of-bad-practices",
        ),
        _irg(
            "CRIT-12",
            'Are there examples of "bad" practices? (3. claims that are speculative or '
            "cannot be corroborated)",
            "are-there-examples-of-bad-practices",
        ),
        _wiki("REQ-LEG-AWARE-1", 1, "how the CA first became aware, and when"),
        _wiki("REQ-LEG-TIMELINE-2", 2, "timeline of actions"),
        _wiki("REQ-LEG-STOP-3", 3, "whether issuance has stopped"),
        _wiki("REQ-LEG-SUMMARY-4", 4, "summary of the problematic certificates"),
        _wiki("REQ-LEG-CERTDATA-5", 5, "complete certificate data"),
        _wiki("REQ-LEG-WHY-6", 6, "how the mistakes were made and avoided detection"),
        _wiki("REQ-LEG-REMED-7", 7, "steps to resolve, with dates"),
    )
}
"""Requirement id -> where it is written."""


def citations(requirement: str) -> list[Citation]:
    """The citations for a rule's ``requirement``: comma-separated ids, in their order.

    An id the table does not know is a ValueError naming it.
    """
    ids = [part.strip() for part in requirement.split(",") if part.strip()]
    unknown = [i for i in ids if i not in CITATIONS]
    if unknown:
        raise ValueError(f"no citation for requirement id(s): {', '.join(unknown)}")
    return [CITATIONS[i] for i in ids]
