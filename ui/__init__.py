"""meshsim's desktop app (PySide6): see the graph, arrange the phases, run, compare.

Run it with ``python -m ui [SCENARIO] [--run] [--screenshot PNG] [--quit]``.
"""
