from __future__ import annotations

import pytest
from pydantic import ValidationError

from models import Policy, Scenario, merge_policy


def doc(**over):
    base = {
        "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
        "entrypoints": [{"name": "web", "service": "a", "rate": "10/s"}],
    }
    base.update(over)
    return base


def errors(data):
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    return str(info.value)


def test_defaults_follow_the_spec():
    s = Scenario.model_validate(doc())
    a = s.services[0]
    assert (a.namespace, a.replicas, a.concurrency, a.concurrency_model) == (
        "default",
        1,
        16,
        "threads",
    )
    assert a.queue_limit is None and a.service_time.mean == 0.001 and a.error_rate == 0
    assert s.mesh.profile == "istio-sidecar"
    r = s.mesh.defaults.retries
    assert r.attempts == 2 and r.retry_on == [
        "connect-failure",
        "refused-stream",
        "unavailable",
        "cancelled",
    ]
    assert (r.backoff.base, r.backoff.max) == (0.025, 0.25)
    assert s.mesh.defaults.timeout is None and s.mesh.defaults.outlier_detection is None
    sim = s.simulation
    assert (sim.duration, sim.warmup, sim.seed, sim.replications, sim.max_depth) == (
        60.0,
        5.0,
        1,
        3,
        32,
    )
    assert s.entrypoints[0].client == "external" and s.entrypoints[0].arrival == "poisson"


def test_unknown_keys_are_errors():
    assert "extra" in errors(doc(services=[{"name": "a", "replica": 2}]))


def test_cross_field_rules():
    assert "unknown service 'zz'" in errors(doc(services=[{"name": "a", "calls": [{"to": "zz"}]}]))
    dup = doc(services=[{"name": "a"}, {"name": "a"}])
    assert "duplicate service name 'a'" in errors(dup)
    cycle = doc(
        services=[{"name": "a", "calls": [{"to": "b"}]}, {"name": "b", "calls": [{"to": "a"}]}]
    )
    assert "cycle of certain calls" in errors(cycle)
    ok_cycle = doc(
        services=[
            {"name": "a", "calls": [{"to": "b"}]},
            {"name": "b", "calls": [{"to": "a", "probability": 0.1}]},
        ]
    )
    Scenario.model_validate(ok_cycle)
    twice = doc(
        rollout={"phases": [{"name": "p1", "services": ["a"]}, {"name": "p2", "services": ["a"]}]}
    )
    assert "already meshed in phase 'p1'" in errors(twice)
    assert "not a DNS-1123" in errors(doc(services=[{"name": "Bad_Name"}]))
    assert "apiVersion" in errors(doc(apiVersion="meshsim/v2"))
    assert "unknown retryOn token" in errors(
        doc(mesh={"defaults": {"retries": {"retryOn": ["5xxx"]}}})
    )
    assert "custom" in errors(doc(mesh={"profile": "custom"}))
    assert "waypoints need" in errors(doc(rollout={"phases": [{"name": "p", "waypoints": ["a"]}]}))


def test_namespace_shorthand_counts_for_two_phases():
    data = doc(
        services=[{"name": "a", "namespace": "shop"}, {"name": "b", "namespace": "shop"}],
        entrypoints=[{"name": "web", "service": "a", "rate": 1}],
        rollout={
            "phases": [{"name": "p1", "services": ["a"]}, {"name": "p2", "namespaces": ["shop"]}]
        },
    )
    assert "already meshed" in errors(data)


def test_policy_merges_field_by_field():
    base = Policy.model_validate({"timeout": "1s", "retries": {"attempts": 1, "retryOn": ["5xx"]}})
    over = Policy.model_validate({"retries": {"perTryTimeout": "100ms"}})
    merged = merge_policy(base, over)
    assert merged.timeout == 1.0
    assert merged.retries.attempts == 1 and merged.retries.retry_on == ["5xx"]
    assert merged.retries.per_try_timeout == 0.1


def test_round_trip_without_loss():
    data = doc(
        mesh={"policies": [{"host": "b", "timeout": "2s", "retries": {"attempts": 3}}]},
        faults=[{"service": "b", "type": "latency", "delay": "5ms", "start": "10s"}],
    )
    s = Scenario.model_validate(data)
    again = Scenario.model_validate(s.model_dump(mode="json", by_alias=True, exclude_unset=True))
    assert again == s


def test_empty_latency_is_written_as_an_empty_mapping():
    from models.results import LatencyStats

    assert LatencyStats().model_dump(by_alias=True) == {}
    assert LatencyStats(mean=1, p50=1, p90=2, p99=3, max=4).model_dump()["p99"] == 3


def test_retry_budget_is_envoy_percent_or_linkerd_ratio():
    from models import RatioBudget, RetryBudget

    envoy = Policy.model_validate({"retries": {"budget": {"percent": 30}}}).retries.budget
    assert isinstance(envoy, RetryBudget) and envoy.min_retry_concurrency == 3
    linkerd = Policy.model_validate(
        {"retries": {"budget": {"ratio": 0.1, "minPerSecond": 5, "ttl": "20s"}}}
    ).retries.budget
    assert isinstance(linkerd, RatioBudget)
    assert (linkerd.ratio, linkerd.min_per_second, linkerd.ttl) == (0.1, 5, 20.0)
    # Linkerd's defaults are tower's TpsBudget::default(): 10 s, 10/s, 0.2
    default = RatioBudget.model_validate({})
    assert (default.ratio, default.min_per_second, default.ttl) == (0.2, 10, 10.0)
    with pytest.raises(ValidationError):  # one kind of budget, not a mix
        Policy.model_validate({"retries": {"budget": {"ratio": 0.2, "percent": 20}}})
    with pytest.raises(ValidationError, match="ttl must be between 1s and 60s"):
        Policy.model_validate({"retries": {"budget": {"ratio": 0.2, "ttl": "90s"}}})


def test_outlier_detection_always_eject_one_host_defaults_off():
    od = Policy.model_validate({"outlierDetection": {"consecutive5xxErrors": 3}}).outlier_detection
    assert od.always_eject_one_host is False and od.max_ejection_percent == 10.0
    on = Policy.model_validate({"outlierDetection": {"alwaysEjectOneHost": True}})
    assert on.outlier_detection.always_eject_one_host is True


def test_rollout_constraints_and_score_weights():
    s = Scenario.model_validate(doc())
    c = s.rollout.constraints
    assert (c.pilot_max_exposure, c.max_services_per_phase, c.first, c.last) == (0.1, None, [], [])
    assert s.rollout.score_weights == {}
    given = doc(
        rollout={
            "constraints": {"pilotMaxExposure": 0.25, "maxServicesPerPhase": 3, "first": ["b"]},
            "scoreWeights": {"endLatency": 30, "pilotExposure": 0},
        }
    )
    s = Scenario.model_validate(given)
    assert s.rollout.constraints.pilot_max_exposure == 0.25
    assert s.rollout.score_weights == {"endLatency": 30.0, "pilotExposure": 0.0}
    assert "unknown service 'zz'" in errors(doc(rollout={"constraints": {"last": ["zz"]}}))
    assert "both first and last" in errors(
        doc(rollout={"constraints": {"first": ["a"], "last": ["a"]}})
    )
    assert "unknown score term 'latency'" in errors(doc(rollout={"scoreWeights": {"latency": 1}}))
    assert "at least 0" in errors(doc(rollout={"scoreWeights": {"endErrors": -1}}))
    assert "pilotMaxExposure" in errors(doc(rollout={"constraints": {"pilotMaxExposure": 2}}))
    assert "maxServicesPerPhase" in errors(doc(rollout={"constraints": {"maxServicesPerPhase": 0}}))


def test_service_lookup_never_returns_a_stale_service():
    import copy
    import pickle

    s = Scenario.model_validate(doc())
    assert s.service("b") is s.services[1]  # builds the name index
    replaced = s.services[1].model_copy(update={"replicas": 5})
    copied = s.model_copy(update={"services": [s.services[0], replaced]})
    assert copied.service("b").replicas == 5 and s.service("b").replicas == 1
    assert s.model_copy(update={"faults": []}).service("b") is s.services[1]
    for twin in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert twin.service("b") is twin.services[1]
    with pytest.raises(KeyError):
        s.service("c")
    # the index is not part of the document: equal with or without it, same dump
    fresh = Scenario.model_validate(doc())
    assert s == fresh and fresh == s
    assert s.model_dump() == fresh.model_dump() and repr(s) == repr(fresh)
