"""``incident.yaml`` in and out: load with every error at once, each at ``file:line:column``.

ruamel.yaml keeps the position of every key and value, pydantic says what is wrong and where in
the data; this module joins the two. Timestamps and decimals are kept as the text the person
wrote, so that pydantic, not YAML, decides what they mean: ``2026-10-14 13:47`` is rejected for
its missing zone instead of being read as a naive time, and a version ``2.10`` stays ``2.10``.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ca_incident.errors import CaIncidentError, IncidentFileError, InputProblem
from ca_incident.model import Incident, Issue, Loc, reference_issues

INCIDENT_FILE = "incident.yaml"


class _TextKeepingConstructor(RoundTripConstructor):
    """Keeps timestamps and floats as written; pydantic parses them with clear errors."""


def _as_text(constructor: RoundTripConstructor, node: Any) -> str:
    return str(node.value)


_TextKeepingConstructor.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_TextKeepingConstructor.add_constructor("tag:yaml.org,2002:float", _as_text)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _TextKeepingConstructor
    yaml.allow_duplicate_keys = False
    return yaml


def incident_path(path: Path) -> Path:
    """The incident file of a folder, or the file itself."""
    return path / INCIDENT_FILE if path.is_dir() else path


def load_incident(path: Path | str) -> Incident:
    """Load and validate an incident folder or file; raise :class:`IncidentFileError` listing
    every problem found, each with its position."""
    name, text = read_incident_file(path)
    return parse_incident(text, name)


def read_incident_file(path: Path | str) -> tuple[str, str]:
    """The incident file of a folder (or the file itself): its name and its text."""
    path = Path(path)
    if not path.exists() and path.suffix not in (".yaml", ".yml"):
        raise CaIncidentError(
            f"{path}: no such incident folder (run 'ca-incident new {path}' to start one)"
        )
    file = incident_path(path)
    try:
        return str(file), file.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = (
            f" (run 'ca-incident new {file.parent}' to start one)"
            if file.name == INCIDENT_FILE
            else ""
        )
        raise CaIncidentError(f"{file}: no such file{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaIncidentError(f"{file}: cannot read: {exc}") from None


Locator = Callable[[Loc], tuple[int, int]]


def locator(text: str) -> Locator:
    """Where a field of a valid incident file stands: (line, column), 1-based."""
    root = _yaml().load(text)
    return lambda loc: locate(root, loc)


def parse_incident(text: str, name: str = INCIDENT_FILE) -> Incident:
    try:
        raw = _yaml().load(text)
    except DuplicateKeyError as exc:
        problem = _marked_problem(name, exc, "", with_context=False)
        raise IncidentFileError(name, [problem]) from None
    except MarkedYAMLError as exc:
        raise IncidentFileError(name, [_marked_problem(name, exc, "not valid YAML")]) from None
    except YAMLError as exc:
        raise IncidentFileError(
            name, [InputProblem(name, 1, 1, "", f"not valid YAML: {exc}")]
        ) from None
    if raw is None:
        raise IncidentFileError(name, [InputProblem(name, 1, 1, "", "the file is empty")])
    if not isinstance(raw, CommentedMap):
        raise IncidentFileError(
            name,
            [InputProblem(name, 1, 1, "", "expected a mapping of fields, e.g. 'ca_owner: ...'")],
        )

    collected: list[Issue] = []
    try:
        incident = Incident.model_validate(raw, context={"consistency_issues": collected})
    except ValidationError as exc:
        problems = [_pydantic_problem(name, raw, err) for err in exc.errors()]
        # The model's cross-field checks did not run; references can still be checked.
        problems += [_issue_problem(name, raw, issue) for issue in reference_issues(raw)]
        raise IncidentFileError(name, problems) from None
    if collected:
        raise IncidentFileError(name, [_issue_problem(name, raw, issue) for issue in collected])
    return incident


def _marked_problem(
    name: str, exc: MarkedYAMLError, what: str, *, with_context: bool = True
) -> InputProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    detail = str(exc.problem or exc.context or "").strip()
    start = exc.context_mark
    if (
        with_context
        and exc.context
        and start is not None
        and (start.line, start.column)
        != (
            line - 1,
            column - 1,
        )
    ):
        detail += f" ({exc.context} started at line {start.line + 1}, column {start.column + 1})"
    return InputProblem(name, line, column, "", f"{what}: {detail}" if what else detail)


def locate(root: Any, loc: Loc, *, key: bool = False) -> tuple[int, int]:
    """1-based position of the node at ``loc``, or of the deepest existing node above it.

    With ``key`` the position of the last key itself (for an unknown field) is returned.
    """
    line, column = 0, 0
    node = root
    for depth, part in enumerate(loc):
        last = depth == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            value = node[part]
            # A nested mapping or list is shown at its key, which is where a person looks.
            # A blank value has no position of its own; ruamel gives the next token's.
            at_key = (
                (key and last) or value is None or isinstance(value, CommentedMap | CommentedSeq)
            )
            line, column = node.lc.key(part) if at_key else node.lc.value(part)
            node = value
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, column = node.lc.item(part)
            node = node[part]
        else:
            break
    return line + 1, column + 1


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _data_loc(loc: tuple[int | str, ...]) -> Loc:
    # Pydantic adds validator names (e.g. 'function-after[...]') for annotated types.
    return tuple(p for p in loc if isinstance(p, int) or "[" not in p)


def _issue_problem(name: str, raw: Any, issue: Issue) -> InputProblem:
    loc, message = issue
    line, column = locate(raw, loc)
    return InputProblem(name, line, column, _dotted(loc), message)


_TYPE_WORDS = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "bool_type": "expected yes or no",
    "bool_parsing": "expected yes or no",
    "list_type": "expected a list",
    "model_type": "expected a mapping of fields",
    "dict_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
}


def _pydantic_problem(name: str, raw: Any, err: ErrorDetails) -> InputProblem:
    loc = _data_loc(err["loc"])
    kind = err["type"]
    given = err.get("input")
    if kind == "missing":
        line, column = locate(raw, loc)
        message = f"required field '{loc[-1]}' is missing"
        return InputProblem(name, line, column, _dotted(loc[:-1]) or "(top level)", message)
    if kind == "extra_forbidden":
        line, column = locate(raw, loc, key=True)
        message = f"unknown field '{loc[-1]}'"
        known = _field_names(Incident, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
        elif known:
            message += f"; expected one of: {', '.join(known)}"
        return InputProblem(name, line, column, _dotted(loc[:-1]) or "(top level)", message)
    line, column = locate(raw, loc)
    if kind == "enum":
        expected = err["ctx"]["expected"]
        message = f"expected one of {expected}; got {_show(given)}"
        choices = {c.lower(): c for c in re.findall(r"'([^']*)'", expected)}
        close = difflib.get_close_matches(str(given).lower(), list(choices), n=1, cutoff=0.75)
        if close:
            message += f"; did you mean '{choices[close[0]]}'?"
    elif kind in _TYPE_WORDS:
        message = f"{_TYPE_WORDS[kind]}; got {_show(given)}"
    elif kind == "string_too_short":
        message = "must not be empty: write the text, or leave the field out where it is optional"
    elif kind == "too_short":
        message = "must not be empty: give at least one entry"
    elif kind == "value_error":
        message = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
    else:
        message = f"{err['msg']}; got {_show(given)}"
    return InputProblem(name, line, column, _dotted(loc), message)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names allowed at ``loc`` inside ``model``, for "did you mean" hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``list[X]``, ``X | None``, or ``Annotated[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            inner = _inner_model(arg)
            if inner is not None:
                return inner
    return None


def json_schema() -> str:
    """The JSON Schema of ``incident.yaml``."""
    schema = Incident.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ca-incident incident.yaml"
    return json.dumps(schema, indent=2) + "\n"


def skeleton(folder: Path | str, ca_owner: str, title: str) -> str:
    """A commented ``incident.yaml`` to fill in."""
    from importlib.resources import files

    from jinja2 import Template

    text = files("ca_incident").joinpath("skeleton.yaml.j2").read_text(encoding="utf-8")
    # JSON strings are valid YAML double-quoted scalars, whatever the name holds.
    return str(
        Template(text, keep_trailing_newline=True).render(
            folder=str(folder), ca_owner=json.dumps(ca_owner), title=json.dumps(title)
        )
    )


def create_incident_folder(folder: Path | str, ca_owner: str, title: str) -> Path:
    """Create ``folder`` with a skeleton ``incident.yaml`` and an empty ``certs/``."""
    folder = Path(folder)
    file = folder / INCIDENT_FILE
    if file.exists():
        raise CaIncidentError(f"{file}: already exists; not overwritten")
    if not ca_owner.strip() or not title.strip():
        raise CaIncidentError("the CA Owner name and the title must not be empty")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "certs").mkdir(exist_ok=True)
    file.write_text(skeleton(folder, ca_owner.strip(), title.strip()), encoding="utf-8")
    return file
