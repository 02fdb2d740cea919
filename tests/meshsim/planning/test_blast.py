"""Blast radius (SPEC §11.4): structural from the graph, dynamic from paired outages."""

from __future__ import annotations

import json

import pytest

from meshsim.cli import main
from meshsim.errors import SimulationError
from meshsim.planning.blast import blast_radius, with_outage
from meshsim.rollout.state import resolve_phase
from tests.meshsim.planning.planning_scenarios import SHOP_YAML, scenario, shop


def traffic_split(**sim):
    """front -> mid with p=0.3 (required) -> leaf; front -> extra (optional); 3 phases."""
    return scenario(
        {
            "services": [
                {
                    "name": "front",
                    "calls": [{"to": "mid", "probability": 0.3}, {"to": "extra", "optional": True}],
                },
                {"name": "mid", "calls": [{"to": "leaf"}]},
                {"name": "leaf"},
                {"name": "extra"},
            ],
            "entrypoints": [{"name": "users", "service": "front", "rate": "200/s"}],
            "rollout": {
                "phases": [
                    {"name": "leaves", "services": ["leaf", "extra"]},
                    {"name": "all", "services": ["front", "mid"]},
                ]
            },
            "simulation": {"duration": "3s", "warmup": "0.5s", "replications": 2, "seed": 5, **sim},
        }
    )


def test_resolve_phase():
    s = shop()
    assert resolve_phase(s, None) == 3
    assert resolve_phase(s, "middle") == 2
    assert resolve_phase(s, "0") == resolve_phase(s, "baseline") == 0
    assert resolve_phase(s, 1) == 1
    assert resolve_phase(shop(rollout={"phases": []}), None) == 0
    with pytest.raises(SimulationError, match="unknown phase 'x'; known: baseline, leaves"):
        resolve_phase(s, "x")
    with pytest.raises(SimulationError, match="out of range 0..3"):
        resolve_phase(s, 4)


def test_with_outage_adds_a_fault_from_the_warmup_on():
    s = shop()
    (fault,) = with_outage(s, "db").faults
    assert (fault.service, fault.type, fault.start, fault.duration) == ("db", "outage", 0.5, None)
    assert fault.replicas is None  # every replica
    assert s.faults == []


@pytest.mark.parametrize("phase", ["baseline", "all"])
def test_dynamic_blast_radius_of_a_required_service_is_its_traffic_share(phase):
    results = blast_radius(traffic_split(), phase=phase, workers=1)
    assert results.phase == phase
    got = {n: e.blast_radius for n, e in results.services.items()}
    # ~500 measured requests per replication: the binomial s.d. of 0.3 is 0.02.
    assert got["mid"] == pytest.approx(0.3, abs=0.07)
    assert got["leaf"] == pytest.approx(0.3, abs=0.07)
    assert got["front"] == pytest.approx(1.0, abs=1e-9)
    assert got["extra"] == pytest.approx(0.0, abs=0.01)
    structural = {n: e.structural_blast_radius for n, e in results.services.items()}
    assert structural == pytest.approx({"front": 1.0, "mid": 0.3, "leaf": 0.3, "extra": 0.0})
    for entry in results.services.values():
        assert entry.ci95["blastRadius"] >= 0.0


def test_blast_radius_when_the_call_probability_is_drawn_below_a_meshed_caller():
    # front -> mid (certain) -> leaf (p=0.3). Under an outage of leaf, mid fails 30% of its
    # requests with 500; front's mesh retries only connect-failure/unavailable, so ~30% fail.
    s = traffic_split()
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["services"][0]["calls"][0].pop("probability")
    data["services"][1]["calls"][0]["probability"] = 0.3
    results = blast_radius(scenario(data), phase="all", services=["leaf"], workers=1)
    assert results.services["leaf"].blast_radius == pytest.approx(0.3, abs=0.07)


def test_outages_are_paired_on_the_same_random_numbers():
    # One replication of one seed: the fault-free and the outage runs see the same
    # arrivals and draws, so an outage of a never-called service changes nothing at all.
    s = traffic_split(replications=1)
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["services"].append({"name": "idle"})
    results = blast_radius(scenario(data), phase="all", services=["idle", "mid"], workers=1)
    assert list(results.services) == ["idle", "mid"]
    assert results.services["idle"].blast_radius == 0.0
    assert results.services["idle"].ci95 == {}


def test_unknown_service():
    with pytest.raises(SimulationError, match="unknown service 'nope'"):
        blast_radius(shop(), services=["nope"])


def test_cli_blast(tmp_path, capsys):
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP_YAML)
    code = main(
        [
            "blast",
            str(path),
            "--phase",
            "leaves",
            "--service",
            "ads",
            "--service",
            "db",
            "--json",
            "-",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["phase"] == "leaves"
    assert set(doc["services"]) == {"ads", "db"}
    assert set(doc["services"]["db"]) == {"blastRadius", "structuralBlastRadius", "ci95"}
    assert doc["services"]["db"]["blastRadius"] > 0.9
    assert main(["blast", str(path), "--service", "ads", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "phase edge" in out and "ads" in out
    assert main(["blast", str(path), "--service", "nope"]) == 2
    assert "unknown service 'nope'" in capsys.readouterr().err
    assert main(["blast", str(path), "--phase", "7"]) == 2


def test_cli_export(tmp_path, capsys):
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP_YAML)
    assert main(["export", "istio", str(path), "--phase", "middle"]) == 0
    out = capsys.readouterr().out
    assert "kind: PeerAuthentication" in out and "\n---\n" in out
    assert main(["export", "istio", str(path), "-o", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["10-namespaces.yaml", "40-peer-authentication.yaml"]
    assert main(["export", "istio", str(path), "--phase", "baseline"]) == 0
    assert "nothing to export" in capsys.readouterr().err
    assert main(["export", "istio", str(path), "--phase", "nope"]) == 2
