"""The check job: reports, CSV appendices and crt.sh lists, given as text, files or incident
folders (rendered as ``build`` would, then checked with their attachments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ca_incident.app.build import PREPARE_STEPS, build_folder, check_built
from ca_incident.checks.engine import check_text, validate_codes
from ca_incident.checks.output import as_json, as_sarif, as_text, finding_json
from ca_incident.checks.registry import Context, Finding, Severity
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import INCIDENT_FILE
from ca_incident.templates import get


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

    def __post_init__(self) -> None:
        validate_codes([*self.select, *self.ignore])
        if self.template is not None:
            object.__setattr__(self, "template", get(self.template).name)

    @property
    def context(self) -> Context:
        return Context(self.as_of, self.posted, self.whiteboard)


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def as_json(self) -> list[dict[str, Any]]:
        return [finding_json(f) for f in self.findings]

    def formatted(self, form: str) -> str:
        """The findings as ``text``, ``json`` or ``sarif``."""
        return {"text": as_text, "json": as_json, "sarif": as_sarif}[form](self.findings)


def check_report_text(text: str, name: str, options: CheckOptions) -> CheckResult:
    """Check one text: a report, a CSV appendix or a crt.sh list, told apart by content."""
    return CheckResult(
        check_text(
            text,
            name,
            options.context,
            select=options.select,
            ignore=options.ignore,
            template=options.template,
        )
    )


def check_file(path: Path, options: CheckOptions) -> CheckResult:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaIncidentError(f"{path}: no such file or folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaIncidentError(f"{path}: cannot read: {exc}") from None
    return check_report_text(text, str(path), options)


def check_folder(folder: Path, options: CheckOptions) -> CheckResult:
    """Render an incident folder as ``build`` would (with ``options.template`` if given), then
    check the report and its attachments exactly as ``build`` does."""
    built = build_folder(
        folder,
        as_of=options.as_of,
        steps=PREPARE_STEPS,
        template=options.template,
        write=False,
        posted=options.posted,
    )
    return CheckResult(
        check_built(
            built, select=options.select, ignore=options.ignore, whiteboard=options.whiteboard
        )
    )


def check_paths(paths: Sequence[Path], options: CheckOptions) -> CheckResult:
    """Check files and incident folders, in order."""
    result = CheckResult()
    for path in paths:
        if path.is_dir() or path.name == INCIDENT_FILE:
            found = check_folder(path, options)
        else:
            found = check_file(path, options)
        result.findings += found.findings
    return result
