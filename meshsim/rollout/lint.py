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
from collections.abc import Iterator
from dataclasses import dataclass

from meshsim.rollout.authz import AUTHZ_CODE, authz_findings
from meshsim.rollout.capacity import capacity
from meshsim.rollout.paths import PathTree, path_tree
from meshsim.rollout.policy_source import Loc, policy_loc, source_of, tries_tokens
from meshsim.rollout.state import PhaseState, phase_states
from models import Call, Entrypoint, ParallelGroup, Scenario
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


@dataclass(frozen=True)
class _Hop:
    """A call item of a script with where it is written."""

    caller: str
    call: Call
    loc: Loc


def _hops(scenario: Scenario) -> dict[str, list[_Hop]]:
    out: dict[str, list[_Hop]] = {s.name: [] for s in scenario.services}
    for i, service in enumerate(scenario.services):
        for j, item in enumerate(service.calls):
            base: Loc = ("services", i, "calls", j)
            if isinstance(item, ParallelGroup):
                for k, call in enumerate(item.parallel):
                    out[service.name].append(_Hop(service.name, call, (*base, "parallel", k)))
            else:
                out[service.name].append(_Hop(service.name, item, base))
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:g} ms"


class _Phase:
    """One phase's view: the policy a client applies towards a server, and its figures."""

    def __init__(self, scenario: Scenario, state: PhaseState) -> None:
        self.scenario = scenario
        self.state = state
        self.explicit = _hosts_with_retries(scenario, state.index)
        # Every rule asks the same questions per (client, server) and per host; the
        # answers are pure functions of the phase, so one lint call keeps them.
        self._policies: dict[str, Policy | None] = {}
        self._tries: dict[tuple[str, str], int] = {}
        self._chains: dict[tuple[str, str], float | None] = {}
        self._sources: dict[tuple[str, tuple[str, ...]], Loc] = {}

    def source(self, host: str, path: tuple[str, ...]) -> Loc:
        """:func:`source_of` ``path`` for ``host`` in this phase (memoised)."""
        key = (host, path)
        loc = self._sources.get(key)
        if loc is None:
            loc = self._sources[key] = source_of(self.scenario, self.state.index, host, path)
        return loc

    def mesh_retries(self) -> bool:
        """Whether some policy of the phase may retry (else every mesh tries is 1)."""
        return any(tries_tokens(p) > 1 for p in self.state.policies.values())

    def policy(self, client: str, server: str) -> Policy | None:
        """The mesh policy the client applies to calls to ``server`` (None: none)."""
        if self.state.index == 0 or not self.state.client_meshed(client):
            return None
        try:
            return self._policies[server]
        except KeyError:
            policy = self._policies[server] = self._server_policy(server)
            return policy

    def _server_policy(self, server: str) -> Policy | None:
        """The policy towards ``server`` of a meshed client."""
        s, state = self.scenario, self.state
        if s.mesh.profile == "istio-ambient" and server not in state.waypoints:
            return None
        if s.service(server).protocol == "tcp":
            return None
        return state.policies[server]

    def tries(self, client: str, server: str) -> int:
        """Mesh tries per logical call (1 without retries)."""
        key = (client, server)
        try:
            return self._tries[key]
        except KeyError:
            tries = self._tries[key] = self._tries_of(client, server)
            return tries

    def _tries_of(self, client: str, server: str) -> int:
        policy = self.policy(client, server)
        if policy is None:
            return 1
        if self.scenario.mesh.profile == "linkerd" and server not in self.explicit:
            return 1  # Linkerd retries only routes a policy marks retryable
        return tries_tokens(policy)

    def backoffs(self, policy: Policy, retries: int) -> float:
        """The longest the back-offs before ``retries`` retries can take (SPEC §10.5)."""
        if policy.retries is None:
            return 0.0
        b = policy.retries.backoff
        mode = b.mode or self.scenario.simulation.backoff_mode
        if mode == "envoy-doc":
            return sum(min((2**n - 1) * b.base, b.max) for n in range(1, retries + 1))
        return sum(min(2 ** (n - 1) * b.base, b.max) for n in range(1, retries + 1))

    def chain(self, client: str, server: str) -> float | None:
        """Worst case of the mesh layer: tries × perTryTimeout + back-offs, cut by the timeout."""
        key = (client, server)
        try:
            return self._chains[key]
        except KeyError:
            worst = self._chains[key] = self._chain(client, server)
            return worst

    def _chain(self, client: str, server: str) -> float | None:
        policy = self.policy(client, server)
        if policy is None:
            return None
        tries = self.tries(client, server)
        per_try = policy.retries.per_try_timeout if policy.retries else None
        worst = None if per_try is None else tries * per_try + self.backoffs(policy, tries - 1)
        if policy.timeout is not None:
            worst = policy.timeout if worst is None else min(worst, policy.timeout)
        return worst


def _hosts_with_retries(scenario: Scenario, index: int) -> set[str]:
    """Hosts whose retries some policy in force after phase ``index`` sets explicitly."""
    layers = list(scenario.mesh.policies)
    for phase in scenario.rollout.phases[:index]:
        layers.extend(phase.policies)
    return {layer.host for layer in layers if "retries" in layer.model_fields_set}


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
    hops = _hops(scenario)
    phases = [_Phase(scenario, state) for state in phase_states(scenario)]
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


def _amplification(scenario: Scenario, phases: list[_Phase], hops) -> Iterator[Finding]:
    seen: set[tuple] = set()
    tree = path_tree(
        [e.service for e in scenario.entrypoints],
        {name: [hop.call.to for hop in out] for name, out in hops.items()},
    )
    app_retries = any(hop.call.retries for out in hops.values() for hop in out)
    for view in phases:
        if not app_retries and not view.mesh_retries():
            continue  # every product is 1
        product, path, factors = _worst_path(scenario, view, hops, tree)
        if product <= AMPLIFICATION_WARNING:
            continue
        big = max(f for f, _ in factors)
        loc = next(loc for f, loc in factors if f == big)
        key = (loc, tuple(path), product)
        if key in seen:
            continue
        seen.add(key)
        severity = "error" if product > AMPLIFICATION_ERROR else "warning"
        shown = " × ".join(str(f) for f, _ in factors if f > 1)
        yield Finding(
            loc,
            severity,
            "retry-amplification",
            f"phase {view.state.name}: {' -> '.join(path)} makes up to {product} tries at "
            f"{path[-1]} per request ({shown})",
            "retry at one hop only, next to the failure (attempts: 0 on the others), "
            "and cap it with a retry budget",
        )


_ATTEMPTS = ("retries", "attempts")


def _client(entry: Entrypoint) -> str:
    return "@gateway" if entry.client == "gateway" else "@external"


def _worst_path(
    scenario: Scenario, view: _Phase, hops: dict[str, list[_Hop]], tree: PathTree
) -> tuple[int, list[str], list[tuple[int, Loc]]]:
    """(product, names, factors) of the first searched path with the most tries.

    A path's product is its entrypoint's tries times, per call, mesh tries × (1 + app
    retries); ``max`` returns the first of equal products, in search order.
    """
    entries = scenario.entrypoints
    per_call: dict[str, list[int]] = {}
    products: list[int] = []
    for up, node, via in zip(tree.parent, tree.node, tree.via, strict=True):
        if up < 0:
            products.append(view.tries(_client(entries[via]), node))
            continue
        caller = tree.node[up]
        times = per_call.get(caller)
        if times is None:
            times = per_call[caller] = [
                view.tries(caller, hop.call.to) * (1 + hop.call.retries) for hop in hops[caller]
            ]
        products.append(products[up] * times[via])
    best = max(range(len(products)), key=products.__getitem__)
    steps = tree.path(best)
    entry = entries[tree.via[steps[0]]]
    factors: list[tuple[int, Loc]] = [
        (view.tries(_client(entry), entry.service), view.source(entry.service, _ATTEMPTS))
    ]
    for step in steps[1:]:
        hop = hops[tree.node[tree.parent[step]]][tree.via[step]]
        mesh, app = view.tries(hop.caller, hop.call.to), 1 + hop.call.retries
        if mesh > 1:
            factors.append((mesh, view.source(hop.call.to, _ATTEMPTS)))
        if app > 1:
            factors.append((app, (*hop.loc, "retries")))
    return products[best], [f"@{entry.name}", *(tree.node[t] for t in steps)], factors


# --- timeouts --------------------------------------------------------------------------


def _call_worst(view: _Phase, hop: _Hop) -> float | None:
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


def _inversion(scenario: Scenario, phases: list[_Phase], hops) -> Iterator[Finding]:
    for view in phases:
        for caller_hops in hops.values():
            for hop in caller_hops:
                yield from _same_hop(view, hop)
                yield from _next_hop(scenario, view, hop, hops)


def _same_hop(view: _Phase, hop: _Hop) -> Iterator[Finding]:
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


def _next_hop(scenario: Scenario, view: _Phase, hop: _Hop, hops) -> Iterator[Finding]:
    """A caller's timeout on X shorter than X's own retries towards its callees."""
    callee = hop.call.to
    limits: list[tuple[float, Loc, str]] = []
    if hop.call.timeout is not None:
        limits.append((hop.call.timeout, (*hop.loc, "timeout"), "application timeout"))
    policy = view.policy(hop.caller, callee)
    if policy is not None and policy.timeout is not None:
        loc = source_of(scenario, view.state.index, callee, ("timeout",))
        limits.append((policy.timeout, loc, "route timeout"))
    if not limits:
        return
    limit, loc, what = min(limits, key=lambda x: x[0])
    for below in hops[callee]:
        worst = _call_worst(view, below)
        if worst is None or limit >= worst:
            continue
        yield Finding(
            loc,
            "warning",
            "timeout-inversion",
            f"phase {view.state.name}: {hop.caller}'s {what} on {callee} ({_ms(limit)}) is "
            f"shorter than {callee}'s own retries towards {below.call.to} (up to "
            f"{_ms(worst)}): {hop.caller} gives up while {callee} still retries",
            f"raise it to more than {_ms(worst)}, or give {callee}'s calls to "
            f"{below.call.to} fewer tries or a shorter perTryTimeout",
        )


def _exceeds(scenario: Scenario, phases: list[_Phase], hops) -> Iterator[Finding]:
    clients = {(h.caller, h.call.to) for hs in hops.values() for h in hs}
    clients |= {(_client(e), e.service) for e in scenario.entrypoints}
    pairs = sorted(clients)
    for view in phases:
        first: dict[str, str] = {}  # each server's first client (by name) with a policy
        for c, s in pairs:
            if s not in first and view.policy(c, s) is not None:
                first[s] = c
        for server in sorted(first):
            yield from _exceeds_one(scenario, view, first[server], server)


def _exceeds_one(scenario: Scenario, view: _Phase, client: str, server: str) -> Iterator[Finding]:
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
        source_of(scenario, view.state.index, server, _ATTEMPTS),
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


def _strict(scenario: Scenario, phases: list[_Phase], hops) -> Iterator[Finding]:
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


def _ejection(scenario: Scenario, phases: list[_Phase], hops) -> Iterator[Finding]:
    done: set[str] = set()
    grouped: dict[Loc, list[str]] = {}
    phase_of: dict[Loc, str] = {}
    clients = [(h.caller, h.call.to) for hs in hops.values() for h in hs]
    clients += [(_client(e), e.service) for e in scenario.entrypoints]
    for view in phases[1:]:
        for client, server in clients:
            if server in done:
                continue
            policy = view.policy(client, server)
            if policy is None or policy.outlier_detection is not None:
                continue
            if scenario.service(server).replicas < 2 or view.tries(client, server) <= 1:
                continue
            if not EJECTION_TOKENS.intersection(policy.retries.retry_on):
                continue
            done.add(server)
            loc = policy_loc(scenario, view.state.index, server, _ATTEMPTS)
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


# --- overload ----------------------------------------------------------------------------


def _overload(scenario: Scenario) -> Iterator[Finding]:
    figures = capacity(scenario).services
    for i, service in enumerate(scenario.services):
        rho = figures[service.name].utilization
        if rho < 1.0:
            continue
        load = figures[service.name].rps
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
