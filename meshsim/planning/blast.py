"""Blast radius of each service in a phase (SPEC §11.4): dynamic and structural.

The dynamic blast radius of X adds an outage of every replica of X from the end of the
warm-up to the end of the run, simulates only the phase in question, and compares its
bad entry requests (not ok, or over the SLO latency) with the unmodified run of the
same replication. The pairs share every random stream (common random numbers), so the
difference is the outage's doing, and the 95% interval is that of the paired
per-replication differences.

Each pair is one replication r (``RunRequest.replication_indexes``) with and without
the outage, on replication r's own streams. All pairs go to the runner as one batch: it
compiles each scenario once and simulates each distinct job once (its ``JobCache``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from meshsim.errors import SimulationError
from meshsim.rollout.graph import CallTable
from meshsim.rollout.state import resolve_phase
from meshsim.sim.runner import RunRequest, run_many
from meshsim.sim.stats import ci95
from models import Fault, Scenario, format_duration
from models.results import BlastEntry, BlastResults, Results

__all__ = ["BLAST_FAULTS", "blast_radius", "with_outage"]

BLAST_FAULTS = ("outage", "crash", "cert-expiry", "proxy-crash")
"""Fault types ``blast --fault`` can inject: those that need no numbers of their own."""


def with_outage(scenario: Scenario, service: str, fault: str = "outage") -> Scenario:
    """``scenario`` plus a ``fault`` (default an outage) of ``service`` from the warm-up on.

    The fault hits every replica (``proxy-crash``: every meshed one) until the end.
    """
    start = format_duration(scenario.simulation.warmup)
    added = Fault.model_validate({"service": service, "type": fault, "start": start})
    return scenario.model_copy(update={"faults": [*scenario.faults, added]})


def _bad(results: Results) -> tuple[float, float]:
    """(bad entry requests, measured entry requests) of the one phase simulated."""
    entries = results.phases[0].entrypoints.values()
    requests = sum(e.requests for e in entries)
    return sum(e.requests * (1.0 - e.good_rate) for e in entries), requests


def _check_services(scenario: Scenario, services: Sequence[str] | None) -> list[str]:
    names = [s.name for s in scenario.services]
    if services is None:
        return names
    unknown = [s for s in services if s not in names]
    if unknown:
        raise SimulationError(
            f"unknown service {', '.join(map(repr, unknown))}; known: {', '.join(names)}"
        )
    return list(dict.fromkeys(services))


def blast_radius(
    scenario: Scenario,
    *,
    phase: int | str | None = None,
    services: Sequence[str] | None = None,
    fault: str = "outage",
    workers: int | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    executor: Executor | None = None,
) -> BlastResults:
    """Dynamic and structural blast radius of services in one phase (SPEC §11.4).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario; its own faults stay in force.
    phase : int or str, optional
        Phase of ``rollout.phases`` by name or index (0 = baseline); default the last.
    services : sequence of str, optional
        Services to measure; default all.
    fault : str
        The fault injected into each service in turn (:data:`BLAST_FAULTS`): an
        ``outage`` by default; ``cert-expiry`` shows which certificate expiry would hurt
        most in this phase, ``proxy-crash`` which sidecar restart (SPEC §20).
    workers, on_progress, should_stop, executor
        As for :func:`meshsim.sim.runner.run_many`.

    Returns
    -------
    BlastResults
        Per service ``blastRadius`` (mean over replications, ``ci95.blastRadius``)
        and ``structuralBlastRadius``.
    """
    if fault not in BLAST_FAULTS:
        raise SimulationError(f"unknown fault {fault!r}; known: {', '.join(BLAST_FAULTS)}")
    index = resolve_phase(scenario, phase)
    names = _check_services(scenario, services)
    reps = scenario.simulation.replications
    requests = []
    outages = {n: with_outage(scenario, n, fault) for n in names}
    for r in range(reps):
        # one replication at a time, on its usual streams, so each outage run is paired
        # with the fault-free run of the same replication
        only = (r,)
        # sloMet is not read here: no baseline run just to judge the phase
        requests.append(
            RunRequest(
                scenario, phase_indexes=(index,), replication_indexes=only, baseline_verdicts=False
            )
        )
        requests.extend(
            RunRequest(
                outages[n],
                phase_indexes=(index,),
                label=n,
                replication_indexes=only,
                baseline_verdicts=False,
            )
            for n in names
        )
    results = run_many(
        requests,
        workers=workers,
        on_progress=on_progress,
        should_stop=should_stop,
        executor=executor,
    )
    structural = CallTable.from_scenario(scenario).structural_blast_radius()
    entries = {
        n: BlastEntry(
            blast_radius=sum(d) / len(d),
            structural_blast_radius=structural[n],
            ci95={"blastRadius": ci95(d)} if reps > 1 else {},
        )
        for n, d in _differences(results, names, reps).items()
    }
    kind = None if fault == "outage" else fault  # the default stays out of the document
    return BlastResults(phase=results[0].phases[0].name, services=entries, fault=kind)


def _differences(results: list[Results], names: list[str], reps: int) -> dict[str, list[float]]:
    """Per service, the paired extra share of bad requests in each replication.

    ``results`` holds, per replication, the unmodified run then one run per service.
    """
    width = len(names) + 1
    diffs: dict[str, list[float]] = {n: [] for n in names}
    for r in range(reps):
        base_bad, measured = _bad(results[r * width])
        for i, n in enumerate(names, start=1):
            bad, _ = _bad(results[r * width + i])
            diffs[n].append((bad - base_bad) / measured if measured else 0.0)
    return diffs
