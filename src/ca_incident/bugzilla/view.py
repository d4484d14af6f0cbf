"""An incident as its bug shows it: the file's incident with the posts, whiteboard and
questions of the cached bug, and every difference between the two. Reads the cache only, so
any job (status, build) can judge clocks on it without talking to Bugzilla."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ca_incident.bugzilla.cache import Cache
from ca_incident.bugzilla.reading import Difference, compare, read_bug
from ca_incident.bugzilla.settings import Settings
from ca_incident.model import Incident
from ca_incident.timeutil import iso_z


@dataclass
class BugView:
    """An incident as its bug shows it, and what differs from its file."""

    incident: Incident
    differences: list[Difference]
    synced_at: datetime | None
    url: str

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "synced_at": iso_z(self.synced_at) if self.synced_at else None,
            "differences": [d.as_json() for d in self.differences],
        }


def cached_view(incident: Incident, settings: Settings) -> BugView | None:
    """The incident as the cached bug shows it, or None when it has no bug or the cache does
    not hold it."""
    if incident.bug is None:
        return None
    cache = Cache.read_only(settings.cache)
    if cache is None:
        return None
    with cache:
        cached = cache.bug(settings.url, incident.bug)
    if cached is None:
        return None
    facts = read_bug(cached, extra_ca_accounts=settings.ca_accounts)
    merged, differences = compare(incident, facts)
    return BugView(merged, differences, cached.synced_at, settings.bug_url(incident.bug))
