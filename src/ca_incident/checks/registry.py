"""The rule catalog: every rule with a stable code, a severity, the templates it applies to,
and its documentation. The catalog is data: ``ca-incident rules`` lists it, ``explain``
prints one rule, and docs/rules.md is generated from it.

Severity follows the source's own words: a MUST broken is an error, a SHOULD or a heuristic
a warning, anything else info.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ca_incident.checks.attachments import Attachment
from ca_incident.checks.report import UNRECOGNISED, Report
from ca_incident.model import Stage
from ca_incident.templates import (
    IRG_20,
    IRG_20_AUDIT,
    IRG_32_FULL,
    MOZILLA_2023,
    RECOGNISED,
    in_families,
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


REPORTS = frozenset({*RECOGNISED, UNRECOGNISED})
IRG3 = in_families("irg-3")
FULL = frozenset({IRG_32_FULL.name})
WITH_TIMELINE = frozenset({IRG_32_FULL.name, IRG_20.name, MOZILLA_2023.name})
WITH_ACTIONS = frozenset({IRG_32_FULL.name, IRG_20.name, IRG_20_AUDIT.name})
WITH_RCA = frozenset({IRG_32_FULL.name, IRG_20.name, IRG_20_AUDIT.name, MOZILLA_2023.name})
WITH_APPENDIX = frozenset({IRG_32_FULL.name, IRG_20.name})
LEGACY = in_families("legacy")
CSV = frozenset({"csv"})
CRTSH = frozenset({"crtsh"})
INCIDENT = frozenset({"incident"})
"""Rules about an incident's clocks, judged from incident.yaml rather than a report's text."""
CHECKED_AS = (*RECOGNISED, UNRECOGNISED, "csv", "crtsh", "incident")
"""Everything a rule can apply to: a template, an unrecognised report, an appendix, a list."""
ANY_STAGE = frozenset({None, *(stage.value for stage in Stage)})
"""Every report stage, and none (an appendix, a list, a text not recognised)."""
NOT_PRELIMINARY = ANY_STAGE - {Stage.PRELIMINARY.value}
"""A rule that asks for what only a Full report has: an IRG 2.0 or seven-topic report that
says it is preliminary (IRG 2.0 had no Preliminary template) is not held to it."""


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str


@dataclass
class Context:
    """What a check knows besides the report."""

    as_of: datetime
    posted: datetime | None = None
    whiteboard: tuple[str, ...] = ()
    third_party: bool = False
    """The report was written by a third-party reporter, not by the CA Owner: IRG 3.2 fields
    marked with an asterisk are not required in its Preliminary report."""
    attachments: tuple[Attachment, ...] = ()
    """The report's appendix (CSV) and crt.sh lists, when checked together with it."""


Hit = tuple[int, int, str]
"""A rule's raw finding: line, column, message."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    templates: frozenset[str]
    message: str
    what: str
    why: str
    example: str
    fix: str
    requirement: str
    source: str
    check: Callable[[Report, Context], Iterator[Hit]] = field(compare=False, repr=False)
    stages: frozenset[str | None] = ANY_STAGE
    """The report stages the rule judges."""
    judges_absence: bool = False
    """The rule finds parts that are missing; in a text cut short it judges only what comes
    before the cut, and GEN003 names it."""


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: Severity,
    templates: frozenset[str],
    message: str,
    *,
    what: str,
    why: str,
    example: str,
    fix: str,
    requirement: str,
    source: str,
    stages: frozenset[str | None] = ANY_STAGE,
    judges_absence: bool = False,
) -> Callable[
    [Callable[[Report, Context], Iterator[Hit]]], Callable[[Report, Context], Iterator[Hit]]
]:
    """Register a check function as a rule."""

    def register(
        check: Callable[[Report, Context], Iterator[Hit]],
    ) -> Callable[[Report, Context], Iterator[Hit]]:
        if code in RULES:
            raise ValueError(f"rule {code} is registered twice")
        RULES[code] = Rule(
            code,
            name,
            severity,
            templates,
            message,
            what,
            why,
            example,
            fix,
            requirement,
            source,
            check,
            stages,
            judges_absence,
        )
        return check

    return register


IRG = "https://www.ccadb.org/cas/incident-report"
IRG_FULL = f"{IRG}#full-incident-report"
CCADB_POLICY = "https://www.ccadb.org/policy#61-incident-reporting"
SEED = "https://wiki.mozilla.org/CA/Responding_To_An_Incident"


def quoted(text: str, limit: int = 40) -> str:
    """``text`` in quotes for a message, on one line, cut at a word (never inside a URL or
    another word) when longer than ``limit``, with an ellipsis where it was cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return f"'{flat}'"
    kept: list[str] = []
    length = 0
    for word in flat.split(" "):
        if kept and length + 1 + len(word) > limit:
            break
        if not kept and len(word) > 2 * limit and "://" not in word:
            kept.append(word[:limit])  # one word longer than any quote should be
            break
        kept.append(word)
        length += len(word) + (1 if len(kept) > 1 else 0)
    return "'" + " ".join(kept).rstrip(",;:") + "\u2026'"
