"""The call paths ``meshsim lint`` weighs for retry amplification (SPEC §17).

A depth-first search from each entrypoint, in document order, callees in script
order, a path never visiting a service twice (the call that would close a cycle ends
the path there), at most :data:`PATH_BUDGET` call hops in all. Which paths it visits
depends only on the call graph, not on any phase's policies, so lint searches once
and weighs the same paths with each phase's tries.

The longest simple path is NP-hard in general, so on large cyclic graphs the budget
decides what is seen; the search order is part of the contract (findings name a path
and must not change between versions of meshsim for the same scenario).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["PATH_BUDGET", "PathTree", "path_tree"]

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
