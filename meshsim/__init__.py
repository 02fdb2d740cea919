"""meshsim: simulate a service-mesh rollout phase by phase.

The public API used by the command line and the desktop app. Everything but the
errors and the version is loaded on first use (PEP 562), so ``import meshsim``, each
command and the simulation worker processes load only what they use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from meshsim.errors import (
    GraphImportError,
    MeshSimError,
    ScenarioError,
    SimulationCancelled,
    SimulationError,
)
from meshsim.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from meshsim.cli.gui import add_gui_arguments
    from meshsim.files.importers import FORMATS, ImportResult, detect_format, import_graph
    from meshsim.files.istio import export_istio
    from meshsim.files.overrides import load_with_sets
    from meshsim.files.scenario import (
        RoundTripDocument,
        dump_scenario,
        format_path,
        load_scenario,
        parse_scenario,
        save_scenario,
        to_wire,
        update_text,
    )
    from meshsim.planning.blast import blast_radius
    from meshsim.planning.compare import compare
    from meshsim.planning.scoring import weights_of
    from meshsim.planning.sweep import parse_param, sweep
    from meshsim.report import plots
    from meshsim.report.html import write_report
    from meshsim.report.sweep_plots import axis_values, plot_sweep
    from meshsim.rollout.authz import observed_callers
    from meshsim.rollout.graph import layered_layout
    from meshsim.rollout.lint import lint
    from meshsim.rollout.state import (
        PhaseState,
        join_phases,
        phase_names,
        phase_state,
        phase_states,
    )
    from meshsim.sim.runner import RunRequest, run_many, run_scenario
    from meshsim.sim.series_mean import mean_series
    from meshsim.sim.sizing import RunEstimate, available_memory, estimate_run, fits_in_memory

_LAZY = {
    **dict.fromkeys(
        [
            "RoundTripDocument",
            "dump_scenario",
            "format_path",
            "load_scenario",
            "parse_scenario",
            "save_scenario",
            "to_wire",
            "update_text",
        ],
        "meshsim.files.scenario",
    ),
    **dict.fromkeys(
        ["PhaseState", "join_phases", "phase_names", "phase_state", "phase_states"],
        "meshsim.rollout.state",
    ),
    **dict.fromkeys(["RunRequest", "run_many", "run_scenario"], "meshsim.sim.runner"),
    **dict.fromkeys(
        ["RunEstimate", "available_memory", "estimate_run", "fits_in_memory"],
        "meshsim.sim.sizing",
    ),
    "add_gui_arguments": "meshsim.cli.gui",
    "compare": "meshsim.planning.compare",
    "blast_radius": "meshsim.planning.blast",
    "export_istio": "meshsim.files.istio",
    "write_report": "meshsim.report.html",
    "import_graph": "meshsim.files.importers",
    "detect_format": "meshsim.files.importers",
    "ImportResult": "meshsim.files.importers",
    "FORMATS": "meshsim.files.importers",
    "layered_layout": "meshsim.rollout.graph",
    "lint": "meshsim.rollout.lint",
    "observed_callers": "meshsim.rollout.authz",
    "sweep": "meshsim.planning.sweep",
    "plot_sweep": "meshsim.report.sweep_plots",
    "axis_values": "meshsim.report.sweep_plots",
    "parse_param": "meshsim.planning.sweep",
    "load_with_sets": "meshsim.files.overrides",
    "weights_of": "meshsim.planning.scoring",
    "mean_series": "meshsim.sim.series_mean",
}

__all__ = [
    "FORMATS",
    "GraphImportError",
    "ImportResult",
    "MeshSimError",
    "PhaseState",
    "RoundTripDocument",
    "RunEstimate",
    "RunRequest",
    "ScenarioError",
    "SimulationCancelled",
    "SimulationError",
    "__version__",
    "add_gui_arguments",
    "available_memory",
    "axis_values",
    "blast_radius",
    "compare",
    "detect_format",
    "dump_scenario",
    "estimate_run",
    "export_istio",
    "fits_in_memory",
    "format_path",
    "import_graph",
    "join_phases",
    "layered_layout",
    "lint",
    "load_scenario",
    "load_with_sets",
    "mean_series",
    "observed_callers",
    "parse_param",
    "parse_scenario",
    "phase_names",
    "phase_state",
    "phase_states",
    "plot_sweep",
    "plots",
    "run_many",
    "run_scenario",
    "save_scenario",
    "sweep",
    "to_wire",
    "update_text",
    "weights_of",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name == "plots":
        return importlib.import_module("meshsim.report.plots")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'meshsim' has no attribute {name!r}")
