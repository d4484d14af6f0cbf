"""The jobs, called from Python as the web app and the Bugzilla client will: an incident held in
memory builds exactly as its folder does."""

from __future__ import annotations

from pathlib import Path

import pytest

from ca_incident.app.build import build, build_folder
from ca_incident.app.check import CheckOptions, check_report_text
from ca_incident.app.revocation import check_incident_revocation
from ca_incident.errors import CaIncidentError
from ca_incident.incident_file import parse_incident
from ca_incident.sources import MemoryFiles, Source
from ca_incident.templates import TEMPLATES, get

from .helpers import AS_OF, EXAMPLES

TLS = EXAMPLES / "tls-ou-misissuance"


def _memory_files() -> MemoryFiles:
    """The TLS example's certificate list, CRL and issuer, as bytes: no folder."""
    wanted = [
        *sorted((TLS / "lint").glob("*.pem")),
        *sorted((TLS / "crl").glob("*.crl")),
    ]
    files = {str(p.relative_to(TLS)): p.read_bytes() for p in wanted}
    files["../ca/ov-tls-issuing-ca-g2.pem"] = (
        EXAMPLES / "ca" / "ov-tls-issuing-ca-g2.pem"
    ).read_bytes()
    return MemoryFiles(files)


def test_an_incident_in_memory_builds_as_its_folder_does(tmp_path: Path) -> None:
    incident = parse_incident((TLS / "incident.yaml").read_text(encoding="utf-8"), "incident.yaml")
    in_memory = build(incident, _memory_files(), as_of=AS_OF)
    on_disk = build_folder(TLS, tmp_path, as_of=AS_OF)
    assert in_memory.written == []
    assert in_memory.report == on_disk.report
    assert in_memory.files_out["appendix.csv"] == on_disk.files_out["appendix.csv"]
    # The CRL given as bytes was verified and used: every row says revoked.
    rows = in_memory.files_out["appendix.csv"].splitlines()[1:]
    assert len(rows) == 12 and all(",Yes," in row for row in rows)
    assert in_memory.as_json()["findings"] == []
    assert not in_memory.errors


def test_revocation_from_bytes() -> None:
    incident = parse_incident((TLS / "incident.yaml").read_text(encoding="utf-8"), "incident.yaml")
    result = check_incident_revocation(incident, _memory_files(), as_of=AS_OF)
    assert [(p.count, p.revoked_on_time) for p in result.problems] == [(12, 12)]
    assert result.crl_errors == []


def test_a_missing_memory_file_is_an_input_error() -> None:
    with pytest.raises(CaIncidentError, match="no such file among the inputs"):
        MemoryFiles({"a.pem": b""})("certs")


def test_a_source_has_a_path_or_data() -> None:
    with pytest.raises(ValueError):
        Source("x")
    assert Source.from_bytes("x.pem", b"data").read_bytes() == b"data"


@pytest.mark.parametrize("name", ["irg-3.2-full", "irg-3.x-full", "IRG-3.X-FULL"])
def test_every_template_name_and_alias_is_accepted(name: str) -> None:
    assert get(name).name == "irg-3.2-full"
    options = CheckOptions(as_of=AS_OF, template=name)
    assert options.template == "irg-3.2-full"


def test_each_rendered_template_is_detected_as_itself(tmp_path: Path) -> None:
    """Render every template and read it back: the checker sees the template it was written
    with, from the registry's own signature."""
    from ca_incident.app.build import PREPARE_STEPS

    folders = {"irg-3.2-closure": Path(__file__).parent / "golden" / "closure-incident"}
    for spec in TEMPLATES.values():
        folder = folders.get(spec.name, TLS)
        built = build_folder(
            folder, as_of=AS_OF, steps=PREPARE_STEPS, template=spec.name, write=False
        )
        assert built.report is not None
        from ca_incident.checks.report import parse

        assert parse(built.report).template == spec.name


def test_check_text_in_memory() -> None:
    report = (
        Path(__file__).parent / "golden" / "tls-ou-misissuance" / "irg-3.2-full.md"
    ).read_text()
    result = check_report_text(report, "report.md", CheckOptions(as_of=AS_OF, posted=AS_OF))
    assert result.findings == [] and not result.errors
    assert result.formatted("json").strip() == "[]"


def test_a_certificate_in_two_problems_is_one_affected_certificate() -> None:
    """The incident's total counts each certificate once; the appendix has a row per problem
    and says so."""
    text = (TLS / "incident.yaml").read_text(encoding="utf-8")
    problem = text[text.index("  - id: ou-in-subject") : text.index("\nrevocation:")]
    second = problem.replace("id: ou-in-subject", "id: ou-again")
    incident = parse_incident(text.replace(problem, problem + second), "incident.yaml")
    built = build(incident, _memory_files(), as_of=AS_OF)
    assert built.data.distinct_total == 12 and built.data.total == 12
    assert "**Total number of certificates:** 12" in (built.report or "")
    assert len(built.files_out["appendix.csv"].splitlines()) == 1 + 24
    assert "one row per certificate and problem" in (built.report or "")
