"""The window's default layout: what a newcomer sees first, at 1400×900 and 1200×750."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from ui.inspector_panel import SCENARIO


def rows_shown(phase_list) -> float:
    row = max(phase_list.sizeHintForRow(0), phase_list.fontMetrics().height())
    return phase_list.viewport().height() / row


def test_an_empty_window_says_what_to_do(window):
    assert window.inspector.title.text() == "No scenario"
    assert window.graph.empty_label.isVisible()
    assert not window.timeline.add_button.isEnabled()
    assert not window.timeline.slider.isEnabled()
    assert window.timeline.slider.maximum() == 0


def test_default_layout_gives_the_graph_room(boutique, qtbot):
    window = boutique
    timeline = window.timeline
    assert timeline.add_button.isEnabled() and timeline.slider.isEnabled()
    for size, height, rows in (((1400, 900), 175, 3.5), ((1200, 750), 155, 2.5)):
        window.resize(*size)
        window.reset_layout()
        qtbot.waitUntil(lambda s=size: window.size().toTuple() == s)
        QApplication.processEvents()
        assert window.timeline_dock.height() <= height
        # The phase columns fit the dock: no scrolling, a few services per column.
        assert timeline.scroll.verticalScrollBar().maximum() == 0
        assert timeline.scroll.horizontalScrollBar().maximum() == 0
        assert all(rows_shown(lst) >= rows for lst in timeline.lists)
        assert window.graph.viewport().width() >= 0.45 * size[0]
        # Every inspector form fits its dock's width (no clipped fields).
        for select in (
            lambda: window.inspector.select(SCENARIO),
            lambda: window.select_service("recommendationservice"),
            lambda: window.inspector.select_call("frontend", "adservice"),
            lambda: window.inspector.select_phase(2),
        ):
            select()
            body = window.inspector.scroll.widget()
            assert body.minimumSizeHint().width() <= window.inspector.scroll.viewport().width()


def test_reset_layout_leaves_only_the_tab_bars_in_use(boutique, qtbot):
    from PySide6.QtWidgets import QTabBar

    window = boutique
    window.results_dock.raise_()
    window.reset_layout()
    QApplication.processEvents()

    def bars() -> list[list[str]]:
        return [
            [bar.tabText(i) for i in range(bar.count())]
            for bar in window.findChildren(QTabBar)
            if bar.parent() is window and bar.isVisible()
        ]

    # Online Boutique has no lessons: no Inspector/Lesson bar across the inspector
    assert not any("Lesson" in tabs for tabs in bars())
    assert ["Results", "Problems", "Run history"] in bars()


def test_gui_size_over_a_saved_layout_leaves_no_tab_bar_in_the_corner(settings, qtbot):
    """`meshsim gui --size` (and --screenshot) resets the layout of a window that
    restored a saved one: Qt's dock tab bars were left at the top-left corner."""
    from PySide6.QtWidgets import QTabBar

    from ui.app import show
    from ui.main_window import MainWindow

    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    QApplication.processEvents()
    first.close()  # saves its layout into the settings
    window = MainWindow(settings)
    qtbot.addWidget(window)
    show(window, (1366, 768))
    QApplication.processEvents()
    top = window.centralWidget().geometry().top()
    corner = [
        [bar.tabText(i) for i in range(bar.count())]
        for bar in window.findChildren(QTabBar)
        if bar.parent() is window and bar.isVisible() and bar.geometry().top() < top
    ]
    assert corner == []
    window.close()
