"""Imported scenarios sized to run as they are (SPEC §13 "Capacity", §18, §4).

Call depth: the simulator fails a request whose calls nest ``simulation.maxDepth``
deep (default 32). Real graphs can be deeper, and cycles closed with a
probability nest as deep as chance takes them; where more than
:data:`DEPTH_TOLERANCE` of any one entrypoint's requests would fail that way, ``maxDepth`` is
raised to the depth they fit in (see :func:`~meshsim.rollout.capacity.chains_of`).

Replicas:
After import no service may be offered more than it can serve: a service whose
busy share of workers at the imported entry rates would exceed the target
utilization gets more replicas. The busy share is
:attr:`~meshsim.rollout.capacity.ServiceCapacity.occupancy`, the utilization the
simulator measures (under ``threads`` a worker also waits for the calls), which is
never below the utilization law's ρ; both fall as 1 / replicas.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from meshsim.files.importers.common import Graph
from meshsim.files.importers.values import format_rate, parse_rate, round_sig
from meshsim.rollout.capacity import capacity, chains_of, depth_needed
from models import Scenario
from models.limits import MAX_REPLICAS

__all__ = [
    "DEFAULT_LOAD_BUDGET",
    "DEFAULT_TARGET_UTILIZATION",
    "DEPTH_TOLERANCE",
    "deepen",
    "limit_default_load",
    "size_replicas",
]

DEFAULT_LOAD_BUDGET = 20_000.0
"""Service visits per second the default entry rates may offer in all (see
:func:`limit_default_load`): the simulator serves about 10,000 a second per core, so a
default run (60 s, 3 replications) of such a graph takes minutes, not hours."""

DEPTH_TOLERANCE = 1e-3
"""Share of entry requests allowed to fail only for nesting deeper than ``maxDepth``."""

DEFAULT_TARGET_UTILIZATION = 0.6
"""``--target-utilization``: the busy share of workers imported services are sized for."""


def deepen(document: dict[str, Any], graph: Graph) -> None:
    """Raise ``simulation.maxDepth`` so calls nesting deep do not fail requests."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError:
        return
    depth = scenario.simulation.max_depth
    # per entrypoint: a rare entrypoint whose requests all nest deep must run too
    (share,) = chains_of(scenario, [depth], worst=True)
    if share <= DEPTH_TOLERANCE:
        return
    needed = depth_needed(scenario, DEPTH_TOLERANCE, worst=True)
    if needed is None:
        graph.warn(
            f"{share:.1%} of an entrypoint's requests nest calls {depth} deep, and raising "
            "maxDepth does not help: a cycle of calls does not die out; lower a probability "
            "on it"
        )
        return
    document.setdefault("simulation", {})["maxDepth"] = needed
    graph.warn(
        f"{share:.1%} of an entrypoint's requests would nest calls {depth} deep (the "
        f"default limit): simulation.maxDepth set to {needed}"
    )


def limit_default_load(document: dict[str, Any], graph: Graph) -> None:
    """Scale default entry rates down so the graph offers at most the load budget.

    100/s per entrypoint is a guess, not an observation. On a graph whose requests
    fan out to hundreds of calls (2,000 services, fan-outs of 40), the guess offers
    hundreds of thousands of service visits per second, and ``meshsim run`` of the
    imported scenario takes hours. When every entrypoint has the default rate (or
    its share of it, :func:`~meshsim.files.importers.realistic.relative_rates`) and
    together they offer more than :data:`DEFAULT_LOAD_BUDGET` visits per second, all
    are scaled by the same factor (the mix and every ratio stay), with a warning.
    Rates the input gives or observes, and ``--rate``, are never changed.
    """
    entries = document.get("entrypoints") or []
    if not entries or any(e["name"] not in graph.default_rated for e in entries):
        return
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError:
        return
    total = sum(fig.rps for fig in capacity(scenario).services.values())
    if total <= DEFAULT_LOAD_BUDGET:
        return
    factor = DEFAULT_LOAD_BUDGET / total
    rates = [parse_rate(e["rate"]) for e in entries]
    for entry, rate in zip(entries, rates, strict=True):
        entry["rate"] = format_rate(rate * factor)
    per_request = total / sum(rates)
    graph.warn(
        f"at the default rates the {len(entries)} entrypoint(s) would offer "
        f"{total:,.0f} service visits per second ({round_sig(per_request):g} per request), "
        f"a run of hours: entry rates scaled by {round_sig(factor):g} to "
        f"{DEFAULT_LOAD_BUDGET:,.0f} visits per second (the busiest now "
        f"{format_rate(max(rates) * factor)}); --rate R or --window D sets them"
    )


def size_replicas(document: dict[str, Any], graph: Graph, target: float) -> None:
    """Raise ``replicas`` in ``document`` so every service's utilization is ≤ ``target``.

    A document that does not validate is left as it is (the caller reports it).
    """
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError:
        return
    figures = capacity(scenario)
    by_name = {s["name"]: s for s in document["services"]}
    for service in scenario.services:
        fig = figures.services[service.name]
        load = max(fig.utilization, fig.occupancy)
        if load <= target:
            continue
        replicas = math.ceil(service.replicas * load / target - 1e-9)
        if replicas > MAX_REPLICAS:
            # more than any real deployment runs: the graph's load is what is off (a
            # cycle, a count); keep the limit and let the capacity warning say so
            graph.warn(
                f"{service.name}: would need {replicas:,} replicas to stay {target:.0%} busy; "
                f"kept at the limit of {MAX_REPLICAS:,}: check the imported call counts "
                "and cycles",
                group="replicas capped",
            )
            replicas = MAX_REPLICAS
        by_name[service.name]["replicas"] = replicas
        graph.warn(
            f"{service.name}: replicas {service.replicas} → {replicas}: at the imported load "
            f"its workers would be {load:.0%} busy (ρ {fig.utilization:.2f}"
            + (", waits for its calls included" if fig.occupancy > fig.utilization else "")
            + f"), now {load * service.replicas / replicas:.0%} (target {target:.0%})",
            group="replicas raised",
        )
