"""The simulation core: compile a scenario, simulate phases in SimPy, aggregate metrics.

``compile`` turns a phase state into plain per-phase plans, ``model`` into the runtime
objects and random streams, ``engine`` (with ``clientview``, ``replica``, ``workers``)
simulates one phase and replication, ``recorder`` and ``stats`` turn what happened into
the metrics of SPEC §11, and ``runner`` runs phases × replications on a process pool.
``sizing`` estimates a run's visits, memory and time from the scenario, before it starts.
It imports neither planning, reports, file formats nor the CLI.
"""
