"""The graph at scale: groups, k-hop focus, level of detail, ρ colours (issue 12)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QRectF
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPainter
from PySide6.QtWidgets import QApplication

from meshsim.rollout.capacity import capacity
from models import Scenario
from ui.graph_groups import GROUP_PREFIX
from ui.graph_items import LABEL_MIN_SCALE, tint
from ui.graph_view import GraphView
from ui.palette import heat_colour


def _scenario() -> Scenario:
    """web -> front (ns a) -> {b1, b2} (ns b) -> c (ns c); b1 <-> b2; front -> c."""
    services = [
        {"name": "front", "namespace": "a", "serviceTime": "2ms",
         "calls": [{"to": "b1"}, {"to": "b2", "count": 2}, {"to": "c", "probability": 0.5}]},
        {"name": "b1", "namespace": "b", "serviceTime": "5ms", "replicas": 2,
         "calls": [{"to": "b2", "probability": 0.2}, {"to": "c"}]},
        {"name": "b2", "namespace": "b", "serviceTime": "3ms",
         "calls": [{"to": "b1", "probability": 0.1}, {"to": "c"}]},
        {"name": "c", "namespace": "c", "serviceTime": "1ms"},
        {"name": "lone", "namespace": "c", "serviceTime": "1ms"},
    ]  # fmt: skip
    return Scenario.model_validate(
        {
            "services": services,
            "entrypoints": [{"name": "web", "service": "front", "rate": "40/s"}],
        }
    )


def _view(qtbot) -> GraphView:
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.set_scenario(_scenario())
    return view


def test_collapsing_a_namespace_draws_one_node_with_aggregated_arrows(qtbot):
    view = _view(qtbot)
    view.set_grouping("namespace")
    assert view.group_names() == ["b", "c"]  # "a" has one service: not a group
    view.collapse("b")
    assert set(view.groups) == {"b"} and view.groups["b"].group_size == 2
    assert not view.nodes["b1"].isVisible() and not view.nodes["b2"].isVisible()
    assert view.nodes["front"].isVisible() and view.nodes["c"].isVisible()
    # front->b1, front->b2 become one arrow of 2; b1->c, b2->c one of 2; b1<->b2 vanish
    counts = {key: edge.count for key, edge in view.group_edges.items()}
    assert counts == {("front", "#b"): 2, ("#b", "c"): 2}
    shown = {key for key, edge in view.shown_arrows().items() if edge.isVisible()}
    assert shown == {("@web", "front"), ("front", "c"), ("front", "#b"), ("#b", "c")}
    assert view.groups["b"].style.subtitle.startswith("2 services")
    # the arrows end at the group node
    assert view.group_edges[("front", "#b")].target is view.groups["b"]


def test_collapsing_two_groups_aggregates_between_them_and_expand_restores(qtbot):
    view = _view(qtbot)
    before = {name: node.pos() for name, node in view.nodes.items()}
    view.set_grouping("namespace")
    view.collapse_all()
    counts = {key: edge.count for key, edge in view.group_edges.items()}
    # c's group holds c and lone: b1->c and b2->c are 2 calls from #b to #c
    assert counts == {("front", "#b"): 2, ("front", "#c"): 1, ("#b", "#c"): 2}
    assert {n for n, node in view.nodes.items() if node.isVisible()} == {"front"}
    view.expand("c")
    assert {n for n, node in view.nodes.items() if node.isVisible()} == {"front", "c", "lone"}
    assert {key: e.count for key, e in view.group_edges.items()} == {
        ("front", "#b"): 2,
        ("#b", "c"): 2,
    }
    view.expand_all()
    assert not view.groups and not view.group_edges
    assert all(node.isVisible() for node in view.nodes.values())
    assert all(edge.isVisible() for edge in view.edges.values())
    assert {name: node.pos() for name, node in view.nodes.items()} == before


def test_grouping_by_cluster_reads_services_clusters_when_present(qtbot, monkeypatch):
    view = _view(qtbot)
    view.set_grouping("cluster")
    assert view.group_names() == []  # no service has clusters (SPEC §20 not in this scenario)
    clusters = {"front": ["east"], "b1": ["east"], "b2": ["west"], "c": ["west"]}
    from ui import graph_groups

    monkeypatch.setattr(
        graph_groups,
        "GROUPINGS",
        {**graph_groups.GROUPINGS, "cluster": lambda s: {n: c[0] for n, c in clusters.items()}},
    )
    view.set_grouping("cluster")
    view.collapse("east")
    assert {key: e.count for key, e in view.group_edges.items()} == {
        ("@web", "#east"): 1,
        ("#east", "b2"): 2,  # front->b2 and b1->b2
        ("#east", "c"): 2,  # front->c and b1->c
        ("b2", "#east"): 1,  # b2->b1
    }


def test_grouping_by_call_cycle(qtbot):
    view = _view(qtbot)
    view.set_grouping("call cycle")
    assert view.group_of == {"b1": "cycle of b1", "b2": "cycle of b1"}


def test_focus_keeps_exactly_the_k_hop_neighbourhood(qtbot):
    view = _view(qtbot)
    # undirected hops from b1: 1 -> front, b2, c; 2 -> also @web (via front)
    assert view.focus("b1", 1) == {"b1", "front", "b2", "c"}
    opaque = {n for n, node in view.nodes.items() if node.opacity() == 1.0}
    assert opaque == {"b1", "front", "b2", "c"}
    assert view.nodes["lone"].opacity() < 0.5 and view.entries["web"].opacity() < 0.5
    assert view.edges[("@web", "front")].opacity() < 0.1
    assert view.edges[("front", "c")].opacity() == 1.0
    assert view.focus("b1", 2) == {"b1", "front", "b2", "c", "@web"}
    assert view.entries["web"].opacity() == 1.0 and view.nodes["lone"].opacity() < 0.5
    assert view.focus("lone", 3) == {"lone"}
    view.clear_focus()
    assert all(node.opacity() == 1.0 for node in view.nodes.values())


def test_focus_on_a_service_in_a_collapsed_group_expands_it(qtbot):
    view = _view(qtbot)
    view.set_grouping("namespace")
    view.collapse_all()
    assert view.focus("b2", 1) == {"b2", "front", "b1", GROUP_PREFIX + "c"}
    assert view.nodes["b2"].isVisible() and "b" not in view.groups


def _dark_pixels(view: GraphView, name: str, scale: float) -> int:
    """Near-black pixels (names are #1b1b1b) when ``name``'s node is drawn at ``scale``."""
    node = view.nodes[name]
    rect = node.sceneBoundingRect()
    image = QImage(int(rect.width() * scale) + 2, int(rect.height() * scale) + 2,
                   QImage.Format.Format_ARGB32)  # fmt: skip
    image.fill(QColor("white"))
    painter = QPainter(image)
    view.scene().render(painter, QRectF(image.rect()), rect)
    painter.end()
    return sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if QColor(image.pixel(x, y)).lightness() < 60
    )


def test_names_are_drawn_only_at_a_readable_zoom(qtbot):
    view = _view(qtbot)
    view.set_scenario(_scenario())
    assert _dark_pixels(view, "front", 1.0) > 20
    assert _dark_pixels(view, "front", LABEL_MIN_SCALE * 1.2) > 5
    assert _dark_pixels(view, "front", LABEL_MIN_SCALE * 0.8) == 0
    view.fit_all()
    assert view.transform().m11() > 0


def test_utilization_colours_are_capacitys_rho(qtbot):
    view = _view(qtbot)
    scenario = _scenario()
    view.set_colour_by("utilization")
    figures = capacity(scenario).services
    # front: 40/s × 2 ms over 1 replica × 16 workers (the default concurrency)
    assert figures["front"].utilization == pytest.approx(40 * 0.002 / 16)
    for name, node in view.nodes.items():
        rho = figures[name].utilization
        assert node.style.fill == tint(heat_colour(rho), 0.75), name
        assert f"ρ {rho:.2f}" in node.style.subtitle
    view.set_colour_by("phase")
    assert all(node.style.fill is None for node in view.nodes.values())


def test_a_changed_namespace_regroups_without_a_rebuild(qtbot):
    view = _view(qtbot)
    view.set_grouping("namespace")
    view.collapse("b")
    data = _scenario().model_dump(by_alias=True, exclude_unset=True)
    data["services"][0]["namespace"] = "b"  # front joins b
    nodes = dict(view.nodes)
    view.set_scenario(Scenario.model_validate(data))
    assert view.nodes == nodes  # same calls: the items stay
    assert view.group_of["front"] == "b" and "a" not in view.group_of.values()
    assert view.groups["b"].group_size == 3
    assert ("@web", "#b") in view.group_edges  # the entry now calls into the group


def _arrow_pixels(view, edge) -> int:
    """Non-background pixels within 2 px of the middle of ``edge`` in a fresh paint."""
    middle = view.mapFromScene(edge.path().pointAtPercent(0.5))
    image = view.viewport().grab().toImage()
    return sum(
        QColor(image.pixel(middle.x() + dx, middle.y() + dy)).lightness() < 235
        for dx in range(-2, 3)
        for dy in range(-2, 3)
    )


def test_a_large_graph_paints_its_arrows_in_one_layer_that_follows_every_change(qtbot):
    from tests.ui.test_graph import big_scenario

    view = GraphView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.set_scenario(big_scenario(1101))  # 1,101 arrows: more than PLAIN_ARROWS_ABOVE
    assert view.layer is not None and len(view.layer.edges) == len(view.edges) == 1101
    edge = view.edges[("svc-0", "svc-1")]
    assert edge.flags() & edge.GraphicsItemFlag.ItemHasNoContents  # the layer paints it
    view.focus("svc-1", 1)
    assert _arrow_pixels(view, edge) > 0
    edge.setOpacity(0.0)  # as the replay does when it draws the traffic instead
    assert _arrow_pixels(view, edge) == 0
    edge.setOpacity(1.0)
    assert _arrow_pixels(view, edge) > 0
    # still an item under the pointer: its tooltip is written when asked for, and a
    # click selects the call, which then paints itself
    middle = edge.path().pointAtPercent(0.5)
    assert edge in view.scene().items(middle)
    at = view.mapFromScene(middle)
    assert view.itemAt(at) is edge and edge.toolTip() == ""
    QApplication.sendEvent(
        view.viewport(), QHelpEvent(QEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at))
    )
    assert edge.toolTip() == "svc-0 → svc-1: plaintext"
    with qtbot.waitSignal(view.call_clicked) as clicked:
        edge.setSelected(True)
    assert clicked.args == ["svc-0", "svc-1"]
    assert not edge.flags() & edge.GraphicsItemFlag.ItemHasNoContents
    assert _arrow_pixels(view, edge) > 0
    edge.setSelected(False)
    view.fit_all()  # the overview: the layer draws a picture of itself, then blits it
    assert view.transform().m11() < LABEL_MIN_SCALE
    assert _arrow_pixels(view, edge) > 0
    edge.setVisible(False)  # a change repaints the picture
    assert _arrow_pixels(view, edge) == 0
