"""Broken inputs give a GraphImportError naming the file (and line), never anything else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshsim.errors import GraphImportError
from meshsim.files.importers import IMPORTERS, import_graph
from models import Scenario

SAMPLES = {
    "k8s": "online-boutique/kubernetes-manifests.yaml",
    "jaeger-deps": "formats/jaeger/dependencies-small.data.json",
    "jaeger-trace": "formats/jaeger/ui_01.trace.json",
    "zipkin-deps": "formats/jaeger/dependencies-small.data.json",
    "zipkin-trace": "formats/zipkin/trace-yelp.json",
    "kiali": "formats/kiali/test_service_graph.json",
    "isotope": "formats/isotope/canonical.yaml",
    "otel-servicegraph": "formats/otel-servicegraph/virtual-node-label-expected-metrics.yaml",
    "dot": "formats/generic/online-boutique.dot",
    "graphml": "formats/generic/online-boutique.graphml",
    "csv": "online-boutique/edges.csv",
}
ALL_FORMATS = sorted(IMPORTERS)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _attempt(fmt: str, content: bytes, name: str = "input") -> None:
    """Import ``content``: it may work (then it must validate) or raise GraphImportError."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            result = import_graph(fmt, [path])
        except GraphImportError as err:
            assert name in str(err) or err.file is None
            return
        Scenario.model_validate(result.document)


def _fails(fmt: str, path: Path, pattern: str) -> GraphImportError:
    with pytest.raises(GraphImportError, match=pattern) as info:
        import_graph(fmt, [path])
    assert str(info.value).startswith(str(path))
    return info.value


def test_samples_cover_every_format():
    assert set(SAMPLES) == set(IMPORTERS)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_empty_file(tmp_path, fmt):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n")
    _fails(fmt, path, "file is empty")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_binary_junk(tmp_path, fmt):
    path = tmp_path / "junk.bin"
    path.write_bytes(bytes(range(256)) * 4)
    _fails(fmt, path, "not UTF-8|binary")


@pytest.mark.parametrize("fmt", [*ALL_FORMATS, "auto"])
def test_missing_file(tmp_path, fmt):
    _fails(fmt, tmp_path / "missing.yaml", "cannot read file")


@pytest.mark.parametrize("fmt", ["jaeger-deps", "jaeger-trace", "zipkin-trace", "kiali"])
def test_truncated_json_has_its_line(data, tmp_path, fmt):
    text = (data / SAMPLES[fmt]).read_text()
    path = tmp_path / "truncated.json"
    path.write_text(text[: len(text) // 2])
    err = _fails(fmt, path, "invalid JSON")
    assert err.line is not None and err.line > 1


@pytest.mark.parametrize("fmt", ["k8s", "isotope", "otel-servicegraph"])
def test_yaml_syntax_error_has_its_line(tmp_path, fmt):
    path = tmp_path / "bad.yaml"
    path.write_text("services:\n- name: a\n  script: [call: b\n- name: c\n")
    err = _fails(fmt, path, "invalid YAML")
    assert err.line == 4


@pytest.mark.parametrize(
    ("fmt", "content", "pattern"),
    [
        ("jaeger-deps", [1, 2], "link 1 must be a mapping"),
        ("jaeger-deps", [{"parent": "a", "callCount": 3}], "link 1: child"),
        ("zipkin-deps", [{"parent": "a", "child": "b", "callCount": -1}], "callCount must be"),
        ("jaeger-trace", {"spans": "many"}, "spans must be a list"),
        ("jaeger-trace", {"data": [{"spans": [{"spanID": "1"}]}]}, "traceID"),
        ("zipkin-trace", {"traceId": "x"}, "must be a list"),
        ("zipkin-trace", [{"traceId": "t", "annotations": []}], "Zipkin v1"),
        ("kiali", {"elements": []}, "elements must be a mapping"),
        (
            "kiali",
            {
                "elements": {
                    "nodes": [{"data": {"id": "a"}}],
                    "edges": [{"data": {"source": "a", "target": "b"}}],
                }
            },
            "node 'b' is not among the nodes",
        ),  # fmt: skip
        ("isotope", {"services": {"a": 1}}, "services must be a list"),
        ("isotope", {"services": [{"name": "a", "type": "soap"}]}, "type must be http or grpc"),
        ("isotope", {"services": [{"name": "a"}, {"name": "a"}]}, "defined twice"),
        ("otel-servicegraph", {"resourceMetrics": {}}, "resourceMetrics must be a list"),
        ("otel-servicegraph", {"resourceMetrics": []}, "no traces_service_graph"),
    ],
)
def test_wrong_structure(tmp_path, fmt, content, pattern):
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(content))
    _fails(fmt, path, pattern)


def test_graphml_errors(tmp_path):
    path = tmp_path / "g.graphml"
    path.write_text("<graphml><graph>\n<node id='a'/>\n<edge source='a'></graph></graphml>")
    err = _fails("graphml", path, "invalid XML")
    assert err.line == 3
    path.write_text("<!DOCTYPE x [<!ENTITY a 'b'>]><graphml/>")
    _fails("graphml", path, "DOCTYPE")


def test_unknown_format_and_bad_rate(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("a,b\n")
    with pytest.raises(GraphImportError, match="unknown format 'svg'"):
        import_graph("svg", [path])
    with pytest.raises(GraphImportError, match="rate"):
        import_graph("csv", [path], rate_rps=0)
    with pytest.raises(GraphImportError, match="no input"):
        import_graph("csv", [])


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@FUZZ
@given(content=st.binary(max_size=300))
def test_fuzz_random_bytes(fmt, content):
    _attempt(fmt, content)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@FUZZ
@given(content=st.text(alphabet=st.sampled_from("{}[]:,\"-> \n#/*=abc01.%<>\t'@"), max_size=200))
def test_fuzz_syntax_like_text(fmt, content):
    _attempt(fmt, content.encode())


_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**12)
    | st.floats(allow_nan=True)
    | st.sampled_from(["a", "b", "", "0", "1.5", "50%", "10ms", "http", "true", "NaN"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "kind",
                    "name",
                    "parent",
                    "child",
                    "callCount",
                    "errorCount",
                    "spans",
                    "traceID",
                    "spanID",
                    "traceId",
                    "id",
                    "parentId",
                    "services",
                    "script",
                    "call",
                    "sleep",
                    "elements",
                    "nodes",
                    "edges",
                    "data",
                    "source",
                    "target",
                    "traffic",
                    "rates",
                    "http",
                    "resourceMetrics",
                    "metadata",
                    "spec",
                    "template",
                    "containers",
                    "env",
                    "value",
                    "probability",
                    "errorRate",
                    "numReplicas",
                    "isRoot",
                    "processes",
                    "references",
                    "localEndpoint",
                    "serviceName",
                    "duration",
                    "timestamp",
                ]
            ),
            inner,
            max_size=5,
        )
    ),  # fmt: skip
    max_leaves=25,
)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@FUZZ
@given(value=_JSONISH)
def test_fuzz_structured_documents(fmt, value):
    _attempt(fmt, json.dumps(value).encode(), "input.json")
    _attempt(fmt, yaml.safe_dump(value).encode(), "input.yaml")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@FUZZ
@given(draw=st.data())
def test_fuzz_mutated_real_files(data, fmt, draw):
    content = bytearray((data / SAMPLES[fmt]).read_bytes())
    for _ in range(draw.draw(st.integers(1, 4))):
        start = draw.draw(st.integers(0, len(content) - 1))
        end = draw.draw(st.integers(start, min(len(content), start + 40)))
        replacement = draw.draw(st.binary(max_size=8))
        content[start:end] = replacement
    _attempt(fmt, bytes(content), Path(SAMPLES[fmt]).name)
