"""Groups of services in the graph view, and the neighbourhood of a service.

A grouping maps each service to a group (or to none); the key is pluggable
(:data:`GROUPINGS`): the namespace, the clusters a service runs in (SPEC §20,
``services[].clusters`` when the scenario has it) or the call cycle it is on. Only
groups of two or more services count. A collapsed group is drawn as one node; the
calls between its members disappear and the calls across its border become one
aggregated arrow per pair of visible nodes (:func:`aggregate`), labelled with how many
calls it stands for.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping

import networkx as nx

from models import Scenario

GROUP_PREFIX = "#"
"""Keys of group nodes start with this (services are DNS labels, entrypoints ``@name``)."""


def by_namespace(scenario: Scenario) -> dict[str, str]:
    return {s.name: s.namespace for s in scenario.services}


def by_cluster(scenario: Scenario) -> dict[str, str]:
    """The clusters a service runs in (``services[].clusters``, SPEC §20), joined by "+"."""
    out = {}
    for s in scenario.services:
        clusters = getattr(s, "clusters", None) or []
        names = sorted(c if isinstance(c, str) else getattr(c, "name", str(c)) for c in clusters)
        if names:
            out[s.name] = "+".join(names)
    return out


def by_call_cycle(scenario: Scenario) -> dict[str, str]:
    """Services that call each other round a cycle (a strongly connected set of calls)."""
    g = nx.DiGraph()
    g.add_nodes_from(s.name for s in scenario.services)
    g.add_edges_from((s.name, c.to) for s in scenario.services for c in s.iter_calls())
    out = {}
    for component in nx.strongly_connected_components(g):
        if len(component) > 1:
            label = f"cycle of {min(component)}"
            out.update(dict.fromkeys(component, label))
    return out


GROUPINGS: dict[str, Callable[[Scenario], dict[str, str]] | None] = {
    "none": None,
    "namespace": by_namespace,
    "cluster": by_cluster,
    "call cycle": by_call_cycle,
}
"""The group keys the view offers, by name (add one here to offer it)."""


def groups_of(scenario: Scenario, key: str) -> dict[str, str]:
    """Service -> group under grouping ``key``; groups of one service are left out."""
    fn = GROUPINGS[key]
    if fn is None:
        return {}
    raw = fn(scenario)
    sizes = Counter(raw.values())
    return {name: group for name, group in raw.items() if sizes[group] > 1}


def members(group_of: Mapping[str, str]) -> dict[str, list[str]]:
    """Group -> its services, in the order of ``group_of``."""
    out: dict[str, list[str]] = defaultdict(list)
    for name, group in group_of.items():
        out[group].append(name)
    return dict(out)


def unit_of(key: str, group_of: Mapping[str, str], collapsed: set[str]) -> str:
    """The visible node that stands for ``key`` (a service, ``@entry``)."""
    group = group_of.get(key)
    return GROUP_PREFIX + group if group in collapsed else key


def aggregate(
    edges: Iterable[tuple[str, str]], group_of: Mapping[str, str], collapsed: set[str]
) -> dict[tuple[str, str], int]:
    """Arrows between visible nodes with the number of calls each stands for.

    Calls inside one collapsed group vanish; calls between services that are both
    shown stay as they are (count 1).
    """
    out: Counter[tuple[str, str]] = Counter()
    for a, b in edges:
        ua, ub = unit_of(a, group_of, collapsed), unit_of(b, group_of, collapsed)
        if ua == ub and ua.startswith(GROUP_PREFIX):
            continue
        out[(ua, ub)] += 1
    return dict(out)


def neighbourhood(edges: Iterable[tuple[str, str]], start: str, hops: int) -> set[str]:
    """The nodes at most ``hops`` calls away from ``start``, either direction."""
    near: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        near[a].add(b)
        near[b].add(a)
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if seen[node] == hops:
            continue
        for other in near[node]:
            if other not in seen:
                seen[other] = seen[node] + 1
                queue.append(other)
    return set(seen)
