"""Generated rollout orderings (SPEC §7.2) and named orderings (SPEC §7.3).

A generated ordering puts every service into one of K phases and then adds what makes
the plan safe to apply (:func:`build_phases`):

* ``gateway: true`` in the phase where the first service receiving a ``gateway``
  entrypoint is meshed;
* STRICT mTLS for each service at the earliest phase where it and every caller are
  meshed (the gateway counts as the caller of its entry services; a service receiving
  an ``external`` entrypoint is never made STRICT, its clients can never be meshed);
* under ``istio-ambient``, a waypoint for each service that has a ``mesh.policies``
  entry, in the phase it joins (L7 policy needs one).

``optimized`` needs simulation and lives in :mod:`meshsim.planning.compare`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from meshsim.errors import SimulationError
from meshsim.planning.beyond import apply_options
from meshsim.rollout.graph import CallTable, call_depths, callers, heights
from models import MtlsRule, Ordering, Phase, Scenario, phase_services

__all__ = [
    "GENERATED",
    "Groups",
    "build_phases",
    "generate",
    "groups_of",
    "ordering_phases",
    "split_even",
    "strict_phase",
]

Groups = list[list[str]]
"""Services per phase, phase 1 first."""

_ENV_RANK = {"development": 0, "staging": 1, "production": 2}


def split_even(ordered: Sequence[str], k: int) -> Groups:
    """Cut ``ordered`` into ``k`` consecutive groups whose sizes differ by at most one.

    Larger groups come first; fewer than ``k`` services give one group each.

    Examples
    --------
    >>> split_even(["a", "b", "c", "d", "e"], 2)
    [['a', 'b', 'c'], ['d', 'e']]
    """
    k = max(1, min(k, len(ordered)))
    size, extra = divmod(len(ordered), k)
    out, start = [], 0
    for i in range(k):
        end = start + size + (1 if i < extra else 0)
        out.append(list(ordered[start:end]))
        start = end
    return [g for g in out if g]


def _risk_ascending(scenario: Scenario, k: int) -> Groups:
    exposure = CallTable.from_scenario(scenario).exposure()
    order = sorted(
        scenario.services,
        key=lambda s: (round(exposure[s.name], 9), _ENV_RANK[s.environment], s.name),
    )
    return split_even([s.name for s in order], k)


def _edge_first(scenario: Scenario, k: int) -> Groups:
    entry = {e.service for e in scenario.entrypoints}
    edge = [s.name for s in scenario.services if s.name in entry or s.external]
    depth = call_depths(scenario)
    rest = sorted(
        (s.name for s in scenario.services if s.name not in edge),
        key=lambda n: (depth.get(n, math.inf), n),
    )
    if k <= 1:
        return [edge + rest]
    return [edge, *split_even(rest, k - 1)] if rest else [edge]


def _leaves_first(scenario: Scenario, k: int) -> Groups:
    height = heights(scenario)
    exposure = CallTable.from_scenario(scenario).exposure()
    order = sorted(height, key=lambda n: (height[n], round(exposure[n], 9), n))
    return split_even(order, k)


def _sensitive_first(scenario: Scenario, k: int) -> Groups:
    sensitive = {s.name for s in scenario.services if s.sensitive}
    if not sensitive:
        return _risk_ascending(scenario, k)
    who_calls = callers(scenario)
    first_set = sensitive.union(*(who_calls[n] for n in sensitive))
    first = [s.name for s in scenario.services if s.name in first_set]
    exposure = CallTable.from_scenario(scenario).exposure()
    rest = sorted(
        (s.name for s in scenario.services if s.name not in first_set),
        key=lambda n: (round(exposure[n], 9), n),
    )
    if k <= 1:
        return [first + rest]
    return [first, *split_even(rest, k - 1)] if rest else [first]


_GENERATORS: dict[str, Callable[[Scenario, int], Groups]] = {
    "risk-ascending": _risk_ascending,
    "edge-first": _edge_first,
    "leaves-first": _leaves_first,
    "sensitive-first": _sensitive_first,
}
GENERATED = tuple(_GENERATORS)
"""Strategies computed from the graph alone (``as-written`` and ``optimized`` aside)."""


def strict_phase(scenario: Scenario, groups: Groups) -> dict[str, int]:
    """Earliest phase (1-based) at which each service can be STRICT without breaking.

    A service qualifies once it and all its callers are meshed, and, if it receives a
    ``gateway`` entrypoint, once the gateway is meshed. Services that receive an
    ``external`` entrypoint, or are not in ``groups``, are left out.
    """
    phase_of = {name: k for k, group in enumerate(groups, start=1) for name in group}
    gateway = _gateway_phase(scenario, phase_of)
    external = {e.service for e in scenario.entrypoints if e.client == "external"}
    gated = {e.service for e in scenario.entrypoints if e.client == "gateway"}
    out = {}
    for name, who in callers(scenario).items():
        if name in external or name not in phase_of or not who <= phase_of.keys():
            continue
        needed = [phase_of[name], *(phase_of[c] for c in who)]
        if name in gated:
            needed.append(gateway or math.inf)
        phase = max(needed)
        if phase != math.inf:
            out[name] = int(phase)
    return out


def _gateway_phase(scenario: Scenario, phase_of: dict[str, int]) -> int | None:
    gated = [
        phase_of[e.service]
        for e in scenario.entrypoints
        if e.client == "gateway" and e.service in phase_of
    ]
    return min(gated) if gated else None


def build_phases(scenario: Scenario, groups: Groups, *, prefix: str = "phase") -> list[Phase]:
    """Turn services-per-phase into :class:`~models.Phase` objects with gateway and STRICT.

    Services keep document order inside a phase. Phases are named ``phase-1``...

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 10}]})
    >>> [(p.services, [r.name for r in p.mtls]) for p in build_phases(s, [["b"], ["a"]])]
    [(['b'], []), (['a'], ['b'])]
    """
    order = {s.name: i for i, s in enumerate(scenario.services)}
    phase_of = {name: k for k, group in enumerate(groups, start=1) for name in group}
    gateway = _gateway_phase(scenario, phase_of)
    strict = strict_phase(scenario, groups)
    ambient = scenario.mesh.profile == "istio-ambient"
    with_policy = {p.host for p in scenario.mesh.policies}
    phases = []
    for k, group in enumerate(groups, start=1):
        names = sorted(group, key=order.__getitem__)
        rules = [
            MtlsRule(scope="service", name=n, mode="STRICT")
            for n in sorted(strict, key=order.__getitem__)
            if strict[n] == k
        ]
        phases.append(
            Phase(
                name=f"{prefix}-{k}",
                services=names,
                mtls=rules,
                gateway=True if gateway == k else None,
                waypoints=[n for n in names if ambient and n in with_policy],
            )
        )
    return phases


def generate(scenario: Scenario, strategy: str, phase_count: int = 4) -> list[Phase]:
    """The phases of a generated strategy (``as-written`` returns ``rollout.phases``).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    strategy : str
        ``as-written``, ``risk-ascending``, ``edge-first``, ``leaves-first`` or
        ``sensitive-first``.
    phase_count : int
        K, the number of phases (fewer if there are fewer services).

    Raises
    ------
    SimulationError
        For an unknown strategy, ``optimized`` (see :func:`meshsim.planning.compare.compare`),
        or ``as-written`` on a scenario without ``rollout.phases``.
    """
    if phase_count < 1:
        raise SimulationError(f"phase count must be at least 1 (got {phase_count})")
    if strategy == "as-written":
        if not scenario.rollout.phases:
            raise SimulationError("strategy 'as-written' needs rollout.phases in the scenario")
        return list(scenario.rollout.phases)
    if strategy not in _GENERATORS:
        if strategy == "optimized":
            raise SimulationError("strategy 'optimized' is a search: use meshsim.compare")
        known = ", ".join(("as-written", *GENERATED, "optimized"))
        raise SimulationError(f"unknown strategy {strategy!r}; known: {known}")
    return build_phases(scenario, _GENERATORS[strategy](scenario, phase_count))


def ordering_phases(scenario: Scenario, ordering: Ordering, phase_count: int = 4) -> list[Phase]:
    """The phases of a named ordering (SPEC §7.3): its own, or its strategy's.

    ``phase_count`` is used when the ordering gives a strategy but no ``phaseCount``.
    """
    if ordering.phases is not None:
        return list(ordering.phases)
    phases = generate(scenario, str(ordering.strategy), ordering.phase_count or phase_count)
    return apply_options(scenario, phases, ordering)


def groups_of(scenario: Scenario, phases: Sequence[Phase]) -> Groups:
    """Services per phase of an explicit plan (namespaces expanded)."""
    return [phase_services(p, scenario.services) for p in phases]
