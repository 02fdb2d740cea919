"""Jaeger: dependency links (``jaeger-deps``) and traces in Jaeger's UI JSON (``jaeger-trace``).

A trace file is one trace ``{traceID, spans, processes}``, a list of them, or the
API's ``{"data": [trace, ...]}``. A span's service is its process's
``serviceName``; its parent is its first ``CHILD_OF`` reference inside the trace
(else ``FOLLOWS_FROM``); ``startTime``/``duration`` are in microseconds.
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


def load_trace(paths: Sequence[Path], graph: Graph) -> None:
    """Add the services and calls the Jaeger traces in ``paths`` show.

    Raises
    ------
    GraphImportError
        When a file is not Jaeger trace JSON.
    """
    spans: dict[tuple[str, str], Span] = {}
    for path in paths:
        source = Source(str(path))
        data = parse_structured(read_text(path), source.file)
        for number, trace in enumerate(_traces(data, source), start=1):
            trace = source.mapping(trace, f"trace {number}")
            for span in _spans(trace, number, source):
                _keep(spans, span, graph, source)
    if not spans:
        graph.warn("the input holds no spans")
    add_spans(graph, spans.values())


def _traces(data: Any, source: Source) -> list[Any]:
    if isinstance(data, dict) and "spans" in data:
        return [data]
    if isinstance(data, dict) and "data" in data:
        data = data["data"]
    traces = source.sequence(data, "a Jaeger trace file (a trace, a list, or {data: [...]})")
    if not traces:
        source.fail("no traces in the file")
    return traces


def _spans(trace: dict[str, Any], number: int, source: Source) -> list[Span]:
    processes = trace.get("processes") or {}
    source.mapping(processes, f"trace {number}: processes")
    raw_spans = source.sequence(trace.get("spans"), f"trace {number}: spans")
    out = []
    for i, raw in enumerate(raw_spans, start=1):
        what = f"trace {number}, span {i}"
        raw = source.mapping(raw, what)
        trace_id = source.text(raw.get("traceID", trace.get("traceID")), f"{what}: traceID")
        tags = _tags(raw.get("tags"), what, source)
        kind = str(tags.get("span.kind", "")).lower()
        client = kind in ("client", "producer")
        out.append(
            Span(
                trace=trace_id,
                id=source.text(raw.get("spanID"), f"{what}: spanID"),
                parent=_parent(raw, trace_id, what, source),
                service=_service(raw, processes, what, source),
                start_us=source.number(raw.get("startTime", 0), f"{what}: startTime"),
                duration_us=source.number(raw.get("duration", 0), f"{what}: duration"),
                error=any(is_error_tag(k, v) for k, v in tags.items()),
                client=client,
                remote=str(tags["peer.service"]) if client and tags.get("peer.service") else None,
            )
        )
    return out


def _tags(raw: Any, what: str, source: Source) -> dict[str, Any]:
    tags: dict[str, Any] = {}
    for tag in source.sequence(raw if raw is not None else [], f"{what}: tags"):
        tag = source.mapping(tag, f"{what}: a tag")
        if isinstance(tag.get("key"), str):
            tags[tag["key"]] = tag.get("value")
    return tags


def _service(raw: dict[str, Any], processes: dict[str, Any], what: str, source: Source) -> str:
    process = raw.get("process")
    if process is None:
        process_id = raw.get("processID")
        if process_id not in processes:
            source.fail(f"{what}: processID {process_id!r} is not in the trace's processes")
        process = processes[process_id]
    process = source.mapping(process, f"{what}: process")
    return source.text(process.get("serviceName"), f"{what}: process serviceName")


def _parent(raw: dict[str, Any], trace_id: str, what: str, source: Source) -> str | None:
    refs = source.sequence(raw.get("references") or [], f"{what}: references")
    ranked: list[tuple[int, str]] = []
    for ref in refs:
        ref = source.mapping(ref, f"{what}: a reference")
        if ref.get("traceID", trace_id) != trace_id or not isinstance(ref.get("spanID"), str):
            continue
        ranked.append((0 if ref.get("refType", "CHILD_OF") == "CHILD_OF" else 1, ref["spanID"]))
    if ranked:
        return min(ranked, key=lambda pair: pair[0])[1]
    parent = raw.get("parentSpanID")
    return parent if isinstance(parent, str) and parent.strip("0") else None


def _keep(spans: dict[tuple[str, str], Span], span: Span, graph: Graph, source: Source) -> None:
    key = (span.trace, span.id)
    first = spans.get(key)
    if first is None:
        spans[key] = span
        return
    first.error |= span.error
    graph.warn(
        f"span {span.id} of trace {span.trace} appears twice; the first is kept",
        where=source.file,
        group="duplicate span",
    )
