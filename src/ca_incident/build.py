"""``build``: from an incident folder to the files a CA posts to Bugzilla.

The build is a sequence of steps over one :class:`Build`. Each step reads what earlier steps
left and adds its own part (figures, attachments, warnings, files written), so a capability is
added by adding a step, and a caller can run its own sequence.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ca_incident.certs.appendix import CSV_LIMIT, Revocation, appendix_rows, crtsh_lines, write_csv
from ca_incident.certs.evidence import Evidence, collect
from ca_incident.certs.output import evidence_json
from ca_incident.certs.record import CertRecord
from ca_incident.checks.registry import Finding
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import incident_path, load_incident
from ca_incident.model import EventKind, Incident, Stage
from ca_incident.report.render import (
    BUGZILLA_COMMENT_LIMIT,
    Attachment,
    ProblemFigures,
    ReportData,
    TimelineRow,
    render,
    stage_template,
    template_for,
)
from ca_incident.report.spec import TemplateSpec
from ca_incident.revocation.crl import CrlIndex, read_crls
from ca_incident.revocation.deadlines import deadline
from ca_incident.revocation.status import ProblemRevocation, assess
from ca_incident.timeutil import report_time, utc_now

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
    template_name: str | None = None
    """A template other than the stage's, as ``render --template`` asks."""
    files: dict[str, str] = field(default_factory=dict)
    """What the write step writes to ``out``: file name -> content."""
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """What the checker found in the report and attachments this build wrote."""
    evidence: dict[str, Evidence] = field(default_factory=dict)
    """Per problem id: what its certificates showed."""
    crl_index: CrlIndex | None = None
    revocation: dict[str, ProblemRevocation] = field(default_factory=dict)
    """Per problem id: where its certificates stand against the revocation deadline."""
    revocation_columns: dict[str, Revocation] = field(default_factory=dict)
    jobs: int = 1

    def require_data(self) -> ReportData:
        if self.data is None:
            raise RuntimeError("the load step must run before this step")
        return self.data

    def add_file(self, name: str, content: str) -> None:
        self.files[name] = content


Step = Callable[[Build], None]


def load_step(build: Build) -> None:
    """Validate the incident file; every error is reported at once."""
    build.incident = load_incident(build.folder)
    build.data = ReportData(build.incident, build.as_of)


def crl_step(build: Build) -> None:
    """Read the CRLs the incident names, verifying them with its issuer certificates."""
    plan = build.require_data().incident.revocation
    if plan is None or not plan.crls:
        return
    build.crl_index = read_crls(
        [build.folder / p for p in plan.crls], [build.folder / p for p in plan.issuers]
    )
    for error in build.crl_index.errors:
        build.warnings.append(f"CRL {error.source}: {error.error}")


def _revoked_by(build: Build) -> Callable[[CertRecord], bool] | None:
    index = build.crl_index
    if index is None:
        return None

    def revoked(record: CertRecord) -> bool:
        found = index.lookup(record.issuer, record.serial)
        return found is not None and found.date <= build.as_of

    return revoked


def evidence_step(build: Build) -> None:
    """Count each problem's certificates; the report's figures come from them."""
    data = build.require_data()
    for problem in data.certificate_problems:
        if not problem.certificates:
            continue
        paths = [build.folder / p for p in problem.certificates]
        evidence = collect(
            paths,
            problem.id,
            as_of=build.as_of,
            jobs=build.jobs,
            keep=True,
            is_revoked=_revoked_by(build),
        )
        build.evidence[problem.id] = evidence
        s = evidence.summary
        data.figures[problem.id] = ProblemFigures(
            count=s.count,
            remaining_valid=s.remaining_valid,
            first_not_before=s.first_not_before,
            last_not_before=s.last_not_before,
            types=tuple(_report_type(t) for t in s.type_names),
            precertificates_only=s.precertificates_only,
            computed=True,
        )
        if evidence.errors:
            build.warnings.append(
                f"problem '{problem.id}': {len(evidence.errors)} input(s) are not readable "
                "certificates; they are listed in evidence.json"
            )
        if s.count == 0 and s.precertificates_only == 0:
            build.warnings.append(
                f"problem '{problem.id}': no certificates found in {problem.certificates}"
            )


def revocation_step(build: Build) -> None:
    """Where each problem's certificates stand against the revocation deadline."""
    data = build.require_data()
    incident = data.incident
    plan, index = incident.revocation, build.crl_index
    if plan is None or index is None or not build.evidence:
        return
    clock = incident.revocation_clock
    due = (
        deadline(clock, plan.reason, smime=plan.smime, ca_certificate=plan.ca_certificates).due
        if clock is not None
        else None
    )
    total = sum(e.summary.count + e.summary.precertificates_only for e in build.evidence.values())
    for name, evidence in build.evidence.items():
        figures, columns = assess(
            name,
            evidence.certificates or [],
            index,
            due,
            build.as_of,
            plan.expected_completion,
            with_reasons=total < CSV_LIMIT,
        )
        build.revocation[name] = figures
        build.revocation_columns.update(columns)
        if figures.not_covered:
            build.warnings.append(
                f"problem '{name}': {figures.not_covered} certificate(s) from issuers "
                "no given CRL covers"
            )
    problems = list(build.revocation.values())
    if any(p.anything_late for p in problems):
        late = sum(p.revoked_late + p.not_revoked_overdue for p in problems)
        build.warnings.append(
            f"{late} certificate(s) revoked late or overdue: a separate revocation-delay report "
            "is required (whiteboard [leaf-revocation-delay] or [ca-revocation-delay])"
        )
    if problems and all(p.complete for p in problems):
        last = max((p.last_revoked for p in problems if p.last_revoked), default=None)
        if last is not None:
            data.extra_events.append(
                TimelineRow(
                    last,
                    EventKind.REVOCATION_COMPLETED,
                    "Revocation of the affected certificates completed (from the CRLs).",
                    derived=True,
                )
            )


def _report_type(validation_type: str) -> str:
    return validation_type if validation_type in ("DV", "OV", "IV", "EV") else "S/MIME"


def appendix_step(build: Build) -> None:
    """Write the IRG 3.2 Appendix: appendix.csv below 10,000 certificates, and a crt.sh list
    per problem; both become attachments named in the report."""
    if not build.evidence:
        return
    data = build.require_data()
    total = sum(e.summary.count + e.summary.precertificates_only for e in build.evidence.values())
    if total < CSV_LIMIT:
        rows = appendix_rows(
            (
                (name, record)
                for name, evidence in build.evidence.items()
                for record in evidence.certificates or []
            ),
            build.as_of,
            revocation=build.revocation_columns,
        )
        build.add_file("appendix.csv", write_csv(rows))
        data.attachments.append(
            Attachment(
                "appendix.csv",
                f"the {total:,} affected certificates in the IRG 3.2 CSV format, one row per "
                "certificate (a precertificate and its certificate on one row), with the "
                "problem in the last column",
            )
        )
    for name, evidence in build.evidence.items():
        filename = f"crtsh-{name}.txt"
        build.add_file(filename, crtsh_lines(evidence.certificates or []))
        data.attachments.append(
            Attachment(filename, f"crt.sh links to the certificates of problem {name}")
        )
    document = evidence_json(list(build.evidence.values()), include_list=False)
    build.add_file("evidence.json", json.dumps(document, indent=2) + "\n")


def missing_figures_step(build: Build) -> None:
    """Warn about certificate problems the report cannot give numbers for."""
    data = build.require_data()
    for problem in data.certificate_problems:
        if data.figures_for(problem) is None:
            build.warnings.append(
                f"problem '{problem.id}': no counts; the report says 'N/A' for its totals"
            )


def render_step(build: Build) -> None:
    """Render the report of the incident's stage (IRG 3.2 Preliminary, Full or Closure), or
    of the template asked for."""
    data = build.require_data()
    if build.template_name is not None:
        build.template = template_for(build.template_name)
    else:
        build.template = stage_template(data.incident.stage)
    build.report = render(data, build.template)
    build.add_file(REPORT_FILE, build.report)


def clocks_step(build: Build) -> None:
    """Overdue reporting clocks become warnings: a slip is an incident of its own."""
    from ca_incident.clocks import clocks

    for clock in clocks(build.require_data().incident, build.as_of):
        if clock.overdue:
            build.warnings.append(f"overdue since {report_time(clock.due)}: {clock.what}")


def check_step(build: Build) -> None:
    """Check the report and attachments as a reviewer's ca-incident check would."""
    from ca_incident.checks.engine import check_text
    from ca_incident.checks.registry import Context

    incident = build.require_data().incident
    posted = {
        Stage.PRELIMINARY: incident.posted.preliminary,
        Stage.FULL: incident.posted.full,
    }.get(incident.stage)
    context = Context(build.as_of, posted or build.as_of, tuple(incident.whiteboard))
    for name, content in build.files.items():
        if name.endswith(".json"):
            continue
        build.findings += check_text(content, str(build.out / name), context)


def write_step(build: Build) -> None:
    """Write every file the steps produced, the report last."""
    build.out.mkdir(parents=True, exist_ok=True)
    for name in sorted(build.files, key=lambda n: (n == REPORT_FILE, n)):
        path = build.out / name
        path.write_text(build.files[name], encoding="utf-8")
        build.written.append(path)


PREPARE_STEPS: tuple[Step, ...] = (
    load_step,
    crl_step,
    evidence_step,
    revocation_step,
    missing_figures_step,
    appendix_step,
    render_step,
)
"""Everything but checking and writing: what ``render`` runs."""
DEFAULT_STEPS: tuple[Step, ...] = (*PREPARE_STEPS, clocks_step, check_step, write_step)


def build_incident(
    folder: Path | str,
    out: Path | str | None = None,
    as_of: datetime | None = None,
    steps: Sequence[Step] = DEFAULT_STEPS,
    jobs: int = 1,
    template: str | None = None,
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
    build = Build(
        folder=folder,
        out=Path(out) if out else folder / "out",
        as_of=as_of or utc_now(),
        jobs=jobs,
        template_name=template,
    )
    for step in steps:
        step(build)
    return build


def report_size(build: Build) -> str:
    length = len(build.report or "")
    return f"{length:,} of {BUGZILLA_COMMENT_LIMIT:,} characters"
