"""The results dock's key rows on runs where an entrypoint finished no request."""

from __future__ import annotations

from types import SimpleNamespace

from ui.result_tables import key_rows


def _entry(success_rate: float, p99: float | None, slo_met: bool | None) -> SimpleNamespace:
    return SimpleNamespace(
        success_rate=success_rate, latency_ms=SimpleNamespace(p99=p99), slo_met=slo_met
    )


def test_an_entrypoint_without_a_p99_is_not_the_worst_p99():
    # a 1,238-service import: entrypoints at 0.005/s finish no request in a short run
    phase = SimpleNamespace(
        index=0, name="baseline", retry_amplification=1.0, breakages=0, exposure=0.0,
        entrypoints={"busy": _entry(0.99, 48.0, True), "rare": _entry(0.0, None, False)},
    )  # fmt: skip
    [row] = key_rows([phase])
    assert row[2] == ("48.0", False)  # the worst p99 of those that have one
    assert row[1] == ("0.0%", False)


def test_no_entrypoint_with_a_p99_shows_a_dash():
    phase = SimpleNamespace(
        index=1, name="p", retry_amplification=1.0, breakages=0, exposure=0.0,
        entrypoints={"rare": _entry(0.0, None, False)},
    )  # fmt: skip
    assert key_rows([phase])[0][2] == ("—", False)


def test_a_phase_where_no_entrypoint_is_judged_shows_a_dash_not_a_red_no():
    # the baseline without declared SLOs: nothing to judge it against (sloMet null)
    phase = SimpleNamespace(
        index=0, name="baseline", retry_amplification=1.0, breakages=0, exposure=0.0,
        entrypoints={"web": _entry(1.0, 386.0, None), "api": _entry(1.0, 12.0, None)},
    )  # fmt: skip
    [row] = key_rows([phase])
    assert row[3] == ("—", None) and row[1] == ("100.0%", None)


def test_entrypoints_without_a_verdict_do_not_decide_the_phases_verdict():
    phase = SimpleNamespace(
        index=2, name="p", retry_amplification=1.0, breakages=0, exposure=0.0,
        entrypoints={"busy": _entry(1.0, 40.0, True), "rare": _entry(1.0, 900.0, None)},
    )  # fmt: skip
    assert key_rows([phase])[0][3] == ("yes", True)
