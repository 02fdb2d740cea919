"""Realistic imports (SPEC §13, revised): load generators, gateway fan-out, tiny
samples, own-time fits, observed load and replicas sized to a target utilization."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

from meshsim.files.importers import import_graph
from meshsim.rollout.capacity import capacity
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, service_of


def _write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_csv_load_generator_is_left_out_and_frontend_is_the_entry(tmp_path):
    path = _write(tmp_path, "loadgenerator,frontend\nfrontend,cart\nlocust-worker,cart\n", "e.csv")
    result = import_graph("csv", [path])
    names = [s["name"] for s in result.document["services"]]
    assert names == ["frontend", "cart"]
    assert [e["service"] for e in result.document["entrypoints"]] == ["frontend"]
    assert sum("looks like a load generator" in w for w in result.warnings) == 2


def test_a_called_service_named_like_a_tool_is_kept(tmp_path):
    # "locust" is called by web: it is part of the graph, not the traffic
    path = _write(tmp_path, "web,locust\n", "e.csv")
    result = import_graph("csv", [path])
    assert [s["name"] for s in result.document["services"]] == ["web", "locust"]


def test_k8s_image_of_a_load_tool_marks_it(tmp_path):
    path = _write(
        tmp_path,
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: perf}
        spec:
          selector: {matchLabels: {app: perf}}
          template:
            metadata: {labels: {app: perf}}
            spec:
              containers:
                - name: main
                  image: grafana/k6:0.49
                  env: [{name: TARGET, value: "http://api:8080/"}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec: {containers: [{name: main, image: shop/api:1}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api}
        spec: {selector: {app: api}, ports: [{port: 8080}]}
        """,
        "m.yaml",
    )
    result = import_graph("k8s", [path])
    assert [s["name"] for s in result.document["services"]] == ["api"]
    assert any("perf looks like a load generator" in w for w in result.warnings)


def _fan_out_graphml(n_backends: int) -> str:
    nodes = ["ts-ui-dashboard"] + [f"ts-svc-{i}" for i in range(n_backends)] + ["ts-db"]
    edges = [("ts-ui-dashboard", f"ts-svc-{i}") for i in range(n_backends)]
    edges += [(f"ts-svc-{i}", "ts-db") for i in range(n_backends)]
    body = "".join(f'<node id="{n}"/>' for n in nodes)
    body += "".join(f'<edge source="{a}" target="{b}"/>' for a, b in edges)
    return (
        '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'<graph edgedefault="directed">{body}</graph></graphml>'
    )


def test_ui_gateway_calling_38_backends_routes_to_one_on_average(tmp_path):
    path = tmp_path / "tt.graphml"
    path.write_text(_fan_out_graphml(38))
    result = import_graph("graphml", [path])
    doc = result.document
    calls = calls_of(doc, "ts-ui-dashboard")
    assert len(calls) == 38
    assert {c["probability"] for c in calls.values()} == {float(f"{1 / 38:.4g}")}
    # the backends' own calls stay certain
    assert calls_of(doc, "ts-svc-0") == {"ts-db": {"to": "ts-db"}}
    assert any(
        "ts-ui-dashboard calls 38 services and looks like a gateway" in w for w in result.warnings
    )
    cap = capacity(Scenario.model_validate(doc))
    # one backend per request on average: 100/s spread evenly, the db gets all of it
    assert cap.services["ts-svc-7"].visits == pytest.approx(38 * float(f"{1 / 38:.4g}") / 38)
    assert cap.services["ts-db"].visits == pytest.approx(38 * float(f"{1 / 38:.4g}"))


def test_gateway_with_counts_routes_by_the_observed_share(tmp_path):
    rows = "".join(f"api-gateway,svc-{i},{10 * (i + 1)}\n" for i in range(8))
    # svc-0 also calls 8 services (no counts), but it is called and not gateway-like
    rows += "".join(f"svc-0,leaf-{i}\n" for i in range(8))
    result = import_graph("csv", [_write(tmp_path, rows, "e.csv")])
    calls = calls_of(result.document, "api-gateway")
    total = sum(10 * (i + 1) for i in range(8))  # 360 requests, each to one service
    assert calls["svc-7"] == {"to": "svc-7", "probability": float(f"{80 / total:.4g}")}
    assert calls["svc-0"] == {"to": "svc-0", "probability": float(f"{10 / total:.4g}")}
    assert all("probability" not in c for c in calls_of(result.document, "svc-0").values())


def test_seven_calls_are_not_a_fan_out(tmp_path):
    rows = "".join(f"gateway,svc-{i}\n" for i in range(7))
    result = import_graph("csv", [_write(tmp_path, rows, "e.csv")])
    assert all("probability" not in c for c in calls_of(result.document, "gateway").values())


def _jaeger(spans: list[dict], processes: dict) -> dict:
    return {"data": [{"traceID": "t", "spans": spans, "processes": processes}]}


def test_one_failed_span_is_not_a_certain_error_nor_a_zero_time(tmp_path):
    trace = _jaeger(
        [{"traceID": "t", "spanID": "1", "processID": "p1", "startTime": 0, "duration": 0,
          "tags": [{"key": "error", "value": True}]}],
        {"p1": {"serviceName": "api"}},
    )  # fmt: skip
    path = tmp_path / "one.json"
    path.write_text(json.dumps(trace))
    result = import_graph("jaeger-trace", [path])
    api = service_of(result.document, "api")
    assert "errorRate" not in api and "serviceTime" not in api
    assert any("api failed on all of its 1 observed requests" in w for w in result.warnings)
    assert any("api: own time measured on only 1 request(s)" in w for w in result.warnings)
    assert result.document["entrypoints"][0]["rate"] == "100/s"


def _traces(own_ms: list[float], gap_us: int) -> list[dict]:
    """One single-span trace per own time, trace i starting at i * gap."""
    return [
        {"traceID": f"t{i}", "processes": {"p": {"serviceName": "api"}},
         "spans": [{"traceID": f"t{i}", "spanID": "1", "processID": "p",
                    "startTime": i * gap_us, "duration": round(ms * 1000)}]}
        for i, ms in enumerate(own_ms)
    ]  # fmt: skip


def test_enough_spans_give_a_lognormal_by_median_and_p99_and_the_observed_rate(tmp_path):
    own_ms = [float(k) for k in range(1, 41)]  # 40 requests of 1..40 ms
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"data": _traces(own_ms, 250_000)}))
    result = import_graph("jaeger-trace", [path])
    api = service_of(result.document, "api")
    # linear-interpolation quantiles of 1..40: median 20.5, p99 = 39 + 0.61 = 39.61
    assert api["serviceTime"] == {"dist": "lognormal", "median": "20.5ms", "p99": "39.61ms"}
    # 40 requests from t=0 to the end of the last (39 * 0.25 s + 40 ms)
    window = 39 * 0.25 + 0.040
    rate = result.document["entrypoints"][0]["rate"]
    assert float(rate.removesuffix("/s")) == pytest.approx(40 / window, rel=1e-3)


def test_window_turns_dependency_counts_into_entry_rates(tmp_path):
    links = [
        {"parent": "web", "child": "api", "callCount": 7200},
        {"parent": "api", "child": "db", "callCount": 14400},
    ]
    path = tmp_path / "deps.json"
    path.write_text(json.dumps(links))
    doc = import_graph("jaeger-deps", [path], window_s=3600).document
    assert doc["entrypoints"] == [{"name": "web", "service": "web", "rate": "2/s"}]
    assert calls_of(doc, "api") == {"db": {"to": "db", "count": 2}}
    # --rate is the user's word: it wins over the observed rate
    doc = import_graph("jaeger-deps", [path], window_s=3600, rate_rps=50).document
    assert doc["entrypoints"][0]["rate"] == "50/s"


def test_more_calls_per_request_than_the_schema_allows_are_capped_with_a_warning(tmp_path):
    # the 1,238-service production graph has a service called 5 times that made 126,828 calls
    links = [
        {"parent": "web", "child": "batch", "callCount": 5},
        {"parent": "batch", "child": "db", "callCount": 126828},
    ]
    path = tmp_path / "deps.json"
    path.write_text(json.dumps(links))
    result = import_graph("jaeger-deps", [path], window_s=3600)
    Scenario.model_validate(result.document)
    assert calls_of(result.document, "batch") == {"db": {"to": "db", "count": 1000}}
    assert (
        "batch calls db 25366 times per request (126828 calls / 5 requests); kept at 1000, "
        "made one after another: each request of batch then takes 1000 round trips (seconds "
        "to minutes) and its callers wait for it; if these calls are batched, parallel or "
        "asynchronous, set services[batch].calls to say so"
    ) in result.warnings


def test_error_rate_from_few_dependency_calls_warns(tmp_path):
    links = [{"parent": "web", "child": "api", "callCount": 5, "errorCount": 5}]
    path = tmp_path / "deps.json"
    path.write_text(json.dumps(links))
    result = import_graph("zipkin-deps", [path])
    assert "errorRate" not in service_of(result.document, "api")
    assert any("api failed on all of its 5 observed requests" in w for w in result.warnings)


def test_replicas_are_raised_to_the_target_utilization(tmp_path):
    path = _write(
        tmp_path,
        """\
        digraph {
          web [entrypoint=true, rate="400/s", serviceTime="1ms"];
          api [serviceTime="50ms", replicas=2];
          web -> api;
        }
        """,
        "g.dot",
    )
    result = import_graph("dot", [path])
    # api: rho = 400 * 0.05 / (2 * 16) = 0.625 > 0.6 -> ceil(2 * 0.625 / 0.6) = 3 replicas
    # web (threads) holds a worker 1 + 50 ms: 400 * 0.051 / 16 = 1.275 -> ceil(1.275/0.6) = 3
    assert service_of(result.document, "api")["replicas"] == 3
    assert service_of(result.document, "web")["replicas"] == 3
    assert any("api: replicas 2 → 3" in w for w in result.warnings)
    cap = capacity(Scenario.model_validate(result.document))
    assert max(c.occupancy for c in cap.services.values()) <= 0.6
    # a looser target leaves api alone (0.625 <= 0.7)
    doc = import_graph("dot", [path], target_utilization=0.7).document
    assert service_of(doc, "api")["replicas"] == 2
    assert service_of(doc, "web")["replicas"] == math.ceil(1.275 / 0.7)


def test_a_deep_chain_raises_max_depth(tmp_path):
    rows = "".join(f"s{i},s{i + 1}\n" for i in range(40))
    result = import_graph("csv", [_write(tmp_path, rows, "chain.csv")])
    assert result.document["simulation"] == {"maxDepth": 41}
    assert any("simulation.maxDepth set to 41" in w for w in result.warnings)
    # 20 hops fit the default of 32
    rows = "".join(f"s{i},s{i + 1}\n" for i in range(20))
    assert "simulation" not in import_graph("csv", [_write(tmp_path, rows, "c2.csv")]).document


def test_kiali_rates_are_not_a_small_sample(tmp_path):
    # 4 req/s all failing is thousands of requests over Kiali's window, not four
    graph = {
        "elements": {
            "nodes": [
                {"data": {"id": "g", "nodeType": "app", "app": "gw", "isRoot": True}},
                {"data": {"id": "a", "nodeType": "service", "service": "a"}},
            ],
            "edges": [
                {"data": {"source": "g", "target": "a", "traffic": {"protocol": "http",
                          "rates": {"http": "4.00", "http5xx": "4.00"}}}},
            ],
        }
    }  # fmt: skip
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    result = import_graph("kiali", [path], window_s=60)
    assert service_of(result.document, "a")["errorRate"] == 1.0
    assert not any("observed requests" in w for w in result.warnings)
    # the root gives no httpOut rate: the default, not rates divided by a window
    assert result.document["entrypoints"][0]["rate"] == "100/s"


def test_a_train_ticket_like_graph_runs_as_imported(tmp_path):
    # the UI links to 38 backends without counts, each backend to its database and to
    # the next backend (one certain cycle through all 38): before the realistic rules
    # every request called all 38 and their chains (0% success)
    nodes = ["ts-ui-dashboard"] + [f"ts-b{i}-service" for i in range(38)]
    nodes += [f"ts-b{i}-mongo" for i in range(25)]
    edges = [("ts-ui-dashboard", f"ts-b{i}-service") for i in range(38)]
    edges += [(f"ts-b{i}-service", f"ts-b{i}-mongo") for i in range(25)]
    edges += [(f"ts-b{i}-service", f"ts-b{(i + 1) % 38}-service") for i in range(38)]
    body = "".join(f'<node id="{n}"/>' for n in nodes)
    body += "".join(f'<edge source="{a}" target="{b}"/>' for a, b in edges)
    path = tmp_path / "tt.graphml"
    path.write_text(
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'<graph edgedefault="directed">{body}</graph></graphml>'
    )
    from meshsim.sim.runner import run_scenario

    result = import_graph("graphml", [path])
    doc = {**result.document}
    # 64 nodes; the chain of 38 certain calls needs more than the default depth of 32
    assert len(doc["services"]) == 64
    assert doc["simulation"]["maxDepth"] > 38
    doc["simulation"] = {**doc["simulation"], "duration": "6s", "warmup": "1s",
                         "replications": 1, "seed": 3}  # fmt: skip
    phase = run_scenario(Scenario.model_validate(doc), phase_indexes=[0]).phases[0]
    entry = phase.entrypoints["ts-ui-dashboard"]
    assert entry.requests > 300
    assert entry.success_rate >= 0.99
    assert max(s.utilization for s in phase.services.values()) < 1


def test_a_given_window_takes_the_observed_rate_however_few_requests(tmp_path):
    # a batch entrypoint seen 5 times in the hour runs 5 / 3600 per second, not --rate's
    # 100/s (which, times its 1,000 calls per request, was 20,000x the observed load)
    links = [
        {"parent": "web", "child": "api", "callCount": 7200},
        {"parent": "batch", "child": "api", "callCount": 5},
    ]
    path = tmp_path / "deps.json"
    path.write_text(json.dumps(links))
    result = import_graph("jaeger-deps", [path], window_s=3600)
    rates = {e["name"]: e["rate"] for e in result.document["entrypoints"]}
    assert rates == {"web": "2/s", "batch": "0.001389/s"}
    assert (
        "entrypoint batch: rate 0.001389/s = 5 requests observed / 3600 s, from only 5 "
        "requests (--rate overrides)" in result.warnings
    )


def test_counts_without_a_window_keep_the_observed_mix_of_entrypoints(tmp_path):
    links = [
        {"parent": "web", "child": "api", "callCount": 4000},
        {"parent": "admin", "child": "api", "callCount": 10},
        {"parent": "cron", "child": "db", "callCount": 1},
        {"parent": "api", "child": "db", "callCount": 8020},
    ]
    path = tmp_path / "deps.json"
    path.write_text(json.dumps(links))
    result = import_graph("jaeger-deps", [path])
    rates = {e["name"]: e["rate"] for e in result.document["entrypoints"]}
    # the busiest at the default 100/s, the others at their share of its 4,000 requests
    assert rates == {"web": "100/s", "admin": "0.25/s", "cron": "0.025/s"}
    assert (
        "the input's counts cover an unknown time (--window D gives it): the 3 entrypoints "
        "with counts keep the observed mix, the busiest (web, 4000 requests) at 100/s, the "
        "others down to 0.025/s (--rate R sets every one to R)" in result.warnings
    )
    # api: 8020 calls to db / 4010 requests = 2 per request
    assert calls_of(result.document, "api") == {"db": {"to": "db", "count": 2}}
    # --rate is the user's word for every entrypoint
    result = import_graph("jaeger-deps", [path], rate_rps=50)
    assert {e["rate"] for e in result.document["entrypoints"]} == {"50/s"}


def test_a_single_counted_entrypoint_keeps_the_default_rate(tmp_path):
    path = tmp_path / "deps.json"
    path.write_text(json.dumps([{"parent": "web", "child": "api", "callCount": 7}]))
    result = import_graph("jaeger-deps", [path])
    assert result.document["entrypoints"][0]["rate"] == "100/s"
    assert not any("unknown time" in w for w in result.warnings)


def test_services_on_call_cycles_run_async(tmp_path):
    # under threads a worker of a waits for b, which waits for a worker of a: deadlock
    path = tmp_path / "g.csv"
    path.write_text("caller,callee\nweb,a\na,b\nb,a\na,d\nc,c\nweb,c\n")
    result = import_graph("csv", [path])
    models = {s["name"]: s.get("concurrencyModel") for s in result.document["services"]}
    assert models == {"web": None, "a": "async", "b": "async", "d": None, "c": "async"}
    tail = (
        " in a cycle: written with concurrencyModel async (a worker held across calls that "
        "come back to its own service deadlocks the cycle once every worker waits so; "
        "nothing imported times out)"
    )
    assert [w for w in result.warnings if w.endswith(tail)] == [
        "a, b call each other" + tail,
        "c calls itself" + tail,
    ]
    Scenario.model_validate(result.document)


def test_max_depth_fits_a_rare_entrypoints_deep_requests(tmp_path):
    # rare's requests all nest 40 calls deep; mixed by rate with web's they are 0.01%
    # of all requests, yet every one of them would fail at the default maxDepth of 32
    chain = " -> ".join(f"s{i}" for i in range(1, 41))
    path = tmp_path / "g.dot"
    path.write_text(
        'digraph { web [entrypoint=true, rate="1000/s"]; rare [entrypoint=true, '
        f'rate="0.1/s"]; web -> leaf; rare -> {chain}; }}'
    )
    result = import_graph("dot", [path])
    assert result.document["simulation"] == {"maxDepth": 41}
    assert (
        "100.0% of an entrypoint's requests would nest calls 32 deep (the default limit): "
        "simulation.maxDepth set to 41" in result.warnings
    )


@pytest.mark.parametrize("tool", ["load-generator", "load-test", "Load_Generator"])
def test_a_load_tool_named_with_separators_is_left_out(tmp_path, tool):
    # the OpenTelemetry demo's load-generator, Sock Shop's load-test
    path = tmp_path / "g.csv"
    path.write_text(f"caller,callee\n{tool},frontend-proxy\nfrontend-proxy,cart\n")
    result = import_graph("csv", [path])
    assert [s["name"] for s in result.document["services"]] == ["frontend-proxy", "cart"]
    assert result.document["entrypoints"][0]["service"] == "frontend-proxy"


def test_front_end_with_a_hyphen_is_gateway_like():
    from meshsim.files.importers.common import ServiceNode
    from meshsim.files.importers.realistic import is_gateway_like, is_load_tool

    assert is_gateway_like(ServiceNode("front-end", "front-end"))  # Sock Shop's
    assert not is_gateway_like(ServiceNode("frontier-end", "frontier-end"))
    assert not is_load_tool(ServiceNode("download-test-data", "download-test-data"))


def _fan_out_csv(tmp_path: Path) -> Path:
    # web -> a -> 7 b's -> 7 c's each -> 7 d's each, all certain: 1 + 1 + 7 + 49 + 343
    # = 401 service visits per request (7 callees: below the gateway rule's 8)
    rows = ["caller,callee", "web,a"]
    rows += [f"a,b{i}" for i in range(7)]
    rows += [f"b{i},c{i}{j}" for i in range(7) for j in range(7)]
    rows += [f"c{i}{j},d{i}{j}{k}" for i in range(7) for j in range(7) for k in range(7)]
    path = tmp_path / "fan.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_default_rates_are_scaled_to_the_load_budget(tmp_path):
    result = import_graph("csv", [_fan_out_csv(tmp_path)])
    # 401 visits x 100/s = 40,100 visits/s > 20,000: 100/s x 20,000 / 40,100 = 49.88/s
    assert result.document["entrypoints"] == [{"name": "web", "service": "web", "rate": "49.88/s"}]
    assert (
        "at the default rates the 1 entrypoint(s) would offer 40,100 service visits per "
        "second (401 per request), a run of hours: entry rates scaled by 0.4988 to 20,000 "
        "visits per second (the busiest now 49.88/s); --rate R or --window D sets them"
    ) in result.warnings
    figures = capacity(Scenario.model_validate(result.document))
    assert sum(f.rps for f in figures.services.values()) == pytest.approx(401 * 49.88)


def test_a_rate_the_user_gives_is_never_scaled(tmp_path):
    result = import_graph("csv", [_fan_out_csv(tmp_path)], rate_rps=100)
    assert result.document["entrypoints"][0]["rate"] == "100/s"
    assert not any("visits per second" in w for w in result.warnings)


def test_guessed_calls_that_multiply_without_end_are_thinned(tmp_path):
    # 20 layers of 2 services, each calling both of the next layer: 2^i paths reach
    # layer i, 1 + 2 + ... + 2^20 = 2,097,151 visits per request if every call is made
    rows = ["caller,callee", "web,l1a", "web,l1b"]
    for i in range(1, 20):
        rows += [f"l{i}{a},l{i + 1}{b}" for a in "ab" for b in "ab"]
    path = tmp_path / "layers.csv"
    path.write_text("\n".join(rows) + "\n")
    result = import_graph("csv", [path], rate_rps=1)
    (warning,) = [w for w in result.warnings if w.startswith("without call counts")]
    assert warning.startswith(
        "without call counts, a call on every edge on every request would make 2.1e+06 "
        "service visits per request"
    )
    factor = float(warning.split("multiplied by ")[1].split(",")[0])
    probabilities = {c["probability"] for s in result.document["services"]
                     for c in s.get("calls", [])}  # fmt: skip
    assert probabilities == {factor}

    # the largest factor (3 significant figures) for at most 1,000 visits per request:
    # 1 + sum over i of (2c)^i, by the capacity analysis' own count of visits
    def layered(c: float) -> float:
        return 1 + sum((2 * c) ** i for i in range(1, 21))

    figures = capacity(Scenario.model_validate(result.document))
    visits = sum(f.visits for f in figures.services.values())
    assert visits == pytest.approx(layered(factor)) and visits <= 1000
    assert 0.1 < factor < 1 and layered(factor + 0.001) > 1000


def _deployment(name: str, image: str, extra: str = "") -> str:
    return f"""\
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: main
          image: {image}
{textwrap.indent(textwrap.dedent(extra), " " * 10)}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec: {{selector: {{app: {name}}}, ports: [{{port: 80}}]}}
"""


_FRONT = _deployment("front-end", "shop/front-end:1", 'env: [{name: API, value: "http://api"}]')
_FRONT = _FRONT.replace("ports: [{port: 80}]}", "type: NodePort, ports: [{port: 80}]}")
_FRONT += _deployment("api", "shop/api:1")


def test_a_load_tool_whose_calls_are_not_in_env_is_left_out(tmp_path):
    # Sock Shop's load-test: the target is in args, which name no call
    load_test = _deployment(
        "load-test",
        "weaveworksdemos/load-test:0.1.1",
        """\
        command: ["/bin/sh"]
        args: ["-c", "while true; do locust --host http://front-end -f /config/locustfile.py; done"]
        """,
    )
    # a Deployment whose name and image say nothing, but that runs k6
    runner = _deployment(
        "perf-runner", "busybox:1.36", 'command: ["/usr/local/bin/k6", "run", "/scripts/t.js"]'
    )
    path = _write(tmp_path, _FRONT + load_test + runner, "m.yaml")
    result = import_graph("k8s", [path])
    assert [s["name"] for s in result.document["services"]] == ["front-end", "api"]
    assert result.document["entrypoints"] == [
        {"name": "front-end", "service": "front-end", "rate": "100/s"}
    ]
    assert result.warnings == [
        "load-test looks like a load generator (it calls no service of the input and nobody "
        "calls it): left out; its traffic is the entrypoints' rate",
        "perf-runner looks like a load generator (it calls no service of the input and nobody "
        "calls it): left out; its traffic is the entrypoints' rate",
    ]


@pytest.mark.parametrize(
    ("name", "image", "extra"),
    [
        ("bk6-api", "shop/bk6-api:1", ""),  # k6 inside a longer word is no load tool
        ("greeter", "shop/greeter:1", 'args: ["--greeting", "hey"]'),  # not in a program's place
        ("reporter", "python:3.12", 'command: ["python", "-c", "print(\'locust\')"]'),
    ],
)
def test_a_service_nobody_calls_is_kept_unless_it_names_a_load_tool(tmp_path, name, image, extra):
    path = _write(tmp_path, _FRONT + _deployment(name, image, extra), "m.yaml")
    result = import_graph("k8s", [path])
    assert [s["name"] for s in result.document["services"]] == ["front-end", "api", name]
    assert not any("load generator" in w for w in result.warnings)


def test_a_load_tool_with_no_calls_that_the_input_makes_an_entrypoint_is_kept(tmp_path):
    # a locust master behind a LoadBalancer (its web UI) serves requests from outside
    locust = _deployment("locust", "locustio/locust:2.20").replace(
        "ports: [{port: 80}]}", "type: LoadBalancer, ports: [{port: 80}]}"
    )
    result = import_graph("k8s", [_write(tmp_path, _FRONT + locust, "m.yaml")])
    assert [s["name"] for s in result.document["services"]] == ["front-end", "api", "locust"]


def test_an_input_of_only_load_generators_is_refused(tmp_path):
    from meshsim.errors import GraphImportError

    path = _write(tmp_path, _deployment("load-test", "weaveworksdemos/load-test:0.1.1"), "l.yaml")
    with pytest.raises(GraphImportError) as err:
        import_graph("k8s", [path])
    assert str(err.value) == (
        f"{path}: the input holds only load generators (load-test): they are the traffic, "
        "not services; import them together with the services they load"
    )
