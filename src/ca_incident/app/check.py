"""The check job: reports, CSV appendices and crt.sh lists, given as text, files or incident
folders (rendered as ``build`` would, then checked with their attachments).

A report is checked together with the appendices and crt.sh lists given with it, so that the
consistency rules (CON) can compare its counts with them: those in the same folder, or all of
them when one report is given."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from ca_incident.app.build import (
    PREPARE_STEPS,
    REPORT_FILE,
    Build,
    build_folder,
    clock_findings,
    clocks_step,
)
from ca_incident.bugzilla.settings import Settings
from ca_incident.certs.read import MAX_BYTES
from ca_incident.checks.attachments import Attachment, read_attachment
from ca_incident.checks.engine import Checked, check_input, kind_of, validate_codes
from ca_incident.checks.output import (
    as_json,
    as_sarif,
    as_text,
    check_json,
    files_text,
    summary,
)
from ca_incident.checks.registry import Context, Finding, Severity
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import INCIDENT_FILE
from ca_incident.model import Stage
from ca_incident.templates import get

STDIN = "-"


@dataclass(frozen=True)
class CheckOptions:
    as_of: datetime
    posted: datetime | None = None
    """When the report was (or will be) posted; default: ``as_of``."""
    whiteboard: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    template: str | None = None
    """Check as this template (any name or alias) instead of the one recognised."""
    truncated: bool | None = None
    """True: the texts are cut short; False: they are whole; None: each text shows it."""
    third_party: bool = False
    """The reports were written by a third-party reporter, not by the CA Owner."""

    def __post_init__(self) -> None:
        validate_codes([*self.select, *self.ignore])
        if self.template is not None:
            object.__setattr__(self, "template", get(self.template, recognised=True).name)

    @property
    def context(self) -> Context:
        return Context(self.as_of, self.posted, self.whiteboard, third_party=self.third_party)


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[Checked] = field(default_factory=list)
    """Each input as the checker saw it (template, stage) with its findings."""

    @property
    def errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def add(self, other: CheckResult) -> None:
        self.findings += other.findings
        self.files += other.files

    def as_json(self) -> dict[str, Any]:
        """``{"files": [...], "findings": [...]}``, as ``check --format json`` prints it."""
        return check_json(self.files, self.findings)

    def formatted(self, form: str) -> str:
        """The findings alone as ``text``, ``json`` or ``sarif`` (what ``build`` prints)."""
        return {"text": as_text, "json": as_json, "sarif": as_sarif}[form](self.findings)

    def output(self, form: str) -> str:
        """What ``check`` prints: in ``text`` each file's line (what it was recognised as)
        and its findings; in ``json`` the object of :meth:`as_json`; in ``sarif`` the run
        with each file's template and stage in its properties."""
        if form == "text":
            return files_text(self.files)
        if form == "json":
            return json.dumps(self.as_json(), indent=2) + "\n"
        return as_sarif(self.findings, self.files)

    def summary(self) -> str:
        """Files checked, errors and warnings, on one line."""
        return summary(self.files)


def _result(checked: Sequence[Checked]) -> CheckResult:
    return CheckResult([f for c in checked for f in c.findings], list(checked))


def check_sources(sources: Sequence[tuple[str, str]], options: CheckOptions) -> CheckResult:
    """Check texts given as (name, text), each report with the appendices and crt.sh lists
    among them: those in its folder, or all of them when there is one report."""
    kinds = [kind_of(name, text) for name, text in sources]
    attachments = [
        read_attachment(name, text, kind)
        for (name, text), kind in zip(sources, kinds, strict=True)
        if kind != "report"
    ]
    reports = [name for (name, _), kind in zip(sources, kinds, strict=True) if kind == "report"]
    checked = []
    for (name, text), kind in zip(sources, kinds, strict=True):
        context = options.context
        if kind == "report":
            context = replace(context, attachments=_beside(name, attachments, len(reports)))
        checked.append(
            check_input(
                text,
                name,
                context,
                kind=kind,
                select=options.select,
                ignore=options.ignore,
                template=options.template,
                truncated=options.truncated,
            )
        )
    return _result(checked)


def _beside(report: str, attachments: Sequence[Attachment], reports: int) -> tuple[Attachment, ...]:
    if reports == 1:
        return tuple(attachments)
    folder = PurePath(report).parent
    return tuple(a for a in attachments if PurePath(a.path).parent == folder)


def check_report_text(
    text: str, name: str, options: CheckOptions, attachments: Sequence[tuple[str, str]] = ()
) -> CheckResult:
    """Check one text (a report, a CSV appendix or a crt.sh list, told apart by content),
    with the attachments given as (name, text)."""
    return check_sources([(name, text), *attachments], options)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaIncidentError(f"{path}: no such file or folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaIncidentError(f"{path}: cannot read: {exc}") from None


def check_file(path: Path, options: CheckOptions) -> CheckResult:
    return check_sources([(str(path), _read(path))], options)


def check_folder(folder: Path, options: CheckOptions) -> CheckResult:
    """Render an incident folder as ``build`` would (with ``options.template`` if given), then
    check the report together with its appendix and crt.sh lists, and the incident's clocks."""
    built = build_folder(
        folder,
        as_of=options.as_of,
        steps=PREPARE_STEPS,
        template=options.template,
        write=False,
        posted=options.posted,
    )
    return check_build(built, options)


def build_and_check(
    folder: Path | str,
    out: Path | str | None = None,
    *,
    as_of: datetime,
    jobs: int = 1,
    max_bytes: int = MAX_BYTES,
    allow_outside: bool = False,
    write: bool = True,
    posted: datetime | None = None,
    bugzilla: Settings | None = None,
) -> Build:
    """The ``build`` job: build an incident folder, write its files (unless ``write`` is
    false), and judge what it made exactly as ``check FOLDER`` does; the findings are the
    build's."""
    built = build_folder(
        folder,
        out,
        as_of=as_of,
        jobs=jobs,
        max_bytes=max_bytes,
        allow_outside=allow_outside,
        write=write,
        posted=posted,
        bugzilla=bugzilla,
    )
    built.findings = check_build(built, CheckOptions(as_of=as_of, posted=posted)).findings
    return built


def check_build(built: Build, options: CheckOptions) -> CheckResult:
    """What a build made, checked: the report with its appendix and crt.sh lists, each file
    named as it is written, and the incident's clocks. ``build`` and ``check FOLDER`` both
    judge through here."""
    if not built.clocks:
        clocks_step(built)
    incident = Checked(
        built.source,
        "incident",
        stage=built.incident.stage.value,
        findings=clock_findings(built, options.select, options.ignore),
    )
    context = _built_context(built, options)
    outputs = {name: text for name, text in built.files_out.items() if not name.endswith(".json")}
    attachments = tuple(
        read_attachment(f"{built.out}/{name}", text, kind_of(name, text))
        for name, text in outputs.items()
        if name != REPORT_FILE
    )
    checked = [incident]
    for name, text in outputs.items():
        is_report = name == REPORT_FILE
        checked.append(
            check_input(
                text,
                f"{built.out}/{name}",
                replace(context, attachments=attachments) if is_report else context,
                select=options.select,
                ignore=options.ignore,
                template=built.template.name if is_report and built.template else None,
                truncated=False,
            )
        )
    return _result(checked)


def _built_context(built: Build, options: CheckOptions) -> Context:
    """As ``build`` judges what it wrote: posted when the incident says the report of its
    stage was, else at ``as_of``; the incident's whiteboard unless one is given."""
    incident = built.incident
    posted = built.posted or {
        Stage.PRELIMINARY: incident.posted.preliminary,
        Stage.FULL: incident.posted.full,
        Stage.CLOSURE: incident.posted.closure,
    }.get(incident.stage)
    return Context(
        built.as_of,
        posted or built.as_of,
        tuple(options.whiteboard or incident.whiteboard),
        third_party=options.third_party,
    )


def check_paths(
    paths: Sequence[Path | str], options: CheckOptions, *, stdin: str | None = None
) -> CheckResult:
    """Check files and incident folders, in order; ``-`` is ``stdin``. The files are checked
    together, so that a report meets the appendix given with it."""
    parts: list[list[Checked]] = []
    sources: list[tuple[int, tuple[str, str]]] = []
    for path in paths:
        parts.append([])
        if str(path) == STDIN:
            sources.append((len(parts) - 1, (STDIN, stdin or "")))
            continue
        path = Path(path)
        if path.is_dir() or path.name == INCIDENT_FILE:
            parts[-1] = check_folder(path, options).files
        else:
            sources.append((len(parts) - 1, (str(path), _read(path))))
    checked = check_sources([source for _, source in sources], options).files
    for (position, _), one in zip(sources, checked, strict=True):
        parts[position] = [one]
    return _result([one for part in parts for one in part])
