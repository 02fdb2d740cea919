"""OpenTelemetry service-graph metrics (``otel-servicegraph``).

Reads the ``traces_service_graph_*`` series that the Collector's servicegraph
connector (and Grafana Tempo's metrics generator) emit, labelled by ``client`` and
``server``: ``request_total`` (and ``request_failed_total``, or the ``failed``
label), ``request_server_seconds`` and ``request_client_seconds`` histograms (sum
and count). Two forms: Prometheus text exposition, and OTLP JSON/YAML
(``resourceMetrics``, as the connector's test data). Requests from the virtual
``user`` client are entry traffic, not a service.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshsim.files.importers.calls import set_self_times
from meshsim.files.importers.common import Graph
from meshsim.files.importers.sources import Source, parse_structured, read_text

__all__ = ["load"]

_BASE = "traces_service_graph_request_"
_KINDS = {
    "total": "calls",
    "failed_total": "failed",
    "server_seconds": "server",
    "client_seconds": "client",
    "duration_seconds": "server",
}
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_VIRTUAL_USER = "user"


@dataclass
class _Point:
    kind: str
    labels: dict[str, str]
    value: float = 0.0
    total: float = 0.0
    count: float = 0.0


@dataclass
class _Edge:
    calls: float = 0.0
    failed_label: float = 0.0
    failed_metric: float = 0.0
    has_failed_label: bool = False
    server_s: float = 0.0
    server_n: float = 0.0
    client_s: float = 0.0
    client_n: float = 0.0


def load(paths: Sequence[Path], graph: Graph) -> None:
    """Add the edges, rates, errors and times of the service-graph metrics in ``paths``.

    Raises
    ------
    GraphImportError
        When a file is neither form, or holds no service-graph series.
    """
    edges: dict[tuple[str, str], _Edge] = defaultdict(_Edge)
    for path in paths:
        source = Source(str(path))
        text = read_text(path)
        otlp = _is_otlp(text, path)
        points = list(_otlp_points(text, source) if otlp else _prom_points(text, source))
        if not points:
            source.fail(f"no {_BASE}* series in the file")
        for point in points:
            _add(edges, point, source)
    _build(graph, edges)


def _is_otlp(text: str, path: Path) -> bool:
    """OTLP JSON/YAML by name or content; else Prometheus text."""
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        return True
    return text.lstrip()[:1] in ("{", "[") or "resourceMetrics" in text[:2000]


def _kind(name: str) -> tuple[str, str] | None:
    """(kind, histogram part) of a series name, or None for series not read."""
    start = name.find(_BASE)
    if start < 0:
        return None
    rest = name[start + len(_BASE) :]
    for part in ("_sum", "_count", "_bucket", ""):
        if part and not rest.endswith(part):
            continue
        kind = _KINDS.get(rest[: len(rest) - len(part)] if part else rest)
        if kind is not None:
            return kind, part.lstrip("_")
    return None


def _prom_points(text: str, source: Source) -> Iterator[_Point]:
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        here = source.at(number)
        match = _SAMPLE.match(line)
        if match is None:
            here.fail("not a Prometheus sample line (NAME{LABELS} VALUE)")
        kind = _kind(match.group(1))
        if kind is None or kind[1] == "bucket":
            continue
        labels = _labels(match.group(2) or "", here)
        value = here.number(match.group(3), f"the value of {match.group(1)}")
        if kind[1] == "sum":
            yield _Point(kind[0], labels, total=value)
        elif kind[1] == "count":
            yield _Point(kind[0], labels, count=value)
        else:
            yield _Point(kind[0], labels, value=value)


def _labels(text: str, source: Source) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    for match in _LABEL.finditer(text):
        if match.start() != position:
            break
        labels[match.group(1)] = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], match[2])
        position = match.end()
    if text[position:].strip():
        source.fail(f"bad label set {{{text}}}")
    return labels


def _otlp_points(text: str, source: Source) -> Iterator[_Point]:
    data = source.mapping(parse_structured(text, source.file), "an OTLP metrics document")
    for rm in source.sequence(data.get("resourceMetrics"), "resourceMetrics"):
        rm = source.mapping(rm, "a resourceMetrics item")
        scopes = rm.get("scopeMetrics", rm.get("instrumentationLibraryMetrics")) or []
        for scope in source.sequence(scopes, "scopeMetrics"):
            metrics = source.mapping(scope, "a scopeMetrics item").get("metrics") or []
            for metric in source.sequence(metrics, "metrics"):
                yield from _metric_points(source.mapping(metric, "a metric"), source)


def _metric_points(metric: dict[str, Any], source: Source) -> Iterator[_Point]:
    name = metric.get("name")
    kind = _kind(name) if isinstance(name, str) else None
    if kind is None:
        return
    body = metric.get("histogram") or metric.get("sum") or metric.get("gauge") or {}
    points = source.mapping(body, f"metric {name}").get("dataPoints") or []
    for point in source.sequence(points, f"metric {name}: dataPoints"):
        point = source.mapping(point, f"metric {name}: a data point")
        labels = _attributes(point.get("attributes") or [], source)
        if "histogram" in metric:
            total = source.number(point.get("sum", 0), f"metric {name}: sum")
            count = source.number(point.get("count", 0), f"metric {name}: count")
            yield _Point(kind[0], labels, total=total, count=count)
        else:
            raw = point.get("asInt", point.get("asDouble", 0))
            yield _Point(kind[0], labels, value=source.number(raw, f"metric {name}: value"))


def _attributes(raw: Any, source: Source) -> dict[str, str]:
    labels: dict[str, str] = {}
    for attribute in source.sequence(raw, "attributes"):
        attribute = source.mapping(attribute, "an attribute")
        value = source.mapping(attribute.get("value") or {}, "an attribute value")
        for typed in value.values():
            text = str(typed).lower() if isinstance(typed, bool) else str(typed)
            labels[str(attribute.get("key"))] = text
    return labels


def _add(edges: dict[tuple[str, str], _Edge], point: _Point, source: Source) -> None:
    client, server = point.labels.get("client"), point.labels.get("server")
    if not client or not server:
        source.fail(f"a {_BASE}* series without client and server labels: {point.labels}")
    edge = edges[(client, server)]
    failed = point.labels.get("failed")
    if point.kind == "calls":
        edge.calls += point.value
        if failed is not None:
            edge.has_failed_label = True
            edge.failed_label += point.value if failed == "true" else 0.0
    elif point.kind == "failed":
        edge.failed_metric += point.value
    elif point.kind == "server":
        edge.server_s, edge.server_n = edge.server_s + point.total, edge.server_n + point.count
    else:
        edge.client_s, edge.client_n = edge.client_s + point.total, edge.client_n + point.count


def _build(graph: Graph, edges: dict[tuple[str, str], _Edge]) -> None:
    served: dict[str, list[tuple[float, float]]] = defaultdict(list)
    made: dict[str, list[tuple[float, float]]] = defaultdict(list)
    entries: list[str] = []
    for (client, server), edge in edges.items():
        calls = edge.calls or edge.server_n or edge.client_n
        if edge.server_n and calls:
            served[server].append((calls, edge.server_s / edge.server_n * 1000))
        if client == _VIRTUAL_USER:
            entries.append(server)
            node = graph.service(server)
            node.requests = (node.requests or 0.0) + calls
            continue
        errors = edge.failed_label if edge.has_failed_label else edge.failed_metric
        graph.edge(client, server, calls=calls, errors=min(errors, calls))
        if edge.client_n and calls:
            made[client].append((calls, edge.client_s / edge.client_n * 1000))
    _requests_with_entries(graph, entries)
    set_self_times(graph, served, made)


def _requests_with_entries(graph: Graph, entries: list[str]) -> None:
    """Entry traffic (from ``user``) plus calls from services make a service's requests."""
    if not entries:
        return
    called: dict[str, float] = defaultdict(float)
    for (_, callee), stats in graph.edges.items():
        called[callee] += stats.calls or 0.0
    for key, node in graph.services.items():
        if key in entries:
            node.requests = (node.requests or 0.0) + called.get(key, 0.0)
        if key in entries or key not in called:
            graph.entrypoint(key)
