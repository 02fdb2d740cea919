"""Run phases × replications (× several plans) serially or on a process pool.

A job is one (request, phase, replication): a pure function of its inputs, so a
parallel run gives exactly the serial run's results. Any
:class:`concurrent.futures.Executor` can run the jobs (a process pool by default;
e.g. a Dask ``Client.get_executor()`` for a cluster) without touching the engine.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, MutableMapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from meshsim.errors import SimulationCancelled, SimulationError
from meshsim.sim.compile import compile_phases
from meshsim.sim.engine import simulate
from meshsim.sim.model import Model
from meshsim.sim.stats import aggregate_phase, phase_metrics
from models import Phase, Scenario
from models.results import Results

__all__ = ["RunRequest", "run_many", "run_scenario", "default_workers"]

VERSION = "0.1.0"


@dataclass(frozen=True)
class RunRequest:
    """One plan to simulate.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its faults and settings apply).
    phases : tuple of Phase, optional
        The phases to apply; ``None`` means ``scenario.rollout.phases``.
    phase_indexes : tuple of int, optional
        Only these phases (0 = baseline); ``None`` means all.
    label : str
        A name for progress and errors.
    replication_indexes : tuple of int, optional
        Only these replications (their usual random streams); ``None`` means all.
    """

    scenario: Scenario
    phases: tuple[Phase, ...] | None = None
    phase_indexes: tuple[int, ...] | None = None
    label: str = ""
    replication_indexes: tuple[int, ...] | None = None

    def replications(self) -> list[int]:
        """The replications to simulate (default all of ``simulation.replications``)."""
        if self.replication_indexes is None:
            return list(range(self.scenario.simulation.replications))
        return sorted(set(self.replication_indexes))


def default_workers() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1


def _job(scenario: Scenario, phases: tuple[Phase, ...] | None, phase: int, rep: int) -> dict:
    plans = compile_phases(scenario, None if phases is None else list(phases))
    return phase_metrics(simulate(Model(scenario), plans[phase], rep))


def _indexes(request: RunRequest) -> list[int]:
    count = len(request.phases if request.phases is not None else request.scenario.rollout.phases)
    wanted = range(count + 1) if request.phase_indexes is None else request.phase_indexes
    for i in wanted:
        if not 0 <= i <= count:
            raise SimulationError(f"phase index {i} is out of range 0..{count}")
    return sorted(set(wanted))


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_many(
    requests: Sequence[RunRequest],
    *,
    workers: int | None = 1,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    executor: Executor | None = None,
    cache: MutableMapping[tuple, dict] | None = None,
) -> list[Results]:
    """Simulate every request's phases and replications; one :class:`Results` per request.

    Parameters
    ----------
    requests : sequence of RunRequest
        The plans. Every request uses the same random streams for the same
        replication (common random numbers), so differences between them are paired.
    workers : int, optional
        Processes to use; ``None`` = all cores, 1 = in this process.
    on_progress : callable, optional
        Called with the fraction done, at most about 100 times.
    should_stop : callable, optional
        Polled between chunks; when it returns True the run raises
        :class:`~meshsim.errors.SimulationCancelled`.
    executor : concurrent.futures.Executor, optional
        Runs the jobs instead of a local process pool.
    cache : mutable mapping, optional
        Metrics of jobs already simulated, by job key; found jobs are not simulated
        again and new ones are added (a job is a pure function of its key).
    """
    jobs, same_as, keys = _unique_jobs(requests)
    cached = {}
    if cache is not None:
        cached = {job: cache[keys[job]] for job in jobs if keys[job] in cache}
        jobs = [job for job in jobs if job not in cached]
    workers = default_workers() if workers is None else max(1, workers)
    if executor is None and (workers == 1 or len(jobs) == 1):
        metrics = _run_serial(requests, jobs, on_progress, should_stop)
    else:
        metrics = _run_pool(requests, jobs, workers, executor, on_progress, should_stop)
    if cache is not None:
        cache.update({keys[job]: metrics[job] for job in jobs})
    metrics.update(cached)
    for key, first in same_as.items():
        metrics[key] = metrics[first]
    return [_results(request, r, metrics) for r, request in enumerate(requests)]


def _unique_jobs(
    requests: Sequence[RunRequest],
) -> tuple[list[tuple], dict[tuple, tuple], dict[tuple, tuple]]:
    """Every (request, phase, replication), simulating identical ones once.

    Two jobs are identical when their scenarios differ at most in the plan (rollout,
    orderings, metadata) and their compiled phases are equal: with common random
    numbers they would produce the same records (the baseline of every ordering, say).
    """
    jobs: list[tuple] = []
    same_as: dict[tuple, tuple] = {}
    seen: dict[tuple, tuple] = {}
    digests: dict[int, bytes] = {}
    for r, request in enumerate(requests):
        scenario = request.scenario
        if id(scenario) not in digests:
            text = scenario.model_dump_json(exclude={"rollout", "orderings", "metadata"})
            digests[id(scenario)] = hashlib.blake2b(text.encode(), digest_size=16).digest()
        phases = None if request.phases is None else list(request.phases)
        plans = compile_phases(scenario, phases)
        for phase in _indexes(request):
            for rep in request.replications():
                key = (digests[id(scenario)], plans[phase].fingerprint(), rep)
                if key in seen:
                    same_as[(r, phase, rep)] = seen[key]
                else:
                    seen[key] = (r, phase, rep)
                    jobs.append((r, phase, rep))
    return jobs, same_as, {job: key for key, job in seen.items()}


def _run_serial(requests, jobs, on_progress, should_stop) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    models: dict[int, tuple[Model, list]] = {}
    total = len(jobs)
    for done, (r, phase, rep) in enumerate(jobs):
        request = requests[r]
        if r not in models:
            phases = None if request.phases is None else list(request.phases)
            models[r] = (Model(request.scenario), compile_phases(request.scenario, phases))
        model, plans = models[r]

        def progress(frac: float, done: int = done) -> None:
            if on_progress is not None:
                on_progress((done + frac) / total)

        out[(r, phase, rep)] = phase_metrics(
            simulate(model, plans[phase], rep, progress, should_stop)
        )
    return out


def _run_pool(requests, jobs, workers, executor, on_progress, should_stop) -> dict[tuple, dict]:
    own = executor is None
    if own:
        context = multiprocessing.get_context("forkserver")
        executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_ignore_sigint
        )
    out: dict[tuple, dict] = {}
    futures: dict[Future, tuple] = {}
    try:
        for key in jobs:
            r, phase, rep = key
            request = requests[r]
            futures[executor.submit(_job, request.scenario, request.phases, phase, rep)] = key
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in finished:
                out[futures[future]] = future.result()
            if should_stop is not None and should_stop():
                raise SimulationCancelled("run cancelled")
            if on_progress is not None and finished:
                on_progress(len(out) / len(jobs))
    except BaseException:
        for future in futures:
            future.cancel()
        if own:
            _terminate(executor)
        raise
    if own:
        executor.shutdown(wait=True)
    return out


def _terminate(executor: ProcessPoolExecutor) -> None:
    processes = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _results(request: RunRequest, r: int, metrics: dict[tuple, dict]) -> Results:
    scenario = request.scenario
    sim = scenario.simulation
    phases = list(request.phases if request.phases is not None else scenario.rollout.phases)
    plans = compile_phases(scenario, phases)
    names = [s.name for s in scenario.services]
    slos = {}
    for e in scenario.entrypoints:
        slo = scenario.slo_of(e)
        slos[e.name] = (slo.latency_p99, slo.error_rate) if slo else (None, None)
    out = []
    for phase in _indexes(request):
        plan = plans[phase]
        reps = [metrics[(r, phase, rep)] for rep in request.replications()]
        out.append(
            aggregate_phase(
                reps,
                index=phase,
                name=plan.name,
                meshed=[n for n, m in zip(names, plan.meshed, strict=True) if m],
                onboarded=[names[i] for i in plan.onboarded],
                slos=slos,
                onboarded_mask=sum(1 << i for i in plan.onboarded),
            )
        )
    return Results(
        meshsim_version=VERSION,
        scenario=scenario.metadata.name,
        seed=sim.seed,
        replications=len(request.replications()),
        duration_s=sim.duration,
        warmup_s=sim.warmup,
        phases=out,
    )


def run_scenario(
    scenario: Scenario,
    *,
    phases: Sequence[Phase] | None = None,
    phase_indexes: Sequence[int] | None = None,
    workers: int | None = 1,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Results:
    """Simulate the baseline and every phase of a scenario (SPEC §10-§11).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`meshsim.load_scenario`).
    phases : sequence of Phase, optional
        Phases to apply instead of ``scenario.rollout.phases``.
    phase_indexes : sequence of int, optional
        Only these phases (0 = baseline).
    workers, on_progress, should_stop
        As for :func:`run_many`.

    Returns
    -------
    Results
        The results document of SPEC §12.1.

    Examples
    --------
    >>> from meshsim import parse_scenario
    >>> s = parse_scenario('''
    ... services: [{name: a, serviceTime: 1ms}]
    ... entrypoints: [{name: w, service: a, rate: 50/s}]
    ... simulation: {duration: 2s, warmup: 0s, replications: 1}''')
    >>> run_scenario(s).phases[0].entrypoints["w"].success_rate
    1.0
    """
    request = RunRequest(
        scenario,
        None if phases is None else tuple(phases),
        None if phase_indexes is None else tuple(phase_indexes),
    )
    return run_many([request], workers=workers, on_progress=on_progress, should_stop=should_stop)[0]


def results_json(results: Results | Any) -> str:
    """The results document as JSON text (camelCase keys)."""
    return results.model_dump_json(by_alias=True, indent=2)
