"""Engine speed: service visits per second of meshsim next to SimPy and Ciw, same run.

Usage: ``python benchmarks/engine.py [SCENARIO] [--phase INDEX] [--rounds N] [--no-commands]
[--quick]`` (``--quick``: the scenario and raw SimPy only)

A *visit* is one attempt that reaches a service replica. Every figure counts every
visit it simulated against the time that simulated it: the meshsim scenarios run with
``warmup: 0`` (so no visit happens outside the measured window) and the clock covers
the whole run, drain included. Printed side by side, measured alternately in the same
process so all see the same machine load (best of N rounds):

- meshsim on the scenario (default Online Boutique, last phase: every service meshed);
- raw SimPy M/M/1: the least a visit can cost in SimPy (arrival, queue, service);
- the same chain in meshsim and in a minimal SimPy model (a chain of meshed replicas,
  delays folded into one timeout, no event when a worker is free): what the mesh
  semantics cost over the smallest faithful SimPy program of the same work;
- Ciw (if installed: ``pip install ciw``) on the same chain as a tandem queue network;
- meshsim on a 1,000-service deep graph, run right after the scenario in every round
  and for as long in simulated time (issue #12: at least 80% of Online Boutique's
  visits/s). The machine's speed drifts
  by up to ±30% over seconds on a shared host, so besides best against best it prints
  the median of the rounds' own ratios, each taken from two runs a second apart (see
  docs/model.md, *Performance*);
- meshsim on a chain of 200 meshed services, each calling the next: what a visit costs
  when requests nest 200 calls deep (a production graph's call cycle does);
- the whole-command wall times of ``meshsim run`` and ``meshsim compare`` on Online
  Boutique (imports, compilation, worker processes and output included).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meshsim.files.scenario import load_scenario  # noqa: E402
from meshsim.sim.compile import compile_phases  # noqa: E402
from meshsim.sim.engine import simulate  # noqa: E402
from meshsim.sim.model import Model  # noqa: E402
from models import Scenario  # noqa: E402

CHAIN_DEPTH = 5
CHAIN_RATE = 200.0  # requests/s into the chain's head
CHAIN_MEAN_S = 0.002  # mean service time of every link (exponential)
CHAIN_REPLICAS = 2
CHAIN_CONCURRENCY = 4
PROXY_S = 0.0003  # the folded per-hop delay of the minimal model (sidecars + network)


def raw_simpy_mm1(visits: int, rho: float = 0.7, seed: int = 1) -> float:
    """Visits per second of a minimal SimPy M/M/1 (Poisson arrivals, one server)."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    rng = random.Random(seed)
    done = [0]

    def customer():
        with server.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0))
        done[0] += 1

    def source():
        for _ in range(visits):
            yield env.timeout(rng.expovariate(rho))
            env.process(customer())

    env.process(source())
    start = time.perf_counter()
    env.run()
    return done[0] / (time.perf_counter() - start)


def minimal_chain(duration: float, seed: int = 1) -> float:
    """Visits per second of the smallest SimPy program of the chain's work.

    Each request walks the chain depth-first (a synchronous call waits for its callee),
    holding a worker slot of a random replica while it works; a free slot costs no
    event (a counter, not a Resource), a busy one queues on a plain event.
    """
    env = simpy.Environment()
    rng = random.Random(seed)
    free = [[CHAIN_CONCURRENCY] * CHAIN_REPLICAS for _ in range(CHAIN_DEPTH)]
    waiting: list[list[list[simpy.Event]]] = [
        [[] for _ in range(CHAIN_REPLICAS)] for _ in range(CHAIN_DEPTH)
    ]
    visits = [0]

    def visit(level: int):
        replica = rng.randrange(CHAIN_REPLICAS)
        if free[level][replica]:
            free[level][replica] -= 1
        else:
            turn = env.event()
            waiting[level][replica].append(turn)
            yield turn
        visits[0] += 1
        yield env.timeout(PROXY_S + rng.expovariate(1 / CHAIN_MEAN_S))
        if level + 1 < CHAIN_DEPTH:
            yield from visit(level + 1)
        if waiting[level][replica]:
            waiting[level][replica].pop(0).succeed()
        else:
            free[level][replica] += 1

    def source():
        while env.now < duration:
            yield env.timeout(rng.expovariate(CHAIN_RATE))
            env.process(visit(0))

    env.process(source())
    start = time.perf_counter()
    env.run()
    return visits[0] / (time.perf_counter() - start)


def ciw_chain(duration: float, seed: int = 1) -> float | None:
    """Visits per second of Ciw on the chain as a tandem network (None without Ciw)."""
    try:
        import ciw
    except ImportError:
        return None
    servers = CHAIN_REPLICAS * CHAIN_CONCURRENCY
    routing = [[1.0 if j == i + 1 else 0.0 for j in range(CHAIN_DEPTH)] for i in range(CHAIN_DEPTH)]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(CHAIN_RATE)] + [None] * (CHAIN_DEPTH - 1),
        service_distributions=[ciw.dists.Exponential(1 / CHAIN_MEAN_S)] * CHAIN_DEPTH,
        routing=routing,
        number_of_servers=[servers] * CHAIN_DEPTH,
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    start = time.perf_counter()
    sim.simulate_until_max_time(duration)
    elapsed = time.perf_counter() - start
    return len(sim.get_all_records()) / elapsed


def chain_scenario(duration: float) -> Scenario:
    """The chain in meshsim: every link meshed in the last phase, no retries firing."""
    names = [f"s{i}" for i in range(CHAIN_DEPTH)]
    services = [
        {
            "name": n,
            "replicas": CHAIN_REPLICAS,
            "concurrency": CHAIN_CONCURRENCY,
            "serviceTime": {"dist": "exponential", "mean": f"{CHAIN_MEAN_S * 1000}ms"},
            "calls": [{"to": names[i + 1]}] if i + 1 < CHAIN_DEPTH else [],
        }
        for i, n in enumerate(names)
    ]
    return Scenario.model_validate(
        {
            "services": services,
            "entrypoints": [{"name": "web", "service": "s0", "rate": f"{CHAIN_RATE}/s"}],
            "rollout": {"phases": [{"name": "all", "services": names}]},
            "simulation": {"duration": f"{duration}s", "warmup": "0s", "replications": 1},
        }
    )


def deep_graph(count: int = 1000, fanout: int = 3, duration: float = 10.0) -> Scenario:
    """A 1,000-service graph: a tree of depth ~6, each service calling up to 3 children.

    Its links are made at their first visit, about 70 ms for the graph in a run (5,000
    random streams, 1,900 sidecar views): 15-25% of a 10-second run, 5-8% of a 30-second
    one. The benchmark runs it for the compared scenario's own duration.
    """
    services = []
    for i in range(count):
        children = [c for c in range(i * fanout + 1, i * fanout + fanout + 1) if c < count]
        services.append(
            {
                "name": f"svc-{i:04d}",
                "replicas": 2,
                "serviceTime": {"dist": "lognormal", "median": "1ms", "p99": "5ms"},
                "calls": [{"to": f"svc-{c:04d}", "probability": 0.4} for c in children],
            }
        )
    names = [s["name"] for s in services]
    return Scenario.model_validate(
        {
            "services": services,
            "entrypoints": [{"name": "web", "service": "svc-0000", "rate": "100/s"}],
            "rollout": {"phases": [{"name": "all", "services": names}]},
            "simulation": {"duration": f"{duration}s", "warmup": "0s", "replications": 1},
        }
    )


def deep_chain(levels: int = 200, duration: float = 10.0) -> Scenario:
    """A chain of ``levels`` meshed services, each calling the next: nesting, not size.

    The entry rate keeps about 4,000 visits/s whatever the depth, so its visits/s sits
    next to Online Boutique's as the cost of a visit 200 calls deep.
    """
    services = [
        {
            "name": f"s{i}",
            "replicas": 2,
            "concurrency": 64,
            "concurrencyModel": "async",
            "serviceTime": {"dist": "exponential", "mean": "1ms"},
            "calls": [{"to": f"s{i + 1}"}] if i + 1 < levels else [],
        }
        for i in range(levels)
    ]
    names = [s["name"] for s in services]
    return Scenario.model_validate(
        {
            "services": services,
            "entrypoints": [{"name": "web", "service": "s0", "rate": f"{4000 / levels}/s"}],
            "rollout": {"phases": [{"name": "all", "services": names}]},
            "simulation": {
                "duration": f"{duration}s",
                "warmup": "0s",
                "replications": 1,
                "maxDepth": levels,
            },
        }
    )


def no_warmup(scenario: Scenario) -> Scenario:
    """The scenario with ``warmup: 0``: every simulated visit is in the measured window."""
    sim = scenario.simulation.model_copy(update={"warmup": 0.0})
    return scenario.model_copy(update={"simulation": sim})


def meshsim_visits(scenario: Scenario, phase: int | None) -> tuple[float, int, str]:
    """Visits per second of one full meshsim phase run (replication 0), drain included."""
    model = Model(scenario)
    plans = compile_phases(scenario)
    plan = plans[len(plans) - 1 if phase is None else phase]
    start = time.perf_counter()
    rec = simulate(model, plan, 0)
    elapsed = time.perf_counter() - start
    visits = sum(rec.svc_attempts) - sum(rec.svc_rejected)  # attempts that reached a replica
    return visits / elapsed, visits, plan.name


def command_seconds(*args: str) -> float:
    """Wall-clock seconds of one ``meshsim`` command, as a user starts it."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "meshsim", *args],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "samples/online-boutique.yaml"))
    parser.add_argument("--phase", type=int, default=None, help="phase index (default: last)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; best counts")
    parser.add_argument("--no-commands", action="store_true", help="skip the whole-command timings")
    parser.add_argument(
        "--quick", action="store_true", help="only the scenario and raw SimPy (a smoke test)"
    )
    args = parser.parse_args()
    scenario = no_warmup(load_scenario(args.scenario))
    chain_duration = 20.0
    chain = chain_scenario(chain_duration)
    # the same simulated time as the scenario it is compared with (Online Boutique: 30 s)
    deep = deep_graph(duration=scenario.simulation.duration)
    nested = deep_chain()
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    ratios: list[float] = []  # deep / scenario, each from two back-to-back runs

    def keep(key: str, value: float | None) -> None:
        if value is not None:
            best[key] = max(best.get(key, 0.0), value)

    for _ in range(args.rounds):  # alternate so all see the same machine load
        rate, counts["ours"], name = meshsim_visits(scenario, args.phase)
        keep("ours", rate)
        if not args.quick:
            deep_rate, counts["deep"], _ = meshsim_visits(deep, None)
            keep("deep", deep_rate)
            ratios.append(deep_rate / rate)
        keep("raw", raw_simpy_mm1(max(counts["ours"], 100_000)))
        if args.quick:
            continue
        rate, counts["chain"], _ = meshsim_visits(chain, None)
        keep("chain", rate)
        keep("minimal", minimal_chain(chain_duration))
        keep("ciw", ciw_chain(chain_duration))
        rate, counts["nested"], _ = meshsim_visits(nested, None)
        keep("nested", rate)
    ours = best["ours"]
    print(f"visits/s, best of {args.rounds} alternating rounds (warm-up 0, drain timed)")
    print(
        f"  meshsim {Path(args.scenario).name} phase {name!r:<14} {ours:>10,.0f}"
        f"  ({counts['ours']:,} visits)"
    )
    print(
        f"  raw SimPy M/M/1                        {best['raw']:>10,.0f}"
        f"  meshsim / raw = {ours / best['raw']:.2f}"
    )
    if args.quick:
        return
    print(
        f"  meshsim chain of {CHAIN_DEPTH} meshed services         {best['chain']:>10,.0f}"
        f"  ({counts['chain']:,} visits)"
    )
    print(
        f"  minimal SimPy chain                    {best['minimal']:>10,.0f}"
        f"  meshsim / minimal = {best['chain'] / best['minimal']:.2f}"
    )
    if "ciw" in best:
        print(
            f"  Ciw tandem network                     {best['ciw']:>10,.0f}"
            f"  meshsim / Ciw = {best['chain'] / best['ciw']:.2f}"
        )
    else:
        print("  Ciw tandem network                     (not installed: pip install ciw)")
    print(
        f"  meshsim 1,000-service deep graph       {best['deep']:>10,.0f}"
        f"  ({counts['deep']:,} visits; {best['deep'] / ours:.0%} of "
        f"{Path(args.scenario).stem}, goal >= 80%)"
    )
    print(
        f"    deep / {Path(args.scenario).stem}, each round's back-to-back pair: median "
        f"{statistics.median(ratios):.0%} (rounds: {', '.join(f'{r:.0%}' for r in ratios)})"
    )
    print(
        f"  meshsim chain 200 calls deep           {best['nested']:>10,.0f}"
        f"  ({counts['nested']:,} visits; {best['nested'] / ours:.0%} of "
        f"{Path(args.scenario).stem})"
    )
    if not args.no_commands:
        sample = str(ROOT / "samples/online-boutique.yaml")
        print("whole commands on Online Boutique (wall-clock s, imports and workers included)")
        print(f"  meshsim validate   {command_seconds('validate', sample):6.2f}")
        print(f"  meshsim run        {command_seconds('run', sample, '--quiet'):6.2f}")
        print(f"  meshsim compare    {command_seconds('compare', sample, '--quiet'):6.2f}")


if __name__ == "__main__":
    main()
