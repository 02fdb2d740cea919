"""What lint asks of a phase: calls with their places, and a phase's policies per call.

:class:`PhaseView` answers "which policy, how many tries, how long at worst" for a
client calling a server in one phase (SPEC §10.5 semantics). The rules of
:mod:`meshsim.rollout.lint` ask it per call hop, tens of thousands of times on a
1,000-service graph, so it works each answer out once per server and lint call.
"""

from __future__ import annotations

from typing import NamedTuple

from meshsim.rollout.policy_source import Loc, source_of, tries_tokens
from meshsim.rollout.state import PhaseState
from models import Call, Entrypoint, ParallelGroup, Scenario
from models.mesh import Policy

__all__ = ["ATTEMPTS", "Hop", "PhaseView", "call_hops", "client_of"]

ATTEMPTS = ("retries", "attempts")


def client_of(entry: Entrypoint) -> str:
    """The client an entrypoint's requests come from: ``@gateway`` or ``@external``."""
    return "@gateway" if entry.client == "gateway" else "@external"


class Hop(NamedTuple):
    """A call item of a script with where it is written (a tuple: 30,000 are cheap)."""

    caller: str
    call: Call
    loc: Loc


def call_hops(scenario: Scenario) -> dict[str, list[Hop]]:
    """Every call of every script by caller, parallel groups flattened, in script order."""
    out: dict[str, list[Hop]] = {s.name: [] for s in scenario.services}
    for i, service in enumerate(scenario.services):
        for j, item in enumerate(service.calls):
            base: Loc = ("services", i, "calls", j)
            if isinstance(item, ParallelGroup):
                for k, call in enumerate(item.parallel):
                    out[service.name].append(Hop(service.name, call, (*base, "parallel", k)))
            else:
                out[service.name].append(Hop(service.name, item, base))
    return out


class PhaseView:
    """One phase's view: the policy a client applies towards a server, and its figures.

    A client applies no policy unless it is meshed (and never in the baseline); a
    meshed client's policy, tries and worst case towards a server depend on the
    server alone, so they are worked out once per server and lint call.
    """

    def __init__(self, scenario: Scenario, state: PhaseState) -> None:
        self.scenario = scenario
        self.state = state
        self.explicit = _hosts_with_retries(scenario, state.index)
        self._towards: dict[str, tuple[Policy | None, int, float | None]] = {}
        # by (id of a policy state.policies holds, retryable); the value keeps it alive
        self._figures: dict[tuple[int, bool], tuple[Policy, int, float | None]] = {}
        self._sources: dict[tuple[str, tuple[str, ...]], Loc] = {}

    def source(self, host: str, path: tuple[str, ...]) -> Loc:
        """:func:`source_of` ``path`` for ``host`` in this phase (memoised)."""
        key = (host, path)
        loc = self._sources.get(key)
        if loc is None:
            loc = self._sources[key] = source_of(self.scenario, self.state.index, host, path)
        return loc

    def meshed(self, client: str) -> bool:
        """Whether ``client`` (a service, ``@gateway`` or ``@external``) applies policies."""
        return self.state.index != 0 and self.state.client_meshed(client)

    def policy(self, client: str, server: str) -> Policy | None:
        """The mesh policy the client applies to calls to ``server`` (None: none)."""
        return self.towards(server)[0] if self.meshed(client) else None

    def tries(self, client: str, server: str) -> int:
        """Mesh tries per logical call (1 without retries)."""
        return self.towards(server)[1] if self.meshed(client) else 1

    def chain(self, client: str, server: str) -> float | None:
        """Worst case of the mesh layer: tries × perTryTimeout + back-offs, cut by the timeout."""
        return self.towards(server)[2] if self.meshed(client) else None

    def towards(self, server: str) -> tuple[Policy | None, int, float | None]:
        """(policy, tries, worst case) of a meshed client's calls to ``server``."""
        out = self._towards.get(server)
        if out is None:
            out = self._towards[server] = self._work_out(server)
        return out

    def _work_out(self, server: str) -> tuple[Policy | None, int, float | None]:
        s, state = self.scenario, self.state
        if s.mesh.profile == "istio-ambient" and server not in state.waypoints:
            return None, 1, None
        if s.service(server).protocol == "tcp":
            return None, 1, None
        policy = state.policies[server]
        # Linkerd retries only routes a policy marks retryable
        retryable = s.mesh.profile != "linkerd" or server in self.explicit
        # hosts no layer names share the defaults object: its figures once per phase
        key = (id(policy), retryable)
        out = self._figures.get(key)
        if out is None:
            out = self._figures[key] = self._figures_of(policy, retryable)
        return out

    def _figures_of(self, policy: Policy, retryable: bool) -> tuple[Policy, int, float | None]:
        tries = tries_tokens(policy) if retryable else 1
        per_try = policy.retries.per_try_timeout if policy.retries else None
        worst = None if per_try is None else tries * per_try + self.backoffs(policy, tries - 1)
        if policy.timeout is not None:
            worst = policy.timeout if worst is None else min(worst, policy.timeout)
        return policy, tries, worst

    def backoffs(self, policy: Policy, retries: int) -> float:
        """The longest the back-offs before ``retries`` retries can take (SPEC §10.5)."""
        if policy.retries is None:
            return 0.0
        b = policy.retries.backoff
        mode = b.mode or self.scenario.simulation.backoff_mode
        if mode == "envoy-doc":
            return sum(min((2**n - 1) * b.base, b.max) for n in range(1, retries + 1))
        return sum(min(2 ** (n - 1) * b.base, b.max) for n in range(1, retries + 1))


def _hosts_with_retries(scenario: Scenario, index: int) -> set[str]:
    """Hosts whose retries some policy in force after phase ``index`` sets explicitly."""
    layers = list(scenario.mesh.policies)
    for phase in scenario.rollout.phases[:index]:
        layers.extend(phase.policies)
    return {layer.host for layer in layers if "retries" in layer.model_fields_set}
