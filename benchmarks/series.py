"""Cost of the time series (SPEC §14): the engine with series off and on, side by side.

Usage: ``python benchmarks/series.py [SCENARIO] [--phase INDEX] [--width 1s] [--rounds 3]``.

Off, on and raw SimPy's M/M/1 run alternately in the same process, so they see the same
machine load; the best round of each counts. Visits are counted as in
``benchmarks/engine.py`` (warm-up 0, drain timed), per second of the process's CPU
time. Besides the scenario (default Online Boutique, last phase) the 1,000-service deep
graph of ``engine.py`` is measured too. The goal: series on costs at most 15% (issue #13).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from engine import deep_graph, no_warmup, raw_simpy_mm1  # noqa: E402

from meshsim.files.scenario import load_scenario  # noqa: E402
from meshsim.sim.compile import compile_phases  # noqa: E402
from meshsim.sim.engine import simulate  # noqa: E402
from meshsim.sim.model import Model  # noqa: E402
from models import Scenario, parse_duration  # noqa: E402


def visits_per_cpu_s(scenario: Scenario, phase: int | None) -> tuple[float, int]:
    """Visits per second of CPU time of one phase run (replication 0), drain included.

    CPU time of this process, not wall time: on a machine shared with other work the
    wall clock measures the neighbours as much as the engine.
    """
    model = Model(scenario)
    plans = compile_phases(scenario)
    plan = plans[len(plans) - 1 if phase is None else phase]
    start = time.process_time()
    rec = simulate(model, plan, 0)
    elapsed = time.process_time() - start
    visits = sum(rec.svc_attempts) - sum(rec.svc_rejected)  # attempts that reached a replica
    return visits / elapsed, visits


def with_width(scenario: Scenario, width: float | None) -> Scenario:
    """The scenario with ``simulation.series`` set to ``width`` (None = off)."""
    sim = scenario.simulation.model_copy(update={"series": width})
    return scenario.model_copy(update={"simulation": sim})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "samples/online-boutique.yaml"))
    parser.add_argument("--phase", type=int, default=None, help="phase index (default: last)")
    parser.add_argument("--width", default="1s", help="bucket width (default 1s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    args = parser.parse_args()
    width = parse_duration(args.width)
    cases = {
        Path(args.scenario).name: (no_warmup(load_scenario(args.scenario)), args.phase),
        "1,000-service deep graph": (deep_graph(), None),
    }
    best: dict[tuple[str, str], float] = {}
    raw = 0.0
    visits: dict[str, int] = {}
    for _ in range(args.rounds):  # alternate so all see the same machine load
        for label, (scenario, phase) in cases.items():
            for mode, w in (("off", None), ("on", width)):
                rate, visits[label] = visits_per_cpu_s(with_width(scenario, w), phase)
                best[(label, mode)] = max(best.get((label, mode), 0.0), rate)
        start = time.process_time()
        raw_simpy_mm1(100_000)
        raw = max(raw, 100_000 / (time.process_time() - start))
    print(
        f"visits per CPU second, best of {args.rounds} alternating rounds; "
        f"series buckets of {args.width}"
    )
    for label in cases:
        off, on = best[(label, "off")], best[(label, "on")]
        print(f"  {label} ({visits[label]:,} visits)")
        print(f"    series off  {off:>10,.0f}  ({off / raw:.2f} x raw SimPy)")
        print(f"    series on   {on:>10,.0f}  ({on / raw:.2f} x raw SimPy)")
        print(f"    overhead    {100 * (1 - on / off):>9.1f}%  (goal <= 15%)")
    print(f"  raw SimPy M/M/1 {raw:>10,.0f}")


if __name__ == "__main__":
    main()
