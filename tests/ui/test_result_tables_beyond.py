"""SPEC §20 rows of the app's phases table: cost, denials, canary splits (no widgets)."""

from __future__ import annotations

from tests.meshsim.test_cli_beyond import phase
from ui.result_tables import beyond_rows, phase_rows


def test_no_beyond_rows_for_a_plain_rollout() -> None:
    assert beyond_rows([phase(0), phase(1)]) == []


def test_cost_denials_and_canary_rows() -> None:
    rows = {
        label: cells
        for label, cells, _ in beyond_rows(
            [
                phase(0, proxy_cost_per_month=0.0),
                phase(1, proxy_cost_per_month=21.9, denials=4.0, canary={"cart": 0.25}),
            ]
        )
    }
    assert rows["Proxy cost / month"] == ["0.00", "21.90"]
    assert rows["Authz denials (403)"] == ["—", "4"]
    assert rows["Canary cart: meshed share"] == ["—", "25%"]
    assert rows["Canary cart: meshed failed/tries"] == ["—", "1/5"]
    assert rows["Canary cart: plain failed/tries"] == ["—", "0/7"]
    labels = [label for label, _, _ in phase_rows([phase(0, proxy_cost_per_month=1.0)])]
    assert labels[-1] == "Proxy cost / month"
