"""Compile a validated scenario into plain per-phase plans the engine reads fast.

Nothing here touches SimPy; the engine never touches pydantic in its hot loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from meshsim.rollout.state import PhaseState, phase_states
from meshsim.sim.outcomes import Outcome, retry_mask
from models import ParallelGroup, Phase, Policy, RatioBudget, RetryBudget, Scenario
from models.beyond import GATEWAY_IDENTITY

__all__ = [
    "CallSpec",
    "OutlierRT",
    "PhasePlan",
    "PolicyRT",
    "RatioBudgetRT",
    "Script",
    "ScriptStep",
    "compile_phases",
    "script_of",
]


class OutlierRT(NamedTuple):
    """Outlier detection of one destination (seconds)."""

    consecutive_5xx: int
    interval_s: float
    base_ejection_s: float
    max_ejection_percent: float
    always_eject_one_host: bool


class RatioBudgetRT(NamedTuple):
    """Linkerd's retry budget (tower ``TpsBudget``)."""

    ratio: float
    min_per_second: int
    ttl_s: float


class CallSpec(NamedTuple):
    """One call of a service's script, as the engine reads it (seconds)."""

    target: int
    times: int  # the call's ``count``: made this many times in a row
    probability: float
    optional: bool
    timeout_s: float | None  # application-level timeout of each try
    retries: int  # application-level retries
    backoff_s: float  # application-level pause between its tries


class ScriptStep(NamedTuple):
    """One step of a script: a single call, or a parallel group of calls."""

    parallel: bool
    calls: tuple[CallSpec, ...]  # exactly one call when not parallel


Script = tuple[ScriptStep, ...]


@dataclass(frozen=True, slots=True)
class PolicyRT:
    """A merged mesh policy for one destination, as plain numbers (seconds)."""

    route_timeout: float | None
    attempts: int
    per_try_timeout: float | None
    retry_on: frozenset[Outcome]
    backoff_base: float
    backoff_max: float
    backoff_doc: bool
    budget_percent: float | None
    budget_min: int
    max_retries: int | None
    max_requests: int | None  # active requests (tcp: connections); one more overflows at once
    max_connections: int | None  # HTTP/1.1 only: one request each, others wait for one
    max_pending: int | None  # HTTP/1.1 only: requests waiting for a connection
    outlier: OutlierRT | None
    ratio_budget: RatioBudgetRT | None = None
    linkerd: bool = False  # replica choice: peak-EWMA p2c over two different ready replicas


@dataclass
class PhasePlan:
    """What is true in one phase: who is meshed, STRICT, has a waypoint, which policy applies."""

    index: int
    name: str
    meshed: list[bool]
    onboarded: list[int]
    strict: list[bool]
    waypoint: list[bool]
    gateway_meshed: bool
    policies: list[PolicyRT | None] = field(default_factory=list)
    # SPEC §20, None when the phase uses none of it: per service, which replicas have a
    # proxy (None: all or none, as ``meshed`` says) ...
    replica_meshed: list[tuple[bool, ...] | None] | None = None
    # ... and per server, the client ids its AuthorizationPolicy allows (None: no policy)
    authz: list[frozenset[int] | None] | None = None
    canary: dict[str, float] = field(default_factory=dict)

    def fingerprint(self) -> tuple[object, ...]:
        """Everything that decides what a simulation of this phase records.

        Which services the phase onboards is not part of it: exposure is computed from
        the recorded call trees afterwards, so equal mesh states share one simulation.
        """
        return (
            tuple(self.meshed),
            tuple(self.strict),
            tuple(self.waypoint),
            self.gateway_meshed,
            tuple(self.policies),
        ) + (
            ()
            if self.replica_meshed is None and self.authz is None
            else (tuple(self.replica_meshed or ()), tuple(self.authz or ()))
        )

    def smeshed(self, server: int, replica: int) -> bool:
        """Whether ``replica`` of ``server`` runs a proxy in this phase."""
        if self.replica_meshed is not None:
            flags = self.replica_meshed[server]
            if flags is not None:
                return flags[replica]
        return self.meshed[server]


def _policy_rt(policy: Policy, protocol: str, default_mode: str, linkerd: bool) -> PolicyRT:
    """The plain numbers of a merged policy toward a server speaking ``protocol``.

    A ``tcp`` server gets no HTTP policy (Istio builds a tcp_proxy: no route, so no
    timeouts or retries). Under Linkerd nothing is retried unless a policy layer wrote
    ``retries`` (merge_policy keeps the written fields in ``model_fields_set``).
    """
    tcp = protocol == "tcp"
    retries = policy.retries
    if tcp or (linkerd and "retries" not in policy.model_fields_set):
        retries = None
    pool = policy.connection_pool
    od = policy.outlier_detection
    backoff = retries.backoff if retries else None
    mode = (backoff.mode if backoff and backoff.mode else default_mode) if backoff else default_mode
    budget = retries.budget if retries else None
    envoy_budget = budget if isinstance(budget, RetryBudget) else None
    http1 = protocol == "http"
    return PolicyRT(
        route_timeout=None if tcp else policy.timeout,
        attempts=retries.attempts if retries else 0,
        per_try_timeout=retries.per_try_timeout if retries else None,
        retry_on=retry_mask(retries.retry_on, retries.retriable_status_codes, protocol == "grpc")
        if retries
        else frozenset(),
        backoff_base=backoff.base if backoff else 0.025,
        backoff_max=backoff.max if backoff else 0.25,
        backoff_doc=mode == "envoy-doc",
        budget_percent=envoy_budget.percent if envoy_budget else None,
        budget_min=envoy_budget.min_retry_concurrency if envoy_budget else 0,
        max_retries=pool.max_retries,
        max_requests=pool.max_connections if tcp else pool.max_requests,
        max_connections=pool.max_connections if http1 else None,
        max_pending=pool.max_pending_requests if http1 else None,
        outlier=OutlierRT(
            od.consecutive_5xx_errors,
            od.interval,
            od.base_ejection_time,
            od.max_ejection_percent,
            od.always_eject_one_host,
        )
        if od
        else None,
        ratio_budget=RatioBudgetRT(budget.ratio, budget.min_per_second, budget.ttl)
        if isinstance(budget, RatioBudget)
        else None,
        linkerd=linkerd,
    )


def compile_phases(scenario: Scenario, phases: list[Phase] | None = None) -> list[PhasePlan]:
    """Plans for the baseline (index 0) and each cumulative phase 1..K (SPEC §7.1).

    The rules of a phase come from :func:`meshsim.rollout.state.phase_states`; this
    only turns them into index-based plain values.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    phases : list of Phase, optional
        The phases to apply; default ``scenario.rollout.phases``.
    """
    names = [s.name for s in scenario.services]
    index = {n: i for i, n in enumerate(names)}
    protocol = [s.protocol for s in scenario.services]
    ambient = scenario.mesh.profile == "istio-ambient"
    linkerd = scenario.mesh.profile == "linkerd"
    default_mode = scenario.simulation.backoff_mode
    plans = []
    for state in phase_states(scenario, phases):
        policies: list[PolicyRT | None] = [
            None
            if state.index == 0 or (ambient and name not in state.waypoints)
            else _policy_rt(state.policies[name], protocol[i], default_mode, linkerd)
            for i, name in enumerate(names)
        ]
        plan = PhasePlan(
            state.index,
            state.name,
            [n in state.meshed for n in names],
            [index[n] for n in (*state.onboarded, *state.partly_onboarded)],
            [n in state.strict for n in names],
            [n in state.waypoints for n in names],
            state.gateway_meshed,
            policies,
        )
        if state.partial:
            plan.replica_meshed = [state.partial.get(n) for n in names]
        if state.authz or state.authz_deny_default:
            plan.authz = _authz(scenario, state, index)
        plan.canary = dict(state.canary)
        plans.append(plan)
    return plans


def _authz(scenario: Scenario, state: PhaseState, index: dict[str, int]) -> list:
    """Per server, the client ids its AuthorizationPolicy allows; None: no policy."""
    n = len(scenario.services)
    gateways = [n + i for i, e in enumerate(scenario.entrypoints) if e.client == "gateway"]
    out: list[frozenset[int] | None] = []
    for name in index:
        allow = state.authz.get(name)
        if allow is None:
            out.append(frozenset() if state.authz_deny_default else None)
            continue
        ids = [index[c] for c in allow if c in index]
        if GATEWAY_IDENTITY in allow:
            ids.extend(gateways)
        out.append(frozenset(ids))
    return out


def script_of(scenario: Scenario, name_index: dict[str, int]) -> list[Script]:
    """Each service's call script as :class:`ScriptStep` records of plain values."""
    scripts: list[Script] = []
    for service in scenario.services:
        steps = []
        for item in service.calls:
            parallel = isinstance(item, ParallelGroup)
            calls = item.parallel if isinstance(item, ParallelGroup) else [item]
            compiled = tuple(
                CallSpec(
                    name_index[c.to],
                    c.count,
                    c.probability,
                    c.optional,
                    c.timeout,
                    c.retries,
                    c.retry_backoff,
                )
                for c in calls
            )
            steps.append(ScriptStep(parallel, compiled))
        scripts.append(tuple(steps))
    return scripts
