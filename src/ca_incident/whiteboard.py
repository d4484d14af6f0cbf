"""The Bugzilla whiteboard of a CA Certificate Compliance bug: ``[ca-compliance]`` and the
category tags, and the free-text "Next update YYYY-MM-DD" a root program agrees with the CA.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from ca_incident.timeutil import read_date

_TAG = re.compile(r"[\w.-]+")
_NEXT_UPDATE = re.compile(
    r"next[ _-]?update\s*[:\-\u2013]?\s*(?:at|on|by)?\s*(?P<when>[^\]\[]{4,30})", re.IGNORECASE
)
REVOCATION_DELAY_TAGS = ("leaf-revocation-delay", "ca-revocation-delay")
"""Whiteboard tags of a delayed-revocation bug (IRG 3.2, "Delayed revocation")."""


def words(whiteboard: str) -> tuple[str, ...]:
    """The whiteboard's words and bracketed tags, without brackets, as the checker matches
    them: ``'[ca-compliance] [leaf-revocation-delay]'`` -> ``('ca-compliance', ...)``."""
    return tuple(_TAG.findall(whiteboard))


def next_update(whiteboard: Iterable[str]) -> date | None:
    """The "Next update" date of a whiteboard, in any of the forms seen in Bugzilla:
    ``Next update 2026-04-30``, ``Next update 12-Oct-2023``, ``Next update 2023-Oct-11``,
    ``Next update 9-9-2024``, ``Next update at 12.9.2023``, ``[Next Update: 2025-03-18]``."""
    match = _NEXT_UPDATE.search(" ".join(whiteboard))
    if match is None:
        return None
    return read_date(match["when"].strip(), day_first=True)


def is_revocation_delay(whiteboard: Iterable[str]) -> bool:
    return any(tag in entry for entry in whiteboard for tag in REVOCATION_DELAY_TAGS)
