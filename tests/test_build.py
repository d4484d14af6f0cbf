"""The build pipeline on the bundled examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ca_incident.app.build import DEFAULT_STEPS, Build, build_folder
from ca_incident.errors import CaIncidentError
from ca_incident.templates import TEMPLATES

from .helpers import AS_OF, EXAMPLES, REPO

EXAMPLE_FOLDERS = sorted(p.parent for p in EXAMPLES.glob("*/incident.yaml"))


def test_there_are_at_least_two_examples() -> None:
    assert len(EXAMPLE_FOLDERS) >= 2


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=lambda p: p.name)
def test_example_builds_with_its_stage_template(folder: Path, tmp_path: Path) -> None:
    result = build_folder(folder, tmp_path, as_of=AS_OF)
    assert result.template is not None
    assert result.written[-1] == tmp_path / "report.md"
    expected = {"report.md"} | (
        {"appendix.csv", "evidence.json", "crtsh-ou-in-subject.txt"} if result.evidence else set()
    )
    assert {p.name for p in result.written} == expected
    text = (tmp_path / "report.md").read_text()
    position = 0
    for item in TEMPLATES[result.template.name].text_outline():
        position = text.index(item, position) + len(item)


def test_steps_are_extensible(tmp_path: Path) -> None:
    seen: list[str] = []

    def extra_step(build: Build) -> None:
        assert build.report is not None
        seen.append(build.report.splitlines()[0])
        build.add_file("extra.txt", "more")

    steps = [*DEFAULT_STEPS[:-1], extra_step, DEFAULT_STEPS[-1]]
    result = build_folder(EXAMPLES / "crl-published-late", tmp_path, as_of=AS_OF, steps=steps)
    assert seen == ["## Preliminary Incident Report"]
    assert (tmp_path / "extra.txt").read_text() == "more"
    assert len(result.written) == 2


def test_not_an_incident_folder(tmp_path: Path) -> None:
    with pytest.raises(CaIncidentError, match=r"no incident\.yaml here"):
        build_folder(tmp_path, as_of=AS_OF)


def test_example_certificates_are_generated_deterministically(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLES / "generate_certs.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(EXAMPLES)
        for p in EXAMPLES.rglob("*")
        if p.suffix in (".pem", ".crl") and p.parent.name in ("ca", "certs", "crl")
    )
    assert generated == committed and len(generated) == 15
    for relative in generated:
        assert (tmp_path / relative).read_bytes() == (EXAMPLES / relative).read_bytes(), relative


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text()
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
