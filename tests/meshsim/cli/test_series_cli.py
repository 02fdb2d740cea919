"""`meshsim run --series [WIDTH]` and `--series-csv PATH` (SPEC §14)."""

from __future__ import annotations

import csv
import json

import pytest

from meshsim.cli import main

TEXT = """\
services:
  - {name: a, serviceTime: 2ms, calls: [{to: b}]}
  - {name: b, serviceTime: 3ms}
entrypoints:
  - {name: web, service: a, rate: 8/s, arrival: constant,
     load: [{at: 4s, rate: 16/s}]}
simulation: {duration: 6s, warmup: 1s, replications: 1, seed: 3}
"""


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    return path


def test_series_flag_adds_the_series_to_every_phase(scenario, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", str(scenario), "--series", "2s", "--json", str(out), "--quiet"]) == 0
    phase = json.loads(out.read_text())["phases"][0]
    series = phase["series"]
    assert series["bucketS"] == 2.0 and series["t"] == [0.0, 2.0, 4.0]
    # constant arrivals every 1/8 s, then 1/16 s from 4 s: 15, 16, 32 per 2 s bucket
    assert series["entrypoints"]["web"]["requests"] == [15.0, 16.0, 32.0]
    assert set(series["services"]["a"]) == {
        "attempts",
        "rejected",
        "timeouts",
        "inFlight",
        "queued",
        "utilization",
        "ejected",
    }
    assert [(e["from"], e["to"]) for e in series["edges"]] == [("@web", "a"), ("a", "b")]
    assert set(series["entrypoints"]["web"]) == {"requests", "ok", "failed", "p50Ms", "p99Ms"}


def test_no_series_without_the_flag(scenario, tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", str(scenario), "--json", str(out), "--quiet"]) == 0
    assert "series" not in json.loads(out.read_text())["phases"][0]


def test_series_csv_writes_long_rows(scenario, tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["run", str(scenario), "--series-csv", str(out), "--quiet"]) == 0
    assert "baseline" in capsys.readouterr().out  # the table is still printed
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["phase", "t", "kind", "name", "metric", "value"]
    requests = [
        float(r["value"])
        for r in rows
        if (r["kind"], r["name"], r["metric"]) == ("entrypoint", "web", "requests")
    ]
    assert requests == [7.0, 8.0, 8.0, 8.0, 16.0, 16.0]  # 1 s buckets by default
    edge = {r["name"] for r in rows if r["kind"] == "edge"}
    assert edge == {"@web->a", "a->b"}
    # 6 buckets x (5 entry + 2 x 7 service + 2 x 3 edge metrics)
    assert len(rows) == 6 * (5 + 14 + 6)


def test_a_bad_width_is_one_clear_line(scenario, capsys):
    assert main(["run", str(scenario), "--series", "0s", "--quiet"]) == 2  # a usage error
    assert "series must be a bucket width > 0" in capsys.readouterr().err
