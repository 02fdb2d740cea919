"""Result files the user exports: JSON documents and a flat CSV of per-phase metrics."""

from __future__ import annotations

import csv
from pathlib import Path

from models.results import CompareResults, PhaseResult, Results

PHASE_COLUMNS = (
    ("exposure", "exposure"),
    ("mtlsCoverage", "mtls_coverage"),
    ("policyCoverage", "policy_coverage"),
    ("telemetryCoverage", "telemetry_coverage"),
    ("retryAmplification", "retry_amplification"),
    ("breakages", "breakages"),
    ("proxies", "proxies"),
    ("proxyCpuCores", "proxy_cpu_cores"),
    ("proxyMemoryMiB", "proxy_memory_mi_b"),
)


def write_json(results: Results | CompareResults, path: str | Path) -> None:
    """The results document (SPEC §12.1) as JSON."""
    Path(path).write_text(results.model_dump_json(by_alias=True, indent=2), encoding="utf-8")


def write_csv(results: Results | CompareResults, path: str | Path) -> None:
    """One row per plan and phase: the phase metrics, then per-entrypoint metrics."""
    plans: list[tuple[str, list[PhaseResult]]]
    if isinstance(results, CompareResults):
        plans = [(o.name, list(o.phases)) for o in results.orderings]
    else:
        plans = [("as-written", list(results.phases))]
    entries = sorted({name for _, phases in plans for p in phases for name in p.entrypoints})
    header = ["ordering", "phaseIndex", "phase"] + [c for c, _ in PHASE_COLUMNS]
    for name in entries:
        header += [f"{name}.successRate", f"{name}.p50Ms", f"{name}.p99Ms", f"{name}.sloMet"]
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for plan, phases in plans:
            for phase in phases:
                row = [plan, phase.index, phase.name]
                row += [getattr(phase, attr) for _, attr in PHASE_COLUMNS]
                for name in entries:
                    entry = phase.entrypoints.get(name)
                    if entry is None:
                        row += ["", "", "", ""]
                    else:
                        latency = entry.latency_ms
                        row += [entry.success_rate, latency.p50, latency.p99, entry.slo_met]
                writer.writerow(row)
