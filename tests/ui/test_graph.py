from __future__ import annotations

from models import Scenario
from ui.document import ScenarioDocument
from ui.graph_view import GraphView
from ui.phase_timeline import PhaseTimeline


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
    document = ScenarioDocument()
    timeline = PhaseTimeline(document)
    qtbot.addWidget(timeline)
    document.load(big_scenario(12), None)
    assert [lst.count() for lst in timeline.lists] == [0, 3, 3, 3, 3]
    assert timeline.slider.maximum() == 4
    with qtbot.waitSignal(timeline.phase_displayed, raising=True) as blocker:
        timeline.set_displayed_phase(3)
    assert blocker.args == [3]
    assert "wave-2" in timeline.slider_label.text()
