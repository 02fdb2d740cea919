"""Shared fixtures: a tiny scenario builder and the path of the test data (tests/data)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# No per-example deadline (a loaded 2-core CI machine is slow); on CI the examples are
# derandomized so a run can be repeated exactly, locally they keep exploring.
settings.register_profile("meshsim", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("meshsim")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
TEST_DATA = ROOT / "tests" / "data"
"""Real files the importer and app tests read, with their origins in SOURCES.md."""


def build(services: list[dict[str, Any]], **top: Any):
    """A validated Scenario from a few dicts; simulation defaults are short and seeded."""
    from models import Scenario

    doc: dict[str, Any] = {
        "metadata": {"name": "test"},
        "services": copy.deepcopy(services),
        "entrypoints": top.pop(
            "entrypoints", [{"name": "web", "service": services[0]["name"], "rate": "10/s"}]
        ),
        "simulation": {
            "duration": "20s",
            "warmup": "0s",
            "seed": 7,
            "replications": 1,
            **top.pop("simulation", {}),
        },
    }
    doc.update(top)
    return Scenario.model_validate(doc)


@pytest.fixture
def tiny():
    """A two-service scenario: web -> a -> b."""
    return build(
        [
            {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]},
            {"name": "b", "serviceTime": "2ms"},
        ],
        rollout={"phases": [{"name": "all", "services": ["a", "b"]}]},
    )


@pytest.fixture
def simulations(monkeypatch):
    """(phase fingerprint, replication) of every simulation the runner starts (serial runs)."""
    import meshsim.sim.runner

    calls: list[tuple] = []
    real = meshsim.sim.runner.simulate

    def counted(model, plan, replication, *args, **kwargs):
        calls.append((plan.fingerprint(), replication))
        return real(model, plan, replication, *args, **kwargs)

    monkeypatch.setattr(meshsim.sim.runner, "simulate", counted)
    return calls
