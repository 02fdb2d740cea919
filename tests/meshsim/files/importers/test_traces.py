"""Trace and dependency-link importers: Jaeger and Zipkin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshsim.files.importers import IMPORTERS, import_graph
from meshsim.files.importers.common import Graph
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, edges_of, service_of


def _write(tmp_path: Path, data: object, name: str = "input.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _own_times_ms(fmt: str, path: Path) -> dict[str, list[float]]:
    """Own times per service as measured from the spans (before any fit)."""
    graph = Graph()
    IMPORTERS[fmt]([path], graph)
    return {node.name: sorted(node.self_times_ms) for node in graph.services.values()}


def test_jaeger_dependencies_give_probabilities_and_counts(data):
    result = import_graph("jaeger-deps", [data / "formats/jaeger/dependencies-small.data.json"])
    doc = result.document
    # Service1 receives 30489 requests (from Service6); Service5 gets 8560 of them
    assert calls_of(doc, "service1") == {
        "service2": {"to": "service2"},
        "service3": {"to": "service3"},
        "service5": {"to": "service5", "probability": 0.2808},
    }
    # 129216 calls per 30489 requests: 4.24 per request
    assert calls_of(doc, "service2") == {"service4": {"to": "service4", "count": 4}}
    assert [e["service"] for e in doc["entrypoints"]] == ["service8"]
    assert any("'Service1' is named 'service1'" in w for w in result.warnings)
    Scenario.model_validate(doc)


def test_zipkin_dependencies_with_error_counts(tmp_path):
    links = [
        {"parent": "web", "child": "api", "callCount": 1000, "errorCount": 10},
        {"parent": "api", "child": "db", "callCount": 3000, "errorCount": 0},
        {"parent": "api", "child": "cache", "callCount": 500},
    ]
    doc = import_graph("zipkin-deps", [_write(tmp_path, links)], rate_rps=40).document
    assert calls_of(doc, "api") == {
        "db": {"to": "db", "count": 3},
        "cache": {"to": "cache", "probability": 0.5},
    }
    assert service_of(doc, "api")["errorRate"] == 0.01
    assert doc["entrypoints"] == [{"name": "web", "service": "web", "rate": "40/s"}]
    Scenario.model_validate(doc)


def test_own_error_rate_leaves_out_failures_passed_on_from_callees(tmp_path):
    links = [
        {"parent": "web", "child": "api", "callCount": 100, "errorCount": 28},
        {"parent": "api", "child": "db", "callCount": 100, "errorCount": 10},
    ]
    doc = import_graph("zipkin-deps", [_write(tmp_path, links)]).document
    # 1 - 0.72 / 0.9 = 0.2: api fails on its own 20% of the time, db 10%
    assert service_of(doc, "api")["errorRate"] == 0.2
    assert service_of(doc, "db")["errorRate"] == 0.1


def test_jaeger_trace(data):
    result = import_graph("jaeger-trace", [data / "formats/jaeger/ui_01.trace.json"])
    doc = result.document
    # span 2 (service-x) has two children in service-y: two calls per request
    assert calls_of(doc, "service-x") == {"service-y": {"to": "service-y", "count": 2}}
    # span 4 lasts 5 µs and its child span 5 is in the same service: all own time
    path = data / "formats/jaeger/ui_01.trace.json"
    assert _own_times_ms("jaeger-trace", path)["service-y"] == [0.005, 0.005]
    # two samples are too few to fit: the default, with a warning
    assert "serviceTime" not in service_of(doc, "service-y")
    assert any("service-y: own time measured on only 2 request(s)" in w for w in result.warnings)
    assert any("appears twice" in w for w in result.warnings)
    Scenario.model_validate(doc)


def test_zipkin_trace_yelp(data):
    result = import_graph("zipkin-trace", [data / "formats/zipkin/trace-yelp.json"])
    doc = result.document
    assert {
        ("routing", "unknown"),
        ("unknown", "yelp-main-api-proxy"),
        ("yelp-main", "mobile-api"),
        ("mobile-api", "spectre"),
        # client spans whose server side is not in the trace still give edges
        ("mobile-api", "blt"),
        ("mobile-api", "memcache"),
        ("yelp-main", "mysql"),
    } <= edges_of(doc)
    # two memcache client spans in one mobile_api request
    assert calls_of(doc, "mobile-api")["memcache"] == {"to": "memcache", "count": 2}
    # server span 41.74 ms less its client spans (14 + 3 + 1.026 + 1.066 ms, no overlap)
    own = _own_times_ms("zipkin-trace", data / "formats/zipkin/trace-yelp.json")
    assert own["mobile-api"] == [pytest.approx(22.648)]
    assert own["blt"] == [14.0]
    assert "serviceTime" not in service_of(doc, "mobile-api")
    assert [e["service"] for e in doc["entrypoints"]] == ["routing"]
    Scenario.model_validate(doc)


def _zipkin_span(trace, span_id, parent, service, start, duration, **extra):
    span = {
        "traceId": trace,
        "id": span_id,
        "localEndpoint": {"serviceName": service},
        "timestamp": start,
        "duration": duration,
        **extra,
    }
    if parent:
        span["parentId"] = parent
    return span


def test_zipkin_errors_overlap_and_list_of_traces(tmp_path):
    traces = []
    for i in range(4):
        trace = f"t{i}"
        failed = i == 0
        traces.append(
            [
                _zipkin_span(trace, "a", None, "front", 0, 10_000, kind="SERVER"),
                # two concurrent calls overlapping 2-6 ms and 4-8 ms: 6 ms of waiting
                _zipkin_span(trace, "b", "a", "front", 2_000, 4_000, kind="CLIENT"),
                _zipkin_span(
                    trace,
                    "b",
                    "a",
                    "back",
                    2_100,
                    3_800,
                    kind="SERVER",
                    shared=True,
                    tags={"http.status_code": "503"} if failed else {},
                ),  # fmt: skip
                _zipkin_span(
                    trace,
                    "c",
                    "a",
                    "front",
                    4_000,
                    4_000,
                    kind="CLIENT",
                    remoteEndpoint={"serviceName": "db"},
                    tags={"error": ""} if i == 1 else {},
                ),  # fmt: skip
            ]
        )
    path = _write(tmp_path, traces)
    result = import_graph("zipkin-trace", [path])
    doc = result.document
    assert calls_of(doc, "front") == {"back": {"to": "back"}, "db": {"to": "db"}}
    assert _own_times_ms("zipkin-trace", path)["front"] == [4.0] * 4
    # 1 failure in 4 requests is kept, with a warning that the sample is small
    assert service_of(doc, "back")["errorRate"] == 0.25
    assert service_of(doc, "db")["errorRate"] == 0.25
    assert any("back: errorRate 0.25 comes from only 4 requests" in w for w in result.warnings)
    assert "errorRate" not in service_of(doc, "front")  # its errors came from its calls
    Scenario.model_validate(doc)
