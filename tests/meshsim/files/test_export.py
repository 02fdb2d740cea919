"""``export istio``: valid Istio v1 manifests with the numbers of the policies in force."""

from __future__ import annotations

import pytest
import yaml

from meshsim.errors import SimulationError
from meshsim.files.istio import export_istio, istio_duration
from tests.meshsim.planning.planning_scenarios import shop

POLICIES = {
    "defaults": {"retries": {"attempts": 1}},
    "policies": [
        {
            "host": "pay",
            "timeout": "2s",
            "retries": {"attempts": 3, "perTryTimeout": "500ms", "retryOn": ["5xx", "reset"]},
            "connectionPool": {
                "maxConnections": 10,
                "maxPendingRequests": 5,
                "maxRequests": 20,
                "maxRetries": 2,
            },
            "outlierDetection": {
                "consecutive5xxErrors": 3,
                "interval": "5s",
                "baseEjectionTime": "1m",
                "maxEjectionPercent": 50,
            },
        },
        {"host": "db", "retries": "none", "timeout": "1.5s"},
    ],
}


def docs(files, name):
    return [d for d in yaml.safe_load_all(files[name]) if d is not None]


def by_kind(files):
    out = {}
    for name in files:
        for doc in docs(files, name):
            out.setdefault(doc["kind"], []).append(doc)
    return out


def test_istio_duration():
    assert [istio_duration(x) for x in (2.0, 0.5, 1.5, 60.0, 0.0001)] == [
        "2s",
        "500ms",
        "1500ms",
        "60s",
        "1ms",
    ]


def test_baseline_exports_nothing_and_unknown_phases_fail():
    s = shop()
    assert export_istio(s, 0) == {}
    assert export_istio(s, "baseline") == {}
    with pytest.raises(SimulationError, match="unknown phase 'nope'"):
        export_istio(s, "nope")
    with pytest.raises(SimulationError, match="out of range"):
        export_istio(s, 9)


def test_partial_namespace_gets_pod_labels_full_namespace_gets_a_namespace_label():
    s = shop()
    first = by_kind(export_istio(s, "leaves"))
    deployments = first["Deployment"]
    assert [d["metadata"]["name"] for d in deployments] == ["db", "ads", "pay"]
    for d in deployments:
        assert d["apiVersion"] == "apps/v1"
        assert d["metadata"]["namespace"] == "default"
        pod = d["spec"]["template"]["metadata"]
        assert pod["labels"]["sidecar.istio.io/inject"] == "true"
        assert pod["annotations"]["sidecar.istio.io/inject"] == "true"
    assert "Namespace" not in first
    last = by_kind(export_istio(s))  # default: the last phase, everything meshed
    assert "Deployment" not in last
    assert last["Namespace"] == [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "default", "labels": {"istio-injection": "enabled"}},
        }
    ]


def test_peer_authentication_per_scope():
    s = shop(
        rollout={
            "phases": [
                {
                    "name": "one",
                    "services": ["db"],
                    "mtls": [
                        {"scope": "service", "name": "db", "mode": "STRICT"},
                        {"scope": "namespace", "name": "default", "mode": "PERMISSIVE"},
                    ],
                },
                {
                    "name": "two",
                    "services": ["api"],
                    "mtls": [
                        {"scope": "mesh", "mode": "STRICT"},
                        {"scope": "service", "name": "db", "mode": "PERMISSIVE"},
                    ],
                },
            ]
        }
    )
    assert "40-peer-authentication.yaml" in export_istio(s, 1)
    pas = by_kind(export_istio(s, "two"))["PeerAuthentication"]
    assert all(p["apiVersion"] == "security.istio.io/v1" for p in pas)
    found = {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"] for p in pas}
    assert found == {
        ("default", "db"): {
            "selector": {"matchLabels": {"app": "db"}},
            "mtls": {"mode": "PERMISSIVE"},
        },  # the later rule wins
        ("default", "default"): {"mtls": {"mode": "PERMISSIVE"}},
        ("istio-system", "default"): {"mtls": {"mode": "STRICT"}},
    }


def test_virtual_service_and_destination_rule_round_trip_the_numbers():
    s = shop(mesh=POLICIES)
    kinds = by_kind(export_istio(s, 1))
    vs = {v["metadata"]["name"]: v for v in kinds["VirtualService"]}
    # mesh.defaults is customised: every service gets its merged policy
    assert set(vs) == {"web", "api", "db", "ads", "pay"}
    pay = vs["pay"]
    assert pay["apiVersion"] == "networking.istio.io/v1"
    assert pay["spec"]["hosts"] == ["pay.default.svc.cluster.local"]
    route = pay["spec"]["http"][0]
    assert route["route"] == [{"destination": {"host": "pay.default.svc.cluster.local"}}]
    assert route["timeout"] == "2s"
    assert route["retries"] == {"attempts": 3, "perTryTimeout": "500ms", "retryOn": "5xx,reset"}
    assert vs["db"]["spec"]["http"][0] == {
        "route": [{"destination": {"host": "db.default.svc.cluster.local"}}],
        "timeout": "1500ms",
        "retries": {"attempts": 0},
    }
    # the default's attempts merge over Istio's default retryOn
    assert vs["web"]["spec"]["http"][0]["retries"] == {
        "attempts": 1,
        "retryOn": "connect-failure,refused-stream,unavailable,cancelled",
    }
    (dr,) = kinds["DestinationRule"]
    assert dr["apiVersion"] == "networking.istio.io/v1"
    assert dr["metadata"] == {"name": "pay", "namespace": "default"}
    assert dr["spec"] == {
        "host": "pay.default.svc.cluster.local",
        "trafficPolicy": {
            "connectionPool": {
                "tcp": {"maxConnections": 10},
                "http": {"http1MaxPendingRequests": 5, "http2MaxRequests": 20, "maxRetries": 2},
            },
            "outlierDetection": {
                "consecutive5xxErrors": 3,
                "interval": "5s",
                "baseEjectionTime": "60s",
                "maxEjectionPercent": 50,
            },
        },
    }


def test_phase_policies_start_at_their_phase_and_merge_field_by_field():
    s = shop(
        mesh={"policies": [{"host": "db", "timeout": "1s", "retries": {"attempts": 4}}]},
        rollout={
            "phases": [
                {"name": "one", "services": ["db"]},
                {
                    "name": "two",
                    "services": ["api"],
                    "policies": [
                        {"host": "db", "retries": {"perTryTimeout": "100ms"}},
                        {"host": "pay", "timeout": "3s"},
                    ],
                },
            ]
        },
    )
    one = {v["metadata"]["name"]: v for v in by_kind(export_istio(s, 1))["VirtualService"]}
    assert set(one) == {"db"}  # defaults untouched: only hosts with a policy
    two = {v["metadata"]["name"]: v for v in by_kind(export_istio(s, 2))["VirtualService"]}
    assert set(two) == {"db", "pay"}
    assert two["db"]["spec"]["http"][0]["timeout"] == "1s"
    assert two["db"]["spec"]["http"][0]["retries"]["attempts"] == 4
    assert two["db"]["spec"]["http"][0]["retries"]["perTryTimeout"] == "100ms"
    assert two["pay"]["spec"]["http"][0]["timeout"] == "3s"
    assert "60-destination-rules.yaml" not in export_istio(s, 2)


def test_tcp_services_get_no_virtual_service():
    s = shop(
        mesh={
            "policies": [{"host": "db", "timeout": "1s", "connectionPool": {"maxConnections": 5}}]
        }
    )
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["services"][2]["protocol"] = "tcp"
    tcp = type(s).model_validate(data)
    files = export_istio(tcp, 1)
    assert "50-virtual-services.yaml" not in files
    assert by_kind(files)["DestinationRule"][0]["spec"]["trafficPolicy"] == {
        "connectionPool": {"tcp": {"maxConnections": 5}}
    }


def test_ambient_uses_dataplane_mode_and_waypoints():
    s = shop(
        mesh={"profile": "istio-ambient"},
        rollout={
            "phases": [
                {"name": "one", "services": ["db", "pay"], "waypoints": ["pay"]},
                {"name": "two", "services": ["web", "api", "ads"]},
            ]
        },
    )
    one = by_kind(export_istio(s, 1))
    for d in one["Deployment"]:
        assert d["spec"]["template"]["metadata"] == {
            "labels": {"istio.io/dataplane-mode": "ambient"}
        }
    (gateway,) = one["Gateway"]
    assert gateway["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert gateway["metadata"]["labels"] == {"istio.io/waypoint-for": "service"}
    assert gateway["spec"]["gatewayClassName"] == "istio-waypoint"
    assert gateway["spec"]["listeners"] == [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]
    (service,) = one["Service"]
    assert service["metadata"] == {
        "name": "pay",
        "namespace": "default",
        "labels": {"istio.io/use-waypoint": "waypoint"},
    }
    two = by_kind(export_istio(s, 2))
    assert two["Namespace"][0]["metadata"]["labels"] == {"istio.io/dataplane-mode": "ambient"}


def test_files_are_ordered_and_headed():
    s = shop(mesh=POLICIES)
    files = export_istio(s, "edge")
    assert list(files) == sorted(files)
    for text in files.values():
        assert text.startswith("# meshsim export istio: scenario shop, phase 3 (edge)\n")


def test_cli_writes_files_readable_by_others_that_say_how_to_apply_them(tmp_path):
    import os
    import stat

    from meshsim.cli import main
    from tests.conftest import SAMPLES

    out = tmp_path / "manifests"
    old = os.umask(0o022)
    try:
        code = main(["export", "istio", str(SAMPLES / "online-boutique.yaml"), "-o", str(out)])
    finally:
        os.umask(old)
    assert code == 0
    files = sorted(out.iterdir())
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
        head = path.read_text().splitlines()[:3]
        assert any(
            line.startswith("# apply with: kubectl apply") and line.endswith(f"-f {path.name}")
            for line in head
        ), head
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
