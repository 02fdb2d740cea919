"""Colours shared by the graph, the timeline and the results: a phase looks the same everywhere."""

from __future__ import annotations

from PySide6.QtGui import QColor

PHASE_COLOURS = (
    "#4e79a7",  # blue
    "#b07aa1",  # purple
    "#76b7b2",  # teal
    "#9c755f",  # brown
    "#ff9da7",  # pink
    "#6b6ecf",  # indigo
    "#bcbd22",  # olive
    "#17becf",  # cyan
    "#8c6d31",  # dark gold
    "#5b6f8a",  # slate
)
"""Phase colours (node borders, timeline columns, the report's graph). None is orange, red
or green: those mean failures, refused calls and mTLS on the arrows next to them."""
NEVER_MESHED = "#9e9e9e"
MTLS_COLOUR = "#2e7d32"
PLAINTEXT_COLOUR = "#8d8d8d"
BROKEN_COLOUR = "#c62828"
FAILURE_COLOUR = "#ef6c00"
HIGHLIGHT_COLOUR = "#ffb300"
ERROR_TEXT = "#b00020"
BAD_CELL = "#fde0dc"
GOOD_CELL = "#e3f2e1"


def phase_colour(phase: int | None) -> QColor:
    """Colour of 1-based rollout phase ``phase`` (None or 0: never meshed)."""
    if not phase:
        return QColor(NEVER_MESHED)
    return QColor(PHASE_COLOURS[(phase - 1) % len(PHASE_COLOURS)])


def heat_colour(value: float) -> QColor:
    """Green (idle) to red (saturated) for a utilisation in [0, 1]."""
    value = max(0.0, min(1.0, value))
    hue = int(120 * (1.0 - value))
    return QColor.fromHsv(hue, 200, 220)
