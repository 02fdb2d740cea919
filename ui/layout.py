"""Where each node of the graph goes: (column, row), entrypoints in column 0.

The layered layout itself is meshsim's (``meshsim.rollout.graph.layered_layout``: columns by
call depth, rows ordered by barycentre sweeps, deterministic); this module only turns
its y-up coordinates into the view's rows (y grows downwards on screen).
"""

from __future__ import annotations

from models import Scenario
from ui.backend import layered_layout


def layered_positions(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """(column, row) of every service, and of every entrypoint under ``@name``."""
    positions = layered_layout(scenario)
    top = max((y for _, y in positions.values()), default=0.0)
    return {name: (x, top - y) for name, (x, y) in positions.items()}
