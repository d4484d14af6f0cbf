"""SUM and IMP: the Summary's identifiers, dates and policies, and the Impact's answers and
counts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ca_incident.checks.registry import (
    FULL,
    IRG,
    IRG3,
    Context,
    Hit,
    Severity,
    quoted,
    rule,
)
from ca_incident.checks.report import Field, Report
from ca_incident.checks.rules.template import fields_required, is_na, is_placeholder
from ca_incident.model import CCADB_ID, DisclosureSource
from ca_incident.templates import (
    IRG_32_FULL,
    IRG_32_PRELIMINARY,
    MOZILLA_2023,
    NON_COMPLIANCE_ONGOING,
    IsRevoked,
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
            f"{quoted(found.value)} is not 'A' followed by six digits",
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
        yield found.line, found.column, f"{quoted(found.value)} is not one of: {SOURCES_SHOWN}"


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
                    f"the {name} date is {quoted(found.value, 20)}: give the date and time",
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


_DELAY = re.compile(
    r"(?<!\bno )(?<!\bwithout )(?<!\bany )\b(?:delayed revocation|revocation delay|late revocation"
    r"|delay(?:ed|ing|s)? (?:in |of )?(?:the )?revo(?:cation|king)"
    r"|revocation (?:was|is|will be|has been|had been) delayed|revoked late"
    r"|revocation deadline (?:was|has been|will be) (?:missed|passed|exceeded)"
    r"|(?:not|never|failed to|fail to|unable to|could not|cannot|did not|will not|won't|didn't)"
    r" (?:be |been |have been |yet )?(?:revoke[ds]?|revoking)\b[^.\n]{0,80}?"
    r"\b(?:within|by the|before the|in time|on time)"
    r"|(?:beyond|past|exceed\w*|miss\w*|outside) the [^.\n]{0,30}?revocation (?:deadline|window|"
    r"timeline|period|time ?frame)"
    r"|(?:beyond|exceed\w*|outside) the (?:5|five|24)[- ](?:days?|hours?))",
    re.I,
)
"""How a report says its own revocation was or will be late."""


def revocation_delayed(report: Report, context: Context) -> bool:
    """Whether this is a revocation-delay report: the whiteboard says so, the report says its
    revocation was late (the Related Incidents table, which describes other bugs, aside), or
    its appendix marks certificates Delayed."""
    if any("revocation-delay" in tag for tag in context.whiteboard):
        return True
    delayed = IsRevoked.DELAYED.value.lower()
    if any(a.revoked.get(delayed, 0) for a in context.attachments):
        return True
    return bool(_DELAY.search(report.own_text()))


@rule(
    "IMP003",
    "revocation-delay-analysis",
    Severity.ERROR,
    FULL,
    "a revocation-delay incident without the Analysis",
    what="When the whiteboard says revocation-delay (--whiteboard), the report says its own "
    "revocation was or will be late ('delayed revocation', 'not revoked within the 5 days', "
    "'beyond the revocation deadline'; the Related Incidents table, which describes other "
    "bugs, does not count), or the appendix checked with it marks certificates Delayed: the "
    "Analysis must be filled.",
    why="IRG 3.2, Analysis: 'Required when the Whiteboard field contains ‘revocation-delay’, "
    "the factors and rationales behind the decision to delay revocation (including detailed "
    "and substantiated explanations of how extensive harm would result to third parties … "
    "and why the situation is exceptionally rare and unavoidable).' MRSP 6.1.3 grants no "
    "exceptions.",
    example="- **Incident description:** 40 certificates were not revoked within the 5 days "
    "…\n- **Analysis:** N/A",
    fix="Explain each delay: why it was exceptional and unavoidable, the harm revocation "
    "would have caused, and when revocation will complete.",
    requirement="REQ-IMP-6",
    source=f"{IRG}#incident-reports",
)
def imp003(report: Report, context: Context) -> Iterator[Hit]:
    found = report.field("Analysis")
    if found is None or not revocation_delayed(report, context):
        return
    if is_na(found.value) or is_placeholder(found.value):
        yield (
            found.line,
            found.column,
            "revocation was delayed: the Analysis must give the factors and rationale",
        )


REMAINING = 'Total number of "remaining valid" certificates'
TOTAL = "Total number of certificates"


def counts(report: Report) -> tuple[tuple[Field, int] | None, tuple[Field, int] | None]:
    """The Impact's total and remaining-valid counts, each with its field, where they are
    numbers."""
    found: list[tuple[Field, int] | None] = []
    for label in (TOTAL, REMAINING):
        item = report.field(label)
        number = _number(item.value) if item is not None and not is_na(item.value) else None
        found.append((item, number) if item is not None and number is not None else None)
    return found[0], found[1]


@rule(
    "IMP004",
    "remaining-valid-over-total",
    Severity.ERROR,
    FULL,
    "more 'remaining valid' certificates than certificates in total",
    what="Compares the Impact's two counts: the remaining valid certificates are part of the "
    "total, so they cannot be more.",
    why="IRG 3.2: the total counts 'all certificates affected by the issue(s) … including "
    "expired and revoked certificates'; remaining valid is 'The total count of certificates "
    "affected … minus expired and revoked certificates.'",
    example='- **Total number of certificates:** 15\n- **Total number of "remaining valid" '
    "certificates:** 20",
    fix="Recount both from the certificates (ca-incident certs summarize) and correct them.",
    requirement="REQ-IMP-1, REQ-IMP-2",
    source=f"{IRG}#incident-reports",
)
def imp004(report: Report, context: Context) -> Iterator[Hit]:
    total, remaining = counts(report)
    if total is not None and remaining is not None and remaining[1] > total[1]:
        field, number = remaining
        yield (
            field.line,
            field.column,
            f"{number:,} remaining valid, more than the {total[1]:,} certificates in total",
        )


_IMPACT = re.compile(
    r"\b\d[\d,.]*\s+(?:\S+\s+){0,4}?(?:(?:pre)?certificates?|certs?|crls?|ocsp|responses?"
    r"|entries|subscribers?|intermediates?|sub-?cas?|cas|records?|domains?|findings?|sites?"
    r"|pages?|websites?|services?|systems?|servers?|hosts?|urls?|documents?|keys?)\b"
    r"|\b(?:no|all|one|two|three|four|five|six|seven|eight|nine|ten|a single|single|several|some"
    r"|a number of|a few|a small number of|each|every|any|both)\s+(?:\S+\s+){0,4}?"
    r"(?:(?:pre)?certificates?|certs?|crls?|ocsp|responses?|entries|subscribers?|intermediates?"
    r"|sub-?cas?|sites?|pages?|websites?|services?|systems?|servers?|urls?|documents?)\b"
    r"|\bimpact|\baffect",
    re.I,
)
_CONTAINMENT = re.compile(
    r"\b(?:contained|ongoing|stopped|halted|suspended|ceased|paused|resolved|fixed|corrected"
    r"|remediated|mitigated|deployed|disabled|revoked|replaced|restored|resumed|no longer"
    r"|still|continu\w*|in progress|has been (?:\w+ )?(?:changed|removed|uploaded|disclosed"
    r"|published|added|updated)|was (?:\w+ )?updated|not (?:been )?(?:affected|impacted))\b",
    re.I,
)


@rule(
    "IMP005",
    "initial-report-impact-and-containment",
    Severity.WARNING,
    frozenset({IRG_32_PRELIMINARY.name}),
    "a Preliminary report that does not state the impact, or whether the incident is "
    "contained or ongoing",
    what="Looks in a CA Owner's Preliminary report for a statement of the impact (a count or "
    "an amount of certificates, CRLs or responses, 'no certificates', 'impact', 'affects') "
    "and one of containment ('contained', 'ongoing', 'issuance stopped', 'fixed', 'revoked', "
    "'deployed', ...). A third party's report (--third-party) is not held to it; reports "
    "posted before IRG 3.0 are not either.",
    why="IRG 3.2, 'When are reports expected?': 'In its initial report (i.e, Preliminary or "
    "Full Incident Report) or reply to a third-party report, the CA Owner MUST: accurately "
    "disclose the impact of the incident (e.g., the corpus of then-known mis-issued "
    "certificates); and describe whether the incident should be considered contained (e.g., "
    "because certificate issuance was stopped) or ongoing.'",
    example="- **Incident description:** The audit report contains a recommendation on our "
    "risk assessment process.",
    fix="Add a sentence each: what is affected, as far as known (e.g. '12 OV certificates, "
    "none of them S/MIME'), and whether it is contained ('issuance from the profile was "
    "stopped at 14:30 UTC') or ongoing.",
    requirement="REQ-TIME-2",
    source=f"{IRG}#when-are-reports-expected",
    judges_absence=True,
)
def imp005(report: Report, context: Context) -> Iterator[Hit]:
    if context.third_party or not fields_required(context) or report.truncated:
        return
    text = report.own_text()
    missing = [
        what
        for what, pattern in (
            ("the impact", _IMPACT),
            ("whether it is contained or ongoing", _CONTAINMENT),
        )
        if not pattern.search(text)
    ]
    if missing:
        found = report.field("Incident description")
        line, column = (found.line, found.column) if found is not None else (1, 1)
        yield line, column, f"the initial report does not state {' or '.join(missing)}"


_SECTION = re.compile(
    r"(?:\bsection|\bsec\.|§|\bclause|\bchapter|\bpar(?:agraph|a)?\.?|\bcriteri(?:on|a)|\bREQ-"
    r"|\bappendix|\bitem|\barticle|\bart\.)\s*[A-Z]?\d|\b\d+(?:\.\d+)+\b",
    re.I,
)
_VERSION = re.compile(
    r"\bv(?:er(?:sion|s)?)?\.?\s?\d|\bversion\b|\beffective\b|\bRFC\s?\d{3,4}\b"
    r"|\b(?:19|20)\d\d\b"
    r"|\b(?:polic(?:y|ies)|requirements?|BRs?|SBRs?|EVGs?|guidelines?|CPS|CP|MRSP|statement)\s*"
    r"\d+(?:\.\d+)+",
    re.I,
)


@rule(
    "SUM004",
    "relevant-policies-version-section",
    Severity.WARNING,
    IRG3,
    "Relevant policies without a version or without a section",
    what="Reads the Relevant policies field for a version (v2.1.5, 'Version 1.7', 'effective "
    "2025-07-15', an RFC number, a document number such as 'CCADB Policy 2.1') and a section "
    "(section 4.9.5, §6.1, 7.1.2.7.6, REQ-7.7-03, criterion 4.3). Reports posted before IRG "
    "3.0 are not held to it.",
    why="IRG 3.2, Relevant policies: 'Describe the policy name(s), applicable version(s), and "
    "corresponding section(s) that result in this problem being diagnosed as an incident.' "
    "Requirements change between versions; a name alone does not say which text was broken.",
    example="- **Relevant policies:** CCADB Policy. Chrome Root Program Policy.",
    fix="Name each document with its version and section, e.g. 'TLS BR v2.1.7, section 4.9.5'.",
    requirement="REQ-SUM-4",
    source=f"{IRG}#incident-reports",
)
def sum004(report: Report, context: Context) -> Iterator[Hit]:
    found = report.field("Relevant policies")
    if found is None or not fields_required(context) or is_placeholder(found.value):
        return
    if is_na(found.value):
        return
    value = re.sub(r"https?://\S+", "", found.value)
    missing = [
        what
        for what, pattern in (("version", _VERSION), ("section", _SECTION))
        if not pattern.search(value)
    ]
    if missing:
        yield (
            found.line,
            found.column,
            f"{quoted(found.value)} names no {' and no '.join(missing)}",
        )
