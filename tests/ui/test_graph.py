from __future__ import annotations

from models import Scenario
from tests.ui.ui_testing import REPO
from ui.backend import load_scenario
from ui.graph_items import NODE_MAX_W
from ui.graph_view import MAX_FIT_SCALE, MIN_READABLE_SCALE, OVERVIEW_ABOVE, GraphView
from ui.phase_timeline import PhaseTimeline
from ui.session import Session


def big_scenario(count: int = 320) -> Scenario:
    services = []
    for i in range(count):
        calls = [{"to": f"svc-{j}"} for j in (2 * i + 1, 2 * i + 2) if j < count]
        services.append({"name": f"svc-{i}", "calls": calls})
    phases = [
        {"name": f"wave-{k}", "services": [f"svc-{i}" for i in range(k, count, 4)]}
        for k in range(4)
    ]
    return Scenario.model_validate(
        {
            "services": services,
            "entrypoints": [{"name": "web", "service": "svc-0", "rate": "100/s"}],
            "rollout": {"phases": phases},
        }
    )


def test_graph_of_300_services_restyles_without_rebuilding(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    scenario = big_scenario()
    view.set_scenario(scenario)
    assert len(view.nodes) == 320 and len(view.edges) == 320
    items = dict(view.nodes)
    view.set_phase(2)
    assert view.nodes == items
    assert view.nodes["svc-1"].style.meshed and not view.nodes["svc-3"].style.meshed
    assert view.edges[("svc-0", "svc-1")].style.kind == "mtls"
    view.set_scenario(scenario.model_copy(update={"metadata": scenario.metadata}))
    assert view.nodes == items
    depth = {n: view.nodes[n].pos().x() for n in ("svc-0", "svc-1", "svc-3", "svc-7")}
    assert depth["svc-0"] < depth["svc-1"] < depth["svc-3"] < depth["svc-7"]
    assert view.entries["web"].pos().x() < depth["svc-0"]


def test_dragged_nodes_keep_their_place_and_edges_follow(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    scenario = big_scenario(7)
    view.set_scenario(scenario)
    node = view.nodes["svc-1"]
    edge = view.edges[("svc-0", "svc-1")]
    before = edge.path().pointAtPercent(1.0)
    node.setPos(node.pos().x() + 50, node.pos().y() + 80)
    assert edge.path().pointAtPercent(1.0) != before
    moved = node.pos()
    data = scenario.model_dump(by_alias=True, exclude_unset=True)
    data["services"].append({"name": "extra"})
    view.set_scenario(Scenario.model_validate(data))
    assert view.nodes["svc-1"].pos() == moved
    assert "extra" in view.nodes


def test_tooltips_show_settings_and_zoom_is_bounded(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.set_scenario(big_scenario(7))
    tip = view.nodes["svc-2"].toolTip()
    assert "replicas × workers" in tip and "wave-2" in tip
    for _ in range(60):
        view.zoom(0.5)
    assert view.transform().m11() >= 0.05


def test_timeline_columns_follow_the_document(qtbot):
    session = Session()
    timeline = PhaseTimeline(session)
    qtbot.addWidget(timeline)
    session.document.load(big_scenario(12), None)
    assert [lst.count() for lst in timeline.lists] == [0, 3, 3, 3, 3]
    assert timeline.slider.maximum() == 4
    with qtbot.waitSignal(timeline.phase_displayed, raising=True) as blocker:
        timeline.set_displayed_phase(3)
    assert blocker.args == [3]
    assert "wave-2" in timeline.slider_label.text()


def boutique_scenario() -> Scenario:
    return load_scenario(REPO / "samples" / "online-boutique.yaml")


def visible_share(view: GraphView) -> tuple[float, float]:
    """Share of the viewport's width and height the graph covers on screen."""
    graph = view.mapFromScene(view.scene().itemsBoundingRect()).boundingRect()
    viewport = view.viewport().rect()
    return graph.width() / viewport.width(), graph.height() / viewport.height()


def test_fit_fills_the_view_and_follows_resizes(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(660, 590)
    view.show()
    view.set_scenario(boutique_scenario())
    scale = view.transform().m11()
    assert MIN_READABLE_SCALE <= scale <= MAX_FIT_SCALE
    width, height = visible_share(view)
    assert max(width, height) >= 0.9 and width <= 1.0 and height <= 1.0
    assert view.horizontalScrollBar().maximum() == view.verticalScrollBar().maximum() == 0
    view.resize(900, 700)
    qtbot.waitUntil(lambda: view.transform().m11() > scale)
    assert max(visible_share(view)) >= 0.9
    view.zoom(1.25)  # the user zooms: resizing leaves their zoom alone
    zoomed = view.transform().m11()
    assert not view.auto_fit
    view.resize(700, 600)
    qtbot.wait(1)
    assert view.transform().m11() == zoomed
    view.fit()
    assert view.auto_fit and max(visible_share(view)) >= 0.9


def test_fit_keeps_a_readable_zoom_for_big_graphs_and_caps_small_ones(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.set_scenario(big_scenario(OVERVIEW_ABOVE))
    assert view.transform().m11() == MIN_READABLE_SCALE
    # Too big to show whole: the view starts at the entrypoints, scroll bars to pan.
    web = view.mapFromScene(view.entries["web"].sceneBoundingRect()).boundingRect()
    assert view.viewport().rect().contains(web)
    assert view.horizontalScrollBar().maximum() > 0 or view.verticalScrollBar().maximum() > 0
    view.set_scenario(big_scenario(2))
    assert view.transform().m11() == MAX_FIT_SCALE


def test_fit_shows_a_graph_of_more_than_300_services_whole(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.set_scenario(big_scenario(OVERVIEW_ABOVE + 1))
    assert view.transform().m11() < MIN_READABLE_SCALE
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(shown.contains(n.sceneBoundingRect()) for n in view.nodes.values())


def test_relayout_fits_again(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    view.set_scenario(big_scenario(7))
    node = view.nodes["svc-1"]
    node.setPos(node.pos().x() + 2000, node.pos().y())
    view.zoom(2.0)
    view.relayout()
    assert view.auto_fit and max(visible_share(view)) >= 0.9


def test_boutique_is_readable_in_the_default_window(boutique):
    graph = boutique.graph
    assert boutique.size().toTuple() == (1400, 900)
    assert graph.transform().m11() >= 0.75
    # The whole graph is on screen, and no service name is cut except the longest ones.
    shown = graph.mapFromScene(graph.scene().itemsBoundingRect()).boundingRect()
    assert graph.viewport().rect().adjusted(-1, -1, 1, 1).contains(shown)
    full = [n for n, node in graph.nodes.items() if node.natural_width() < NODE_MAX_W]
    assert len(full) >= 9
