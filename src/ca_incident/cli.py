"""The ``ca-incident`` command: parses options, calls the library, prints.

Exit codes: 0 ok; 1 findings or something overdue; 2 usage or input error.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ca_incident import __version__
from ca_incident.build import build_incident, report_size
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import create_incident_folder, json_schema, load_incident
from ca_incident.report.render import ReportData, render, template_for
from ca_incident.report.spec import TEMPLATES
from ca_incident.timeutil import TimestampError, parse_timestamp, utc_now

EXIT_FINDINGS = 1
EXIT_INPUT = 2


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


TIMESTAMP = Timestamp()


class Group(click.Group):
    """Turns the library's input errors into one message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CaIncidentError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _err().print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
            ctx.exit(EXIT_INPUT)


def _err() -> Console:
    return Console(stderr=True)


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


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
    _out().print(f"wrote {path}\nnext: fill it in, then run: ca-incident build {folder}")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of incident.yaml (for editors and CI).

    \b
    Example:
        ca-incident schema > incident.schema.json
    """
    click.echo(json_schema(), nl=False)


@cli.command("render")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--template",
    "-t",
    type=click.Choice(list(TEMPLATES)),
    required=True,
    help="Which report template to write.",
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
      irg-3.2-preliminary  CCADB IRG 3.2 Preliminary Incident Report
      irg-3.2-full         CCADB IRG 3.2 Full Incident Report
      irg-3.2-closure      CCADB IRG 3.2 Report Closure Summary
      irg-2.0              CCADB IRG 2.0 Incident Report
      mozilla-2023         the seven topics of the 2023 Mozilla wiki

    \b
    Example:
        ca-incident render examples/tls-ou-misissuance -t irg-2.0 -o report-2.0.md
    """
    incident = load_incident(folder)
    text = render(ReportData(incident, as_of or utc_now()), template_for(template))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        _err().print(f"wrote {output}")


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
def build(folder: Path, out: Path | None, as_of: datetime | None) -> None:
    """Validate an incident folder and write its report for the current stage.

    Writes OUT/report.md, the IRG 3.2 report of the stage set in incident.yaml
    (preliminary, full, or closure), and prints a summary.

    \b
    Example:
        ca-incident build examples/tls-ou-misissuance
        ca-incident build incidents/2026-ou --out /tmp/ou --as-of 2026-10-28T15:00Z
    """
    result = build_incident(folder, out, as_of)
    incident = result.incident
    assert incident is not None and result.template is not None
    rows = [
        ("incident", incident.bugzilla_summary),
        ("stage", f"{incident.stage.value} ({result.template.title})"),
        ("report", report_size(result)),
        *(("wrote", str(path)) for path in result.written),
    ]
    console = _out()
    for key, value in rows:
        console.print(f"[bold]{key:<9}[/]{value}")
    for warning in result.warnings:
        _err().print(f"[yellow]warning:[/] {warning}", highlight=False)


def main() -> None:
    cli(prog_name="ca-incident")


if __name__ == "__main__":
    main()
