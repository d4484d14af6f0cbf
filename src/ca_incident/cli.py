"""The ``ca-incident`` command: parses options, calls the library, prints.

Exit codes: 0 ok; 1 findings or something overdue; 2 usage or input error.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
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

from ca_incident import __version__
from ca_incident.build import PREPARE_STEPS, build_incident, report_size
from ca_incident.certs.appendix import CSV_LIMIT, appendix_rows, crtsh_lines, write_csv
from ca_incident.certs.evidence import Evidence, collect
from ca_incident.certs.output import evidence_json
from ca_incident.checks.engine import check_paths, validate_codes
from ca_incident.checks.output import as_json, as_sarif, as_text, rule_json
from ca_incident.checks.output import explain as explain_rule
from ca_incident.checks.registry import RULES, Context, Severity
from ca_incident.checks.registry import TEMPLATES as TEMPLATE_NAMES
from ca_incident.clocks import clocks, ics, incident_folders
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import create_incident_folder, json_schema, load_incident
from ca_incident.lint import PROFILES as LINT_PROFILES
from ca_incident.lint import SEVERITIES as LINT_SEVERITIES
from ca_incident.lint import estimate_certificates, lint_json, lint_paths
from ca_incident.report.spec import TEMPLATES
from ca_incident.revocation.check import check_revocation
from ca_incident.revocation.deadlines import deadline as revocation_deadline
from ca_incident.timeutil import TimestampError, iso_z, parse_timestamp, report_time, utc_now

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

JOBS = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes that parse certificates.",
)


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
    return Console(stderr=True, soft_wrap=True, highlight=False)


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
    result = build_incident(folder, None, as_of, PREPARE_STEPS, template=template)
    text = result.report or ""
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
@JOBS
def build(folder: Path, out: Path | None, as_of: datetime | None, jobs: int) -> None:
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
    result = build_incident(folder, out, as_of, jobs=jobs)
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
    if result.findings:
        _err().print(as_text(result.findings), end="", highlight=False, markup=False)
    if any(f.severity is Severity.ERROR for f in result.findings):
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


def _collect(
    paths: tuple[str, ...], problem: str, as_of: datetime | None, jobs: int, keep: bool
) -> Evidence:
    moment = as_of or utc_now()
    with _progress("reading certificates") as update:
        return collect(list(paths), problem, as_of=moment, jobs=jobs, keep=keep, progress=update)


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
    evidence = _collect(paths, problem, as_of, jobs, keep=list_)
    if as_json:
        document = evidence_json([evidence], include_list=list_, include_pii=include_pii)
        click.echo(json.dumps(document, indent=2))
        return
    _print_summary(evidence, include_pii)


def _print_summary(evidence: Evidence, include_pii: bool) -> None:
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
        console.print(f"[bold]{key:<22}[/]{value}")
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
                record.serial or "",
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
            console.print(f"  {where}{sha}: {error.error}")


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
    form: str,
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
    evidence = _collect(paths, problem, as_of, jobs, keep=True)
    records = evidence.certificates or []
    moment = evidence.summary.as_of or utc_now()
    use_csv = form == "csv" or (form == "auto" and evidence.summary.count < CSV_LIMIT)
    if use_csv:
        text = write_csv(
            appendix_rows(((problem, r) for r in records), moment, include_pii=include_pii)
        )
    else:
        text = crtsh_lines(records)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        _err().print(
            f"wrote {output} ({'CSV' if use_csv else 'crt.sh list'}, {len(records):,} rows)"
        )
    if crtsh is not None:
        crtsh.write_text(crtsh_lines(records), encoding="utf-8")
        _err().print(f"wrote {crtsh}")
    if evidence.errors:
        _err().print(
            f"[yellow]warning:[/] {len(evidence.errors)} input(s) could not be read as "
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
    type=click.Choice(list(TEMPLATE_NAMES)),
    help="Check as this template instead of the one recognised.",
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
    chosen, skipped = _codes(select), _codes(ignore)
    validate_codes([*chosen, *skipped])
    moment = as_of or utc_now()
    tags = tuple(re.findall(r"[\w.-]+", whiteboard))
    context = Context(as_of=moment, posted=posted, whiteboard=tags)
    findings = check_paths(
        list(paths),
        context,
        select=chosen,
        ignore=skipped,
        template=template,
        as_of=moment,
    )
    render_findings = {"text": as_text, "json": as_json, "sarif": as_sarif}[form]
    click.echo(render_findings(findings), nl=False)
    if any(f.severity is Severity.ERROR for f in findings):
        sys.exit(EXIT_FINDINGS)


def _codes(values: tuple[str, ...]) -> list[str]:
    """Codes given as repeated options, or comma or space separated."""
    return [code for value in values for code in value.replace(",", " ").split()]


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
        console.print(f"[bold]{r.code}[/] {r.severity.value:<7} {r.message}")


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
    type=click.IntRange(1, 16),
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
    found = revocation_deadline(aware, reason, smime=smime, ca_certificate=ca_cert)
    document = {
        "deadline": iso_z(found.due),
        "window_hours": found.reason.window_hours,
        "reason": reason,
        "crl_reason": found.reason.crl_reason,
        "section": found.reason.section,
        "text": found.reason.text,
        "aware": iso_z(aware),
    }
    if as_json_flag:
        click.echo(json.dumps(document, indent=2))
        return
    crl_reason = found.reason.crl_reason or "not named by the text"
    _out().print(
        f"{found.reason.section} #{reason} ({found.reason.text}): revoke within "
        f"{found.reason.window_hours} hours, by [bold]{report_time(found.due)}[/] "
        f"({iso_z(found.due)}); CRLReason {crl_reason}"
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
    "--reason", type=click.IntRange(1, 16), help="The 4.9.1.1 (or 4.9.1.2) reason number."
)
@click.option("--smime", is_flag=True, help="Use the S/MIME Baseline Requirements' table.")
@click.option("--ca-cert", is_flag=True, help="The certificates are CA certificates (4.9.1.2).")
@click.option("--as-of", type=TIMESTAMP, help="The moment to judge from (default: now).")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object.")
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
    moment = as_of or utc_now()
    result = check_revocation(
        list(paths),
        crls=list(crls),
        issuers=list(issuers),
        aware=aware,
        reason=reason,
        smime=smime,
        ca_certificate=ca_cert,
        as_of=moment,
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
            console.print(f"[bold]{p.name}[/]: " + "; ".join(parts))
        console.print()
        console.print(result.paragraph)
        for error in result.crl_errors:
            _err().print(f"[yellow]warning:[/] CRL {error.source}: {error.error}", highlight=False)
        if result.delay_report_required:
            _err().print(
                "[bold yellow]warning:[/] certificates were revoked late or are overdue: a "
                "separate revocation-delay report is required (MRSP 6.1.3; IRG 3.2 Analysis)",
                highlight=False,
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
    """List every open incident's next deadlines and everything overdue.

    FOLDERS are incident folders, or folders searched for them (default: the current one).
    The clocks: first report (72 hours after awareness), Full report (14 days after the first
    disclosure), the whiteboard's Next update or else 7 days after the last update, 3 days
    after an action item's status changed, the revocation deadline, and action items due.
    Exit 1 when anything is overdue, so it can run from cron or CI.

    \b
    Example:
        ca-incident status incidents/
        ca-incident status examples --as-of 2026-11-27T12:00Z --ics deadlines.ics
    """
    moment = as_of or utc_now()
    found = incident_folders(list(folders) or [Path.cwd()])
    if not found:
        raise CaIncidentError("no incident folder (with incident.yaml) found")
    entries = []
    for folder in found:
        incident = load_incident(folder)
        entries.append((incident, folder, clocks(incident, moment)))
    if ics_file is not None:
        ics_file.write_bytes(ics(entries, moment))
        _err().print(f"wrote {ics_file}")
    overdue = any(c.overdue for _, _, found_clocks in entries for c in found_clocks)
    if as_json_flag:
        document = {
            "as_of": iso_z(moment),
            "incidents": [
                {
                    "path": str(folder),
                    "title": incident.bugzilla_summary,
                    "deadlines": [
                        {"what": c.what, "due": iso_z(c.due), "overdue": c.overdue}
                        for c in found_clocks
                    ],
                }
                for incident, folder, found_clocks in entries
            ],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        console = _out()
        for incident, folder, found_clocks in entries:
            console.print(
                f"[bold]{incident.bugzilla_summary}[/] ({folder}, {incident.stage.value})"
            )
            if not found_clocks:
                console.print("  no open deadlines")
            for c in found_clocks:
                mark = "[bold red]OVERDUE[/]" if c.overdue else "due    "
                console.print(f"  {mark} {report_time(c.due)}  {c.what}")
    if overdue:
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
    total = estimate_certificates(paths) if console.is_terminal else None
    with _progress("linting", total) as update:
        result, written = lint_paths(
            paths,
            profile=profile,
            severity=severity,
            select=select,
            jobs=jobs,
            out=out,
            progress=update,
        )
    if as_json_flag:
        click.echo(json.dumps(lint_json(result), indent=2))
    else:
        output = _out()
        linted, undecodable = result.certificates_linted, len(result.undecodable)
        output.print(f"linted {linted:,} certificates; undecodable {undecodable:,}")
        for p in sorted(result.problems.values(), key=lambda p: (-p.count, p.code)):
            first = report_time(p.first_not_before) if p.first_not_before else "?"
            last = report_time(p.last_not_before) if p.last_not_before else "?"
            output.print(
                f"  {p.severity.lower():<8}{p.count:>8,}  {p.code}  (notBefore {first} to {last})"
            )
        for u in result.undecodable:
            output.print(f"  undecodable {u.source}#{u.index}: {u.error}")
    for path in written:
        console.print(f"wrote {path}")
    if result.interrupted:
        console.print(
            "[yellow]interrupted:[/] the results above cover what was linted before Ctrl-C"
        )
        sys.exit(130)
    if any(p.severity in ("FATAL", "ERROR") for p in result.problems.values()):
        sys.exit(EXIT_FINDINGS)


def main() -> None:
    cli(prog_name="ca-incident")


if __name__ == "__main__":
    main()
