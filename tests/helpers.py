"""Paths and fixed moments shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ca_incident.timeutil import parse_timestamp

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"

AS_OF = parse_timestamp("2026-11-27T12:00Z")
"""The moment every rendering test computes from, so golden files never drift."""


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared corpora: {path} is absent")
    return path
