"""The ``ca-incident`` command: parses options, calls one job, prints its result.

Every domain decision and every JSON document comes from the jobs in ``ca_incident.app``; this
module chooses words, colours and exit codes. Text from users and certificates is printed
escaped (see :func:`safe`), never as Rich markup.

Exit codes: 0 ok; 1 findings or something overdue; 2 usage or input error; 130 interrupted.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ca_incident import __version__, templates
from ca_incident.app import build as build_job
from ca_incident.app import certs as certs_job
from ca_incident.app import check as check_job
from ca_incident.app import lint as lint_job
from ca_incident.app import revocation as revocation_job
from ca_incident.app import status as status_job
from ca_incident.certs.evidence import Evidence
from ca_incident.checks.output import explain as explain_rule
from ca_incident.checks.output import rule_json
from ca_incident.checks.registry import RULES
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import (
    INCIDENT_FILE,
    create_incident_folder,
    json_schema,
    load_incident,
)
from ca_incident.lint import PROFILES as LINT_PROFILES
from ca_incident.lint import SEVERITIES as LINT_SEVERITIES
from ca_incident.revocation.deadlines import MAX_REASON
from ca_incident.sources import FolderFiles, Source
from ca_incident.timeutil import TimestampError, iso_z, parse_timestamp, report_time, utc_now
from ca_incident.whiteboard import words

EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
STDIN = "-"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """User or certificate text made fit for a Rich console: markup escaped, and control
    characters (ANSI escapes among them) shown as ``\\x1b`` instead of acting on the
    terminal."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return escape(shown)


class Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """An ISO 8601 date-time with ``Z`` or an offset."""

    name = "TIMESTAMP"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_timestamp(value)
        except TimestampError as exc:
            self.fail(str(exc), param, ctx)


class TemplateName(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """A template's canonical name or an alias; converted to the canonical name."""

    name = "TEMPLATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return templates.get(str(value)).name
        except CaIncidentError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param: click.Parameter, *args: Any, **kwargs: Any) -> str:
        return "[" + "|".join(templates.TEMPLATES) + "]"


TIMESTAMP = Timestamp()
TEMPLATE = TemplateName()

JOBS = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes that parse certificates.",
)


class Group(click.Group):
    """Turns the library's input errors into one message and exit code 2, and an interrupt
    into exit code 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CaIncidentError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _err().print(f"[bold red]error:[/] {safe(exc)}")
            ctx.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            _err().print("[yellow]interrupted[/]")
            ctx.exit(EXIT_INTERRUPTED)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _now(as_of: datetime | None) -> datetime:
    return as_of or utc_now()


@contextmanager
def _inputs(paths: tuple[str, ...]) -> Iterator[list[Source]]:
    """The inputs as sources; standard input (``-``) is copied to a temporary file first,
    since pairing may read the inputs twice, and the copy is removed however the command
    ends."""
    with ExitStack() as stack:
        sources = []
        for path in paths:
            if path == STDIN:
                spool = stack.enter_context(tempfile.TemporaryDirectory(prefix="ca-incident-"))
                copy = Path(spool) / "stdin"
                with copy.open("wb") as handle:
                    shutil.copyfileobj(sys.stdin.buffer, handle)
                sources.append(Source(STDIN, path=copy))
            else:
                sources.append(Source.of(path))
        yield sources


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ca-incident")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Write, check and keep the clocks of Web PKI CA incident reports.

    An incident lives in a folder with an incident.yaml (see `ca-incident new`); `build` turns
    it into a Bugzilla-ready report following the CCADB Incident Reporting Guidelines.

    Exit codes: 0 ok, 1 findings or overdue, 2 usage or input error.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--ca", "ca_owner", required=True, help="The CA Owner name, as in the CCADB.")
@click.option("--title", required=True, help="A brief title; the bug summary is 'CA Owner: title'.")
def new(folder: Path, ca_owner: str, title: str) -> None:
    """Start an incident folder: a commented incident.yaml and an empty certs/.

    \b
    Example:
        ca-incident new incidents/2026-ou --ca "Example Trust Services" \\
            --title "OV TLS certificates issued with organizationalUnitName"
    """
    path = create_incident_folder(folder, ca_owner, title)
    _out().print(
        f"wrote {safe(path)}\nnext: fill it in, then run: ca-incident build {safe(folder)}"
    )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of incident.yaml (for editors and CI).

    \b
    Example:
        ca-incident schema > incident.schema.json
    """
    click.echo(json_schema(), nl=False)


def _template_list() -> str:
    lines = []
    for spec in templates.TEMPLATES.values():
        aliases = f" (also {', '.join(spec.aliases)})" if spec.aliases else ""
        lines.append(f"  {spec.name:<20} {spec.title}{aliases}")
    # Joined at the docstring's own indentation, so that Click's dedent keeps the columns.
    return "\n    ".join(lines)


@cli.command("render")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--template",
    "-t",
    type=TEMPLATE,
    required=True,
    help="Which report template to write (a name or alias below).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output.",
)
@click.option("--as-of", type=TIMESTAMP, help="The moment to compute dates from (default: now).")
def render_command(
    folder: Path, template: str, output: Path | None, as_of: datetime | None
) -> None:
    """Render an incident with any template version.

    \b
    Templates:
    {templates}

    \b
    Example:
        ca-incident render examples/tls-ou-misissuance -t irg-2.0 -o report-2.0.md
    """
    result = build_job.build_folder(
        folder,
        as_of=_now(as_of),
        steps=build_job.PREPARE_STEPS,
        template=template,
        write=False,
    )
    text = result.report or ""
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        _err().print(f"wrote {safe(output)}")


render_command.help = (render_command.help or "").replace("{templates}", _template_list())


@cli.command()
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: FOLDER/out).",
)
@click.option(
    "--as-of", type=TIMESTAMP, help="The moment to compute dates and clocks from (default: now)."
)
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
@JOBS
def build(
    folder: Path, out: Path | None, as_of: datetime | None, as_json_flag: bool, jobs: int
) -> None:
    """Validate an incident folder and write its report for the current stage.

    Writes OUT/report.md, the IRG 3.2 report of the stage set in incident.yaml
    (preliminary, full, or closure), with the certificate appendix and crt.sh lists where
    problems name their certificates, checks them all as `ca-incident check` would, and
    prints a summary. Exit 1 when the check finds an error.

    \b
    Example:
        ca-incident build examples/tls-ou-misissuance
        ca-incident build incidents/2026-ou --out /tmp/ou --as-of 2026-10-28T15:00Z
    """
    result = build_job.build_folder(folder, out, as_of=_now(as_of), jobs=jobs)
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        template = result.template
        rows = [
            ("incident", result.incident.bugzilla_summary),
            ("stage", f"{result.incident.stage.value} ({template.title if template else ''})"),
            ("report", build_job.report_size(result)),
            *(("wrote", str(path)) for path in result.written),
        ]
        console = _out()
        for key, value in rows:
            console.print(f"[bold]{key:<9}[/]{safe(value)}")
        for warning in result.warnings:
            _err().print(f"[yellow]warning:[/] {safe(warning)}")
        if result.findings:
            _err().print(
                check_job.CheckResult(result.findings).formatted("text"), end="", markup=False
            )
    if result.errors:
        sys.exit(EXIT_FINDINGS)


@cli.group()
def certs() -> None:
    """Count and list affected certificates: summaries, the CSV appendix, crt.sh lists.

    PATH may be a PEM or DER file, a PEM bundle, a file of base64 certificates one per line,
    a list of SHA-256 fingerprints or crt.sh links, a folder (read recursively), a .gz of any
    of these, or - for standard input.

    \b
    Example:
        ca-incident certs summarize examples/tls-ou-misissuance/certs
    """


@contextmanager
def _progress(label: str, total: int | None = None) -> Iterator[Callable[[int], None] | None]:
    """A progress bar with rate (and ETA when the total is known) on a terminal; nothing in
    a pipe."""
    console = _err()
    if not console.is_terminal:
        yield None
        return
    if total:
        counting = [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    else:
        counting = [TextColumn("{task.completed:,}"), TimeElapsedColumn()]
    columns = [SpinnerColumn(), TextColumn(label), *counting, TextColumn("{task.fields[rate]}")]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total, rate="")
        started = time.monotonic()

        def update(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:,.0f}/s")

        yield update


PATHS = click.argument("paths", nargs=-1, required=True, metavar="PATH...")


@certs.command("summarize")
@PATHS
@click.option("--problem", default="certificates", show_default=True, help="Name of the problem.")
@click.option(
    "--as-of",
    type=TIMESTAMP,
    help="Count as remaining valid what is unexpired then (default: now).",
)
@JOBS
@click.option("--list", "list_", is_flag=True, help="List every certificate as well.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--include-pii", is_flag=True, help="Show subjects and names of S/MIME certificates.")
def certs_summarize(
    paths: tuple[str, ...],
    problem: str,
    as_of: datetime | None,
    jobs: int,
    list_: bool,
    as_json: bool,
    include_pii: bool,
) -> None:
    """Count a problem's certificates: total (a precertificate and its certificate once),
    precertificates without their certificate, first and last notBefore, remaining valid,
    kinds and validation types. Certificates that cannot be parsed are still counted, and
    listed under errors.

    \b
    Example:
        ca-incident certs summarize examples/tls-ou-misissuance/certs --as-of 2026-10-14T14:30Z
        ca-incident certs summarize certs/ hashes.txt --problem ou-in-subject --json --list
    """
    with _inputs(paths) as sources, _progress("reading certificates") as update:
        result = certs_job.summarize(
            sources,
            problem=problem,
            as_of=_now(as_of),
            jobs=jobs,
            include_list=list_,
            include_pii=include_pii,
            progress=update,
        )
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    _print_summary(result.evidence)


def _print_summary(evidence: Evidence) -> None:
    s = evidence.summary
    console = _out()
    rows = [
        ("problem", s.name),
        (
            "certificates",
            f"{s.count:,}" + (f" ({s.paired:,} with their precertificate)" if s.paired else ""),
        ),
        ("precertificates only", f"{s.precertificates_only:,}"),
        ("first notBefore", report_time(s.first_not_before) if s.first_not_before else "N/A"),
        ("last notBefore", report_time(s.last_not_before) if s.last_not_before else "N/A"),
        (
            "remaining valid",
            f"{s.remaining_valid:,} (at {report_time(s.as_of)})" if s.as_of else "",
        ),
        ("kinds", ", ".join(f"{k} {n:,}" for k, n in sorted(s.kinds.items())) or "none"),
        ("types", ", ".join(f"{k} {n:,}" for k, n in sorted(s.types.items())) or "none"),
        ("duplicates dropped", f"{s.duplicates:,}"),
    ]
    if s.fingerprints_only:
        rows.append(("known by SHA-256 only", f"{s.fingerprints_only:,}"))
    if s.unreadable:
        rows.append(("unparseable", f"{s.unreadable:,} (counted; listed by SHA-256 below)"))
    for key, value in rows:
        console.print(f"[bold]{key:<22}[/]{safe(value)}")
    if evidence.certificates:
        table = Table(
            "certificate SHA-256", "precertificate SHA-256", "serial", "notBefore", "kind"
        )
        for record in evidence.certificates:
            final = "" if record.precertificate else record.sha256
            precert = record.sha256 if record.precertificate else record.precert_sha256 or ""
            table.add_row(
                final,
                precert,
                safe(record.serial or ""),
                iso_z(record.not_before) if record.not_before else "",
                record.kind,
            )
        console.print(table)
    if evidence.errors:
        console.print(
            f"[bold yellow]{len(evidence.errors)} input(s) could not be read as certificates:[/]"
        )
        for error in evidence.errors:
            where = f"{error.source}#{error.index}"
            sha = f" sha256={error.sha256}" if error.sha256 else ""
            console.print(f"  {safe(where)}{sha}: {safe(error.error)}")


@certs.command("appendix")
@PATHS
@click.option("--problem", default="certificates", show_default=True, help="The Problem column.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: standard output).",
)
@click.option(
    "--crtsh",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a crt.sh list here.",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["auto", "csv", "crtsh"]),
    default="auto",
    show_default=True,
    help="auto: the CSV below 10,000 certificates, the crt.sh list from 10,000 on.",
)
@click.option(
    "--as-of", type=TIMESTAMP, help="Mark certificates expired by then 'N/A' (default: now)."
)
@JOBS
@click.option(
    "--include-pii", is_flag=True, help="Keep Subject and dNSNames of S/MIME certificates."
)
def certs_appendix(
    paths: tuple[str, ...],
    problem: str,
    output: Path | None,
    crtsh: Path | None,
    form: certs_job.AppendixFormat,
    as_of: datetime | None,
    jobs: int,
    include_pii: bool,
) -> None:
    """Write the IRG 3.2 Appendix: the CSV of affected certificates, columns in the IRG's
    order with Problem to their right, or a list of https://crt.sh/?sha256= lines.

    \b
    Example:
        ca-incident certs appendix examples/tls-ou-misissuance/certs -o appendix.csv \\
            --crtsh crtsh.txt --problem ou-in-subject
    """
    with _inputs(paths) as sources, _progress("reading certificates") as update:
        result = certs_job.appendix(
            sources,
            problem=problem,
            as_of=_now(as_of),
            form=form,
            jobs=jobs,
            include_pii=include_pii,
            progress=update,
        )
    if output is None:
        click.echo(result.text, nl=False)
    else:
        output.write_text(result.text, encoding="utf-8")
        shown = "CSV" if result.form == "csv" else "crt.sh list"
        _err().print(f"wrote {safe(output)} ({shown}, {result.rows:,} rows)")
    if crtsh is not None:
        crtsh.write_text(result.crtsh, encoding="utf-8")
        _err().print(f"wrote {safe(crtsh)}")
    if result.evidence.errors:
        _err().print(
            f"[yellow]warning:[/] {len(result.evidence.errors)} input(s) could not be read as "
            "certificates; 'ca-incident certs summarize' lists them"
        )


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text: path:line:col: CODE severity message; json; SARIF 2.1.0.",
)
@click.option("--as-of", type=TIMESTAMP, help="The moment to judge due dates by (default: now).")
@click.option(
    "--posted",
    type=TIMESTAMP,
    help="When the report was (or will be) posted, for template currency (default: --as-of).",
)
@click.option(
    "--select", multiple=True, metavar="CODES", help="Only rules starting with these codes."
)
@click.option(
    "--ignore", multiple=True, metavar="CODES", help="Skip rules starting with these codes."
)
@click.option(
    "--template",
    type=TEMPLATE,
    help="Check as this template instead of the one recognised (an incident folder is "
    "rendered with it).",
)
@click.option(
    "--whiteboard",
    default="",
    help="The bug's whiteboard, e.g. '[ca-compliance] [leaf-revocation-delay]'.",
)
def check(
    paths: tuple[str, ...],
    form: str,
    as_of: datetime | None,
    posted: datetime | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    template: str | None,
    whiteboard: str,
) -> None:
    """Check incident reports against the root programs' requirements.

    PATH is a Markdown report, a CSV appendix, a crt.sh list, an incident folder (rendered as
    build would, then checked with its attachments), or - for standard input. Exit 0 without
    an error-severity finding, 1 with one, 2 on usage or input errors.

    \b
    Example:
        ca-incident check report.md --posted 2025-06-02T10:00Z
        ca-incident check examples/tls-ou-misissuance --format sarif > findings.sarif
        ca-incident check appendix.csv crtsh.txt --select APX
    """
    options = check_job.CheckOptions(
        as_of=_now(as_of),
        posted=posted,
        whiteboard=words(whiteboard),
        select=_codes(select),
        ignore=_codes(ignore),
        template=template,
    )
    result = check_job.CheckResult()
    for path in paths:
        if path == STDIN:
            found = check_job.check_report_text(sys.stdin.read(), STDIN, options)
        else:
            found = check_job.check_paths([Path(path)], options)
        result.findings += found.findings
    click.echo(result.formatted(form), nl=False)
    if result.errors:
        sys.exit(EXIT_FINDINGS)


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Codes given as repeated options, or comma or space separated."""
    return tuple(code for value in values for code in value.replace(",", " ").split())


@cli.command()
@click.option("--json", "as_json_flag", is_flag=True, help="Print the catalog as JSON.")
def rules(as_json_flag: bool) -> None:
    """List every rule: code, severity, and what it finds.

    \b
    Example:
        ca-incident rules
        ca-incident rules --json | jq '.[] | select(.severity == "error") | .code'
    """
    catalog = [RULES[code] for code in sorted(RULES)]
    if as_json_flag:
        click.echo(json.dumps([rule_json(r) for r in catalog], indent=2))
        return
    console = _out()
    for r in catalog:
        console.print(f"[bold]{r.code:<6}[/] {r.severity.value:<7} {safe(r.message)}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain one rule: what it checks, why, an example, how to fix it, and its source.

    \b
    Example:
        ca-incident explain TL002
    """
    found = RULES.get(code.upper())
    if found is None:
        raise CaIncidentError(f"no rule '{code}': 'ca-incident rules' lists them")
    click.echo(explain_rule(found), nl=False)


@cli.command("deadline")
@click.option(
    "--aware", type=TIMESTAMP, required=True, help="When the CA became aware of the reason."
)
@click.option(
    "--reason",
    type=click.IntRange(1, MAX_REASON),
    required=True,
    help="The 4.9.1.1 (or 4.9.1.2) reason number.",
)
@click.option("--smime", is_flag=True, help="Use the S/MIME Baseline Requirements' table.")
@click.option(
    "--ca-cert", is_flag=True, help="The certificate is a CA certificate (4.9.1.2, 7 days)."
)
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
def deadline_command(
    aware: datetime, reason: int, smime: bool, ca_cert: bool, as_json_flag: bool
) -> None:
    """When revocation must be complete: the BR window for the reason, from awareness.

    \b
    Example:
        ca-incident deadline --aware 2026-10-14T13:47Z --reason 12
        ca-incident deadline --aware 2026-10-14T13:47Z --reason 3 --smime --json
    """
    result = revocation_job.revocation_deadline_for(
        aware, reason, smime=smime, ca_certificate=ca_cert
    )
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    found = result.found.reason
    crl_reason = found.crl_reason or "not named by the text"
    _out().print(
        f"{found.section} #{reason} ({safe(found.text)}): revoke within "
        f"{found.window_hours} hours, by [bold]{report_time(result.due)}[/] "
        f"({iso_z(result.due)}); CRLReason {crl_reason}"
    )


@cli.command("revocation")
@click.argument("paths", nargs=-1, required=True, metavar="DIR|PATH...")
@click.option(
    "--crl",
    "crls",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A CRL file (DER or PEM); repeat for several.",
)
@click.option(
    "--issuer",
    "issuers",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="An issuer certificate to verify CRL signatures.",
)
@click.option("--aware", type=TIMESTAMP, help="When the revocation clock started.")
@click.option(
    "--reason",
    type=click.IntRange(1, MAX_REASON),
    help="The 4.9.1.1 (or 4.9.1.2) reason number.",
)
@click.option("--smime", is_flag=True, help="Use the S/MIME Baseline Requirements' table.")
@click.option("--ca-cert", is_flag=True, help="The certificates are CA certificates (4.9.1.2).")
@click.option("--as-of", type=TIMESTAMP, help="The moment to judge from (default: now).")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
@JOBS
def revocation_command(
    paths: tuple[str, ...],
    crls: tuple[str, ...],
    issuers: tuple[str, ...],
    aware: datetime | None,
    reason: int | None,
    smime: bool,
    ca_cert: bool,
    as_of: datetime | None,
    as_json_flag: bool,
    jobs: int,
) -> None:
    """Check revocation of the affected certificates against CRLs and the BR deadline.

    DIR is an incident folder: its problems' certificates, and its revocation section's
    reason, clock, CRLs and issuers (options override them). PATHs are certificates, read
    as one problem. Per problem: revoked on time, revoked late (median and maximum), not
    revoked and overdue, not revoked and still in time, expired unrevoked; the IRG progress
    numbers as a paragraph to paste; and a warning when a revocation-delay report is due.

    \b
    Example:
        ca-incident revocation examples/tls-ou-misissuance
        ca-incident revocation certs/ --crl ca.crl --issuer ca.pem \\
            --aware 2026-10-14T13:47Z --reason 12
    """
    moment = _now(as_of)
    crl_sources = [Source.of(c) for c in crls]
    issuer_sources = [Source.of(i) for i in issuers]
    if len(paths) == 1 and (Path(paths[0]) / INCIDENT_FILE).exists():
        folder = build_job.incident_folder(paths[0])
        result = revocation_job.check_incident_revocation(
            load_incident(folder),
            FolderFiles(folder),
            crls=crl_sources,
            issuers=issuer_sources,
            aware=aware,
            reason=reason,
            as_of=moment,
            jobs=jobs,
        )
    else:
        with _inputs(paths) as sources:
            result = revocation_job.check_revocation(
                sources,
                crls=crl_sources,
                issuers=issuer_sources,
                aware=aware,
                reason=reason,
                smime=smime,
                ca_certificate=ca_cert,
                as_of=moment,
                jobs=jobs,
            )
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        console = _out()
        if result.due is not None:
            console.print(f"[bold]deadline[/] {report_time(result.due)}")
        for p in result.problems:
            late = ""
            if p.revoked_late:
                late = f" (median {p.late_median_hours:,.1f} h, max {p.late_max_hours:,.1f} h)"
            parts = [
                f"{p.count:,} certificates",
                f"revoked on time {p.revoked_on_time:,}",
                f"revoked late {p.revoked_late:,}{late}",
                f"not revoked, overdue {p.not_revoked_overdue:,}",
                f"not revoked, in time {p.not_revoked_in_time:,}",
                f"expired unrevoked {p.expired_unrevoked:,}",
            ]
            if p.not_covered:
                parts.append(f"no CRL for the issuer {p.not_covered:,}")
            if p.backdated:
                parts.append(f"backdated (published after the deadline) {p.backdated:,}")
            if p.publication_not_shown:
                parts.append(
                    f"on time by revocationDate, publication not shown {p.publication_not_shown:,}"
                )
            console.print(f"[bold]{safe(p.name)}[/]: " + "; ".join(parts))
        console.print()
        console.print(safe(result.paragraph))
        for error in result.crl_errors:
            _err().print(f"[yellow]warning:[/] CRL {safe(error.source)}: {safe(error.error)}")
        if result.delay_report_required:
            _err().print(
                "[bold yellow]warning:[/] certificates were revoked late or are overdue: a "
                "separate revocation-delay report is required (MRSP 6.1.3; IRG 3.2 Analysis)"
            )
    if result.delay_report_required:
        sys.exit(EXIT_FINDINGS)


@cli.command("status")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as-of", type=TIMESTAMP, help="The moment to judge from (default: now).")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the deadlines as an iCalendar file.",
)
def status_command(
    folders: tuple[Path, ...], as_of: datetime | None, as_json_flag: bool, ics_file: Path | None
) -> None:
    """List every incident's clocks: what is due, overdue, and was late.

    FOLDERS are incident folders, or folders searched for them (default: the current one).
    The clocks (docs/clocks.md): first report (72 hours after awareness), Full report (14
    days after the initial disclosure), updates (the whiteboard's Next update, else 7 days;
    3 and 7 days on a revocation-delay bug; 3 days after an action item changes), answers to
    questions (7 days), the preliminary report on a problem report (24 hours, BR 4.9.5),
    revocation (BR 4.9.1), action items, and the closure request. --json lists every clock,
    met ones included. A folder whose incident.yaml does not load is listed with its errors;
    the others are still evaluated. Exit 1 when a MUST is overdue or a folder failed to
    load, so it can run from cron or CI.

    \b
    Example:
        ca-incident status incidents/
        ca-incident status examples --as-of 2026-11-27T12:00Z --ics deadlines.ics
    """
    with _progress("reading incidents") as update:
        result = status_job.status(
            list(folders) or [Path.cwd()], as_of=_now(as_of), progress=update
        )
    if ics_file is not None:
        ics_file.write_bytes(result.ics())
        _err().print(f"wrote {safe(ics_file)}")
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        console = _out()
        for entry in result.incidents:
            if entry.incident is None:
                console.print(f"[bold red]{safe(entry.path)}: does not load[/]")
                for line in entry.errors:
                    console.print(f"  {safe(line)}")
                continue
            console.print(
                f"[bold]{safe(entry.title)}[/] ({safe(entry.path)}, {entry.incident.stage.value})"
            )
            shown = [c for c in entry.clocks if c.open or c.late]
            if not any(c.open for c in shown):
                console.print("  no open deadlines")
            for c in shown:
                should = "" if c.must else " (SHOULD)"
                if c.overdue:
                    mark = "[bold red]OVERDUE[/]" if c.must else "[yellow]overdue[/]"
                    console.print(f"  {mark} {report_time(c.due)}  {safe(c.what)}{should}")
                elif c.late and c.done is not None:
                    console.print(
                        f"  [red]late[/]    {report_time(c.due)}  {safe(c.what)}{should}; "
                        f"done {report_time(c.done)}"
                    )
                else:
                    console.print(f"  due     {report_time(c.due)}  {safe(c.what)}{should}")
    if result.overdue or result.failed:
        sys.exit(EXIT_FINDINGS)


@cli.command("lint")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--profile",
    type=click.Choice(list(LINT_PROFILES)),
    default="auto",
    show_default=True,
    help="auto: TLS BR or S/MIME BR by the certificate's policy OIDs and EKU, else RFC 5280.",
)
@click.option(
    "--severity",
    type=click.Choice(list(LINT_SEVERITIES)),
    default="warning",
    show_default=True,
    help="Report findings of this severity and above.",
)
@click.option(
    "--select", multiple=True, metavar="CODE", help="Only finding codes starting with this."
)
@JOBS
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write, per finding code, a PEM file of its certificates, and findings.csv.",
)
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
def lint_command(
    paths: tuple[str, ...],
    profile: str,
    severity: str,
    select: tuple[str, ...],
    jobs: int,
    out: Path | None,
    as_json_flag: bool,
) -> None:
    """Find affected certificates with pkilint: one problem per finding code.

    Each worker keeps one pkilint validator per certificate type, so thousands of
    certificates lint as fast as pkilint allows. --out DIR writes DIR/<code>.pem for each
    finding code (a file an incident's problem can point to), DIR/findings.csv, and
    DIR/undecodable.pem for what pkilint could not decode. Ctrl-C stops cleanly and keeps
    what was written. Exit 1 when an error-severity finding is reported.

    \b
    Example:
        ca-incident lint examples/tls-ou-misissuance/certs --out lint/
        ca-incident lint issued/ --jobs 2 --severity error --json
    """
    console = _err()
    result = lint_job.LintResult()
    with _inputs(paths) as sources:
        total = lint_job.estimate_certificates(sources) if console.is_terminal else None
        try:
            with _progress("linting", total) as update:
                lint_job.lint(
                    sources,
                    profile=profile,
                    severity=severity,
                    select=select,
                    jobs=jobs,
                    out=out,
                    progress=update,
                    into=result,
                )
        except KeyboardInterrupt:
            result.interrupted = True
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        output = _out()
        linted, undecodable = result.certificates_linted, len(result.undecodable)
        output.print(f"linted {linted:,} certificates; undecodable {undecodable:,}")
        for p in sorted(result.problems.values(), key=lambda p: (-p.count, p.code)):
            first = report_time(p.first_not_before) if p.first_not_before else "?"
            last = report_time(p.last_not_before) if p.last_not_before else "?"
            output.print(
                f"  {p.severity.lower():<8}{p.count:>8,}  {safe(p.code)}  "
                f"(notBefore {first} to {last})"
            )
        for u in result.undecodable:
            output.print(f"  undecodable {safe(u.source)}#{u.index}: {safe(u.error)}")
    for path in result.written:
        console.print(f"wrote {safe(path)}")
    if result.interrupted:
        console.print(
            "[yellow]interrupted:[/] the results above cover what was linted before Ctrl-C"
        )
        sys.exit(EXIT_INTERRUPTED)
    if result.errors:
        sys.exit(EXIT_FINDINGS)


def main() -> None:
    cli(prog_name="ca-incident")


if __name__ == "__main__":
    main()
