"""Strategy options of SPEC §20: canaries for risky services, least privilege at the end.

An ordering with a ``strategy`` may set ``canary: SHARE`` and ``leastPrivilege: true``
(docs/beyond-sidecars.md):

* ``canary``: each *risky* service (``tier: critical`` or ``sensitive: true``) first
  gets sidecars on ``SHARE`` of its replicas in the phase before the one that meshes it
  whole; when that is phase 1, a phase ``canary`` is put in front of the plan.
* ``leastPrivilege``: the last phase allows each service only its observed callers
  (:func:`meshsim.rollout.authz.least_privilege`); by then every service is meshed, so
  the allow lists refuse no call — :func:`least_privilege_refusals` checks exactly that.
"""

from __future__ import annotations

from collections.abc import Sequence

from meshsim.rollout.authz import authz_findings, least_privilege
from meshsim.rollout.state import phase_states
from models import Ordering, Phase, Scenario, phase_services

__all__ = ["apply_options", "least_privilege_refusals", "risky", "with_canaries"]


def risky(scenario: Scenario) -> list[str]:
    """Services a strategy starts as a canary: critical tier or sensitive."""
    return [s.name for s in scenario.services if s.tier == "critical" or s.sensitive]


def with_canaries(scenario: Scenario, phases: Sequence[Phase], share: float) -> list[Phase]:
    """``phases`` where each risky service is a canary of ``share`` one phase earlier.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]},
    ...                  {"name": "b", "tier": "critical", "replicas": 4}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 1}]})
    >>> out = with_canaries(s, [Phase(name="p1", services=["a"]),
    ...                         Phase(name="p2", services=["b"])], 0.25)
    >>> [(p.name, p.services, p.canary) for p in out]
    [('p1', ['a'], {'b': 0.25}), ('p2', ['b'], {})]
    """
    out = [p.model_copy() for p in phases]
    front: dict[str, float] = {}
    for k, phase in enumerate(phases):
        for name in phase_services(phase, scenario.services):
            if name not in risky(scenario):
                continue
            if k == 0:
                front[name] = share
            else:
                before = out[k - 1]
                out[k - 1] = before.model_copy(update={"canary": {**before.canary, name: share}})
    if front:
        out.insert(0, Phase(name="canary", canary=front))
    return out


def least_privilege_refusals(scenario: Scenario, phases: Sequence[Phase]) -> list[str]:
    """Observed calls the plan's AuthorizationPolicies refuse, as ``phase: caller -> callee``.

    Empty for a plan whose last phase adds :func:`least_privilege` once every caller
    is meshed: the check behind ``leastPrivilege: true``.
    """
    states = phase_states(scenario, phases)
    plan = scenario.model_copy(
        update={"rollout": scenario.rollout.model_copy(update={"phases": list(phases)})}
    )
    return [
        f"{phase}: {caller} -> {callee}"
        for _, phase, caller, callee, _ in authz_findings(plan, states)
    ]


def apply_options(
    scenario: Scenario, phases: list[Phase], ordering: Ordering | None
) -> list[Phase]:
    """A generated plan with the ordering's SPEC §20 options applied (none: unchanged)."""
    if ordering is None:
        return phases
    if ordering.canary is not None:
        phases = with_canaries(scenario, phases, ordering.canary)
    if ordering.least_privilege and phases:
        last = phases[-1]
        phases = [
            *phases[:-1],
            last.model_copy(update={"authz": [*last.authz, *least_privilege(scenario)]}),
        ]
    return phases
