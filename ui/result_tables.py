"""The rows and cells of the results tables, apart from the widgets that show them."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from models.results import PhaseResult


def _verdict(met: bool | None) -> str:
    """An SLO verdict as a cell: "—" when no SLO applies (sloMet null)."""
    return "—" if met is None else ("yes" if met else "no")


def phase_rows(phases: Sequence[PhaseResult]) -> list[tuple[str, list[str], list[bool | None]]]:
    """Rows of the phases table: (metric, one text per phase, one verdict per phase)."""
    rows: list[tuple[str, list[str], list[bool | None]]] = []
    entries = list(phases[0].entrypoints) if phases else []
    for name in entries:
        results = [p.entrypoints.get(name) for p in phases]
        verdicts = [r.slo_met if r else None for r in results]
        rows.append(
            (f"{name}: p99 (ms)", [ms(r.latency_ms.p99 if r else None) for r in results], verdicts)
        )
        rows.append(
            (
                f"{name}: p50 (ms)",
                [ms(r.latency_ms.p50 if r else None) for r in results],
                [None] * len(results),
            )
        )
        rows.append(
            (f"{name}: success", [f"{r.success_rate:.2%}" if r else "—" for r in results], verdicts)
        )
        rows.append((f"{name}: SLO met", [_verdict(v) for v in verdicts], verdicts))
    none = [None] * len(phases)
    rows += [
        ("Exposure", [f"{p.exposure:.1%}" for p in phases], none),
        ("mTLS coverage", [f"{p.mtls_coverage:.1%}" for p in phases], none),
        ("Policy coverage", [f"{p.policy_coverage:.1%}" for p in phases], none),
        ("Telemetry coverage", [f"{p.telemetry_coverage:.1%}" for p in phases], none),
        ("Retry amplification", [f"{p.retry_amplification:.3f}" for p in phases], none),
        (
            "STRICT breakages",
            [f"{p.breakages:,.0f}" for p in phases],
            [p.breakages == 0 for p in phases],
        ),
        ("Proxies", [str(p.proxies) for p in phases], none),
        ("Proxy CPU (cores)", [f"{p.proxy_cpu_cores:.3f}" for p in phases], none),
        ("Proxy memory (MiB)", [f"{p.proxy_memory_mi_b:,.0f}" for p in phases], none),
    ]
    return rows + beyond_rows(phases)


def beyond_rows(phases: Sequence[PhaseResult]) -> list[tuple[str, list[str], list[bool | None]]]:
    """SPEC §20 rows, only when some phase has them: cost, 403 denials, canary splits."""
    none: list[bool | None] = [None] * len(phases)
    rows: list[tuple[str, list[str], list[bool | None]]] = []
    if any(p.proxy_cost_per_month is not None for p in phases):
        costs = [p.proxy_cost_per_month for p in phases]
        rows.append(
            ("Proxy cost / month", ["—" if c is None else f"{c:,.2f}" for c in costs], none)
        )
    if any(p.denials is not None for p in phases):
        denials = [p.denials for p in phases]
        rows.append(
            (
                "Authz denials (403)",
                ["—" if d is None else f"{d:,.0f}" for d in denials],
                [None if d is None else d == 0 for d in denials],
            )
        )
    canaries = list(dict.fromkeys(name for p in phases for name in (p.canary or {})))
    for name in canaries:
        rows.append((f"Canary {name}: meshed share", [_share(p, name) for p in phases], none))
        for group in ("meshed", "plain"):
            cells = []
            for p in phases:
                svc = p.services.get(name)
                part = getattr(svc, group) if svc is not None else None
                cells.append("—" if part is None else f"{part.failures:,.0f}/{part.attempts:,.0f}")
            rows.append((f"Canary {name}: {group} failed/tries", cells, none))
    return rows


def _share(phase: PhaseResult, name: str) -> str:
    share = (phase.canary or {}).get(name)
    if share is not None:
        return f"{share:.0%}"
    return "100%" if name in phase.meshed else "—"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setDefaultSectionSize(22)
    table.verticalHeader().hide()
    return table


class _Number(QTableWidgetItem):
    """A table cell that sorts by its value, not its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine = self.data(Qt.ItemDataRole.UserRole)
        theirs = other.data(Qt.ItemDataRole.UserRole)
        if isinstance(mine, float) and isinstance(theirs, float):
            return mine < theirs
        return super().__lt__(other)


def number(value: float, text: str) -> QTableWidgetItem:
    item = _Number(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


KEY_COLUMNS = ["phase", "ok %", "p99 ms", "SLO", "retry ×", "breaks", "exposure"]
"""The key figures of a phase, one row per phase: they fit a narrow results dock."""


def key_rows(phases: Sequence[PhaseResult]) -> list[list[tuple[str, bool | None]]]:
    """One row per phase: (text, verdict) per ``KEY_COLUMNS`` entry.

    With several entrypoints the row shows the worst: the lowest success rate, the
    highest p99, and SLO met only when every judged entrypoint meets its own: "—" when
    none is judged (the baseline without declared SLOs, or entrypoints with too few
    requests).
    """
    rows = []
    for phase in phases:
        results = list(phase.entrypoints.values())
        ok = min((r.success_rate for r in results), default=None)
        # an entrypoint without a finished request has no p99 (None): it cannot be the worst
        p99 = max((r.latency_ms.p99 for r in results if r.latency_ms.p99 is not None), default=None)
        verdicts = [r.slo_met for r in results if r.slo_met is not None]
        slo = all(verdicts) if verdicts else None
        rows.append(
            [
                (f"{phase.index} {phase.name}", None),
                ("—" if ok is None else f"{ok:.1%}", slo),
                (ms(p99), slo),
                ("—" if slo is None else ("yes" if slo else "no"), slo),
                (f"{phase.retry_amplification:.2f}", None),
                (f"{phase.breakages:,.0f}", phase.breakages == 0),
                (f"{phase.exposure:.0%}", None),
            ]
        )
    return rows
