"""The call graph of a scenario: structure, layouts and analytic traffic figures.

This is the one module of meshsim that imports networkx (STYLE). Besides the
graph itself it computes, from the call scripts alone (no simulation):

* expected visits of each service per entry request;
* analytic exposure (SPEC §11.3): the probability that an entry request touches a
  service, or any of a set of services;
* structural blast radius (SPEC §11.4): the probability that an entry request
  *requires* a service, i.e. reaches it through required calls only.

Assumptions of the analytic figures (documented in docs/planning.md): every call item
is drawn independently (as the engine does, SPEC §4), the calls of an item's
``count`` repetitions reach independent executions of the callee, nothing fails
(a failed required call would stop the caller's script early), and call trees are cut
at ``simulation.maxDepth``. Entrypoints are mixed by their rates.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import islice

import networkx as nx
import numpy as np

from models import Scenario

__all__ = [
    "CallTable",
    "back_edges",
    "source_components",
    "call_depths",
    "call_graph",
    "callers",
    "cycles",
    "heights",
    "layered_layout",
    "spring_layout",
]


_FEW_CALLS = 500
"""Below this many calls :meth:`CallTable.reach` of one target set takes the plain loop:
numpy's per-call overhead outweighs what :meth:`CallTable._reach_rows` saves (twice as
slow on 10-70 services, 1.6 times as fast on 4,271 calls)."""


@dataclass(frozen=True)
class CallTable:
    """A scenario's call items as arrays, for fast analytic figures.

    Build it with :meth:`from_scenario`. Services are indexed in document order.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b", "probability": 0.3}]},
    ...                  {"name": "b"}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 10}]})
    >>> round(CallTable.from_scenario(s).exposure()["b"], 6)
    0.3
    """

    names: tuple[str, ...]
    src: np.ndarray
    dst: np.ndarray
    probability: np.ndarray
    count: np.ndarray
    optional: np.ndarray
    entry_service: np.ndarray
    entry_weight: np.ndarray
    max_depth: int

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> CallTable:
        """Compile ``scenario``'s call scripts (parallel groups flattened)."""
        index = {s.name: i for i, s in enumerate(scenario.services)}
        rows = [
            (i, index[c.to], c.probability, c.count, c.optional)
            for i, s in enumerate(scenario.services)
            for c in s.iter_calls()
        ]
        src, dst, prob, count, optional = zip(*rows, strict=True) if rows else ((),) * 5
        rates = np.array([e.rate for e in scenario.entrypoints], dtype=float)
        return cls(
            names=tuple(index),
            src=np.array(src, dtype=np.intp),
            dst=np.array(dst, dtype=np.intp),
            probability=np.array(prob, dtype=float),
            count=np.array(count, dtype=float),
            optional=np.array(optional, dtype=bool),
            entry_service=np.array([index[e.service] for e in scenario.entrypoints], dtype=np.intp),
            entry_weight=rates / rates.sum(),
            max_depth=scenario.simulation.max_depth,
        )

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each service name."""
        return {name: i for i, name in enumerate(self.names)}

    def reach(self, targets: Iterable[str], *, required_only: bool = False) -> np.ndarray:
        """Per service u: probability that one execution of u's call tree touches a target.

        Parameters
        ----------
        targets : iterable of str
            Service names; a target touches itself with probability 1.
        required_only : bool
            Follow only required (non-optional) calls: the probability that u's
            execution *requires* a target (structural blast radius).

        Returns
        -------
        numpy.ndarray
            One probability per service, in document order.
        """
        hit = np.zeros((1, len(self.names)), dtype=bool)
        hit[0, [self.index[t] for t in targets]] = True
        if len(self.src) < _FEW_CALLS:
            return self._reach_plain(hit[0], required_only=required_only)
        return self._reach_rows(hit, required_only=required_only)[0]

    def _reach_plain(self, hit: np.ndarray, *, required_only: bool) -> np.ndarray:
        """:meth:`reach` one round over every call at a time: the quickest for few calls."""
        n = len(self.names)
        q = hit.astype(float)
        src, dst, prob, count = self._calls(required_only)
        # Monotone fixed-point iteration from below: after d rounds, q is the probability
        # of touching a target within d levels of calls, hence the cap at maxDepth.
        with np.errstate(divide="ignore"):
            for _ in range(self.max_depth):
                item = prob * (1.0 - (1.0 - q[dst]) ** count)
                miss = np.bincount(src, weights=np.log1p(-item), minlength=n)
                new = np.where(hit, 1.0, 1.0 - np.exp(miss))
                if np.max(np.abs(new - q), initial=0.0) < 1e-13:
                    return new
                q = new
        return q

    def _reach_rows(self, hit: np.ndarray, *, required_only: bool) -> np.ndarray:
        """:meth:`reach` of several target sets at once, one row of ``hit`` per set.

        Each row goes through exactly the rounds, and the numbers, of
        :meth:`_reach_plain` (its own stop included); sharing the numpy calls between
        rows is what saves time.
        Only the services that can reach a target of some row take part: the others'
        probability stays 0, and a call to them adds log1p(-0) = 0 to its caller's sum.
        """
        rows, n = hit.shape
        out = np.zeros((rows, n))
        src, dst, prob, count = self._calls(required_only)
        nodes, src, dst, prob, count = _upstream(hit.any(axis=0), src, dst, prob, count)
        hit = hit[:, nodes]
        minus_prob = -prob[:, None]  # -(p * x) is (-p) * x exactly
        repeated = np.flatnonzero(count != 1.0)  # x ** 1.0 is x exactly: no power elsewhere
        power = count[repeated, None]
        active = np.arange(rows)  # row of `out` of each row still iterating
        # one column per row: a call's cells are side by side, for take and bincount
        hit = np.ascontiguousarray(hit.T)
        q = hit.astype(float)
        caller = _cells(src, rows)
        item = np.empty((len(src), rows))
        # Monotone fixed-point iteration from below: after d rounds, q is the probability
        # of touching a target within d levels of calls, hence the cap at maxDepth.
        with np.errstate(divide="ignore"):
            for _ in range(self.max_depth):
                q.take(dst, axis=0, out=item)  # (1 - q) ** count, then times -p
                np.subtract(1.0, item, out=item)
                if len(repeated):
                    item[repeated] **= power
                np.subtract(1.0, item, out=item)
                np.multiply(item, minus_prob, out=item)
                np.log1p(item, out=item)
                new = np.bincount(caller, weights=item.ravel(), minlength=q.size)
                new = new.astype(float, copy=False).reshape(q.shape)  # no calls: ints
                np.exp(new, out=new)
                np.subtract(1.0, new, out=new)
                new[hit] = 1.0
                step = np.subtract(new, q, out=q)  # q is not needed any more
                done = np.abs(step, out=step).max(axis=0, initial=0.0) < 1e-13
                if done.any():
                    out[np.ix_(active[done], nodes)] = new[:, done].T
                    going = ~done
                    active, hit, new = active[going], hit[:, going], new[:, going]
                    if not len(active):
                        return out
                    caller = _cells(src, len(active))
                    item = np.empty((len(src), len(active)))
                q = new
        out[np.ix_(active, nodes)] = q.T
        return out

    def _calls(self, required_only: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Caller, callee, probability and count of the calls :meth:`reach` follows."""
        if not required_only:
            return self.src, self.dst, self.probability, self.count
        keep = ~self.optional
        return self.src[keep], self.dst[keep], self.probability[keep], self.count[keep]

    def _each_touch(self, *, required_only: bool, batch: int = 32) -> list[float]:
        """Item i: :meth:`touch_probability` of service i alone.

        Services are taken ``batch`` at a time, in the order of how many services can
        reach them, so that a batch's services share most of their upstream.
        """
        n = len(self.names)
        src, dst = self._calls(required_only)[:2]
        order = _by_upstream_size(n, src, dst)
        out = [0.0] * n
        for start in range(0, n, batch):
            part = order[start : start + batch]
            hit = np.zeros((len(part), n), dtype=bool)
            hit[np.arange(len(part)), part] = True
            for i, q in zip(part, self._reach_rows(hit, required_only=required_only), strict=True):
                out[i] = self._entry_mix(q)
        return out

    def touch_probability(self, targets: Iterable[str], *, required_only: bool = False) -> float:
        """Probability that an entry request touches (or requires) any of ``targets``."""
        targets = list(targets)
        if not targets:
            return 0.0
        return self._entry_mix(self.reach(targets, required_only=required_only))

    def _entry_mix(self, q: np.ndarray) -> float:
        return float(np.dot(self.entry_weight, q[self.entry_service]))

    def exposure(self) -> dict[str, float]:
        """Analytic exposure of each service (SPEC §11.3)."""
        return dict(zip(self.names, self._each_touch(required_only=False), strict=True))

    def structural_blast_radius(self) -> dict[str, float]:
        """Share of entry requests whose call tree requires each service (SPEC §11.4)."""
        return dict(zip(self.names, self._each_touch(required_only=True), strict=True))

    def expected_visits(self) -> np.ndarray:
        """Expected executions of each service per entry request (cut at maxDepth)."""
        n = len(self.names)
        level = np.bincount(self.entry_service, weights=self.entry_weight, minlength=n)
        total = level.copy()
        rate = self.probability * self.count
        for _ in range(self.max_depth - 1):
            level = np.bincount(self.dst, weights=rate * level[self.src], minlength=n)
            total += level
            if level.sum() < 1e-12:
                break
        return total

    def edge_calls(self) -> dict[tuple[str, str], float]:
        """Expected logical calls per entry request on each service-to-service edge."""
        visits = self.expected_visits()
        out: dict[tuple[str, str], float] = {}
        for s, d, p, c in zip(self.src, self.dst, self.probability, self.count, strict=True):
            key = (self.names[s], self.names[d])
            out[key] = out.get(key, 0.0) + float(visits[s] * p * c)
        return out


def _upstream(
    seed: np.ndarray, src: np.ndarray, dst: np.ndarray, prob: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The services from which a ``seed`` service can be reached, and the calls to them.

    Returns the services' positions and the calls with caller and callee renumbered
    by them (in their order); a caller of such a service is one itself.
    """
    keep = seed.copy()
    while True:
        grown = keep.copy()
        grown[src[keep[dst]]] = True
        if np.array_equal(grown, keep):
            break
        keep = grown
    nodes = np.flatnonzero(keep)
    local = np.zeros(len(keep), dtype=np.intp)
    local[nodes] = np.arange(len(nodes))
    calls = np.flatnonzero(keep[dst])
    return nodes, local[src[calls]], local[dst[calls]], prob[calls], count[calls]


def _cells(src: np.ndarray, columns: int) -> np.ndarray:
    """Flat positions of the calls' callers in a services x ``columns`` array, call by call.

    ``bincount`` adds a cell's terms in this order, that is in call order, as for one column.
    """
    return (src[:, None] * columns + np.arange(columns)).ravel()


def _by_upstream_size(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Services 0..n-1 by how many services can reach them (themselves included)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    dag = nx.condensation(g)
    upstream: dict[int, int] = {}  # component -> bit set of the services that reach it
    for c in nx.topological_sort(dag):
        bits = sum(1 << v for v in dag.nodes[c]["members"])
        for p in dag.predecessors(c):
            bits |= upstream[p]
        upstream[c] = bits
    mapping = dag.graph["mapping"]
    size = [upstream[mapping[v]].bit_count() for v in range(n)]
    return np.array(sorted(range(n), key=lambda v: (size[v], mapping[v], v)), dtype=np.intp)


def call_graph(scenario: Scenario, *, entrypoints: bool = False) -> nx.DiGraph:
    """The service call graph.

    Nodes carry ``namespace``, ``replicas``, ``sensitive``, ``external``,
    ``environment``, ``tier``, ``entry`` (receives an entrypoint) and ``kind``
    (``"service"`` or ``"entrypoint"``). An edge caller → callee aggregates every call
    item between the two: ``probability`` (chance one execution of the caller calls the
    callee at least once), ``count`` (expected calls per execution) and ``optional``
    (every call on the edge is optional).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    entrypoints : bool
        Also add one node ``@name`` per entrypoint with an edge to its service
        (``rate`` and ``client`` attributes), for drawing.

    Returns
    -------
    networkx.DiGraph
    """
    g = nx.DiGraph(name=scenario.metadata.name)
    entry_services = {e.service for e in scenario.entrypoints}
    for s in scenario.services:
        g.add_node(
            s.name,
            kind="service",
            namespace=s.namespace,
            replicas=s.replicas,
            sensitive=s.sensitive,
            external=s.external,
            environment=s.environment,
            tier=s.tier,
            entry=s.name in entry_services,
        )
    for s in scenario.services:
        for c in s.iter_calls():
            if g.has_edge(s.name, c.to):
                data = g.edges[s.name, c.to]
                data["probability"] = 1 - (1 - data["probability"]) * (1 - c.probability)
                data["count"] += c.probability * c.count
                data["optional"] = data["optional"] and c.optional
            else:
                g.add_edge(
                    s.name,
                    c.to,
                    probability=c.probability,
                    count=c.probability * c.count,
                    optional=c.optional,
                )
    if entrypoints:
        for e in scenario.entrypoints:
            node = "@" + e.name
            g.add_node(node, kind="entrypoint", rate=e.rate, client=e.client, entry=False)
            g.add_edge(node, e.service, probability=1.0, count=1.0, optional=False)
    return g


def callers(scenario: Scenario) -> dict[str, set[str]]:
    """The services that call each service (any call, optional or not)."""
    out: dict[str, set[str]] = {s.name: set() for s in scenario.services}
    for s in scenario.services:
        for c in s.iter_calls():
            out[c.to].add(s.name)
    return out


def call_depths(scenario: Scenario) -> dict[str, int]:
    """Fewest calls from an entrypoint to each service (entry services: 0).

    Services no entrypoint reaches are left out.
    """
    g = call_graph(scenario)
    sources = {e.service for e in scenario.entrypoints}
    return dict(nx.multi_source_dijkstra_path_length(g, sources, weight=lambda u, v, d: 1))


def heights(scenario: Scenario) -> dict[str, int]:
    """Longest chain of calls below each service (leaves: 0).

    Services on a cycle share the height of their strongly connected component, so
    the figure is finite; it orders dependencies before their callers.
    """
    g = call_graph(scenario)
    dag = nx.condensation(g)
    height: dict[int, int] = {}
    for node in reversed(list(nx.topological_sort(dag))):
        height[node] = max((height[c] + 1 for c in dag.successors(node)), default=0)
    mapping = dag.graph["mapping"]
    return {name: height[mapping[name]] for name in g.nodes}


def cycles(scenario: Scenario, *, limit: int = 1000) -> list[list[str]]:
    """Simple cycles of the call graph, each rotated to start at its smallest name.

    At most ``limit`` cycles are listed (large graphs can have very many).
    """
    found = []
    for cycle in islice(nx.simple_cycles(call_graph(scenario)), limit):
        start = cycle.index(min(cycle))
        found.append(cycle[start:] + cycle[:start])
    return sorted(found, key=lambda c: (len(c), c))


def _longest_depths(scenario: Scenario) -> dict[str, int]:
    """Longest chain of calls from an entrypoint to each reachable service (cycles collapsed)."""
    g = call_graph(scenario)
    dag = nx.condensation(g)
    mapping = dag.graph["mapping"]
    depth = {mapping[e.service]: 0 for e in scenario.entrypoints}
    for node in nx.topological_sort(dag):
        if node in depth:
            for child in dag.successors(node):
                depth[child] = max(depth.get(child, 0), depth[node] + 1)
    return {name: depth[mapping[name]] for name in g.nodes if mapping[name] in depth}


def layered_layout(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Positions by call depth: entrypoints (``@name``) at x=0, their services at x=1...

    A service's layer is the longest chain of calls that reaches it from an entrypoint
    (services on a cycle share a layer), so every call between layers points right.
    Within a layer, nodes are ordered by the mean position of their callers and callees
    (a few barycentre sweeps, ties by name) to keep edges short. Services no entrypoint
    reaches form a last layer. The result is deterministic.

    Returns
    -------
    dict
        ``name -> (x, y)`` for every service and every ``@entrypoint``.
    """
    depth = {name: d + 1 for name, d in _longest_depths(scenario).items()}
    unreachable = max(depth.values(), default=0) + 1
    layers: dict[int, list[str]] = {0: ["@" + e.name for e in scenario.entrypoints]}
    for s in scenario.services:
        layers.setdefault(depth.get(s.name, unreachable), []).append(s.name)
    near: dict[str, set[str]] = {name: set() for layer in layers.values() for name in layer}
    for name, cs in callers(scenario).items():
        for c in cs - {name}:
            near[name].add(c)
            near[c].add(name)
    for e in scenario.entrypoints:
        near[e.service].add("@" + e.name)
    pos: dict[str, float] = {}
    for x in sorted(layers):
        layers[x].sort()
        _place(layers[x], pos)
    for _ in range(4):
        for x in sorted(layers)[1:]:
            layers[x].sort(key=lambda n: (_barycentre(n, near, pos), n))
            _place(layers[x], pos)
    return {name: (float(x), pos[name]) for x, layer in layers.items() for name in layer}


def _place(layer: list[str], pos: dict[str, float]) -> None:
    offset = (len(layer) - 1) / 2.0
    for i, name in enumerate(layer):
        pos[name] = offset - i


def _barycentre(name: str, near: Mapping[str, set[str]], pos: Mapping[str, float]) -> float:
    ys = [pos[p] for p in near[name]]
    return -sum(ys) / len(ys) if ys else 0.0


def spring_layout(scenario: Scenario, *, seed: int = 1) -> dict[str, tuple[float, float]]:
    """A force-directed layout of services and ``@entrypoints``, seeded (stable pictures)."""
    g = call_graph(scenario, entrypoints=True)
    pos = nx.spring_layout(g, seed=seed)
    return {str(n): (float(x), float(y)) for n, (x, y) in pos.items()}


# --- generic algorithms on plain edge lists (used by the importers) -----------------------


def _digraph(nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return g


def source_components(
    nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]]
) -> list[set[Hashable]]:
    """Strongly connected groups of nodes that no node outside the group points to.

    Examples
    --------
    >>> sorted(map(sorted, source_components("abcd", [("a", "b"), ("c", "d"), ("d", "c")])))
    [['a'], ['c', 'd']]
    """
    condensed = nx.condensation(_digraph(nodes, edges))
    return [
        set(condensed.nodes[c]["members"]) for c in condensed.nodes if not condensed.in_degree(c)
    ]


def back_edges(
    nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]]
) -> list[tuple[Hashable, Hashable, list[Hashable]]]:
    """Edges closing a cycle in a depth-first search from ``nodes`` in their order.

    Each item is ``(caller, callee, path)`` where ``path`` runs from ``callee`` to
    ``caller`` along the search tree. Without these edges the graph is acyclic; an
    acyclic graph has none.

    Examples
    --------
    >>> back_edges("ab", [("a", "b"), ("b", "a")])
    [('b', 'a', ['a', 'b'])]
    """
    g = _digraph(nodes, edges)
    if nx.is_directed_acyclic_graph(g):
        return []
    stack: list[Hashable] = []
    on_stack: set[Hashable] = set()
    found = []
    for caller, callee, kind in nx.dfs_labeled_edges(g):
        if kind == "forward":
            stack.append(callee)
            on_stack.add(callee)
        elif kind == "reverse":
            stack.pop()
            on_stack.discard(callee)
        elif kind == "nontree" and callee in on_stack:
            found.append((caller, callee, stack[stack.index(callee) :]))
    return found
