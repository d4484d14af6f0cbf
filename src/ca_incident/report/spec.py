"""The report templates ca-incident writes, with their exact headings and field labels.

The texts are those of the CCADB Incident Reporting Guidelines (v3.2 and v2.0) and of the 2023
Mozilla wiki (the seven topics, identical in substance to IRG v1.0). Rendering and checking both
read them from here, so a report we write always carries the labels a reviewer looks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ca_incident.model import Stage

LEGACY_TOPICS: tuple[str, ...] = (
    "How your CA first became aware of the problem (e.g. via a problem report submitted to "
    "your Problem Reporting Mechanism, a discussion in the MDSP mailing list, a Bugzilla bug, "
    "or internal self-audit), and the time and date.",
    "A timeline of the actions your CA took in response. A timeline is a date-and-time-stamped "
    "sequence of all relevant events. This may include events before the incident was "
    "reported, such as when a particular requirement became applicable, or a document "
    "changed, or a bug was introduced, or an audit was performed.",
    "Whether your CA has stopped, or has not yet stopped, certificate issuance or the process "
    "giving rise to the problem or incident. A statement that you have stopped will be "
    "considered a pledge to the community; a statement that you have not stopped requires an "
    "explanation.",
    "In a case involving certificates, a summary of the problematic certificates. For each "
    "problem: the number of certificates, and the date the first and last certificates with "
    "that problem were issued. In other incidents that do not involve enumerating the "
    "affected certificates (e.g. OCSP failures, audit findings, delayed responses, etc.), "
    "please provide other similar statistics, aggregates, and a summary for each type of "
    "problem identified. This will help us measure the severity of each problem.",
    "In a case involving TLS server certificates, the complete certificate data for the "
    "problematic certificates. The recommended way to provide this is to ensure each "
    "certificate is logged to CT and then list the fingerprints or crt.sh IDs, either in the "
    "report or as an attached spreadsheet, with one list per distinct problem. It is also "
    'recommended that you use this form in your list "https://crt.sh/?sha256=[sha256-hash]", '
    "unless circumstances dictate otherwise. When the incident being reported involves an "
    "SMIME certificate, if disclosure of personally identifiable information in the "
    "certificate may be contrary to applicable law, please provide at least the certificate "
    "serial number and SHA256 hash of the certificate. In other cases not involving a review "
    "of affected certificates, please provide other similar, relevant specifics, if any.",
    "Explanation about how and why the mistakes were made or bugs introduced, and how they "
    "avoided detection until now.",
    "List of steps your CA is taking to resolve the situation and ensure that such situation "
    "or incident will not be repeated in the future. The steps should include the action(s) "
    "for resolving the issue, accompanied by a binding timeline the status of when your CA "
    "expects to accomplish each action, and the date each action will be completed.",
)

CLOSING_STATEMENT = (
    "All Action Items disclosed in this report have been completed as described, "
    "and we request its closure."
)

IRG_32_FULL_ACTION_COLUMNS = (
    "Action Item",
    "Kind",
    "Corresponding Root Cause(s)",
    "Evaluation Criteria",
    "Due Date",
    "Status",
)
IRG_20_ACTION_COLUMNS = ("Action Item", "Kind", "Due Date")
RELATED_COLUMNS = ("Bug", "Date", "Description")


@dataclass(frozen=True)
class TemplateSpec:
    """A report template: its name, the stage it needs, and its skeleton in order.

    ``outline`` lists the headings (``## …``) and bold field labels (``**…:**``) exactly as the
    template writes them, in the template's order.
    """

    name: str
    title: str
    min_stage: Stage
    outline: tuple[str, ...]
    source: str


IRG_32_PRELIMINARY = TemplateSpec(
    name="irg-3.2-preliminary",
    title="CCADB IRG 3.2 Preliminary Incident Report",
    min_stage=Stage.PRELIMINARY,
    outline=(
        "## Preliminary Incident Report",
        "### Summary",
        "**Incident description:**",
        "**Relevant policies:**",
        "**Source of incident disclosure:**",
    ),
    source="https://www.ccadb.org/cas/incident-report#preliminary-incident-report",
)

IRG_32_FULL = TemplateSpec(
    name="irg-3.2-full",
    title="CCADB IRG 3.2 Full Incident Report",
    min_stage=Stage.FULL,
    outline=(
        "## Full Incident Report",
        "### Summary",
        "**CA Owner CCADB unique ID:**",
        "**Incident description:**",
        "**Timeline summary:**",
        "**Non-compliance start date:**",
        "**Non-compliance identified date:**",
        "**Non-compliance end date:**",
        "**Relevant policies:**",
        "**Source of incident disclosure:**",
        "### Impact",
        "**Total number of certificates:**",
        '**Total number of "remaining valid" certificates:**',
        "**Affected certificate types:**",
        "**Incident heuristic:**",
        "**Was issuance stopped in response to this incident, and why or why not?:**",
        "**Analysis:**",
        "**Additional considerations:**",
        "### Timeline",
        "### Related Incidents",
        "### Root Cause Analysis",
        "**Description:**",
        "**Timeline:**",
        "**Detection:**",
        "**Interaction with other factors:**",
        "**Root Cause Analysis methodology used:**",
        "### Lessons Learned",
        "**What went well:**",
        "**What didn\u2019t go well:**",
        "**Where we got lucky:**",
        "**Additional:**",
        "### Action Items",
        "### Appendix",
    ),
    source="https://www.ccadb.org/cas/incident-report#full-incident-report",
)

IRG_32_CLOSURE = TemplateSpec(
    name="irg-3.2-closure",
    title="CCADB IRG 3.2 Report Closure Summary",
    min_stage=Stage.CLOSURE,
    outline=(
        "### Report Closure Summary",
        "**Incident description:**",
        "**Incident Root Cause(s):**",
        "**Remediation description:**",
        "**Commitment summary:**",
    ),
    source="https://www.ccadb.org/cas/incident-report#closure-report",
)

IRG_20 = TemplateSpec(
    name="irg-2.0",
    title="CCADB IRG 2.0 Incident Report",
    min_stage=Stage.FULL,
    outline=(
        "## Incident Report",
        "### Summary",
        "### Impact",
        "### Timeline",
        "### Root Cause Analysis",
        "### Lessons Learned",
        "#### What went well",
        "#### What didn't go well",
        "#### Where we got lucky",
        "### Action Items",
        "### Appendix",
        "#### Details of affected certificates",
    ),
    source="https://github.com/mozilla/www.ccadb.org/blob/master/incident_archive/ir_version_2_0.md",
)

MOZILLA_2023 = TemplateSpec(
    name="mozilla-2023",
    title="Mozilla wiki (2023) seven-topic Incident Report",
    min_stage=Stage.FULL,
    outline=(
        "## Incident Report",
        *(f"**{number}. {topic}**" for number, topic in enumerate(LEGACY_TOPICS, start=1)),
    ),
    source="https://wiki.mozilla.org/CA/Responding_To_An_Incident",
)

TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (IRG_32_PRELIMINARY, IRG_32_FULL, IRG_32_CLOSURE, IRG_20, MOZILLA_2023)
}

STAGE_TEMPLATE: dict[Stage, TemplateSpec] = {
    Stage.PRELIMINARY: IRG_32_PRELIMINARY,
    Stage.FULL: IRG_32_FULL,
    Stage.CLOSURE: IRG_32_CLOSURE,
    Stage.CLOSED: IRG_32_CLOSURE,
}
