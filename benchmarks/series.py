"""Cost of the time series (SPEC §14): the engine with series off and on, side by side.

Usage: ``python benchmarks/series.py [SCENARIO] [--phase INDEX] [--width 1s] [--rounds 3]``.
Off, on and raw SimPy's M/M/1 run alternately in the same process, so they see the same
machine load; the best round of each counts. The goal: on costs at most 15% (issue #13).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from engine import _visits, raw_simpy_mm1  # noqa: E402

from meshsim import load_scenario  # noqa: E402
from meshsim.sim.compile import compile_phases  # noqa: E402
from meshsim.sim.engine import simulate  # noqa: E402
from meshsim.sim.model import Model  # noqa: E402
from models import Scenario, parse_duration  # noqa: E402


def with_width(scenario: Scenario, width: float | None) -> Scenario:
    """The scenario with ``simulation.series`` set to ``width`` (None = off)."""
    sim = scenario.simulation.model_copy(update={"series": width})
    return scenario.model_copy(update={"simulation": sim})


def visits_per_s(scenario: Scenario, phase: int | None) -> tuple[float, int, str]:
    """Visits per second of one phase run (replication 0) of ``scenario``."""
    model = Model(scenario)
    plans = compile_phases(scenario)
    plan = plans[len(plans) - 1 if phase is None else phase]
    start = time.perf_counter()
    rec = simulate(model, plan, 0)
    elapsed = time.perf_counter() - start
    visits = _visits(rec)
    return visits / elapsed, visits, plan.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "samples/online-boutique.yaml"))
    parser.add_argument("--phase", type=int, default=None, help="phase index (default: last)")
    parser.add_argument("--width", default="1s", help="bucket width (default 1s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    args = parser.parse_args()
    base = load_scenario(Path(args.scenario))
    off, on = with_width(base, None), with_width(base, parse_duration(args.width))
    rates: dict[str, list[float]] = {"off": [], "on": [], "raw": []}
    for _ in range(args.rounds):
        rate, visits, name = visits_per_s(off, args.phase)
        rates["off"].append(rate)
        rates["on"].append(visits_per_s(on, args.phase)[0])
        rates["raw"].append(raw_simpy_mm1(max(visits, 100_000)))
    best = {k: max(v) for k, v in rates.items()}
    print(f"{Path(args.scenario).name} phase {name!r}: {visits} visits, best of {args.rounds}")
    for key, label in (("off", "series off"), ("on", f"series {args.width}")):
        ratio = best[key] / best["raw"]
        print(f"{label:<16} {best[key]:>10,.0f} visits/s  ({ratio:.2f} x raw SimPy)")
    print(f"{'raw SimPy M/M/1':<16} {best['raw']:>10,.0f} visits/s")
    print(f"overhead of series: {100 * (1 - best['on'] / best['off']):.1f}%  (goal <= 15%)")


if __name__ == "__main__":
    main()
