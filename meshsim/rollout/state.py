"""What a phase of the rollout puts in force, computed once for every reader.

Phases are cumulative (SPEC §7.1): the state after phase k is what phases 1..k put in
force. This module is the only place that applies the rules — cumulative meshing, the
mTLS precedence service > namespace > mesh (SPEC §10.8), the gateway rule (meshed from
phase 1 unless some phase says when) and the merged policy per host
(``mesh.defaults`` ← ``mesh.policies`` ← phases 1..k, field by field). The compiler,
the Istio export, the app and the planning code read :class:`PhaseState`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from meshsim.errors import SimulationError
from models import Phase, Scenario, merge_policy, phase_services
from models.mesh import Policy

__all__ = [
    "BROKEN",
    "MTLS",
    "PLAINTEXT",
    "PhaseState",
    "join_phases",
    "phase_names",
    "phase_state",
    "phase_states",
    "resolve_phase",
]

MTLS = "mtls"
PLAINTEXT = "plaintext"
BROKEN = "broken"

MtlsKey = tuple[str, str | None]


@dataclass(frozen=True, eq=False)
class PhaseState:
    """The cumulative state after phase ``index`` (0 is the baseline), keyed by name.

    Attributes
    ----------
    index, name : int, str
        Position (0 = baseline) and name of the phase.
    meshed : frozenset of str
        Services with a proxy (sidecar, or ztunnel under ambient).
    onboarded : tuple of str
        Services this phase meshes, in document order (empty for the baseline).
    strict : frozenset of str
        Meshed services whose effective PeerAuthentication mode is STRICT.
    waypoints : frozenset of str
        Services with an ambient waypoint.
    gateway_meshed : bool
        Whether the ingress gateway runs a mesh proxy.
    mtls_rules : Mapping
        (scope, name) → mode of every PeerAuthentication in force, in first-set order.
    policies : Mapping
        Service → merged policy (defaults ← ``mesh.policies`` ← phases 1..k); empty
        for the baseline, where no proxy applies any.
    policy_hosts : tuple of str
        Hosts that carry an explicit policy (all services once ``mesh.defaults`` is
        customised): those the Istio export writes routes and rules for.
    partial : Mapping
        Service → which of its replicas have a proxy, for services only some of whose
        replicas are meshed (a canary, or a cluster onboarded on its own; SPEC §20).
    canary : Mapping
        Service → canary share in force (services not meshed whole yet).
    partly_onboarded : tuple of str
        Services that get proxies on more replicas in this phase without being listed
        (a canary share, an onboarded cluster).
    authz : Mapping
        Service → callers its AuthorizationPolicy allows (``@gateway`` for the gateway).
    authz_deny_default : bool
        A mesh-wide deny-by-default is in force: a meshed service without an allow list
        refuses every caller.
    clusters : frozenset of str
        Clusters whose every replica is meshed.
    """

    index: int
    name: str
    meshed: frozenset[str]
    onboarded: tuple[str, ...]
    strict: frozenset[str]
    waypoints: frozenset[str]
    gateway_meshed: bool
    mtls_rules: Mapping[MtlsKey, str]
    policies: Mapping[str, Policy]
    policy_hosts: tuple[str, ...]
    partial: Mapping[str, tuple[bool, ...]] = field(default_factory=lambda: MappingProxyType({}))
    canary: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    partly_onboarded: tuple[str, ...] = ()
    authz: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    authz_deny_default: bool = False
    clusters: frozenset[str] = frozenset()

    def replica_meshed(self, service: str, replicas: int) -> tuple[bool, ...]:
        """Which replicas of ``service`` (it has ``replicas``) run a proxy."""
        if service in self.partial:
            return self.partial[service]
        return (service in self.meshed,) * replicas

    def allowed(self, client: str, server: str) -> bool:
        """Whether the AuthorizationPolicy of a meshed ``server`` lets ``client`` in.

        A plaintext client carries no identity: any allow list refuses it (SPEC §20).
        ``client`` is a service, ``@gateway`` or ``@external``.
        """
        allow = self.authz.get(server)
        if allow is None and not self.authz_deny_default:
            return True
        if not self.client_meshed(client):
            return False
        return allow is not None and client in allow

    def client_meshed(self, client: str) -> bool:
        """Whether a client is meshed: a service, ``@gateway`` or ``@external``."""
        if client == "@gateway":
            return self.gateway_meshed
        return client in self.meshed

    def edge_kind(self, client: str, server: str) -> str:
        """``mtls``, ``plaintext`` or ``broken`` (plaintext client refused by STRICT).

        Examples
        --------
        >>> from models import Scenario
        >>> s = Scenario.model_validate({
        ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
        ...     "entrypoints": [{"name": "web", "service": "a", "rate": "10/s"}],
        ...     "rollout": {"phases": [{"name": "p1", "services": ["b"],
        ...         "mtls": [{"scope": "service", "name": "b", "mode": "STRICT"}]}]}})
        >>> phase_state(s, 1).edge_kind("a", "b")
        'broken'
        """
        client_meshed = self.client_meshed(client)
        if server in self.meshed and client_meshed:
            return MTLS
        if server in self.strict and not client_meshed:
            return BROKEN
        return PLAINTEXT


def phase_names(scenario: Scenario) -> list[str]:
    """``baseline`` followed by the rollout's phases."""
    return ["baseline", *(p.name for p in scenario.rollout.phases)]


def phase_states(
    scenario: Scenario, phases: Sequence[Phase] | None = None
) -> tuple[PhaseState, ...]:
    """The baseline and the cumulative state after each phase 1..K.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    phases : sequence of Phase, optional
        The phases to apply (another ordering's); default ``scenario.rollout.phases``.
    """
    phases = list(scenario.rollout.phases if phases is None else phases)
    mentions_gateway = any(p.gateway is not None for p in phases)
    meshed: set[str] = set()
    waypoints: set[str] = set()
    rules: dict[MtlsKey, str] = {}
    gateway = False
    beyond = _Beyond(scenario)
    states = [_state(scenario, 0, "baseline", set(), (), {}, set(), False, [])]
    for k, phase in enumerate(phases, start=1):
        onboarded = tuple(phase_services(phase, scenario.services))
        meshed.update(onboarded)
        waypoints.update(phase.waypoints)
        for rule in phase.mtls:
            rules[(rule.scope, rule.name)] = rule.mode
        gateway = gateway or bool(phase.gateway) or (k == 1 and not mentions_gateway)
        applied = phases[:k]
        state = _state(
            scenario, k, phase.name, meshed, onboarded, rules, waypoints, gateway, applied
        )
        states.append(beyond.apply(state, phase, meshed))
    return tuple(states)


class _Beyond:
    """Canaries, onboarded clusters and AuthorizationPolicy across phases (SPEC §20)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.canary: dict[str, float] = {}
        self.clusters: set[str] = set()
        self.authz: dict[str, tuple[str, ...]] = {}
        self.deny = False
        self.before: dict[str, tuple[bool, ...]] = {}

    def apply(self, state: PhaseState, phase: Phase, meshed: set[str]) -> PhaseState:
        used = phase.canary or phase.clusters or phase.authz
        if not (used or self.canary or self.clusters or self.authz or self.deny):
            return state  # a scenario without SPEC §20 features: the state as before
        self.canary.update(phase.canary)
        self.clusters.update(phase.clusters)
        for rule in phase.authz:
            if rule.scope == "mesh":
                self.deny = rule.default == "deny"
            else:
                assert rule.service is not None and rule.allow is not None
                self.authz[rule.service] = tuple(rule.allow)
        partial: dict[str, tuple[bool, ...]] = {}
        full: set[str] = set()
        grown: list[str] = []
        for service in self.scenario.services:
            name = service.name
            if name in meshed:
                continue
            count = math.ceil(self.canary.get(name, 0.0) * service.replicas - 1e-9)
            flags = tuple(
                i < count or cluster in self.clusters
                for i, cluster in enumerate(service.replica_clusters())
            )
            if all(flags):
                full.add(name)
            elif any(flags):
                partial[name] = flags
            if any(flags) and flags != self.before.get(name):
                grown.append(name)
            self.before[name] = flags
        meshed.update(full)  # a service whose every replica got a proxy is meshed whole
        strict = set(state.strict)
        mode = state.mtls_rules.get(("mesh", None), "PERMISSIVE")
        for service in self.scenario.services:
            if service.name in partial or service.name in full:
                key = state.mtls_rules.get(("namespace", service.namespace), mode)
                if state.mtls_rules.get(("service", service.name), key) == "STRICT":
                    strict.add(service.name)
        return replace(
            state,
            meshed=frozenset(meshed),
            strict=frozenset(strict),
            partial=MappingProxyType(partial),
            canary=MappingProxyType({s: v for s, v in self.canary.items() if s not in meshed}),
            partly_onboarded=tuple(grown),
            authz=MappingProxyType(dict(self.authz)),
            authz_deny_default=self.deny,
            clusters=frozenset(self.clusters),
        )


def join_phases(scenario: Scenario, phases: Sequence[Phase] | None = None) -> dict[str, int]:
    """Phase number (1..K) in which each service joins the mesh; unmeshed ones are absent.

    Examples
    --------
    >>> from models import Scenario
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": "10/s"}],
    ...     "rollout": {"phases": [{"name": "p1", "services": ["b"]}]}})
    >>> join_phases(s)
    {'b': 1}
    """
    joined: dict[str, int] = {}
    for state in phase_states(scenario, phases):
        for name in state.onboarded:
            joined.setdefault(name, state.index)
    return joined


def phase_state(scenario: Scenario, index: int) -> PhaseState:
    """The state after phase ``index`` of ``scenario.rollout`` (0: baseline)."""
    return phase_states(scenario, scenario.rollout.phases[:index])[index]


def _state(
    scenario: Scenario,
    index: int,
    name: str,
    meshed: set[str],
    onboarded: tuple[str, ...],
    rules: dict[MtlsKey, str],
    waypoints: set[str],
    gateway: bool,
    applied: Sequence[Phase],
) -> PhaseState:
    mesh_mode = rules.get(("mesh", None), "PERMISSIVE")
    strict = {
        s.name
        for s in scenario.services
        if s.name in meshed
        and rules.get(("service", s.name), rules.get(("namespace", s.namespace), mesh_mode))
        == "STRICT"
    }
    # nothing is in force while nothing is meshed: the baseline has no policies
    policies, hosts = _policies(scenario, applied) if index else ({}, ())
    return PhaseState(
        index=index,
        name=name,
        meshed=frozenset(meshed),
        onboarded=onboarded,
        strict=frozenset(strict),
        waypoints=frozenset(waypoints),
        gateway_meshed=gateway,
        mtls_rules=MappingProxyType(dict(rules)),
        policies=MappingProxyType(policies),
        policy_hosts=hosts,
    )


def _policies(
    scenario: Scenario, applied: Sequence[Phase]
) -> tuple[dict[str, Policy], tuple[str, ...]]:
    layers = list(scenario.mesh.policies)
    for phase in applied:
        layers.extend(phase.policies)
    explicit = {p.host for p in layers}
    customised = bool(scenario.mesh.defaults.model_fields_set)
    policies: dict[str, Policy] = {}
    for service in scenario.services:
        policy = scenario.mesh.defaults
        for layer in layers:
            if layer.host == service.name:
                policy = merge_policy(policy, layer)
        policies[service.name] = policy  # type: ignore[assignment]
    hosts = tuple(s.name for s in scenario.services if customised or s.name in explicit)
    return policies, hosts


def resolve_phase(scenario: Scenario, phase: int | str | None) -> int:
    """Index (0 = baseline) of a phase of ``rollout.phases`` given by name or index.

    ``None`` is the last phase (the baseline when there are no phases).

    Raises
    ------
    SimulationError
        For an unknown name or an index out of range.
    """
    phases = scenario.rollout.phases
    if phase is None:
        return len(phases)
    names = phase_names(scenario)
    if isinstance(phase, str) and phase in names:
        return names.index(phase)
    if isinstance(phase, int) or (isinstance(phase, str) and phase.isdigit()):
        index = int(phase)
        if 0 <= index < len(names):
            return index
        raise SimulationError(f"phase index {index} is out of range 0..{len(phases)}")
    raise SimulationError(f"unknown phase {phase!r}; known: {', '.join(names)}")
