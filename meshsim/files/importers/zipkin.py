"""Zipkin v2: dependency links (``zipkin-deps``) and span lists (``zipkin-trace``).

A trace file is a list of spans or a list of traces (lists of spans), as
``/api/v2/trace/{id}`` and ``/api/v2/traces`` return them. A span's service is
``localEndpoint.serviceName``. A ``SERVER`` span that shares its id with a
``CLIENT`` span (``shared: true``) is that client's child, and children of the id
hang below the server side. A ``CLIENT`` span with ``remoteEndpoint.serviceName``
and no server span still shows a call to that service.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshsim.files.importers import deps
from meshsim.files.importers.common import Graph
from meshsim.files.importers.sources import Source, parse_structured, read_text
from meshsim.files.importers.traces import Span, add_spans, is_error_tag

__all__ = ["load_deps", "load_trace"]

load_deps = deps.load

_SERVER = "#server"


def load_trace(paths: Sequence[Path], graph: Graph) -> None:
    """Add the services and calls the Zipkin v2 spans in ``paths`` show.

    Raises
    ------
    GraphImportError
        When a file is not a Zipkin v2 span list.
    """
    raw_spans: list[tuple[dict[str, Any], str, Source]] = []
    for path in paths:
        source = Source(str(path))
        data = parse_structured(read_text(path), source.file)
        for i, raw in enumerate(_flatten(data, source), start=1):
            raw_spans.append((source.mapping(raw, f"span {i}"), f"span {i}", source))
    if not raw_spans:
        graph.warn("the input holds no spans")
    add_spans(graph, _link(graph, [_span(raw, what, src) for raw, what, src in raw_spans]))


def _flatten(data: Any, source: Source) -> list[Any]:
    items = source.sequence(data, "a Zipkin v2 trace (a list of spans)")
    if items and all(isinstance(item, list) for item in items):
        return [span for trace in items for span in trace]
    return items


def _span(raw: dict[str, Any], what: str, source: Source) -> tuple[Span, bool]:
    """The span, and whether it is the server side of a shared id."""
    if "localEndpoint" not in raw and ("annotations" in raw or "binaryAnnotations" in raw):
        source.fail(f"{what}: this is Zipkin v1 (annotations); export Zipkin v2 JSON instead")
    tags = source.mapping(raw.get("tags") or {}, f"{what}: tags")
    kind = str(raw.get("kind") or "").upper()
    local = source.mapping(raw.get("localEndpoint") or {}, f"{what}: localEndpoint")
    remote = source.mapping(raw.get("remoteEndpoint") or {}, f"{what}: remoteEndpoint")
    parent = raw.get("parentId")
    span = Span(
        trace=source.text(raw.get("traceId"), f"{what}: traceId"),
        id=source.text(raw.get("id"), f"{what}: id"),
        parent=str(parent) if isinstance(parent, str | int) and str(parent).strip("0") else None,
        service=str(local.get("serviceName") or "unknown"),
        start_us=source.number(raw.get("timestamp", 0), f"{what}: timestamp"),
        duration_us=source.number(raw.get("duration", 0), f"{what}: duration"),
        error=any(is_error_tag(k, v) for k, v in tags.items()),
        client=kind in ("CLIENT", "PRODUCER"),
        remote=str(remote["serviceName"]) if remote.get("serviceName") else None,
    )
    return span, kind == "SERVER"


def _link(graph: Graph, spans: list[tuple[Span, bool]]) -> list[Span]:
    """Give shared server spans their own id and point children at the right side."""
    client_ids = {(s.trace, s.id) for s, _ in spans if s.client}
    out: dict[tuple[str, str], Span] = {}
    for span, server in spans:
        if server and (span.trace, span.id) in client_ids:
            span.parent = span.id
            span.id += _SERVER
        first = out.setdefault((span.trace, span.id), span)
        if first is not span:
            first.error |= span.error
            graph.warn(f"span {span.id} of trace {span.trace} appears twice", group="duplicate")
    for span in out.values():
        if span.parent is not None and not span.id.endswith(_SERVER):
            if (span.trace, span.parent + _SERVER) in out:
                span.parent += _SERVER
    return list(out.values())
