"""SUM and IMP: the Summary's identifiers and dates, and the Impact's answers and counts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ca_incident.checks.registry import FULL, IRG, IRG3, Context, Hit, Severity, rule
from ca_incident.checks.report import Field, Report
from ca_incident.checks.rules.template import is_na, is_placeholder
from ca_incident.model import CCADB_ID, DisclosureSource
from ca_incident.templates import (
    IRG_32_FULL,
    IRG_32_PRELIMINARY,
    MOZILLA_2023,
    NON_COMPLIANCE_ONGOING,
)
from ca_incident.timeutil import Stamp, read_stamp

ONGOING = NON_COMPLIANCE_ONGOING.lower()
SOURCES = tuple(source.value.lower() for source in DisclosureSource)
SOURCES_SHOWN = ", ".join(source.value for source in DisclosureSource)


@rule(
    "SUM001",
    "ccadb-id-format",
    Severity.ERROR,
    frozenset({IRG_32_FULL.name, IRG_32_PRELIMINARY.name}),
    "CCADB unique ID is not 'A' followed by six digits",
    what="Checks the CA Owner CCADB unique ID.",
    why="IRG 3.2: the ID 'begins with \"A\" followed by a six-digit number'; an organisation "
    "name or a CA record ID there cannot be matched to the CCADB.",
    example="- **CA Owner CCADB unique ID:** Let's Encrypt",
    fix="Copy the CA Owner record's ID from the CCADB, e.g. A000123.",
    requirement="REQ-SUM-1",
    source=f"{IRG}#incident-reports",
)
def sum001(report: Report, context: Context) -> Iterator[Hit]:
    found = report.field("CA Owner CCADB unique ID")
    if found is None or is_placeholder(found.value) or is_na(found.value):
        return
    value = re.sub(r"[*_`]", "", found.value).strip().split()[0] if found.value.strip() else ""
    if not CCADB_ID.fullmatch(value):
        yield (
            found.line,
            found.column,
            f"'{found.value.strip()[:40]}' is not 'A' followed by six digits",
        )


@rule(
    "SUM002",
    "disclosure-source",
    Severity.ERROR,
    IRG3,
    "source of disclosure is not Self Reported / Third Party Reported / Audit",
    what="Checks the Source of incident disclosure against the three values the IRG allows.",
    why="The value classifies the incident in the CCADB and in root-program statistics.",
    example="- **Source of incident disclosure:** Internal audit team",
    fix="Write one of: Self Reported, Third Party Reported, Audit; add detail elsewhere.",
    requirement="REQ-SUM-5",
    source=f"{IRG}#incident-reports",
)
def sum002(report: Report, context: Context) -> Iterator[Hit]:
    found = report.field("Source of incident disclosure")
    if found is None or is_placeholder(found.value):
        return
    value = re.sub(r"[*_`.]", "", found.value).strip().lower()
    value = re.sub(r"\s+", " ", value.replace("-", " "))
    if not any(value.startswith(source) for source in SOURCES):
        yield (
            found.line,
            found.column,
            f"'{found.value.strip()[:40]}' is not one of: {SOURCES_SHOWN}",
        )


def _moment(field: Field) -> tuple[str, Stamp | None]:
    """('ok', stamp), ('na', None), or a problem."""
    value = re.sub(r"[*_`]", "", field.value).strip()
    if is_na(value) or value.lower().startswith((ONGOING, "not yet", "tbd")):
        return "open", None
    stamp = read_stamp(value, window=80)
    if stamp is None or stamp.day is None:
        return "not a date", None
    if stamp.clock is None:
        return "no time", stamp
    if stamp.zone not in ("utc", "offset"):
        return "no zone", stamp
    return "ok", stamp


@rule(
    "SUM003",
    "timeline-summary-dates",
    Severity.ERROR,
    FULL,
    "non-compliance start / identified / end not date-times with a zone, or out of order",
    what="Reads the Timeline summary's three dates: each a date and time in UTC or with an "
    "offset; start before identified; the end may be Ongoing or an expected date.",
    why="IRG 3.2: all times in UTC or UTC+offset; the three moments anchor the whole report.",
    example="- **Non-compliance start date:** 29-Apr-2025",
    fix="Write e.g. 2025-04-29 14:00 UTC; for an open incident, the expected end date.",
    requirement="REQ-SUM-3, REQ-TL-1",
    source=f"{IRG}#incident-reports",
)
def sum003(report: Report, context: Context) -> Iterator[Hit]:
    moments: dict[str, tuple[Field, Stamp]] = {}
    for name in ("start", "identified", "end"):
        found = report.field(f"Non-compliance {name} date")
        if found is None or is_placeholder(found.value):
            continue
        state, stamp = _moment(found)
        if state == "open":
            if name != "end":
                yield (
                    found.line,
                    found.column,
                    f"the {name} date is '{found.value.strip()[:20]}': give the date and time",
                )
            continue
        if state != "ok":
            problem = {
                "not a date": "is not a date",
                "no time": "has no time of day",
                "no zone": "has no zone (UTC or an offset)",
            }[state]
            yield found.line, found.column, f"the {name} date {problem}"
        if stamp is not None:
            moments[name] = (found, stamp)
    if "start" in moments and "identified" in moments:
        start, identified = moments["start"][1], moments["identified"][1]
        if (
            start.moment is not None
            and identified.moment is not None
            and (start.moment.tzinfo is None) == (identified.moment.tzinfo is None)
            and start.moment > identified.moment
        ):
            found = moments["start"][0]
            yield found.line, found.column, "the start is after the identified date"


def _issuance_field(report: Report) -> Field | None:
    return report.field(
        "Was issuance stopped in response to this incident, and why or why not",
        "Was issuance stopped in response to this incident",
        "Was issuance stopped",
    )


@rule(
    "IMP001",
    "issuance-stopped-answer",
    Severity.ERROR,
    FULL,
    "'was issuance stopped' not answered yes or no, or 'no' without a reason",
    what="Checks that the answer starts with Yes or No, and that a No says why.",
    why="A 'yes' is a pledge to the community; a 'no' requires an explanation (2023 wiki "
    "topic 3, IRG 3.2 Impact).",
    example="- **Was issuance stopped in response to this incident, and why or why not?:** No.",
    fix="Start with Yes or No, then explain: what was stopped and when, or why not.",
    requirement="REQ-IMP-5",
    source=f"{IRG}#incident-reports",
)
def imp001(report: Report, context: Context) -> Iterator[Hit]:
    found = _issuance_field(report)
    if found is None or is_placeholder(found.value):
        return
    value = re.sub(r"[*_`]", "", found.value).strip()
    answer = re.match(r"^(yes|no|n/a)\b[.,;:!\-–\s]*", value, re.IGNORECASE)
    if answer is None:
        yield found.line, found.column, "the answer does not start with Yes or No"
        return
    rest = value[answer.end() :].strip()
    if answer.group(1).lower() == "no" and len(rest) < 15:
        yield found.line, found.column, "'No' needs the reason why issuance was not stopped"


def _number(value: str) -> int | None:
    match = re.search(r"\b(\d[\d,]*)\b", value.replace("\u202f", ""))
    return int(match.group(1).replace(",", "")) if match else None


def certificates_affected(report: Report) -> bool:
    types = report.field("Affected certificate types")
    total = report.field("Total number of certificates")
    if types is not None and not is_na(types.value) and not is_placeholder(types.value):
        return True
    if total is not None and (_number(total.value) or 0) > 0:
        return True
    return bool(re.search(r"crt\.sh/\?(?:sha256|id)=", report.text))


@rule(
    "IMP002",
    "certificate-counts",
    Severity.ERROR,
    frozenset({IRG_32_FULL.name, MOZILLA_2023.name}),
    "a certificate incident without total and remaining-valid counts (or, legacy, per-problem "
    "count and first and last issuance dates)",
    what="In an incident that affects certificates: the total and the 'remaining valid' count "
    "as numbers (IRG 3.x); in a seven-topic report, topic 4's count with the first and last "
    "issuance dates.",
    why="Counts measure the incident; reviewers recompute them, and wrong or missing counts "
    "are among the most criticised defects.",
    example="- **Total number of certificates:** several hundred",
    fix="Count from the certificates themselves (ca-incident certs summarize) and state the "
    "numbers.",
    requirement="REQ-IMP-1, REQ-IMP-2, REQ-LEG-SUMMARY-4",
    source=f"{IRG}#incident-reports",
)
def imp002(report: Report, context: Context) -> Iterator[Hit]:
    if report.template == MOZILLA_2023.name:
        topic = report.section_text("topic 4")
        if topic is None:
            return
        text, line = topic
        if re.search(r"\bn/?a\b|no certificates|not applicable|does not involve", text, re.I):
            return
        dates = re.findall(
            r"\d{4}-\d{2}-\d{2}|\b\d{1,2}\s+\w+\s+\d{4}|\w+\s+\d{1,2},\s+\d{4}", text
        )
        if _number(text.split("\n", 1)[-1]) is None or len(dates) < 2:
            yield (
                line,
                1,
                "topic 4 needs the number of certificates and the first and last issuance dates",
            )
        return
    if not certificates_affected(report):
        return
    for label in ("Total number of certificates", 'Total number of "remaining valid" certificates'):
        found = report.field(label)
        if found is None or is_placeholder(found.value):
            continue
        if _number(found.value) is None:
            yield found.line, found.column, f"'{label}' is not a number"


@rule(
    "IMP003",
    "revocation-delay-analysis",
    Severity.ERROR,
    FULL,
    "a revocation-delay incident without the Analysis",
    what="When the whiteboard says revocation-delay (--whiteboard), the text speaks of a "
    "delayed revocation, or the appendix marks certificates Delayed: the Analysis must be "
    "filled.",
    why="IRG 3.2 requires the Analysis for revocation delays: the factors and rationale, with "
    "substantiated harm to third parties; MRSP 6.1.3 grants no exceptions.",
    example="- **Analysis:** N/A   (in a leaf-revocation-delay bug)",
    fix="Explain each delay: why it was exceptional and unavoidable, the harm revocation "
    "would have caused, and when revocation will complete.",
    requirement="REQ-IMP-6",
    source=f"{IRG}#incident-reports",
)
def imp003(report: Report, context: Context) -> Iterator[Hit]:
    delayed = any("revocation-delay" in tag for tag in context.whiteboard) or bool(
        re.search(
            r"delayed revocation|revocation delay|delay(?:ed|ing) (?:the )?revocation",
            report.text,
            re.I,
        )
    )
    if not delayed:
        return
    found = report.field("Analysis")
    if found is None:
        return
    if is_na(found.value) or is_placeholder(found.value):
        yield (
            found.line,
            found.column,
            "revocation was delayed: the Analysis must give the factors and rationale",
        )
