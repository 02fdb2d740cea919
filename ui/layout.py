"""Where each node of the graph goes: (column, row), entrypoints in column 0.

The layered layout itself is meshsim's (``meshsim.rollout.graph.layered_layout``: columns by
call depth, rows ordered by barycentre sweeps, deterministic); this module only turns
its y-up coordinates into the view's rows (y grows downwards on screen), lays out a
graph of collapsed groups the same way (:func:`layered_units`), and wraps layers too
tall for the window into several columns (:func:`wrapped`), so a 1,000-service graph
fits a screen-shaped overview instead of one column thousands of rows high.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

import networkx as nx

from models import Scenario
from ui.backend import layered_layout

ASPECT = 1.6
"""Width over height the wrapped layout aims at (a landscape window)."""
COLUMN_PX, ROW_PX = 190.0, 74.0
"""Rough size of a layout cell on screen (a node and its gaps), to aim at ``ASPECT``."""


def layered_positions(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """(column, row) of every service, and of every entrypoint under ``@name``."""
    positions = layered_layout(scenario)
    top = max((y for _, y in positions.values()), default=0.0)
    return {name: (x, top - y) for name, (x, y) in positions.items()}


FEW_UNITS = 300
"""Up to this many nodes, cycles are cut at their lightest arrows (see layered_units)."""


def layered_units(
    units: Iterable[str], edges: Mapping[tuple[str, str], int]
) -> dict[str, tuple[float, float]]:
    """(column, row) of nodes joined by ``edges``, by the rules of ``layered_layout``.

    Column: the longest chain of edges reaching the node (``@entrypoints`` are column
    0, their targets at least 1). Nodes on a cycle share a column, except in small
    graphs (collapsed groups, where one cycle can hold every group): there the arrows
    standing for the fewest calls are left out of the layering until no cycle is left,
    so the groups spread out along the main direction of the calls. Rows: a few
    barycentre sweeps, ties by name. For graphs of collapsed groups, where meshsim's
    layout (which reads a scenario) does not apply.
    """
    g = nx.DiGraph()
    g.add_nodes_from(units)
    g.add_edges_from((a, b) for a, b in edges if a != b)
    if len(g) <= FEW_UNITS and not nx.is_directed_acyclic_graph(g):
        kept = nx.DiGraph()
        kept.add_nodes_from(g)
        for (a, b), _count in sorted(edges.items(), key=lambda item: (-item[1], item[0])):
            if a != b and not nx.has_path(kept, b, a):
                kept.add_edge(a, b)
        layering = kept
    else:
        layering = g
    dag = nx.condensation(layering)
    members = dag.graph["mapping"]
    depth: dict[int, int] = {}
    for c in nx.topological_sort(dag):
        own = 0 if all(n.startswith("@") for n in dag.nodes[c]["members"]) else 1
        depth[c] = max([own, *(depth[p] + 1 for p in dag.predecessors(c))])
    layers: dict[int, list[str]] = defaultdict(list)
    for node in layering.nodes:
        layers[depth[members[node]]].append(node)
    near: dict[str, set[str]] = {n: set(g.predecessors(n)) | set(g.successors(n)) for n in g}
    pos: dict[str, float] = {}
    for x in sorted(layers):
        layers[x].sort()
        _place(layers[x], pos)
    for _ in range(4):
        for x in sorted(layers)[1:]:
            layers[x].sort(key=lambda n: (_barycentre(n, near, pos), n))
            _place(layers[x], pos)
    return {n: (float(x), float(pos[n])) for x, layer in layers.items() for n in layer}


def _place(layer: list[str], pos: dict[str, float]) -> None:
    for i, name in enumerate(layer):
        pos[name] = float(i)


def _barycentre(name: str, near: dict[str, set[str]], pos: dict[str, float]) -> float:
    ys = [pos[p] for p in near[name] if p in pos]
    return sum(ys) / len(ys) if ys else 0.0


def wrapped(positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Layers taller than the overview's rows split into side-by-side columns.

    The row limit makes the whole about ``ASPECT`` times as wide as high; a layer keeps
    its order (top to bottom, then the next column). Small graphs are unchanged.
    Columns come out as consecutive integers.
    """
    if not positions:
        return {}
    max_rows = max(12, math.ceil(math.sqrt(len(positions) * COLUMN_PX / ROW_PX / ASPECT)))
    layers: dict[float, list[tuple[float, str]]] = defaultdict(list)
    for name, (x, y) in positions.items():
        layers[x].append((y, name))
    columns: list[list[str]] = []
    for x in sorted(layers):
        layer = [name for _, name in sorted(layers[x])]
        chunks = math.ceil(len(layer) / max_rows)
        rows = math.ceil(len(layer) / chunks)
        columns.extend(layer[i : i + rows] for i in range(0, len(layer), rows))
    height = max(len(c) for c in columns)
    # each column centred on the tallest, as meshsim's layout centres its layers
    return {
        name: (float(x), (height - len(column)) / 2 + i)
        for x, column in enumerate(columns)
        for i, name in enumerate(column)
    }
