"""Every rule cites its requirements by public document, section and URL; nothing a user sees
points at files only the project's authors have."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
from click.testing import CliRunner

from ca_incident.checks import rules as _rules  # noqa: F401  # registers every rule
from ca_incident.checks.citations import CITATIONS, Citation, citations
from ca_incident.checks.registry import RULES
from ca_incident.cli import cli
from ca_incident.docgen import rules_doc

from .helpers import REPO

PRIVATE = ("../shared", "requirements.md")


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_requirement_of_every_rule_has_a_public_citation(code: str) -> None:
    rule = RULES[code]
    found = citations(rule.requirement)
    assert [c.id for c in found] == [i.strip() for i in rule.requirement.split(",")]
    for citation in found:
        assert citation.url.startswith("https://"), citation
        assert citation.document and citation.section, citation


def test_every_citation_is_used_by_a_rule() -> None:
    used = {c.id for rule in RULES.values() for c in citations(rule.requirement)}
    assert set(CITATIONS) == used


def test_an_unknown_id_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="REQ-NOPE-9"):
        citations("REQ-TL-1, REQ-NOPE-9")


def test_citations_are_validated_and_immutable() -> None:
    with pytest.raises(ValueError, match="https"):
        Citation("REQ-TL-1", "Doc", "Section", "http://example.org")
    with pytest.raises(ValueError, match="requirement id"):
        Citation("TL-1", "Doc", "Section", "https://example.org")
    with pytest.raises(FrozenInstanceError):
        CITATIONS["REQ-TL-1"].url = "https://example.org"  # type: ignore[misc]


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_cites_public_sources_only(code: str) -> None:
    result = CliRunner().invoke(cli, ["explain", code])
    assert result.exit_code == 0, result.output
    for private in PRIVATE:
        assert private not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Requirement: ")]
    assert len(lines) == len(citations(RULES[code].requirement))
    for line, citation in zip(lines, citations(RULES[code].requirement), strict=True):
        assert citation.url in line and citation.id in line and citation.document in line


def test_rules_doc_cites_public_sources_only() -> None:
    for text in (rules_doc(REPO), (REPO / "docs" / "rules.md").read_text(encoding="utf-8")):
        for private in PRIVATE:
            assert private not in text
    for citation in CITATIONS.values():
        assert f"]({citation.url}) ({citation.id})" in rules_doc(REPO)
