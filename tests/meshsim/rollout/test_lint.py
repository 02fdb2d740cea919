"""Lint rules (SPEC §17): each with a case that fires and one that must not."""

from __future__ import annotations

import copy

import pytest

from meshsim import load_scenario
from meshsim.rollout.lint import lint
from models import Scenario
from tests.conftest import SAMPLES

CHAIN = {
    "services": [
        {"name": "a", "replicas": 1, "calls": [{"to": "b"}]},
        {"name": "b", "replicas": 1, "calls": [{"to": "c"}]},
        {"name": "c", "replicas": 1, "calls": [{"to": "d"}]},
        {"name": "d", "replicas": 1},
    ],
    "entrypoints": [{"name": "web", "service": "a", "rate": 10}],
    "mesh": {"defaults": {"retries": {"attempts": 2, "retryOn": ["5xx"]}}},
    "rollout": {"phases": [{"name": "all", "services": ["a", "b", "c", "d"]}]},
}


def scenario(**changes) -> Scenario:
    doc = copy.deepcopy(CHAIN)
    for key, value in changes.items():
        doc[key] = value
    return Scenario.model_validate(doc)


def codes(s: Scenario, code: str):
    return [f for f in lint(s) if f.code == code]


def test_amplification_27_is_a_warning_at_the_attempts_field():
    (f,) = codes(scenario(), "retry-amplification")
    assert f.severity == "warning"
    assert f.loc == ("mesh", "defaults", "retries", "attempts")
    assert "@web -> a -> b -> c -> d makes up to 27 tries at d" in f.message


def test_amplification_over_100_is_an_error():
    mesh = {"defaults": {"retries": {"attempts": 4, "retryOn": ["5xx"]}}}  # 5^3 = 125
    (f,) = codes(scenario(mesh=mesh), "retry-amplification")
    assert f.severity == "error" and "125 tries" in f.message


def test_amplification_of_9_is_fine_and_app_retries_count():
    mesh = {
        "defaults": {"retries": {"attempts": 2, "retryOn": ["5xx"]}},
        "policies": [{"host": "b", "retries": {"attempts": 0}}],
    }
    assert codes(scenario(mesh=mesh), "retry-amplification") == []  # 1 x 3 x 3 = 9
    services = copy.deepcopy(CHAIN["services"])
    services[0]["calls"][0]["retries"] = 1  # app retry: 2 x 3 x 3 = 18
    (f,) = codes(scenario(mesh=mesh, services=services), "retry-amplification")
    assert "18 tries" in f.message


def test_amplification_needs_retrying_tokens_and_meshed_clients():
    mesh = {"defaults": {"retries": {"attempts": 2, "retryOn": ["cancelled", "refused-stream"]}}}
    assert codes(scenario(mesh=mesh), "retry-amplification") == []
    rollout = {"phases": [{"name": "leaf", "services": ["d"]}]}  # only the server is meshed
    assert codes(scenario(rollout=rollout), "retry-amplification") == []


def test_timeout_inversion_across_a_hop():
    mesh = {
        "defaults": {"retries": {"attempts": 0}},
        "policies": [
            {"host": "b", "timeout": "1s"},  # a's route timeout on b
            {
                "host": "c",
                "retries": {
                    "attempts": 2,
                    "perTryTimeout": "500ms",
                    "retryOn": ["5xx"],
                    "backoff": {"base": "25ms"},
                },
            },
        ],
    }
    (f,) = codes(scenario(mesh=mesh), "timeout-inversion")
    assert f.loc == ("mesh", "policies", 0, "timeout")
    # b's worst case towards c: 3 x 500 ms + back-offs 25 ms + 50 ms
    assert "(1000 ms) is shorter than b's own retries towards c (up to 1575 ms)" in f.message
    mesh["policies"][0]["timeout"] = "2s"
    assert codes(scenario(mesh=mesh), "timeout-inversion") == []


def test_timeout_inversion_app_timeout_under_its_own_sidecar():
    services = copy.deepcopy(CHAIN["services"])
    services[2]["calls"][0]["timeout"] = "200ms"
    mesh = {
        "defaults": {"retries": {"attempts": 0}},
        "policies": [
            {"host": "d", "retries": {"attempts": 1, "perTryTimeout": "150ms", "retryOn": ["5xx"]}}
        ],
    }
    (f,) = codes(scenario(services=services, mesh=mesh), "timeout-inversion")
    assert f.loc == ("services", 2, "calls", 0, "timeout")
    assert "after 200 ms while its sidecar may still retry for 325 ms" in f.message
    services[2]["calls"][0]["timeout"] = "400ms"
    assert codes(scenario(services=services, mesh=mesh), "timeout-inversion") == []


def test_retry_exceeds_its_route_timeout():
    policy = {
        "host": "d",
        "timeout": "1s",
        "retries": {
            "attempts": 3,
            "perTryTimeout": "400ms",
            "retryOn": ["5xx"],
            "backoff": {"base": "10ms"},
        },
    }
    mesh = {"defaults": {"retries": {"attempts": 0}}, "policies": [policy]}
    (f,) = codes(scenario(mesh=mesh), "retry-exceeds-timeout")
    assert f.loc == ("mesh", "policies", 0, "retries", "attempts")
    assert "4 tries × 400 ms + back-offs = up to 1670 ms exceed the route timeout 1000 ms" in (
        f.message
    )
    assert f.fix.startswith("attempts: 1 ")  # 2 x 400 + 10 <= 1000 < 3 x 400 + 30
    policy["timeout"] = "2s"
    assert codes(scenario(mesh=mesh), "retry-exceeds-timeout") == []


def test_strict_before_callers():
    rollout = {
        "phases": [
            {
                "name": "leaf",
                "services": ["d"],
                "mtls": [{"scope": "service", "name": "d", "mode": "STRICT"}],
            },
            {"name": "rest", "services": ["a", "b", "c"]},
        ]
    }
    (f,) = codes(scenario(rollout=rollout), "strict-before-callers")
    assert f.severity == "error"
    assert f.loc == ("rollout", "phases", 0, "mtls", 0, "mode")
    assert "d is STRICT while c is not meshed" in f.message
    rollout["phases"][0]["mtls"] = []
    rollout["phases"][1]["mtls"] = [{"scope": "service", "name": "d", "mode": "STRICT"}]
    assert codes(scenario(rollout=rollout), "strict-before-callers") == []


def test_strict_entry_service_breaks_external_clients():
    rollout = {
        "phases": [
            {
                "name": "all",
                "services": ["a", "b", "c", "d"],
                "mtls": [{"scope": "mesh", "mode": "STRICT"}],
            }
        ]
    }
    (f,) = codes(scenario(rollout=rollout), "strict-before-callers")
    assert "a is STRICT while clients of entrypoint web is not meshed" in f.message


def test_retry_without_ejection():
    services = copy.deepcopy(CHAIN["services"])
    services[3]["replicas"] = 3
    (f,) = codes(scenario(services=services), "retry-without-ejection")
    assert f.loc == ("mesh", "defaults") and f.message.startswith("phase all: d ")
    mesh = {
        "defaults": {
            "retries": {"attempts": 2, "retryOn": ["5xx"]},
            "outlierDetection": {"consecutive5xxErrors": 3},
        }
    }
    assert codes(scenario(services=services, mesh=mesh), "retry-without-ejection") == []
    assert codes(scenario(), "retry-without-ejection") == []  # one replica each


def test_overload_at_the_replicas_line():
    services = copy.deepcopy(CHAIN["services"])
    # 10 req/s x 1 call each; d: 10/s x 2 s = 20 busy workers > 1 x 16
    services[3]["serviceTime"] = "2s"
    (f,) = codes(scenario(services=services), "overload")
    assert f.loc == ("services", 3, "replicas") and f.severity == "error"
    assert "d is offered 1.25× what it can serve" in f.message
    assert f.fix.startswith("replicas: 3 ")  # 20 / 16 / 0.6 = 2.08
    services[3]["serviceTime"] = "1s"  # 10 busy of 16
    assert codes(scenario(services=services), "overload") == []


def test_retry_storm_sample_story():
    findings = lint(load_scenario(SAMPLES / "retry-storm.yaml"))
    (amp,) = [f for f in findings if f.code == "retry-amplification"]
    assert amp.message.startswith("phase mesh-all: ") and "27 tries at inventory" in amp.message
    assert not [f for f in findings if "phase cure" in f.message]
    assert {f.code for f in findings} == {"retry-amplification", "retry-without-ejection"}


@pytest.mark.parametrize("name", ["bookinfo", "online-boutique"])
def test_other_samples_have_no_errors(name):
    assert [f for f in lint(load_scenario(SAMPLES / f"{name}.yaml")) if f.severity == "error"] == []


def test_linkerd_retries_only_where_a_policy_sets_them():
    mesh = {"profile": "linkerd", "defaults": {"retries": {"attempts": 2, "retryOn": ["5xx"]}}}
    assert codes(scenario(mesh=mesh), "retry-amplification") == []
    mesh["policies"] = [
        {"host": h, "retries": {"attempts": 2, "retryOn": ["5xx"]}} for h in ("b", "c", "d")
    ]
    (f,) = codes(scenario(mesh=mesh), "retry-amplification")
    # the first hop with the largest factor: a -> b, under the policy for b
    assert "27 tries" in f.message and f.loc == ("mesh", "policies", 0, "retries", "attempts")


def test_ambient_policy_needs_a_waypoint():
    mesh = {"profile": "istio-ambient", "defaults": CHAIN["mesh"]["defaults"]}
    assert codes(scenario(mesh=mesh), "retry-amplification") == []
    rollout = {
        "phases": [{"name": "all", "services": ["a", "b", "c", "d"], "waypoints": ["b", "c", "d"]}]
    }
    (f,) = codes(scenario(mesh=mesh, rollout=rollout), "retry-amplification")
    assert "27 tries" in f.message
