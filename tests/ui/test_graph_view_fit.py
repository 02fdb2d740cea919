"""What the large-graph strip shows: a focus fits its neighbourhood, Collapse/Expand
refit the graph, and the overview keeps the nodes' colours (docs/gui.md "Large graphs")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from models import Scenario
from ui.graph_items import LABEL_MIN_SCALE
from ui.graph_toolbar import GraphToolbar
from ui.graph_view import MIN_READABLE_SCALE, GraphView
from ui.palette import PHASE_COLOURS, heat_colour


def _chain(length: int, shortcut: int, hub: int = 0) -> Scenario:
    """web -> a0 -> a1 -> ... -> a{length-1}; a{hub} also calls a{shortcut} (far right)."""
    services = []
    for i in range(length):
        calls = [{"to": f"a{i + 1}"}] if i + 1 < length else []
        if i == hub and shortcut != hub + 1:
            calls.append({"to": f"a{shortcut}"})
        services.append({"name": f"a{i}", "serviceTime": "1ms", "calls": calls})
    return Scenario.model_validate(
        {
            "services": services,
            "entrypoints": [{"name": "web", "service": "a0", "rate": "10/s"}],
            "rollout": {"phases": [{"name": "one", "services": ["a0", "a1"]}]},
        }
    )


def _shown(view: GraphView, qtbot) -> QRectF:
    """The part of the scene in the viewport, once queued layout (scroll bars) is done."""
    qtbot.wait(20)
    return view.mapToScene(view.viewport().rect()).boundingRect()


def _box(view: GraphView) -> QRectF:
    """The scene rect of the focused (undimmed) nodes."""
    rect = QRectF()
    for key in view.focused:
        rect = rect.united(view.item_of(key).sceneBoundingRect())
    return rect


def _view(qtbot, scenario: Scenario, size=(900, 600)) -> GraphView:
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_scenario(scenario)
    return view


@pytest.mark.parametrize(
    ("length", "hub", "shortcut"),
    [
        # fits at a readable zoom, the service off its middle (centring on it lost a8)
        (9, 4, 8),
        # 11 columns apart: fitted below a readable zoom, names at screen size
        (12, 0, 11),
    ],
)
def test_a_focus_shows_the_whole_neighbourhood(qtbot, length, hub, shortcut):
    view = _view(qtbot, _chain(length, shortcut, hub))
    view.zoom(2.0)  # wherever the user was
    view.centerOn(view.nodes[f"a{length - 1}"])
    keep = view.focus(f"a{hub}", 1)
    near = {f"a{hub}", f"a{hub + 1}", f"a{shortcut}", f"a{hub - 1}" if hub else "@web"}
    assert keep == near
    shown = _shown(view, qtbot)
    box = _box(view)
    assert shown.contains(box), (shown, box)
    assert box == view.focus_rect()
    scale = view.transform().m11()
    if length == 9:
        assert scale >= MIN_READABLE_SCALE  # readable: the nodes draw their own names
    else:
        assert scale < LABEL_MIN_SCALE
        assert {label.text for label in view.focus_labels} == {"a0", "a1", "a11", "web"}
    view.clear_focus()
    assert view.focus_labels == [] and view.focus_name is None


def test_changing_hops_refits_the_focus(qtbot):
    scenario = _chain(12, 1)
    view = _view(qtbot, scenario)
    strip = GraphToolbar(view)
    qtbot.addWidget(strip)
    strip.set_scenario(scenario)
    strip.search.setText("a5")
    assert strip.find("a5")
    assert view.focused == {"a4", "a5", "a6"}
    assert _shown(view, qtbot).contains(_box(view))
    strip.hops.setValue(4)  # a1..a9: wider than the view at a readable zoom
    assert view.focused == {f"a{i}" for i in range(1, 10)}
    assert _shown(view, qtbot).contains(_box(view))
    # a focus set from the graph's menu follows the hops too
    view.focus("a10", 1)
    strip.hops.setValue(2)
    assert view.focused == {"a8", "a9", "a10", "a11"}
    assert _shown(view, qtbot).contains(_box(view))


def _visible_items_rect(view: GraphView) -> QRectF:
    rect = QRectF()
    for node in (*view.nodes.values(), *view.entries.values(), *view.groups.values()):
        if node.isVisible():
            rect = rect.united(node.sceneBoundingRect())
    return rect


def _grouped() -> Scenario:
    """Three call cycles of four services behind one front service."""
    services = [{"name": "front", "calls": [{"to": f"c{k}-0"} for k in range(3)]}]
    for k in range(3):
        for i in range(4):
            call = {"to": f"c{k}-{(i + 1) % 4}", "probability": 0.5 if i == 3 else 1.0}
            services.append({"name": f"c{k}-{i}", "calls": [call]})
    return Scenario.model_validate(
        {"services": services, "entrypoints": [{"name": "web", "service": "front", "rate": "1/s"}]}
    )


def test_collapse_and_expand_all_and_a_new_grouping_fit_the_graph(qtbot):
    view = _view(qtbot, _grouped(), size=(900, 800))  # fits whole at a readable zoom
    strip = GraphToolbar(view)
    qtbot.addWidget(strip)

    def wander():  # the user zooms in and pans away
        view.zoom(3.5 / view.transform().m11())  # 350 %
        view.centerOn(view.sceneRect().bottomRight())
        assert not _shown(view, qtbot).contains(_visible_items_rect(view))

    wander()
    strip.group.setCurrentText("call cycle")
    assert _shown(view, qtbot).contains(_visible_items_rect(view))
    wander()
    strip.collapse.click()
    assert set(view.groups) == {"cycle of c0-0", "cycle of c1-0", "cycle of c2-0"}
    assert _shown(view, qtbot).contains(_visible_items_rect(view))
    assert view.auto_fit  # as Fit graph: a resize keeps it fitted
    wander()
    strip.expand.click()
    assert not view.groups
    assert _shown(view, qtbot).contains(_visible_items_rect(view))


def _node_pixels(view: GraphView, name: str, scale: float) -> list[QColor]:
    """The pixels inside ``name``'s node (1 px in from its edge) drawn at ``scale``."""
    node = view.nodes[name]
    rect = QRectF(node.scenePos(), node.boundingRect().size()).adjusted(0, 0, -12, -12)
    image = QImage(
        int(rect.width() * scale), int(rect.height() * scale), QImage.Format.Format_RGB32
    )
    image.fill(QColor("#fafafa"))
    painter = QPainter(image)
    view.scene().render(painter, QRectF(image.rect()), rect)
    painter.end()
    inset = 1 if min(image.width(), image.height()) > 4 else 0  # a 6 x 2 px node: all
    return [
        QColor(image.pixel(x, y))
        for x in range(inset, image.width() - inset)
        for y in range(inset, image.height() - inset)
    ]


def _near(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) < 24


@pytest.mark.parametrize("scale", [0.05, 0.1, 0.2])
def test_at_the_overview_a_node_is_its_phase_or_rho_colour(qtbot, scale):
    view = _view(qtbot, _chain(5, 4))
    phase_one = QColor(PHASE_COLOURS[0])
    # at the baseline nothing is meshed yet: the old paint was a white box with a dashed
    # border, a light grey dot at the overview
    pixels = _node_pixels(view, "a1", scale)
    assert pixels and sum(_near(p, phase_one) for p in pixels) >= 0.8 * len(pixels)
    view.set_phase(1)  # meshed: the old paint was a pale tint
    pixels = _node_pixels(view, "a1", scale)
    assert sum(_near(p, phase_one) for p in pixels) >= 0.8 * len(pixels)
    view.set_colour_by("utilization")
    hot = heat_colour(view.rho["a1"])
    pixels = _node_pixels(view, "a1", scale)
    assert sum(_near(p, hot) for p in pixels) >= 0.8 * len(pixels)


def test_at_a_readable_zoom_a_node_keeps_its_light_fill_and_name(qtbot):
    view = _view(qtbot, _chain(5, 4))
    pixels = _node_pixels(view, "a1", 1.0)
    assert sum(p.lightness() > 240 for p in pixels) > 0.5 * len(pixels)  # white, unmeshed
    assert any(p.lightness() < 60 for p in pixels)  # its name
