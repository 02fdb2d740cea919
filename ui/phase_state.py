"""What the rollout plan says about one phase: who is meshed, which mTLS mode applies.

This is the static reading of SPEC §7.1 and §10.8 that the graph needs to draw a
phase before (or without) a run: after a run the measured edge results take over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Scenario, phase_services

MTLS = "mtls"
PLAINTEXT = "plaintext"
BROKEN = "broken"


@dataclass(frozen=True)
class PhaseState:
    """The cumulative state after phase ``index`` (0 is the baseline)."""

    index: int
    name: str
    meshed: frozenset[str]
    onboarded: frozenset[str]
    gateway_meshed: bool
    strict: frozenset[str] = field(default_factory=frozenset)

    def client_meshed(self, client: str) -> bool:
        """Whether a client is meshed: a service, ``@gateway`` or ``@external``."""
        if client == "@gateway":
            return self.gateway_meshed
        return client in self.meshed

    def edge_kind(self, client: str, server: str) -> str:
        """mtls, plaintext or broken (a plaintext client refused by a STRICT server)."""
        meshed = self.client_meshed(client)
        if server in self.meshed and meshed:
            return MTLS
        if server in self.strict and server in self.meshed and not meshed:
            return BROKEN
        return PLAINTEXT


def phase_names(scenario: Scenario) -> list[str]:
    """``baseline`` followed by the rollout's phases."""
    return ["baseline"] + [p.name for p in scenario.rollout.phases]


def phase_state(scenario: Scenario, index: int) -> PhaseState:
    """The state after phase ``index`` of ``scenario.rollout`` (0: baseline)."""
    phases = scenario.rollout.phases[:index]
    meshed: set[str] = set()
    onboarded: set[str] = set()
    rules: dict[tuple[str, str | None], str] = {}
    for number, phase in enumerate(phases, start=1):
        names = set(phase_services(phase, scenario.services))
        meshed |= names
        if number == index:
            onboarded = names
        for rule in phase.mtls:
            rules[(rule.scope, rule.name)] = rule.mode
    strict = {
        s.name
        for s in scenario.services
        if rules.get(
            ("service", s.name),
            rules.get(("namespace", s.namespace), rules.get(("mesh", None), "PERMISSIVE")),
        )
        == "STRICT"
    }
    return PhaseState(
        index=index,
        name=phase_names(scenario)[index],
        meshed=frozenset(meshed),
        onboarded=frozenset(onboarded),
        gateway_meshed=index >= _gateway_phase(scenario),
        strict=frozenset(strict),
    )


def _gateway_phase(scenario: Scenario) -> int:
    phases = scenario.rollout.phases
    if not phases:
        return 1
    if all(p.gateway is None for p in phases):
        return 1
    for number, phase in enumerate(phases, start=1):
        if phase.gateway:
            return number
    return len(phases) + 1
