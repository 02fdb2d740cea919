"""Rules shared by every importer (SPEC §13), names and values, and scale."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meshsim.files.importers import import_graph
from meshsim.files.importers.values import (
    dns_label,
    format_duration_ms,
    parse_duration_ms,
    parse_percent,
    parse_rate,
    round_sig,
)
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, edges_of


def _csv(tmp_path: Path, rows: list[str], name: str = "edges.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    return path


def test_calls_per_request_rule(tmp_path):
    path = _csv(tmp_path, ["caller,callee,calls", "a,b,100", "b,c,50", "b,d,250", "b,e,149"])
    doc = import_graph("csv", [path]).document
    # b serves 100 requests: c 0.5 per request, d 2.5 -> count 2 (round half to even), e 1.49 -> 1
    assert calls_of(doc, "b") == {
        "c": {"to": "c", "probability": 0.5},
        "d": {"to": "d", "count": 2},
        "e": {"to": "e"},
    }


def test_probabilities_keep_four_significant_digits_and_are_never_zero(tmp_path):
    path = _csv(tmp_path, ["a,b,3000000", "b,c,1", "b,d,0", "b,e,1234567"])
    result = import_graph("csv", [path])
    calls = calls_of(result.document, "b")
    assert calls["c"]["probability"] == 3.333e-07
    assert calls["d"]["probability"] == 0.0001
    assert calls["e"]["probability"] == 0.4115
    assert any("no calls recorded from b to d" in w for w in result.warnings)
    Scenario.model_validate(result.document)


def test_certain_cycles_are_broken_on_the_closing_call(tmp_path):
    path = _csv(tmp_path, ["web,a", "a,b", "b,c", "c,a", "c,c", "b,a"])
    result = import_graph("csv", [path])
    doc = result.document
    assert [e["service"] for e in doc["entrypoints"]] == ["web"]
    assert calls_of(doc, "a") == {"b": {"to": "b"}}
    assert calls_of(doc, "c") == {
        "a": {"to": "a", "probability": 0.1},
        "c": {"to": "c", "probability": 0.1},
    }
    assert calls_of(doc, "b") == {"c": {"to": "c"}, "a": {"to": "a", "probability": 0.1}}
    assert sum("cycle of certain calls" in w for w in result.warnings) == 3
    Scenario.model_validate(doc)


def test_when_every_service_is_called_a_root_is_chosen(tmp_path):
    path = _csv(tmp_path, ["a,b", "b,a", "b,c", "x,y", "y,x"])
    result = import_graph("csv", [path])
    assert [e["service"] for e in result.document["entrypoints"]] == ["b", "x"]
    assert any("chose b as their entrypoint" in w for w in result.warnings)
    Scenario.model_validate(result.document)


def test_names_become_unique_dns_labels(tmp_path):
    long = "X" * 80
    path = _csv(tmp_path, ["Service A,service_a", f"service_a,{long}", "Service A,-.-"])
    result = import_graph("csv", [path])
    names = [s["name"] for s in result.document["services"]]
    assert names == ["service-a", "service-a-2", "x" * 63, "service"]
    assert any("the name was taken" in w for w in result.warnings)
    Scenario.model_validate(result.document)


def test_rate_option_and_default(tmp_path):
    path = _csv(tmp_path, ["a,b"])
    assert import_graph("csv", [path]).document["entrypoints"][0]["rate"] == "100/s"
    assert import_graph("csv", [path], rate_rps=20.5).document["entrypoints"][0]["rate"] == "20.5/s"


def test_several_inputs_are_merged(tmp_path):
    first = _csv(tmp_path, ["a,b,10"], "one.csv")
    second = _csv(tmp_path, ["a,b,10", "b,c,40"], "two.csv")
    doc = import_graph("csv", [first, second]).document
    assert calls_of(doc, "b") == {"c": {"to": "c", "count": 2}}


def test_value_helpers():
    assert round_sig(123456) == 123500
    assert format_duration_ms(0) == "0ms"
    assert format_duration_ms(1234.6) == "1.235s"
    assert format_duration_ms(0.0005) == "0.5us"
    assert parse_duration_ms("1h") == 3_600_000
    assert parse_duration_ms("10µs") == 0.01
    assert parse_rate("200") == 200 and parse_rate("1200/m") == 20
    assert parse_percent("0.01%") == 0.0001 and parse_percent(0.5) == 0.5
    for bad in ("", "5", "ms", "1.2.3s", "-1s"):
        with pytest.raises(ValueError):
            parse_duration_ms(bad)
    for bad in ("0", "-3/s", "fast", "nan"):
        with pytest.raises(ValueError):
            parse_rate(bad)


@given(st.text(max_size=100))
def test_dns_label_always_gives_a_valid_label(raw):
    from models.services import DNS_LABEL

    assert DNS_LABEL.match(dns_label(raw))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# a cycle with counts once asked for 24,845 replicas, over the format's limit
@example(edges=[(0, 1, None), (0, 2, None), (1, 2, 5), (2, 0, 4)])
@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.one_of(st.none(), st.integers(0, 500))),
        min_size=1,
        max_size=25,
    )
)
def test_any_edge_list_gives_a_valid_scenario(tmp_path, edges):
    rows = [f"s{a},s{b}" + ("" if calls is None else f",{calls}") for a, b, calls in edges]
    result = import_graph("csv", [_csv(tmp_path, rows, "fuzz.csv")])
    scenario = Scenario.model_validate(result.document)
    assert edges_of(result.document) == {(f"s{a}", f"s{b}") for a, b, _ in edges}
    assert scenario.entrypoints


def _alibaba_like(seed: int, services: int = 2000) -> list[str]:
    """A tree-like call graph: 4 tiers, fan-out median 2 (p99 about 20), shared callees."""
    rng = random.Random(seed)
    tiers = [40, 300, 700, services - 1040]
    names, start = [], 0
    for size in tiers:
        names.append([f"ms-{i}" for i in range(start, start + size)])
        start += size
    rows = ["caller,callee,calls"]
    for upper, lower in zip(names, names[1:], strict=False):
        called = set()
        for caller in upper:
            fan_out = max(1, round(rng.lognormvariate(0.6931, 1.0)))
            for callee in rng.sample(lower, min(fan_out, len(lower))):
                called.add(callee)
                rows.append(f"{caller},{callee},{rng.randint(1, 5000)}")
        for callee in lower:
            if callee not in called:
                rows.append(f"{rng.choice(upper)},{callee},{rng.randint(1, 5000)}")
    return rows


def test_a_2000_service_graph_imports_validates_and_runs(tmp_path):
    from meshsim import run_scenario

    path = _csv(tmp_path, _alibaba_like(seed=42), "alibaba.csv")
    result = import_graph("csv", [path], rate_rps=2)
    document = {**result.document, "simulation": {"duration": "1s", "warmup": "0s",
                                                  "replications": 1}}  # fmt: skip
    scenario = Scenario.model_validate(document)
    assert len(scenario.services) == 2000
    assert len(scenario.entrypoints) == 40
    results = run_scenario(scenario, phase_indexes=[0])
    assert sum(e.requests for e in results.phases[0].entrypoints.values()) > 0
