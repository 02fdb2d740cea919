"""The HTML report: self-contained, complete, escaped, written atomically."""

from __future__ import annotations

import base64
import re

import pytest

from meshsim.planning.scoring import score_ordering
from meshsim.report import html as report
from meshsim.report.tables import describe
from meshsim.sim.profiles import profile_numbers
from models import Mesh
from models.results import BlastEntry, BlastResults, CompareResults, OrderingResult
from tests.meshsim.planning.planning_scenarios import phase_result as phase
from tests.meshsim.planning.planning_scenarios import shop


def compare_results(scenario):
    plans = {
        "careful": [
            p.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for p in scenario.rollout.phases
        ],
        "reckless": [
            {
                "name": "all",
                "services": ["web", "api", "db", "ads", "pay"],
                "mtls": [{"scope": "mesh", "mode": "STRICT"}],
            }
        ],
    }
    careful = [
        phase(0),
        phase(1, mtls=0.3, exposure=0.05, cpu=0.1),
        phase(2, mtls=0.6, exposure=1.0, cpu=0.2),
        phase(3, mtls=1.0, exposure=1.0, cpu=0.3),
    ]
    reckless = [phase(0), phase(1, mtls=1.0, exposure=1.0, cpu=0.3, ok=0.5)]
    reckless[1] = reckless[1].model_copy(update={"breakages": 40.0})
    best = score_ordering(scenario, careful).model_copy(
        update={"delta_vs_best": 0.0, "delta_ci95": 0.5, "tied_with_best": True}
    )
    twin = best.model_copy(update={"delta_vs_best": -0.2, "delta_ci95": 0.5})
    orderings = [
        OrderingResult(
            name="twin", strategy="named", phases=careful, score=twin, plan=plans["careful"]
        ),
        OrderingResult(
            name="reckless",
            strategy="named",
            phases=reckless,
            score=score_ordering(scenario, reckless),
            plan=plans["reckless"],
        ),
        OrderingResult(
            name="careful",
            strategy="as-written",
            phases=careful,
            score=best,
            plan=plans["careful"],
        ),
    ]
    return CompareResults(
        orderings=orderings,
        ranking=["careful", "twin", "reckless"],
        replications={"careful": 3, "twin": 3, "reckless": 3},
        separated=False,
        weights={"mtlsAuc": 15.0, "pilotExposure": 15.0, "endLatency": 0.0},
        verdict="careful and twin are not distinguishable: the score difference +0.2 ± 0.5",
    )


@pytest.fixture
def html_text():
    s = shop(metadata={"name": "shop <&>", "description": "a <b>bold</b> plan"})
    return report.render_report(compare_results(s), s)


def test_report_is_self_contained(html_text):
    assert html_text.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)=\"(?!data:)", html_text)
    assert "http://" not in html_text and "https://" not in html_text
    assert "<script" not in html_text
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html_text)
    assert len(images) == 3  # phase charts, blast heat map, dependency graph
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG")


def test_report_has_ranking_breakdown_plans_and_assumptions(html_text):
    assert html_text.index("Recommended ordering: <b>careful</b>") > 0
    ranking = html_text[html_text.index("<h2>Ranking</h2>") : html_text.index("<h2>The plans")]
    assert ranking.index("careful") < ranking.index("twin") < ranking.index("reckless")
    assert 'class="fail"' in ranking and "Where the points come from" in ranking
    assert '-0.2 ± 0.5 <span class="tag">not distinguishable</span>' in ranking
    assert "careful and twin are not distinguishable" in html_text
    assert "mTLS AUC /15" in ranking and "final p99 /" not in ranking
    assert "Weigh nothing here (equal for every ordering): final p99" in ranking
    assert "pilotMaxExposure" not in ranking.split("reckless")[0]
    for heading in ("Phase by phase", "Blast radius", "Dependency graph", "Assumptions"):
        assert f"<h2>{heading}</h2>" in html_text
    assert "STRICT</span>db" in html_text  # the careful plan's phase 2
    latency = describe(profile_numbers(Mesh()).proxy.latency)  # the profile's own numbers
    assert latency.startswith("lognormal median")
    assert "istio-sidecar" in html_text and f"<td>sidecar</td><td>{latency}</td>" in html_text
    assert "200 ms" in html_text  # the SLO


def test_report_escapes_the_document(html_text):
    assert "shop &lt;&amp;&gt;" in html_text
    assert "a &lt;b&gt;bold&lt;/b&gt; plan" in html_text
    assert "<b>bold</b>" not in html_text


def test_report_with_dynamic_blast_radius():
    s = shop()
    blast = {
        "middle": BlastResults(
            phase="middle",
            services={"db": BlastEntry(blast_radius=0.99, structural_blast_radius=1.0)},
        )
    }
    text = report.render_report(compare_results(s), s, blast)
    assert "Dynamic blast radius" in text


def test_write_report_is_atomic(tmp_path, monkeypatch):
    s = shop()
    target = tmp_path / "out.html"
    assert report.write_report(compare_results(s), s, target) == target
    first = target.read_text(encoding="utf-8")
    assert first.endswith("</html>\n")
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]
    assert target.stat().st_mode & 0o044  # readable by others, not a private temp file

    def fail(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        report.write_report(compare_results(s), s, target)
    assert target.read_text(encoding="utf-8") == first
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]
