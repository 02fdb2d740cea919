"""The simulation core: compile a scenario, simulate phases in SimPy, aggregate metrics.

``outcomes`` names how an attempt ends and the sets the mesh rules read, ``compile``
turns a phase state into plain per-phase plans, ``model`` into the runtime objects and
the random streams (per entrypoint, and per client → destination link), ``engine``
(with ``clientview``, ``replica``, ``workers``) simulates one phase and replication,
``recorder`` and ``stats`` turn what happened into the metrics of SPEC §11, and
``runner`` runs phases × replications on a process pool. ``sizing`` estimates a run's
visits, memory and time from the scenario, before it starts. It imports neither
planning, reports, file formats nor the CLI.
"""
