"""What a phase of the rollout puts in force, computed once for every reader."""

from __future__ import annotations

from meshsim.errors import SimulationError
from models import Scenario

__all__ = ["resolve_phase"]


def resolve_phase(scenario: Scenario, phase: int | str | None) -> int:
    """Index (0 = baseline) of a phase of ``rollout.phases`` given by name or index.

    ``None`` is the last phase (the baseline when there are no phases).

    Raises
    ------
    SimulationError
        For an unknown name or an index out of range.
    """
    phases = scenario.rollout.phases
    if phase is None:
        return len(phases)
    names = ["baseline", *(p.name for p in phases)]
    if isinstance(phase, str) and phase in names:
        return names.index(phase)
    if isinstance(phase, int) or (isinstance(phase, str) and phase.isdigit()):
        index = int(phase)
        if 0 <= index < len(names):
            return index
        raise SimulationError(f"phase index {index} is out of range 0..{len(phases)}")
    raise SimulationError(f"unknown phase {phase!r}; known: {', '.join(names)}")
