"""Each file under ``tests/data/formats`` imports, validates and runs; ``auto`` names it."""

from __future__ import annotations

import pytest

from meshsim.files.importers import detect_format, import_graph
from models import Scenario

FORMAT_OF = {
    "generic/online-boutique.dot": "dot",
    "generic/online-boutique.graphml": "graphml",
    "isotope/10-svc_100-end.yaml": "isotope",
    "isotope/canonical.yaml": "isotope",
    "isotope/chain-3-services.yaml": "isotope",
    "isotope/tree-13-services.yaml": "isotope",
    "jaeger/dependencies-small.data.json": "jaeger-deps",
    "jaeger/ui_01.trace.json": "jaeger-trace",
    "kiali/test_service_graph.json": "kiali",
    "otel-servicegraph/virtual-node-label-expected-metrics.yaml": "otel-servicegraph",
    "zipkin/trace-yelp.json": "zipkin-trace",
}
NOT_GRAPHS = {
    "isotope/README.md": "isotope's documentation",
    "zipkin/zipkin2-api.yaml": "the Zipkin API's OpenAPI description (DependencyLink schema)",
}
OTHER = {
    "online-boutique/kubernetes-manifests.yaml": "k8s",
    "online-boutique/istio-manifests.yaml": None,  # Istio objects only: no workload
    "online-boutique/edges.csv": "csv",
    "bookinfo/bookinfo.yaml": "k8s",
}


def test_every_file_under_formats_is_covered(data):
    found = {p.relative_to(data / "formats").as_posix() for p in (data / "formats").rglob("*")
             if p.is_file()}  # fmt: skip
    assert found == set(FORMAT_OF) | set(NOT_GRAPHS)


@pytest.mark.parametrize(("name", "fmt"), sorted(FORMAT_OF.items()))
def test_file_imports_validates_and_runs(data, name, fmt):
    from meshsim import run_scenario

    result = import_graph(fmt, [data / "formats" / name])
    document = {**result.document, "simulation": {"duration": "2s", "warmup": "0s",
                                                  "replications": 1}}  # fmt: skip
    scenario = Scenario.model_validate(document)
    results = run_scenario(scenario, phase_indexes=[0])
    assert sum(e.requests for e in results.phases[0].entrypoints.values()) > 0


@pytest.mark.parametrize(("name", "fmt"), sorted(FORMAT_OF.items()))
def test_auto_detects_the_format(data, name, fmt):
    assert detect_format([data / "formats" / name]) == fmt
    auto = import_graph("auto", [data / "formats" / name]).document
    assert auto["services"] == import_graph(fmt, [data / "formats" / name]).document["services"]


@pytest.mark.parametrize(("name", "fmt"), sorted((k, v) for k, v in OTHER.items() if v))
def test_auto_detects_other_shared_files(data, name, fmt):
    assert detect_format([data / name]) == fmt


def test_auto_refuses_files_of_different_formats(data):
    from meshsim.errors import GraphImportError

    paths = [data / "formats/kiali/test_service_graph.json", data / "online-boutique/edges.csv"]
    with pytest.raises(GraphImportError, match="different formats"):
        detect_format(paths)


def test_auto_cannot_tell_a_document_that_is_no_graph(data):
    from meshsim.errors import GraphImportError

    with pytest.raises(GraphImportError, match="zipkin2-api.yaml: cannot tell the format"):
        detect_format([data / "formats/zipkin/zipkin2-api.yaml"])


def test_istio_objects_alone_are_no_graph(data):
    from meshsim.errors import GraphImportError

    with pytest.raises(GraphImportError, match="no Deployment"):
        import_graph("k8s", [data / "online-boutique/istio-manifests.yaml"])


def test_auto_reads_isotopes_documented_kubernetes_like_header_as_isotope(tmp_path):
    # isotope's README: "apiVersion: v1alpha1  # K8s-like API version", kind MockServiceGraph
    path = tmp_path / "topology.yaml"
    path.write_text(
        "apiVersion: v1alpha1\nkind: MockServiceGraph\ndefaults:\n  numReplicas: 2\n"
        "services:\n- name: a\n  isEntrypoint: true\n  script:\n  - call: b\n- name: b\n"
    )
    assert detect_format([path]) == "isotope"
    doc = import_graph("auto", [path]).document
    assert [(s["name"], s.get("replicas")) for s in doc["services"]] == [("a", 2), ("b", 2)]
    assert doc["entrypoints"] == [{"name": "a", "service": "a", "rate": "100/s"}]
