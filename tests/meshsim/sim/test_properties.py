"""Engine invariants over random scenarios (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshsim import run_scenario
from meshsim.sim.compile import compile_phases
from meshsim.sim.engine import Simulation
from meshsim.sim.model import Model
from tests.conftest import build

durations = st.sampled_from(["0ms", "1ms", "5ms", "20ms"])


@st.composite
def scenarios(draw):
    n = draw(st.integers(2, 5))
    services = []
    for i in range(n):
        calls = []
        for j in range(i + 1, n):
            if draw(st.booleans()):
                call = {
                    "to": f"s{j}",
                    "probability": draw(st.sampled_from([0.3, 1.0])),
                    "optional": draw(st.booleans()),
                }
                if draw(st.booleans()):
                    call.update(timeout="15ms", retries=draw(st.integers(0, 2)))
                calls.append(call)
        if len(calls) >= 2 and draw(st.booleans()):
            calls = [{"parallel": calls}]
        services.append(
            {
                "name": f"s{i}",
                "replicas": draw(st.integers(1, 3)),
                "concurrency": draw(st.integers(1, 4)),
                "concurrencyModel": draw(st.sampled_from(["threads", "async"])),
                "serviceTime": {"dist": "exponential", "mean": draw(durations)}
                if draw(st.booleans())
                else draw(durations),
                "errorRate": draw(st.sampled_from([0, 0.1, 0.5])),
                "queueLimit": draw(st.sampled_from([None, 0, 5])),
                "calls": calls,
            }
        )
    faults = []
    if draw(st.booleans()):
        faults.append(
            {
                "service": f"s{draw(st.integers(0, n - 1))}",
                "type": draw(st.sampled_from(["outage", "crash", "error", "latency"])),
                "start": "1s",
                "duration": "1s",
            }
        )
        if faults[0]["type"] == "error":
            faults[0]["errorRate"] = 0.5
        if faults[0]["type"] == "latency":
            faults[0]["delay"] = "30ms"
    policy = draw(
        st.sampled_from(
            [
                {},
                {"timeout": "50ms"},
                {"retries": {"attempts": 3, "perTryTimeout": "10ms", "retryOn": ["5xx"]}},
                {
                    "retries": {"attempts": 2, "retryOn": ["5xx"], "budget": {"percent": 20}},
                    "connectionPool": {"maxConnections": 2, "maxPendingRequests": 1},
                    "outlierDetection": {"consecutive5xxErrors": 2, "interval": "1s"},
                },
            ]
        )
    )
    meshed = [f"s{i}" for i in range(n) if draw(st.booleans())]
    return build(
        services,
        faults=faults,
        mesh={"defaults": policy},
        entrypoints=[
            {
                "name": "web",
                "service": "s0",
                "rate": "40/s",
                "client": draw(st.sampled_from(["external", "gateway"])),
            }
        ],
        rollout={"phases": [{"name": "p", "services": meshed}]},
        simulation={"duration": "3s", "warmup": "0.5s"},
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants(scenario):
    plans = compile_phases(scenario)
    for plan in plans:
        rec = Simulation(Model(scenario), plan, 0).run()
        # every measured request ended exactly once
        assert len(rec.entry_latency[0]) == rec.started > 0
        assert all(x >= 0 for x in rec.entry_latency[0])
        assert all(x >= 0 for lat in rec.svc_latency for x in lat)
        for calls, attempts in zip(rec.svc_calls, rec.svc_attempts, strict=True):
            assert attempts >= calls
    results = run_scenario(scenario)
    for phase in results.phases:
        e = phase.entrypoints["web"]
        assert 0.0 <= e.good_rate <= e.success_rate <= 1.0
        assert 0.0 <= phase.mtls_coverage <= 1.0 and 0.0 <= phase.exposure <= 1.0
        for svc in phase.services.values():
            assert svc.utilization <= 1.0 + 1e-9
