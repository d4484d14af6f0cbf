"""The ``ca-incident`` command: parses options, calls one job, prints its result.

Every domain decision and every JSON document comes from the jobs in ``ca_incident.app``; this
module chooses words, colours and exit codes. Text from users and certificates is printed
escaped (see :func:`safe`), never as Rich markup.

Exit codes: 0 ok; 1 findings or something overdue; 2 usage or input error; 130 interrupted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

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

from ca_incident import __version__, templates
from ca_incident.certs.read import MAX_BYTES
from ca_incident.engines import (
    ENGINES,
    SCHEDULER_VARIABLE,
    Engine,
    EngineName,
    from_environment,
    open_engine,
)
from ca_incident.errors import CaIncidentError
from ca_incident.lint import PROFILES as LINT_PROFILES
from ca_incident.lint import SEVERITIES as LINT_SEVERITIES
from ca_incident.model import CONTROL_CHARACTERS
from ca_incident.outputs import write_bytes, write_text
from ca_incident.revocation.deadlines import MAX_REASON
from ca_incident.sources import Source, outside_allowed
from ca_incident.timeutil import (
    TimestampError,
    iso_z,
    parse_date,
    parse_timestamp,
    report_time,
    utc_now,
)


def _lazy(name: str) -> ModuleType:
    """A module loaded when first used (the standard library's LazyLoader recipe): each
    command loads only the jobs it runs, so ``certs summarize`` does not wait for the
    Bugzilla client, the report renderer and the checker to load."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from ca_incident import incident_file
    from ca_incident import whiteboard as whiteboard_words
    from ca_incident.app import bugzilla as bugzilla_job
    from ca_incident.app import build as build_job
    from ca_incident.app import certs as certs_job
    from ca_incident.app import check as check_job
    from ca_incident.app import lint as lint_job
    from ca_incident.app import revocation as revocation_job
    from ca_incident.app import status as status_job
    from ca_incident.certs.evidence import Evidence
    from ca_incident.checks import output as check_output
    from ca_incident.revocation.crl import CrlError
    from ca_incident.revocation.status import ProblemRevocation
else:
    bugzilla_job = _lazy("ca_incident.app.bugzilla")
    build_job = _lazy("ca_incident.app.build")
    certs_job = _lazy("ca_incident.app.certs")
    check_job = _lazy("ca_incident.app.check")
    lint_job = _lazy("ca_incident.app.lint")
    revocation_job = _lazy("ca_incident.app.revocation")
    status_job = _lazy("ca_incident.app.status")
    check_output = _lazy("ca_incident.checks.output")
    incident_file = _lazy("ca_incident.incident_file")
    whiteboard_words = _lazy("ca_incident.whiteboard")

EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
STDIN = "-"


def visible(text: object) -> str:
    """Text with its control characters (ANSI escapes, OSC links, BEL, bidirectional
    overrides) shown as ``\\x1b``-style escapes instead of acting on the terminal; line breaks
    and tabs kept."""
    return CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def safe(text: object) -> str:
    """User or certificate text made fit for a Rich console: :func:`visible`, with markup
    escaped. A trailing backslash is escaped by Rich's own rule and then closed with an empty
    span, so it shows once whatever follows it."""
    escaped = escape(visible(text))
    return escaped + "[dim][/dim]" if escaped.endswith("\\") else escaped


def _data_out(text: str) -> None:
    """Data (a report, a CSV) to standard output exactly as made: nothing stripped when it
    goes to a file or a pipe, control characters made visible on a terminal."""
    sys.stdout.write(visible(text) if sys.stdout.isatty() else text)
    sys.stdout.flush()


class Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """An ISO 8601 date-time with ``Z`` or an offset, or a date alone (``2026-11-27``), which
    means 00:00 UTC that day: options name moments to judge by, not moments that happened."""

    name = "TIMESTAMP"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            day = parse_date(str(value))
        except TimestampError:
            pass
        else:
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
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

ALLOW_OUTSIDE = click.option(
    "--allow-outside",
    is_flag=True,
    help="Let incident.yaml name inputs outside the incident folder (refused by default).",
)

JOBS = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes that parse certificates.",
)


_MOST_GIB = 1 << 20
"""A pebibyte: more than any input, and still a whole number of bytes."""


def _input_limit(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value) or not 1 / (1 << 30) <= value <= _MOST_GIB:
        raise click.BadParameter(
            f"{value!r} is not a size in GiB from 1 byte (about 1e-9) to {_MOST_GIB:,}"
        )
    return value


MAX_INPUT = click.option(
    "--max-input-gib",
    type=float,
    default=MAX_BYTES / (1 << 30),
    show_default=True,
    callback=_input_limit,
    help="How much a compressed (.gz) input may hold once decompressed, in GiB: more is "
    "refused, not read (a gzip bomb); raise it for a genuine larger input.",
)


def _gib(value: float) -> int:
    return int(value * (1 << 30))


# Options of the commands that talk to Bugzilla (and of `check bug:N`).

BUGZILLA_URL = click.option(
    "--bugzilla-url",
    metavar="URL",
    help="The Bugzilla to use (default: $CA_INCIDENT_BUGZILLA_URL, the config file's url, or "
    "https://bugzilla.mozilla.org); https, or http on loopback only.",
)
CACHE = click.option(
    "--cache",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The cache file (default: $CA_INCIDENT_CACHE, or bugzilla.sqlite in the user's cache "
    "folder).",
)
CA_ACCOUNTS = click.option(
    "--ca-account",
    "ca_accounts",
    multiple=True,
    metavar="ACCOUNT",
    help="An account that posts for the CA, besides those the bug shows (repeatable).",
)
OFFLINE = click.option("--offline", is_flag=True, help="Use the cache only; ask Bugzilla nothing.")


class BugArgument(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """A bug: its number, bug:NUMBER, or a show_bug.cgi URL."""

    name = "BUG"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return bugzilla_job.bug_number(str(value))
        except CaIncidentError as exc:
            self.fail(str(exc), param, ctx)


BUG = BugArgument()


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
    return Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True, emoji=False)


def _now(as_of: datetime | None) -> datetime:
    return as_of or utc_now()


def _stdin_text() -> str:
    """Standard input as UTF-8 text, as a file is read: bytes that are not UTF-8 are an input
    error, not text with holes in it."""
    if sys.stdin is None:
        raise CaIncidentError("-: standard input is closed")
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaIncidentError(f"-: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


@contextmanager
def _inputs(paths: tuple[str, ...]) -> Iterator[list[Source]]:
    """The inputs as sources; standard input (``-``) is copied to a temporary file first,
    since pairing may read the inputs twice, and the copy is removed however the command
    ends."""
    if paths.count(STDIN) > 1:
        raise click.UsageError("standard input (-) can be given once")
    if STDIN in paths and sys.stdin is None:
        raise CaIncidentError("-: standard input is closed")
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
    path = incident_file.create_incident_folder(folder, ca_owner, title)
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
    click.echo(incident_file.json_schema(), nl=False)


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
@ALLOW_OUTSIDE
def render_command(
    folder: Path, template: str, output: Path | None, as_of: datetime | None, allow_outside: bool
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
        allow_outside=allow_outside,
    )
    text = result.report or ""
    if output is None:
        _data_out(text)
    else:
        write_text(output, text)
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
@MAX_INPUT
@ALLOW_OUTSIDE
@BUGZILLA_URL
@CACHE
def build(
    folder: Path,
    out: Path | None,
    as_of: datetime | None,
    as_json_flag: bool,
    jobs: int,
    max_input_gib: float,
    allow_outside: bool,
    bugzilla_url: str | None,
    cache: Path | None,
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
    result = check_job.build_and_check(
        folder,
        out,
        as_of=_now(as_of),
        jobs=jobs,
        max_bytes=_gib(max_input_gib),
        allow_outside=allow_outside,
        bugzilla=bugzilla_job.settings(bugzilla_url, cache),
    )
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
                visible(check_job.CheckResult(result.findings).formatted("text")),
                end="",
                markup=False,
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


def _engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--engine and --scheduler: where the certificates are read (and linted)."""
    command = click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help=f"The Dask scheduler for --engine dask (default: ${SCHEDULER_VARIABLE}; "
        "with neither, a LocalCluster of --jobs processes, or one per core, on this machine).",
    )(command)
    return click.option(
        "--engine",
        "engine_name",
        type=click.Choice(ENGINES),
        default="local",
        show_default=True,
        help="local: --jobs processes on this machine; dask: partitions on a Dask cluster's "
        "workers, with the same answers (pip install 'ca-incident[dask]'; see docs/scale.md).",
    )(command)


@contextmanager
def _engine(
    name: EngineName, scheduler: str | None, jobs: int, label: str, total: int | None = None
) -> Iterator[tuple[Engine, Callable[[int], None] | None]]:
    """The engine chosen, with the progress to give the job: certificates done for the local
    engine; on a cluster the engine itself shows partitions and certificates."""
    if name == "local":
        if scheduler is not None:
            raise click.UsageError("--scheduler is for --engine dask")
        with open_engine("local", jobs=jobs) as engine, _progress(label, total) as update:
            yield engine, update
        return
    address = from_environment(scheduler, dict(os.environ))
    console = _err()
    if not console.is_terminal:
        with open_engine("dask", jobs=jobs, scheduler=address) as engine:
            yield engine, None
        return
    columns = (
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} partitions"),
        TextColumn("{task.fields[certificates]:,} certificates"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, certificates=0)

        def show(done: int, partitions: int, certificates: int) -> None:
            bar.update(task, completed=done, total=partitions, certificates=certificates)

        with open_engine("dask", jobs=jobs, scheduler=address, progress=show) as engine:
            yield engine, None


@certs.command("summarize")
@PATHS
@click.option("--problem", default="certificates", show_default=True, help="Name of the problem.")
@click.option(
    "--as-of",
    type=TIMESTAMP,
    help="Count as remaining valid what is unexpired then (default: now).",
)
@JOBS
@MAX_INPUT
@_engine_options
@click.option("--list", "list_", is_flag=True, help="List every certificate as well.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--include-pii", is_flag=True, help="Show subjects and names of S/MIME certificates.")
def certs_summarize(
    paths: tuple[str, ...],
    problem: str,
    as_of: datetime | None,
    jobs: int,
    max_input_gib: float,
    engine_name: EngineName,
    scheduler: str | None,
    list_: bool,
    as_json: bool,
    include_pii: bool,
) -> None:
    """Count a problem's certificates: total (a precertificate and its certificate once),
    precertificates without their certificate, first and last notBefore, remaining valid,
    kinds and validation types. Certificates that cannot be parsed are still counted, and
    listed under errors. Exit 2 when some input is not a certificate at all (a line of a
    hash or base64 list that is neither, a damaged .gz, a file with nothing certificate-like):
    the figures may then be incomplete. Text around PEM blocks (openssl x509 -text) is skipped.

    \b
    Example:
        ca-incident certs summarize examples/tls-ou-misissuance/certs --as-of 2026-10-14T14:30Z
        ca-incident certs summarize certs/ hashes.txt --problem ou-in-subject --json --list
        ca-incident certs summarize issued/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    with (
        _inputs(paths) as sources,
        _engine(engine_name, scheduler, jobs, "reading certificates") as (engine, update),
    ):
        result = certs_job.summarize(
            sources,
            problem=problem,
            as_of=_now(as_of),
            jobs=jobs,
            max_bytes=_gib(max_input_gib),
            include_list=list_,
            include_pii=include_pii,
            progress=update,
            engine=engine,
        )
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        _print_summary(result.evidence)
    _exit_if_unread(result.evidence)


def _exit_if_unread(evidence: Evidence) -> None:
    """Exit 2 when some input was read as no certificate: the figures may be incomplete, and
    a script must not take them as the whole count."""
    unread = evidence.unread
    if unread:
        _err().print(
            f"[bold red]error:[/] {len(unread):,} input(s) could not be read as certificates: "
            "the figures may be incomplete"
        )
        sys.exit(EXIT_INPUT)


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
    if s.validity_unknown:
        unknown = f"{s.validity_unknown:,} (not counted as remaining valid)"
        rows.append(("validity unknown", unknown))
    if s.fingerprints_only:
        rows.append(("known by SHA-256 only", f"{s.fingerprints_only:,}"))
    if s.unreadable:
        rows.append(("unparseable", f"{s.unreadable:,} (counted; listed by SHA-256 below)"))
    for key, value in rows:
        console.print(f"[bold]{key:<22}[/]{safe(value)}")
    if evidence.certificates:
        # One line per certificate, whole: hashes are never cut to fit the terminal.
        console.print(
            "[bold]certificate SHA-256, precertificate SHA-256, serial, notBefore, kind[/]"
        )
        for record in evidence.certificates:
            final = "" if record.precertificate else record.sha256
            precert = record.sha256 if record.precertificate else record.precert_sha256 or ""
            moment = iso_z(record.not_before) if record.not_before else "-"
            console.print(
                f"{final or '-'} {precert or '-'} {safe(record.serial or '-')} {moment} "
                f"{record.kind}",
                overflow="ignore",
                crop=False,
            )
    if evidence.warnings:
        console.print(f"[yellow]{len(evidence.warnings)} certificate(s) read with a problem:[/]")
        for warning in evidence.warnings:
            where = f"{warning.source}#{warning.index}"
            console.print(f"  {safe(where)} sha256={warning.sha256}: {safe(warning.error)}")
    if evidence.errors:
        console.print(
            f"[bold yellow]{len(evidence.errors)} input(s) could not be read as certificates:[/]"
        )
        for error in evidence.errors:
            where = f"{error.source}#{error.index}"
            sha = f" sha256={error.sha256}" if error.sha256 else ""
            console.print(f"  {safe(where)}{sha}: {safe(error.error)}")


def _crl_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--crl, --issuer and --unverified: the CRLs, and the certificates that verify them."""
    options = (
        click.option(
            "--crl",
            "crls",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="A CRL file (DER or PEM); repeat for several.",
        ),
        click.option(
            "--issuer",
            "issuers",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="An issuer certificate that verifies CRL signatures; repeat for several. "
            "A CRL none verifies is not used.",
        ),
        click.option(
            "--unverified",
            is_flag=True,
            help="Also use CRLs no issuer certificate given is named for; what rests on them "
            "is marked unverified and never complete.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


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
    "--as-of",
    type=TIMESTAMP,
    help="The moment judged: expired by then is 'N/A', CRLs in force then (default: now).",
)
@_crl_options
@click.option(
    "--deadline",
    "due",
    type=TIMESTAMP,
    help="The revocation deadline ('ca-incident deadline'): not revoked past it is 'Delayed'.",
)
@click.option(
    "--planned",
    type=TIMESTAMP,
    help="When the CA plans to complete revocation: the date of Planned and Delayed rows.",
)
@JOBS
@MAX_INPUT
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
    crls: tuple[str, ...],
    issuers: tuple[str, ...],
    unverified: bool,
    due: datetime | None,
    planned: datetime | None,
    jobs: int,
    max_input_gib: float,
    include_pii: bool,
) -> None:
    """Write the IRG 3.2 Appendix: the CSV of affected certificates, columns in the IRG's
    order with Problem to their right, or a list of https://crt.sh/?sha256= lines.

    Is revoked? comes from the CRLs given (--crl) that an issuer certificate given verifies
    (--issuer): Yes, with the CRL entry's date and reason; N/A for a certificate expired
    before it was revoked; else Planned, or Delayed past --deadline, dated --planned (N/A
    without it). A certificate no CRL shows revoked or not revoked is shown so too, and
    reported: with --crl, the exit status is then 1. Exit 2 when some input is not a
    certificate at all (a line of a hash or base64 list that is neither, a damaged .gz, a
    file with nothing certificate-like); the file is written all the same.

    \b
    Example:
        ca-incident certs appendix examples/tls-ou-misissuance/certs -o appendix.csv \\
            --crtsh crtsh.txt --problem ou-in-subject \\
            --crl examples/tls-ou-misissuance/crl/ovtlsg2-2026-10-19.crl \\
            --issuer examples/ca/ov-tls-issuing-ca-g2.pem
    """
    with _inputs(paths) as sources, _progress("reading certificates") as update:
        result = certs_job.appendix(
            sources,
            problem=problem,
            as_of=_now(as_of),
            form=form,
            jobs=jobs,
            max_bytes=_gib(max_input_gib),
            include_pii=include_pii,
            progress=update,
            crls=[Source.of(c) for c in crls],
            issuers=[Source.of(i) for i in issuers],
            unverified=unverified,
            due=due,
            planned=planned,
        )
    if output is None:
        _data_out(result.text)
    else:
        write_text(output, result.text)
        shown = "CSV" if result.form == "csv" else "crt.sh list"
        _err().print(f"wrote {safe(output)} ({shown}, {result.rows:,} rows)")
    if crtsh is not None:
        write_text(crtsh, result.crtsh)
        _err().print(f"wrote {safe(crtsh)}")
    if result.evidence.errors:
        _err().print(
            f"[yellow]warning:[/] {len(result.evidence.errors)} input(s) could not be read as "
            "certificates; 'ca-incident certs summarize' lists them"
        )
    if result.revocation is not None:
        _revocation_warnings(result.crl_errors, [result.revocation])
    elif result.form == "csv":
        _err().print(
            "[yellow]warning:[/] no --crl: no certificate is shown revoked; the unexpired ones "
            "are marked as not revoked"
        )
    _exit_if_unread(result.evidence)
    if result.revocation is not None and not result.revocation.proven:
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text: a line per file saying what it was recognised as, then path:line:col: CODE "
    "severity message, and a summary on standard error; json: {files, findings}; SARIF 2.1.0.",
)
@click.option(
    "--as-of",
    type=TIMESTAMP,
    help="The moment to judge due dates by (default: now); a date alone, e.g. 2026-11-27, "
    "means 00:00 UTC that day.",
)
@click.option(
    "--posted",
    type=TIMESTAMP,
    help="When the report was (or will be) posted, for template currency (default: --as-of); "
    "a date alone means 00:00 UTC that day.",
)
@click.option(
    "--select", multiple=True, metavar="CODES", help="Only rules starting with these codes."
)
@click.option(
    "--ignore", multiple=True, metavar="CODES", help="Skip rules starting with these codes."
)
@click.option(
    "--template",
    type=click.Choice(templates.names(recognised=True), case_sensitive=False),
    metavar="TEMPLATE",
    help="Check as this template (a name or alias, irg-2.0-audit included) instead of the one "
    "recognised (an incident folder is rendered with it).",
)
@click.option(
    "--whiteboard",
    default="",
    help="The bug's whiteboard, e.g. '[ca-compliance] [leaf-revocation-delay]'.",
)
@click.option(
    "--truncated/--whole",
    default=None,
    help="Say the texts are cut short (the rules that find missing parts then judge only "
    "what comes before the end, and GEN003 names them), or whole. Default: a text is cut "
    "only when it shows it, e.g. ends mid-word or mid-table-row.",
)
@click.option(
    "--third-party",
    is_flag=True,
    help="The reports were written by a third-party reporter, not by the CA Owner: IRG fields "
    "marked with an asterisk are not required in their Preliminary reports.",
)
@ALLOW_OUTSIDE
@BUGZILLA_URL
@CACHE
@OFFLINE
def check(
    paths: tuple[str, ...],
    form: str,
    as_of: datetime | None,
    posted: datetime | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    template: str | None,
    whiteboard: str,
    truncated: bool | None,
    third_party: bool,
    allow_outside: bool,
    bugzilla_url: str | None,
    cache: Path | None,
    offline: bool,
) -> None:
    """Check incident reports against the root programs' requirements.

    PATH is a Markdown report, a CSV appendix, a crt.sh list, an incident folder (rendered as
    build would, then checked with its attachments), - for standard input, or a bug (bug:N
    or its show_bug.cgi URL: every report comment checked at its real posting time, with the
    bug's whiteboard, and its CSV attachments). A report is read together with the appendix
    and crt.sh lists given beside it (in its folder, or all of them with one report), so its
    counts are compared with theirs. Each file's first line says which template and stage it
    was recognised as. Exit 0 without an error-severity finding, 1 with one, 2 on usage or
    input errors.

    \b
    Example:
        ca-incident check bug:2007948
        ca-incident check report.md --posted 2025-06-02
        ca-incident check report.md appendix.csv --as-of 2026-11-27
        ca-incident check examples/tls-ou-misissuance --format sarif > findings.sarif
        ca-incident check appendix.csv crtsh.txt --select APX
    """
    options = check_job.CheckOptions(
        as_of=_now(as_of),
        posted=posted,
        whiteboard=whiteboard_words.words(whiteboard),
        select=_codes(select),
        ignore=_codes(ignore),
        template=template,
        truncated=truncated,
        third_party=third_party,
    )
    if paths.count(STDIN) > 1:
        raise click.UsageError("standard input (-) can be given once")
    stdin = _stdin_text() if STDIN in paths else None
    bugs = [(path, bugzilla_job.bug_reference(path)) for path in paths]
    for path, bug in bugs:
        if bug is None and path.lower().startswith("bug:"):
            raise click.UsageError(f"'{path}': bug:N needs a bug number, e.g. bug:2007948")
    local = [path for path, bug in bugs if bug is None]
    result = check_job.CheckResult()
    if local:
        with outside_allowed(allow_outside):
            result.add(check_job.check_paths(local, options, stdin=stdin))
    for _, bug in bugs:
        if bug is not None:
            settings = bugzilla_job.settings(bugzilla_url, cache)
            result.add(bugzilla_job.check_bug(bug, settings, options, offline=offline))
    shown = result.output(form)
    click.echo(visible(shown) if form == "text" else shown, nl=False)
    if form == "text":
        click.echo(result.summary(), err=True)
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
    catalog = check_output.catalog()
    if as_json_flag:
        click.echo(json.dumps([check_output.rule_json(r) for r in catalog], indent=2))
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
    found = check_output.find_rule(code)
    if found is None:
        raise CaIncidentError(f"no rule '{code}': 'ca-incident rules' lists them")
    click.echo(check_output.explain(found), nl=False)


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
@_crl_options
@click.option("--aware", type=TIMESTAMP, help="When the revocation clock started.")
@click.option(
    "--reason",
    type=click.IntRange(1, MAX_REASON),
    help="The 4.9.1.1 (or 4.9.1.2) reason number.",
)
@click.option("--smime", is_flag=True, help="Use the S/MIME Baseline Requirements' table.")
@click.option("--ca-cert", is_flag=True, help="The certificates are CA certificates (4.9.1.2).")
@click.option("--as-of", type=TIMESTAMP, help="The moment to judge from (default: now).")
@click.option(
    "--json",
    "as_json_flag",
    is_flag=True,
    help="Print one JSON object, with each certificate's state and the CRL that shows it.",
)
@JOBS
@MAX_INPUT
@ALLOW_OUTSIDE
def revocation_command(
    paths: tuple[str, ...],
    crls: tuple[str, ...],
    issuers: tuple[str, ...],
    unverified: bool,
    aware: datetime | None,
    reason: int | None,
    smime: bool,
    ca_cert: bool,
    as_of: datetime | None,
    as_json_flag: bool,
    jobs: int,
    max_input_gib: float,
    allow_outside: bool,
) -> None:
    """Check revocation of the affected certificates against CRLs and the BR deadline.

    DIR is an incident folder: its problems' certificates, and its revocation section's
    reason, clock, CRLs and issuers (options override them). PATHs are certificates, read
    as one problem. Per problem: revoked on time, revoked late (median and maximum), not
    revoked and overdue, not revoked and still in time, expired unrevoked, unknown; the IRG
    progress numbers as a paragraph to paste; and a warning when a revocation-delay report is
    due.

    Only CRLs whose signature verifies with an issuer certificate given are used. A
    certificate is revoked when one lists it (a certificateHold entry is not a revocation);
    not revoked when a CRL of its issuer that covers all its certificates (not a partition)
    is in force at the moment judged, or was published after it, and does not list it; else
    unknown. Exit status 1 when a revocation-delay report is due, or when a certificate is
    unknown or rests on an unverified CRL: revocation is complete only when verified CRLs
    show it.

    \b
    Example:
        ca-incident revocation examples/tls-ou-misissuance
        ca-incident revocation certs/ --crl ca.crl --issuer ca.pem \\
            --aware 2026-10-14T13:47Z --reason 12
    """
    moment = _now(as_of)
    crl_sources = [Source.of(c) for c in crls]
    issuer_sources = [Source.of(i) for i in issuers]
    named = Path(paths[0]) if len(paths) == 1 else None
    if named is not None and (
        (named / incident_file.INCIDENT_FILE).exists()
        or (named.name == incident_file.INCIDENT_FILE and named.is_file())
    ):
        folder = build_job.incident_folder(paths[0])
        incident = incident_file.load_incident(folder)
        result = revocation_job.check_incident_revocation(
            incident,
            build_job.incident_files(folder, incident, allow_outside=allow_outside),
            crls=crl_sources,
            issuers=issuer_sources,
            aware=aware,
            reason=reason,
            as_of=moment,
            jobs=jobs,
            max_bytes=_gib(max_input_gib),
            unverified=unverified,
            certificates=as_json_flag,
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
                max_bytes=_gib(max_input_gib),
                unverified=unverified,
                certificates=as_json_flag,
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
            if p.unknown:
                parts.append(f"unknown (no CRL shows) {p.unknown:,}")
            if p.on_hold:
                parts.append(f"on hold (not revoked) {p.on_hold:,}")
            if p.unverified:
                parts.append(f"shown by unverified CRLs {p.unverified:,}")
            if p.backdated:
                parts.append(f"backdated (published after the deadline) {p.backdated:,}")
            if p.publication_not_shown:
                parts.append(
                    f"on time by revocationDate, publication not shown {p.publication_not_shown:,}"
                )
            console.print(f"[bold]{safe(p.name)}[/]: " + "; ".join(parts))
        console.print()
        console.print(safe(result.paragraph))
        _revocation_warnings(result.crl_errors, result.problems)
        if result.delay_report_required:
            _err().print(
                "[bold yellow]warning:[/] certificates were revoked late or are overdue: a "
                "separate revocation-delay report is required (MRSP 6.1.3; IRG 3.2 Analysis)"
            )
    if result.delay_report_required or not result.proven:
        sys.exit(EXIT_FINDINGS)


def _revocation_warnings(errors: list[CrlError], problems: list[ProblemRevocation]) -> None:
    """The CRLs not used (or used unverified), and the certificates no CRL shows, by why."""
    err = _err()
    for error in errors:
        err.print(f"[yellow]warning:[/] CRL {safe(error.source)}: {safe(error.error)}")
    if any(e.unverified and not e.used for e in errors):
        err.print(
            "  give the issuer certificate of each with --issuer, or --unverified to use "
            "them anyway"
        )
    unknowns = [u for p in problems for u in p.unknowns]
    if unknowns:
        whys = Counter(u.why for u in unknowns).most_common()
        err.print(
            f"[bold yellow]warning:[/] the revocation of {len(unknowns):,} certificate(s) is "
            "unknown, so revocation is not shown complete:"
        )
        for why, count in whys:
            err.print(f"  {count:,}: {safe(why)}")
        for u in unknowns[:5]:
            err.print(f"  serial {safe(u.serial or '?')} issuer {safe(u.issuer or '?')}")
        if len(unknowns) > 5:
            err.print(f"  and {len(unknowns) - 5:,} more (--json lists them)")
    unverified = sum(p.unverified for p in problems)
    if unverified:
        err.print(
            f"[bold yellow]warning:[/] the state of {unverified:,} certificate(s) rests on CRLs "
            "whose signatures were not verified: revocation is not shown complete"
        )


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
@click.option(
    "--sync", is_flag=True, help="Fetch each incident's bug from Bugzilla first (else the cache)."
)
@BUGZILLA_URL
@CACHE
def status_command(
    folders: tuple[Path, ...],
    as_of: datetime | None,
    as_json_flag: bool,
    ics_file: Path | None,
    sync: bool,
    bugzilla_url: str | None,
    cache: Path | None,
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
    load, so it can run from cron or CI. An incident with a bug is judged on what the bug
    shows (posted times, the whiteboard's Next update, questions) from the Bugzilla cache, and
    where the file and the bug differ it is said.

    \b
    Example:
        ca-incident status incidents/
        ca-incident status examples --as-of 2026-11-27T12:00Z --ics deadlines.ics
        ca-incident status incidents/ --sync
    """
    settings = bugzilla_job.settings(bugzilla_url, cache)
    with _progress("reading incidents") as update:
        result = status_job.status(
            list(folders) or [Path.cwd()],
            as_of=_now(as_of),
            progress=update,
            bugzilla=settings,
            sync=sync,
        )
    if ics_file is not None:
        write_bytes(ics_file, result.ics())
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
            for line in entry.differences:
                console.print(f"  [yellow]differs[/] {safe(line)}")
            for warning in entry.warnings:
                _err().print(f"[yellow]warning:[/] {safe(warning)}")
            _print_clocks(console, entry.clocks)
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
@MAX_INPUT
@_engine_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write, per finding code, a PEM file of its certificates, and findings.csv.",
)
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
@click.option(
    "--include-pii",
    is_flag=True,
    help="Keep finding messages on S/MIME certificates (they quote names and e-mail addresses).",
)
def lint_command(
    paths: tuple[str, ...],
    profile: str,
    severity: str,
    select: tuple[str, ...],
    jobs: int,
    max_input_gib: float,
    engine_name: EngineName,
    scheduler: str | None,
    out: Path | None,
    as_json_flag: bool,
    include_pii: bool,
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
        ca-incident lint issued/ --engine dask --scheduler tcp://10.0.0.5:8786 --out lint/
    """
    console = _err()
    result = lint_job.LintResult()
    with _inputs(paths) as sources:
        local = engine_name == "local" and console.is_terminal
        total = lint_job.estimate_certificates(sources) if local else None
        try:
            with _engine(engine_name, scheduler, jobs, "linting", total) as (engine, update):
                lint_job.lint(
                    sources,
                    profile=profile,
                    severity=severity,
                    select=select,
                    jobs=jobs,
                    max_bytes=_gib(max_input_gib),
                    out=out,
                    include_pii=include_pii,
                    progress=update,
                    into=result,
                    engine=engine,
                )
        except KeyboardInterrupt:
            result.interrupted = True
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        output = _out()
        linted, undecodable = result.certificates_linted, len(result.undecodable)
        dropped = f"; duplicates {result.duplicates:,}" if result.duplicates else ""
        output.print(f"linted {linted:,} certificates; undecodable {undecodable:,}{dropped}")
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


# Bugzilla: where the incident lives.


@contextmanager
def _counted(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar whose total is learnt from the first report (a search's size); nothing
    in a pipe."""
    console = _err()
    if not console.is_terminal:
        yield None
        return
    columns = [
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@cli.group("bugzilla")
def bugzilla_group() -> None:
    """Read incidents from Bugzilla: keep bugs in a local cache, show one, check its reports.

    Reading needs no API key. Posting (`ca-incident post`) needs one, from BUGZILLA_API_KEY
    or a config file readable by its owner only; it is sent only in the X-BUGZILLA-API-KEY
    header. See docs/bugzilla.md.

    \b
    Example:
        ca-incident bugzilla sync --ca-compliance
        ca-incident bugzilla show 2007948
        ca-incident bugzilla check https://bugzilla.mozilla.org/show_bug.cgi?id=2007948
    """


@bugzilla_group.command("sync")
@click.argument("bugs", nargs=-1, type=BUG, metavar="[BUG]...")
@click.option(
    "--ca-compliance",
    is_flag=True,
    help="Every CA Program :: CA Certificate Compliance bug changed since the last sync.",
)
@click.option(
    "--since",
    type=TIMESTAMP,
    help="With --ca-compliance: bugs changed since then, not since the last sync.",
)
@BUGZILLA_URL
@CACHE
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
def bugzilla_sync(
    bugs: tuple[int, ...],
    ca_compliance: bool,
    since: datetime | None,
    bugzilla_url: str | None,
    cache: Path | None,
    as_json_flag: bool,
) -> None:
    """Bring bugs into the local cache: their fields, flags, comments, attachments' metadata
    and history.

    With --ca-compliance, every CA Certificate Compliance bug, incrementally: only bugs
    changed since the last sync are fetched. Ctrl-C stops cleanly; running the same command
    again resumes where it stopped. Exit 2 when a bug cannot be read.

    \b
    Example:
        ca-incident bugzilla sync 2007948 1999001
        ca-incident bugzilla sync --ca-compliance --since 2026-01-01
    """
    if not bugs and not ca_compliance:
        raise click.UsageError("name bugs to sync, or pass --ca-compliance")
    if since is not None and not ca_compliance:
        raise click.UsageError("--since goes with --ca-compliance")
    settings = bugzilla_job.settings(bugzilla_url, cache)
    with _counted("syncing bugs") as update:
        if ca_compliance:
            result = bugzilla_job.sync_ca_compliance(settings, since=since, progress=update)
            if bugs and not result.interrupted:
                more = bugzilla_job.sync_bugs(list(bugs), settings, progress=update)
                result.synced += more.synced
                result.unchanged += more.unchanged
                result.errors += more.errors
                result.interrupted = more.interrupted
        else:
            result = bugzilla_job.sync_bugs(list(bugs), settings, progress=update)
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        console = _out()
        resumed = f", {result.resumed:,} left by an interrupted sync" if result.resumed else ""
        matched = f" of {result.matched:,} found" if result.matched is not None else ""
        console.print(
            f"synced {len(result.synced):,} bug(s){matched}, {result.unchanged:,} unchanged"
            f"{resumed}: {safe(result.server)} -> {safe(result.cache)}"
        )
        if result.watermark is not None:
            console.print(f"next --ca-compliance sync starts at {iso_z(result.watermark)}")
    for error in result.errors:
        _err().print(f"[bold red]error:[/] {safe(error)}")
    if result.interrupted:
        _err().print(
            "[yellow]interrupted:[/] what was fetched is kept; run the same command again to resume"
        )
        sys.exit(EXIT_INTERRUPTED)
    if result.errors:
        sys.exit(EXIT_INPUT)


def _print_clocks(console: Console, clocks: list[Any]) -> None:
    shown = [c for c in clocks if c.open or c.late]
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


@bugzilla_group.command("show")
@click.argument("bug", type=BUG)
@click.option("--as-of", type=TIMESTAMP, help="The moment to judge clocks by (default: now).")
@OFFLINE
@CA_ACCOUNTS
@BUGZILLA_URL
@CACHE
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
def bugzilla_show(
    bug: int,
    as_of: datetime | None,
    offline: bool,
    ca_accounts: tuple[str, ...],
    bugzilla_url: str | None,
    cache: Path | None,
    as_json_flag: bool,
) -> None:
    """Show what a bug says about its incident.

    The whiteboard and its Next update; each comment that is a report, with its template,
    stage and the checker's findings at its real posting time; each question from someone
    other than the CA, with its 7-day clock and whether the CA answered; the open needinfo
    flags; and every clock the bug's own timestamps decide. The bug is synced first unless
    --offline. Exit 1 when a MUST clock is overdue.

    \b
    Example:
        ca-incident bugzilla show 2007948
        ca-incident bugzilla show bug:2007948 --offline --json
    """
    settings = bugzilla_job.settings(bugzilla_url, cache, ca_accounts)
    result = bugzilla_job.show_bug(
        bug, settings, as_of=_now(as_of), offline=offline, ca_accounts=ca_accounts
    )
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        _print_show(result)
    if result.overdue:
        sys.exit(EXIT_FINDINGS)


def _print_show(result: bugzilla_job.ShowResult) -> None:
    console = _out()
    facts = result.facts
    bug = facts.cached.bug
    state = f"{bug.status} {bug.resolution}".strip()
    console.print(f"[bold]Bug {bug.id}: {safe(bug.summary)}[/] ({safe(state)})")
    console.print(f"  {safe(result.url)}/show_bug.cgi?id={bug.id}")
    next_up = facts.next_update.isoformat() if facts.next_update else "not set"
    console.print(f"  whiteboard   {safe(bug.whiteboard) or '(empty)'}")
    console.print(f"  Next update  {next_up}")
    console.print(f"  stage        {facts.stage.value} (from the CA's reports)")
    console.print(f"  CA accounts  {safe(', '.join(sorted(facts.ca_accounts)) or 'none known')}")
    console.print(f"  awareness    {report_time(result.aware)} ({safe(result.aware_source)})")
    console.print("[bold]reports[/]")
    if not facts.reports:
        console.print("  none recognised")
    for report in facts.reports:
        comment = report.comment
        findings = result.findings.get(comment.count, [])
        errors = sum(1 for f in findings if f.severity.value == "error")
        who = "the CA" if report.by_ca else "not the CA"
        console.print(
            f"  comment {comment.count:<4} {report_time(comment.time)}  "
            f"{safe(report.template.title)}  by {safe(comment.creator)} ({who}); "
            f"{errors} error(s), {len(findings) - errors} other finding(s)"
        )
        for finding in findings:
            console.print(
                f"      {finding.line}:{finding.column}: {finding.code} "
                f"{finding.severity.value} {safe(finding.message)}"
            )
    console.print("[bold]questions[/]")
    if not facts.questions:
        console.print("  none")
    for entry in facts.questions:
        q = entry.question
        where = f"comment {q.comment}" if q.comment is not None else "needinfo"
        due = entry.due
        if q.answered is not None:
            late = " [red](late)[/]" if q.answered > due else ""
            reply = f" (comment {entry.answered_in})" if entry.answered_in is not None else ""
            state = f"answered {report_time(q.answered)}{reply}{late}"
        elif result.as_of > due:
            state = "[bold red]OVERDUE[/]"
        else:
            state = "open"
        console.print(
            f"  {where:<12} asked {report_time(q.asked)} by {safe(q.by)}; due "
            f"{report_time(due)}; {state}"
        )
    if facts.open_needinfo:
        console.print("[bold]needinfo[/]")
        for flag in facts.open_needinfo:
            console.print(
                f"  needinfo?({safe(flag.requestee or '')}) set by {safe(flag.setter)} on "
                f"{report_time(flag.creation_date)}"
            )
    console.print("[bold]clocks[/]")
    _print_clocks(console, result.clocks)


@bugzilla_group.command("check")
@click.argument("bugs", nargs=-1, required=True, type=BUG, metavar="BUG...")
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
    "--select", multiple=True, metavar="CODES", help="Only rules starting with these codes."
)
@click.option(
    "--ignore", multiple=True, metavar="CODES", help="Skip rules starting with these codes."
)
@OFFLINE
@BUGZILLA_URL
@CACHE
def bugzilla_check(
    bugs: tuple[int, ...],
    form: str,
    as_of: datetime | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    offline: bool,
    bugzilla_url: str | None,
    cache: Path | None,
) -> None:
    """Check every report in a bug as it was posted, and its CSV attachments.

    Each comment that is a report is checked as `ca-incident check` checks a file, judged at
    its real posting time and with the bug's whiteboard; each CSV attachment that is not
    obsolete is checked as an appendix. Findings name bug-N/comment-C.md and
    bug-N/attachment-ID/FILE. Exit 1 with an error-severity finding.

    \b
    Example:
        ca-incident bugzilla check 2007948
        ca-incident bugzilla check bug:2007948 --format sarif > findings.sarif
    """
    settings = bugzilla_job.settings(bugzilla_url, cache)
    options = check_job.CheckOptions(
        as_of=_now(as_of), select=_codes(select), ignore=_codes(ignore)
    )
    result = check_job.CheckResult()
    for bug in bugs:
        result.findings += bugzilla_job.check_bug(bug, settings, options, offline=offline).findings
    click.echo(result.formatted(form), nl=False)
    if result.errors:
        sys.exit(EXIT_FINDINGS)


@cli.command("import")
@click.argument("bug", type=BUG)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--as-of", type=TIMESTAMP, help="The moment to record as the import's (default: now)."
)
@OFFLINE
@CA_ACCOUNTS
@BUGZILLA_URL
@CACHE
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
def import_command(
    bug: int,
    folder: Path,
    as_of: datetime | None,
    offline: bool,
    ca_accounts: tuple[str, ...],
    bugzilla_url: str | None,
    cache: Path | None,
    as_json_flag: bool,
) -> None:
    """Adopt an open incident: write an incident folder from its bug.

    incident.yaml gets every field the report reader finds in the CA's latest report of each
    stage, the bug number, whiteboard, when each report and update was posted (with their
    comment numbers) and the questions asked; what the reports do not say is left blank
    with a TODO comment, which `build` lists. Each CSV appendix attached is saved under
    bugzilla/ and its SHA-256 column becomes the problem's certificate list in certs/.
    An existing incident.yaml is never overwritten.

    \b
    Example:
        ca-incident import 2007948 incidents/2007948
        ca-incident build incidents/2007948
    """
    settings = bugzilla_job.settings(bugzilla_url, cache, ca_accounts)
    result = bugzilla_job.import_bug(
        bug, folder, settings, as_of=_now(as_of), offline=offline, ca_accounts=ca_accounts
    )
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    console = _out()
    console.print(f"[bold]bug[/]     {safe(result.url)} ({result.stage})")
    for line in result.filled_from or ["no report by the CA recognised"]:
        console.print(f"[bold]from[/]    {safe(line)}")
    for path in result.written:
        console.print(f"[bold]wrote[/]   {safe(path)}")
    todo = (
        f"{result.todos} field(s) to fill in (marked TODO)" if result.todos else "nothing to fill"
    )
    console.print(f"next: {todo}; run: ca-incident build {safe(folder)}")


_POSTED_AS = {
    "preliminary": "Preliminary report",
    "full": "Full report",
    "closure": "Report Closure Summary",
}


@cli.command("post")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--update",
    "update_file",
    type=click.File("r", encoding="utf-8"),
    metavar="FILE",
    help="Post this text (Markdown; - for standard input) as an update instead of a report.",
)
@click.option("--dry-run", is_flag=True, help="Print the exact requests (key masked); send none.")
@click.option("--yes", "-y", is_flag=True, help="Post without asking (needed off a terminal).")
@click.option("--force", is_flag=True, help="Post even when the report has error findings.")
@click.option(
    "--no-markdown", is_flag=True, help="Do not ask Bugzilla to render the post as Markdown."
)
@click.option(
    "--as-of", type=TIMESTAMP, help="The moment to build and check the report at (default: now)."
)
@ALLOW_OUTSIDE
@BUGZILLA_URL
@CACHE
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
def post_command(
    folder: Path,
    update_file: Any,
    dry_run: bool,
    yes: bool,
    force: bool,
    no_markdown: bool,
    as_of: datetime | None,
    allow_outside: bool,
    bugzilla_url: str | None,
    cache: Path | None,
    as_json_flag: bool,
) -> None:
    """Post what the incident's stage calls for to Bugzilla.

    Without a bug: a new CA Program :: CA Certificate Compliance bug (type task) whose
    summary is 'CA Owner: title', whose whiteboard is incident.yaml's, and whose description
    is the Preliminary (or Full) report, in Markdown. With a bug: a comment with the report of
    the stage not yet posted (Full, or the Report Closure Summary with the needinfo on
    incident-reporting@ccadb.org the IRG requires), or with --update, that text. The
    appendix CSV and crt.sh lists the report names are attached. Then the bug number,
    posting time and comment number are written into incident.yaml, keeping its comments
    and layout.

    The report is built and checked first; an error finding stops the post unless --force.
    On a terminal it asks before sending; elsewhere pass --yes. --dry-run prints the exact
    requests, the API key masked. Exit 1 when findings stop the post.

    \b
    Example:
        ca-incident post incidents/2026-ou --dry-run
        ca-incident post incidents/2026-ou --yes
        ca-incident post incidents/2026-ou --update progress.md
    """
    settings = bugzilla_job.settings(bugzilla_url, cache)
    update = update_file.read() if update_file is not None else None
    plan = bugzilla_job.plan_post(
        folder,
        settings,
        as_of=_now(as_of),
        update=update,
        force=force,
        markdown=not no_markdown,
        allow_outside=allow_outside,
    )
    err = _err()
    for warning in plan.warnings:
        err.print(f"[yellow]warning:[/] {safe(warning)}")
    if plan.refused:
        err.print(check_job.CheckResult(plan.findings).formatted("text"), end="", markup=False)
        err.print(
            f"[bold red]not posted:[/] the {plan.what} report has {len(plan.findings)} error "
            "finding(s); fix them, or pass --force"
        )
        sys.exit(EXIT_FINDINGS)
    if dry_run:
        if as_json_flag:
            click.echo(json.dumps(plan.as_json(), indent=2))
        else:
            for text in plan.rendered():
                click.echo(text + "\n")
            err.print(f"dry run: nothing was sent to {safe(settings.url)}")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise CaIncidentError(
                "not a terminal, so not asking: pass --yes to post (or --dry-run to see the "
                "requests)"
            )
        what = _POSTED_AS.get(plan.what, plan.what)
        if not click.confirm(f"Post the {what} to {plan.target}?", default=False, err=True):
            err.print("not posted")
            sys.exit(EXIT_FINDINGS)
    result = bugzilla_job.run_post(plan)
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        console = _out()
        what = _POSTED_AS.get(plan.what, plan.what)
        comment = "the bug's description" if result.comment == 0 else f"comment {result.comment}"
        console.print(f"[bold]posted[/]  the {what} as {comment}: {safe(result.url)}")
        if result.attachments:
            shown = ", ".join(str(a) for a in result.attachments)
            console.print(f"[bold]attached[/] {shown}")
        if result.needinfo:
            console.print(f"[bold]needinfo[/] {safe(result.needinfo)}")
        for change in result.written:
            console.print(f"[bold]wrote[/]   {safe(change)} in incident.yaml")
    for note in result.notes:
        err.print(f"[yellow]note:[/] {safe(note)}")


# The dashboard.


@cli.command("serve")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. The dashboard has no login: keep it on loopback.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port."
)
@click.option(
    "--as-of", type=TIMESTAMP, help="Judge every clock at this moment (default: now, per page)."
)
@click.option("--no-bugzilla", is_flag=True, help="Show the folders only, not the Bugzilla cache.")
@BUGZILLA_URL
@CACHE
def serve(
    folders: tuple[Path, ...],
    host: str,
    port: int,
    as_of: datetime | None,
    no_bugzilla: bool,
    bugzilla_url: str | None,
    cache: Path | None,
) -> None:
    """Open the incident dashboard: every incident of FOLDERS and of the Bugzilla cache.

    FOLDERS are incident folders, or folders searched for them. Pages: the incidents (sortable,
    filterable by CA, stage, whiteboard tag, overdue), each incident (clocks on a timeline,
    findings with their rules, problems with issuance per day and revocation progress, the
    report preview, downloads), the reviewer view over the synced CA Certificate Compliance
    bugs, related incidents, and the rules; /api/ returns what the --json outputs print
    (schema at /api/openapi.json). Read-only, offline, on 127.0.0.1 unless --host says
    otherwise. Ctrl-C stops it.

    \b
    Example:
        ca-incident serve examples
        ca-incident serve incidents/ --as-of 2026-11-27T12:00Z --port 8080
    """
    from ca_incident.app import dashboard as dashboard_job
    from ca_incident.web.server import serve as run_server

    settings = None if no_bugzilla else bugzilla_job.settings(bugzilla_url, cache)
    board = dashboard_job.Dashboard(list(folders), settings, as_of=as_of)
    try:
        if board.index is not None:
            with _counted("reading the Bugzilla cache") as update:
                board.index.refresh(as_of=_now(as_of), progress=update)
        found = len(board.folders())
        bugs = len(board.index.digests()) if board.index is not None else 0
        if folders and not found:
            _err().print("[yellow]warning:[/] no incident folder (with incident.yaml) found")
        err = _err()
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(
                f"[bold yellow]warning:[/] listening on {safe(host)}: anyone who reaches it "
                "reads every incident shown (the dashboard has no login)"
            )
        shown = f"[{host}]" if ":" in host else host
        err.print(
            f"ca-incident dashboard: [bold]http://{safe(shown)}:{port}/[/] ({found} incident "
            f"folder{'s' if found != 1 else ''}, {bugs:,} synced bug{'s' if bugs != 1 else ''});"
            " Ctrl-C stops it"
        )
        run_server(board, host=host, port=port)
    finally:
        board.close()


@cli.command("related")
@click.argument("query", nargs=-1, required=True, metavar="DIR|BUG|TEXT")
@click.option(
    "--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="How many bugs."
)
@click.option("--as-of", type=TIMESTAMP, help="Look back two years from here (default: now).")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
@BUGZILLA_URL
@CACHE
def related_command(
    query: tuple[str, ...],
    limit: int,
    as_of: datetime | None,
    as_json_flag: bool,
    bugzilla_url: str | None,
    cache: Path | None,
) -> None:
    """Find related incidents: the synced bugs of the last two years, of every CA, most like
    an incident folder, a bug or a text.

    Ranked by SQLite full-text search over the bugs' summaries, whiteboards and reports (the
    IRG asks a report to list related incidents of other CAs), each with the words it shares.
    Bugs come from the cache ('ca-incident bugzilla sync --ca-compliance' fills it).

    \b
    Example:
        ca-incident related examples/tls-ou-misissuance
        ca-incident related bug:1999002 --json
        ca-incident related organizationalUnitName in OV certificates
    """
    from ca_incident.app import dashboard as dashboard_job

    moment = _now(as_of)
    settings = bugzilla_job.settings(bugzilla_url, cache)
    with dashboard_job.BugIndex(settings) as index:
        with _counted("reading the Bugzilla cache") as update:
            index.refresh(as_of=moment, progress=update)
        result = dashboard_job.related(" ".join(query), index, as_of=moment, limit=limit)
    if as_json_flag:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    console = _out()
    console.print(
        f"related to [bold]{safe(result.label)}[/] (bugs opened since "
        f"{report_time(result.since)}; words: {safe(', '.join(result.terms[:12]))}"
        f"{', ...' if len(result.terms) > 12 else ''})"
    )
    if not result.hits:
        console.print("  no synced bug of the last two years shares these words")
    for hit in result.hits:
        d = hit.digest
        console.print(
            f"  [bold]{d.id}[/]  {d.created:%Y-%m-%d}  {safe(d.status):<10} {safe(d.summary)}"
        )
        console.print(f"           shared: {safe(', '.join(hit.shared))}")


def main() -> None:
    cli(prog_name="ca-incident")


if __name__ == "__main__":
    main()
