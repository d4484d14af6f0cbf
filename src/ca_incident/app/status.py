"""The status job: every clock of every incident folder, for cron and CI.

An incident folder that does not load is listed with its errors; every other incident is still
evaluated, so one unfinished draft never hides the deadlines of the rest.

An incident with a ``bug`` is judged on what its bug shows, where the Bugzilla cache holds it
(``sync`` refreshes it first): when each report and update was posted, the whiteboard's Next
update and the questions asked; what incident.yaml says differently is listed in
``differences``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ca_incident.app.bugzilla import bug_view
from ca_incident.app.bugzilla import settings as bugzilla_settings
from ca_incident.bugzilla.settings import Settings
from ca_incident.bugzilla.view import BugView
from ca_incident.clocks import Clock, clocks, ics
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import INCIDENT_FILE, load_incident
from ca_incident.model import Incident
from ca_incident.timeutil import iso_z


@dataclass
class IncidentStatus:
    path: Path
    incident: Incident | None = None
    clocks: list[Clock] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Why the folder did not load; empty when it did."""
    bug: BugView | None = None
    """What the incident's bug shows, where the cache holds it."""
    warnings: list[str] = field(default_factory=list)
    """What could not be read from Bugzilla (the file's facts were used)."""

    @property
    def differences(self) -> list[str]:
        """What incident.yaml and the bug say differently."""
        return [str(d) for d in self.bug.differences] if self.bug else []

    @property
    def title(self) -> str:
        return self.incident.bugzilla_summary if self.incident else str(self.path)

    def as_json(self) -> dict[str, Any]:
        incident = self.incident
        return {
            "path": str(self.path),
            "title": incident.bugzilla_summary if incident else None,
            "stage": incident.stage.value if incident else None,
            "bug": incident.bug if incident else None,
            "deadlines": [c.as_json() for c in self.clocks],
            "errors": list(self.errors),
            "bugzilla": self.bug.as_json() if self.bug else None,
            "warnings": list(self.warnings),
        }


@dataclass
class StatusResult:
    as_of: datetime
    incidents: list[IncidentStatus] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        """Whether a MUST clock is overdue (a missed SHOULD is shown, not alarmed on)."""
        return any(c.overdue and c.must for entry in self.incidents for c in entry.clocks)

    @property
    def failed(self) -> bool:
        """Whether any incident folder failed to load."""
        return any(entry.errors for entry in self.incidents)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": iso_z(self.as_of),
            "overdue": self.overdue,
            "incidents": [entry.as_json() for entry in self.incidents],
        }

    def ics(self) -> bytes:
        """Every deadline as an iCalendar file."""
        entries = [
            (entry.incident, str(entry.path), entry.clocks)
            for entry in self.incidents
            if entry.incident is not None
        ]
        return ics(entries, self.as_of)


def _names_incident(folder: Path) -> bool:
    """Whether a folder has an incident file, even a broken one (a dangling link, a FIFO):
    such a folder is listed as one that does not load, never left out."""
    file = folder / INCIDENT_FILE
    return file.is_symlink() or file.exists()


def incident_folders(paths: Sequence[Path]) -> list[Path]:
    """The incident folders among ``paths``, or under them: hidden folders, and the ``out/``
    that a build writes beside an incident file, are left out."""
    found: list[Path] = []
    for path in paths:
        if _names_incident(path):
            found.append(path)
        elif path.is_dir():
            found += sorted(
                p.parent
                for p in path.rglob(INCIDENT_FILE)
                if not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not any(
                    parent.name == "out" and _names_incident(parent.parent)
                    for parent in p.parents
                    if parent != path and path in parent.parents
                )
            )
    return found


def status(
    paths: Sequence[Path],
    *,
    as_of: datetime,
    progress: Callable[[int], None] | None = None,
    bugzilla: Settings | None = None,
    sync: bool = False,
) -> StatusResult:
    """The clocks of every incident in ``paths`` (folders, or folders searched for them).

    ``bugzilla``: the Bugzilla whose cache tells what each incident's bug shows (default:
    the settings of the environment and config file); ``sync`` fetches each bug first."""
    folders = incident_folders(paths)
    if not folders:
        raise CaIncidentError("no incident folder (with incident.yaml) found")
    result = StatusResult(as_of)
    for number, folder in enumerate(folders, start=1):
        entry = IncidentStatus(folder)
        try:
            entry.incident = load_incident(folder)
            judged = entry.incident
            if entry.incident.bug is not None:
                try:
                    bugzilla = bugzilla or bugzilla_settings()
                    entry.bug = bug_view(entry.incident, bugzilla, sync=sync)
                except CaIncidentError as exc:
                    entry.warnings.append(f"bug {entry.incident.bug}: {exc}")
                if entry.bug is not None:
                    judged = entry.bug.incident
            entry.clocks = clocks(judged, as_of)
        except CaIncidentError as exc:
            entry.incident, entry.errors = None, str(exc).splitlines()
        result.incidents.append(entry)
        if progress is not None:
            progress(number)
    return result
