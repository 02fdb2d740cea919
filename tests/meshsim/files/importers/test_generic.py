"""DOT, GraphML, CSV and isotope importers."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest

from meshsim.errors import GraphImportError
from meshsim.files.importers import import_graph
from models import Scenario
from tests.meshsim.files.importers.conftest import calls_of, edges_of, service_of


def _boutique_edges(data: Path) -> set[tuple[str, str]]:
    """The ground-truth edges, but the load generator's (imports leave it out)."""
    with open(data / "online-boutique" / "edges.csv", newline="") as handle:
        return {
            (row["caller"], row["callee"])
            for row in csv.DictReader(handle)
            if row["caller"] != "loadgenerator"
        }


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("dot", "formats/generic/online-boutique.dot"),
     ("graphml", "formats/generic/online-boutique.graphml"),
     ("csv", "online-boutique/edges.csv")],
)  # fmt: skip
def test_online_boutique_graph_files(data, fmt, name):
    result = import_graph(fmt, [data / name])
    doc = result.document
    assert edges_of(doc) == _boutique_edges(data)
    assert "loadgenerator" not in {s["name"] for s in doc["services"]}
    assert [e["service"] for e in doc["entrypoints"]] == ["frontend"]
    assert any("loadgenerator looks like a load generator" in w for w in result.warnings)
    assert service_of(doc, "redis-cart")["protocol"] == "tcp"
    Scenario.model_validate(doc)


def test_dot_chains_subgraphs_defaults_and_attributes(tmp_path):
    path = tmp_path / "g.dot"
    path.write_text(
        textwrap.dedent(
            """\
            /* a comment */
            strict digraph "shop" {
              graph [rankdir=LR]; node [protocol=grpc];
              edge [color=grey]
              "Web Front" [entrypoint=true, rate="50/s", protocol=http, replicas=3];
              "Web Front" -> api -> db [calls=100];   // chain
              api -> {cache; search} [probability="25%"];
              subgraph cluster_x { label="x"; api -> audit [count=2] }
              api -> worker [weight=50, label="async"];
              db:port1 -> db;
            }
            """
        )
    )
    result = import_graph("dot", [path])
    doc = result.document
    assert doc["entrypoints"] == [{"name": "web-front", "service": "web-front", "rate": "50/s"}]
    assert service_of(doc, "web-front")["replicas"] == 3
    assert service_of(doc, "web-front")["protocol"] == "http"
    assert service_of(doc, "api")["protocol"] == "grpc"
    assert calls_of(doc, "api") == {
        "db": {"to": "db"},
        "cache": {"to": "cache", "probability": 0.25},
        "search": {"to": "search", "probability": 0.25},
        "audit": {"to": "audit", "count": 2},
        "worker": {"to": "worker", "probability": 0.5},
    }
    # a certain self-call never ends: it gets probability 0.1
    assert calls_of(doc, "db")["db"]["probability"] == 0.1
    assert any("cycle of certain calls db -> db" in w for w in result.warnings)
    Scenario.model_validate(doc)


def test_dot_syntax_error_has_its_line(tmp_path):
    path = tmp_path / "bad.dot"
    path.write_text("digraph {\n  a -> b\n  c -> [x=1]\n}\n")
    with pytest.raises(GraphImportError, match=r"bad\.dot:3: expected id"):
        import_graph("dot", [path])


def test_graphml_without_namespace_and_with_attributes(tmp_path):
    path = tmp_path / "g.graphml"
    path.write_text(
        textwrap.dedent(
            """\
            <graphml>
              <key id="c" for="edge" attr.name="calls"/>
              <key id="n" for="node" attr.name="name"/>
              <graph edgedefault="directed">
                <node id="n0"><data key="n">Front End</data></node>
                <node id="n1"/>
                <edge source="n0" target="n1"><data key="c">30</data></edge>
                <edge source="n1" target="n1"><data key="c">3</data></edge>
              </graph>
            </graphml>
            """
        )
    )
    doc = import_graph("graphml", [path]).document
    assert calls_of(doc, "front-end") == {"n1": {"to": "n1"}}
    assert calls_of(doc, "n1") == {"n1": {"to": "n1", "probability": 0.09091}}


def test_csv_without_header_and_tsv(tmp_path):
    plain = tmp_path / "edges.txt"
    plain.write_text("# caller,callee,calls\nweb,api,100\nweb,static\napi,db,250\n\n")
    doc = import_graph("csv", [plain]).document
    assert calls_of(doc, "web") == {"api": {"to": "api"}, "static": {"to": "static"}}
    assert calls_of(doc, "api") == {"db": {"to": "db", "count": 2}}
    tsv = tmp_path / "edges.tsv"
    tsv.write_text("source\ttarget\terrors\tcalls\nweb\tapi\t5\t100\n")
    doc = import_graph("csv", [tsv]).document
    assert service_of(doc, "api")["errorRate"] == 0.05


def test_csv_bad_number_has_its_line(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("caller,callee,calls\na,b,1\nb,c,many\n")
    with pytest.raises(GraphImportError, match=r"edges\.csv:3: b -> c: calls must be a number"):
        import_graph("csv", [path])


def test_isotope_canonical(data):
    doc = import_graph("isotope", [data / "formats/isotope/canonical.yaml"]).document
    assert service_of(doc, "d")["calls"] == [
        {"parallel": [{"to": "a"}, {"to": "c"}]},
        {"to": "b"},
    ]
    assert [e["service"] for e in doc["entrypoints"]] == ["d"]
    Scenario.model_validate(doc)


def test_isotope_defaults_replicas_and_single_call_groups(data):
    doc = import_graph("isotope", [data / "formats/isotope/tree-13-services.yaml"]).document
    assert all(s["replicas"] == 6 for s in doc["services"])
    assert service_of(doc, "d")["calls"] == [
        {"parallel": [{"to": "svc-0-0"}, {"to": "svc-0-1"}, {"to": "svc-0-2"}]}
    ]
    doc = import_graph("isotope", [data / "formats/isotope/10-svc_100-end.yaml"]).document
    assert service_of(doc, "svc-0-0")["calls"] == [{"to": "svc-0-0-0"}]


def test_isotope_fields_the_converter_reads(tmp_path):
    path = tmp_path / "topology.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            defaults: {errorRate: 0.01%, type: grpc, numReplicas: 2}
            services:
            - name: a
              isEntrypoint: true
              errorRate: 0.5
              script:
              - sleep: 10ms
              - call: {service: b, size: 10K, probability: 25}
              - - call: c
                - sleep: 5ms
              - sleep: 1.5ms
            - {name: b, type: http}
            - {name: c}
            """
        )
    )
    result = import_graph("isotope", [path])
    doc = result.document
    a = service_of(doc, "a")
    assert a["errorRate"] == 0.5
    assert a["serviceTime"] == "16.5ms"
    assert a["calls"] == [{"to": "b", "probability": 0.25}, {"to": "c"}]
    assert service_of(doc, "b") == {"name": "b", "replicas": 2, "protocol": "http",
                                    "errorRate": 0.0001}  # fmt: skip
    assert any("sleep that runs alongside calls" in w for w in result.warnings)
    Scenario.model_validate(doc)


def test_isotope_probability_over_100_is_an_error(tmp_path):
    path = tmp_path / "topology.yaml"
    path.write_text("services:\n- name: a\n  script:\n  - call: {service: b, probability: 150}\n")
    with pytest.raises(GraphImportError, match="percentage"):
        import_graph("isotope", [path])


def test_graphml_generated_ids_take_the_label_as_the_name(tmp_path):
    # Gephi/networkx write ids n0, n1 and the name in a "label" key; yEd in <y:NodeLabel>
    path = tmp_path / "g.graphml"
    path.write_text(
        textwrap.dedent(
            """\
            <?xml version="1.0" encoding="UTF-8"?>
            <graphml xmlns="http://graphml.graphdrawing.org/xmlns"
                     xmlns:y="http://www.yworks.com/xml/graphml">
              <key id="d0" for="node" attr.name="label" attr.type="string"/>
              <key id="d6" for="node" yfiles.type="nodegraphics"/>
              <graph id="G" edgedefault="directed">
                <node id="n0"><data key="d0">ts-ui-dashboard</data></node>
                <node id="n1"><data key="d0">ts-order-service</data></node>
                <node id="n2"><data key="d6"><y:ShapeNode>
                  <y:NodeLabel>ts-order-mongo</y:NodeLabel></y:ShapeNode></data></node>
                <node id="api"><data key="d0">The API</data></node>
                <edge source="n0" target="n1"/>
                <edge source="n1" target="n2"/>
                <edge source="n0" target="api"/>
              </graph>
            </graphml>
            """
        )
    )
    doc = import_graph("graphml", [path]).document
    # a real id ("api") is kept: its label is a caption, not the name
    assert [s["name"] for s in doc["services"]] == [
        "ts-ui-dashboard",
        "ts-order-service",
        "ts-order-mongo",
        "api",
    ]
    assert edges_of(doc) == {
        ("ts-ui-dashboard", "ts-order-service"),
        ("ts-order-service", "ts-order-mongo"),
        ("ts-ui-dashboard", "api"),
    }
    assert doc["entrypoints"] == [
        {"name": "ts-ui-dashboard", "service": "ts-ui-dashboard", "rate": "100/s"}
    ]


def test_dot_generated_ids_take_the_label_as_the_name(tmp_path):
    path = tmp_path / "g.dot"
    path.write_text(
        'digraph { node0 [label="frontend\\n(go)"]; node1 [label="cart"]; '
        'web [label="Web tier"]; web -> node0 -> node1; }'
    )
    doc = import_graph("dot", [path]).document
    assert edges_of(doc) == {("web", "frontend"), ("frontend", "cart")}
