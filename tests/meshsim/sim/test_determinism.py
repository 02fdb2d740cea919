"""Same seed, same bytes; common random numbers across phases; serial == parallel."""

from __future__ import annotations

from meshsim import RunRequest, run_many, run_scenario
from meshsim.sim.runner import JobCache
from tests.conftest import build

SERVICES = [
    {
        "name": "a",
        "serviceTime": {"dist": "exponential", "mean": "2ms"},
        "calls": [{"to": "b", "probability": 0.5}, {"parallel": [{"to": "c"}, {"to": "b"}]}],
    },
    {
        "name": "b",
        "replicas": 2,
        "serviceTime": {"dist": "lognormal", "median": "1ms", "p99": "5ms"},
        "errorRate": 0.05,
    },
    {"name": "c", "serviceTime": {"dist": "gamma", "mean": "3ms", "cv": 0.5}},
]
PHASES = {"phases": [{"name": "b", "services": ["b"]}, {"name": "rest", "services": ["a", "c"]}]}


def scenario(seed=3):
    return build(
        SERVICES, rollout=PHASES, simulation={"seed": seed, "replications": 2, "duration": "10s"}
    )


def test_same_seed_gives_identical_documents():
    one = run_scenario(scenario()).model_dump_json(by_alias=True)
    two = run_scenario(scenario()).model_dump_json(by_alias=True)
    assert one == two
    assert run_scenario(scenario(seed=4)).model_dump_json(by_alias=True) != one


def test_every_phase_sees_the_same_arrivals():
    r = run_scenario(scenario())
    assert len({p.entrypoints["web"].requests for p in r.phases}) == 1


def test_parallel_run_equals_serial_run():
    requests = [RunRequest(scenario()), RunRequest(scenario(), phase_indexes=(2,))]
    serial = run_many(requests, workers=1)
    parallel = run_many(requests, workers=2)
    assert [r.model_dump_json() for r in serial] == [r.model_dump_json() for r in parallel]
    assert serial[1].phases[0].model_dump_json() == serial[0].phases[2].model_dump_json()


def test_identical_phases_of_different_plans_are_simulated_once(simulations):
    from models import Phase

    same = (Phase(name="x", services=["b"]),)
    other = (Phase(name="y", services=["b"]), Phase(name="z", services=["c"]))
    requests = [RunRequest(scenario(), same), RunRequest(scenario(), other)]
    cache = JobCache()
    one, two = run_many(requests, cache=cache)
    # baseline and phase 1 of the second plan equal the first plan's: 2 reps x 2 phases shared
    assert len(simulations) == len(set(simulations)) == 2 * 2 + 2 == len(cache)
    assert one.phases[1].model_dump(exclude={"name"}) == two.phases[1].model_dump(exclude={"name"})
    assert [p.name for p in two.phases] == ["baseline", "y", "z"]


def test_cached_jobs_are_not_simulated_again(monkeypatch):
    import meshsim.sim.runner

    cache = JobCache()
    first = run_many([RunRequest(scenario())], cache=cache)
    assert len(cache) == 3 * 2

    def boom(*args, **kwargs):
        raise AssertionError("simulated a cached job")

    monkeypatch.setattr(meshsim.sim.runner, "simulate", boom)
    again = run_many([RunRequest(scenario())], cache=cache)
    assert again[0].model_dump_json() == first[0].model_dump_json()


def test_one_replication_of_a_run_uses_that_replications_streams():
    two = scenario()  # replications: 2
    data = two.model_dump(by_alias=True, exclude_unset=True)
    data["simulation"]["replications"] = 1
    one = type(two).model_validate(data)
    (only_first,) = run_many([RunRequest(two, replication_indexes=(0,))])
    assert only_first.replications == 1
    assert only_first.phases == run_scenario(one).phases


def test_a_run_keeps_the_collector_to_its_own_objects_and_gives_it_back(monkeypatch):
    """The heap is frozen while a phase runs, and thawed after; a caller's freeze is kept."""
    import gc

    from meshsim.sim import engine

    seen: list[int] = []
    real = engine.Simulation.run

    def run(self, *args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(engine.Simulation, "run", run)
    assert gc.get_freeze_count() == 0
    frozen_run = run_scenario(scenario()).model_dump_json(by_alias=True)
    assert seen and min(seen) > 0  # objects made before the run were out of the collector's way
    assert gc.get_freeze_count() == 0  # and back in it after
    gc.freeze()  # a caller that froze its own objects keeps them frozen
    try:
        kept = gc.get_freeze_count()
        assert run_scenario(scenario()).model_dump_json(by_alias=True) == frozen_run
        assert gc.get_freeze_count() > kept // 2  # not thawed (some died meanwhile)
    finally:
        gc.unfreeze()
