"""Generate the reference parts of docs/ from the code, so they cannot drift from it.

python -m ca_incident.docgen            write docs/incident-file.md and docs/cli.md
python -m ca_incident.docgen --check    exit 1 when either is stale
"""

from __future__ import annotations

import sys
import types
import typing
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from ca_incident.model import Incident

DOCS = Path("docs")
EXAMPLE_FILES = (
    Path("examples/tls-ou-misissuance/incident.yaml"),
    Path("examples/crl-published-late/incident.yaml"),
    Path("tests/golden/closure-incident/incident.yaml"),
)
# Fields that no bundled example uses.
EXTRA_EXAMPLES: dict[str, str] = {
    "summary.non_compliance.end_expected": "true",
    "posted.closure": "2027-02-03T09:00Z",
    "impact.analysis": "Revocation of 3 certificates delayed because ...",
    "problems.counts.count": "1204",
    "problems.counts.remaining_valid": "880",
    "problems.counts.first_not_before": "2026-02-01T00:00Z",
    "problems.counts.last_not_before": "2026-05-14T17:03Z",
    "problems.counts.types": "[DV, OV]",
    "action_items.changed": "2026-11-12T09:00Z",
    "posted.third_party_report": "2026-10-14T09:00Z",
    "posted.first_response": "2026-10-14T18:00Z",
    "posted.updates": "[2026-11-06T10:00Z, 2026-11-13T10:00Z]",
    "questions.asked": "2026-11-02T08:15Z",
    "questions.by": "a root program",
    "questions.comment": "7",
    "questions.answered": "2026-11-04T16:00Z",
    "revocation.smime": "false",
    "revocation.ca_certificates": "false",
    "revocation.expected_completion": "2026-10-20T18:00Z",
}

INCIDENT_INTRO = """\
# The incident file: `incident.yaml`

Each incident is a folder in git with one `incident.yaml`. `ca-incident new DIR` writes a
commented skeleton; `ca-incident build DIR` validates it and writes the report of its stage.
`ca-incident schema` prints the JSON Schema, for editors that complete and check YAML.

## Rules that apply everywhere

- **Timestamps** are ISO 8601 date-times with a zone, to the minute:
  `2026-10-14T13:47Z` or `2026-10-14T15:47+02:00`. A timestamp without a zone, or a date
  without a time, is an error: the IRG requires UTC or an explicit offset. They are held in
  UTC and written in reports as `2026-10-14 13:47 UTC`.
- **Dates** (action-item due dates, related bugs) are `YYYY-MM-DD`.
- **Text** must not be blank. Leave an optional field out rather than writing `TBD`; the
  report then says `N/A`, as the IRG asks.
- **Unknown fields are errors**, with a suggestion for the likely typo.
- **Ids** (problems, contributing factors, lessons) are unique; an action item's
  `addresses` must name contributing factors or lessons that exist.
- **Every error is reported at once**, as `file:line:column: field: message`.

## What each stage requires

| stage | report `build` writes | required beyond the Preliminary fields |
|---|---|---|
| `preliminary` | IRG 3.2 Preliminary Incident Report | none |
| `full` | IRG 3.2 Full Incident Report | `ccadb_id`, `summary.non_compliance` with `start`, `timeline`, `issuance`, `problems`, `impact.heuristic`, `contributing_factors`, `action_items`; `impact.analysis` when the whiteboard says revocation-delay |
| `closure`, `closed` | IRG 3.2 Report Closure Summary | `closure`, and every action item Complete or Canceled |

Across fields: a stopped issuance needs `stopped_at`; a Complete action item needs
`completed`; a `none` problem needs `statistics`, a certificate problem needs `certificates`
or `counts`; moments stated twice (awareness and the `ca-aware` event, the non-compliance
start and the `incident-began` event, issuance stopped and resumed) must agree. Moments the
timeline lacks are added to the report's timeline from those fields.

## Fields
"""


def _type_name(annotation: Any) -> tuple[str, type[BaseModel] | None]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _type_name(args[0])
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is list:
        inner, model = _type_name(typing.get_args(annotation)[0])
        return f"list of {inner}", model
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "mapping", annotation
        if issubclass(annotation, Enum):
            return "one of " + ", ".join(f"`{m.value}`" for m in annotation), None
        if issubclass(annotation, bool):
            return "yes / no", None
        if issubclass(annotation, int):
            return "integer", None
        if issubclass(annotation, datetime):
            return "timestamp", None
        if issubclass(annotation, date):
            return "date", None
        if issubclass(annotation, str):
            return "text", None
    return str(annotation), None


def _examples(root: Path) -> dict[str, str]:
    """The first value each field path takes in the bundled incident files."""
    from ruamel.yaml import YAML

    found: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                if not isinstance(value, dict | list):
                    found.setdefault(path, str(value))
                elif isinstance(value, list) and value and not isinstance(value[0], dict | list):
                    found.setdefault(path, "[" + ", ".join(str(v) for v in value) + "]")
                walk(path, value)
        elif isinstance(node, list):
            for item in node:
                walk(prefix, item)

    for file in EXAMPLE_FILES:
        walk("", YAML(typ="safe").load((root / file).read_text(encoding="utf-8")))
    for key, value in EXTRA_EXAMPLES.items():
        found.setdefault(key, value)
    return found


def _cell(text: str) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= 70 else text[:67] + "..."


def incident_file_doc(root: Path = Path()) -> str:
    """docs/incident-file.md, with examples read from the repository at ``root``."""
    examples = _examples(root)
    out = [INCIDENT_INTRO]
    queue: list[tuple[str, type[BaseModel]]] = [("", Incident)]
    documented: dict[type[BaseModel], str] = {}
    while queue:
        prefix, model = queue.pop(0)
        if model in documented:
            continue
        documented[model] = prefix
        title = f"`{prefix}`" if prefix else "Top level"
        out.append(f"\n### {title}\n")
        if model.__doc__ and prefix:
            out.append(" ".join(model.__doc__.split()).replace("``", "`") + "\n")
        out.append("| field | type | required | description | example |")
        out.append("|---|---|---|---|---|")
        nested: list[tuple[str, type[BaseModel]]] = []
        for name, field in model.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            type_name, inner = _type_name(field.annotation)
            if inner is not None:
                target = documented.get(inner) or next(
                    (p for p, m in (*nested, *queue) if m is inner), path
                )
                anchor = target.replace(".", "")
                type_name = type_name.replace("mapping", f"mapping ([`{target}`](#{anchor}))")
                nested.append((path, inner))
            required = "yes" if field.is_required() else "no"
            description = " ".join((field.description or "").split()).replace("``", "`")
            if inner is not None:
                example = "see below"
            else:
                example = f"`{_cell(examples[path])}`" if path in examples else ""
            out.append(f"| `{name}` | {type_name} | {required} | {description} | {example} |")
        queue[0:0] = nested
    out.append("\n## A complete example\n")
    out.append("The Full-stage TLS example, `examples/tls-ou-misissuance/incident.yaml`:\n")
    out.append("```yaml")
    out.append((root / EXAMPLE_FILES[0]).read_text(encoding="utf-8").rstrip())
    out.append("```\n")
    return "\n".join(out)


def cli_doc(root: Path = Path()) -> str:
    from ca_incident.cli import cli

    out = [
        "# CLI reference",
        "",
        "Generated from `--help` by `make docs`. Exit codes: 0 ok, 1 findings or something",
        "overdue, 2 usage or input error.",
        "",
    ]
    context = cli.make_context(
        "ca-incident",
        ["--help"],
        resilient_parsing=True,
        terminal_width=100,
        max_content_width=100,
    )
    out += ["## ca-incident", "", "```", cli.get_help(context).rstrip(), "```", ""]

    def document(group: click.Group, parent: click.Context, prefix: str) -> None:
        for name in sorted(group.list_commands(parent)):
            command = group.get_command(parent, name)
            assert command is not None
            sub = command.make_context(name, [], parent=parent, resilient_parsing=True)
            title = f"{prefix} {name}"
            out.extend([f"## {title}", "", "```", command.get_help(sub).rstrip(), "```", ""])
            if isinstance(command, click.Group):
                document(command, sub, title)

    document(cli, context, "ca-incident")
    return "\n".join(out)


def rules_doc(root: Path = Path()) -> str:
    from ca_incident.checks import rules as _rules  # noqa: F401  # registers every rule
    from ca_incident.checks.citations import citations
    from ca_incident.checks.registry import RULES

    out = [
        "# Rule catalog",
        "",
        "Generated from the rule registry by `make docs`; `ca-incident rules` lists the same",
        "rules and `ca-incident explain CODE` prints one. Severity follows the source: a MUST",
        "broken is an error (exit 1), a SHOULD or a heuristic a warning, anything else info.",
        "Each rule links the requirements it enforces: the document and section that state them.",
        "",
        "| code | severity | finds |",
        "|---|---|---|",
    ]
    codes = sorted(RULES)
    out += [
        f"| [{c}](#{c.lower()}) | {RULES[c].severity.value} | {RULES[c].message} |" for c in codes
    ]
    for code in codes:
        r = RULES[code]
        out += [
            "",
            f"## {code}",
            "",
            f"**{r.name}** ({r.severity.value}). {r.message[:1].upper()}{r.message[1:]}.",
            "",
            f"- **What it checks:** {r.what}",
            f"- **Why:** {r.why}",
            f"- **Example:** `{r.example}`"
            if "\n" not in r.example
            else f"- **Example:**\n\n  ```\n  {r.example.replace(chr(10), chr(10) + '  ')}\n  ```",
            f"- **Fix:** {r.fix}",
            f"- **Applies to:** {', '.join(sorted(r.templates))}",
            "- **Requirement:** "
            + "; ".join(f"[{c}]({c.url}) ({c.id})" for c in citations(r.requirement)),
            f"- **Source:** <{r.source}>",
        ]
    return "\n".join(out) + "\n"


def clocks_doc(root: Path = Path()) -> str:
    """docs/clocks.md: every clock of the deadline engine, from its table."""
    from ca_incident.checks.rules.clocks import CLOCK_RULES
    from ca_incident.clocks import CLOCKS

    lines = [
        "# Clocks",
        "",
        "<!-- Generated by `make docs` from src/ca_incident/clocks.py; do not edit. -->",
        "",
        "`ca-incident status` computes every clock of every incident, met ones included",
        "(`status --json` lists them under `incidents[].deadlines[]`, each with `kind`, `what`,",
        "`due`, `done`, `overdue`, `late`, `requirement` and `source`). `build` and",
        "`check FOLDER` report a late or overdue MUST as a finding (the rule in the last",
        "column); a missed SHOULD is a warning. All moments are UTC; a date without a time",
        "counts from the start of its day for what follows it and to its end for a deadline.",
        "",
        "| clock | starts | runs | stops | source | rule |",
        "|---|---|---|---|---|---|",
    ]
    for row in CLOCKS:
        rule = CLOCK_RULES.get(row.kind, "")
        lines.append(
            f"| `{row.kind}` | {_prose(row.start)} | {_prose(row.length)} | {_prose(row.stop)} "
            f"| {row.source} | {rule} |"
        )
    lines += ["", "## What each clock implements", ""]
    for row in CLOCKS:
        lines += [f'- `{row.kind}` ({row.source}): "{row.sentence}"', ""]
    return "\n".join(lines).rstrip() + "\n"


def templates_doc(root: Path = Path()) -> str:
    """docs/templates.md: every report template of the registry."""
    from ca_incident.templates import DETECTION, RECOGNISED, Columns, Heading, Label, Topic

    lines = [
        "# Report templates",
        "",
        "<!-- Generated by `make docs` from src/ca_incident/templates.py; do not edit. -->",
        "",
        "Every template ca-incident writes (`render -t NAME`) or only recognises (`check`), by",
        "its canonical name; an alias is accepted wherever a name is.",
        "",
        "| name | aliases | title | report stage | current from | superseded | written |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in RECOGNISED.values():
        superseded = (
            f"{t.superseded_on:%Y-%m-%d} by {t.successor}" if t.superseded_on else "current"
        )
        lines.append(
            f"| `{t.name}` | {', '.join(f'`{a}`' for a in t.aliases) or '-'} | "
            f"[{t.title}]({t.source}) | {t.report_stage.value} | "
            f"{t.current_from:%Y-%m-%d} | {superseded} | {'yes' if t.renderable else 'no'} |"
        )
    lines += [
        "",
        "A template superseded more than 30 days before a report is posted may not be used",
        "(CCADB Policy 6.1; rule TPL002).",
        "",
        "## How a report is recognised",
        "",
        "The clues are tried in this order; the first that matches decides.",
        "",
    ]
    for template, clue in DETECTION:
        words = ", ".join(f"'{w}'" for w in clue.words)
        lines.append(f"1. `{template.name}`: {clue.kind} ({words}; at least {clue.least})")
    for t in RECOGNISED.values():
        lines += ["", f"## `{t.name}`", ""]
        for item in t.outline:
            if isinstance(item, Heading):
                lines.append(f"- heading `{item.markdown}`")
            elif isinstance(item, Label):
                notes = [] if item.required else ["optional"]
                if item.per_factor:
                    notes.append("per contributing factor")
                note = f" ({', '.join(notes)})" if notes else ""
                lines.append(f"- label `{item.markdown}`{note}")
            elif isinstance(item, Topic):
                lines.append(f"- topic {item.number}: {item.text}")
            elif isinstance(item, Columns):
                lines.append(f"- table `{item.markdown}`")
    return "\n".join(lines).rstrip() + "\n"


def _prose(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


GENERATED = {
    "incident-file.md": incident_file_doc,
    "cli.md": cli_doc,
    "rules.md": rules_doc,
    "clocks.md": clocks_doc,
    "templates.md": templates_doc,
}


def stale_docs(root: Path) -> list[Path]:
    """Generated docs under ``root`` that differ from what the code generates now."""
    return [
        root / DOCS / name
        for name, make in GENERATED.items()
        if not (root / DOCS / name).exists()
        or (root / DOCS / name).read_text(encoding="utf-8") != make(root)
    ]


def main(argv: list[str]) -> int:
    stale = []
    for name, make in GENERATED.items():
        path = DOCS / name
        text = make(Path())
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run 'make docs'", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
