"""Lint on a 1,504-service graph: fan-outs up to 40, cycles, and two planted problems.

The bulk of the graph (1,500 services in namespace ``shop``) never retries, so its
paths weigh 1; a four-service chain in namespace ``pay`` retries at every hop. Every
finding below follows from SPEC §17 by hand, and no other may appear.
"""

from __future__ import annotations

from meshsim.rollout.lint import lint
from models import Scenario

BULK = 1500


def bulk_calls() -> dict[int, list[dict]]:
    """A tree filled breadth-first, node i calling 1 + (7 i mod 40) children (1..40).

    Every 100th node also calls its parent back with probability 0.01 (a cycle that
    dies out); nodes 10 and 20 call p2, node 3 calls p1 with a 500 ms app timeout.
    """
    calls: dict[int, list[dict]] = {i: [] for i in range(BULK)}
    parent = {}
    following = 1
    for i in range(BULK):
        for _ in range(1 + (7 * i) % 40):
            if following == BULK:
                break
            calls[i].append({"to": f"b{following}"})
            parent[following] = i
            following += 1
    for j in range(100, BULK, 100):
        calls[j].append({"to": f"b{parent[j]}", "probability": 0.01})
    calls[10].append({"to": "p2"})
    calls[20].append({"to": "p2"})
    calls[3].append({"to": "p1", "timeout": "500ms"})
    return calls


def document() -> dict:
    calls = bulk_calls()
    bulk = [
        {"name": f"b{i}", "namespace": "shop", "serviceTime": "1ms", "calls": calls[i]}
        for i in range(BULK)
    ]
    chain = [
        {"name": "p1", "namespace": "pay", "calls": [{"to": "p2", "retries": 1}]},
        {"name": "p2", "namespace": "pay", "calls": [{"to": "p3"}]},
        {"name": "p3", "namespace": "pay", "calls": [{"to": "p4"}]},
        {"name": "p4", "namespace": "pay"},
    ]
    return {
        "services": bulk + chain,
        "entrypoints": [
            {"name": "checkout", "service": "p1", "rate": 1},
            {"name": "shop", "service": "b0", "rate": 1},
        ],
        "mesh": {
            "defaults": {"retries": {"attempts": 0}},
            "policies": [
                {"host": "p2", "retries": {"attempts": 2, "perTryTimeout": "100ms"}},
                {"host": "p3", "retries": {"attempts": 3}},
                {"host": "p4", "retries": {"attempts": 4}},
            ],
        },
        "rollout": {
            "phases": [
                {"name": "pay", "namespaces": ["pay"]},
                {
                    "name": "shop",
                    "namespaces": ["shop"],
                    "policies": [{"host": "p3", "retries": {"attempts": 5}}],
                },
            ]
        },
    }


def test_bulk_has_the_shape_it_claims():
    calls = bulk_calls()
    assert max(len(c) for c in calls.values()) == 40
    assert sum(len(c) for c in calls.values()) == BULK - 1 + 14 + 3  # tree, back, chain
    back = [(i, c["to"]) for i, out in calls.items() for c in out if "probability" in c]
    assert all(any(c["to"] == f"b{i}" for c in calls[int(to[1:])]) for i, to in back)


def test_exact_findings_on_a_large_cyclic_graph():
    scenario = Scenario.model_validate(document())
    chain = "@checkout -> p1 -> p2 -> p3 -> p4"
    caller = ("services", 3, "calls", len(bulk_calls()[3]) - 1, "timeout")
    found = [(f.loc, f.severity, f.code, f.message) for f in lint(scenario)]
    assert found == [
        # phase pay: p1 -> p2 tries 1 + 2 (mesh) x 2 (one app retry), then 1 + 3, 1 + 4;
        # @shop -> ... -> b3 -> p1 -> ... weighs the same 120 but is searched later
        (
            ("mesh", "policies", 2, "retries", "attempts"),  # the largest factor, 5
            "error",
            "retry-amplification",
            f"phase pay: {chain} makes up to 120 tries at p4 per request (3 × 2 × 4 × 5)",
        ),
        # phase shop: p3 now has 1 + 5 tries; 3 x 2 x 6 x 5
        (
            ("rollout", "phases", 1, "policies", 0, "retries", "attempts"),
            "error",
            "retry-amplification",
            f"phase shop: {chain} makes up to 180 tries at p4 per request (3 × 2 × 6 × 5)",
        ),
        # p1 -> p2: 2 app tries, each up to 3 × 100 ms + back-offs 25 + 50 ms = 375 ms
        (
            caller,
            "warning",
            "timeout-inversion",
            "phase pay: b3's application timeout on p1 (500 ms) is shorter than p1's own "
            "retries towards p2 (up to 750 ms): b3 gives up while p1 still retries",
        ),
    ]
