"""Every scenario is read and written through this module (SPEC §1, §15).

Reading is :func:`load_scenario` / :func:`parse_scenario` of :mod:`meshsim.files.loader`
(safe YAML, every problem with its line). Writing has two cases:

* a **new** scenario (imported, created in the app) becomes YAML text with
  :func:`dump_scenario`: camelCase keys in document order, durations with a unit that
  reads back to the same float;
* an **edited** scenario is written against the text it was read from with
  :func:`update_text` / :func:`save_scenario`: only the lines of the fields that changed
  change; comments, key order, quoting and formatting of everything else stay as the
  user wrote them (ruamel.yaml's round-trip document). Saving an unchanged scenario
  writes nothing.

:class:`RoundTripDocument` sets one field by path (``mesh.policies[0].retries.attempts``,
``services[api].replicas``) in such a document, for ``meshsim edit`` (SPEC §15).
Files are written atomically (:func:`~meshsim.files.atomic.write_text_atomically`).

Every text written here is read back with the loader and must mean exactly the scenario
(or document) it was made from; if the round-trip text ever would not, the scenario is
written in full instead (nothing is silently changed).
"""

from __future__ import annotations

import difflib
import io
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.tokens import CommentToken

from meshsim.errors import ScenarioError
from meshsim.files.atomic import write_text_atomically
from meshsim.files.loader import format_path, load_scenario, parse_scenario
from models import Scenario

__all__ = [
    "RoundTripDocument",
    "Saved",
    "dump_scenario",
    "format_path",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "to_wire",
    "update_text",
    "write_text_atomically",
]

Wire = dict[str, Any]

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()


def to_wire(scenario: Scenario) -> Wire:
    r"""The scenario as the plain data of its file: only the fields that were set, camelCase.

    Examples
    --------
    >>> s = parse_scenario("services: [{name: a}]\nentrypoints: [{name: w, service: a, rate: 5}]")
    >>> to_wire(s)["entrypoints"]
    [{'name': 'w', 'service': 'a', 'rate': 5.0}]
    """
    return scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- writing YAML ---------------------------------------------------------------------


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, made to write what PyYAML (the reader) reads back.

    ruamel writes YAML 1.2, the loader reads YAML 1.1: a new string such as ``yes``,
    ``on`` or ``1_000`` is quoted where YAML 1.1 would read it as something else, and a
    float always has a ``.`` (``1.0e-05``), which YAML 1.1 needs to read it as a number.
    """

    def represent_str(self, data: str) -> Any:
        if type(data) is str and _RESOLVER.resolve(yaml.ScalarNode, data, (True, False)) != (
            _STR_TAG
        ):
            return self.represent_scalar(_STR_TAG, data, style="'")
        return super().represent_str(data)

    def represent_float(self, data: float) -> Any:
        if type(data) is not float or not math.isfinite(data):
            return super().represent_float(data)
        text = repr(data)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return self.represent_scalar("tag:yaml.org,2002:float", text)


_Representer.add_representer(str, _Representer.represent_str)
_Representer.add_representer(float, _Representer.represent_float)


def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    handler = YAML(typ="rt")
    handler.Representer = _Representer
    handler.preserve_quotes = True
    handler.width = 4096  # never re-wrap a long line the user wrote
    handler.indent(mapping=mapping, sequence=sequence, offset=offset)
    return handler


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) of a block-style YAML text."""
    mapping, sequence, offset = None, None, None
    parent: int | None = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        column = len(line) - len(stripped)
        if parent is not None:
            if stripped.startswith("- ") and offset is None:
                offset = column - parent
                rest = stripped[2:]
                sequence = offset + 2 + (len(rest) - len(rest.lstrip(" ")))
            elif not stripped.startswith("-") and mapping is None and column > parent:
                mapping = column - parent
        parent = column if re.match(r"^[^#'\"\s][^:]*:\s*(#.*)?$", stripped) else None
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    if offset is None:
        offset, sequence = 2, 4
    return mapping, max(sequence or 2, offset + 2), offset


def _commented(value: Any) -> Any:
    """Plain data as ruamel's round-trip containers (so it is written in block style)."""
    if isinstance(value, Mapping):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _commented(item)
        return out
    if isinstance(value, list | tuple):
        return CommentedSeq(_commented(item) for item in value)
    return value


def _dump(handler: YAML, data: Any) -> str:
    stream = io.StringIO()
    handler.dump(data, stream)
    return stream.getvalue()


def _plain(value: Any) -> Any:
    """Read-back data, JSON-normalised (so 1 and 1.0, tuples and lists compare alike)."""
    return json.loads(json.dumps(value))


def dump_scenario(scenario: Scenario | Mapping[str, Any]) -> str:
    r"""A new scenario (or a scenario document, e.g. an importer's) as YAML text.

    Keys keep the document's order (camelCase); durations are written with a unit and
    read back as exactly the same float.

    Examples
    --------
    >>> s = parse_scenario("services: [{name: a, serviceTime: 0.8ms}]\n"
    ...                    "entrypoints: [{name: w, service: a, rate: 5/s}]")
    >>> print(dump_scenario(s), end="")
    services:
      - name: a
        serviceTime: 0.8ms
    entrypoints:
      - name: w
        service: a
        rate: 5.0
    >>> parse_scenario(dump_scenario(s)) == s
    True
    """
    wire = to_wire(scenario) if isinstance(scenario, Scenario) else dict(scenario)
    text = _dump(_yaml(), _commented(wire))
    # libyaml's loader: the pure-Python one took 7 s to read back a 1,238-service import
    read_back = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if _plain(read_back) != _plain(wire):  # pragma: no cover - a writer bug
        raise ValueError("the YAML writer did not round-trip the document")
    return text


# --- editing against the original text ------------------------------------------------


def _key_in(doc: CommentedMap, key: str) -> Any:
    """The key of ``doc`` that is the wire key ``key`` (the file may say ``service_time``)."""
    if key in doc:
        return key
    for candidate in doc:
        if isinstance(candidate, str) and _camel(candidate) == key:
            return candidate
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _last(collection: CommentedMap | CommentedSeq) -> Any:
    if isinstance(collection, CommentedMap):
        return next(reversed(collection))
    return len(collection) - 1


def _block(value: Any) -> bool:
    """A non-empty block-style collection (a flow one, ``[a, b]``, is one line)."""
    return (
        isinstance(value, CommentedMap | CommentedSeq)
        and len(value) > 0
        and not value.fa.flow_style()
    )


def _trail(container: CommentedMap | CommentedSeq, key: Any) -> tuple[Any, Any, list]:
    """Where the comments after entry ``key`` live.

    That is its deepest last entry, and the collections on the way (whose ``end``
    comments also follow it).
    """
    chain = []
    value = container[key]
    while _block(value):
        chain.append(value)
        container, key = value, _last(value)
        value = container[key]
    return container, key, chain


def _take_trailing(container: CommentedMap | CommentedSeq, key: Any) -> str:
    """Detach the whole comment lines that follow entry ``key``.

    They introduce what comes next in the file, so they must outlive the entry.
    """
    owner, last, chain = _trail(container, key)
    pos = 2 if isinstance(owner, CommentedMap) else 0
    lines = ""
    item = owner.ca.items.get(last)
    if item and len(item) > pos and item[pos] is not None:
        _eol, _, lines = item[pos].value.partition("\n")  # the entry's own EOL comment goes
        item[pos] = None
    for collection in reversed(chain):
        if collection.ca.end:
            lines += "".join(token.value for token in collection.ca.end)
            collection.ca.end = []
    return lines


def _give_trailing(container: CommentedMap | CommentedSeq, key: Any, lines: str) -> None:
    """Put comment ``lines`` right after entry ``key`` (and everything under it)."""
    if not lines:
        return
    owner, last, _ = _trail(container, key)
    pos = 2 if isinstance(owner, CommentedMap) else 0
    item = owner.ca.items.setdefault(last, [None, None, None, None])
    if item[pos] is None:
        item[pos] = CommentToken("\n" + lines, CommentMark(0), None)
    else:
        item[pos].value += lines


def _replace(container: CommentedMap | CommentedSeq, key: Any, value: Any) -> None:
    """``container[key] = value``, keeping the comments that followed the old value."""
    if value is container[key]:
        return
    lines = _take_trailing(container, key)
    container[key] = value
    _give_trailing(container, key, lines)


def _delete(container: CommentedMap | CommentedSeq, keys: list) -> None:
    """Delete entries ``keys`` (adjacent, in order).

    The comment lines after the last one move to the entry before them: they introduce
    what follows.
    """
    order = list(container) if isinstance(container, CommentedMap) else list(range(len(container)))
    first = order.index(keys[0])
    lines = _take_trailing(container, keys[-1])
    if isinstance(container, CommentedMap):
        for key in keys:
            del container[key]
    else:
        del container[keys[0] : keys[-1] + 1]
    if first > 0:
        _give_trailing(container, order[first - 1], lines)


def _merge(node: Any, old: Any, new: Any) -> Any:
    """``node`` (round-trip data meaning ``old``) changed to mean ``new``.

    Only what differs is touched: equal subtrees keep their nodes (and comments).
    """
    if old == new:
        return node
    if isinstance(new, dict) and isinstance(old, dict) and isinstance(node, CommentedMap):
        for wire_key in [k for k in old if k not in new]:
            doc_key = _key_in(node, wire_key)
            if doc_key is not None:
                _delete(node, [doc_key])
        previous = -1
        for wire_key, value in new.items():
            doc_key = _key_in(node, wire_key)
            if doc_key is None:
                node.insert(previous + 1, wire_key, _commented(value))
                previous += 1
                continue
            if doc_key in old or wire_key in old:
                merged = _merge(node[doc_key], old.get(wire_key), value)
            else:
                merged = _commented(value)
            _replace(node, doc_key, merged)
            previous = list(node).index(doc_key)
        return node
    if isinstance(new, list) and isinstance(old, list) and isinstance(node, CommentedSeq):
        if len(node) != len(old):
            return _commented(new)
        keys_old = [json.dumps(item, sort_keys=True) for item in old]
        keys_new = [json.dumps(item, sort_keys=True) for item in new]
        matcher = difflib.SequenceMatcher(a=keys_old, b=keys_new, autojunk=False)
        # work from the end so earlier indexes stay valid
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                for offset in range(i2 - i1):
                    at = i1 + offset
                    _replace(node, at, _merge(node[at], old[at], new[j1 + offset]))
                continue
            if i2 > i1:
                _delete(node, list(range(i1, i2)))
            for position, item in enumerate(new[j1:j2]):
                node.insert(i1 + position, _commented(item))
        return node
    return _commented(new)


def _wire_of(text: str) -> Wire | None:
    try:
        return to_wire(parse_scenario(text))
    except ScenarioError:
        return None


def update_text(original: str, scenario: Scenario) -> str:
    r"""``original`` (a scenario's text) changed to mean ``scenario``, and nothing else.

    The lines of fields that did not change stay byte for byte, with their comments.
    When ``original`` already means ``scenario`` it is returned as is; when it is not a
    valid scenario (nothing to compare with), the scenario is written in full.

    Examples
    --------
    >>> text = "# my scenario\nservices:\n  - name: a   # the only one\n    replicas: 2\n" \
    ...        "entrypoints: [{name: w, service: a, rate: 5/s}]\n"
    >>> wire = to_wire(parse_scenario(text)); wire["services"][0]["replicas"] = 3
    >>> print(update_text(text, Scenario.model_validate(wire)), end="")
    # my scenario
    services:
      - name: a   # the only one
        replicas: 3
    entrypoints: [{name: w, service: a, rate: 5/s}]
    """
    new = to_wire(scenario)
    old = _wire_of(original)
    if old is None:
        return dump_scenario(scenario)
    if old == new:
        return original
    try:
        document = RoundTripDocument(original)
    except ValueError:
        return dump_scenario(scenario)
    document.data = _merge(document.data, old, new)
    text = document.dump()
    return text if _wire_of(text) == new else dump_scenario(scenario)


class Saved(NamedTuple):
    """What :func:`save_scenario` did."""

    text: str
    """The file's text now (the next save's ``original``)."""
    written: bool
    """False when the file already held exactly this text and was not touched."""


def save_scenario(
    path: str | Path, scenario: Scenario | Mapping[str, Any], original: str | None = None
) -> Saved:
    """Write ``scenario`` to ``path`` atomically, unless the file already says exactly that.

    Parameters
    ----------
    path : str or Path
        The file to write.
    scenario : Scenario or mapping
        The scenario (or a scenario document, e.g. an importer's).
    original : str, optional
        The text the scenario was read from. Given, only the changed fields' lines
        change (see :func:`update_text`), and when ``path`` already holds exactly the
        resulting text the file is not touched at all.
    """
    if original is not None and isinstance(scenario, Scenario):
        text = update_text(original, scenario)
    else:
        text = dump_scenario(scenario)
    target = Path(path)
    try:
        if target.read_text(encoding="utf-8") == text:
            return Saved(text, False)
    except (OSError, UnicodeDecodeError):
        pass
    write_text_atomically(target, text)
    return Saved(text, True)


# --- one field by path ---------------------------------------------------------------

_STEP = re.compile(r"\.?([A-Za-z_][\w-]*)|\[([^\]]+)\]")


class _Named(str):
    """A list item picked by its ``name`` or ``host`` (``[api]``), not a field."""

    __slots__ = ()


_KEYED_BY_HOST = frozenset({"policies"})
"""Lists whose items are named by ``host``: ``--set`` makes a missing one (and the list)."""


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if not match or (position == 0 and path.startswith(".")):
            raise ValueError(f"{path}: not a field path (e.g. services[api].replicas)")
        name, index = match.groups()
        if name is not None:
            steps.append(name)
        else:
            index = index.strip()
            steps.append(int(index) if re.fullmatch(r"-?\d+", index) else _Named(index))
        position = match.end()
    if not steps:
        raise ValueError("an empty field path")
    return steps


def _item(seq: CommentedSeq, step: str | int, path: str) -> int:
    if isinstance(step, int):
        if not -len(seq) <= step < len(seq):
            raise ValueError(f"{path}: index {step} is out of range (the list has {len(seq)})")
        return step % len(seq)
    for i, item in enumerate(seq):
        if isinstance(item, Mapping) and step in (item.get("name"), item.get("host")):
            return i
    raise ValueError(f"{path}: no item named {step!r}")


class RoundTripDocument:
    r"""A scenario's YAML text as an editable document that keeps comments and layout.

    Examples
    --------
    >>> doc = RoundTripDocument("mesh:  # the mesh\n  policies:\n    - host: api\n"
    ...                         "      retries: {attempts: 2}\n")
    >>> doc.set("mesh.policies[api].retries.attempts", 3)
    >>> doc.set("mesh.defaults.timeout", "1s")
    >>> print(doc.dump(), end="")
    mesh:  # the mesh
      policies:
        - host: api
          retries: {attempts: 3}
      defaults:
        timeout: 1s
    """

    def __init__(self, text: str) -> None:
        mapping, sequence, offset = _guess_indent(text)
        self._yaml = _yaml(mapping, sequence, offset)
        try:
            data = self._yaml.load(text)
        except RuamelError as err:
            raise ValueError(f"not YAML that can be edited in place: {err}") from err
        if not isinstance(data, CommentedMap):
            raise ValueError("a scenario file must hold a mapping")
        self.data: CommentedMap = data

    def get(self, path: str) -> Any:
        """The value at ``path`` (``services[api].replicas``, ``faults[0].duration``)."""
        node: Any = self.data
        for step in _steps(path):
            if isinstance(node, CommentedSeq):
                node = node[_item(node, step, path)]
            elif isinstance(node, Mapping) and isinstance(step, str):
                key = _key_in(node, step)
                if key is None:
                    raise ValueError(f"{path}: no field {step!r}")
                node = node[key]
            else:
                raise ValueError(f"{path}: {step!r} is inside a plain value")
        return node

    def set(self, path: str, value: Any) -> None:
        """Set the field at ``path`` to ``value`` (plain data); missing mappings are made.

        A list item is picked by index (``faults[0]``) or by its ``name`` / ``host``
        (``services[api]``, ``mesh.policies[payment]``). A policy for a host that has
        none yet is added (and the ``policies`` list with it); any other missing item
        is an error, since it would lack its required fields.
        """
        steps = _steps(path)
        node: Any = self.data
        key: Any = None  # the field the node was reached by
        for position, step in enumerate(steps):
            last = position == len(steps) - 1
            if isinstance(node, CommentedSeq):
                try:
                    index = _item(node, step, path)
                except ValueError:
                    if not (isinstance(step, _Named) and key in _KEYED_BY_HOST):
                        raise
                    node.append(CommentedMap([("host", str(step))]))
                    index = len(node) - 1
                if last:
                    node[index] = _commented(value)
                    return
                node = node[index]
            elif isinstance(node, CommentedMap) and isinstance(step, str):
                key = _key_in(node, step) or step
                if last:
                    node[key] = _commented(value)
                    return
                if key not in node or node[key] is None:
                    named = isinstance(steps[position + 1], _Named) and key in _KEYED_BY_HOST
                    node[key] = CommentedSeq() if named else CommentedMap()
                node = node[key]
            else:
                raise ValueError(f"{path}: {step!r} is inside a plain value")

    def dump(self) -> str:
        """The document as text."""
        return _dump(self._yaml, self.data)
