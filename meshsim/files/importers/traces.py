"""From spans to a service graph: edges, calls per request, self times, own errors.

Jaeger and Zipkin spans are first turned into :class:`Span` records; the rest is
shared. A *request* of service S is a span of S whose parent is in another service
(or that has none). Its *own time* is its duration minus the union of the time it
spent waiting on other services (their spans, or S's own client spans). It failed
*on its own* when a span of S in it is in error and none of its calls failed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from meshsim.files.importers.common import Graph

__all__ = ["Span", "add_spans", "is_error_tag"]


@dataclass
class Span:
    """One span, reduced to what the service graph needs (times in microseconds)."""

    trace: str
    id: str
    parent: str | None
    service: str
    start_us: float
    duration_us: float
    error: bool = False
    client: bool = False
    remote: str | None = None


@dataclass
class _Tally:
    requests: int = 0
    own_errors: int = 0
    self_ms: list[float] = field(default_factory=list)


def is_error_tag(key: str, value: object) -> bool:
    """Whether a span tag marks the span as failed.

    ``error`` (unless false), ``http.status_code`` >= 500 or ``otel.status_code`` ``ERROR``.

    Examples
    --------
    >>> is_error_tag("http.status_code", "503"), is_error_tag("error", False)
    (True, False)
    """
    if key == "error":  # Jaeger: a boolean; Zipkin: any value (the message) is an error
        return value is not False and str(value).strip().lower() not in ("false", "0")
    if key in ("http.status_code", "http.response.status_code"):
        try:
            return int(str(value).strip()) >= 500
        except ValueError:
            return False
    if key == "otel.status_code":
        return str(value).strip().upper() == "ERROR"
    return False


def add_spans(graph: Graph, spans: Iterable[Span]) -> None:
    """Add the services, edges, self times and error rates that ``spans`` show.

    Parameters
    ----------
    graph : Graph
        Filled in place; service keys are the spans' service names.
    spans : iterable of Span
        Spans of any number of traces; ids are unique within a trace.
    """
    index = {(s.trace, s.id): s for s in spans}
    children: dict[tuple[str, str], list[Span]] = defaultdict(list)
    orphans = 0
    for span in index.values():
        if span.parent is None:
            continue
        if (span.trace, span.parent) in index:
            children[(span.trace, span.parent)].append(span)
        else:
            orphans += 1
    if orphans:
        graph.warn(
            f"{orphans} spans name a parent span that is not in the input; "
            "they are taken as requests from outside"
        )
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for span in index.values():
        parent = index.get((span.trace, span.parent)) if span.parent is not None else None
        if parent is None or parent.service != span.service:
            _request(graph, span, children, tallies)
    for service, tally in tallies.items():
        node = graph.service(service)
        node.requests = (node.requests or 0) + tally.requests
        node.self_times_ms.extend(tally.self_ms)
        if tally.own_errors:
            node.error_rate = tally.own_errors / tally.requests
            node.error_samples = tally.requests
    spans_in = list(index.values())
    if spans_in:
        start = min(s.start_us for s in spans_in)
        end = max(s.start_us + s.duration_us for s in spans_in)
        graph.window_s = (end - start) / 1e6 or None


def _request(
    graph: Graph,
    entry: Span,
    children: dict[tuple[str, str], list[Span]],
    tallies: dict[str, _Tally],
) -> None:
    """Account one request of ``entry.service``: its calls, own time and own error."""
    graph.service(entry.service)
    waits: list[tuple[float, float]] = []
    own_error = called_failed = False
    for span, kids in _own_spans(entry, children):
        foreign = [k for k in kids if k.service != entry.service]
        remote = span.remote if span.remote != entry.service else None
        remote_only = span.client and not foreign and bool(remote)
        waiting = remote_only or (span.client and bool(foreign) and span is not entry)
        if waiting:
            waits.append((span.start_us, span.start_us + span.duration_us))
            called_failed |= span.error
        else:
            own_error |= span.error
        for kid in foreign:
            if not waiting:
                waits.append((kid.start_us, kid.start_us + kid.duration_us))
            called_failed |= kid.error
            offset_ms = (kid.start_us - entry.start_us) / 1000
            graph.edge(entry.service, kid.service, calls=1, offset_ms=offset_ms)
        if remote_only:
            _remote_call(graph, span, entry, tallies)
    tally = tallies[entry.service]
    tally.requests += 1
    tally.own_errors += own_error and not called_failed
    busy = _union_length(waits, entry.start_us, entry.start_us + entry.duration_us)
    tally.self_ms.append(max(0.0, entry.duration_us - busy) / 1000)


def _own_spans(
    entry: Span, children: dict[tuple[str, str], list[Span]]
) -> Iterator[tuple[Span, list[Span]]]:
    """The spans of one request in its own service, each with all its children."""
    stack, seen = [entry], {id(entry)}
    while stack:
        span = stack.pop()
        kids = children.get((span.trace, span.id), [])
        yield span, kids
        for kid in kids:
            if kid.service == entry.service and id(kid) not in seen:
                seen.add(id(kid))
                stack.append(kid)


def _remote_call(graph: Graph, span: Span, entry: Span, tallies: dict[str, _Tally]) -> None:
    """A client span whose server side is not in the input still shows a call."""
    remote = str(span.remote)
    graph.edge(entry.service, remote, calls=1, offset_ms=(span.start_us - entry.start_us) / 1000)
    tally = tallies[remote]
    tally.requests += 1
    tally.own_errors += span.error
    tally.self_ms.append(span.duration_us / 1000)


def _union_length(intervals: list[tuple[float, float]], low: float, high: float) -> float:
    """Total length of the union of ``intervals`` clipped to [low, high]."""
    total, end = 0.0, low
    for start, stop in sorted(intervals):
        start, stop = max(start, end), min(stop, high)
        if stop > start:
            total += stop - start
            end = stop
    return total
