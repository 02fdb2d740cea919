"""Reading and writing files: scenarios, the importers' graph formats, Istio manifests.

``scenario`` is the one door for scenario files: it reads them (with ``loader``, which
reports every problem at its line) and writes them (new ones in full, edited ones
changing only the edited lines, atomically via ``atomic``). ``importers`` turns foreign
graph formats into scenario documents, ``istio`` makes a phase's manifests.
It never simulates: it imports neither :mod:`meshsim.sim`, planning, reports nor the CLI.
"""
