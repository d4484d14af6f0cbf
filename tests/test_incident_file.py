"""Incident files in, errors with exact positions out: tests/incident_files/<case>.yaml beside
<case>.expected ("OK", or the exact error lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ca_incident.errors import CaIncidentError, IncidentFileError
from ca_incident.incident_file import load_incident, parse_incident
from ca_incident.model import Incident, Stage

from .helpers import shared_path

CASES = Path(__file__).parent / "incident_files"


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_incident_file_case(case: str) -> None:
    text = (CASES / f"{case}.yaml").read_text(encoding="utf-8")
    expected = (CASES / f"{case}.expected").read_text(encoding="utf-8").splitlines()
    try:
        parse_incident(text, f"{case}.yaml")
    except IncidentFileError as exc:
        assert [str(p) for p in exc.problems] == expected
    else:
        assert expected == ["OK"]


def test_zoneless_and_unknown_kind_reported_in_one_run() -> None:
    with pytest.raises(IncidentFileError) as caught:
        load_incident(CASES / "zoneless-and-unknown-kind.yaml")
    fields = [p.field for p in caught.value.problems]
    assert fields == ["timeline[0].at", "timeline[1].kind"]
    assert str(caught.value).startswith(str(CASES / "zoneless-and-unknown-kind.yaml"))


def test_offsets_are_held_in_utc() -> None:
    incident = load_incident(CASES / "minimal-preliminary.yaml")
    assert incident.awareness.at.isoformat() == "2026-10-14T13:47:00+00:00"
    assert incident.stage is Stage.PRELIMINARY


def test_versions_that_look_like_numbers_keep_their_text() -> None:
    text = (
        (CASES / "minimal-preliminary.yaml").read_text().replace("version: 2.2.6", "version: 2.10")
    )
    incident = parse_incident(text)
    assert incident.summary.relevant_policies[0].version == "2.10"


def test_missing_folder_says_how_to_start() -> None:
    with pytest.raises(CaIncidentError, match="ca-incident new"):
        load_incident(Path("/nonexistent/incident-folder"))


def test_model_built_in_code_checks_references() -> None:
    data = parse_incident((CASES / "minimal-preliminary.yaml").read_text()).model_dump()
    data["action_items"] = [
        {
            "description": "d",
            "kind": "Prevent",
            "addresses": ["CF-1"],
            "evaluation_criteria": "e",
            "due": "2026-12-01",
            "status": "Ongoing",
        }
    ]
    with pytest.raises(ValueError, match="'CF-1' names no contributing factor"):
        Incident.model_validate(data)


IRG_TIMELINE_KINDS = {
    "policy, process, and software changes": ("contributing-change",),
    "the incident began": ("incident-began",),
    "became aware": ("ca-aware",),
    "received a Certificate Problem Report": ("problem-report-received",),
    "to the entity who filed": ("preliminary-report-to-reporter",),
    "to the affected Subscriber": ("preliminary-report-to-subscriber",),
    "concluded and disclosed the scope": ("scope-disclosed",),
    "updated the scope": ("scope-updated",),
    "expected to complete revocation": ("revocation-expected",),
    "actually completed revocation": ("revocation-completed",),
    "the incident ended": ("incident-ended",),
    "issuance ceased and resumed": ("issuance-stopped", "issuance-resumed"),
}
"""Each of the IRG 3.2 "Expected Timeline elements", by words only it has, and the timeline
kinds that record it."""


def test_timeline_kinds_cover_the_irg_expected_elements() -> None:
    source = shared_path("domain", "sources", "ccadb-incident-report-v3.2.md").read_text()
    block = source.split("Expected Timeline elements:\n", 1)[1].split("\n\n", 1)[0]
    elements = [line for line in block.splitlines() if line.startswith("- ")]
    for element in elements:
        named = [words for words in IRG_TIMELINE_KINDS if words in element]
        assert len(named) == 1, (element, named)
    assert all(any(words in e for e in elements) for words in IRG_TIMELINE_KINDS)
    # The incident file takes every one of them, and "other", as itself...
    kinds = [kind for group in IRG_TIMELINE_KINDS.values() for kind in group] + ["other"]
    text = (CASES / "minimal-preliminary.yaml").read_text() + "timeline:\n"
    for number, kind in enumerate(kinds):
        text += f"  - at: 2026-10-14T13:47Z\n    kind: {kind}\n    text: Event {number}.\n"
    assert [event.kind.value for event in parse_incident(text).timeline] == kinds
    # ...and its schema offers nothing else.
    assert sorted(Incident.model_json_schema()["$defs"]["EventKind"]["enum"]) == sorted(kinds)
