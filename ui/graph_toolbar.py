"""GraphToolbar: find a service, focus its neighbourhood, group, colour, see it all.

A strip above the graph: a search box with type-ahead over the service names (Enter or
picking a suggestion focuses that service and its neighbours ``hops`` calls away, the
rest dimmed), the hop count, "Group by" (none, namespace, cluster, call cycle) with
collapse-all / expand-all, "Colour by" (rollout phase or utilization ρ) and "Overview"
(the whole graph however small, where View › Fit graph stops at a readable zoom).
"""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QWidget,
)

from models import Scenario
from ui.graph_groups import GROUPINGS
from ui.graph_legend import GraphLegend
from ui.graph_view import GraphView

COLOURS = {"phase": "phase", "ρ": "utilization"}
SHOWN_ABOVE = 40
"""The strip appears for graphs of more services; smaller ones fit the window readably."""


class GraphToolbar(QWidget):
    """Search, focus, grouping and colouring of ``view``; the legend follows the colouring."""

    def __init__(self, view: GraphView, legend: GraphLegend | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphToolbar")
        self.view, self.legend = view, legend
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a service…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(120)
        self.search.setToolTip("Type part of a name; Enter focuses the service and its neighbours")
        self.names = QStringListModel()
        completer = QCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        self.search.setCompleter(completer)
        completer.activated.connect(self.find)
        self.search.returnPressed.connect(lambda: self.find(self.search.text()))
        self.search.textChanged.connect(self._on_search_text_changed)
        self.hops = QSpinBox()
        self.hops.setRange(0, 6)
        self.hops.setValue(1)
        self.hops.setPrefix("hops: ")
        self.hops.setToolTip("How many calls away the focus reaches")
        self.hops.valueChanged.connect(self._on_hops_value_changed)
        self.group = QComboBox()
        self.group.addItems(list(GROUPINGS))
        self.group.setToolTip("Group services; a collapsed group is one node")
        self.group.currentTextChanged.connect(self._on_group_text_changed)
        self.collapse = QToolButton(text="Collapse")
        self.collapse.setToolTip("Collapse every group into one node (double-click one to expand)")
        self.collapse.clicked.connect(view.collapse_all)
        self.expand = QToolButton(text="Expand")
        self.expand.setToolTip("Show every service again")
        self.expand.clicked.connect(view.expand_all)
        self.colour = QComboBox()
        self.colour.addItems(list(COLOURS))
        self.colour.setToolTip(
            "Node colour: the phase a service joins the mesh in, or its utilization ρ at "
            "the entry rates (computed without running, SPEC §18)"
        )
        self.colour.currentTextChanged.connect(self._on_colour_text_changed)
        self.fit = QToolButton(text="Overview")
        self.fit.setToolTip(
            "Show the whole graph, however small (names hide until you zoom in); "
            "Fit graph (F) stops at a readable zoom"
        )
        self.fit.clicked.connect(view.fit_all)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.search, 2)
        layout.addWidget(self.hops)
        layout.addSpacing(4)
        layout.addWidget(QLabel("Group"))
        layout.addWidget(self.group)
        layout.addWidget(self.collapse)
        layout.addWidget(self.expand)
        layout.addSpacing(4)
        layout.addWidget(QLabel("Colour"))
        layout.addWidget(self.colour)
        layout.addWidget(self.fit)
        # never widen the window: a narrow graph area clips the strip's right end
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.set_scenario(None)

    def set_scenario(self, scenario: Scenario | None) -> None:
        """Offer the names of ``scenario`` to the search box."""
        names = sorted(s.name for s in scenario.services) if scenario is not None else []
        if names != self.names.stringList():
            self.names.setStringList(names)
        self.setVisible(len(names) > SHOWN_ABOVE)
        self._update_buttons()

    def find(self, text: str) -> bool:
        """Focus the service named ``text`` (or the only one whose name contains it)."""
        text = text.strip()
        names = self.names.stringList()
        if text not in names:
            matches = [n for n in names if text.lower() in n.lower()] if text else []
            if len(matches) != 1:
                return False
            text = matches[0]
        self.view.focus(text, self.hops.value())
        self.view.service_clicked.emit(text)
        return True

    def _on_search_text_changed(self, text: str) -> None:
        if not text and self.view.focused is not None:
            self.view.clear_focus()

    def _on_hops_value_changed(self, hops: int) -> None:
        # refocus (and refit) on the focused service, however the focus was set
        if self.view.focused is not None and self.view.focus_name is not None:
            self.view.focus(self.view.focus_name, hops)

    def _on_group_text_changed(self, key: str) -> None:
        self.view.set_grouping(key)
        self._update_buttons()

    def _on_colour_text_changed(self, text: str) -> None:
        self.view.set_colour_by(COLOURS[text])
        if self.legend is not None:
            self.legend.set_mode(COLOURS[text])

    def _update_buttons(self) -> None:
        grouped = bool(self.view.group_of)
        self.collapse.setEnabled(grouped)
        self.expand.setEnabled(grouped)
