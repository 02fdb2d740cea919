"""The one door from the app to meshsim.

Everything the app needs from the engine, the planner, the importers and the charts
is imported here, from ``meshsim``'s public API (its ``__all__``) only, so the names
the UI depends on are listed in one place.
"""

from __future__ import annotations

from meshsim import (
    FORMATS as IMPORT_FORMATS,
)
from meshsim import (
    GraphImportError,
    MeshSimError,
    RunEstimate,
    ScenarioError,
    SimulationCancelled,
    SimulationError,
    __version__,
    add_gui_arguments,
    blast_radius,
    compare,
    estimate_run,
    export_istio,
    fits_in_memory,
    format_path,
    import_graph,
    layered_layout,
    load_scenario,
    load_with_sets,
    mean_series,
    parse_scenario,
    plots,
    run_scenario,
    save_scenario,
    to_wire,
    write_report,
)

blast_matrix = plots.blast_matrix
plot_blast_heatmap = plots.plot_blast_heatmap
plot_exposure = plots.plot_exposure
plot_mtls_coverage = plots.plot_mtls_coverage
plot_p99 = plots.plot_p99
plot_proxy_cpu = plots.plot_proxy_cpu
plot_proxy_memory = plots.plot_proxy_memory
plot_success_rate = plots.plot_success_rate

__all__ = [
    "RunEstimate",
    "__version__",
    "add_gui_arguments",
    "estimate_run",
    "fits_in_memory",
    "load_with_sets",
    "mean_series",
    "IMPORT_FORMATS",
    "GraphImportError",
    "MeshSimError",
    "ScenarioError",
    "SimulationCancelled",
    "SimulationError",
    "blast_matrix",
    "blast_radius",
    "compare",
    "export_istio",
    "format_path",
    "import_graph",
    "layered_layout",
    "load_scenario",
    "parse_scenario",
    "plot_blast_heatmap",
    "plot_exposure",
    "plot_mtls_coverage",
    "plot_p99",
    "plot_proxy_cpu",
    "plot_proxy_memory",
    "plot_success_rate",
    "run_scenario",
    "save_scenario",
    "to_wire",
    "write_report",
]

from meshsim.rollout.capacity import utilizations  # noqa: E402 - ρ without hold times
from meshsim.sim.profiles import ProxyNumbers, profile_numbers  # noqa: E402 - models only
from models import Mesh  # noqa: E402

__all__ += ["utilizations"]


def proxy_defaults(profile: str) -> ProxyNumbers:
    """The data-plane proxy's latency, CPU and memory under mesh ``profile`` (SPEC §10)."""
    return profile_numbers(Mesh.model_validate({"profile": profile})).proxy


__all__ += ["proxy_defaults"]
