"""Capacity (SPEC §18) against hand-computed operational laws.

Forced-flow law: X_s = V_s · X (visits per entry request times the entry rate);
utilization law: U_s = X_s · S_s, shared over replicas × concurrency workers.
"""

from __future__ import annotations

import pytest

from meshsim.rollout.capacity import capacity, overload_warnings
from tests.conftest import build


def test_chain_with_probability_count_and_replicas():
    # web 100/s -> a (2ms) -> b (10ms, count 3, 2 replicas x 4 workers)
    #                      -> c (4ms, probability 0.25)
    s = build(
        [
            {
                "name": "a",
                "serviceTime": "2ms",
                "calls": [{"to": "b", "count": 3}, {"to": "c", "probability": 0.25}],
            },
            {"name": "b", "serviceTime": "10ms", "replicas": 2, "concurrency": 4},
            {"name": "c", "serviceTime": {"dist": "exponential", "mean": "4ms"}},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": 100}],
    )
    cap = capacity(s)
    a, b, c = (cap.services[n] for n in "abc")
    assert (a.visits, b.visits, c.visits) == pytest.approx((1.0, 3.0, 0.25))
    assert (a.rps, b.rps, c.rps) == pytest.approx((100.0, 300.0, 25.0))
    # U = X * S / workers: a 100*0.002/16, b 300*0.010/8, c 25*0.004/16
    assert a.utilization == pytest.approx(0.0125)
    assert b.utilization == pytest.approx(0.375)
    assert c.utilization == pytest.approx(0.00625)
    assert cap.bottleneck == "b"
    assert cap.max_rate_multiplier == pytest.approx(1 / 0.375)
    # threads: a holds its worker for 2 + 3*10 + 0.25*4 = 33 ms
    assert a.hold_ms == pytest.approx(33.0)
    assert a.occupancy == pytest.approx(100 * 0.033 / 16)
    assert b.hold_ms == pytest.approx(10.0)


def test_parallel_groups_optional_calls_and_two_entrypoints():
    # two entrypoints: 30/s into gw, 10/s straight into d
    s = build(
        [
            {
                "name": "gw",
                "serviceTime": "1ms",
                "concurrencyModel": "async",
                "calls": [
                    {
                        "parallel": [
                            {"to": "d", "probability": 0.5},
                            {"to": "e", "count": 2, "optional": True},
                        ]
                    }
                ],
            },
            {"name": "d", "serviceTime": "5ms", "calls": [{"to": "e"}]},
            {"name": "e", "serviceTime": {"dist": "uniform", "low": "2ms", "high": "6ms"}},
        ],
        entrypoints=[
            {"name": "api", "service": "gw", "rate": 30},
            {"name": "direct", "service": "d", "rate": 10},
        ],
    )
    cap = capacity(s)
    # per entry request (mix 3/4 api, 1/4 direct):
    # V_gw = 0.75; V_d = 0.75*0.5 + 0.25 = 0.625; V_e = 0.75*2 + V_d*1 = 2.125
    assert cap.services["gw"].visits == pytest.approx(0.75)
    assert cap.services["d"].visits == pytest.approx(0.625)
    assert cap.services["e"].visits == pytest.approx(2.125)
    # X = V * 40/s
    assert cap.services["e"].rps == pytest.approx(85.0)
    assert cap.services["e"].utilization == pytest.approx(85 * 0.004 / 16)
    assert cap.services["d"].utilization == pytest.approx(25 * 0.005 / 16)
    # async gw holds a worker only for its own work
    assert cap.services["gw"].hold_ms == pytest.approx(1.0)
    # threads d: 5 + 4 = 9 ms
    assert cap.services["d"].hold_ms == pytest.approx(9.0)
    assert cap.bottleneck == "e"


def test_cycle_with_probability_is_a_geometric_series():
    # a -> b always, b -> a with probability 0.5: V_a = 1 + 0.5 V_b, V_b = V_a -> V_a = 2
    s = build(
        [
            {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]},
            {"name": "b", "serviceTime": "1ms", "calls": [{"to": "a", "probability": 0.5}]},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": 10}],
        simulation={"maxDepth": 200},
    )
    cap = capacity(s)
    assert cap.services["a"].visits == pytest.approx(2.0, rel=1e-9)
    assert cap.services["b"].visits == pytest.approx(2.0, rel=1e-9)
    # hold: T_a = 1 + T_b, T_b = 1 + 0.5 T_a -> T_a = 4 ms
    assert cap.services["a"].hold_ms == pytest.approx(4.0, rel=1e-9)


def test_overload_warning_names_the_factor():
    s = build(
        [{"name": "a", "serviceTime": "100ms", "replicas": 1, "concurrency": 2}],
        entrypoints=[{"name": "web", "service": "a", "rate": 68}],
    )
    # rho = 68 * 0.1 / 2 = 3.4
    assert overload_warnings(s) == ["capacity: a is offered 3.40× what it can serve"]
    assert capacity(s).max_rate_multiplier == pytest.approx(1 / 3.4)


def test_no_warning_below_the_threshold():
    s = build(
        [{"name": "a", "serviceTime": "10ms", "concurrency": 1}],
        entrypoints=[{"name": "web", "service": "a", "rate": 89}],
    )
    assert capacity(s).services["a"].utilization == pytest.approx(0.89)
    assert overload_warnings(s) == []
    assert capacity(s).to_json()["bottleneck"] == "a"


def test_chains_of_matches_the_engines_depth_failures():
    from meshsim.rollout.capacity import chains_of
    from meshsim.sim.runner import run_scenario

    # a calls itself with probability 0.5: a request fails when its chain reaches 4 calls
    s = build(
        [{"name": "a", "serviceTime": "0.1ms", "calls": [{"to": "a", "probability": 0.5}]}],
        entrypoints=[{"name": "web", "service": "a", "rate": 400}],
        simulation={"maxDepth": 4, "duration": "10s"},
    )
    (share,) = chains_of(s, [4])
    assert share == pytest.approx(0.5**4)
    entry = run_scenario(s, phase_indexes=[0]).phases[0].entrypoints["web"]
    # binomial: n ~ 4000, p = 1/16 -> sd of the failure share ~ 0.0038; allow 4 sd
    assert 1 - entry.success_rate == pytest.approx(
        0.0625, abs=4 * (0.0625 * 0.9375 / entry.requests) ** 0.5
    )


def test_depth_needed_for_a_chain_of_forty():
    from meshsim.rollout.capacity import chains_of, depth_needed

    services = [{"name": f"s{i}", "calls": [{"to": f"s{i + 1}"}]} for i in range(40)]
    s = build([*services, {"name": "s40"}])
    assert chains_of(s, [40, 41]) == [1.0, 0.0]
    # a chain of 40 calls serves its last callee at depth 41: maxDepth 41 is enough
    assert depth_needed(s) == 41


def test_chains_of_worst_is_the_deepest_entrypoints_share():
    from meshsim.rollout.capacity import chains_of, depth_needed

    services = [{"name": f"s{i}", "calls": [{"to": f"s{i + 1}"}]} for i in range(40)]
    s = build(
        [*services, {"name": "s40"}, {"name": "leaf"}],
        entrypoints=[
            {"name": "web", "service": "leaf", "rate": 999},
            {"name": "rare", "service": "s0", "rate": 1},
        ],
    )
    # mixed by rate: 1 request in 1,000 nests 40 calls; the rare entrypoint's all do
    assert chains_of(s, [40]) == [pytest.approx(0.001)]
    assert chains_of(s, [40], worst=True) == [1.0]
    assert depth_needed(s) == 32
    assert depth_needed(s, worst=True) == 41
