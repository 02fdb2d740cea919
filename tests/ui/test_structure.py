"""The app's structure: no import cycles inside ui/, actions declared as data."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtGui import QKeySequence

from tests.ui.ui_testing import REPO
from ui.actions import ACTIONS, EXPORTS, MENUS, SEPARATOR, TOOLBAR

UI = REPO / "ui"


def ui_imports(path: Path) -> set[str]:
    """The ui modules ``path`` imports, TYPE_CHECKING imports included (a cycle is a cycle)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ui."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "ui":
                found.update(f"ui.{a.name}" for a in node.names)
            elif node.module.startswith("ui."):
                found.add(node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {f"ui.{p.stem}": p for p in UI.glob("*.py") if p.stem != "__init__"}
    return {name: ui_imports(path) & set(modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path that ends where it starts), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_ui_imports_have_no_cycles():
    graph = import_graph()
    assert {"ui.main_window", "ui.menus", "ui.file_actions", "ui.run_actions"} <= set(graph)
    assert "ui.session" in graph["ui.main_window"]  # the walk does see imports
    assert find_cycle(graph) is None


def test_only_the_app_entry_imports_the_main_window():
    importers = {name for name, targets in import_graph().items() if "ui.main_window" in targets}
    assert importers == {"ui.app"}


def test_every_action_is_in_a_menu_and_has_a_valid_shortcut(qapp):
    ids = [spec.id for spec in ACTIONS]
    assert len(ids) == len(set(ids))
    known = set(ids) | {"undo", "redo"}
    in_menus = [e for _, entries in MENUS for e in entries if e != SEPARATOR]
    in_menus = [e for e in in_menus if not e.startswith("@")] + list(EXPORTS)
    assert sorted(in_menus) == sorted(known)  # each once, none forgotten
    assert {e for e in TOOLBAR if e != SEPARATOR} <= known
    # A shortcut names a standard key (which may be empty on some platforms) or parses.
    for spec in ACTIONS:
        if spec.shortcut and getattr(QKeySequence.StandardKey, spec.shortcut, None) is None:
            assert QKeySequence(spec.shortcut).toString() == spec.shortcut, spec.id
