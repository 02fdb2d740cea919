"""Hover texts of the graph: a service's settings and its last-run metrics."""

from __future__ import annotations

from html import escape
from typing import Any

from meshsim import PhaseState
from models import Entrypoint, Scenario, Service
from models.results import EdgeResult, PhaseResult, ServiceResult


def describe_distribution(wire: Any) -> str:
    """``lognormal median 3ms p99 20ms`` for a distribution's wire form."""
    if isinstance(wire, str):
        return wire
    if isinstance(wire, dict):
        rest = " ".join(f"{k} {v}" for k, v in wire.items() if k != "dist")
        return f"{wire.get('dist', '')} {rest}".strip()
    return str(wire)


def node_tooltip(
    scenario: Scenario,
    service: Service,
    state: PhaseState,
    joins: dict[str, int],
    metrics: ServiceResult | None,
) -> str:
    wire = service.model_dump(mode="json", by_alias=True)
    phases = scenario.rollout.phases
    joined = joins.get(service.name)
    rows = [
        ("namespace", service.namespace),
        (
            "replicas × workers",
            f"{service.replicas} × {service.concurrency} ({service.concurrency_model})",
        ),
        ("service time", describe_distribution(wire["serviceTime"])),
        ("error rate", f"{service.error_rate:.3%}"),
        ("protocol / tier", f"{service.protocol} / {service.tier}"),
        ("environment", service.environment),
        ("joins the mesh", phases[joined - 1].name if joined else "never (no phase)"),
        (
            f"in {state.name}",
            ("meshed" if service.name in state.meshed else "not meshed")
            + (", STRICT" if service.name in state.strict else ", PERMISSIVE"),
        ),
    ]
    marks = (("sensitive", service.sensitive), ("external", service.external))
    flags = [name for name, on in marks if on]
    if flags:
        rows.append(("flags", ", ".join(flags)))
    if metrics is not None:
        p99 = metrics.latency_ms.p99
        rows += [
            ("last run: calls / attempts", f"{metrics.calls:,.0f} / {metrics.attempts:,.0f}"),
            (
                "errors / timeouts / rejected",
                f"{metrics.errors:,.0f} / {metrics.timeouts:,.0f} / {metrics.rejected:,.0f}",
            ),
            ("utilisation", f"{metrics.utilization:.1%}"),
            ("p99 as seen by clients", "—" if p99 is None else f"{p99:.1f} ms"),
        ]
    return _table(service.name, rows)


def edge_tooltip(caller: str, callee: str, kind: str, result: EdgeResult | None) -> str:
    """A call arrow's tooltip: its mTLS state, and what the last run measured on it."""
    tip = f"{escape(caller)} → {escape(callee)}: {kind}"
    if result is not None:
        failure_rate = result.failures / result.calls if result.calls else 0.0
        tip += (
            f"<br>last run: {result.calls:,.0f} calls, {result.attempts:,.0f} attempts, "
            f"{failure_rate:.2%} failed, {result.mtls:.0%} over mTLS"
        )
    return tip


def entry_tooltip(entry: Entrypoint, measured: PhaseResult | None) -> str:
    rows = [
        ("service", entry.service),
        ("rate", f"{entry.rate:g} req/s ({entry.arrival})"),
        ("client", entry.client),
    ]
    result = measured.entrypoints.get(entry.name) if measured else None
    if result is not None:
        p99 = result.latency_ms.p99
        rows += [
            ("last run: success", f"{result.success_rate:.2%}"),
            ("p99", "—" if p99 is None else f"{p99:.1f} ms"),
            ("SLO met", {None: "— (no SLO applies)", True: "yes", False: "no"}[result.slo_met]),
        ]
    return _table(f"entrypoint {entry.name}", rows)


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><td style='color:#546e7a'>{escape(k)}</td><td>{escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return f"<b>{escape(title)}</b><table cellspacing=2>{body}</table>"
