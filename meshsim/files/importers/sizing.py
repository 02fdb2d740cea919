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
from meshsim.rollout.capacity import capacity, chains_of, depth_needed
from models import Scenario
from models.limits import MAX_REPLICAS

__all__ = ["DEFAULT_TARGET_UTILIZATION", "DEPTH_TOLERANCE", "deepen", "size_replicas"]

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
