"""Absurd numbers are refused at validation, naming the field and quoting the value."""

from __future__ import annotations

import copy

import pytest

from meshsim.errors import ScenarioError
from meshsim.files.scenario import parse_scenario
from models import limits

BASE = {
    "services": [
        {"name": "a", "calls": [{"to": "b"}]},
        {"name": "b"},
    ],
    "entrypoints": [{"name": "web", "service": "a", "rate": "10/s"}],
    "mesh": {"policies": [{"host": "b", "retries": {"attempts": 2}}]},
    "rollout": {"phases": [{"name": "all", "services": ["a", "b"]}]},
    "faults": [{"service": "b", "type": "outage", "start": "1s", "duration": "1s"}],
    "simulation": {"duration": "10s", "warmup": "1s", "replications": 2},
}


def _with(path: tuple, value):
    doc = copy.deepcopy(BASE)
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


def _yaml(doc) -> str:
    import json

    return json.dumps(doc)


CASES = [
    (("services", 0, "replicas"), 1_000_000_000, "services[0].replicas"),
    (("services", 0, "concurrency"), 10**9, "services[0].concurrency"),
    (("services", 0, "queueLimit"), 10**12, "services[0].queueLimit"),
    (("entrypoints", 0, "rate"), "5e9/s", "entrypoints[0].rate"),
    (("simulation", "duration"), "9000000s", "simulation.duration"),
    (("simulation", "replications"), 100_000, "simulation.replications"),
    (("services", 0, "calls", 0, "count"), 10**6, "calls[0].count"),
    (("services", 0, "calls", 0, "retries"), 10**6, "calls[0].retries"),
    (
        ("mesh", "policies", 0, "retries", "attempts"),
        10**6,
        "mesh.policies[0].retries.attempts",
    ),
    (("faults", 0, "replicas"), 10**9, "faults[0].replicas"),
    (("faults", 0, "duration"), "100000000s", "faults[0].duration"),
    (("simulation", "maxDepth"), 10**6, "simulation.maxDepth"),
    (("mesh", "nodes"), 10**9, "mesh.nodes"),
]


@pytest.mark.parametrize(("path", "bad", "where"), CASES, ids=[c[2] for c in CASES])
def test_absurd_values_are_refused_naming_the_field_and_the_value(path, bad, where):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_yaml(_with(path, bad)), "s.json")
    text = str(caught.value)
    assert where in text
    assert str(bad) in text
    assert "at most" in text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", 0, "replicas"), limits.MAX_REPLICAS),
        (("services", 0, "concurrency"), limits.MAX_CONCURRENCY),
        (("entrypoints", 0, "rate"), "1000000/s"),
        (("simulation", "duration"), "604800s"),
        (("simulation", "replications"), limits.MAX_REPLICATIONS),
    ],
)
def test_the_limits_themselves_are_valid(path, value):
    parse_scenario(_yaml(_with(path, value)), "s.json")


def test_limits_are_documented():
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for name in (
        "replicas",
        "concurrency",
        "queueLimit",
        "rate",
        "simulation.replications",
        "count",
    ):
        assert f"`{name}`" in doc
    assert "10,000" in doc and "1,000,000" in doc
