"""``incident.yaml`` in and out: load with every error at once, each at ``file:line:column``.

ruamel.yaml keeps the position of every key and value, pydantic says what is wrong and where in
the data; this module joins the two. Timestamps and decimals are kept as the text the person
wrote, so that pydantic, not YAML, decides what they mean: ``2026-10-14 13:47`` is rejected for
its missing zone instead of being read as a naive time, and a version ``2.10`` stays ``2.10``.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import stat
import tempfile
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import CommentToken

from ca_incident.errors import CaIncidentError, IncidentFileError, InputProblem
from ca_incident.model import Incident, Issue, Loc, Question, one_line, reference_issues
from ca_incident.timeutil import TimestampError, parse_timestamp

INCIDENT_FILE = "incident.yaml"
MAX_INCIDENT_FILE = 16 << 20


class _TextKeepingConstructor(RoundTripConstructor):
    """Keeps timestamps, integers and floats as written; pydantic parses them with clear
    errors."""


def _as_text(constructor: RoundTripConstructor, node: Any) -> str:
    return str(node.value)


_TextKeepingConstructor.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_TextKeepingConstructor.add_constructor("tag:yaml.org,2002:float", _as_text)
# Integers too: a text field keeps "0x1F" as written; an integer field parses the text.
_TextKeepingConstructor.add_constructor("tag:yaml.org,2002:int", _as_text)


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
        mode = file.stat().st_mode
        if not stat.S_ISREG(mode):
            raise CaIncidentError(
                f"{file}: not a regular file (a folder, FIFO or device); expected the incident file"
            )
        if file.stat().st_size > MAX_INCIDENT_FILE:
            raise CaIncidentError(
                f"{file}: over {MAX_INCIDENT_FILE >> 20} MiB; an incident file is far smaller"
            )
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
    except RecursionError:
        raise IncidentFileError(
            name, [InputProblem(name, 1, 1, "", "not valid YAML: nested too deeply")]
        ) from None
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
    # JSON strings are valid YAML double-quoted scalars, whatever the name holds; the folder
    # goes into a comment, where a line break would start real YAML.
    shown = json.dumps(str(folder))[1:-1]
    return str(
        Template(text, keep_trailing_newline=True).render(
            folder=shown, ca_owner=json.dumps(ca_owner), title=json.dumps(title)
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
    for what, value in (("--ca", ca_owner), ("--title", title), ("the folder name", str(folder))):
        try:
            one_line(value)
        except ValueError as exc:
            raise CaIncidentError(f"{what}: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "certs").mkdir(exist_ok=True)
    file.write_text(skeleton(folder, ca_owner.strip(), title.strip()), encoding="utf-8")
    return file


# Writing back what Bugzilla says, without disturbing the person's comments or layout.

_SAME_MINUTE = timedelta(minutes=1)
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"


class _Moment(str):
    """A timestamp written plain (``2026-11-28T22:36:41Z``), never quoted."""


def _represent_moment(representer: Any, value: _Moment) -> Any:
    # With seconds, YAML reads the text as a timestamp, and the tag keeps it unquoted;
    # without, it is plain text already.
    tag = _TIMESTAMP_TAG if re.search(r"T\d\d:\d\d:\d\d", value) else _STR_TAG
    return representer.represent_scalar(tag, str(value))


def _moment_text(moment: datetime) -> _Moment:
    utc = moment.astimezone(UTC)
    text = f"{utc:%Y-%m-%dT%H:%M:%S}Z" if utc.second else f"{utc:%Y-%m-%dT%H:%M}Z"
    return _Moment(text)


def _layout(text: str) -> tuple[int, int, int]:
    """The file's indentation (mapping, sequence, offset of the dash), as ruamel names them,
    read from its first nested mapping and first block sequence."""
    mapping, sequence, offset = 2, 4, 2
    lines = text.splitlines()
    for number, line in enumerate(lines[:-1]):
        key = re.match(r"^( *)[\w.-]+:\s*(#.*)?$", line)
        if key is None:
            continue
        following = next(
            (n for n in lines[number + 1 :] if n.strip() and not n.lstrip().startswith("#")),
            "",
        )
        inner = len(following) - len(following.lstrip(" "))
        step = inner - len(key[1])
        if following.lstrip().startswith("- ") and step >= 0:
            offset, sequence = step, step + 2
            break
        if step > 0:
            mapping = step
    return mapping, sequence, offset


def _split_tail(token: Any) -> tuple[str, str]:
    """A trailing comment token: the comment on the entry's own line, and the lines after
    it (comments and blank lines that lead to the next entry)."""
    value = str(token.value)
    head, newline, rest = value.partition("\n")
    return head + newline, rest


def _tail(node: Any, key: Any) -> tuple[Any, Any]:
    """The container and key whose trailing comment token ends the entry ``node[key]``."""
    value = node[key]
    if isinstance(value, CommentedMap) and len(value):
        return _tail(value, list(value)[-1])
    if isinstance(value, CommentedSeq) and len(value) and value.fa.flow_style() is False:
        return _tail(value, len(value) - 1)
    return node, key


def _token(node: Any, key: Any) -> Any:
    entry = node.ca.items.get(key)
    return entry[2] if entry and len(entry) > 2 else None


def _set_token(node: Any, key: Any, text: str) -> None:
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    if text.strip("\n") == "" and text.count("\n") <= 1:
        entry[2] = None
        return
    entry[2] = CommentToken(text, CommentMark(0), None)


def _put(node: CommentedMap, key: str, value: Any, *, after: str | None = None) -> None:
    """Set ``node[key]``; a new key goes after ``after`` (else last), and takes over the
    comment lines and blank lines that followed the entry before it."""
    if key in node:
        node[key] = value
        return
    keys = list(node)
    previous = after if after in keys else (keys[-1] if keys else None)
    position = keys.index(previous) + 1 if previous is not None else 0
    node.insert(position, key, value)
    if previous is None:
        return
    holder, where = _tail(node, previous)
    token = _token(holder, where)
    if token is None:
        return
    own, rest = _split_tail(token)
    if not rest:
        return
    _set_token(holder, where, own)
    new_holder, new_where = _tail(node, key)
    existing = _token(new_holder, new_where)
    mine = _split_tail(existing)[0] if existing is not None else "\n"
    _set_token(new_holder, new_where, mine + rest)


def _comment(node: Any, key: Any, text: str) -> None:
    """The comment on ``node[key]``'s own line, replacing the one there."""
    token = _token(node, key)
    rest = _split_tail(token)[1] if token is not None else ""
    node.ca.items.setdefault(key, [None, None, None, None])[2] = CommentToken(
        f"  # {text}\n{rest}", CommentMark(0), None
    )


def write_back(
    path: Path | str,
    *,
    bug: int | None = None,
    posted: Mapping[str, tuple[datetime, int | None]] | None = None,
    updates: Sequence[tuple[datetime, int | None]] = (),
    questions: Sequence[tuple[Question, int | None]] = (),
) -> list[str]:
    """Write what Bugzilla says into an incident file, keeping its comments and layout: the
    bug number; when reports were posted (``posted``: field -> (moment, comment number)),
    and updates; questions (with the number of the comment that answered each). Comment
    numbers go in end-of-line comments. Returns what changed; writes nothing when nothing
    did, and nothing at all if the result would not load as the file did."""
    name, text = read_incident_file(path)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _layout(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.representer.add_representer(_Moment, _represent_moment)
    try:
        root = yaml.load(text)
    except YAMLError as exc:
        raise CaIncidentError(f"{name}: not valid YAML, so not updated: {exc}") from None
    if not isinstance(root, CommentedMap):
        raise CaIncidentError(f"{name}: not a mapping of fields, so not updated")
    changes: list[str] = []
    if bug is not None:
        current = root.get("bug")
        if current not in (None, "") and str(current) != str(bug):
            raise CaIncidentError(f"{name}: names bug {current}, not bug {bug}; not updated")
        if current in (None, ""):
            _put(root, "bug", bug, after="title")
            changes.append(f"bug: {bug}")
    if posted or updates:
        block = root.get("posted")
        new_block = not isinstance(block, CommentedMap)
        if not isinstance(block, CommentedMap):
            block = CommentedMap()
        for field_name, (moment, number) in (posted or {}).items():
            value = _moment_text(moment)
            if str(block.get(field_name) or "") != value:
                _put(block, field_name, value)
                changes.append(f"posted.{field_name}: {value}")
            if number is not None:
                _comment(block, field_name, f"comment {number}")
        if updates:
            listed = block.get("updates")
            if not isinstance(listed, CommentedSeq):
                listed = CommentedSeq()
                listed.fa.set_flow_style()
                _put(block, "updates", listed)
            known = [_known_moment(v) for v in listed]
            for moment, _number in sorted(updates):
                if any(k is not None and abs(k - moment) < _SAME_MINUTE for k in known):
                    continue
                listed.append(_moment_text(moment))
                known.append(moment)
                changes.append(f"posted.updates: {_moment_text(moment)}")
            last = max(m for m, _ in updates)
            current_last = _known_moment(block.get("last_update"))
            if current_last is None or current_last < last - _SAME_MINUTE:
                _put(block, "last_update", _moment_text(last))
                changes.append(f"posted.last_update: {_moment_text(last)}")
        if new_block and len(block):
            _put(root, "posted", block, after="stage")
    if questions:
        changes += _write_questions(root, questions)
    if not changes:
        return []
    buffer = io.StringIO()
    yaml.dump(root, buffer)
    updated = buffer.getvalue()
    try:
        parse_incident(updated, name)
    except IncidentFileError:
        try:
            parse_incident(text, name)
        except IncidentFileError:
            pass  # it did not load before either: the blanks are the person's to fill
        else:
            raise CaIncidentError(
                f"{name}: the update would not load; not written: {'; '.join(changes)}"
            ) from None
    _replace(Path(name), updated)
    return changes


def _known_moment(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(str(value))
    except TimestampError:
        return None


def _write_questions(
    root: CommentedMap, questions: Sequence[tuple[Question, int | None]]
) -> list[str]:
    changes: list[str] = []
    listed = root.get("questions")
    new_list = not isinstance(listed, CommentedSeq)
    if not isinstance(listed, CommentedSeq):
        listed = CommentedSeq()
    for question, answered_in in questions:
        entry = next(
            (
                e
                for e in listed
                if isinstance(e, CommentedMap)
                and question.comment is not None
                and str(e.get("comment")) == str(question.comment)
            ),
            None,
        )
        if entry is None:
            entry = CommentedMap()
            entry["asked"] = _moment_text(question.asked)
            entry["by"] = question.by
            if question.comment is not None:
                entry["comment"] = question.comment
            listed.append(entry)
            changes.append(f"questions: asked {entry['asked']} by {question.by}")
        if question.answered is not None and entry.get("answered") in (None, ""):
            _put(entry, "answered", _moment_text(question.answered))
            if answered_in is not None:
                _comment(entry, "answered", f"comment {answered_in}")
            changes.append(f"questions: answered {_moment_text(question.answered)}")
    if new_list and len(listed):
        _put(root, "questions", listed)
    return changes


def _replace(file: Path, text: str) -> None:
    """Write ``text`` to ``file`` atomically, keeping its permissions."""
    mode = stat.S_IMODE(file.stat().st_mode)
    handle, temporary = tempfile.mkstemp(prefix=".incident-", dir=file.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
