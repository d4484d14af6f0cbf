"""Docs generated from the code must be current; every field must be documented."""

from __future__ import annotations

import re

from ca_incident.docgen import incident_file_doc, stale_docs
from ca_incident.model import Incident

from .helpers import REPO


def test_generated_docs_are_current() -> None:
    assert stale_docs(REPO) == [], "run 'make docs' and commit the result"


def test_every_leaf_field_has_a_description_and_an_example() -> None:
    fields = incident_file_doc(REPO).split("\n## Fields\n", 1)[1]
    rows = [line for line in fields.splitlines() if line.startswith("| `")]
    assert len(rows) > 80
    for line in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        assert len(cells) == 5, line
        assert cells[3], f"no description: {line}"
        assert cells[4], f"no example: {line}"


def test_schema_carries_descriptions() -> None:
    schema = Incident.model_json_schema()
    assert schema["properties"]["awareness"]["description"].startswith("How and when")
