"""Engine speed: service visits per second of meshsim vs raw SimPy M/M/1, same run.

Usage: ``python benchmarks/engine.py [SCENARIO] [--phase INDEX]``.
A *visit* is one attempt that reaches a service replica. Raw SimPy's M/M/1 does the
least work a visit can cost in SimPy (arrival, queue, service, release), so the ratio
says how much meshsim's mesh semantics cost on top of the bare event loop.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meshsim import load_scenario  # noqa: E402
from meshsim.sim.compile import compile_phases  # noqa: E402
from meshsim.sim.engine import simulate  # noqa: E402
from meshsim.sim.model import Model  # noqa: E402


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


def meshsim_visits(path: Path, phase: int | None) -> tuple[float, int, str]:
    """Visits per second of one full meshsim phase run (replication 0)."""
    scenario = load_scenario(path)
    model = Model(scenario)
    plans = compile_phases(scenario)
    plan = plans[len(plans) - 1 if phase is None else phase]
    start = time.perf_counter()
    rec = simulate(model, plan, 0)
    elapsed = time.perf_counter() - start
    visits = _visits(rec)
    return visits / elapsed, visits, plan.name


def _visits(rec) -> int:
    # attempts that reached a replica = attempts minus those rejected before it
    return sum(rec.svc_attempts) - sum(rec.svc_rejected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "samples/online-boutique.yaml"))
    parser.add_argument("--phase", type=int, default=None, help="phase index (default: last)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    args = parser.parse_args()
    ours, raw = [], []
    for _ in range(args.rounds):  # alternate so both see the same machine load
        rate, visits, name = meshsim_visits(Path(args.scenario), args.phase)
        ours.append(rate)
        raw.append(raw_simpy_mm1(max(visits, 100_000)))
    best, best_raw = max(ours), max(raw)
    print(
        f"meshsim  {Path(args.scenario).name} phase {name!r}: {visits} visits, "
        f"{best:,.0f} visits/s (best of {args.rounds})"
    )
    print(f"raw SimPy M/M/1:                       {best_raw:,.0f} visits/s")
    print(f"ratio meshsim / raw SimPy:             {best / best_raw:.2f}  (goal >= 0.25)")


if __name__ == "__main__":
    main()
