"""k8s importer: real Online Boutique and Bookinfo manifests, and every form of SPEC §13."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest

from meshsim.files.importers import import_graph
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, edges_of, service_of


def _write(tmp_path: Path, text: str, name: str = "manifests.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_online_boutique_gives_exactly_the_edges_of_edges_csv(data):
    result = import_graph("k8s", [data / "online-boutique" / "kubernetes-manifests.yaml"])
    with open(data / "online-boutique" / "edges.csv", newline="") as handle:
        expected = {(row["caller"], row["callee"]) for row in csv.DictReader(handle)}
    # but the load generator's: it is left out, with a warning
    assert edges_of(result.document) == expected - {("loadgenerator", "frontend")}
    assert any("loadgenerator looks like a load generator" in w for w in result.warnings)
    Scenario.model_validate(result.document)


def test_online_boutique_entrypoint_and_services(data):
    doc = import_graph("k8s", [data / "online-boutique" / "kubernetes-manifests.yaml"]).document
    assert [(e["service"], e["rate"]) for e in doc["entrypoints"]] == [("frontend", "100/s")]
    assert service_of(doc, "frontend")["external"] is True
    assert service_of(doc, "redis-cart")["protocol"] == "tcp"
    assert service_of(doc, "checkoutservice")["protocol"] == "grpc"
    assert service_of(doc, "frontend")["protocol"] == "http"
    # the 12th Deployment, loadgenerator, is the traffic itself: left out
    assert len(doc["services"]) == 11
    assert "loadgenerator" not in {s["name"] for s in doc["services"]}
    assert "rollout" not in doc  # nothing is injected in these manifests


def test_online_boutique_with_its_istio_manifests(data):
    paths = [
        data / "online-boutique" / "kubernetes-manifests.yaml",
        data / "online-boutique" / "istio-manifests.yaml",
    ]
    result = import_graph("k8s", paths, rate_rps=250)
    doc = result.document
    assert [(e["service"], e["rate"]) for e in doc["entrypoints"]] == [("frontend", "250/s")]
    assert not any("ServiceEntry" in w for w in result.warnings)
    Scenario.model_validate(doc)


def test_bookinfo_faults_subsets_and_gateway(data):
    paths = [
        data / "bookinfo" / "bookinfo.yaml",
        data / "bookinfo" / "bookinfo-gateway.yaml",
        data / "bookinfo" / "destination-rule-all.yaml",
        data / "bookinfo" / "virtual-service-ratings-test-delay.yaml",
    ]
    result = import_graph("k8s", paths)
    doc = result.document
    assert doc["entrypoints"] == [
        {
            "name": "productpage-v1",
            "service": "productpage-v1",
            "rate": "100/s",
            "client": "gateway",
        }
    ]
    # the subset v1 narrows the fault to ratings-v1; the header match gives a warning
    assert doc["faults"] == [
        {"service": "ratings-v1", "type": "latency", "delay": "7s", "probability": 1.0}
    ]
    assert any("end-user" in w and "only some requests" in w for w in result.warnings)
    # the DestinationRules declare subsets only: no policy comes out of them
    assert "mesh" not in doc
    Scenario.model_validate(doc)


def test_bookinfo_abort_fault(data):
    paths = [
        data / "bookinfo" / "bookinfo.yaml",
        data / "bookinfo" / "destination-rule-all.yaml",
        data / "bookinfo" / "virtual-service-ratings-test-abort.yaml",
    ]
    result = import_graph("k8s", paths)
    assert result.document["faults"] == [
        {"service": "ratings-v1", "type": "error", "errorRate": 1.0}
    ]
    assert any("headers end-user" in w for w in result.warnings)


def test_bookinfo_all_files_together(data):
    result = import_graph("k8s", sorted((data / "bookinfo").glob("*.yaml")))
    assert any("defined again" in w for w in result.warnings)
    Scenario.model_validate(result.document)


def test_traffic_split_of_a_virtual_service_sets_call_probabilities(data, tmp_path):
    caller = _write(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: client}
        spec:
          template:
            metadata: {labels: {app: client}}
            spec:
              containers:
              - name: c
                env:
                - {name: REVIEWS_HOSTNAME, value: reviews}
        """,
    )
    paths = [
        data / "bookinfo" / "bookinfo.yaml",
        data / "bookinfo" / "destination-rule-all.yaml",
        data / "bookinfo" / "virtual-service-reviews-90-10.yaml",
        caller,
    ]
    result = import_graph("k8s", paths)
    calls = calls_of(result.document, "client")
    assert calls == {
        "reviews-v1": {"to": "reviews-v1", "probability": 0.9},
        "reviews-v2": {"to": "reviews-v2", "probability": 0.1},
    }
    Scenario.model_validate(result.document)


ENV_FORMS = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop, labels: {istio-injection: enabled}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: endpoints, namespace: shop}
  data:
    CACHE_URL: "redis://:secret@cache.shop.svc.cluster.local:6379/0"
    LOG_LEVEL: debug
    QUEUE: "queue:5672"
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: shop}
  spec:
    replicas: 3
    template:
      metadata: {labels: {app: api}}
      spec:
        containers:
        - name: api
          envFrom:
          - configMapRef: {name: endpoints}
          env:
          - {name: USERS_ADDR, value: "users"}
          - {name: ORDERS_ADDR, value: "orders:8080"}
          - {name: BILLING, value: "billing.finance"}
          - {name: AUDIT, value: "https://bob:pw@audit.finance.svc.cluster.local:8443/v1/log"}
          - {name: CATALOG_HOST, value: "catalog"}
          - {name: CATALOG_PORT, value: "9000"}
          - name: SEARCH
            valueFrom: {configMapKeyRef: {name: more, key: search}}
          - {name: HOMEPAGE, value: "https://www.example.com"}
          - {name: SELF, value: "api:80"}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: more, namespace: shop}
  data: {search: "search:9200"}
"""


def _workload(name: str, namespace: str, kind: str = "Deployment", extra: str = "") -> str:
    return f"""
---
apiVersion: apps/v1
kind: {kind}
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  template:
    metadata:
      labels: {{app: {name}}}
      {extra}
    spec:
      containers: [{{name: main}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http-web, port: 80}}]
"""


def _env_forms_manifest(tmp_path: Path) -> Path:
    text = (
        ENV_FORMS + "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
    )
    text += "spec: {selector: {app: api}, ports: [{name: grpc, port: 80}]}\n"
    for name in ("users", "orders", "cache", "queue", "search"):
        text += _workload(name, "shop")
    text += _workload("catalog", "shop", "StatefulSet")
    text += _workload("billing", "finance", extra="annotations: {sidecar.istio.io/inject: 'true'}")
    text += _workload("audit", "finance", "DaemonSet")
    text += _workload("debug", "other")
    return _write(tmp_path, text)


def test_every_env_value_form_names_its_service(tmp_path):
    result = import_graph("k8s", [_env_forms_manifest(tmp_path)])
    doc = result.document
    assert set(calls_of(doc, "api")) == {
        "users", "orders", "billing", "audit", "catalog", "search", "cache", "queue",
    }  # fmt: skip
    assert service_of(doc, "api")["replicas"] == 3
    assert service_of(doc, "api")["namespace"] == "shop"
    assert any("DaemonSet audit" in w for w in result.warnings)
    Scenario.model_validate(doc)


@pytest.mark.parametrize(
    ("value", "callees"),
    [
        # Sock Shop's catalogue: go-sql-driver/mysql's [user[:password]@]tcp(host:port)/db
        ("catalogue_user:default_password@tcp(catalogue-db:3306)/socksdb", {"catalogue-db"}),
        ("tcp(catalogue-db)/socksdb?parseTime=true", {"catalogue-db"}),
        ("tcp(catalogue-db.shop.svc.cluster.local:3306)", {"catalogue-db"}),
        # a Unix socket names no host; neither does a tcp( inside a longer word
        ("root@unix(/var/run/mysqld/mysqld.sock)/socksdb", set()),
        ("mytcp(catalogue-db:3306)/socksdb", set()),
    ],
)
def test_a_go_mysql_dsn_names_its_host(tmp_path, value, callees):
    text = f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: catalogue, namespace: shop}}
        spec:
          template:
            metadata: {{labels: {{app: catalogue}}}}
            spec:
              containers: [{{name: main, env: [{{name: DSN, value: "{value}"}}]}}]
        """
    text = textwrap.dedent(text) + _workload("catalogue-db", "shop")
    doc = import_graph("k8s", [_write(tmp_path, text)]).document
    assert set(calls_of(doc, "catalogue")) == callees


def test_services_no_named_call_reaches_get_a_warning_that_says_why(tmp_path):
    # Sock Shop's complete-demo.yaml: the NodePort front-end names no call in its env
    text = _workload("front-end", "shop").replace("ports:", "type: NodePort\n  ports:")
    text += _workload("carts", "shop") + _workload("carts-db", "shop")
    result = import_graph("k8s", [_write(tmp_path, text)])
    assert result.document["entrypoints"] == [
        {"name": "front-end", "service": "front-end", "rate": "100/s"}
    ]
    assert result.warnings == [
        "2 services get no traffic from any entrypoint: carts, carts-db; the manifests name "
        "no call that leads to them from an entrypoint (calls are read from container env "
        "values that name a Service, see docs/importers.md): add their calls by hand, or "
        "import traces or a service graph of the same system instead of the manifests"
    ]


def test_injection_forms_the_existing_phase(tmp_path):
    doc = import_graph("k8s", [_env_forms_manifest(tmp_path)]).document
    (phase,) = doc["rollout"]["phases"]
    assert phase["name"] == "existing"
    # namespace shop is labelled; billing is annotated; audit and debug are neither
    assert set(phase["services"]) == {
        "api", "users", "orders", "cache", "queue", "search", "catalog", "billing",
    }  # fmt: skip


ISTIO = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: users, namespace: shop}
spec:
  hosts: [users.shop.svc.cluster.local]
  http:
  - route: [{destination: {host: users}}]
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,reset,503,retriable-headers"}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: orders, namespace: shop}
spec:
  host: orders
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 30ms}
      http: {http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRetries: 3}
    outlierDetection: {consecutiveErrors: 7, interval: 5m, baseEjectionTime: 15m,
                       maxEjectionPercent: 50}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: shop, namespace: shop}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: billing, namespace: finance}
spec:
  selector: {matchLabels: {app: billing}}
  mtls: {mode: STRICT}
---
apiVersion: v1
kind: Service
metadata: {name: api-public, namespace: shop}
spec: {type: NodePort, selector: {app: api}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: other}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: debug, port: {number: 80}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: thing}
"""


def test_istio_policies_mtls_and_entrypoints(tmp_path):
    paths = [_env_forms_manifest(tmp_path), _write(tmp_path, ISTIO, "istio.yaml")]
    result = import_graph("k8s", paths)
    doc = result.document
    policies = {p["host"]: p for p in doc["mesh"]["policies"]}
    assert policies["users"] == {
        "host": "users",
        "timeout": "2s",
        "retries": {
            "attempts": 3,
            "perTryTimeout": "500ms",
            "retriableStatusCodes": [503],
            "retryOn": ["5xx", "reset", "retriable-status-codes"],
        },
    }
    assert policies["orders"] == {
        "host": "orders",
        "connectionPool": {
            "maxConnections": 100,
            "maxPendingRequests": 10,
            "maxRequests": 1000,
            "maxRetries": 3,
        },
        "outlierDetection": {
            "consecutive5xxErrors": 7,
            "interval": "300s",
            "baseEjectionTime": "900s",
            "maxEjectionPercent": 50.0,
        },
    }
    assert doc["rollout"]["phases"][0]["mtls"] == [
        {"scope": "mesh", "mode": "PERMISSIVE"},
        {"scope": "namespace", "name": "shop", "mode": "STRICT"},
        {"scope": "service", "name": "billing", "mode": "STRICT"},
    ]
    assert {e["service"] for e in doc["entrypoints"]} == {"api", "debug"}
    warnings = "\n".join(result.warnings)
    assert "retriable-headers" in warnings
    assert "connectTimeout" in warnings
    assert "CronJob nightly skipped" in warnings
    assert "Widget thing skipped" in warnings
    Scenario.model_validate(doc)


def test_a_service_selecting_several_workloads_splits_calls_evenly(data, tmp_path):
    caller = _write(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: client}
        spec:
          template:
            spec:
              containers: [{name: c, env: [{name: R, value: "http://reviews:9080/reviews/1"}]}]
        """,
    )
    result = import_graph("k8s", [data / "bookinfo" / "bookinfo.yaml", caller])
    calls = calls_of(result.document, "client")
    assert {k: v.get("probability") for k, v in calls.items()} == {
        "reviews-v1": 0.3333,
        "reviews-v2": 0.3333,
        "reviews-v3": 0.3333,
    }
    assert any("routes to 3 workloads" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n", "no Deployment"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("apiVersion: v1\nmetadata: {name: a}\n", "needs a 'kind'"),
        ("kind: Deployment\nmetadata: {}\n", "metadata.name"),
        ("kind: Deployment\nmetadata: {name: a}\nspec: {replicas: many}\n", "must be a number"),
    ],
)
def test_wrong_structure_is_a_graph_import_error(tmp_path, text, message):
    from meshsim.errors import GraphImportError

    path = _write(tmp_path, text, "broken.yaml")
    with pytest.raises(GraphImportError, match=message) as info:
        import_graph("k8s", [path])
    assert "broken.yaml" in str(info.value)


RETRIES_WITHOUT_ATTEMPTS = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: users, namespace: shop}
spec:
  hosts: [users]
  http:
  - route: [{destination: {host: users}}]
    retries: {perTryTimeout: 500ms, retryOn: "5xx"}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders]
  http:
  - route: [{destination: {host: orders}}]
    retries: {attempts: 0}
"""


def test_virtual_service_retries_without_attempts_turn_retries_off(tmp_path):
    # Istio's ConvertPolicy returns no retry policy for attempts <= 0, and an unset
    # attempts is 0: the block disables retries instead of keeping the default 2
    paths = [_env_forms_manifest(tmp_path), _write(tmp_path, RETRIES_WITHOUT_ATTEMPTS, "vs.yaml")]
    result = import_graph("k8s", paths)
    policies = {p["host"]: p for p in result.document["mesh"]["policies"]}
    assert policies["users"] == {"host": "users", "retries": "none"}
    assert policies["orders"] == {"host": "orders", "retries": "none"}
    assert [w for w in result.warnings if "without attempts" in w] == [
        f"{paths[1]}:2: VirtualService users: retries without attempts turns retries off "
        "in Istio (attempts 0)"
    ]
    scenario = Scenario.model_validate(result.document)
    users = next(p for p in scenario.mesh.policies if p.host == "users")
    assert users.retries is None
