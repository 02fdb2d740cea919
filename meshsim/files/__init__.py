"""Reading and writing files: scenarios, the importers' graph formats, Istio manifests.

``loader`` reads scenario YAML safely with the line of every problem, ``importers``
turns foreign graph formats into scenarios, ``istio`` writes a phase's manifests.
It never simulates: it imports neither :mod:`meshsim.sim`, planning, reports nor the CLI.
"""
