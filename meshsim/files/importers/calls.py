"""Rules of SPEC §13 common to all formats: calls per request, errors, entrypoints, cycles.

* An edge's expected calls per request is r = calls on the edge / requests into the
  caller; r <= 1 becomes ``probability: r``, r > 1 becomes ``count: round(r)``.
* A service's own error rate is its observed error rate with the failures it
  only passes on from its callees taken out.
* Entrypoints are the format's own, else the services nobody else calls; a group
  of services that all call each other gets one chosen root (with a warning).
* A cycle of certain calls never ends, so its closing call gets probability 0.1.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Iterator

from meshsim.files.importers.common import Call, EdgeStats, Entry, Graph, Item, ServiceNode
from meshsim.files.importers.values import round_sig
from meshsim.rollout.graph import back_edges, source_components
from models.limits import MAX_CALL_COUNT

__all__ = [
    "CYCLE_BREAK_PROBABILITY",
    "MIN_PROBABILITY",
    "break_certain_cycles",
    "choose_entrypoints",
    "derive_calls",
    "derive_error_rates",
    "iter_calls",
    "set_self_times",
]

CYCLE_BREAK_PROBABILITY = 0.1
"""Probability given to the closing call of a cycle of certain calls."""

MIN_PROBABILITY = 1e-4
"""Probability written for an edge with no recorded calls (a present edge is never 0)."""


def iter_calls(script: Iterable[Item]) -> Iterator[Call]:
    """Every call of a script, parallel groups flattened."""
    for item in script:
        yield from item if isinstance(item, list) else (item,)


def derive_calls(
    graph: Graph, requests_of: dict[Hashable, float] | None = None
) -> dict[Hashable, float]:
    """Append a call item per observed edge to its caller's script (SPEC §13).

    Calls are ordered by their mean start offset where the format gives one (traces),
    else by first appearance in the input.

    Parameters
    ----------
    graph : Graph
        Filled in place.
    requests_of : dict, optional
        Requests into these services, instead of the ones inferred from the edges
        (a gateway that routes each request to one callee: the sum of its calls).

    Returns
    -------
    dict
        Requests into each service, as used.
    """
    requests = _requests_into(graph)
    requests.update(requests_of or {})
    by_caller: dict[Hashable, list[tuple[EdgeStats, Hashable]]] = defaultdict(list)
    for (caller, callee), stats in graph.edges.items():
        by_caller[caller].append((stats, callee))
    for caller, edges in by_caller.items():
        edges.sort(key=lambda pair: pair[0].order)
        node = graph.services[caller]
        for stats, callee in edges:
            node.script.append(_call_for(graph, node, callee, stats, requests.get(caller)))
    return requests


def _requests_into(graph: Graph) -> dict[Hashable, float]:
    """Requests into each service.

    The format's own count, else the sum of its incoming calls, else (a root)
    the most calls on any of its outgoing edges.
    """
    incoming: dict[Hashable, float] = defaultdict(float)
    uncounted: set[Hashable] = set()
    out_max: dict[Hashable, float] = {}
    for (caller, callee), stats in graph.edges.items():
        if stats.calls is None:
            uncounted.add(callee)
            continue
        incoming[callee] += stats.calls
        out_max[caller] = max(out_max.get(caller, 0.0), stats.calls)
    result: dict[Hashable, float] = {}
    for key, node in graph.services.items():
        if node.requests:
            result[key] = node.requests
        elif key in uncounted:
            result[key] = max(incoming.get(key, 0.0), out_max.get(key, 0.0))
        else:
            result[key] = incoming.get(key) or out_max.get(key, 0.0)
    return result


def _call_for(
    graph: Graph, node: ServiceNode, callee: Hashable, stats: EdgeStats, requests: float | None
) -> Call:
    if stats.probability is not None or stats.count is not None:
        probability = 1.0 if stats.probability is None else stats.probability
        return Call(callee, max(1, stats.count or 1), _present(graph, node, callee, probability))
    if stats.calls is None or not requests:
        return Call(callee)
    ratio = stats.calls / requests
    if ratio <= 1:
        return Call(callee, probability=_present(graph, node, callee, ratio))
    count = max(1, round(ratio))
    if count > MAX_CALL_COUNT:
        # A rarely called service that makes many calls (a batch job, a cache warmer):
        # the schema allows MAX_CALL_COUNT calls per request, so the load is understated.
        graph.warn(
            f"{node.name} calls {graph.name_of(callee)} {count} times per request "
            f"({stats.calls:g} calls / {requests:g} requests); kept at {MAX_CALL_COUNT}, "
            f"made one after another: each request of {node.name} then takes "
            f"{MAX_CALL_COUNT} round trips (seconds to minutes) and its callers wait for it; "
            f"if these calls are batched, parallel or asynchronous, set "
            f"services[{node.name}].calls to say so",
            group="call-count-cap",
        )
        count = MAX_CALL_COUNT
    return Call(callee, count=count)


def _present(graph: Graph, node: ServiceNode, callee: Hashable, probability: float) -> float:
    if probability <= 0:
        graph.warn(
            f"no calls recorded from {node.name} to {graph.name_of(callee)}; "
            f"kept with probability {MIN_PROBABILITY}",
            group="zero-calls",
        )
        return MIN_PROBABILITY
    return min(1.0, round_sig(probability))


def derive_error_rates(graph: Graph) -> None:
    """Set ``error_rate`` from error counts on incoming edges, where the format has them.

    The observed rate of S includes failures of S's required calls; the own rate
    is what is left: 1 - (1 - observed) / P(all of S's calls succeed), clipped to
    [0, observed].
    """
    inbound: dict[Hashable, list[float]] = defaultdict(lambda: [0.0, 0.0])
    failing: dict[tuple[Hashable, Hashable], float] = {}
    for (caller, callee), stats in graph.edges.items():
        if stats.errors is None or not stats.calls:
            continue
        inbound[callee][0] += stats.calls
        inbound[callee][1] += stats.errors
        failing[(caller, callee)] = min(1.0, stats.errors / stats.calls)
    for key, (calls, errors) in inbound.items():
        node = graph.services[key]
        observed = min(1.0, errors / calls)
        if node.error_rate is not None or observed <= 0:
            continue
        node.error_samples = None if graph.counts_are_rates else calls
        success = 1.0
        for call in iter_calls(node.script):
            fail = failing.get((key, call.to), 0.0)
            success *= 1 - call.probability * (1 - (1 - fail) ** call.count)
        own = 1 - (1 - observed) / success if success > 0 else 0.0
        node.error_rate = max(0.0, min(observed, own))


def _edges(graph: Graph, *, certain_only: bool = False) -> list[tuple[Hashable, Hashable]]:
    return [
        (key, call.to)
        for key, node in graph.services.items()
        for call in iter_calls(node.script)
        if not certain_only or call.probability >= 1
    ]


def _successors(graph: Graph) -> dict[Hashable, list[Hashable]]:
    out: dict[Hashable, list[Hashable]] = {key: [] for key in graph.services}
    for caller, callee in _edges(graph):
        out[caller].append(callee)
    return out


def choose_entrypoints(graph: Graph) -> dict[Hashable, Entry]:
    """The format's entrypoints, else one per group of services nobody else calls.

    Returns
    -------
    dict
        Entrypoint per service key, in service order.
    """
    if graph.entrypoints:
        _warn_unreachable(graph, list(graph.entrypoints))
        return dict(graph.entrypoints)
    order = {key: i for i, key in enumerate(graph.services)}
    edges = _edges(graph)
    out_degree: dict[Hashable, int] = defaultdict(int)
    in_degree: dict[Hashable, int] = defaultdict(int)
    for caller, callee in edges:
        out_degree[caller] += 1
        in_degree[callee] += 1
    chosen: list[Hashable] = []
    for component in source_components(graph.services, edges):
        members = sorted(component, key=order.__getitem__)
        if len(members) == 1:
            chosen.append(members[0])
            continue
        root = max(members, key=lambda k: (out_degree[k] - in_degree[k], -order[k]))
        names = ", ".join(graph.name_of(k) for k in members[:5])
        more = f" and {len(members) - 5} more" if len(members) > 5 else ""
        graph.warn(
            f"every one of {names}{more} is called by another service; "
            f"chose {graph.name_of(root)} as their entrypoint"
        )
        chosen.append(root)
    chosen.sort(key=order.__getitem__)
    return {key: Entry(None, None) for key in chosen}


def _warn_unreachable(graph: Graph, entries: list[Hashable]) -> None:
    reached = set(_bfs_order(_successors(graph), entries))
    missed = [graph.name_of(k) for k in graph.services if k not in reached]
    if missed:
        listed = ", ".join(missed[:5]) + (f" and {len(missed) - 5} more" if len(missed) > 5 else "")
        get = "service gets" if len(missed) == 1 else "services get"
        why = f"; {graph.unreached_why}" if graph.unreached_why else ""
        graph.warn(f"{len(missed)} {get} no traffic from any entrypoint: {listed}{why}")


def _bfs_order(
    successors: dict[Hashable, list[Hashable]], sources: list[Hashable]
) -> list[Hashable]:
    seen = dict.fromkeys(sources)
    queue = deque(sources)
    while queue:
        for child in successors[queue.popleft()]:
            if child not in seen:
                seen[child] = None
                queue.append(child)
    return list(seen)


def break_certain_cycles(graph: Graph, entries: list[Hashable]) -> None:
    """Give the closing call of every cycle of certain calls probability 0.1 (with a warning).

    A depth-first search from the entrypoints (nearest services first) finds the
    back edges; without them the graph of certain calls is acyclic.
    """
    # search from the entrypoints (nearest first), then from every other service
    order = list(dict.fromkeys([*_bfs_order(_successors(graph), entries), *graph.services]))
    for caller, callee, path in back_edges(order, _edges(graph, certain_only=True)):
        for call in iter_calls(graph.services[caller].script):
            if call.to == callee:
                call.probability = min(call.probability, CYCLE_BREAK_PROBABILITY)
        cycle = " -> ".join(graph.name_of(k) for k in [*path, callee])
        graph.warn(
            f"cycle of certain calls {cycle}: the closing call "
            f"{graph.name_of(caller)} -> {graph.name_of(callee)} gets probability "
            f"{CYCLE_BREAK_PROBABILITY} so that requests end",
            group="cycle",
        )


def set_self_times(
    graph: Graph,
    served: dict[Hashable, list[tuple[float, float]]],
    made: dict[Hashable, list[tuple[float, float]]],
) -> None:
    """Set each service's mean own time from mean times of the calls it serves and makes.

    Own time of S = mean time of the requests S serves (``served[S]``, as
    ``(calls, mean_ms)`` pairs) less, for each call S makes (``made[S]``), its calls
    per request of S times its mean time. It assumes S makes its calls one after another.
    """
    for key, records in served.items():
        requests = sum(calls for calls, _ in records)
        if requests <= 0:
            continue
        mean_ms = sum(calls * ms for calls, ms in records) / requests
        wait_ms = sum(calls / requests * ms for calls, ms in made.get(key, []))
        if mean_ms - wait_ms > 0:
            graph.services[key].mean_self_ms = mean_ms - wait_ms
        elif mean_ms > 0:
            graph.warn(
                f"the calls of {graph.name_of(key)} take longer than its response time "
                "(they may run in parallel); its own time is left at the default"
            )
