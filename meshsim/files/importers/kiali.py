"""Kiali graph JSON (``/api/namespaces/graph``, Cytoscape ``elements``).

Nodes are services, workloads, apps (``app-version`` in versioned graphs) or
``unknown``; ``isRoot`` nodes and Istio gateways are the entrypoints, with their
outgoing request rate. Edge rates are strings in requests per second (``http``,
``grpc``; ``http5xx`` and ``grpcErr`` are failures). TCP edge rates are bytes per
second, so a TCP edge is read as one call per request. ``responseTime`` (ms) on
edges gives each service's own time: its response time less the time of its calls.

Kiali's ``unknown`` node (``nodeType: unknown``, or a node named ``unknown`` in
namespace ``unknown``) is no service: as a source it is traffic whose sender has no
identity (requests from outside the mesh, an ingress without a sidecar), so the
services it sends requests to become entrypoints at the rates of those edges; as a
destination it is requests that reached no known service, and those calls are left
out. Both with a warning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshsim.files.importers.calls import set_self_times
from meshsim.files.importers.common import Graph
from meshsim.files.importers.sources import Source, parse_structured, read_text
from meshsim.files.importers.values import dns_label, round_sig

__all__ = ["load"]

_REQUEST_RATES = {"http": ("http", "http5xx"), "grpc": ("grpc", "grpcErr")}
_PROTOCOLS = {"http": "http", "grpc": "grpc", "tcp": "tcp"}


def load(paths: Sequence[Path], graph: Graph) -> None:
    """Add the nodes and edges of the Kiali graphs in ``paths`` to ``graph``.

    Raises
    ------
    GraphImportError
        When a file is not a Kiali graph.
    """
    served: dict[str, list[tuple[float, float]]] = defaultdict(list)
    made: dict[str, list[tuple[float, float]]] = defaultdict(list)
    unknown = _Unknown()
    graph.counts_are_rates = True  # req/s over Kiali's window: not a sample size
    for path in paths:
        source = Source(str(path))
        data = source.mapping(parse_structured(read_text(path), source.file), "a Kiali graph")
        elements = source.mapping(data.get("elements"), "elements")
        nodes = source.sequence(elements.get("nodes") or [], "elements.nodes")
        edges = source.sequence(elements.get("edges") or [], "elements.edges")
        if not nodes:
            source.fail("the graph has no nodes")
        for i, node in enumerate(nodes, start=1):
            _node(graph, _data(node, f"node {i}", source), f"node {i}", source, unknown)
        for i, edge in enumerate(edges, start=1):
            data = _data(edge, f"edge {i}", source)
            timing = _edge(graph, data, f"edge {i}", source, unknown)
            if timing is not None:
                caller, callee, calls, response_ms = timing
                served[callee].append((calls, response_ms))
                if caller not in unknown.ids:
                    made[caller].append((calls, response_ms))
    unknown.enter(graph)
    set_self_times(graph, served, made)


class _Unknown:
    """Kiali's ``unknown`` nodes and the traffic on their edges."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.outside: dict[str, float] = defaultdict(float)  # requests/s into each service
        self.inside: dict[str, float] = defaultdict(float)  # requests/s from other services
        self.tcp_into: list[str] = []
        self.lost: dict[str, float] = defaultdict(float)  # requests/s to no known service

    def enter(self, graph: Graph) -> None:
        """Make the services the unknown source sends requests to entrypoints (warning)."""
        if not self.ids:
            return
        entered = []
        for key, rate in self.outside.items():
            node = graph.services[key]
            # its requests are those of the other services plus those from outside
            node.requests = self.inside.get(key, 0.0) + rate
            if key not in graph.entrypoints and rate > 0:
                graph.entrypoint(key, rate)
                entered.append(f"{node.name} at {round_sig(rate):g}/s")
            else:
                why = "already an entrypoint" if key in graph.entrypoints else "no request rate"
                entered.append(f"{node.name} ({why})")
        text = (
            "Kiali's unknown node is traffic from senders without identity (from outside "
            "the mesh, e.g. an ingress without a sidecar), not a service"
        )
        if entered:
            text += "; the services it sends requests to are entrypoints with the rates of "
            text += "those edges: " + ", ".join(entered)
        if self.tcp_into:
            names = ", ".join(dict.fromkeys(graph.name_of(k) for k in self.tcp_into))
            text += f"; its tcp traffic (bytes per second, not requests) to {names} is left out"
        if self.lost:
            lost = ", ".join(
                f"{graph.name_of(k)} {round_sig(rate):g}/s" for k, rate in self.lost.items()
            )
            text += f"; calls to it (requests that reached no known service) are left out: {lost}"
        graph.warn(text)


def _data(element: Any, what: str, source: Source) -> dict[str, Any]:
    return source.mapping(source.mapping(element, what).get("data"), f"{what}: data")


def _node_name(data: dict[str, Any]) -> str:
    node_type = data.get("nodeType")
    if node_type == "service":
        return str(data.get("service") or data.get("id"))
    if node_type == "workload":
        return str(data.get("workload") or data.get("app") or data.get("id"))
    if node_type == "app":
        version = data.get("version")
        app = str(data.get("app") or data.get("id"))
        return f"{app}-{version}" if version and version not in ("latest", "unknown") else app
    return str(data.get("workload") or data.get("service") or data.get("app") or "unknown")


def _is_unknown(data: dict[str, Any]) -> bool:
    """Whether the node is Kiali's ``unknown`` (a source or destination without identity)."""
    if data.get("nodeType") == "unknown":
        return True
    return data.get("namespace") == "unknown" and _node_name(data) == "unknown"


def _node(graph: Graph, data: dict[str, Any], what: str, source: Source, unknown: _Unknown) -> None:
    if data.get("isBox") or data.get("nodeType") in ("box", "aggregate"):
        return
    key = source.text(data.get("id"), f"{what}: id")
    if _is_unknown(data):
        unknown.ids.add(key)
        return
    node = graph.service(key, _node_name(data))
    namespace = data.get("namespace")
    if isinstance(namespace, str) and namespace not in ("", "unknown"):
        node.namespace = dns_label(namespace, "default")
    if data.get("isRoot") or data.get("isGateway"):
        client = "gateway" if data.get("isGateway") else None
        graph.entrypoint(key, _out_rate(data, what, source), client)
        node.external = bool(data.get("isGateway"))


def _out_rate(data: dict[str, Any], what: str, source: Source) -> float | None:
    total = 0.0
    for traffic in source.sequence(data.get("traffic") or [], f"{what}: traffic"):
        traffic = source.mapping(traffic, f"{what}: traffic")
        rates = source.mapping(traffic.get("rates") or {}, f"{what}: rates")
        for name in ("httpOut", "grpcOut"):
            if name in rates:
                total += source.number(rates[name], f"{what}: {name}")
    return total or None


def _edge(
    graph: Graph,
    data: dict[str, Any],
    what: str,
    source: Source,
    unknown: _Unknown,
) -> tuple[str, str, float, float] | None:
    """Add the edge; return (caller, callee, calls, response ms) when it has a response time.

    An edge from the unknown node is traffic from outside into ``callee``; one to it
    is left out (both recorded in ``unknown``).
    """
    caller = source.text(data.get("source"), f"{what}: source")
    callee = source.text(data.get("target"), f"{what}: target")
    for key in (caller, callee):
        if key not in graph.services and key not in unknown.ids:
            source.fail(f"{what}: node {key!r} is not among the nodes")
    traffic = source.mapping(data.get("traffic") or {}, f"{what}: traffic")
    rates = source.mapping(traffic.get("rates") or {}, f"{what}: rates")
    protocol = str(traffic.get("protocol", "http")).lower()
    if caller in unknown.ids or callee in unknown.ids:
        return _unknown_edge(data, what, source, unknown, caller, callee, protocol, rates)
    if protocol in _REQUEST_RATES:
        unknown.inside[callee] += source.number(
            rates.get(_REQUEST_RATES[protocol][0], 0), f"{what}: rates"
        )
    if protocol in _PROTOCOLS:
        graph.services[callee].protocol = graph.services[callee].protocol or _PROTOCOLS[protocol]
    if protocol not in _REQUEST_RATES:
        graph.warn(
            f"{protocol} edges carry bytes per second, not requests: read as one call per request",
            where=source.file,
            group=f"{protocol} edge",
        )
        graph.edge(caller, callee)
        return None
    rate_key, error_key = _REQUEST_RATES[protocol]
    calls = source.number(rates.get(rate_key, 0), f"{what}: rates.{rate_key}")
    errors = min(calls, source.number(rates.get(error_key, 0), f"{what}: rates.{error_key}"))
    graph.edge(caller, callee, calls=calls, errors=errors)
    response = data.get("responseTime", traffic.get("responseTime"))
    if response is None or calls <= 0:
        return None
    return caller, callee, calls, source.number(response, f"{what}: responseTime")


def _unknown_edge(
    data: dict[str, Any],
    what: str,
    source: Source,
    unknown: _Unknown,
    caller: str,
    callee: str,
    protocol: str,
    rates: dict[str, Any],
) -> tuple[str, str, float, float] | None:
    """Record an edge from or to the unknown node; its response time if it has one."""
    if caller in unknown.ids and callee in unknown.ids:
        return None
    if protocol not in _REQUEST_RATES:
        if caller in unknown.ids:
            unknown.tcp_into.append(callee)
        return None
    rate_key = _REQUEST_RATES[protocol][0]
    calls = source.number(rates.get(rate_key, 0), f"{what}: rates.{rate_key}")
    if callee in unknown.ids:
        unknown.lost[caller] += calls
        return None
    unknown.outside[callee] += calls
    response = data.get("responseTime", (data.get("traffic") or {}).get("responseTime"))
    if response is None or calls <= 0:
        return None
    return caller, callee, calls, source.number(response, f"{what}: responseTime")
