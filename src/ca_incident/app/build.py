"""The build job: from an incident and its certificates and CRLs to the files a CA posts to
Bugzilla (the report, the appendix, crt.sh lists, evidence.json), checked as a reviewer would.

The build is a sequence of steps over one :class:`Build`. Each step reads what earlier steps
left and adds its own part (figures, attachments, warnings), so a capability is added by adding
a step, and a caller can run its own sequence. Nothing here touches the disk except
:func:`build_folder`, which reads an incident folder and writes its ``out/``; an incident held
in memory builds the same way with :class:`~ca_incident.sources.MemoryFiles`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ca_incident import clocks
from ca_incident.bugzilla.settings import Settings
from ca_incident.bugzilla.view import cached_view
from ca_incident.certs.appendix import (
    Revocation,
    appendix_rows,
    crtsh_lines,
    write_csv,
)
from ca_incident.certs.evidence import Evidence, collect
from ca_incident.certs.output import evidence_json
from ca_incident.certs.read import MAX_BYTES
from ca_incident.certs.record import CertRecord
from ca_incident.checks.engine import selected_rules
from ca_incident.checks.output import finding_json
from ca_incident.checks.registry import RULES, Finding, Severity
from ca_incident.checks.rules.clocks import CLOCK_RULES
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import (
    INCIDENT_FILE,
    Locator,
    incident_path,
    locator,
    parse_incident,
    read_incident_file,
)
from ca_incident.model import CertificateKind, EventKind, Incident, Stage
from ca_incident.outputs import prepare_folder, write_text
from ca_incident.report.render import (
    BUGZILLA_COMMENT_LIMIT,
    Attachment,
    ProblemFigures,
    ReportData,
    TimelineRow,
    render,
    stage_template,
)
from ca_incident.revocation.crl import CrlIndex, read_crls
from ca_incident.revocation.status import ProblemRevocation, assess
from ca_incident.sources import FolderFiles, Resolver, resolve_all
from ca_incident.templates import Template, appendix_form, get
from ca_incident.timeutil import iso_z, report_time, require_aware

REPORT_FILE = "report.md"
OUT = "out"


@dataclass
class Build:
    """The state of one build, passed from step to step."""

    incident: Incident
    files: Resolver
    """Where the incident's certificate and CRL names lead."""
    as_of: datetime
    out: str = OUT
    """How findings name the output files: the output folder, as the user knows it."""
    source: str = INCIDENT_FILE
    """How findings name the incident file."""
    locate: Locator | None = None
    """Where a field of the incident file stands, for findings about it."""
    data: ReportData = field(init=False)
    template: Template | None = None
    report: str | None = None
    template_name: str | None = None
    """A template other than the stage's, as ``render --template`` asks."""
    posted: datetime | None = None
    """When the report is (or was) posted, for the check; default: what the incident says."""
    files_out: dict[str, str] = field(default_factory=dict)
    """What a write puts in the output folder: file name -> content."""
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
    clocks: list[clocks.Clock] = field(default_factory=list)
    """Every clock of the incident, met, late, open and overdue."""
    clock_incident: Incident | None = None
    """The incident as its bug shows it (posted times, whiteboard, questions), when the
    Bugzilla cache holds the bug: the clocks are judged on it, as ``status`` judges them."""
    jobs: int = 1
    max_bytes: int = MAX_BYTES
    """How much a compressed certificate file may hold once decompressed."""

    def __post_init__(self) -> None:
        self.data = ReportData(
            self.incident, self.as_of, full_report_due=clocks.full_report_due(self.incident)
        )

    def add_file(self, name: str, content: str) -> None:
        self.files_out[name] = content

    @property
    def errors(self) -> bool:
        """Whether the check found an error-severity finding."""
        return any(f.severity is Severity.ERROR for f in self.findings)

    def as_json(self) -> dict[str, Any]:
        incident = self.incident
        return {
            "incident": incident.bugzilla_summary,
            "stage": incident.stage.value,
            "template": self.template.name if self.template else None,
            "as_of": iso_z(self.as_of),
            "report_characters": len(self.report or ""),
            "report_limit": BUGZILLA_COMMENT_LIMIT,
            "files": sorted(self.files_out),
            "written": [str(path) for path in self.written],
            "warnings": list(self.warnings),
            "findings": [finding_json(f) for f in self.findings],
        }


Step = Callable[[Build], None]


def crl_step(build: Build) -> None:
    """Read the CRLs the incident names, verifying them with its issuer certificates: one no
    issuer certificate verifies is a warning and is not used."""
    plan = build.incident.revocation
    if plan is None or not plan.crls:
        return
    build.crl_index = read_crls(
        resolve_all(build.files, plan.crls), resolve_all(build.files, plan.issuers)
    )
    for error in build.crl_index.errors:
        hint = " (add its issuer certificate to revocation.issuers)" if error.unverified else ""
        build.warnings.append(f"CRL {error.source}: {error.error}{hint}")


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
    data = build.data
    for problem in data.certificate_problems:
        if not problem.certificates:
            continue
        evidence = collect(
            resolve_all(build.files, problem.certificates),
            problem.id,
            as_of=build.as_of,
            jobs=build.jobs,
            max_bytes=build.max_bytes,
            keep=True,
            is_revoked=_revoked_by(build),
        )
        build.evidence[problem.id] = evidence
        s = evidence.summary
        data.figures[problem.id] = ProblemFigures(
            count=s.count + s.precertificates_only,
            remaining_valid=s.remaining_valid,
            first_not_before=s.first_not_before,
            last_not_before=s.last_not_before,
            types=tuple(_report_type(t) for t in s.type_names),
            precertificates_only=s.precertificates_only,
            validity_unknown=s.validity_unknown,
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
    if build.evidence and len(build.evidence) == len(data.certificate_problems):
        data.distinct_total, data.distinct_remaining_valid = _distinct(build)


def _distinct(build: Build) -> tuple[int, int]:
    """Entries across every problem, each once (a certificate listed by two problems is one
    affected certificate), and how many of them remain valid."""
    seen: set[str] = set()
    total = remaining = 0
    revoked = _revoked_by(build)
    for evidence in build.evidence.values():
        for record in evidence.certificates or []:
            keys = {record.sha256, record.precert_sha256} - {None}
            if keys & seen:
                continue
            seen |= keys  # type: ignore[arg-type]
            total += 1
            alive = record.not_after is not None and record.not_after > build.as_of
            if alive and not record.precertificate and (revoked is None or not revoked(record)):
                remaining += 1
    return total, remaining


def revocation_step(build: Build) -> None:
    """Where each problem's certificates stand against the revocation deadline, as the
    verified CRLs show: every certificate gets its appendix cells, and those whose state no
    CRL shows are a warning (with no CRL given, all the unexpired ones)."""
    data = build.data
    incident = data.incident
    if not build.evidence:
        return
    plan = incident.revocation
    index = build.crl_index or CrlIndex()
    found = clocks.revocation_deadline(incident)
    due = found.due if found is not None else None
    total = _certificates(build)
    for name, evidence in build.evidence.items():
        figures, columns = assess(
            name,
            evidence.certificates or [],
            index,
            due,
            build.as_of,
            plan.expected_completion if plan is not None else None,
            ca_certificates=plan.ca_certificates if plan is not None else False,
            with_reasons=appendix_form(total) == "csv",
        )
        build.revocation[name] = figures
        build.revocation_columns.update(columns)
        if figures.unknown:
            build.warnings.append(_unknown_warning(name, figures, build.crl_index is None))
        if figures.unverified:
            build.warnings.append(
                f"problem '{name}': the revocation state of {figures.unverified} certificate(s) "
                "rests on CRLs whose signatures were not verified"
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


def _unknown_warning(name: str, figures: ProblemRevocation, no_crl: bool) -> str:
    """The certificates of a problem whose revocation no CRL shows, by why (at most three)."""
    if no_crl:
        return (
            f"problem '{name}': no CRL given (revocation.crls): that {figures.unknown} "
            "unexpired certificate(s) are revoked is not shown; the appendix shows them as "
            "not revoked"
        )
    whys = Counter(u.why for u in figures.unknowns).most_common()
    shown = "; ".join(f"{n} {why}" for why, n in whys[:3])
    more = f"; and {len(whys) - 3} other reasons" if len(whys) > 3 else ""
    return (
        f"problem '{name}': the revocation of {figures.unknown} certificate(s) is unknown, "
        f"the appendix shows them as not revoked: {shown}{more}"
    )


def closure_revocation_step(build: Build) -> None:
    """A Closure report says the incident is over: refuse one while unexpired certificates
    are not shown revoked past their revocation deadline (BR 4.9.1)."""
    incident = build.incident
    if incident.stage not in (Stage.CLOSURE, Stage.CLOSED) or not build.revocation:
        return
    found = clocks.revocation_deadline(incident)
    if found is None or build.as_of <= found.due:
        return
    problems = build.revocation.values()
    overdue = sum(p.not_revoked_overdue for p in problems)
    unknown = sum(p.unknown for p in problems)
    if not overdue and not unknown:
        return
    parts = []
    if overdue:
        parts.append(f"{overdue} not revoked on the CRLs")
    if unknown:
        parts.append(f"{unknown} that no verified CRL shows revoked")
    raise CaIncidentError(
        f"stage {incident.stage.value}, but {' and '.join(parts)}: unexpired certificates "
        f"still unrevoked past the revocation deadline ({report_time(found.due)}). Revoke "
        "them and give the CRLs that show it (revocation.crls and revocation.issuers), or keep "
        "the stage at full ('ca-incident revocation' lists them)"
    )


def _report_type(validation_type: str) -> str:
    return validation_type if validation_type in ("DV", "OV", "IV", "EV") else "S/MIME"


def appendix_step(build: Build) -> None:
    """Write the IRG 3.2 Appendix: appendix.csv below 10,000 certificates, and a crt.sh list
    per problem; both become attachments named in the report."""
    if not build.evidence:
        return
    data = build.data
    total = _certificates(build)
    listed = sum(len(e.certificates or []) for e in build.evidence.values())
    if appendix_form(total) == "csv":
        rows = appendix_rows(
            (
                (name, record)
                for name, evidence in build.evidence.items()
                for record in evidence.certificates or []
            ),
            build.as_of,
            revocation=build.revocation_columns,
            smime_problems=_smime_problems(build.incident),
        )
        build.add_file("appendix.csv", write_csv(rows))
        data.attachments.append(
            Attachment(
                "appendix.csv",
                f"the {total:,} affected certificates in the IRG 3.2 CSV format, one row per "
                f"certificate{' and problem' if listed > total else ''} (a precertificate "
                "and its certificate on one row), with the problem in the last column",
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


def _smime_problems(incident: Incident) -> set[str]:
    """Problems the incident says are S/MIME: their certificates are redacted as S/MIME
    whatever their content shows."""
    return {p.id for p in incident.problems if p.certificate_kind is CertificateKind.SMIME}


def _certificates(build: Build) -> int:
    """The affected certificates, as the appendix lists them: a certificate and its
    precertificate once, a precertificate whose certificate was not found once, and a
    certificate listed by several problems once."""
    if build.data.distinct_total is not None:
        return build.data.distinct_total
    return sum(e.summary.count + e.summary.precertificates_only for e in build.evidence.values())


def missing_figures_step(build: Build) -> None:
    """Warn about certificate problems the report cannot give numbers for."""
    data = build.data
    for problem in data.certificate_problems:
        if data.figures_for(problem) is None:
            build.warnings.append(
                f"problem '{problem.id}': no counts; the report says 'N/A' for its totals"
            )


def render_step(build: Build) -> None:
    """Render the report of the incident's stage (IRG 3.2 Preliminary, Full or Closure), or
    of the template asked for."""
    if build.template_name is not None:
        build.template = get(build.template_name)
    else:
        build.template = stage_template(build.incident.stage)
    build.report = render(build.data, build.template)
    build.add_file(REPORT_FILE, build.report)


def clocks_step(build: Build) -> None:
    """Every clock of the incident; revocation counts as published when the CRLs show every
    certificate revoked. A missed SHOULD becomes a warning; a missed MUST a finding (see
    :func:`clock_findings`)."""
    problems = list(build.revocation.values())
    revoked_at = None
    if problems and all(p.complete for p in problems):
        revoked_at = max((p.last_revoked for p in problems if p.last_revoked), default=None)
    judged = build.clock_incident or build.incident
    build.clocks = clocks.clocks(judged, build.as_of, revoked_at=revoked_at)
    for clock in build.clocks:
        if not clock.must and (clock.overdue or clock.late):
            build.warnings.append(
                f"{clock.what}: due {report_time(clock.due)} (a SHOULD), "
                + (f"done {report_time(clock.done)}" if clock.done else "not done")
            )


def clock_findings(
    build: Build, select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Finding]:
    """Each late or overdue MUST clock as a finding on the incident file: the IRG expects a
    CA to disclose its own lateness."""
    wanted = {r.code for r in selected_rules(select, ignore)}
    findings = []
    for clock in build.clocks:
        code = CLOCK_RULES.get(clock.kind)
        if code is None or code not in wanted or not clock.must:
            continue
        if clock.late and clock.done is not None:
            message = (
                f"{clock.what}: done {report_time(clock.done)}, due {report_time(clock.due)} "
                f"({_duration(clock.done - clock.due)} late)"
            )
        elif clock.overdue:
            message = (
                f"{clock.what}: due {report_time(clock.due)}, not done at "
                f"{report_time(build.as_of)} ({_duration(build.as_of - clock.due)} overdue)"
            )
        else:
            continue
        line, column = build.locate(clock.field) if build.locate and clock.field else (1, 1)
        findings.append(Finding(build.source, line, column, code, RULES[code].severity, message))
    return findings


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)


PREPARE_STEPS: tuple[Step, ...] = (
    crl_step,
    evidence_step,
    revocation_step,
    closure_revocation_step,
    missing_figures_step,
    appendix_step,
    render_step,
)
"""Everything but checking: what ``render`` runs."""
DEFAULT_STEPS: tuple[Step, ...] = (*PREPARE_STEPS, clocks_step)
"""What ``build`` runs before the check job (``ca_incident.app.check.check_build``) judges
what it made."""


def build(
    incident: Incident,
    files: Resolver,
    *,
    as_of: datetime,
    steps: Sequence[Step] = DEFAULT_STEPS,
    jobs: int = 1,
    max_bytes: int = MAX_BYTES,
    template: str | None = None,
    out: str = OUT,
    posted: datetime | None = None,
    source: str = INCIDENT_FILE,
    locate: Locator | None = None,
    clock_incident: Incident | None = None,
) -> Build:
    """Build an incident: its certificate and CRL names are looked up through ``files``;
    ``clock_incident`` is the incident as its bug shows it, for the clocks."""
    require_aware(as_of)
    result = Build(
        incident=incident,
        files=files,
        as_of=as_of,
        out=out,
        source=source,
        locate=locate,
        jobs=jobs,
        max_bytes=max_bytes,
        template_name=template,
        posted=posted,
        clock_incident=clock_incident,
    )
    for step in steps:
        step(result)
    return result


def incident_folder(folder: Path | str) -> Path:
    """The incident folder a user named (the folder, or its incident.yaml)."""
    folder = Path(folder)
    if not folder.is_dir():
        if folder.exists() and folder.name.endswith((".yaml", ".yml")):
            return folder.parent
        raise CaIncidentError(
            f"{folder}: not an incident folder (expected a folder with incident.yaml)"
        )
    if not incident_path(folder).exists():
        raise CaIncidentError(
            f"{folder}: no incident.yaml here (run 'ca-incident new {folder}' to start one)"
        )
    return folder


def incident_files(folder: Path, incident: Incident, *, allow_outside: bool) -> FolderFiles:
    """The files an incident names, relative to its folder and confined to it, but for its
    CRLs and issuer certificates (see :meth:`FolderFiles.for_incident`)."""
    plan = incident.revocation
    return FolderFiles.for_incident(
        folder,
        certificates=[name for p in incident.problems for name in p.certificates],
        verification=[*plan.crls, *plan.issuers] if plan is not None else [],
        allow_outside=allow_outside,
    )


def build_folder(
    folder: Path | str,
    out: Path | str | None = None,
    *,
    as_of: datetime,
    steps: Sequence[Step] = DEFAULT_STEPS,
    jobs: int = 1,
    max_bytes: int = MAX_BYTES,
    template: str | None = None,
    write: bool = True,
    posted: datetime | None = None,
    allow_outside: bool = False,
    bugzilla: Settings | None = None,
) -> Build:
    """Build the incident in ``folder`` and write its files to ``out`` (default
    ``folder/out``), the report last. With ``bugzilla``, the clocks are judged on what the
    cached bug shows, and where it differs from the file a warning says so.

    The incident's inputs must lie inside its folder, and so must the default ``out`` (a
    link at ``out`` that leads elsewhere is refused), unless ``allow_outside``; an ``out``
    given explicitly is written where it says."""
    folder = incident_folder(folder)
    target = Path(out) if out else folder / OUT
    name, text = read_incident_file(folder)
    incident = parse_incident(text, name)
    view = cached_view(incident, bugzilla) if bugzilla is not None else None
    result = build(
        incident,
        incident_files(folder, incident, allow_outside=allow_outside),
        clock_incident=view.incident if view is not None else None,
        source=name,
        locate=locator(text),
        as_of=as_of,
        steps=steps,
        jobs=jobs,
        max_bytes=max_bytes,
        template=template,
        out=str(target),
        posted=posted,
    )
    if view is not None:
        result.warnings += [f"the bug says otherwise: {d}" for d in view.differences]
    if write:
        within = None if out or allow_outside else folder
        result.written = write_files(result.files_out, target, within=within)
    return result


def write_files(files: dict[str, str], out: Path, *, within: Path | None = None) -> list[Path]:
    """Write every file, the report last, each atomically and never through a link; with
    ``within``, ``out`` must resolve inside that folder."""
    prepare_folder(out, within=within)
    written = []
    for name in sorted(files, key=lambda n: (n == REPORT_FILE, n)):
        written.append(write_text(out / name, files[name], within=within))
    return written


def report_size(build: Build) -> str:
    length = len(build.report or "")
    return f"{length:,} of {BUGZILLA_COMMENT_LIMIT:,} characters"
