"""Call graph analysis: analytic exposure, expected visits, structural blast radius, layouts."""

from __future__ import annotations

import pytest

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
