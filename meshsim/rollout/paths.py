"""The call paths ``meshsim lint`` weighs for retry amplification (SPEC §17).

A depth-first search from each entrypoint, in document order, callees in script
order, a path never visiting a service twice (the call that would close a cycle ends
the path there), at most :data:`PATH_BUDGET` call hops in all. Which paths it visits
depends only on the call graph, not on any phase's policies, so lint searches once
and weighs the same paths with each phase's tries.

The heaviest simple path is NP-hard to find in general, so on large cyclic graphs
the budget decides what is seen, and the order decides which of equal products is
reported (findings name the path). :class:`WeightedPaths` keeps the searched paths
as arrays and finds, per phase, the first with the largest product of tries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from meshsim.rollout.phase_view import ATTEMPTS, Hop, PhaseView, client_of
from meshsim.rollout.policy_source import Loc
from models import Scenario

__all__ = ["PATH_BUDGET", "PathTree", "WeightedPaths", "path_tree"]

PATH_BUDGET = 20_000
"""Call hops the search takes, all entrypoints together: 385 entrypoints of a
1,238-service graph took minutes with a budget each."""


@dataclass(frozen=True)
class PathTree:
    """Every path the search visits, as steps in visiting (depth-first pre-)order.

    Step ``t`` is the path of step ``parent[t]`` followed by service ``node[t]``;
    ``parent[t]`` is -1 for the first step from an entrypoint, and then ``via[t]``
    is the entrypoint's position; else ``via[t]`` is the position of the call among
    the calls of ``node[parent[t]]``. ``depth[t]`` counts the calls of the path (0
    for a first step). A parent always comes before its children.
    """

    parent: list[int]
    node: list[str]
    via: list[int]
    depth: list[int]

    def path(self, step: int) -> list[int]:
        """The steps from the entrypoint to ``step``, the entrypoint's first."""
        out = []
        while step >= 0:
            out.append(step)
            step = self.parent[step]
        return out[::-1]


def path_tree(
    starts: Sequence[str], calls: Mapping[str, Sequence[str]], budget: int = PATH_BUDGET
) -> PathTree:
    """Search the simple paths from each of ``starts`` (see the module's docstring).

    Parameters
    ----------
    starts : sequence of str
        The service of each entrypoint, in document order.
    calls : mapping of str to sequence of str
        The callee of each call of each service, in script order (repeats allowed).
    budget : int
        Call hops the whole search may take.

    Examples
    --------
    >>> tree = path_tree(["a"], {"a": ["b", "c"], "b": ["a", "c"], "c": []})
    >>> [[tree.node[s] for s in tree.path(t)] for t in range(len(tree.node))]
    [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'c']]
    >>> path_tree(["a"], {"a": ["b", "c"], "b": ["a", "c"], "c": []}, budget=2).node
    ['a', 'b', 'c']
    """
    parent: list[int] = []
    node: list[str] = []
    via: list[int] = []
    depth: list[int] = []
    for e, start in enumerate(starts):
        root = len(node)
        parent.append(-1)
        node.append(start)
        via.append(e)
        depth.append(0)
        on_path = {start}
        stack = [(root, iter(enumerate(calls[start])))]
        while stack and budget > 0:
            step, todo = stack[-1]
            for move in todo:
                if move[1] not in on_path:
                    break
            else:
                stack.pop()
                on_path.discard(node[step])
                continue
            k, callee = move
            budget -= 1
            parent.append(step)
            node.append(callee)
            via.append(k)
            depth.append(len(stack))
            on_path.add(callee)
            stack.append((len(node) - 1, iter(enumerate(calls[callee]))))
    return PathTree(parent, node, via, depth)


class WeightedPaths:
    """The paths of :func:`path_tree`, searched once, weighed with each phase's tries.

    A path's product is its entrypoint's tries times, per call, mesh tries × (1 + app
    retries). The steps' factors are arrays (a meshed caller's tries towards a server
    depend on the server alone); the largest product is found in logarithms, level
    by level of the tree, and confirmed in exact integers (3 ** 300 is common).
    """

    def __init__(self, scenario: Scenario, hops: dict[str, list[Hop]]) -> None:
        self.scenario, self.hops = scenario, hops
        self.names = [s.name for s in scenario.services]
        index = {name: i for i, name in enumerate(self.names)}
        tree = self.tree = path_tree(
            [e.service for e in scenario.entrypoints],
            {name: [hop.call.to for hop in out] for name, out in hops.items()},
        )
        parent = self.parent = np.array(tree.parent, dtype=np.intp)
        self.roots = np.flatnonzero(parent < 0)
        self.calls = np.flatnonzero(parent >= 0)
        callee = np.array([index[name] for name in tree.node], dtype=np.intp)
        self.callee = callee[self.calls]
        self.caller = callee[parent[self.calls]]
        # 1 + app retries of every call, flat in script order; a step's is at its
        # caller's first call + its position
        first = np.cumsum([0] + [len(hops[name]) for name in self.names])
        app = np.array([1 + h.call.retries for n in self.names for h in hops[n]], dtype=np.int64)
        via = np.array(tree.via, dtype=np.intp)[self.calls]
        self.app = app[first[self.caller] + via]
        depth = np.array(tree.depth, dtype=np.intp)
        order = np.argsort(depth, kind="stable")
        self.levels = np.split(order, np.cumsum(np.bincount(depth))[:-1])  # by depth, 0 first

    def hop(self, step: int) -> Hop:
        """The call a (non-first) step follows."""
        tree = self.tree
        return self.hops[tree.node[tree.parent[step]]][tree.via[step]]

    def worst(self, view: PhaseView) -> tuple[int, list[str], list[tuple[int, Loc]]] | None:
        """(product, names, factors) of the first path with the largest product.

        None when every product is 1 (nothing retries in the phase).
        """
        tree, entries = self.tree, self.scenario.entrypoints
        meshed = np.array([view.meshed(name) for name in self.names], dtype=bool)
        tries = np.ones(len(self.names), dtype=np.int64)
        if meshed.any():
            tries[:] = [view.towards(name)[1] for name in self.names]
        times = np.ones(len(tree.node), dtype=np.int64)
        times[self.calls] = np.where(meshed[self.caller], tries[self.callee], 1) * self.app
        for t in self.roots.tolist():
            entry = entries[tree.via[t]]
            times[t] = view.tries(client_of(entry), entry.service)
        if times.max() <= 1:
            return None
        best, product = self._first_largest(times)
        steps = tree.path(best)
        entry = entries[tree.via[steps[0]]]
        factors = [(int(times[steps[0]]), view.source(entry.service, ATTEMPTS))]
        for step in steps[1:]:
            hop = self.hop(step)
            mesh, app = view.tries(hop.caller, hop.call.to), 1 + hop.call.retries
            if mesh > 1:
                factors.append((mesh, view.source(hop.call.to, ATTEMPTS)))
            if app > 1:
                factors.append((app, (*hop.loc, "retries")))
        return product, [f"@{entry.name}", *(tree.node[t] for t in steps)], factors

    def _first_largest(self, times: np.ndarray) -> tuple[int, int]:
        """(step, product) of the first step, in search order, with the largest product.

        Sums of logarithms err by far less than 1e-9 relative (a sum has at most one
        term per service), so the exact largest is among the steps within that of the
        largest sum; their exact products decide, the first of equals winning.
        """
        logs = np.log(times.astype(float))
        for level in self.levels[1:]:
            logs[level] += logs[self.parent[level]]
        top = float(logs.max())
        near = np.flatnonzero(logs >= top - 1e-9 * max(1.0, top)).tolist()
        factor = times.tolist()
        if len(near) > 256:  # many equal products: all of them exactly, in one pass
            every: list[int] = []
            for up, f in zip(self.tree.parent, factor, strict=True):
                every.append(f if up < 0 else every[up] * f)
            exact = dict(enumerate(every))
        else:
            exact = {t: math.prod(factor[s] for s in self.tree.path(t)) for t in near}
        best = max(exact, key=exact.__getitem__)  # in step order: max keeps the first of equals
        return best, exact[best]
