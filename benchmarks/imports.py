"""Import real and generated graphs as a user would, and check they run (issue 12).

Usage: ``python benchmarks/imports.py [--duration 10s] [--only NAME] [--keep DIR]``.

For each input: import (with the default plan), validate, analyse capacity and run
the baseline; one line per input with the figures that say whether the scenario is
usable as imported: entry success (the worst entrypoint with at least 100 measured
requests, and all requests together), p99, the highest
utilization the simulator measured and the highest analytic ρ. Done when every
input gives success ≥ 99% and no service over capacity. Where the input itself
records errors (an ``errorRate`` was imported), the baseline is run again without
them, so the figure shows that what is left fails for no other reason.

Inputs: every graph file of ``../shared/data`` (the Istio-only manifests together
with the workloads they configure), and generated graphs (seeded):

* ``train-ticket-64.graphml``: 64 nodes, no call counts; ``ts-ui-dashboard`` links to
  38 backends, each backend to its database and to 0-3 other backends (cycles too),
  as in the train-ticket benchmark;
* ``production-1238.json``: Jaeger dependency links of 1,238 services, 385 of them
  called by nobody, a large strongly connected cluster (rare calls back up the tiers),
  counts over one hour (``--window 1h``);
* ``fanout-2000.json``: 2,000 services in tiers, fan-outs up to 40, cycles, counts
  over one hour.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meshsim.cli.importcmd import with_plan  # noqa: E402
from meshsim.files.importers import import_graph  # noqa: E402
from meshsim.rollout.capacity import capacity  # noqa: E402
from meshsim.sim.runner import run_scenario  # noqa: E402
from models import Scenario  # noqa: E402

# the project's shared data beside a developer's checkout; a user's clone has the copies
# the tests carry
DATA = next(
    (d for d in (ROOT.parent / "shared" / "data", ROOT / "tests" / "data") if d.is_dir()),
    ROOT / "tests" / "data",
)


def train_ticket_graphml(path: Path, seed: int = 12) -> None:
    """64 nodes: a UI gateway linked to 38 backends, databases, a few others; no counts."""
    rng = random.Random(seed)
    backends = [f"ts-{name}-service" for name in _TRAIN_TICKET[:38]]
    dbs = [f"ts-{name}-mongo" for name in _TRAIN_TICKET[:21]]
    others = ["ts-ui-dashboard", "ts-auth-redis", "rabbitmq", "ts-news-service", "ts-voucher-mysql"]
    nodes = ["ts-ui-dashboard", *backends, *dbs, *others[1:]]
    assert len(nodes) == 64, len(nodes)
    edges = [("ts-ui-dashboard", b) for b in backends]
    for i, b in enumerate(backends):
        if i < len(dbs):
            edges.append((b, dbs[i]))
        for other in rng.sample(backends, rng.choice([0, 0, 1, 1, 2, 3])):
            if other != b:
                edges.append((b, other))
    edges += [(backends[0], "ts-auth-redis"), (backends[5], "rabbitmq")]
    edges += [(backends[7], "ts-news-service"), (backends[9], "ts-voucher-mysql")]
    body = "".join(f'    <node id="{n}"/>\n' for n in nodes)
    body += "".join(f'    <edge source="{a}" target="{b}"/>\n' for a, b in dict.fromkeys(edges))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        f'  <graph id="train-ticket" edgedefault="directed">\n{body}  </graph>\n</graphml>\n'
    )


_TRAIN_TICKET = (
    "admin-basic-info admin-order admin-route admin-travel admin-user assurance auth basic "
    "cancel config consign consign-price contacts delivery execute food food-delivery "
    "gateway-route inside-payment notification order order-other payment preserve "
    "preserve-other price rebook route route-plan seat security station station-food "
    "ticket-office train train-food travel travel-plan travel2 user verification-code "
    "wait-order"
).split()


def dependency_links(
    n: int, roots: int, tiers: int, max_fan_out: int, back_edges: int, seed: int,
    window_s: float = 3600,
) -> list[dict[str, Any]]:  # fmt: skip
    """Jaeger dependency links of a tiered graph with expected counts over ``window_s``.

    ``roots`` services (tier 0) are called by nobody; the others fill tiers 1.. and
    each has a caller in the tier above. Fan-outs are mostly 1-3 (2% reach
    ``max_fan_out``, each callee then called with probability 2 / fan-out, as a
    gateway spreads its requests), most calls conditional (probability 0.1-0.5, as
    per-request call trees are small even in deep graphs); ``back_edges`` rare calls
    (probability 0.005) go back up the tiers and make cycles; two services of the
    last tier are called by up to 230 others (probability 0.05), as shared stores
    are. Counts are the
    expected calls at entry rates totalling 200/s.
    """
    rng = random.Random(seed)
    names = [f"svc-{i:04d}" for i in range(n)]
    tier_of = [0] * roots + [1 + (i * (tiers - 1)) // (n - roots) for i in range(n - roots)]
    by_tier: dict[int, list[int]] = {}
    for i, t in enumerate(tier_of):
        by_tier.setdefault(t, []).append(i)
    edges: dict[tuple[int, int], float] = {}
    for j in range(roots, n):  # everyone below the roots has a caller in the tier above
        edges[(rng.choice(by_tier[tier_of[j] - 1]), j)] = rng.choice([0.5, 0.2, 0.1])
    for i in range(n):
        below = by_tier.get(tier_of[i] + 1)
        if not below:
            continue
        wide = rng.random() < 0.02
        k = max_fan_out if wide else rng.choice([1 if i < roots else 0, 1, 1, 2, 3])
        for j in rng.sample(below, min(k, len(below))):
            edges[(i, j)] = 2 / k if wide else rng.choice([1.0, 0.5, 0.2, 0.1])
    for hub in by_tier[tiers - 1][:2]:  # shared stores everybody calls now and then
        for i in rng.sample(range(roots, n - 1), min(230, n - roots - 1)):
            if tier_of[i] < tiers - 1:
                edges[(i, hub)] = 0.05
    for _ in range(back_edges):
        j = rng.randrange(roots, n)
        upper = [i for t in range(1, tier_of[j]) for i in by_tier[t]]
        if upper:
            edges[(j, rng.choice(upper))] = 0.005
    out: dict[int, list[tuple[int, float]]] = {}
    for (a, b), p in edges.items():
        out.setdefault(a, []).append((b, p))
    visits = [0.0] * n
    level = [200.0 / roots if i < roots else 0.0 for i in range(n)]
    for _ in range(64):
        visits = [v + x for v, x in zip(visits, level, strict=True)]
        nxt = [0.0] * n
        for a, x in enumerate(level):
            if x:
                for b, p in out.get(a, []):
                    nxt[b] += x * p
        level = nxt
    return [
        {
            "parent": names[a],
            "child": names[b],
            "callCount": max(1, round(visits[a] * p * window_s)),
        }
        for (a, b), p in edges.items()
    ]


def inputs(workdir: Path) -> list[tuple[str, str, list[Path], dict[str, Any]]]:
    """(label, format, paths, import options) of every trial."""
    bookinfo = DATA / "bookinfo"
    out: list[tuple[str, str, list[Path], dict[str, Any]]] = [
        ("bookinfo k8s+istio", "k8s", [bookinfo / "bookinfo.yaml", *sorted(
            p for p in bookinfo.glob("*.yaml") if p.name != "bookinfo.yaml")], {}),
        ("bookinfo edges.csv", "csv", [bookinfo / "edges.csv"], {}),
        ("bookinfo edges_workload.csv", "csv", [bookinfo / "edges_workload.csv"], {}),
        ("boutique k8s+istio", "k8s", [DATA / "online-boutique" / "kubernetes-manifests.yaml",
                                       DATA / "online-boutique" / "istio-manifests.yaml"], {}),
        ("boutique edges.csv", "csv", [DATA / "online-boutique" / "edges.csv"], {}),
    ]  # fmt: skip
    formats = DATA / "formats"
    for path in sorted(formats.rglob("*")):
        if (
            path.suffix in (".json", ".yaml", ".dot", ".graphml")
            and path.name != "zipkin2-api.yaml"
        ):
            out.append((path.name, "auto", [path], {}))
    tt = workdir / "train-ticket-64.graphml"
    train_ticket_graphml(tt)
    out.append(("train-ticket-64.graphml", "graphml", [tt], {}))
    for name, n, roots, tiers, fan, back in (
        ("production-1238.json", 1238, 385, 20, 16, 600),
        ("fanout-2000.json", 2000, 40, 8, 40, 300),
    ):
        path = workdir / name
        links = dependency_links(n, roots, tiers, fan, back, seed=n)
        path.write_text(json.dumps({"data": links}))
        out.append((name, "jaeger-deps", [path], {"window_s": 3600.0}))
    return out


def trial(label: str, fmt: str, paths: list[Path], options: dict[str, Any], duration: float,
          keep: Path | None) -> dict[str, Any]:  # fmt: skip
    """Import, plan, validate, analyse and run the baseline of one input."""
    t0 = time.perf_counter()
    result = import_graph(fmt, paths, **options)
    scenario = Scenario.model_validate(result.document)
    document = with_plan(result.document, scenario, "risk-ascending", 4)
    scenario = Scenario.model_validate(document)
    t_import = time.perf_counter() - t0
    if keep is not None:
        import yaml

        (keep / f"{Path(label.split()[0]).stem}-{fmt}.yaml").write_text(
            yaml.safe_dump(document, sort_keys=False)
        )
    cap = capacity(scenario)
    sim = {"duration": f"{duration}s", "warmup": "1s", "replications": 1, "seed": 1}
    data = {**document, "simulation": sim}
    t0 = time.perf_counter()
    results = run_scenario(Scenario.model_validate(data), phase_indexes=[0], workers=1)
    t_run = time.perf_counter() - t0
    base = results.phases[0]
    entries = base.entrypoints.values()
    requests = sum(e.requests for e in entries)
    ok_without_errors = None
    if any(s.error_rate for s in scenario.services):
        clean = {
            **data,
            "services": [
                {k: v for k, v in svc.items() if k != "errorRate"} for svc in data["services"]
            ],
        }
        again = run_scenario(Scenario.model_validate(clean), phase_indexes=[0], workers=1)
        ok_without_errors = min(
            (e.success_rate for e in again.phases[0].entrypoints.values() if e.requests >= 100),
            default=1.0,
        )
    return {
        "input": label,
        "services": len(scenario.services),
        "entries": len(scenario.entrypoints),
        "phases": len(scenario.rollout.phases),
        "warnings": len(result.warnings),
        "rps": sum(e.rate for e in scenario.entrypoints),
        # the worst entrypoint among those with enough requests to say (>= 100)
        "minOk": min((e.success_rate for e in entries if e.requests >= 100), default=1.0),
        "ok": sum(e.success_rate * e.requests for e in entries) / requests,
        "p99": max((e.latency_ms.p99 or 0.0) for e in entries),
        "okNoErrors": ok_without_errors,
        "maxUtil": max((s.utilization for s in base.services.values()), default=0.0),
        "maxRho": max(c.utilization for c in cap.services.values()),
        "headroom": cap.max_rate_multiplier,
        "importS": t_import,
        "runS": t_run,
    }


def main() -> int:
    """Run every trial and print one line each; exit 1 when one is not usable."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds simulated")
    parser.add_argument("--only", help="inputs whose label contains this")
    parser.add_argument("--keep", type=Path, help="write the imported scenarios here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for label, fmt, paths, options in inputs(Path(tmp)):
            if args.only and args.only not in label:
                continue
            row = trial(label, fmt, paths, options, args.duration, args.keep)
            rows.append(row)
            print(
                f"{row['input']:<44} {row['services']:>5} svc {row['entries']:>4} entry "
                f"{row['phases']} ph {row['warnings']:>3} warn {row['rps']:>8.1f} req/s  "
                f"ok min {row['minOk'] * 100:6.2f}% all {row['ok'] * 100:6.2f}%  "
                f"p99 {row['p99']:8.1f} ms  util {row['maxUtil']:.2f}  ρ {row['maxRho']:.2f}  "
                f"import {row['importS']:.1f}s run {row['runS']:.1f}s"
                + (
                    ""
                    if row["okNoErrors"] is None
                    else f"  (observed errorRates: ok min {row['okNoErrors'] * 100:.2f}% without)"
                ),
                flush=True,
            )

    def usable(r: dict[str, Any]) -> bool:
        ok = r["minOk"] if r["okNoErrors"] is None else r["okNoErrors"]
        return (
            ok >= 0.99
            and (r["okNoErrors"] is not None or r["ok"] >= 0.99)
            and (r["maxUtil"] < 1 and r["maxRho"] < 1)
        )

    bad = [r["input"] for r in rows if not usable(r)]
    print("all usable" if not bad else f"NOT usable: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
