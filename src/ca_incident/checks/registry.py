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

from ca_incident.checks.report import UNRECOGNISED, Report
from ca_incident.templates import IRG_20, IRG_32_FULL, MOZILLA_2023, TEMPLATES, in_families


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


REPORTS = frozenset({*TEMPLATES, UNRECOGNISED})
IRG3 = in_families("irg-3")
FULL = frozenset({IRG_32_FULL.name})
WITH_TIMELINE = frozenset({IRG_32_FULL.name, IRG_20.name, MOZILLA_2023.name})
WITH_ACTIONS = frozenset({IRG_32_FULL.name, IRG_20.name})
LEGACY = in_families("legacy")
CSV = frozenset({"csv"})
CRTSH = frozenset({"crtsh"})
INCIDENT = frozenset({"incident"})
"""Rules about an incident's clocks, judged from incident.yaml rather than a report's text."""
CHECKED_AS = (*TEMPLATES, UNRECOGNISED, "csv", "crtsh", "incident")
"""Everything a rule can apply to: a template, an unrecognised report, an appendix, a list."""


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
        )
        return check

    return register


IRG = "https://www.ccadb.org/cas/incident-report"
IRG_FULL = f"{IRG}#full-incident-report"
CCADB_POLICY = "https://www.ccadb.org/policy#61-incident-reporting"
SEED = "https://wiki.mozilla.org/CA/Responding_To_An_Incident"
