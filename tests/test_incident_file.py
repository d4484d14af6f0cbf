"""Incident files in, errors with exact positions out: tests/incident_files/<case>.yaml beside
<case>.expected ("OK", or the exact error lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ca_incident.errors import CaIncidentError, IncidentFileError
from ca_incident.incident_file import load_incident, parse_incident
from ca_incident.model import EventKind, Incident, Stage

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


def test_timeline_kinds_cover_the_irg_expected_elements() -> None:
    # IRG 3.2 lists twelve expected timeline elements; "other" is ours.
    assert len(EventKind) == 14
