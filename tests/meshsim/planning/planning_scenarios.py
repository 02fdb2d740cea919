"""Small scenarios shared by the planning tests (graph, strategies, compare, blast)."""

from __future__ import annotations

from typing import Any

from meshsim import parse_scenario
from models import Scenario
from models.results import PhaseResult


def scenario(data: dict[str, Any]) -> Scenario:
    """Validate a scenario given as a Python mapping."""
    return Scenario.model_validate(data)


def shop(**overrides: Any) -> Scenario:
    """web (external edge) -> api -> {db, pay (sensitive, p=0.2)}; web -> ads (optional, p=0.5).

    Fast to simulate: 1 ms service times, 3 s runs, 2 replications.
    """
    data: dict[str, Any] = {
        "metadata": {"name": "shop"},
        "services": [
            {
                "name": "web",
                "external": True,
                "calls": [{"to": "api"}, {"to": "ads", "probability": 0.5, "optional": True}],
            },
            {"name": "api", "calls": [{"to": "db"}, {"to": "pay", "probability": 0.2}]},
            {"name": "db"},
            {"name": "ads", "environment": "staging"},
            {"name": "pay", "sensitive": True},
        ],
        "entrypoints": [
            {
                "name": "users",
                "service": "web",
                "rate": "80/s",
                "client": "gateway",
                "slo": {"latencyP99": "200ms"},
            }
        ],
        "rollout": {
            "phases": [
                {"name": "leaves", "services": ["db", "ads", "pay"]},
                {
                    "name": "middle",
                    "services": ["api"],
                    "mtls": [{"scope": "service", "name": "db", "mode": "STRICT"}],
                },
                {"name": "edge", "services": ["web"], "gateway": True},
            ]
        },
        "simulation": {"duration": "3s", "warmup": "0.5s", "replications": 2, "seed": 11},
    }
    data.update(overrides)
    return scenario(data)


def wide(**overrides):
    """An edge with an external API service, a mid tier and six leaves (one staging twin)."""
    data = {
        "services": [
            {
                "name": "web",
                "calls": [
                    {"to": "orders"},
                    {"to": "search", "probability": 0.6},
                    {"to": "promo", "probability": 0.1, "optional": True},
                ],
            },
            {"name": "api", "external": True, "calls": [{"to": "orders"}]},
            {
                "name": "orders",
                "calls": [
                    {"to": "db"},
                    {"to": "card", "probability": 0.3},
                    {"to": "mail", "probability": 0.3, "optional": True},
                ],
            },
            {"name": "search", "calls": [{"to": "index"}]},
            {"name": "db"},
            {"name": "index"},
            {"name": "card", "sensitive": True},
            {"name": "mail"},
            {"name": "promo", "environment": "production"},
            {"name": "promo-next", "environment": "staging"},
        ],
        "entrypoints": [
            {"name": "shoppers", "service": "web", "rate": 90, "client": "gateway"},
            {"name": "partners", "service": "api", "rate": 10},
            {"name": "canary", "service": "promo-next", "rate": 0.5},
        ],
    }
    data.update(overrides)
    return scenario(data)


def phase_result(index, *, p99=10.0, ok=1.0, mtls=0.0, exposure=0.0, cpu=0.0, mem=0.0):
    """A phase with two entrypoints (admin has half the p99 of users) and no edges."""
    entry = {
        "requests": 100,
        "successRate": ok,
        "goodRate": ok,
        "throughputRps": 1.0,
        "sloMet": True,
        "latencyMs": {"p99": p99},
    }
    return PhaseResult.model_validate(
        {
            "index": index,
            "name": f"p{index}",
            "meshed": [],
            "onboarded": [],
            "entrypoints": {"users": entry, "admin": {**entry, "latencyMs": {"p99": p99 / 2}}},
            "services": {},
            "edges": [],
            "retryAmplification": 1.0,
            "mtlsCoverage": mtls,
            "policyCoverage": 0.0,
            "telemetryCoverage": 0.0,
            "proxies": 0,
            "proxyCpuCores": cpu,
            "proxyMemoryMiB": mem,
            "exposure": exposure,
        }
    )


SHOP_YAML = """
metadata: {name: shop}
services:
  - name: web
    external: true
    calls: [{to: api}, {to: ads, probability: 0.5, optional: true}]
  - name: api
    calls: [{to: db}, {to: pay, probability: 0.2}]
  - {name: db}
  - {name: ads, environment: staging}
  - {name: pay, sensitive: true}
entrypoints:
  - {name: users, service: web, rate: 80/s, client: gateway, slo: {latencyP99: 200ms}}
rollout:
  phases:
    - {name: leaves, services: [db, ads, pay]}
    - {name: middle, services: [api], mtls: [{scope: service, name: db, mode: STRICT}]}
    - {name: edge, services: [web], gateway: true}
simulation: {duration: 3s, warmup: 0.5s, replications: 2, seed: 11}
"""


def shop_yaml() -> Scenario:
    """The same shop, parsed from YAML (as the CLI reads it)."""
    return parse_scenario(SHOP_YAML)
