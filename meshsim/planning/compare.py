"""``compare``: simulate candidate orderings on the same random numbers and rank them.

The orderings are the document's named orderings (SPEC §7.3) plus the requested
strategies (SPEC §7.2). Every plan is simulated with :func:`meshsim.sim.runner.run_many`
in one batch (common random numbers, so differences between plans are paired).
``optimized`` then searches from every other plan (:mod:`meshsim.planning.search`),
simulates its best few candidates and keeps the best of candidates and seeds. One
:class:`~meshsim.sim.runner.JobCache` spans the batches, so each distinct mesh state
(the shared baseline, the all-meshed last phase, a candidate equal to a seed) is
simulated once per replication.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from meshsim.errors import SimulationCancelled, SimulationError
from meshsim.planning.beyond import apply_options
from meshsim.planning.explain import verdict
from meshsim.planning.scoring import Scorer, paired_delta, rank, ranking_key
from meshsim.planning.search import Estimator, search
from meshsim.planning.strategies import GENERATED, Groups, build_phases, generate, groups_of
from meshsim.sim.runner import JobCache, RunRequest, run_many
from models import STRATEGIES, Ordering, Phase, Scenario
from models.results import CompareResults, OrderingResult, PhaseResult

__all__ = ["DEFAULT_MAX_REPLICATIONS", "compare", "plan_orderings"]

DEFAULT_MAX_REPLICATIONS = 8
"""Default budget of replications per leading ordering (2 cores: about a minute more each)."""


@dataclass
class _Plan:
    """One ordering to compare; ``phases`` is None for ``optimized`` until searched."""

    name: str
    strategy: str
    phase_count: int
    phases: list[Phase] | None
    shown: bool = True
    results: list[PhaseResult] = field(default_factory=list)
    replicated: list[list[PhaseResult]] = field(default_factory=list)


def _check_strategies(scenario: Scenario, strategies: Sequence[str]) -> list[str]:
    for name in strategies:
        if name not in STRATEGIES:
            raise SimulationError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
        if name == "as-written" and not scenario.rollout.phases:
            raise SimulationError("strategy 'as-written' needs rollout.phases in the scenario")
    return list(dict.fromkeys(strategies))


def plan_orderings(
    scenario: Scenario, strategies: Sequence[str] | None = None, phase_count: int = 4
) -> list[tuple[str, str, list[Phase] | None]]:
    """The orderings ``compare`` would simulate: ``(name, strategy, phases)``.

    Named orderings come first; then each requested strategy, named after it (or
    ``<strategy>-generated`` when a named ordering already has that name but is a
    different plan). ``phases`` is None for ``optimized`` (found by search).

    Raises
    ------
    SimulationError
        For an unknown strategy, ``as-written`` without rollout.phases, or K < 1.
    """
    return [(p.name, p.strategy, p.phases) for p in _plans(scenario, strategies, phase_count)]


def _plans(scenario: Scenario, strategies: Sequence[str] | None, k: int) -> list[_Plan]:
    if k < 1:
        raise SimulationError(f"phase count must be at least 1 (got {k})")
    if strategies is None:
        strategies = [s for s in STRATEGIES if s != "as-written" or scenario.rollout.phases]
    plans = []
    for o in scenario.orderings:
        count = o.phase_count or (len(o.phases) if o.phases is not None else k)
        strategy = "named" if o.phases is not None else str(o.strategy)
        phases = None if strategy == "optimized" else _phases_of(scenario, strategy, o, count)
        plans.append(_Plan(o.name, strategy, count, phases))
    for strategy in _check_strategies(scenario, strategies):
        count = len(scenario.rollout.phases) if strategy == "as-written" else k
        same = [p for p in plans if p.name == strategy]
        if same and same[0].strategy == strategy and same[0].phase_count == count:
            continue
        name = f"{strategy}-generated" if same else strategy
        phases = None if strategy == "optimized" else generate(scenario, strategy, count)
        plans.append(_Plan(name, strategy, count, phases))
    return plans


def _phases_of(scenario: Scenario, strategy: str, ordering: Ordering, count: int) -> list[Phase]:
    if ordering.phases is not None:
        return list(ordering.phases)
    return apply_options(scenario, generate(scenario, strategy, count), ordering)


def _add_seeds(scenario: Scenario, plans: list[_Plan]) -> None:
    """Make sure every strategy an ``optimized`` plan starts from gets simulated.

    A seed equal to a plan already there costs no simulation (the job cache has it)
    and, coming later, loses ties to it.
    """
    shown = {(p.strategy, p.phase_count) for p in plans if p.phases is not None}
    for count in sorted({p.phase_count for p in plans if p.strategy == "optimized"}):
        extra = [*GENERATED] + (["as-written"] if scenario.rollout.phases else [])
        for strategy in extra:
            if (strategy, count) not in shown:
                phases = generate(scenario, strategy, count)
                plans.append(_Plan(f"{strategy}-seed-{count}", strategy, count, phases, False))


@dataclass(frozen=True)
class _Run:
    """How to simulate: shared by the batches of one comparison."""

    workers: int | None
    should_stop: Callable[[], bool] | None
    progress: _Progress
    estimator: Estimator
    executor: Executor | None = None  # SPEC §19: None = the local runner
    cache: JobCache = field(default_factory=JobCache)  # shared by the batches


class _Progress:
    """One progress fraction over several batches of jobs."""

    def __init__(self, callback: Callable[[float], None] | None, total_jobs: int) -> None:
        self.callback = callback
        self.total = max(1, total_jobs)
        self.done = 0

    def batch(self, jobs: int) -> Callable[[float], None] | None:
        if self.callback is None:
            return None
        start, callback = self.done, self.callback
        self.done += jobs
        return lambda f: callback(min(1.0, (start + f * jobs) / self.total))


def _simulate(
    scenario: Scenario, plans: list[_Plan], baseline: PhaseResult | None, run: _Run
) -> PhaseResult:
    """Simulate ``plans`` (and the baseline if not given) in one batch; fill ``results``."""
    requests = []
    for p in plans:
        phases = tuple(p.phases or ())
        requests.append(RunRequest(scenario, phases, tuple(range(1, len(phases) + 1)), p.name))
    if baseline is None:
        requests.append(RunRequest(scenario, (), (0,), label="baseline"))
    jobs = sum(len(r.phase_indexes or ()) for r in requests) * scenario.simulation.replications
    results = run_many(
        requests,
        workers=run.workers,
        should_stop=run.should_stop,
        on_progress=run.progress.batch(jobs),
        cache=run.cache,
        executor=run.executor,
    )
    baseline = baseline or results[-1].phases[0]
    for p, simulated in zip(plans, results[: len(plans)], strict=True):
        p.results = [baseline, *simulated.phases]
    return baseline


def _optimize(
    scenario: Scenario, plan: _Plan, plans: list[_Plan], baseline: PhaseResult, run: _Run
) -> None:
    """Search from every complete simulated plan, simulate the best candidates, keep the best."""
    names = {s.name for s in scenario.services}
    seeds = [p for p in plans if p.phases is not None and p.results]
    complete = [groups_of(scenario, p.phases or []) for p in seeds]
    complete = [g for g in complete if {n for grp in g for n in grp} == names]
    found: list[Groups] = search(scenario, complete, estimator=run.estimator)
    candidates = []
    for groups in found:
        phases = build_phases(scenario, groups)
        candidates.append(_Plan(plan.name, "optimized", len(phases), phases, False))
    if candidates:
        _simulate(scenario, candidates, baseline, run)
    pool = [*seeds, *candidates]
    keys = [str(i) for i in range(len(pool))]
    _replicate(scenario, pool, scenario.simulation.replications, run)
    scorer = Scorer(
        scenario,
        {k: c.replicated for k, c in zip(keys, pool, strict=True)},
        {k: c.results for k, c in zip(keys, pool, strict=True)},
    )
    # the constraints are hard limits for optimized: a plan that keeps them always wins
    scores = [scorer.score(k) for k in keys]
    best = min(range(len(pool)), key=lambda i: (bool(scores[i].violations), ranking_key(scores[i])))
    chosen = pool[best]
    plan.phases, plan.results, plan.replicated = chosen.phases, chosen.results, chosen.replicated


def _replicate(scenario: Scenario, plans: Sequence[_Plan], count: int, run: _Run) -> None:
    """Give each plan its first ``count`` replications, one by one and averaged.

    Fills ``replicated`` (per replication: baseline, phases 1..K) and ``results`` (the
    means). Replications already simulated come from the job cache (every plan's
    baseline and shared phases included); new ones are simulated in one batch.
    """
    requests = []
    for p in plans:
        phases = tuple(p.phases or ())
        indexes = tuple(range(len(phases) + 1))
        requests += [RunRequest(scenario, phases, indexes, p.name, (r,)) for r in range(count)]
        requests.append(RunRequest(scenario, phases, indexes, p.name, tuple(range(count))))
    results = iter(
        run_many(
            requests,
            workers=run.workers,
            should_stop=run.should_stop,
            cache=run.cache,
            executor=run.executor,
        )
    )
    for p in plans:
        p.replicated = [next(results).phases for _ in range(count)]
        p.results = next(results).phases


def _score(scenario: Scenario, plans: Sequence[_Plan]) -> tuple[Scorer, list[str]]:
    """Score ``plans`` together; their names ranked, best first."""
    scorer = Scorer(
        scenario,
        {p.name: p.replicated for p in plans},
        {p.name: p.results for p in plans},
    )
    names = sorted((p.name for p in plans), key=lambda n: ranking_key(scorer.score(n), n))
    return scorer, names


def _tied(scorer: Scorer, best: str, other: str) -> tuple[float, float, bool]:
    """(score difference vs the best, its 95% half-width, whether the interval holds 0).

    An ordering ranked after the best for a hard limit (constraint, breakage, SLO) is
    never tied with it, whatever the points.
    """
    delta, half = paired_delta(scorer.scores(other), scorer.scores(best))
    failing = ranking_key(scorer.score(other))[0] != ranking_key(scorer.score(best))[0]
    return delta, half, not failing and abs(delta) <= half + 1e-9


def compare(
    scenario: Scenario,
    *,
    strategies: Sequence[str] | None = None,
    phase_count: int = 4,
    workers: int | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    max_replications: int | None = None,
    executor: Executor | None = None,
) -> CompareResults:
    """Simulate and rank rollout orderings (SPEC §7.2-§7.3, §11.5).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    strategies : sequence of str, optional
        Strategies to generate besides the named orderings; default all six
        (``as-written`` only when the scenario has ``rollout.phases``).
    phase_count : int
        K for generated strategies without their own ``phaseCount``.
    workers : int, optional
        Processes; None = all cores, 1 = serial (same results either way).
    on_progress : callable, optional
        Called with the fraction done.
    should_stop : callable, optional
        Polled while simulating; True raises :class:`~meshsim.errors.SimulationCancelled`.
    max_replications : int, optional
        Adaptive replications: while the best ordering is not ahead of every other with
        95% confidence, the best and the orderings tied with it get one more replication
        each, up to this many (None: no more than ``simulation.replications``).
    executor : concurrent.futures.Executor, optional
        Where the jobs run (SPEC §19, e.g. a Dask client's executor); None = the
        local runner. Results are identical either way.

    Returns
    -------
    CompareResults
        Every ordering with its phases, score and paired difference to the best; the
        ranking (best first); the replications each got; whether the best is separated;
        the weights in force and the verdict.
    """
    plans = _plans(scenario, strategies, phase_count)
    optimized = [p for p in plans if p.strategy == "optimized"]
    if optimized:
        _add_seeds(scenario, plans)
    fixed = [p for p in plans if p.phases is not None]
    if not fixed:
        raise SimulationError("nothing to compare: no named ordering and no strategy")
    # an estimate: jobs the cache finds already simulated make progress jump ahead
    jobs = 1 + sum(len(p.phases or []) for p in fixed) + sum(2 * p.phase_count for p in optimized)
    progress = _Progress(on_progress, jobs * scenario.simulation.replications)
    run = _Run(workers, should_stop, progress, Estimator(scenario), executor=executor)
    baseline = _simulate(scenario, fixed, None, run)
    for plan in optimized:
        if should_stop is not None and should_stop():
            raise SimulationCancelled("comparison cancelled")
        _optimize(scenario, plan, plans, baseline, run)
    shown = [p for p in plans if p.shown]
    base_reps = scenario.simulation.replications
    _replicate(scenario, shown, base_reps, run)
    scorer, names = _score(scenario, shown)
    counts = {p.name: base_reps for p in shown}
    budget = max(base_reps, max_replications or base_reps)
    by_name = {p.name: p for p in shown}
    while True:
        # a plan that scores exactly as the best in every replication is the same plan
        # in effect (e.g. optimized = its best seed): more replications cannot separate it
        tied = [
            n
            for n in names[1:]
            if _tied(scorer, names[0], n)[2] and scorer.scores(n) != scorer.scores(names[0])
        ]
        if not tied or counts[names[0]] >= budget:
            break
        if should_stop is not None and should_stop():
            raise SimulationCancelled("comparison cancelled")
        leaders = [by_name[n] for n in [names[0], *tied] if counts[n] < budget]
        more = min(counts[p.name] for p in leaders) + 1
        leaders = [p for p in leaders if counts[p.name] < more]
        _replicate(scenario, leaders, more, run)
        for p in leaders:
            counts[p.name] = more
        scorer, names = _score(scenario, shown)
    if on_progress is not None:
        on_progress(1.0)
    best = names[0]
    results = []
    for p in shown:
        delta, half, tie = _tied(scorer, best, p.name)
        score = scorer.score(p.name).model_copy(
            update={
                "delta_vs_best": 0.0 if p.name == best else round(delta, 6),
                "delta_ci95": round(half, 6),
                "tied_with_best": True if p.name == best else tie,
            }
        )
        results.append(
            OrderingResult(
                name=p.name,
                strategy=p.strategy,
                phases=p.results,
                score=score,
                plan=[
                    ph.model_dump(mode="json", by_alias=True, exclude_defaults=True)
                    for ph in p.phases or []
                ],
            )
        )
    ranked = rank(results)
    doc = CompareResults(
        orderings=results,
        ranking=ranked,
        replications=counts,
        separated=not any(o.score.tied_with_best for o in results if o.name != best),
        weights=scorer.effective_weights(),
    )
    return doc.model_copy(update={"verdict": verdict(scenario, doc)})
