"""Pydantic documents of meshsim: the scenario format and the results (SPEC §1-§12).

This package depends on pydantic only; the engine (``meshsim``) and the app
(``ui``) build on it.
"""

from models.checks import Checks
from models.distributions import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Uniform,
)
from models.mesh import (
    RETRY_TOKENS,
    Backoff,
    ConnectionPool,
    Mesh,
    MeshPolicy,
    OutlierDetection,
    Policy,
    Proxy,
    RatioBudget,
    Retries,
    RetryBudget,
    merge_policy,
)
from models.rollout import (
    SCORE_TERMS,
    STRATEGIES,
    Constraints,
    Fault,
    MtlsRule,
    Ordering,
    Phase,
    Rollout,
    Simulation,
)
from models.scenario import CrossFieldError, Metadata, Scenario, phase_services
from models.services import Call, Entrypoint, ParallelGroup, Service, Slo
from models.values import format_duration, parse_duration, parse_probability, parse_rate

__all__ = [
    "RETRY_TOKENS",
    "SCORE_TERMS",
    "STRATEGIES",
    "Backoff",
    "Call",
    "Checks",
    "ConnectionPool",
    "Constant",
    "Constraints",
    "CrossFieldError",
    "Distribution",
    "Empirical",
    "Entrypoint",
    "Exponential",
    "Fault",
    "Gamma",
    "LogNormal",
    "Mesh",
    "MeshPolicy",
    "Metadata",
    "MtlsRule",
    "Ordering",
    "OutlierDetection",
    "ParallelGroup",
    "Phase",
    "Policy",
    "Proxy",
    "RatioBudget",
    "Retries",
    "RetryBudget",
    "Rollout",
    "Scenario",
    "Service",
    "Simulation",
    "Slo",
    "Uniform",
    "format_duration",
    "merge_policy",
    "parse_duration",
    "parse_probability",
    "parse_rate",
    "phase_services",
]
