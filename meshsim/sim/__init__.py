"""The simulation core: compile a scenario, simulate phases in SimPy, aggregate metrics.

``compile`` turns a phase state into plain per-phase plans, ``model`` into the runtime
objects and random streams, ``engine`` (with ``clientview``, ``replica``, ``workers``)
simulates one phase and replication, ``recorder`` and ``stats`` turn what happened into
the metrics of SPEC §11, and ``runner`` runs phases × replications on a process pool.
It imports neither planning, reports, file formats nor the CLI.
"""
