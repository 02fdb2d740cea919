"""Dependency links: Jaeger's ``/api/dependencies`` and Zipkin's ``/api/v2/dependencies``.

Both are lists of ``{parent, child, callCount}`` (Zipkin adds ``errorCount``;
Jaeger's API wraps the list in ``{"data": [...]}``). They count calls over a
time window the file does not state, so entry rates come from ``--rate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshsim.files.importers.common import Graph
from meshsim.files.importers.sources import Source, parse_structured, read_text

__all__ = ["load"]


def load(paths: Sequence[Path], graph: Graph) -> None:
    """Add every dependency link of ``paths`` to ``graph``.

    Raises
    ------
    GraphImportError
        When a file is not a list of links.
    """
    for path in paths:
        source = Source(str(path))
        links = _links(parse_structured(read_text(path), source.file), source)
        if not links:
            source.fail("no dependency links in the file")
        for i, link in enumerate(links):
            _add(graph, source.mapping(link, f"link {i + 1}"), i + 1, source)


def _links(data: Any, source: Source) -> list[Any]:
    if isinstance(data, dict) and "data" in data:
        data = data["data"]
    return source.sequence(data, "the dependency links")


def _add(graph: Graph, link: dict[str, Any], number: int, source: Source) -> None:
    parent = source.text(link.get("parent"), f"link {number}: parent")
    child = source.text(link.get("child"), f"link {number}: child")
    calls = source.number(link.get("callCount", 0), f"link {number}: callCount")
    errors = link.get("errorCount")
    if errors is not None:
        errors = min(calls, source.number(errors, f"link {number}: errorCount"))
    graph.edge(parent, child, calls=calls, errors=errors)
