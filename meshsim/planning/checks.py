"""Assertions over run results for CI pipelines (SPEC §16) and their JUnit XML.

:func:`evaluate` turns a results document and :class:`Limits` into one
:class:`Assertion` per limit, phase and entrypoint (phase-wide limits: one per phase),
plus the SLOs the scenario declares, which always hold as assertions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace

from models import Scenario
from models.checks import Checks, parse_p99_delta
from models.results import PhaseResult, Results

__all__ = ["Assertion", "Limits", "evaluate", "junit_xml"]


@dataclass(frozen=True)
class Limits:
    """The limits to assert; ``None`` = not asserted. Durations in seconds."""

    min_success: float | None = None
    max_p99_s: float | None = None
    max_p99_delta_s: float | None = None
    max_p99_delta_fraction: float | None = None
    max_amplification: float | None = None
    max_breakages: float | None = None

    @classmethod
    def from_checks(cls, checks: Checks | None) -> Limits:
        """The limits a scenario's ``checks`` declare."""
        if checks is None:
            return cls()
        delta_s, delta_fraction = (None, None)
        if checks.max_p99_delta is not None:
            delta_s, delta_fraction = parse_p99_delta(checks.max_p99_delta)
        return cls(
            min_success=checks.min_success,
            max_p99_s=checks.max_p99,
            max_p99_delta_s=delta_s,
            max_p99_delta_fraction=delta_fraction,
            max_amplification=checks.max_amplification,
            max_breakages=checks.breakages,
        )

    def over(self, other: Limits) -> Limits:
        """These limits with every limit ``other`` sets taking its place (options override)."""
        changes = {k: v for k, v in vars(other).items() if v is not None}
        if "max_p99_delta_s" in changes or "max_p99_delta_fraction" in changes:
            changes.setdefault("max_p99_delta_s", None)
            changes.setdefault("max_p99_delta_fraction", None)
        return replace(self, **changes)

    @property
    def needs_baseline(self) -> bool:
        """Whether the baseline must be simulated (for the p99 delta)."""
        return self.max_p99_delta_s is not None or self.max_p99_delta_fraction is not None


@dataclass(frozen=True)
class Assertion:
    """One checked limit: where, what, whether it holds, and the line that says so."""

    phase: str
    entrypoint: str
    name: str
    passed: bool
    message: str

    @property
    def case(self) -> str:
        """A JUnit testcase name: ``web: p99``; phase-wide ones have no entrypoint."""
        return f"{self.entrypoint}: {self.name}" if self.entrypoint else self.name


def _ms(value_ms: float) -> str:
    return f"{value_ms:.0f} ms" if value_ms >= 10 else f"{value_ms:.3g} ms"


def _pct(value: float) -> str:
    return f"{100 * value:.3g}%"


def _entry_assertions(
    phase: PhaseResult, baseline: PhaseResult | None, limits: Limits, scenario: Scenario
) -> list[Assertion]:
    out = []
    for entry in scenario.entrypoints:
        result = phase.entrypoints.get(entry.name)
        if result is None:
            continue
        where = f"phase {phase.name}: entrypoint {entry.name}: "
        p99 = result.latency_ms.p99

        def add(
            name: str, passed: bool, text: str, entry_name: str = entry.name, where: str = where
        ) -> None:
            out.append(Assertion(phase.name, entry_name, name, passed, where + text))

        if limits.min_success is not None:
            ok = result.success_rate >= limits.min_success
            sign = ">=" if ok else "<"
            add(
                "successRate",
                ok,
                f"success rate {_pct(result.success_rate)} {sign} {_pct(limits.min_success)}",
            )
        if limits.max_p99_s is not None and p99 is not None:
            bound = limits.max_p99_s * 1000
            ok = p99 <= bound
            add("p99", ok, f"p99 {_ms(p99)} {'<=' if ok else '>'} {_ms(bound)}")
        base = baseline.entrypoints.get(entry.name) if baseline else None
        if limits.needs_baseline and base and base.latency_ms.p99 is not None and p99 is not None:
            delta = p99 - base.latency_ms.p99
            if limits.max_p99_delta_s is not None:
                bound, shown = limits.max_p99_delta_s * 1000, _ms(limits.max_p99_delta_s * 1000)
            else:
                bound = limits.max_p99_delta_fraction * base.latency_ms.p99
                shown = f"{_pct(limits.max_p99_delta_fraction)} of {_ms(base.latency_ms.p99)}"
            ok = delta <= bound
            add(
                "p99Delta",
                ok,
                f"p99 − baseline p99 {delta:+.1f} ms {'<=' if ok else '>'} {shown}",
            )
        slo = scenario.slo_of(entry)
        if slo is not None and slo.latency_p99 is not None and p99 is not None:
            bound = slo.latency_p99 * 1000
            ok = p99 <= bound
            add("slo.latencyP99", ok, f"SLO p99 {_ms(p99)} {'<=' if ok else '>'} {_ms(bound)}")
        if slo is not None and slo.error_rate is not None:
            errors = 1.0 - result.success_rate
            ok = errors <= slo.error_rate
            add(
                "slo.errorRate",
                ok,
                f"SLO error rate {_pct(errors)} {'<=' if ok else '>'} {_pct(slo.error_rate)}",
            )
    return out


def _phase_assertions(phase: PhaseResult, limits: Limits) -> list[Assertion]:
    out = []
    where = f"phase {phase.name}: "
    if limits.max_amplification is not None:
        ok = phase.retry_amplification <= limits.max_amplification
        sign = "<=" if ok else ">"
        text = f"retry amplification {phase.retry_amplification:.2f} {sign} "
        text += f"{limits.max_amplification:g}"
        out.append(Assertion(phase.name, "", "retryAmplification", ok, where + text))
    if limits.max_breakages is not None:
        ok = phase.breakages <= limits.max_breakages
        text = f"{phase.breakages:g} attempts refused by STRICT mTLS "
        text += f"{'<=' if ok else '>'} {limits.max_breakages:g}"
        out.append(Assertion(phase.name, "", "breakages", ok, where + text))
    return out


def evaluate(
    results: Results, scenario: Scenario, limits: Limits, phases: Sequence[int]
) -> list[Assertion]:
    """Every assertion for the chosen phase indexes (the results must hold them).

    The baseline (index 0) must be in ``results`` when a p99 delta is asserted.
    """
    by_index = {p.index: p for p in results.phases}
    baseline = by_index.get(0)
    out: list[Assertion] = []
    for index in phases:
        phase = by_index[index]
        out += _entry_assertions(phase, baseline, limits, scenario)
        out += _phase_assertions(phase, limits)
    return out


def junit_xml(assertions: Sequence[Assertion], suite: str) -> str:
    """JUnit XML: a testsuite per phase, a testcase per assertion, ``<failure>`` on failure."""
    root = ET.Element("testsuites", name=suite)
    phases: dict[str, list[Assertion]] = {}
    for a in assertions:
        phases.setdefault(a.phase, []).append(a)
    root.set("tests", str(len(assertions)))
    root.set("failures", str(sum(not a.passed for a in assertions)))
    for phase, items in phases.items():
        element = ET.SubElement(
            root,
            "testsuite",
            name=f"{suite}: phase {phase}",
            tests=str(len(items)),
            failures=str(sum(not a.passed for a in items)),
            errors="0",
        )
        for a in items:
            case = ET.SubElement(element, "testcase", classname=f"{suite}.{phase}", name=a.case)
            if not a.passed:
                ET.SubElement(case, "failure", message=a.message).text = a.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
