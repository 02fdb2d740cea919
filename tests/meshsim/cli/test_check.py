"""`meshsim check` (SPEC §16): assertions, scenario `checks`, exit codes, JUnit XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from meshsim.cli import main
from meshsim.planning.checks import Limits
from models import Checks

TEXT = """\
services:
  - name: a
    serviceTime: 10ms
    calls: [{to: b}]
  - name: b
    serviceTime: 5ms
entrypoints:
  - {name: web, service: a, rate: 20/s, arrival: constant}
rollout:
  phases:
    - name: strict-b
      services: [b]
      mtls: [{scope: service, name: b, mode: STRICT}]
    - name: all
      services: [a]
simulation: {duration: 5s, warmup: 1s, replications: 1, seed: 3}
"""
RUN = ["--quiet", "--executor", "serial"]


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(TEXT)
    return path


def test_baseline_p99_is_exact_and_limits_hold(shop, capsys):
    # nothing meshed, no network latency: every request takes 10 ms + 5 ms
    assert main(["check", str(shop), "--phase", "0", "--max-p99", "15ms", *RUN]) == 0
    assert main(["check", str(shop), "--phase", "baseline", "--max-p99", "14ms", *RUN]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out == ["phase baseline: entrypoint web: p99 15 ms > 14 ms"]


def test_breakages_and_success(shop, capsys):
    args = ["check", str(shop), "--phase", "strict-b", "--no-breakages", "--min-success", "0.5"]
    assert main([*args, *RUN]) == 3
    out = capsys.readouterr().out.splitlines()
    # a is plaintext and b is STRICT: every call to b is refused, every request fails
    assert out[0] == "phase strict-b: entrypoint web: success rate 0% < 50%"
    assert re.fullmatch(r"phase strict-b: [1-9]\d* attempts refused by STRICT mTLS > 0", out[1])
    assert len(out) == 2


def test_scenario_checks_and_options_override(shop, tmp_path, capsys):
    shop.write_text(TEXT + "checks: {maxP99Delta: 0ms, minSuccess: 0.99}\n")
    junit = tmp_path / "out" / "junit.xml"
    (tmp_path / "out").mkdir()
    assert main(["check", str(shop), "--phase", "all", "--junit", str(junit), *RUN]) == 3
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("phase all: entrypoint web: p99 − baseline p99 +")
    root = ET.parse(junit).getroot()
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "scenario: phase all" and suite.get("failures") == "1"
    cases = {c.get("name"): c.find("failure") for c in suite.findall("testcase")}
    assert set(cases) == {"web: successRate", "web: p99Delta"}
    assert cases["web: successRate"] is None and cases["web: p99Delta"] is not None
    # the proxies add well under a second: an option over the scenario's limit
    assert main(["check", str(shop), "--phase", "all", "--max-p99-delta", "1s", *RUN]) == 0


def test_declared_slos_are_always_checked(shop, capsys):
    shop.write_text(
        TEXT.replace("arrival: constant}", "arrival: constant, slo: {latencyP99: 12ms}}")
    )
    assert main(["check", str(shop), "--phase", "0", *RUN]) == 3
    assert capsys.readouterr().out == "phase baseline: entrypoint web: SLO p99 15 ms > 12 ms\n"


def test_invalid_input_exits_2(shop, capsys):
    assert main(["check", str(shop), "--phase", "nope", *RUN]) == 2
    assert main(["check", str(shop), "--set", "services[a].replicas=0", *RUN]) == 2


def test_limits_merge():
    scenario = Limits.from_checks(Checks.model_validate({"maxP99Delta": "20%", "maxP99": "1s"}))
    assert scenario.max_p99_delta_fraction == 0.2 and scenario.max_p99_s == 1.0
    merged = scenario.over(Limits(max_p99_delta_s=0.005))
    assert merged.max_p99_delta_s == 0.005 and merged.max_p99_delta_fraction is None
    assert merged.max_p99_s == 1.0


def test_retry_storm_fails_its_storm_phase(tmp_path, capsys):
    from tests.conftest import SAMPLES

    junit = tmp_path / "junit.xml"
    args = ["check", str(SAMPLES / "retry-storm.yaml"), "--phase", "mesh-all"]
    args += ["--max-amplification", "1.5", "--junit", str(junit)]
    args += ["--duration", "30s", "--replications", "1", *RUN]
    assert main(args) == 3
    out = capsys.readouterr().out.splitlines()
    # the outage (20 s to 30 s of a 25 s measured window) breaks the 1% error SLO, and the
    # storm multiplies the tries; SPEC §16 wording: "phase X: entrypoint Y: ..."
    assert any(line.startswith("phase mesh-all: entrypoint shop: SLO error rate ") for line in out)
    assert any(line.startswith("phase mesh-all: retry amplification ") for line in out)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("name") == "retry-storm: phase mesh-all"
    assert int(suite.get("failures")) == len(out)
