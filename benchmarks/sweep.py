"""Sweep speed: a 16-point sweep (4 x 4) of the retry-storm sample, timed end to end.

Usage: ``python benchmarks/sweep.py [--phase NAME] [--workers N] [--executor KIND]``.
The default sweeps the cure phase's retry policy next to the failure
(``rollout.phases[cure].policies[inventory].retries``: perTryTimeout x attempts): both
parameters lie under ``rollout.``, so the 16 points share one compiled model. Prints the
wall time, the jobs simulated and the best point.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meshsim.planning.sweep import parse_param, sweep  # noqa: E402
from meshsim.sim.executors import executor_for  # noqa: E402

POLICY = "rollout.phases[cure].policies[inventory].retries"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phase", default="cure")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--executor", default="processes")
    parser.add_argument(
        "--param",
        action="append",
        default=None,
        help=f"default: {POLICY}.perTryTimeout=10ms..1s:4 and {POLICY}.attempts=0..3:4",
    )
    args = parser.parse_args()
    params = args.param or [f"{POLICY}.perTryTimeout=10ms..1s:4", f"{POLICY}.attempts=0..3:4"]
    path = ROOT / "samples" / "retry-storm.yaml"
    started = time.perf_counter()
    with executor_for(args.executor, workers=args.workers) as executor:
        result = sweep(
            path.read_text(),
            str(path),
            [parse_param(p) for p in params],
            phase=args.phase,
            workers=args.workers,
            executor=executor,
        )
    elapsed = time.perf_counter() - started
    cpu = _one_job_cpu(path, args.phase)
    jobs = len(result.points) * result.replications
    print(f"{len(result.points)} points x {result.replications} replications = {jobs} jobs")
    print(
        f"wall time {elapsed:.1f} s on {args.workers or os.cpu_count()} worker(s), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"one job takes {cpu:.2f} s of CPU: {jobs} jobs need about {cpu * jobs:.0f} CPU-s, "
        f"about {cpu * jobs / 2:.0f} s of wall time on 2 idle cores"
    )
    print(f"best: {result.best.values} - {result.best.why}")


def _one_job_cpu(path: Path, phase: str) -> float:
    """CPU seconds of one job (the phase, replication 0) in this process."""
    from meshsim import load_scenario
    from meshsim.rollout.state import resolve_phase
    from meshsim.sim.compile import compile_phases
    from meshsim.sim.engine import simulate
    from meshsim.sim.model import Model

    scenario = load_scenario(path)
    plan = compile_phases(scenario)[resolve_phase(scenario, phase)]
    model = Model(scenario)
    started = time.process_time()
    simulate(model, plan, 0)
    return time.process_time() - started


if __name__ == "__main__":
    main()
