"""Run phases × replications (× several plans) serially or on a process pool.

A job is one phase of one replication of a scenario: a pure function of its key
(:class:`JobCache`), so a parallel run gives exactly the serial run's results, and a
job whose key was already simulated is not simulated again. Each request is compiled
once in this process; the workers get the compiled model and phase plan, never the
scenario. Any :class:`concurrent.futures.Executor` can run the jobs (a process pool by
default; e.g. a Dask ``Client.get_executor()`` for a cluster) without touching the engine.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from meshsim.errors import SimulationCancelled, SimulationError
from meshsim.sim.compile import PhasePlan, compile_phases
from meshsim.sim.engine import simulate
from meshsim.sim.model import Model
from meshsim.sim.samples import PhaseSample, SeriesSample
from meshsim.sim.sizing import estimate_run
from meshsim.sim.stats import aggregate_phase, phase_metrics
from meshsim.version import __version__
from models import Phase, Scenario
from models.results import PhaseResult, Results

__all__ = ["JobCache", "RunRequest", "run_many", "run_scenario", "default_workers"]

JobKey = tuple[bytes, tuple, int]
"""(digest of the scenario without its plan, phase fingerprint, replication)."""


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
    baseline_verdicts : bool
        Judge entrypoints without a declared SLO against the baseline (``sloMet``,
        :func:`meshsim.sim.stats.slo_verdict`), simulating phase 0 too when it is not
        among ``phase_indexes`` (a job the cache shares with every other request on the
        same scenario). False leaves their ``sloMet`` null outside phase 0's run (blast
        radius, which never reads it, saves a simulation per outage).
    """

    scenario: Scenario
    phases: tuple[Phase, ...] | None = None
    phase_indexes: tuple[int, ...] | None = None
    label: str = ""
    replication_indexes: tuple[int, ...] | None = None
    baseline_verdicts: bool = True

    def replications(self) -> list[int]:
        """The replications to simulate (default all of ``simulation.replications``)."""
        if self.replication_indexes is None:
            return list(range(self.scenario.simulation.replications))
        return sorted(set(self.replication_indexes))


class _Job(NamedTuple):
    """What a worker needs to simulate one job: compiled, so it never compiles."""

    model: Model
    plan: PhasePlan
    replication: int


@dataclass(frozen=True)
class _Compiled:
    """A request compiled once: its model, plans, and the phases and replications wanted."""

    request: RunRequest
    model: Model
    plans: list[PhasePlan]
    digest: bytes
    phases: list[int]
    replications: list[int]
    simulated: list[int]
    """``phases``, and the baseline when it judges them (:attr:`RunRequest.baseline_verdicts`)."""

    def jobs(self) -> Iterator[tuple[int, JobKey, _Job]]:
        """Every (phase, replication) to simulate: phase index, key, job."""
        for phase in self.simulated:
            plan = self.plans[phase]
            fingerprint = plan.fingerprint()
            for rep in self.replications:
                yield phase, (self.digest, fingerprint, rep), _Job(self.model, plan, rep)


class JobCache:
    """Samples of simulated jobs by key: the one place identical simulations are found.

    Two jobs are identical when their scenarios differ at most in the plan (rollout,
    orderings, metadata), their compiled phases are equal (:meth:`PhasePlan.fingerprint`)
    and they are the same replication: with common random numbers they record the same
    (the baseline of every ordering, say, or the last phase of two orderings). Every
    run uses one (:func:`run_many` makes a fresh one unless given one); keeping it
    across batches, as ``compare`` does for its search candidates, simulates each job
    once over all of them.
    """

    def __init__(self) -> None:
        self._samples: dict[JobKey, PhaseSample] = {}

    def __len__(self) -> int:
        return len(self._samples)

    def __contains__(self, key: object) -> bool:
        return key in self._samples

    def __getitem__(self, key: JobKey) -> PhaseSample:
        return self._samples[key]

    def missing(self, compiled: Sequence[_Compiled]) -> dict[JobKey, _Job]:
        """The jobs of ``compiled`` still to simulate, each distinct key once, in order."""
        todo: dict[JobKey, _Job] = {}
        for request in compiled:
            for _phase, key, job in request.jobs():
                if key not in self._samples and key not in todo:
                    todo[key] = job
        return todo

    def add(self, samples: dict[JobKey, PhaseSample]) -> None:
        """Keep newly simulated samples."""
        self._samples.update(samples)


def default_workers() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1


def _simulate_job(job: _Job) -> PhaseSample:
    return phase_metrics(simulate(job.model, job.plan, job.replication))


def _indexes(request: RunRequest) -> list[int]:
    count = len(request.phases if request.phases is not None else request.scenario.rollout.phases)
    wanted = range(count + 1) if request.phase_indexes is None else request.phase_indexes
    for i in wanted:
        if not 0 <= i <= count:
            raise SimulationError(f"phase index {i} is out of range 0..{count}")
    return sorted(set(wanted))


def _compile(requests: Sequence[RunRequest]) -> list[_Compiled]:
    """Compile each request once; requests on the same scenario object share its model."""
    models: dict[int, tuple[Model, bytes]] = {}
    plans: dict[tuple, list[PhasePlan]] = {}
    out = []
    for request in requests:
        scenario = request.scenario
        if id(scenario) not in models:
            text = scenario.model_dump_json(exclude={"rollout", "orderings", "metadata"})
            digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
            models[id(scenario)] = (Model(scenario), digest)
        phases = None if request.phases is None else tuple(map(id, request.phases))
        if (id(scenario), phases) not in plans:
            given = None if request.phases is None else list(request.phases)
            plans[(id(scenario), phases)] = compile_phases(scenario, given)
        model, digest = models[id(scenario)]
        indexes = _indexes(request)
        judge = request.baseline_verdicts and needs_baseline(scenario, indexes)
        out.append(
            _Compiled(
                request,
                model,
                plans[(id(scenario), phases)],
                digest,
                indexes,
                request.replications(),
                [0, *indexes] if judge else indexes,
            )
        )
    return out


def needs_baseline(scenario: Scenario, indexes: Sequence[int]) -> bool:
    """Whether a run of phases ``indexes`` simulates the baseline too, to judge them.

    An entrypoint without a declared SLO is judged against the baseline (SPEC §11.1,
    :func:`meshsim.sim.stats.slo_verdict`); phase 0 is simulated when not asked for.
    """
    return 0 not in indexes and any(scenario.slo_of(e) is None for e in scenario.entrypoints)


SMALL_RUN_SECONDS = 1.5
"""Runs estimated under this many seconds in one process are simulated in this process:
starting a pool of worker processes would cost more than it saves."""

_PRELOAD = ["meshsim.sim.engine", "meshsim.sim.stats", "meshsim.sim.runner"]
"""Modules the fork server imports once, so each pool worker starts with the engine loaded."""


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_many(
    requests: Sequence[RunRequest],
    *,
    workers: int | None = 1,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    executor: Executor | None = None,
    cache: JobCache | None = None,
    on_series: Callable[[int, SeriesSample], None] | None = None,
) -> list[Results]:
    """Simulate every request's phases and replications; one :class:`Results` per request.

    Parameters
    ----------
    requests : sequence of RunRequest
        The plans. Every request uses the same random streams for the same
        replication (common random numbers), so differences between them are paired.
    workers : int, optional
        Processes to use; ``None`` = all cores, or this process alone when the jobs
        are estimated to take under :data:`SMALL_RUN_SECONDS`; 1 = in this process.
    on_progress : callable, optional
        Called with the fraction done, at most about 100 times.
    should_stop : callable, optional
        Polled between chunks; when it returns True the run raises
        :class:`~meshsim.errors.SimulationCancelled`.
    executor : concurrent.futures.Executor, optional
        Runs the jobs instead of a local process pool.
    cache : JobCache, optional
        Jobs already simulated (not simulated again); the new ones are added.
    on_series : callable, optional
        Streams the time series while it is recorded (SPEC §14): called with (phase
        index, the buckets completed so far) during replication 0 of each phase of a
        scenario with ``simulation.series``. Those jobs then run first, in this
        process; the results are the same (every job is a pure function of its model,
        plan and replication).
    """
    cache = JobCache() if cache is None else cache
    compiled = _compile(requests)
    todo = cache.missing(compiled)
    if on_series is not None:
        streamed = {k: j for k, j in todo.items() if j.replication == 0 and j.model.series_s}
        if streamed:
            share = len(streamed) / len(todo)
            part = None if on_progress is None else (lambda f: on_progress(f * share))
            cache.add(_run_serial(streamed, part, should_stop, on_series))
            todo = {k: j for k, j in todo.items() if k not in streamed}
            if on_progress is not None:
                outer = on_progress
                on_progress = lambda f: outer(share + f * (1 - share))  # noqa: E731
    if workers is None:
        workers = 1 if _serial_seconds(compiled, todo) < SMALL_RUN_SECONDS else default_workers()
    workers = max(1, workers)
    if executor is None and (workers == 1 or len(todo) <= 1):
        cache.add(_run_serial(todo, on_progress, should_stop))
    else:
        cache.add(_run_pool(todo, workers, executor, on_progress, should_stop))
    return [_results(c, cache) for c in compiled]


def _serial_seconds(compiled: Sequence[_Compiled], todo: dict[JobKey, _Job]) -> float:
    """Wall-clock seconds the jobs in ``todo`` would take in one process, roughly."""
    per_job: dict[int, float] = {}
    for c in compiled:
        if id(c.model) not in per_job:
            one = estimate_run(c.request.scenario, phases=1, replications=1)
            per_job[id(c.model)] = one.seconds
    return sum(per_job.get(id(job.model), 0.0) for job in todo.values())


def _run_serial(
    todo: dict[JobKey, _Job], on_progress, should_stop, on_series=None
) -> dict[JobKey, PhaseSample]:
    out: dict[JobKey, PhaseSample] = {}
    total = len(todo)
    for done, (key, job) in enumerate(todo.items()):

        def progress(frac: float, done: int = done) -> None:
            if on_progress is not None:
                on_progress((done + frac) / total)

        stream = None
        if on_series is not None:
            stream = partial(on_series, job.plan.index)
        out[key] = phase_metrics(
            simulate(job.model, job.plan, job.replication, progress, should_stop, stream)
        )
    return out


def _run_pool(
    todo: dict[JobKey, _Job], workers: int, executor: Executor | None, on_progress, should_stop
) -> dict[JobKey, PhaseSample]:
    own = executor is None
    if own:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_ignore_sigint
        )
    out: dict[JobKey, PhaseSample] = {}
    futures: dict[Future, JobKey] = {}
    try:
        for key, job in todo.items():
            futures[executor.submit(_simulate_job, job)] = key
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in finished:
                out[futures[future]] = future.result()
            if should_stop is not None and should_stop():
                raise SimulationCancelled("run cancelled")
            if on_progress is not None and finished:
                on_progress(len(out) / len(todo))
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


def _results(compiled: _Compiled, cache: JobCache) -> Results:
    scenario = compiled.request.scenario
    sim = scenario.simulation
    names = [s.name for s in scenario.services]
    slos = {}
    for e in scenario.entrypoints:
        slo = scenario.slo_of(e)
        slos[e.name] = (slo.latency_p99, slo.error_rate) if slo else (None, None)
    samples: dict[int, list[PhaseSample]] = {p: [] for p in compiled.simulated}
    for phase, key, _job in compiled.jobs():
        samples[phase].append(cache[key])
    out: dict[int, PhaseResult] = {}
    baseline = None  # phase 0 judges the phases of entrypoints without an SLO
    for phase in compiled.simulated:
        plan = compiled.plans[phase]
        out[phase] = aggregate_phase(
            samples[phase],
            index=phase,
            name=plan.name,
            meshed=[n for n, m in zip(names, plan.meshed, strict=True) if m],
            onboarded=[names[i] for i in plan.onboarded],
            slos=slos,
            onboarded_mask=sum(1 << i for i in plan.onboarded),
            baseline=baseline,
            authz=plan.authz is not None,
            canary=plan.canary,
            cost=(scenario.cost.vcpu_hour, scenario.cost.gib_hour) if scenario.cost else None,
        )
        if phase == 0:
            baseline = out[phase]
    return Results(
        meshsim_version=__version__,
        scenario=scenario.metadata.name,
        seed=sim.seed,
        replications=len(compiled.replications),
        duration_s=sim.duration,
        warmup_s=sim.warmup,
        phases=[out[p] for p in compiled.phases],
    )


def run_scenario(
    scenario: Scenario,
    *,
    phases: Sequence[Phase] | None = None,
    phase_indexes: Sequence[int] | None = None,
    workers: int | None = 1,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_series: Callable[[int, SeriesSample], None] | None = None,
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
    workers, on_progress, should_stop, on_series
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
    return run_many(
        [request],
        workers=workers,
        on_progress=on_progress,
        should_stop=should_stop,
        on_series=on_series,
    )[0]


def results_json(results: Results | Any) -> str:
    """The results document as JSON text (camelCase keys)."""
    return results.model_dump_json(by_alias=True, indent=2)
