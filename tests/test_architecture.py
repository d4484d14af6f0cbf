"""The shape of the code: no import cycle, data flowing one way (doors -> jobs -> core), and each
fact (a template name, a vocabulary) defined in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .helpers import REPO

PACKAGE = REPO / "src" / "ca_incident"
DOORS = {
    "ca_incident.cli",
    "ca_incident.docgen",
    "ca_incident.__main__",
    "ca_incident.entry",
    "ca_incident.web",
    "ca_incident.web.app",
    "ca_incident.web.charts",
    "ca_incident.web.markdown",
    "ca_incident.web.server",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """Every ca_incident module this one imports, at the top or inside a function."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ca_incident")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            if not base.startswith("ca_incident"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return found - {name}


GRAPH = {name: _imports(name) for name in MODULES}


def test_the_graph_is_read() -> None:
    assert "ca_incident.app.build" in GRAPH["ca_incident.cli"]
    assert "ca_incident.templates" in GRAPH["ca_incident.checks.report"]


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components: any with more than one module is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH.get(node, set()):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    # The package's __init__ only holds the version; it is imported by some modules and
    # imports none.
    assert cycles == []


def test_dependencies_point_inwards() -> None:
    """Doors call jobs, jobs call core; core never reaches out, and checks only read text."""
    wrong = []
    for name, targets in GRAPH.items():
        for target in targets:
            if target in DOORS and name not in DOORS:
                wrong.append((name, target))
            if target.startswith("ca_incident.app") and not (
                name in DOORS or name.startswith("ca_incident.app")
            ):
                wrong.append((name, target))
            if name.startswith("ca_incident.checks") and target.startswith(
                ("ca_incident.certs", "ca_incident.incident_file", "ca_incident.sources")
            ):
                wrong.append((name, target))
    assert wrong == []


def _literals(pattern: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(pattern, node.value)
            ):
                found.setdefault(name, []).append(node.value)
    return found


def test_template_names_are_defined_once() -> None:
    found = _literals(r"irg-\d\.[\dx]-?\w*|mozilla-2023")
    assert set(found) == {"ca_incident.templates"}, found


def test_vocabulary_is_defined_once() -> None:
    """Disclosure sources, action-item kinds and statuses, the CCADB id pattern: the model's."""
    values = r"(?i)self reported|third party reported|prevent|mitigate|detect|complete|canceled"
    found = _literals(values + r"|A\\d\{6\}")
    assert set(found) <= {"ca_incident.model"}, found


def test_appendix_vocabulary_is_defined_once() -> None:
    """The IRG appendix's columns and "Is revoked?" values, and the Ongoing end date."""
    found = _literals(r"(?i)planned|delayed|ongoing|Is revoked\?|Certificate SHA-256 hash")
    assert set(found) <= {"ca_incident.templates", "ca_incident.model"}, found
