"""AuthorizationPolicy without simulating (SPEC §20): who a phase refuses, least privilege.

:func:`authz_findings` is the ``authz-denies-caller`` rule of ``meshsim lint``: every
observed caller (a service that calls, the gateway of a ``gateway`` entrypoint, the
clients of an ``external`` one) that a phase's policy would refuse with 403.
:func:`least_privilege` writes the tightest allow lists that refuse no observed caller
once every caller is meshed; docs/beyond-sidecars.md says how strategies use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from meshsim.rollout.policy_source import Loc
from meshsim.rollout.state import PhaseState
from models import Scenario
from models.beyond import GATEWAY_IDENTITY, AuthzRule

__all__ = ["AUTHZ_CODE", "authz_findings", "least_privilege", "observed_callers"]

AUTHZ_CODE = "authz-denies-caller"
"""The lint code of a caller an AuthorizationPolicy refuses."""


def observed_callers(scenario: Scenario) -> dict[str, list[str]]:
    """Callers of each service in document order: services, ``@gateway``, ``@<entry>``.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 1, "client": "gateway"}]})
    >>> observed_callers(s)
    {'a': ['@gateway'], 'b': ['a']}
    """
    out: dict[str, list[str]] = {s.name: [] for s in scenario.services}
    for service in scenario.services:
        for call in service.iter_calls():
            if service.name not in out[call.to]:
                out[call.to].append(service.name)
    for e in scenario.entrypoints:
        who = GATEWAY_IDENTITY if e.client == "gateway" else f"@{e.name}"
        if who not in out[e.service]:
            out[e.service].append(who)
    return out


def least_privilege(scenario: Scenario) -> list[AuthzRule]:
    """Allow lists naming only the observed callers of each service.

    A service that an ``external`` entrypoint calls gets none: its outside clients carry
    no mesh identity, so any allow list would refuse them.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 1}]})
    >>> [(r.service, r.allow) for r in least_privilege(s)]
    [('b', ['a'])]
    """
    rules = []
    for name, who in observed_callers(scenario).items():
        if any(c.startswith("@") and c != GATEWAY_IDENTITY for c in who):
            continue
        rules.append(AuthzRule(service=name, allow=list(who)))
    return rules


def _refuses(state: PhaseState, caller: str, callee: str) -> str | None:
    """Why the policy of ``callee`` refuses ``caller`` in ``state``; None if it lets it in."""
    if callee not in state.meshed and callee not in state.partial:
        return None  # no proxy to enforce anything
    external = caller.startswith("@") and caller != GATEWAY_IDENTITY
    if not external and state.allowed(caller, callee):
        return None
    if external or not state.client_meshed(caller):
        if state.authz.get(callee) is None and not state.authz_deny_default:
            return None
        return "a plaintext caller has no identity"
    if callee in state.authz:
        return "it is not in the allow list"
    return "the mesh denies by default and it has no allow list"


def _rule_loc(scenario: Scenario, index: int, callee: str) -> Loc:
    """The authz entry of phases 1..index that put ``callee``'s refusal in force."""
    for k in range(index, 0, -1):
        for j, rule in enumerate(scenario.rollout.phases[k - 1].authz):
            if rule.service == callee or (
                rule.scope == "mesh" and callee not in _named(scenario, k)
            ):
                return ("rollout", "phases", k - 1, "authz", j)
    return ("rollout", "phases")


def _named(scenario: Scenario, index: int) -> set[str]:
    return {r.service for p in scenario.rollout.phases[:index] for r in p.authz if r.service}


def authz_findings(scenario: Scenario, states: Sequence[PhaseState]) -> Iterator[tuple]:
    """(loc, phase, caller, callee, reason) of each caller a phase's policy refuses."""
    callers = observed_callers(scenario)
    for state in states[1:]:
        if not (state.authz or state.authz_deny_default):
            continue
        for callee, who in callers.items():
            for caller in who:
                reason = _refuses(state, caller, callee)
                if reason is not None:
                    loc = _rule_loc(scenario, state.index, callee)
                    yield loc, state.name, caller, callee, reason
