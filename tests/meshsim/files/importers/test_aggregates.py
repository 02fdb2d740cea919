"""Aggregate importers: Kiali graphs and OpenTelemetry service-graph metrics."""

from __future__ import annotations

import json
import textwrap

from meshsim.files.importers import import_graph
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, service_of


def test_kiali_rates_errors_and_roots(data):
    result = import_graph("kiali", [data / "formats/kiali/test_service_graph.json"])
    doc = result.document
    # rates are strings; entry rates are the roots' outgoing request rates. Kiali's
    # unknown source node is no service: productpage gets its 50/s from outside
    assert {e["service"]: e["rate"] for e in doc["entrypoints"]} == {
        "ingressgateway-unknown": "100/s",
        "productpage": "50/s",
    }
    # nor is the unknown destination (reviews' 4/s of 404s reached no known service)
    assert "unknown" not in {s["name"] for s in doc["services"]}
    assert set(calls_of(doc, "reviews")) == {"deposit", "pricing", "ratings", "reviews"}
    assert (
        "Kiali's unknown node is traffic from senders without identity (from outside the "
        "mesh, e.g. an ingress without a sidecar), not a service; the services it sends "
        "requests to are entrypoints with the rates of those edges: productpage at 50/s; "
        "its tcp traffic (bytes per second, not requests) to tcp is left out; calls to it "
        "(requests that reached no known service) are left out: reviews 4/s"
    ) in result.warnings
    # productpage serves 170/s (100 + 50 + 20 from itself) and calls details 80/s
    assert calls_of(doc, "productpage")["details"] == {"to": "details", "probability": 0.4706}
    # a self-call is a cycle, but not a certain one
    assert calls_of(doc, "productpage")["productpage"]["probability"] == 0.1176
    assert calls_of(doc, "reviews")["ratings"] == {"to": "ratings", "probability": 0.6}
    # tcp rates are bytes/s: one call per request
    assert calls_of(doc, "productpage")["tcp"] == {"to": "tcp"}
    assert service_of(doc, "details")["errorRate"] == 0.25  # http5xx 20 of 80
    assert service_of(doc, "ratings")["errorRate"] == 0.3333
    assert service_of(doc, "reviews")["namespace"] == "bookinfo"
    assert service_of(doc, "deposit")["protocol"] == "grpc"
    assert any("bytes per second" in w for w in result.warnings)
    Scenario.model_validate(doc)


def _kiali_node(key: str, **data) -> dict:
    return {"data": {"id": key, **data}}


def _kiali_edge(source: str, target: str, rate: str, **data) -> dict:
    traffic = {"protocol": "http", "rates": {"http": rate}}
    return {"data": {"source": source, "target": target, "traffic": traffic, **data}}


def test_kiali_unknown_source_is_outside_traffic_into_entrypoints(tmp_path):
    # the shape of Kiali's travel demo: an ingress gateway and Kiali's "unknown" node
    # (requests whose sender has no identity, here 0.4/s from outside the mesh) both
    # send to control, which calls travels 3.2/s
    unknown = {
        "nodeType": "unknown",
        "cluster": "unknown",
        "namespace": "unknown",
        "workload": "unknown",
        "app": "unknown",
        "isRoot": True,
        "traffic": [{"protocol": "http", "rates": {"httpOut": "0.40"}}],
    }
    graph = {
        "elements": {
            "nodes": [
                _kiali_node("gw", nodeType="app", app="istio-ingressgateway",
                            namespace="istio-system", isGateway={"ingressInfo": {}},
                            traffic=[{"protocol": "http", "rates": {"httpOut": "1.20"}}]),
                _kiali_node("c", nodeType="app", app="control", namespace="travel-control"),
                _kiali_node("t", nodeType="app", app="travels", namespace="travel-control"),
                _kiali_node("u", **unknown),
            ],
            "edges": [
                _kiali_edge("gw", "c", "1.20", responseTime="12"),
                _kiali_edge("c", "t", "3.20", responseTime="2"),
                _kiali_edge("u", "c", "0.40", responseTime="12"),
            ],
        }
    }  # fmt: skip
    path = tmp_path / "travels.json"
    path.write_text(json.dumps(graph))
    result = import_graph("kiali", [path])
    doc = result.document
    assert [s["name"] for s in doc["services"]] == ["istio-ingressgateway", "control", "travels"]
    assert {e["service"]: e["rate"] for e in doc["entrypoints"]} == {
        "istio-ingressgateway": "1.2/s",
        "control": "0.4/s",
    }
    # control serves 1.2 + 0.4 = 1.6/s and calls travels 3.2/s: 2 calls per request
    assert calls_of(doc, "control") == {"travels": {"to": "travels", "count": 2}}
    # its own time: 12 ms less 2 x 2 ms = 8 ms mean, median 8 x exp(-0.125)
    assert service_of(doc, "control")["serviceTime"]["median"] == "7.06ms"
    assert (
        "Kiali's unknown node is traffic from senders without identity (from outside the "
        "mesh, e.g. an ingress without a sidecar), not a service; the services it sends "
        "requests to are entrypoints with the rates of those edges: control at 0.4/s"
    ) in result.warnings
    Scenario.model_validate(doc)


def test_a_kiali_service_named_unknown_in_a_real_namespace_is_kept(tmp_path):
    graph = {
        "elements": {
            "nodes": [
                _kiali_node("g", nodeType="app", app="gw", isRoot=True),
                _kiali_node("s", nodeType="service", service="unknown", namespace="shop"),
            ],
            "edges": [_kiali_edge("g", "s", "3.00")],
        }
    }
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    result = import_graph("kiali", [path])
    assert [s["name"] for s in result.document["services"]] == ["gw", "unknown"]
    assert not any("unknown node" in w for w in result.warnings)


def test_kiali_response_times_give_own_times(tmp_path):
    graph = {
        "elements": {
            "nodes": [
                {"data": {"id": "g", "nodeType": "app", "app": "gw", "isRoot": True}},
                {"data": {"id": "a", "nodeType": "service", "service": "a"}},
                {"data": {"id": "b", "nodeType": "service", "service": "b"}},
            ],
            "edges": [
                {"data": {"source": "g", "target": "a", "responseTime": "30",
                          "traffic": {"protocol": "http", "rates": {"http": "10.00"}}}},
                {"data": {"source": "a", "target": "b", "responseTime": "10",
                          "traffic": {"protocol": "http", "rates": {"http": "20.00"}}}},
            ],
        }
    }  # fmt: skip
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    doc = import_graph("kiali", [path]).document
    # a: 30 ms less 2 calls x 10 ms = 10 ms mean own time, read as a log-normal
    time = service_of(doc, "a")["serviceTime"]
    assert time["dist"] == "lognormal"
    assert time["median"] == "8.825ms"
    assert calls_of(doc, "a") == {"b": {"to": "b", "count": 2}}
    Scenario.model_validate(doc)


def test_otel_collector_test_data(data):
    path = data / "formats/otel-servicegraph/virtual-node-label-expected-metrics.yaml"
    doc = import_graph("otel-servicegraph", [path]).document
    assert calls_of(doc, "foo-server") == {"unknown": {"to": "unknown"}}
    # the virtual "user" client is entry traffic, not a service
    assert {s["name"] for s in doc["services"]} == {"foo-server", "unknown", "bar-requester"}
    assert {e["service"] for e in doc["entrypoints"]} == {"foo-server", "bar-requester"}
    Scenario.model_validate(doc)


PROMETHEUS = """\
# HELP traces_service_graph_request_total Total count of requests between two nodes
# TYPE traces_service_graph_request_total counter
traces_service_graph_request_total{client="user",server="web",connection_type="virtual_node"} 100
traces_service_graph_request_total{client="web",server="cart",failed="false"} 190
traces_service_graph_request_total{client="web",server="cart",failed="true"} 10
traces_service_graph_request_total{client="web",server="ads"} 50 1700000000000
traces_service_graph_request_failed_total{client="web",server="ads"} 5
# TYPE traces_service_graph_request_server_seconds histogram
traces_service_graph_request_server_seconds_bucket{client="user",server="web",le="+Inf"} 100
traces_service_graph_request_server_seconds_sum{client="user",server="web"} 3.0
traces_service_graph_request_server_seconds_count{client="user",server="web"} 100
traces_service_graph_request_client_seconds_sum{client="web",server="cart"} 1.0
traces_service_graph_request_client_seconds_count{client="web",server="cart"} 200
traces_service_graph_request_client_seconds_sum{client="web",server="ads"} 0.5
traces_service_graph_request_client_seconds_count{client="web",server="ads"} 50
"""


def test_otel_prometheus_text(tmp_path):
    path = tmp_path / "metrics.txt"
    path.write_text(PROMETHEUS)
    doc = import_graph("otel-servicegraph", [path]).document
    assert calls_of(doc, "web") == {
        "cart": {"to": "cart", "count": 2},
        "ads": {"to": "ads", "probability": 0.5},
    }
    assert service_of(doc, "cart")["errorRate"] == 0.05
    assert service_of(doc, "ads")["errorRate"] == 0.1
    # web: 30 ms served, less 2 x 5 ms and 0.5 x 10 ms of calls = 15 ms mean own time
    time = service_of(doc, "web")["serviceTime"]
    assert time["dist"] == "lognormal"
    assert time["median"] == "13.24ms"
    assert [e["service"] for e in doc["entrypoints"]] == ["web"]
    Scenario.model_validate(doc)


def test_otel_otlp_json(tmp_path):
    def point(client: str, server: str, value: int) -> dict:
        attributes = [
            {"key": "client", "value": {"stringValue": client}},
            {"key": "server", "value": {"stringValue": server}},
            {"key": "failed", "value": {"boolValue": False}},
        ]
        return {"asInt": str(value), "attributes": attributes}

    metrics = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "traces_service_graph_request_total",
                                "sum": {"dataPoints": [point("a", "b", 10), point("b", "c", 5)]},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    doc = import_graph("otel-servicegraph", [path]).document
    assert calls_of(doc, "b") == {"c": {"to": "c", "probability": 0.5}}
    assert [e["service"] for e in doc["entrypoints"]] == ["a"]


def test_otel_prometheus_bad_line_has_its_line(tmp_path):
    from meshsim.errors import GraphImportError

    path = tmp_path / "metrics.txt"
    path.write_text(
        textwrap.dedent(PROMETHEUS) + 'traces_service_graph_request_total{client="a" 3\n'
    )
    try:
        import_graph("otel-servicegraph", [path])
    except GraphImportError as err:
        assert str(err).startswith(f"{path}:16: ")
    else:
        raise AssertionError("no error")
