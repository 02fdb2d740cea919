"""Where the jobs of a run execute (SPEC §19): local processes, this process, or Dask.

:func:`meshsim.sim.runner.run_many` takes any :class:`concurrent.futures.Executor`.
This module makes the one a user asked for. A job is a pure function of its compiled
model, phase plan and replication, whose random streams are seeded from stable digests
(never ``hash()``), so a job gives the same sample on a Dask worker of another machine
as in this process: a distributed run's results are identical to a serial run's.

Dask is optional (``pip install 'meshsim[dask]'``); it is imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from meshsim.errors import SimulationError

__all__ = ["EXECUTORS", "executor_for"]

EXECUTORS = ("processes", "serial", "dask")
"""The ``--executor`` choices."""

INSTALL_HINT = "--executor dask needs Dask: pip install 'meshsim[dask]'"


@contextmanager
def executor_for(
    kind: str, *, scheduler: str | None = None, workers: int | None = None
) -> Iterator[Executor | None]:
    """An executor for :func:`~meshsim.sim.runner.run_many`, closed on exit.

    Parameters
    ----------
    kind : {"processes", "serial", "dask"}
        ``processes`` and ``serial`` yield ``None`` (the runner's own process pool, or
        ``workers=1``); ``dask`` yields the executor of a Dask client.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); without it a local
        cluster is started for the run (``workers`` worker processes, one thread each).
    workers : int, optional
        Workers of a local Dask cluster (default: all cores).

    Raises
    ------
    SimulationError
        Dask is not installed, or the scheduler cannot be reached.

    Examples
    --------
    >>> with executor_for("serial") as executor:
    ...     executor is None
    True
    """
    if kind not in EXECUTORS:
        raise SimulationError(f"unknown executor {kind!r}; known: {', '.join(EXECUTORS)}")
    if scheduler is not None and kind != "dask":
        raise SimulationError("--scheduler needs --executor dask")
    if kind != "dask":
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise SimulationError(INSTALL_HINT) from err
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers or None, threads_per_worker=1, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as err:
        if cluster is not None:
            cluster.close()
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler}: {err}") from err
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
