"""The report templates, one registry: every template version ca-incident writes or reads.

Each :class:`Template` owns its canonical name and aliases (``irg-3.2-full`` and
``irg-3.x-full`` are the same template), its outline (headings, bold labels and table columns,
in order, exactly as the guidelines write them), the signature by which a report is recognised
as written with it, the dates it was current, and which of its fields are required. The Jinja
templates take their headings and labels from here, the checker detects and checks from here,
and docs/ is generated from here.

Sources: the CCADB Incident Reporting Guidelines (v3.2, v3.0, v2.0) and the 2023 Mozilla wiki
"Responding to an Incident" (the seven topics, identical in substance to IRG v1.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from ca_incident.errors import CaIncidentError
from ca_incident.model import Stage

Family = Literal["irg-3", "irg-2", "legacy"]


@dataclass(frozen=True)
class Heading:
    """A section heading, e.g. ``### Impact``."""

    key: str
    text: str
    level: int

    @property
    def markdown(self) -> str:
        return f"{'#' * self.level} {self.text}"


@dataclass(frozen=True)
class Label:
    """A bold field label, e.g. ``**Incident description:**``."""

    key: str
    text: str
    required: bool = True
    """The guidelines require the field in every report of this template."""
    per_factor: bool = False
    """Repeated under each contributing factor rather than once per report."""
    asterisk: bool = False
    """Marked with an asterisk in the IRG field definitions: "Fields marked with an asterisk
    (*) are not required in Preliminary Incident Reports if submitted by a third party
    reporter"."""

    @property
    def markdown(self) -> str:
        return f"**{self.text}:**"


@dataclass(frozen=True)
class Topic:
    """One of the seven questions of the 2023 Mozilla wiki, with the words that name it."""

    key: str
    number: int
    text: str
    keywords: tuple[str, ...]
    short: str
    """What the topic asks for, in a few words, as findings name it."""

    @property
    def markdown(self) -> str:
        return f"**{self.number}. {self.text}**"


@dataclass(frozen=True)
class Columns:
    """A table's header row."""

    key: str
    names: tuple[str, ...]

    @property
    def markdown(self) -> str:
        return "| " + " | ".join(self.names) + " |"


Item = Heading | Label | Topic | Columns


@dataclass(frozen=True)
class Clue:
    """One sign of a template in a report, tried in :data:`DETECTION` order.

    ``title``: a heading (or a plain first line) containing one of ``words``; ``label``: a bold
    label equal to one of ``words``; ``topics``: at least ``least`` of the seven topics, or the
    first topic's question anywhere; ``headings``: a heading equal to ``words[0]``, or at least
    ``least`` headings among ``words[1:]``.
    """

    kind: Literal["title", "label", "topics", "headings"]
    words: tuple[str, ...]
    least: int = 1


@dataclass(frozen=True)
class Template:
    name: str
    """The canonical name, printed everywhere."""
    aliases: tuple[str, ...]
    title: str
    family: Family
    report_stage: Stage
    """The report stage a report of this template is (preliminary, full, closure)."""
    min_stage: Stage
    """The incident stage it takes to fill the template."""
    outline: tuple[Item, ...]
    source: str
    current_from: datetime
    superseded_on: datetime | None = None
    successor: str | None = None
    renderable: bool = True
    clues: tuple[Clue, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def heading_markdown(self) -> Mapping[str, str]:
        """Headings by key, as Markdown (``h`` in the Jinja templates)."""
        return {i.key: i.markdown for i in self.outline if isinstance(i, Heading)}

    @property
    def label_markdown(self) -> Mapping[str, str]:
        """Labels (and topics) by key, as Markdown (``l`` in the Jinja templates)."""
        return {i.key: i.markdown for i in self.outline if isinstance(i, Label | Topic)}

    @property
    def columns(self) -> Mapping[str, tuple[str, ...]]:
        return {i.key: i.names for i in self.outline if isinstance(i, Columns)}

    @property
    def column_markdown(self) -> Mapping[str, str]:
        """Table header rows by key (``cols`` in the Jinja templates)."""
        return {i.key: i.markdown for i in self.outline if isinstance(i, Columns)}

    def text_outline(self) -> tuple[str, ...]:
        """Headings and labels as the report writes them, in order (tables left out)."""
        return tuple(i.markdown for i in self.outline if not isinstance(i, Columns))

    def headings(self, level: int | None = None) -> list[Heading]:
        return [
            i
            for i in self.outline
            if isinstance(i, Heading) and (level is None or i.level == level)
        ]

    def labels(self) -> list[Label]:
        return [i for i in self.outline if isinstance(i, Label)]

    def topics(self) -> list[Topic]:
        return [i for i in self.outline if isinstance(i, Topic)]


def _topic(number: int, key: str, short: str, keywords: tuple[str, ...], text: str) -> Topic:
    return Topic(key, number, text, keywords, short)


LEGACY_TOPICS: tuple[Topic, ...] = (
    _topic(
        1,
        "awareness",
        "awareness",
        ("first became aware",),
        "How your CA first became aware of the problem (e.g. via a problem report submitted to "
        "your Problem Reporting Mechanism, a discussion in the MDSP mailing list, a Bugzilla "
        "bug, or internal self-audit), and the time and date.",
    ),
    _topic(
        2,
        "timeline",
        "timeline",
        ("timeline of the actions",),
        "A timeline of the actions your CA took in response. A timeline is a date-and-time-"
        "stamped sequence of all relevant events. This may include events before the incident "
        "was reported, such as when a particular requirement became applicable, or a document "
        "changed, or a bug was introduced, or an audit was performed.",
    ),
    _topic(
        3,
        "issuance",
        "issuance",
        ("has stopped", "not yet stopped", "stopped issu", "stopped, or has not"),
        "Whether your CA has stopped, or has not yet stopped, certificate issuance or the "
        "process giving rise to the problem or incident. A statement that you have stopped "
        "will be considered a pledge to the community; a statement that you have not stopped "
        "requires an explanation.",
    ),
    _topic(
        4,
        "summary",
        "summary",
        ("summary of the problematic certificates",),
        "In a case involving certificates, a summary of the problematic certificates. For each "
        "problem: the number of certificates, and the date the first and last certificates "
        "with that problem were issued. In other incidents that do not involve enumerating the "
        "affected certificates (e.g. OCSP failures, audit findings, delayed responses, etc.), "
        "please provide other similar statistics, aggregates, and a summary for each type of "
        "problem identified. This will help us measure the severity of each problem.",
    ),
    _topic(
        5,
        "certificate_data",
        "certificate data",
        ("complete certificate data",),
        "In a case involving TLS server certificates, the complete certificate data for the "
        "problematic certificates. The recommended way to provide this is to ensure each "
        "certificate is logged to CT and then list the fingerprints or crt.sh IDs, either in "
        "the report or as an attached spreadsheet, with one list per distinct problem. It is "
        "also recommended that you use this form in your list "
        '"https://crt.sh/?sha256=[sha256-hash]", unless circumstances dictate otherwise. When '
        "the incident being reported involves an SMIME certificate, if disclosure of personally "
        "identifiable information in the certificate may be contrary to applicable law, please "
        "provide at least the certificate serial number and SHA256 hash of the certificate. In "
        "other cases not involving a review of affected certificates, please provide other "
        "similar, relevant specifics, if any.",
    ),
    _topic(
        6,
        "root_cause",
        "root cause",
        ("how and why the mistakes were made",),
        "Explanation about how and why the mistakes were made or bugs introduced, and how they "
        "avoided detection until now.",
    ),
    _topic(
        7,
        "remediation",
        "remediation",
        ("list of steps your ca is taking",),
        "List of steps your CA is taking to resolve the situation and ensure that such "
        "situation or incident will not be repeated in the future. The steps should include "
        "the action(s) for resolving the issue, accompanied by a binding timeline the status "
        "of when your CA expects to accomplish each action, and the date each action will be "
        "completed.",
    ),
)

CLOSING_STATEMENT = (
    "All Action Items disclosed in this report have been completed as described, "
    "and we request its closure."
)
"""IRG 3.2 Report Closure Summary: the statement a closure summary ends with, verbatim."""

_IRG = "https://www.ccadb.org/cas/incident-report"
_IRG_30 = datetime(2025, 3, 1, tzinfo=UTC)
_IRG_32 = datetime(2026, 3, 20, tzinfo=UTC)
_IRG_20 = datetime(2023, 10, 17, tzinfo=UTC)
_IRG_10 = datetime(2023, 2, 15, tzinfo=UTC)

_IRG_20_SOURCE = (
    "https://github.com/mozilla/www.ccadb.org/blob/master/incident_archive/ir_version_2_0.md"
)

_SUMMARY_LABELS = (
    Label("incident_description", "Incident description"),
    Label("relevant_policies", "Relevant policies"),
    Label("source", "Source of incident disclosure", asterisk=True),
)

IRG_32_PRELIMINARY = Template(
    name="irg-3.2-preliminary",
    aliases=("irg-3.x-preliminary",),
    title="CCADB IRG 3.2 Preliminary Incident Report",
    family="irg-3",
    report_stage=Stage.PRELIMINARY,
    min_stage=Stage.PRELIMINARY,
    outline=(
        Heading("title", "Preliminary Incident Report", 2),
        Heading("summary", "Summary", 3),
        *_SUMMARY_LABELS,
    ),
    source=f"{_IRG}#preliminary-incident-report",
    current_from=_IRG_30,
    clues=(Clue("title", ("preliminary incident report",)),),
)

IRG_32_FULL = Template(
    name="irg-3.2-full",
    aliases=("irg-3.x-full",),
    title="CCADB IRG 3.2 Full Incident Report",
    family="irg-3",
    report_stage=Stage.FULL,
    min_stage=Stage.FULL,
    outline=(
        Heading("title", "Full Incident Report", 2),
        Heading("summary", "Summary", 3),
        Label("ccadb_id", "CA Owner CCADB unique ID", asterisk=True),
        Label("incident_description", "Incident description"),
        # The three dates below are the field's content; the label itself only groups them.
        Label("timeline_summary", "Timeline summary", required=False, asterisk=True),
        Label("start", "Non-compliance start date"),
        Label("identified", "Non-compliance identified date"),
        Label("end", "Non-compliance end date"),
        Label("relevant_policies", "Relevant policies"),
        Label("source", "Source of incident disclosure", asterisk=True),
        Heading("impact", "Impact", 3),
        Label("total", "Total number of certificates"),
        Label("remaining_valid", 'Total number of "remaining valid" certificates'),
        Label("types", "Affected certificate types"),
        Label("heuristic", "Incident heuristic"),
        Label("issuance", "Was issuance stopped in response to this incident, and why or why not?"),
        Label("analysis", "Analysis"),
        # IRG 3.2: "This field is optional."
        Label("additional_considerations", "Additional considerations", required=False),
        Heading("timeline", "Timeline", 3),
        Heading("related", "Related Incidents", 3),
        Columns("related", ("Bug", "Date", "Description")),
        Heading("rca", "Root Cause Analysis", 3),
        Label("factor_description", "Description", per_factor=True),
        Label("factor_timeline", "Timeline", per_factor=True),
        Label("factor_detection", "Detection", per_factor=True),
        Label("factor_interaction", "Interaction with other factors", per_factor=True),
        Label(
            "factor_methodology",
            "Root Cause Analysis methodology used",
            required=False,
            per_factor=True,
        ),
        Heading("lessons", "Lessons Learned", 3),
        Label("went_well", "What went well"),
        Label("did_not_go_well", "What didn\u2019t go well"),
        Label("got_lucky", "Where we got lucky"),
        Label("additional", "Additional"),
        Heading("actions", "Action Items", 3),
        Columns(
            "actions",
            (
                "Action Item",
                "Kind",
                "Corresponding Root Cause(s)",
                "Evaluation Criteria",
                "Due Date",
                "Status",
            ),
        ),
        Heading("appendix", "Appendix", 3),
    ),
    source=f"{_IRG}#full-incident-report",
    current_from=_IRG_30,
    clues=(Clue("title", ("full incident report",)),),
)

IRG_32_CLOSURE = Template(
    name="irg-3.2-closure",
    aliases=("irg-3.x-closure",),
    title="CCADB IRG 3.2 Report Closure Summary",
    family="irg-3",
    report_stage=Stage.CLOSURE,
    min_stage=Stage.CLOSURE,
    outline=(
        Heading("title", "Report Closure Summary", 3),
        Label("incident_description", "Incident description"),
        Label("root_causes", "Incident Root Cause(s)"),
        Label("remediation", "Remediation description"),
        Label("commitments", "Commitment summary"),
    ),
    source=f"{_IRG}#closure-report",
    current_from=_IRG_30,
    clues=(Clue("title", ("report closure summary", "closure summary")),),
)

IRG_20 = Template(
    name="irg-2.0",
    aliases=(),
    title="CCADB IRG 2.0 Incident Report",
    family="irg-2",
    report_stage=Stage.FULL,
    min_stage=Stage.FULL,
    outline=(
        Heading("title", "Incident Report", 2),
        Heading("summary", "Summary", 3),
        Heading("impact", "Impact", 3),
        Heading("timeline", "Timeline", 3),
        Heading("rca", "Root Cause Analysis", 3),
        Heading("lessons", "Lessons Learned", 3),
        Heading("went_well", "What went well", 4),
        Heading("did_not_go_well", "What didn't go well", 4),
        Heading("got_lucky", "Where we got lucky", 4),
        Heading("actions", "Action Items", 3),
        Columns("actions", ("Action Item", "Kind", "Due Date")),
        Heading("appendix", "Appendix", 3),
        Heading("details", "Details of affected certificates", 4),
    ),
    source=_IRG_20_SOURCE,
    current_from=_IRG_20,
    superseded_on=_IRG_30,
    successor="IRG 3.0",
    clues=(
        Clue(
            "headings",
            ("incident report", "summary", "impact", "timeline", "root cause analysis"),
            3,
        ),
    ),
)

IRG_20_AUDIT = Template(
    name="irg-2.0-audit",
    aliases=(),
    title="CCADB IRG 2.0 Audit Incident Report",
    family="irg-2",
    report_stage=Stage.FULL,
    min_stage=Stage.FULL,
    outline=(
        Heading("title", "Audit Incident Report", 2),
        Heading("finding", "Finding #1", 3),
        Heading("rca", "Root Cause Analysis", 3),
        Heading("actions", "Action Items", 3),
        Columns("actions", ("Action Item", "Kind", "Due Date")),
    ),
    source=f"{_IRG_20_SOURCE}#audit-incident-reports",
    current_from=_IRG_20,
    superseded_on=_IRG_30,
    successor="IRG 3.0",
    # ca-incident reads reports written with it but does not write it: an audit finding is
    # an incident reported with the current templates (IRG 3.2, "What is considered an audit
    # finding?").
    renderable=False,
    clues=(Clue("title", ("audit incident report",)),),
)

MOZILLA_2023 = Template(
    name="mozilla-2023",
    aliases=("irg-1.0",),
    title="Mozilla wiki (2023) seven-topic Incident Report",
    family="legacy",
    report_stage=Stage.FULL,
    min_stage=Stage.FULL,
    outline=(Heading("title", "Incident Report", 2), *LEGACY_TOPICS),
    source="https://wiki.mozilla.org/CA/Responding_To_An_Incident",
    current_from=_IRG_10,
    superseded_on=_IRG_20,
    successor="IRG 2.0",
    clues=(Clue("topics", ("how your ca first became aware",), 2),),
)

TEMPLATES: dict[str, Template] = {
    t.name: t for t in (IRG_32_PRELIMINARY, IRG_32_FULL, IRG_32_CLOSURE, IRG_20, MOZILLA_2023)
}
"""Every template ca-incident writes, by canonical name, in the order they are listed to
users."""

RECOGNISED: dict[str, Template] = {**TEMPLATES, IRG_20_AUDIT.name: IRG_20_AUDIT}
"""Every template a report is recognised and checked as: those ca-incident writes
(:data:`TEMPLATES`), then those it only reads (``renderable`` false)."""

_BY_NAME: dict[str, Template] = {name: t for t in RECOGNISED.values() for name in t.names}

DETECTION: tuple[tuple[Template, Clue], ...] = (
    (IRG_20_AUDIT, IRG_20_AUDIT.clues[0]),
    (IRG_32_FULL, IRG_32_FULL.clues[0]),
    (IRG_32_PRELIMINARY, IRG_32_PRELIMINARY.clues[0]),
    (IRG_32_CLOSURE, IRG_32_CLOSURE.clues[0]),
    (MOZILLA_2023, MOZILLA_2023.clues[0]),
    (IRG_32_FULL, Clue("label", ("ca owner ccadb unique id",))),
    (IRG_20, IRG_20.clues[0]),
    (IRG_20, Clue("title", ("initial incident report",))),
)
"""The clues in the order they decide: a report's own title first, then the seven topics, then
a label only one template has, then the IRG 2.0 section headings, then the title "Initial
Incident Report" that IRG 2.0-era preliminary reports carried."""

PRELIMINARY_CLUES: tuple[str, ...] = (
    r"\b(?:this|it) is (?:a|an|our) (?:preliminary|initial)\b",
    r"\b(?:preliminary|initial) (?:incident )?report\b",
    r"\(preliminary\)",
    r"\b(?:full|complete|detailed|final) (?:incident |case |investigation )?report "
    r"(?:will|is being|shall|to follow)\b",
    r"\b(?:will|expects? to|intends? to|plans? to) (?:post|provide|publish|file|submit|supply"
    r"|disclose|release|upload|share"
    r"|update with|follow up with) (?:a |the |our )?(?:full |complete |detailed |final )?"
    r"(?:incident |case |investigation )?report\b",
)
"""Regular expressions by which a report written in a template that has no Preliminary form
of its own (IRG 2.0, the seven topics) says that it is one. IRG 2.0: "If a full incident
report is not yet ready, CA Owners should provide a preliminary report containing an
executive summary of the incident and a date by which the full report will be posted." The
first three are looked for in the report's opening (before its second heading), the others
anywhere but in the timeline (which may recall what an earlier report promised)."""

REQUEST_CLUES: tuple[str, ...] = (
    r"\byou must respond in this bug\b",
    r"\brespond in this bug to provide the following\b",
)
"""Regular expressions of the 2017 Mozilla request that opened a bug for a CA and listed the
questions it had to answer: a question to the CA, not its report, though it names the
topics."""

STAGE_TEMPLATE: dict[Stage, Template] = {
    Stage.PRELIMINARY: IRG_32_PRELIMINARY,
    Stage.FULL: IRG_32_FULL,
    Stage.CLOSURE: IRG_32_CLOSURE,
    Stage.CLOSED: IRG_32_CLOSURE,
}
"""The current template an incident's stage calls for."""

APPENDIX_COLUMNS = (
    "Precertificate SHA-256 hash",
    "Certificate SHA-256 hash",
    "Subject",
    "Issuer",
    "Not before",
    "Not after",
    "Serial #",
    "dNSNames",
    "Is revoked?",
    "Revocation date",
    "Revocation reason",
)
"""IRG 3.2 Appendix: the CSV's columns, in this order "to ensure automated parsing tools
function correctly"; extra columns only to their right."""

CSV_LIMIT = 10_000
"""IRG 3.2 Appendix: below this many certificates the CSV is required; at or above, a list of
crt.sh links may replace it."""


def appendix_form(certificates: int) -> Literal["csv", "crtsh"]:
    """``csv`` or ``crtsh``: the IRG's rule for the Appendix. Fewer than 10,000 certificates
    MUST be given as the CSV; from 10,000 on, a text file of crt.sh links MAY replace it.
    ``certificates`` counts the entries: a certificate (with its precertificate) once, and a
    precertificate without its certificate once."""
    return "csv" if certificates < CSV_LIMIT else "crtsh"


class IsRevoked(StrEnum):
    """IRG 3.2 Appendix, "Is revoked?"."""

    YES = "Yes"
    PLANNED = "Planned"
    """Not yet revoked; the deadline has not passed."""
    DELAYED = "Delayed"
    """Not revoked by the deadline."""
    NOT_APPLICABLE = "N/A"
    """Expired before it was revoked."""


NON_COMPLIANCE_ONGOING = "Ongoing"
"""What the Full report's Non-compliance end date says while the incident goes on."""

GRACE_DAYS = 30
"""CCADB Policy 6.1: a template superseded more than 30 days before posting may not be used."""


def get(name: str, *, recognised: bool = False) -> Template:
    """The template with this canonical name or alias: one ca-incident writes, or with
    ``recognised`` also one it only reads."""
    found = _BY_NAME.get(name.strip().lower())
    if found is None or (not recognised and found.name not in TEMPLATES):
        known = RECOGNISED if recognised else TEMPLATES
        raise CaIncidentError(f"unknown template '{name}': expected one of {', '.join(known)}")
    return found


def names(*, recognised: bool = False) -> list[str]:
    """Every name a template is accepted by: canonical names first, then aliases; with
    ``recognised`` also the templates ca-incident only reads."""
    known = RECOGNISED if recognised else TEMPLATES
    return [*known, *(a for t in known.values() for a in t.aliases)]


def in_families(*kinds: Family) -> frozenset[str]:
    """Canonical names of the templates in the given families, the ones read only included."""
    return frozenset(t.name for t in RECOGNISED.values() if t.family in kinds)
