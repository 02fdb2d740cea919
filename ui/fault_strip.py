"""FaultStrip: the scenario's faults as windows over simulated time, above the phases.

Every phase (and the baseline) simulates the same span of time with the same faults, so
one strip (beside the timeline's slider) serves them all: a lane per fault
(overlapping ones stack), the warm-up shaded, each window labelled and explained by
its tooltip. Clicking a window asks for
that fault to be edited (``fault_clicked``).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from models import Fault, Scenario, format_duration

LANE_H, GAP, LABEL_W = 13, 2, 58
COLOURS = {"outage": "#c62828", "crash": "#6a1b9a", "error": "#ef6c00", "latency": "#1565c0"}


def fault_title(fault: Fault) -> str:
    """``api outage`` / ``cart error 20%`` / ``db latency +100ms (50%)``."""
    text = f"{fault.service} {fault.type}"
    if fault.type == "error" and fault.error_rate is not None:
        text += f" {fault.error_rate:.0%}"
    if fault.type == "latency" and fault.delay is not None:
        text += f" +{format_duration(fault.delay.mean)}"
        if fault.probability < 1:
            text += f" ({fault.probability:.0%})"
    if fault.replicas is not None:
        text += f", {fault.replicas} replica{'' if fault.replicas == 1 else 's'}"
    return text


def fault_window(fault: Fault, end_s: float) -> tuple[float, float]:
    """Start and end of the fault in simulated seconds (clipped to the run)."""
    start = min(fault.start, end_s)
    stop = end_s if fault.duration is None else min(end_s, fault.start + fault.duration)
    return start, stop


def fault_text(fault: Fault, end_s: float) -> str:
    """The fault and its window in words, for lists and tooltips."""
    if fault.start >= end_s:
        return (
            f"{fault_title(fault)}, from {format_duration(fault.start)}: after the run's "
            f"{format_duration(end_s)}, so it never applies"
        )
    start, stop = fault_window(fault, end_s)
    until = "the end" if fault.duration is None else format_duration(stop)
    return f"{fault_title(fault)}, {format_duration(start)} to {until}"


class FaultStrip(QWidget):
    """The faults' windows over the simulated time of a phase."""

    fault_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FaultStrip")
        self.setMouseTracking(True)
        self.setMinimumWidth(160)
        self._faults: list[Fault] = []
        self._end = 60.0
        self._warmup = 0.0
        self._lanes: list[int] = []
        self.hide()

    def set_scenario(self, scenario: Scenario | None) -> None:
        self._faults = list(scenario.faults) if scenario is not None else []
        if scenario is not None:
            self._end = scenario.simulation.duration
            self._warmup = scenario.simulation.warmup
        self._lanes = self._assign_lanes()
        lanes = max(self._lanes, default=-1) + 1
        self.setFixedHeight(lanes * (LANE_H + GAP) + GAP)
        self.setVisible(bool(self._faults))
        self.setToolTip(
            f"Injected faults over the {format_duration(self._end)} each phase simulates "
            "(the same in every phase); click one to edit it"
        )
        self.update()

    def _assign_lanes(self) -> list[int]:
        """A lane per fault: the first one free at its start (windows never overlap)."""
        ends: list[float] = []
        lanes = []
        for fault in self._faults:
            if fault.start >= self._end:
                lanes.append(0)  # never applies: a marker at the end, taking no lane
                continue
            start, stop = fault_window(fault, self._end)
            stop = max(stop, start + self._end / 100)  # a marker takes room too
            lane = next((i for i, end in enumerate(ends) if end <= start), len(ends))
            if lane == len(ends):
                ends.append(stop)
            else:
                ends[lane] = stop
            lanes.append(lane)
        return lanes

    def window_rect(self, index: int) -> QRectF:
        """Where fault ``index`` is drawn."""
        start, stop = fault_window(self._faults[index], self._end)
        span = max(1.0, self.width() - LABEL_W - 4)
        x0 = LABEL_W + span * start / self._end
        width = max(3.0, span * (stop - start) / self._end)
        y = GAP + self._lanes[index] * (LANE_H + GAP)
        return QRectF(x0, y, width, LANE_H)

    def fault_at(self, x: float, y: float) -> int | None:
        for index in range(len(self._faults)):
            if self.window_rect(index).adjusted(-2, 0, 2, 0).contains(x, y):
                return index
        return None

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        span = max(1.0, self.width() - LABEL_W - 4)
        painter.setPen(QColor("#546e7a"))
        font = painter.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() - 1.5))
        painter.setFont(font)
        painter.drawText(
            QRectF(0, 0, LABEL_W - 4, LANE_H + GAP), Qt.AlignmentFlag.AlignVCenter, "Faults"
        )
        painter.fillRect(QRectF(LABEL_W, 0, span, self.height()), QColor("#eceff1"))
        warm = span * self._warmup / self._end
        painter.fillRect(QRectF(LABEL_W, 0, warm, self.height()), QColor("#cfd8dc"))
        painter.setPen(QColor("#78909c"))
        ends = QRectF(LABEL_W + 2, 0, span - 4, LANE_H + GAP)
        painter.drawText(ends, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "0")
        right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        painter.drawText(ends, right, format_duration(self._end))
        for index, fault in enumerate(self._faults):
            rect = self.window_rect(index)
            colour = QColor(COLOURS.get(fault.type, "#455a64"))
            painter.setPen(QPen(colour.darker(130), 1))
            fill = QColor(colour)
            fill.setAlpha(190 if fault.start < self._end else 60)  # faint: never applies
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(QColor("white"))
            label = painter.fontMetrics().elidedText(
                fault_title(fault), Qt.TextElideMode.ElideRight, int(rect.width()) - 6
            )
            painter.drawText(rect.adjusted(3, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter, label)
        painter.end()

    def tooltip_at(self, x: float, y: float) -> str:
        index = self.fault_at(x, y)
        if index is None:
            return self.toolTip()
        return fault_text(self._faults[index], self._end) + " (click to edit)"

    def event(self, event) -> bool:
        if event.type() == event.Type.ToolTip:
            pos = event.position() if hasattr(event, "position") else event.pos()
            QToolTip.showText(event.globalPos(), self.tooltip_at(pos.x(), pos.y()), self)
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        index = self.fault_at(event.position().x(), event.position().y())
        if index is not None:
            self.fault_clicked.emit(index)
        super().mousePressEvent(event)
