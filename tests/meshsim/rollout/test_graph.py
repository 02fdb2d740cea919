"""Call graph analysis: analytic exposure, expected visits, structural blast radius, layouts."""

from __future__ import annotations

import numpy as np
import pytest

import meshsim.rollout.graph as graph_module
from meshsim.rollout.graph import (
    CallTable,
    call_depths,
    call_graph,
    callers,
    cycles,
    heights,
    layered_layout,
    spring_layout,
)
from tests.meshsim.planning.planning_scenarios import scenario, shop


def _chain(calls_a: list[dict], extra: list[dict] | None = None, entries: list | None = None):
    services = [{"name": "a", "calls": calls_a}, {"name": "b"}, {"name": "c"}, *(extra or [])]
    return scenario(
        {
            "services": services,
            "entrypoints": entries or [{"name": "web", "service": "a", "rate": 10}],
        }
    )


def test_exposure_of_a_call_with_probability_is_that_probability():
    s = _chain([{"to": "b", "probability": 0.3}])
    exposure = CallTable.from_scenario(s).exposure()
    assert exposure["a"] == pytest.approx(1.0)
    assert exposure["b"] == pytest.approx(0.3, abs=1e-12)
    assert exposure["c"] == 0.0


def test_exposure_through_counts_and_repeated_items():
    # a -> b (p=.5, twice); b -> c (p=.4): P(c) = .5 * (1 - .6**2) = .32.
    s = scenario(
        {
            "services": [
                {"name": "a", "calls": [{"to": "b", "probability": 0.5, "count": 2}]},
                {"name": "b", "calls": [{"to": "c", "probability": 0.4}]},
                {"name": "c"},
            ],
            "entrypoints": [{"name": "web", "service": "a", "rate": 10}],
        }
    )
    exposure = CallTable.from_scenario(s).exposure()
    assert exposure["b"] == pytest.approx(0.5)
    assert exposure["c"] == pytest.approx(0.32)
    # Two independent items of p=.5 each: 1 - .5 * .5.
    s2 = _chain([{"to": "b", "probability": 0.5}, {"to": "b", "probability": 0.5}])
    assert CallTable.from_scenario(s2).exposure()["b"] == pytest.approx(0.75)


def test_exposure_mixes_entrypoints_by_rate():
    s = _chain(
        [{"to": "c"}],
        entries=[
            {"name": "w1", "service": "a", "rate": 30},
            {"name": "w2", "service": "b", "rate": 10},
        ],
    )
    exposure = CallTable.from_scenario(s).exposure()
    assert exposure["c"] == pytest.approx(0.75)
    assert exposure["b"] == pytest.approx(0.25)


def test_exposure_of_a_set_is_not_the_sum():
    s = _chain([{"to": "b", "probability": 0.5}, {"to": "c", "probability": 0.5}])
    table = CallTable.from_scenario(s)
    assert table.touch_probability(["b", "c"]) == pytest.approx(0.75)
    assert table.touch_probability([]) == 0.0


def test_exposure_converges_on_a_cycle():
    # a -> b (certain), b -> a (p=.5), b -> c (p=.2): q = .2 + .4 q, so q = 1/3.
    s = scenario(
        {
            "services": [
                {"name": "a", "calls": [{"to": "b"}]},
                {
                    "name": "b",
                    "calls": [{"to": "a", "probability": 0.5}, {"to": "c", "probability": 0.2}],
                },
                {"name": "c"},
            ],
            "entrypoints": [{"name": "web", "service": "a", "rate": 10}],
        }
    )
    table = CallTable.from_scenario(s)
    assert table.exposure()["c"] == pytest.approx(1 / 3, abs=1e-5)
    visits = dict(zip(table.names, table.expected_visits(), strict=True))
    # Each visit of a returns to a with p=.5: 1 / (1 - .5) visits of a and b.
    assert visits["a"] == pytest.approx(2.0, abs=1e-4)
    assert visits["b"] == pytest.approx(2.0, abs=1e-4)
    assert visits["c"] == pytest.approx(0.4, abs=1e-4)
    assert cycles(s) == [["a", "b"]]


def test_expected_visits_and_edge_calls():
    s = _chain([{"to": "b", "probability": 0.5, "count": 3}, {"to": "c"}])
    table = CallTable.from_scenario(s)
    visits = dict(zip(table.names, table.expected_visits(), strict=True))
    assert visits == pytest.approx({"a": 1.0, "b": 1.5, "c": 1.0})
    assert table.edge_calls() == pytest.approx({("a", "b"): 1.5, ("a", "c"): 1.0})


def test_structural_blast_radius_required_and_optional():
    s = _chain([{"to": "b"}, {"to": "c", "optional": True}])
    blast = CallTable.from_scenario(s).structural_blast_radius()
    assert blast["a"] == pytest.approx(1.0)
    assert blast["b"] == pytest.approx(1.0)
    assert blast["c"] == 0.0


def test_structural_blast_radius_weighs_call_probability_and_stops_at_optional_calls():
    s = scenario(
        {
            "services": [
                {
                    "name": "a",
                    "calls": [{"to": "b", "probability": 0.4}, {"to": "c", "optional": True}],
                },
                {"name": "b"},
                {"name": "c", "calls": [{"to": "d"}]},
                {"name": "d"},
            ],
            "entrypoints": [{"name": "web", "service": "a", "rate": 10}],
        }
    )
    table = CallTable.from_scenario(s)
    blast = table.structural_blast_radius()
    assert blast["b"] == pytest.approx(0.4)
    assert blast["d"] == 0.0  # reached only below an optional call
    assert table.exposure()["d"] == pytest.approx(1.0)


def test_call_graph_aggregates_edges():
    s = _chain([{"to": "b", "probability": 0.5}, {"to": "b", "count": 2, "optional": True}])
    g = call_graph(s)
    edge = g.edges["a", "b"]
    assert edge["probability"] == pytest.approx(1.0)
    assert edge["count"] == pytest.approx(2.5)
    assert edge["optional"] is False
    assert g.nodes["a"]["entry"] and not g.nodes["b"]["entry"]
    with_entries = call_graph(s, entrypoints=True)
    assert with_entries.has_edge("@web", "a")
    assert with_entries.nodes["@web"]["kind"] == "entrypoint"


def test_depths_heights_and_callers():
    s = shop()
    assert call_depths(s) == {"web": 0, "api": 1, "ads": 1, "db": 2, "pay": 2}
    assert heights(s) == {"web": 2, "api": 1, "db": 0, "ads": 0, "pay": 0}
    assert callers(s)["api"] == {"web"}
    assert callers(s)["web"] == set()


def test_layered_layout_puts_entrypoints_left_and_layers_by_depth():
    s = _chain([{"to": "b"}], extra=[{"name": "lonely"}])
    pos = layered_layout(s)
    assert pos["@web"][0] == 0.0
    assert pos["a"][0] == 1.0 and pos["b"][0] == 2.0
    assert pos["lonely"][0] == 3.0  # unreachable: a last layer
    assert pos["c"][0] == 3.0
    assert layered_layout(s) == pos
    ys = [y for x, y in pos.values() if x == 3.0]
    assert len(set(ys)) == len(ys)  # no two nodes on the same spot


def test_spring_layout_is_seeded():
    s = shop()
    assert spring_layout(s, seed=3) == spring_layout(s, seed=3)
    assert set(spring_layout(s)) == {"@users", "web", "api", "db", "ads", "pay"}


def _loop(max_depth: int):
    # a -> b (certain), b -> a (p=.5), b -> c (p=.5). Within d call levels:
    # q_b(d) = 1 - (1 - .5 q_a(d-1)) * .5 = .5 + .25 q_a(d-1), q_a(d) = q_b(d-1), q_c = 1;
    # unbounded, q = .5 + .25 q gives 2/3.
    return scenario(
        {
            "services": [
                {"name": "a", "calls": [{"to": "b"}]},
                {
                    "name": "b",
                    "calls": [{"to": "a", "probability": 0.5}, {"to": "c", "probability": 0.5}],
                },
                {"name": "c"},
                # nobody calls d
                {"name": "d", "calls": [{"to": "a", "probability": 0.25, "count": 2}]},
            ],
            "entrypoints": [{"name": "web", "service": "a", "rate": 10}],
            "simulation": {"maxDepth": max_depth},
        }
    )


@pytest.mark.parametrize(
    ("max_depth", "a", "b"),
    [
        (1, 0.0, 0.5),  # b -> c only
        (2, 0.5, 0.5),  # a -> b -> c
        (3, 0.5, 0.625),  # b -> a -> b -> c adds .5 * .5 of the remaining .5
        (4, 0.625, 0.625),
        (5, 0.625, 0.65625),
    ],
)
def test_reach_on_a_cycle_is_cut_at_max_depth(max_depth, a, b):
    table = CallTable.from_scenario(_loop(max_depth))
    q = dict(zip(table.names, table.reach(["c"]), strict=True))
    # d's item (p=.25, drawn once) calls a twice: .25 * (1 - (1 - q_a(d-1))^2)
    d = 0.25 * (1 - (1 - _loop_a(max_depth - 1)) ** 2)
    assert q == pytest.approx({"a": a, "b": b, "c": 1.0, "d": d}, rel=1e-14, abs=1e-15)
    assert table.touch_probability(["c"]) == pytest.approx(a, rel=1e-14, abs=1e-15)


def _loop_a(depth: int) -> float:
    qa = qb = 0.0
    for _ in range(depth):
        qa, qb = qb, 0.5 + 0.25 * qa
    return qa


def test_reach_converges_on_a_cycle_when_max_depth_is_no_limit():
    table = CallTable.from_scenario(_loop(500))
    q = dict(zip(table.names, table.reach(["c"]), strict=True))
    assert q["a"] == pytest.approx(2 / 3, abs=1e-12)
    assert q["b"] == pytest.approx(2 / 3, abs=1e-12)
    assert q["d"] == pytest.approx(0.25 * (1 - (1 / 3) ** 2), abs=1e-12)
    # nothing below c, and d calls nobody who could reach a target of its own
    assert table.reach(["d"]).tolist() == [0.0, 0.0, 0.0, 1.0]
    assert table.reach([]).tolist() == [0.0] * 4


def _reach_by_the_definition(table: CallTable, targets, required_only=False) -> np.ndarray:
    """The fixed-point iteration of SPEC §11.3 written plainly, one round over every call."""
    n = len(table.names)
    hit = np.zeros(n, dtype=bool)
    hit[[table.names.index(t) for t in targets]] = True
    q = hit.astype(float)
    keep = ~table.optional if required_only else np.ones(len(table.src), dtype=bool)
    src, dst = table.src[keep], table.dst[keep]
    prob, count = table.probability[keep], table.count[keep]
    with np.errstate(divide="ignore"):
        for _ in range(table.max_depth):
            item = prob * (1.0 - (1.0 - q[dst]) ** count)
            miss = np.bincount(src, weights=np.log1p(-item), minlength=n)
            new = np.where(hit, 1.0, 1.0 - np.exp(miss))
            if np.max(np.abs(new - q), initial=0.0) < 1e-13:
                return new
            q = new
    return q


def _tangle(max_depth: int, services: int = 60, seed: int = 3):
    """Random calls with cycles, counts above 1, optional calls and several entrypoints."""
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(services)]
    data = []
    for i, name in enumerate(names):
        calls = []
        for j in rng.choice(services, size=int(rng.integers(0, 5)), replace=False):
            if j == i:
                continue
            call = {"to": names[j], "probability": float(rng.choice([0.1, 0.35, 0.5, 0.9]))}
            if rng.random() < 0.2:
                call["count"] = int(rng.integers(2, 5))
            if rng.random() < 0.2:
                call["optional"] = True
            calls.append(call)
        data.append({"name": name, "calls": calls})
    return scenario(
        {
            "services": data,
            "entrypoints": [
                {"name": "e1", "service": "s0", "rate": 30},
                {"name": "e2", "service": "s7", "rate": 10},
            ],
            "simulation": {"maxDepth": max_depth},
        }
    )


@pytest.mark.parametrize("few_calls", [500, 0], ids=["plain", "batched"])
@pytest.mark.parametrize("max_depth", [3, 12, 200])
def test_reach_and_exposure_are_the_numbers_of_the_plain_iteration(
    max_depth, few_calls, monkeypatch
):
    # The iteration skips services that cannot reach a target, leaves out the power of
    # count-1 calls and runs many targets at once: all of it must give the very same
    # floats as the plain iteration (the import's plan sorts services by them). One
    # target set takes the plain loop on small graphs; "batched" forces the other way.
    monkeypatch.setattr(graph_module, "_FEW_CALLS", few_calls)
    table = CallTable.from_scenario(_tangle(max_depth))
    assert cycles(_tangle(max_depth), limit=1)
    exposure = table.exposure()
    blast = table.structural_blast_radius()
    w, entry = table.entry_weight, table.entry_service
    for name in table.names:
        for required_only, figure in ((False, exposure), (True, blast)):
            q = _reach_by_the_definition(table, [name], required_only)
            assert np.array_equal(table.reach([name], required_only=required_only), q)
            assert figure[name] == float(np.dot(w, q[entry]))
    rng = np.random.default_rng(max_depth)
    for _ in range(10):
        group = list(rng.choice(table.names, size=int(rng.integers(2, 20)), replace=False))
        assert np.array_equal(table.reach(group), _reach_by_the_definition(table, group))
