"""Classic resilience mistakes, found without simulating (SPEC §17).

:func:`lint` reads a validated scenario and the rules of each phase
(:mod:`meshsim.rollout.state`) and returns :class:`Finding` objects that point at the
field to change by its path (``mesh.defaults.retries.attempts``); the command line
turns paths into ``FILE:LINE:COL``. The rules and their exact thresholds are written
down in docs/tuning.md.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from meshsim.rollout.authz import AUTHZ_CODE, authz_findings
from meshsim.rollout.capacity import offered_load
from meshsim.rollout.paths import WeightedPaths
from meshsim.rollout.phase_view import ATTEMPTS, Hop, PhaseView, call_hops, client_of
from meshsim.rollout.policy_source import Loc, policy_loc
from meshsim.rollout.state import PhaseState, phase_states
from models import Scenario, Service
from models.mesh import Policy

__all__ = ["SEVERITIES", "Finding", "lint"]

SEVERITIES = ("warning", "error")
"""Severities, least severe first."""

AMPLIFICATION_WARNING = 10
AMPLIFICATION_ERROR = 100
EJECTION_TOKENS = frozenset({"5xx", "gateway-error", "connect-failure", "reset"})


@dataclass(frozen=True)
class Finding:
    """One problem: where (field path), how bad, which rule, what and how to fix it."""

    loc: Loc
    severity: str
    code: str
    message: str
    fix: str


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:g} ms"


def lint(scenario: Scenario) -> list[Finding]:
    """Every finding of every rule, in document order of the fields they point at.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
    ...     "entrypoints": [{"name": "w", "service": "a", "rate": 10}],
    ...     "rollout": {"phases": [{"name": "p1", "services": ["b"],
    ...         "mtls": [{"scope": "service", "name": "b", "mode": "STRICT"}]}]}})
    >>> [(f.code, f.loc) for f in lint(s)]
    [('strict-before-callers', ('rollout', 'phases', 0, 'mtls', 0, 'mode'))]
    """
    hops = call_hops(scenario)
    phases = [PhaseView(scenario, state) for state in phase_states(scenario)]
    findings: list[Finding] = []
    for rule in (_amplification, _inversion, _exceeds, _strict, _ejection):
        findings.extend(rule(scenario, phases, hops))
    findings.extend(_overload(scenario))
    findings.extend(_authz(scenario, [view.state for view in phases]))
    unique: dict[tuple, Finding] = {}
    for f in findings:  # the same finding in several phases is reported at its first
        what = f.message.split(": ", 1)[1] if f.message.startswith("phase ") else f.message
        unique.setdefault((f.code, f.loc, what), f)
    return list(unique.values())


# --- retry-amplification ---------------------------------------------------------------


LONG_PATH = 8
"""Paths of more calls are shown by their first and last three (imported graphs have
chains of 90 services: a line no one reads)."""


def _path_text(path: list[str]) -> str:
    """``a -> b -> c``; a long path by its ends and how many it leaves out.

    >>> _path_text([f"s{i}" for i in range(20)])
    's0 -> s1 -> s2 -> … 14 more … -> s17 -> s18 -> s19'
    """
    if len(path) <= LONG_PATH:
        return " -> ".join(path)
    hidden = len(path) - 6
    return f"{' -> '.join(path[:3])} -> … {hidden} more … -> {' -> '.join(path[-3:])}"


def _count(n: int) -> str:
    """An exact count, or 3 significant digits past a million (``8.73e+42``)."""
    return str(n) if n < 1_000_000 else f"{float(n):.3g}"


def _factors_text(factors: list[int]) -> str:
    """``3 × 2 × 4``; many factors as powers (``3^88 × 2^2``), largest first.

    >>> _factors_text([3, 2, 4, 5])
    '3 × 2 × 4 × 5'
    >>> _factors_text([3] * 88 + [1, 2, 2])
    '3^88 × 2^2'
    """
    shown = [f for f in factors if f > 1]
    if len(shown) <= LONG_PATH:
        return " × ".join(str(f) for f in shown)
    counts = Counter(shown)
    return " × ".join(
        f"{f}^{k}" if k > 1 else str(f) for f, k in sorted(counts.items(), reverse=True)
    )


def _amplification(scenario: Scenario, phases: list[PhaseView], hops) -> Iterator[Finding]:
    seen: set[tuple] = set()
    steps = WeightedPaths(scenario, hops)
    for view in phases:
        worst = steps.worst(view)
        if worst is None or worst[0] <= AMPLIFICATION_WARNING:
            continue
        product, path, factors = worst
        big = max(f for f, _ in factors)
        loc = next(loc for f, loc in factors if f == big)
        key = (loc, tuple(path), product)
        if key in seen:
            continue
        seen.add(key)
        severity = "error" if product > AMPLIFICATION_ERROR else "warning"
        yield Finding(
            loc,
            severity,
            "retry-amplification",
            f"phase {view.state.name}: {_path_text(path)} makes up to {_count(product)} "
            f"tries at {path[-1]} per request ({_factors_text([f for f, _ in factors])})",
            "retry at one hop only, next to the failure (attempts: 0 on the others), "
            "and cap it with a retry budget",
        )


# --- timeouts --------------------------------------------------------------------------


def _call_worst(view: PhaseView, hop: Hop) -> float | None:
    """Worst case of a logical call *through its retries*; None if it does not retry.

    Mesh layer: tries × perTryTimeout + back-offs (cut by the route timeout); app layer:
    (1 + retries) × its timeout (or the mesh worst case) + the fixed back-offs.
    """
    tries = view.tries(hop.caller, hop.call.to)
    policy = view.policy(hop.caller, hop.call.to)
    per_try = policy.retries.per_try_timeout if policy and policy.retries else None
    mesh = None
    if policy is not None and tries > 1 and per_try is not None:
        mesh = view.chain(hop.caller, hop.call.to)
    retries, app = hop.call.retries, hop.call.timeout
    if retries == 0:
        return None if mesh is None else min(mesh, app if app is not None else mesh)
    bounds = [t for t in (mesh, app) if t is not None]
    if not bounds:
        return None
    return (1 + retries) * min(bounds) + retries * hop.call.retry_backoff


def _inversion(scenario: Scenario, phases: list[PhaseView], hops) -> Iterator[Finding]:
    # A hop can be inverted only under a timeout: its own, or its server's route timeout
    # (for a meshed caller). Callers with neither are skipped without a look at each call.
    app_timed = {name for name, out in hops.items() if any(h.call.timeout is not None for h in out)}
    for view in phases:
        routes = _route_timed(scenario, view)
        below: dict[str, tuple[float, list[tuple[Hop, float]]]] = {}
        for caller, caller_hops in hops.items():
            if caller not in app_timed and not (routes and view.meshed(caller)):
                continue
            for hop in caller_hops:
                yield from _same_hop(view, hop)
                yield from _next_hop(view, hop, hops, below)


def _route_timed(scenario: Scenario, view: PhaseView) -> set[str]:
    """Servers a meshed client calls under a route timeout in this phase."""
    if view.state.index == 0:
        return set()
    timed = set()
    for service in scenario.services:
        policy = view.towards(service.name)[0]
        if policy is not None and policy.timeout is not None:
            timed.add(service.name)
    return timed


def _same_hop(view: PhaseView, hop: Hop) -> Iterator[Finding]:
    """An app timeout shorter than its own mesh layer's retries."""
    app = hop.call.timeout
    if app is None:
        return
    mesh = view.chain(hop.caller, hop.call.to)
    if mesh is None or view.tries(hop.caller, hop.call.to) <= 1 or app >= mesh:
        return
    yield Finding(
        (*hop.loc, "timeout"),
        "warning",
        "timeout-inversion",
        f"phase {view.state.name}: {hop.caller} gives up on {hop.call.to} after {_ms(app)} "
        f"while its sidecar may still retry for {_ms(mesh)}",
        f"raise this timeout to at least {_ms(mesh)}, or lower the mesh retries to {hop.call.to}",
    )


def _next_hop(view: PhaseView, hop: Hop, hops, below: dict) -> Iterator[Finding]:
    """A caller's timeout on X shorter than X's own retries towards its callees.

    ``below`` keeps, per X, the longest worst case of its calls and the calls that
    have one (the same for every caller of X in a phase).
    """
    callee = hop.call.to
    limits: list[tuple[float, Loc, str]] = []
    if hop.call.timeout is not None:
        limits.append((hop.call.timeout, (*hop.loc, "timeout"), "application timeout"))
    policy = view.policy(hop.caller, callee)
    if policy is not None and policy.timeout is not None:
        limits.append((policy.timeout, view.source(callee, ("timeout",)), "route timeout"))
    if not limits:
        return
    limit, loc, what = min(limits, key=lambda x: x[0])
    if callee not in below:
        worsts = [(h, w) for h in hops[callee] if (w := _call_worst(view, h)) is not None]
        below[callee] = (max((w for _, w in worsts), default=0.0), worsts)
    longest, worsts = below[callee]
    if not worsts or limit >= longest:
        return
    for after, worst in worsts:
        if limit >= worst:
            continue
        yield Finding(
            loc,
            "warning",
            "timeout-inversion",
            f"phase {view.state.name}: {hop.caller}'s {what} on {callee} ({_ms(limit)}) is "
            f"shorter than {callee}'s own retries towards {after.call.to} (up to "
            f"{_ms(worst)}): {hop.caller} gives up while {callee} still retries",
            f"raise it to more than {_ms(worst)}, or give {callee}'s calls to "
            f"{after.call.to} fewer tries or a shorter perTryTimeout",
        )


def _exceeds(scenario: Scenario, phases: list[PhaseView], hops) -> Iterator[Finding]:
    clients = {(h.caller, h.call.to) for hs in hops.values() for h in hs}
    clients |= {(client_of(e), e.service) for e in scenario.entrypoints}
    pairs = sorted(clients)
    for view in phases:
        # what can exceed its timeout depends on the server alone, given a meshed client
        timed = {s for s in _route_timed(scenario, view) if _per_try(view.towards(s)) is not None}
        if not timed:
            continue
        first: dict[str, str] = {}  # each server's first client (by name) with a policy
        for c, s in pairs:
            if s in timed and s not in first and view.policy(c, s) is not None:
                first[s] = c
        for server in sorted(first):
            yield from _exceeds_one(view, first[server], server)


def _per_try(towards: tuple[Policy | None, int, float | None]) -> float | None:
    """The perTryTimeout of a retrying policy (None: none, or it does not retry)."""
    policy, tries, _ = towards
    if policy is None or policy.retries is None or tries <= 1:
        return None
    return policy.retries.per_try_timeout


def _exceeds_one(view: PhaseView, client: str, server: str) -> Iterator[Finding]:
    policy = view.policy(client, server)
    tries = view.tries(client, server)
    per_try = policy.retries.per_try_timeout if policy and policy.retries else None
    if policy is None or policy.timeout is None or per_try is None or tries <= 1:
        return
    worst = tries * per_try + view.backoffs(policy, tries - 1)
    if worst <= policy.timeout:
        return
    fits = max(
        (n for n in range(tries) if (n + 1) * per_try + view.backoffs(policy, n) <= policy.timeout),
        default=0,
    )
    yield Finding(
        view.source(server, ATTEMPTS),
        "warning",
        "retry-exceeds-timeout",
        f"phase {view.state.name}: calls to {server}: {tries} tries × {_ms(per_try)} + back-offs "
        f"= up to {_ms(worst)} exceed the route timeout {_ms(policy.timeout)}: the last tries "
        "can never happen",
        f"attempts: {fits} (what fits in the timeout), or a timeout of at least {_ms(worst)}",
    )


# --- mTLS and ejection -------------------------------------------------------------------


def _mtls_rules(scenario: Scenario) -> dict[tuple[str, str | None], list[tuple[int, int]]]:
    """(phase, position) of every mtls rule by (scope, name), in document order."""
    out: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
    for k, phase in enumerate(scenario.rollout.phases):
        for j, rule in enumerate(phase.mtls):
            out.setdefault((rule.scope, rule.name), []).append((k, j))
    return out


def _strict_rule(scenario: Scenario, rules: dict, index: int, service: str) -> Loc:
    """The mtls rule (phase, position) that makes ``service`` STRICT after phase ``index``.

    The last rule of phases 1..index for the service, else for its namespace, else
    for the mesh; ``rules`` is :func:`_mtls_rules`.
    """
    namespace = scenario.service(service).namespace
    for key in (("service", service), ("namespace", namespace), ("mesh", None)):
        found = rules.get(key, ())
        before = bisect_left(found, (index,))  # the rules of phases [0, index)
        if before:
            k, j = found[before - 1]
            return ("rollout", "phases", k, "mtls", j, "mode")
    return ("rollout", "phases", index - 1, "mtls")


def _strict(scenario: Scenario, phases: list[PhaseView], hops) -> Iterator[Finding]:
    unique: dict[str, dict[str, None]] = {s.name: {} for s in scenario.services}
    for name, caller_hops in hops.items():
        for hop in caller_hops:
            unique[hop.call.to][name] = None  # each calling service once, first first
    callers = {name: list(who) for name, who in unique.items()}
    for e in scenario.entrypoints:
        callers[e.service].append("@gateway" if e.client == "gateway" else f"@{e.name}")
    rules = _mtls_rules(scenario)
    reported: set[tuple[str, Loc]] = set()
    for view in phases[1:]:
        for service in sorted(view.state.strict):
            plain = [c for c in callers[service] if not _meshed(view.state, c)]
            if not plain:
                continue
            loc = _strict_rule(scenario, rules, view.state.index, service)
            if (service, loc) in reported:
                continue
            reported.add((service, loc))
            names = ", ".join(c.replace("@", "clients of entrypoint ") for c in plain)
            yield Finding(
                loc,
                "error",
                "strict-before-callers",
                f"phase {view.state.name}: {service} is STRICT while {names} "
                f"{'is' if len(plain) == 1 else 'are'} not meshed: their calls are refused",
                f"mesh its callers first, or keep {service} PERMISSIVE until they are",
            )


def _meshed(state: PhaseState, caller: str) -> bool:
    if caller.startswith("@") and caller != "@gateway":
        return False  # external clients are never meshed
    return state.client_meshed(caller)


def _ejection(scenario: Scenario, phases: list[PhaseView], hops) -> Iterator[Finding]:
    done: set[str] = set()
    grouped: dict[Loc, list[str]] = {}
    phase_of: dict[Loc, str] = {}
    clients = [(h.caller, h.call.to) for hs in hops.values() for h in hs]
    clients += [(client_of(e), e.service) for e in scenario.entrypoints]
    for view in phases[1:]:
        bare = {s.name for s in scenario.services if _retried_bare(view, s)}
        for client, server in clients:
            if server in done or server not in bare or not view.meshed(client):
                continue
            done.add(server)
            loc = policy_loc(scenario, view.state.index, server, ATTEMPTS)
            grouped.setdefault(loc, []).append(server)
            phase_of.setdefault(loc, view.state.name)
    for loc, servers in grouped.items():
        yield Finding(
            loc,
            "warning",
            "retry-without-ejection",
            f"phase {phase_of[loc]}: {', '.join(servers)} (several replicas each) "
            f"{'is' if len(servers) == 1 else 'are'} retried on 5xx/connect-failure without "
            "outlier detection: a dead replica keeps taking first tries",
            "add outlierDetection (e.g. {consecutive5xxErrors: 5, maxEjectionPercent: 50}; "
            "Istio's default 10% ejects nothing below 10 replicas)",
        )


def _retried_bare(view: PhaseView, service: Service) -> bool:
    """Whether a meshed client retries ``service``'s replicas on 5xx without ejection."""
    policy, tries, _ = view.towards(service.name)
    if policy is None or policy.outlier_detection is not None:
        return False
    if service.replicas < 2 or tries <= 1:
        return False
    return bool(EJECTION_TOKENS.intersection(policy.retries.retry_on))


# --- overload ----------------------------------------------------------------------------


def _overload(scenario: Scenario) -> Iterator[Finding]:
    figures = offered_load(scenario)
    for i, service in enumerate(scenario.services):
        load, rho = figures[service.name]
        if rho < 1.0:
            continue
        work = load * service.service_time.mean
        need = math.ceil(work / service.concurrency / 0.6)
        yield Finding(
            ("services", i, "replicas"),
            "error",
            "overload",
            f"{service.name} is offered {rho:.2f}× what it can serve ({load:g} requests/s × "
            f"{_ms(service.service_time.mean)} on {service.replicas} × {service.concurrency} "
            "workers)",
            f"replicas: {need} (utilization 0.6), or more concurrency",
        )


def _authz(scenario: Scenario, states: list[PhaseState]) -> Iterator[Finding]:
    """``authz-denies-caller``: an observed caller refused with 403 (SPEC §20)."""
    for loc, phase, caller, callee, reason in authz_findings(scenario, states):
        who = caller.replace("@", "clients of entrypoint ") if caller != "@gateway" else caller
        yield Finding(
            loc,
            "error",
            AUTHZ_CODE,
            f"phase {phase}: {callee}'s AuthorizationPolicy refuses {who} ({reason}): "
            "its calls end with 403",
            f"allow {caller} on {callee}, or mesh {caller} before the policy applies",
        )
