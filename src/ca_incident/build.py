"""``build``: from an incident folder to the files a CA posts to Bugzilla.

The build is a sequence of steps over one :class:`Build`. Each step reads what earlier steps
left and adds its own part (figures, attachments, warnings, files written), so a capability is
added by adding a step, and a caller can run its own sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import incident_path, load_incident
from ca_incident.model import Incident
from ca_incident.report.render import (
    BUGZILLA_COMMENT_LIMIT,
    ReportData,
    render,
    stage_template,
)
from ca_incident.report.spec import TemplateSpec
from ca_incident.timeutil import utc_now

REPORT_FILE = "report.md"


@dataclass
class Build:
    """The state of one build, passed from step to step."""

    folder: Path
    out: Path
    as_of: datetime
    incident: Incident | None = None
    data: ReportData | None = None
    template: TemplateSpec | None = None
    report: str | None = None
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def require_data(self) -> ReportData:
        if self.data is None:
            raise RuntimeError("the load step must run before this step")
        return self.data

    def write(self, name: str, content: str) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / name
        path.write_text(content, encoding="utf-8")
        self.written.append(path)
        return path


Step = Callable[[Build], None]


def load_step(build: Build) -> None:
    """Validate the incident file; every error is reported at once."""
    build.incident = load_incident(build.folder)
    build.data = ReportData(build.incident, build.as_of)


def missing_figures_step(build: Build) -> None:
    """Warn about certificate problems the report cannot give numbers for."""
    data = build.require_data()
    for problem in data.certificate_problems:
        if data.figures_for(problem) is None:
            build.warnings.append(
                f"problem '{problem.id}': no counts; the report says 'N/A' for its totals"
            )


def render_step(build: Build) -> None:
    """Render the report of the incident's stage (IRG 3.2 Preliminary, Full or Closure)."""
    data = build.require_data()
    build.template = stage_template(data.incident.stage)
    build.report = render(data, build.template)


def write_step(build: Build) -> None:
    if build.report is None:
        raise RuntimeError("the render step must run before the write step")
    build.write(REPORT_FILE, build.report)


DEFAULT_STEPS: tuple[Step, ...] = (load_step, missing_figures_step, render_step, write_step)


def build_incident(
    folder: Path | str,
    out: Path | str | None = None,
    as_of: datetime | None = None,
    steps: Sequence[Step] = DEFAULT_STEPS,
) -> Build:
    """Build the incident in ``folder`` into ``out`` (default ``folder/out``)."""
    folder = Path(folder)
    if not folder.is_dir():
        if folder.exists() and folder.name.endswith((".yaml", ".yml")):
            folder = folder.parent
        else:
            raise CaIncidentError(
                f"{folder}: not an incident folder (expected a folder with incident.yaml)"
            )
    if not incident_path(folder).exists():
        raise CaIncidentError(
            f"{folder}: no incident.yaml here (run 'ca-incident new {folder}' to start one)"
        )
    build = Build(folder=folder, out=Path(out) if out else folder / "out", as_of=as_of or utc_now())
    for step in steps:
        step(build)
    return build


def report_size(build: Build) -> str:
    length = len(build.report or "")
    return f"{length:,} of {BUGZILLA_COMMENT_LIMIT:,} characters"
