"""Upper bounds of the scenario's numbers: generous, but a typo cannot eat the machine.

``replicas: 1000000000`` used to validate, and a run then tried to build a billion
replicas. Every count, size, rate and duration that drives the simulation's work or
memory has a ceiling far above any real deployment; going over it is a validation
error naming the field and quoting the value (docs/model.md lists them). How long a
run *within* these bounds takes is the run estimate's job (``meshsim.sim.sizing``).
"""

from __future__ import annotations

__all__ = [
    "MAX_APP_RETRIES",
    "MAX_ATTEMPTS",
    "MAX_CALL_COUNT",
    "MAX_CONCURRENCY",
    "MAX_DEPTH",
    "MAX_DURATION_S",
    "MAX_EMPIRICAL_SAMPLES",
    "MAX_LOAD_POINTS",
    "MAX_SERIES_BUCKETS",
    "MAX_NODES",
    "MAX_PHASE_COUNT",
    "MAX_POOL_LIMIT",
    "MAX_QUEUE_LIMIT",
    "MAX_RATE_RPS",
    "MAX_REPLICAS",
    "MAX_REPLICATIONS",
    "MAX_SIM_DURATION_S",
]

MAX_REPLICAS = 10_000
"""Replicas of one service (and replicas a fault hits)."""
MAX_CONCURRENCY = 100_000
"""Workers of one replica."""
MAX_QUEUE_LIMIT = 10_000_000
"""Waiting requests per replica."""
MAX_RATE_RPS = 1_000_000.0
"""Arrival rate of one entrypoint, requests per second."""
MAX_SIM_DURATION_S = 7 * 24 * 3600.0
"""Simulated time of one run (a week)."""
MAX_DURATION_S = 365 * 24 * 3600.0
"""Any other duration (timeouts, back-offs, service times, fault windows): a year."""
MAX_REPLICATIONS = 1_000
"""Independent replications of a run."""
MAX_CALL_COUNT = 1_000
"""Sequential repetitions of one call."""
MAX_APP_RETRIES = 100
"""Application-level retries of one call."""
MAX_ATTEMPTS = 100
"""Mesh retries after the first try."""
MAX_DEPTH = 1_000
"""Call nesting limit."""
MAX_NODES = 100_000
"""Nodes of the cluster."""
MAX_PHASE_COUNT = 1_000
"""Phases a generated strategy may have."""
MAX_POOL_LIMIT = 2**31 - 1
"""Connection-pool thresholds (Istio's fields are int32)."""
MAX_EMPIRICAL_SAMPLES = 1_000_000
"""Samples of one empirical distribution."""
MAX_LOAD_POINTS = 10_000
"""Points of one entrypoint's ``load`` (SPEC §14)."""
MAX_SERIES_BUCKETS = 100_000
"""Buckets of a time series (``simulation.duration / simulation.series``)."""
