"""Public microservice benchmarks written from their published topologies (issue 12).

``tests/data/benchmarks``: TrainTicket as a GraphML export (ids n0..n70, names in a
label key, no call counts) and Sock Shop's manifests with env addresses and a load
generator. Each imports as it is: names, the entrypoint, the gateway's choice, the
cycles, and the load the capacity analysis derives from them.
"""

from __future__ import annotations

import pytest

from meshsim.files.importers import import_graph
from meshsim.rollout.capacity import capacity
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, edges_of


def test_train_ticket_graphml(data):
    result = import_graph("auto", [data / "benchmarks" / "train-ticket.graphml"])
    doc = result.document
    names = [s["name"] for s in doc["services"]]
    assert len(names) == 71 and names[:2] == ["ts-ui-dashboard", "ts-auth-service"]
    assert doc["entrypoints"] == [
        {"name": "ts-ui-dashboard", "service": "ts-ui-dashboard", "rate": "100/s"}
    ]
    # the UI gateway reaches all 45 backends: one of them per request, 1/45 each
    ui = calls_of(doc, "ts-ui-dashboard")
    assert len(ui) == 45 and {c["probability"] for c in ui.values()} == {0.02222}
    # travel <-> seat <-> travel2: the closing calls of the certain cycles get 0.1
    assert calls_of(doc, "ts-seat-service")["ts-travel-service"]["probability"] == 0.1
    assert calls_of(doc, "ts-travel2-service")["ts-seat-service"]["probability"] == 0.1
    models = {s["name"] for s in doc["services"] if s.get("concurrencyModel") == "async"}
    assert models == {"ts-travel-service", "ts-travel2-service", "ts-seat-service"}
    figures = capacity(Scenario.model_validate(doc))
    # only the UI calls admin-user: 1/45 of the requests
    assert figures.services["ts-admin-user-service"].visits == pytest.approx(0.02222)
    # user: from the UI, preserve, preserve-other, cancel and admin-user (each 1/45)
    assert figures.services["ts-user-service"].visits == pytest.approx(5 * 0.02222)
    assert figures.services["ts-ui-dashboard"].rps == pytest.approx(100.0)


def test_sock_shop_manifests_with_a_load_generator(data):
    result = import_graph("k8s", [data / "benchmarks" / "sock-shop.yaml"])
    doc = result.document
    assert [s["name"] for s in doc["services"]] == [
        "carts", "carts-db", "catalogue", "catalogue-db", "front-end", "orders",
        "orders-db", "payment", "queue-master", "rabbitmq", "session-db", "shipping",
        "user", "user-db",
    ]  # fmt: skip
    # the NodePort front-end is the entrypoint; the load generator that calls it is not
    assert doc["entrypoints"] == [{"name": "front-end", "service": "front-end", "rate": "100/s"}]
    assert result.warnings == [
        "loadgen looks like a load generator (it calls front-end and nobody calls it): left "
        "out; its traffic is the entrypoints' rate",
        # queue-master consumes from RabbitMQ: nothing sends it requests
        "1 service gets no traffic from any entrypoint: queue-master; the manifests name no "
        "call that leads to them from an entrypoint (calls are read from container env values "
        "that name a Service, see docs/importers.md): add their calls by hand, or import "
        "traces or a service graph of the same system instead of the manifests",
    ]
    assert edges_of(doc) == {
        ("front-end", "catalogue"), ("front-end", "carts"), ("front-end", "orders"),
        ("front-end", "user"), ("front-end", "session-db"), ("carts", "carts-db"),
        ("catalogue", "catalogue-db"),  # a Go MySQL DSN: ...@tcp(catalogue-db:3306)/socksdb
        ("orders", "carts"), ("orders", "payment"), ("orders", "shipping"),
        ("orders", "user"), ("orders", "orders-db"), ("shipping", "rabbitmq"),
        ("queue-master", "rabbitmq"), ("user", "user-db"),
    }  # fmt: skip
    # fewer than 8 calls and no counts: the front-end calls all five, certainly
    assert all("probability" not in c for c in calls_of(doc, "front-end").values())
    figures = capacity(Scenario.model_validate(doc))
    # user: once from the front-end, once from orders
    assert figures.services["user"].rps == pytest.approx(200.0)
