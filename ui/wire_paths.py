"""Reading and writing a scenario's wire data (plain dicts and lists) by field path."""

from __future__ import annotations

from typing import Any

from ui.fields import UNSET

Loc = tuple[str | int, ...]


def lookup(data: Any, path: str) -> Any:
    """The value at a ``a.b[2].c`` path of plain data, None when absent."""
    node = data
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part[1:-1])
            node = node[index] if isinstance(node, list) and index < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def assign(data: dict, loc: Loc, value: Any) -> None:
    node: Any = data
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part]
        else:
            if not isinstance(node.get(part), dict | list):
                node[part] = {}
            node = node[part]
    if value is UNSET:
        node.pop(loc[-1], None)
    else:
        node[loc[-1]] = value


def owner(path: str, editors: dict[str, Any]) -> str | None:
    """The editor whose field contains ``path`` (the longest matching prefix)."""
    best = None
    for candidate in editors:
        if path == candidate or path.startswith((candidate + ".", candidate + "[")):
            if best is None or len(candidate) > len(best):
                best = candidate
    return best
