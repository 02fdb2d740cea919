"""Read scenario files safely and report every problem at its line and column.

YAML (and JSON, which is read by the same parser so that positions are known)
is composed into nodes with PyYAML's safe machinery, then turned into plain
Python data while the position of every value is recorded by its field path.
Pydantic's errors are mapped back onto those positions, so each problem reads
``FILE:LINE:COL: PATH: MESSAGE``.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

import models
from meshsim.errors import Problem, ScenarioError
from models import CrossFieldError, Scenario

__all__ = ["format_path", "load_scenario", "parse_scenario"]

MAX_NODES = 200_000
"""More nodes than this (after alias expansion) is refused: it guards against alias bombs."""

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp")
}
_STR = "tag:yaml.org,2002:str"
Loc = tuple[str | int, ...]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (YAML or JSON).

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    Scenario
        The validated document.

    Raises
    ------
    ScenarioError
        With one :class:`~meshsim.errors.Problem` per thing wrong, each with line,
        column and field path where they are known.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise ScenarioError(name, [Problem("", f"cannot read file: {err.strerror}")]) from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        problem = Problem("", f"not UTF-8 text (byte {err.start})")
        raise ScenarioError(name, [problem]) from err
    return parse_scenario(text, name)


def parse_scenario(text: str, file: str = "<string>") -> Scenario:
    r"""Validate a scenario given as YAML or JSON text; see :func:`load_scenario`.

    Examples
    --------
    >>> doc = "services: [{name: a}]\nentrypoints: [{name: w, service: a, rate: 5/s}]"
    >>> parse_scenario(doc).entrypoints[0].rate
    5.0
    """
    data, marks = _read_tree(text, file)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(file, _problems(err, data, marks)) from err


def format_path(loc: Loc) -> str:
    """Render a field path as ``services[2].calls[0].to``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- reading ---------------------------------------------------------------------------


class _Positions(dict):
    """Field path -> YAML mark, read as a 1-based (line, column).

    The marks are kept as the parser made them and converted when asked for: a
    2,000-service file has 60,000 values and an error message needs a few.
    """

    def get(self, loc, default=None):
        mark = super().get(loc)
        return default if mark is None else (mark.line + 1, mark.column + 1)

    def __getitem__(self, loc):
        mark = super().__getitem__(loc)
        return mark.line + 1, mark.column + 1


class _Marks:
    """Positions (1-based line, column) of values and keys, by field path."""

    def __init__(self) -> None:
        self.values: dict[Loc, tuple[int, int]] = _Positions()
        self.keys: dict[Loc, tuple[int, int]] = _Positions()


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it: 1,000-service files load ~10x faster, same nodes."""


def _read_tree(text: str, file: str) -> tuple[Any, _Marks]:
    if not text.strip():
        raise ScenarioError(file, [Problem("", "the file is empty; expected a scenario mapping")])
    marks = _Marks()
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if file.endswith(".json"):
            return _read_json(text, file), marks
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = f"YAML syntax error: {err.problem or err.context}"
        raise ScenarioError(file, [Problem("", message, line, col)]) from err
    except yaml.YAMLError as err:
        raise ScenarioError(file, [Problem("", f"YAML error: {err}")]) from err
    if node is None:
        raise ScenarioError(file, [Problem("", "the file is empty; expected a scenario mapping")])
    builder = _Builder(file, marks)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        kind = type(data).__name__
        problem = Problem("", f"expected a scenario mapping at the top, got {kind}", 1, 1)
        raise ScenarioError(file, [problem])
    return data, marks


def _read_json(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        problem = Problem("", f"JSON syntax error: {err.msg}", err.lineno, err.colno)
        raise ScenarioError(file, [problem]) from err


class _Builder:
    """Turns composed YAML nodes into plain data, recording positions."""

    def __init__(self, file: str, marks: _Marks) -> None:
        self.file = file
        self.marks = marks
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, loc: Loc, message: str) -> ScenarioError:
        mark = node.start_mark
        problem = Problem(format_path(loc), message, mark.line + 1, mark.column + 1)
        return ScenarioError(self.file, [problem])

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                node, loc, f"document expands to more than {MAX_NODES} values (too many aliases?)"
            )
        self.marks.values.setdefault(loc, node.start_mark)
        if node.tag == _STR:
            return node.value  # most scalars: nothing to construct
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.fail(
                    node, loc, f"tag {node.tag!r} is not allowed (only plain YAML data)"
                )
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, loc, f"tag {node.tag!r} is not allowed (only plain YAML data)")
        value = self.constructor.construct_object(node, deep=True)
        return value.isoformat() if hasattr(value, "isoformat") else value

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.fail(node, loc, f"tag {node.tag!r} is not allowed (only plain YAML data)")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, loc, "merge keys ('<<') are not supported")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, loc, "a mapping key must be a plain value")
            key = self.build(key_node, (*loc, "<key>"))
            if key in out:
                raise self.fail(key_node, (*loc, key), f"duplicate key {key!r}")
            self.marks.keys[(*loc, key)] = key_node.start_mark
            out[key] = self.build(value_node, (*loc, key))
        return out


# --- mapping pydantic errors -----------------------------------------------------------


def _problems(err: ValidationError, data: Any, marks: _Marks) -> list[Problem]:
    problems: list[Problem] = []
    for error in err.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, CrossFieldError):
            base = _data_path(error["loc"], data, error["type"])
            for loc, message in cause.problems:
                problems.append(_at((*base, *loc), message, marks, key=False))
            continue
        loc = _data_path(error["loc"], data, error["type"])
        key = error["type"] == "extra_forbidden"
        problems.append(_at(loc, _message(error, loc), marks, key=key))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any, kind: str) -> Loc:
    """Keep only the parts of pydantic's loc that are real keys/indexes of the data."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif i == len(loc) - 1 and kind in ("missing", "extra_forbidden") and isinstance(part, str):
            path.append(part)
    return tuple(path)


def _at(loc: Loc, message: str, marks: _Marks, *, key: bool) -> Problem:
    position = marks.keys.get(loc) if key else None
    probe = loc
    while position is None:
        position = marks.values.get(probe) or (marks.keys.get(probe) if probe else None)
        if not probe:
            break
        probe = probe[:-1]
    line, col = position if position else (None, None)
    return Problem(format_path(loc), message, line, col)


def _all_aliases() -> set[str]:
    names: set[str] = set()
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(f.alias or n for n, f in obj.model_fields.items())
    return names


_ALIASES = _all_aliases()


def _number(value: Any) -> str:
    """``1000000.0`` as ``1,000,000``: limits read as the numbers people type."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _message(error: Any, loc: Loc) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        guess = difflib.get_close_matches(str(loc[-1]) if loc else "", _ALIASES, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"unknown field{hint}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']} (got {value!r})"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']} (got {value!r})"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx['le'])} (got {value!r})"
    if kind == "too_long":
        return f"may have at most {_number(ctx.get('max_length'))} item(s)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {value!r})"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"unknown kind {ctx.get('tag', value)!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind.startswith("int_"):
        return f"must be a whole number (got {value!r})"
    if kind.startswith("bool_"):
        return f"must be true or false (got {value!r})"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping (got {type(value).__name__} {value!r})"
    if kind == "list_type":
        return f"must be a list (got {value!r})"
    if kind == "string_type":
        return f"must be a string (got {value!r})"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message
