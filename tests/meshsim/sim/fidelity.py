"""Helpers of the fidelity tests: small inline YAML scenarios and exact oracles."""

from __future__ import annotations

import textwrap

from meshsim import parse_scenario, run_scenario
from models.results import PhaseResult

__all__ = ["ZERO_PROXY", "chain", "erlang_b", "per_call", "run"]

ZERO_PROXY = "profile: custom\nproxy: {latency: 0ms, cpuPer1kRps: 0.2, memoryMiB: 50}\n"
"""``mesh`` keys of a mesh whose proxies add no latency."""


def run(
    body: str,
    mesh: str = "",
    *,
    profile: str = ZERO_PROXY,
    duration: str = "60s",
    warmup: str = "0s",
    seed: int = 11,
) -> PhaseResult:
    """Run phase 1 of a scenario given as YAML.

    ``body`` holds services, entrypoints, faults and rollout; ``mesh`` the mesh keys
    after ``profile`` (the profile's lines, by default proxies without latency).
    """
    head = (
        "metadata: {name: fidelity}\n"
        f"simulation: {{duration: {duration}, warmup: {warmup}, seed: {seed}, replications: 1}}\n"
    )
    mesh_keys = textwrap.indent(textwrap.dedent(profile) + textwrap.dedent(mesh), "  ")
    scenario = parse_scenario(head + textwrap.dedent(body) + "mesh:\n" + mesh_keys)
    return run_scenario(scenario, phase_indexes=[1]).phases[0]


def chain(
    server: str,
    *,
    clients: int = 1,
    rate: str = "100/s",
    arrival: str = "constant",
    faults: str = "[]",
    phase: str = "",
    call: str = "{to: a}",
) -> str:
    """``external -> c -> a``: ``c`` is a meshed client with ``clients`` replicas that does
    no work of its own; ``server`` is service ``a`` as a YAML flow mapping without its
    name. The external entry client is unmeshed, so it spreads requests uniformly over
    c's replicas (each replica sees a Poisson share of a Poisson stream).
    """
    return (
        "services:\n"
        f"  - {{name: c, replicas: {clients}, concurrencyModel: async, concurrency: 100000,"
        f" serviceTime: 0ms, calls: [{call}]}}\n"
        f"  - {{name: a, {server}}}\n"
        f"entrypoints: [{{name: web, service: c, rate: {rate}, arrival: {arrival},"
        " client: external}]\n"
        f"faults: {faults}\n"
        f"rollout: {{phases: [{{name: all, services: [c, a]{phase}}}]}}\n"
    )


def per_call(phase: PhaseResult, name: str) -> float:
    """Attempts per logical call addressed to a service."""
    svc = phase.services[name]
    return svc.attempts / svc.calls


def erlang_b(servers: int, offered: float) -> float:
    """Blocking probability of an M/G/c/c loss system (insensitive to the service law).

    Examples
    --------
    >>> round(erlang_b(1, 1.0), 3), round(erlang_b(10, 20.0), 4)
    (0.5, 0.538)
    """
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return b
