"""Output encoding: no user string can change a report's structure, and no CSV cell is a formula.

A report rendered from an incident full of hostile strings (line breaks, headings, bold labels,
tables, HTML, links, backticks) has the same headings, labels, tables, timeline and counts as
the clean one when the checker reads it back; a hypothesis test tries random strings for a
bounded time.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from annotated_types import MinLen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo
from ruamel.yaml import YAML

from ca_incident.app.build import (
    PREPARE_STEPS,
    build,
    build_folder,
    incident_files,
    render_step,
)
from ca_incident.certs.appendix import appendix_rows, write_csv
from ca_incident.certs.record import CertRecord
from ca_incident.checks.registry import Finding
from ca_incident.checks.report import Report, normalize, parse
from ca_incident.incident_file import load_incident
from ca_incident.model import Incident, at_least
from ca_incident.report.render import render
from ca_incident.templates import TEMPLATES

from .helpers import AS_OF, EXAMPLES
from .testca import hierarchy, issue

GOLDEN = Path(__file__).parent / "golden"
INCIDENTS = {
    "tls-ou-misissuance": EXAMPLES / "tls-ou-misissuance",
    "closure-incident": GOLDEN / "closure-incident",
}
CASES = [
    (name, template)
    for name, folder in INCIDENTS.items()
    for template, spec in TEMPLATES.items()
    if at_least(load_incident(folder).stage, spec.min_stage)
]

HOSTILE = (
    "# Injected heading\n"
    "## Timeline\n"
    "- **Total number of certificates:** 999\n"
    "Total number of certificates: 998\n"
    "\n"
    "Total number of certificates: 997\n"
    "\n"
    "| Action Item | Kind | Due Date |\n"
    "|---|---|---|\n"
    "| injected | Prevent | 2027-01-01 |\n"
    "\n"
    '<img src=x onerror="alert(1)"> <script>alert(1)</script>\n'
    '[x](javascript:alert(1)) `code` **bold** __under__ ~~gone~~ =HYPERLINK("http://e.example")\n'
    "a | b \\| c \\ d [ ] * _ ` # = + - @ ! > <\n"
    "2026-10-14 13:47 UTC: an injected timeline entry\n"
    "- 2026-10-15 08:00 UTC: another\n"
    "2026-10-16:\n"
    "09:00 a row under an injected day\n"
    "    indented code\n"
    "\tTabbed\n"
    "---\n"
    "===\n"
    "> quoted\n"
    "3. numbered\n"
    "2: Timeline of the incident\n"
    "```\n"
    "fenced\n"
    "~~~\n"
    "[ref]: https://e.example\n"
    "*** \n"
    "Timeline: injected\r\n"
    "Description\u2028Detection\x85Other\x1eanalysis\x0bremediation\x0c\n"
    "\x1b[31mred\x00 \u202eevil\u202c"
)
"""Everything that could add structure to Markdown, or to what the checker reads of it."""


def _is_text(info: FieldInfo) -> bool:
    """A free-text field: a string that must say something and follows no id rule."""
    metadata = info.metadata
    return (
        info.annotation is str
        and any(isinstance(m, MinLen) for m in metadata)
        and not any(isinstance(m, AfterValidator) for m in metadata)
    )


def _poison(value: Any, make: Callable[[str], str]) -> Any:
    """``value`` with every free-text field of every model in it replaced by
    ``make(original)``, unvalidated: the renderer must hold whatever the model lets through."""
    if isinstance(value, list):
        return [_poison(item, make) for item in value]
    if not isinstance(value, BaseModel):
        return value
    update: dict[str, Any] = {}
    for name, info in type(value).model_fields.items():
        current = getattr(value, name)
        if _is_text(info) and isinstance(current, str):
            update[name] = make(current)
        elif isinstance(current, BaseModel | list):
            update[name] = _poison(current, make)
    return value.model_copy(update=update)


def hostile(incident: Incident, make: Callable[[str], str]) -> Incident:
    poisoned = _poison(incident, make)
    assert isinstance(poisoned, Incident)
    return poisoned


def changed(incident: Incident, path: str, value: str) -> Incident:
    """``incident`` with the field at ``path`` (``problems.0.description``) set, unvalidated."""
    head, _, rest = path.partition(".")
    if not rest:
        return incident.model_copy(update={head: value})
    return incident.model_copy(update={head: _changed(getattr(incident, head), rest, value)})


def _changed(current: Any, path: str, value: str) -> Any:
    head, _, rest = path.partition(".")
    if isinstance(current, list):
        index = int(head)
        items = list(current)
        items[index] = _changed(items[index], rest, value) if rest else value
        return items
    if not rest:
        return current.model_copy(update={head: value})
    return current.model_copy(update={head: _changed(getattr(current, head), rest, value)})


def rendered(incident: Incident, folder: Path, template: str) -> str:
    """The report as build renders it, however long the hostile strings make it."""
    steps = [step for step in PREPARE_STEPS if step is not render_step]
    built = build(
        incident, incident_files(folder, incident, allow_outside=False), as_of=AS_OF, steps=steps
    )
    return render(built.data, template, check_length=False)


@dataclass(frozen=True)
class Structure:
    """What a report is made of, as the checker reads it, without the users' words."""

    template: str
    headings: list[tuple[int, str]]
    labels: list[str]
    counts: list[tuple[str, str]]
    tables: list[tuple[tuple[str, ...], tuple[int, ...]]]
    timeline: int
    sections: list[str]
    html_headings: int


_FACTOR = re.compile(r"^(contributing factor \d+|\d+\.)[:\s]")
_COUNT_LABELS = {
    normalize("Total number of certificates"),
    normalize('Total number of "remaining valid" certificates'),
    normalize("Affected certificate types"),
}
_MD = MarkdownIt("commonmark", {"html": False}).enable("table")


def structure(report: Report) -> Structure:
    def label(norm: str) -> str:
        factor = _FACTOR.match(norm)
        return factor.group(1) if factor else norm

    return Structure(
        template=report.template,
        headings=[(h.level, h.norm) for h in report.headings],
        labels=[label(f.norm) for f in report.fields],
        counts=[(f.norm, f.value) for f in report.fields if f.norm in _COUNT_LABELS],
        tables=[(tuple(t.header), tuple(len(row) for row in t.rows)) for t in report.tables],
        timeline=len(report.timeline),
        sections=sorted(report.sections),
        html_headings=len(re.findall(r"<h\d", _MD.render(report.text))),
    )


def _surround(text: str) -> str:
    # Short enough for a factor title to stay a bold label: the checker reads labels of up to
    # 1,200 characters.
    return f"{HOSTILE}\n{text}\n# Tail\n| x |\n<b>**"


@pytest.mark.parametrize(("name", "template"), CASES)
def test_hostile_strings_leave_the_structure_unchanged(name: str, template: str) -> None:
    folder = INCIDENTS[name]
    clean = load_incident(folder)
    text = rendered(hostile(clean, _surround), folder, template)
    assert structure(parse(text)) == structure(parse(rendered(clean, folder, template)))
    html = _MD.render(text)
    assert "<img" not in text and "<script" not in text
    assert "<img" not in html and "<script" not in html and "javascript:" not in _hrefs(html)
    # Every hostile line is still there, as text.
    assert text.count("Injected heading") >= 1
    assert not any(c in text for c in "\x1b\x00\u202e\u202c")


def _hrefs(html: str) -> str:
    return " ".join(re.findall(r'href="([^"]*)"', html))


def test_one_line_fields_have_no_line_break() -> None:
    """The reproducer: newlines in a policy section, a factor title and a problem description
    inject headings, extra "Total number of certificates" lines, tables and raw HTML."""
    folder = INCIDENTS["tls-ou-misissuance"]
    clean = load_incident(folder)
    incident = changed(
        clean,
        "summary.relevant_policies.0.section",
        "7.1.2.7.4 (policy)\n\n## Injected\n- **Total number of certificates:** 999",
    )
    incident = changed(
        incident,
        "contributing_factors.0.title",
        "A title\n\n# Injected\n<img src=x onerror=alert(1)>",
    )
    incident = changed(
        incident,
        "problems.0.description",
        "OU in subject\n\nTotal number of certificates: 998\n\n| a | b |\n|---|---|\n| c | d |",
    )
    expected = {
        "7.1.2.7.4 (policy)": ("Injected", "Total number of certificates"),
        "A title": ("Injected", "&lt;img"),
        "OU in subject": ("998", "\\| c \\|"),
    }
    for template in ("irg-3.2-full", "irg-2.0", "mozilla-2023"):
        text = rendered(incident, folder, template)
        found = 0
        for marker, rest in expected.items():
            # Each field is on one line, with all of its text (not every template shows all).
            lines = [line for line in text.splitlines() if marker in line]
            found += bool(lines)
            assert all(part in line for line in lines for part in rest), (template, marker)
        assert found == (3 if template == "irg-3.2-full" else found) and found >= 2
        report = parse(text)
        assert structure(report) == structure(parse(rendered(clean, folder, template)))
        total = [f for f in report.fields if f.norm == "total number of certificates"]
        assert len(total) == (1 if template == "irg-3.2-full" else 0)


def test_hostile_incident_file_builds_to_the_same_structure(tmp_path: Path) -> None:
    """The same reproducer from incident.yaml to out/report.md, through build and its check."""
    folder = tmp_path / "incident"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder, ignore=shutil.ignore_patterns("out"))
    shutil.copytree(EXAMPLES / "ca", tmp_path / "ca")
    yaml = YAML()
    path = folder / "incident.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"))
    injected = (
        "\n\n## Injected\n- **Total number of certificates:** 999\n<img src=x onerror=alert(1)>"
    )
    data["summary"]["relevant_policies"][0]["section"] += injected
    data["contributing_factors"][0]["title"] += injected
    data["problems"][0]["description"] += "\n\n| a | b |\n|---|---|\n| c | d |" + injected
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    built = build_folder(folder, as_of=AS_OF)
    text = (folder / "out" / "report.md").read_text(encoding="utf-8")
    assert "<img" not in text and text.count("Injected") == 3
    clean = rendered(load_incident(EXAMPLES / "tls-ou-misissuance"), folder, "irg-3.2-full")
    assert structure(parse(text)) == structure(parse(clean))
    # The build's own check finds in the hostile report what it finds in the clean one.
    assert _codes(built.findings) == _codes(_clean_findings(tmp_path))


def _codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((Path(f.path).name, f.code) for f in findings)


def _clean_findings(tmp_path: Path) -> list[Finding]:
    folder = tmp_path / "clean" / "incident"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder, ignore=shutil.ignore_patterns("out"))
    shutil.copytree(EXAMPLES / "ca", tmp_path / "clean" / "ca")
    return list(build_folder(folder, as_of=AS_OF, write=False).findings)


def test_table_cells_escape_pipes_and_keep_their_row() -> None:
    folder = INCIDENTS["tls-ou-misissuance"]
    incident = changed(
        load_incident(folder), "action_items.0.description", "first | second \\| third\nnext line"
    )
    incident = changed(incident, "related_incidents.0.description", "a\\|b|c")
    text = rendered(incident, folder, "irg-3.2-full")
    report = parse(text)
    actions = report.action_table()
    assert actions is not None
    # markdown-it gives the cell with its pipe escapes resolved: the user's text, escaped.
    assert actions.rows[0][0] == "first | second \\\\| third<br>next line"
    assert all(len(row) == len(table.header) for table in report.tables for row in table.rows)
    assert "<td>first | second \\| third&lt;br&gt;next line</td>" in _MD.render(text)


# The fuzz test: any text in any free-text field leaves the structure as it was.

_FUZZ_TEXT = (
    st.lists(
        st.one_of(
            st.sampled_from(list("#*_`[]()|<>!-=+:.\\~&;\n\r\t 0123456789Tt\u2028\x85\x1e")),
            st.sampled_from(["Total number of certificates: ", "2026-10-14 13:47 UTC ", "**"]),
            st.characters(codec="utf-8"),
        ),
        min_size=1,
        max_size=30,
    )
    .map("".join)
    .filter(lambda text: text.strip() != "")
)

_CLEAN = {name: load_incident(folder) for name, folder in INCIDENTS.items()}
_CLEAN_STRUCTURE = {
    (name, template): structure(parse(rendered(_CLEAN[name], INCIDENTS[name], template)))
    for name, template in CASES
}


# Bounded: 60 examples of a few milliseconds each; new ones every run (a failure prints the
# example and how to reproduce it), none stored in the work tree.
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(prefix=_FUZZ_TEXT, suffix=_FUZZ_TEXT, case=st.sampled_from(CASES))
def test_fuzz_render_check_round_trip(prefix: str, suffix: str, case: tuple[str, str]) -> None:
    name, template = case
    incident = hostile(_CLEAN[name], lambda text: f"{prefix}{text}{suffix}")
    report = parse(rendered(incident, INCIDENTS[name], template))
    assert structure(report) == _CLEAN_STRUCTURE[case]


# CSV


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _record(**fields: Any) -> CertRecord:
    base: dict[str, Any] = {"sha256": "ab" * 32, "serial": "01", "kind": "tls"}
    return CertRecord(**(base | fields))


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_start_a_formula_are_neutralised(first: str) -> None:
    record = _record(
        subject=f'{first}HYPERLINK("http://e.example")',
        issuer=f"{first}1+1",
        dns_names=(f'{first}HYPERLINK("http://e.example")', "www.example.test"),
    )
    rows = _rows(write_csv(appendix_rows([("p", record)], AS_OF)))
    subject, issuer, dns = rows[1][2], rows[1][3], rows[1][7]
    for cell in (subject, issuer, dns):
        assert cell.startswith("'"), cell
        assert cell[1] == first
    # The serial column is hex, never neutralised.
    assert rows[1][6] == "01"


def test_san_hyperlink_is_not_a_formula() -> None:
    """The reproducer: a dNSName SAN `=HYPERLINK("http://e.example")`."""
    record = _record(dns_names=('=HYPERLINK("http://e.example")',))
    text = write_csv(appendix_rows([("p", record)], AS_OF))
    row = _rows(text)[1]
    assert row[7] == '\'=HYPERLINK("http://e.example")'
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_build_writes_the_san_hyperlink_neutralised_and_checks_it(tmp_path: Path) -> None:
    """The reproducer end to end: a certificate whose dNSName is a formula, built into an
    incident's appendix.csv, which the build's own check then reads without a finding."""
    folder = tmp_path / "incident"
    shutil.copytree(EXAMPLES / "tls-ou-misissuance", folder, ignore=shutil.ignore_patterns("out"))
    shutil.copytree(EXAMPLES / "ca", tmp_path / "ca")
    _, issuing, _ = hierarchy()
    der = issue(issuing, 0x7001, '=HYPERLINK("http://e.example")', with_precertificate=False)
    assert der.certificate is not None
    (folder / "formula").mkdir()
    (folder / "formula" / "cert.der").write_bytes(der.certificate)
    yaml = folder / "incident.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace(
            "lint/cabf.serverauth.ov.organizational_unit_name_attribute_present.pem", "formula"
        ),
        encoding="utf-8",
    )
    built = build_folder(folder, as_of=AS_OF)
    rows = _rows((folder / "out" / "appendix.csv").read_text(encoding="utf-8"))
    assert rows[1][7] == '\'=HYPERLINK("http://e.example")'
    assert not [f for f in built.findings if f.path.endswith("appendix.csv")]


def test_problem_column_is_neutralised_too() -> None:
    text = write_csv(appendix_rows([("=cmd|' /C calc'!A0", _record())], AS_OF))
    assert _rows(text)[1][-1].startswith("'=")


def test_negative_serial_is_twos_complement_hex() -> None:
    """A serial cryptography reads as negative is written as its DER content octets."""
    for value, expected in ((-1, "ff"), (-128, "80"), (-129, "ff7f"), (-256, "ff00")):
        record = _record(serial=format(value, "x"))
        row = _rows(write_csv(appendix_rows([("p", record)], AS_OF)))[1]
        assert row[6] == expected, value
    positive = _rows(write_csv(appendix_rows([("p", _record(serial="ff"))], AS_OF)))[1]
    assert positive[6] == "ff"
