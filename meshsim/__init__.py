"""meshsim: simulate a service-mesh rollout phase by phase.

The public API used by the command line and the desktop app.
"""

from meshsim.errors import (
    GraphImportError,
    MeshSimError,
    ScenarioError,
    SimulationCancelled,
    SimulationError,
)
from meshsim.loader import load_scenario, parse_scenario
from meshsim.runner import VERSION, RunRequest, run_many, run_scenario

__version__ = VERSION

__all__ = [
    "GraphImportError",
    "MeshSimError",
    "RunRequest",
    "ScenarioError",
    "SimulationCancelled",
    "SimulationError",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "run_many",
    "run_scenario",
]
