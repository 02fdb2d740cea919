"""Options shared by several subcommands: ``--set`` (SPEC §15) and ``--executor`` (SPEC §19)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from meshsim.sim.executors import EXECUTORS, executor_for

__all__ = ["add_executor_options", "add_set_option", "executor_of", "workers_of"]


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """``--set PATH=VALUE`` (repeatable): change one field of the scenario for this run."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change a field for this run (repeatable), e.g. services[api].replicas=3 "
        "or mesh.defaults.retries.attempts=0; VALUE is YAML",
    )


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """``--executor processes|serial|dask`` and ``--scheduler ADDRESS``."""
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="processes",
        help="where the replications run: local processes (default), this process, "
        "or a Dask cluster (pip install 'meshsim[dask]')",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler (tcp://host:8786); without it --executor dask "
        "starts a local cluster",
    )


def workers_of(args: argparse.Namespace) -> int | None:
    """Processes for the local runner: 1 under ``--executor serial``, else ``--workers``."""
    if getattr(args, "executor", "processes") == "serial":
        return 1
    return getattr(args, "workers", None)


@contextmanager
def executor_of(args: argparse.Namespace) -> Iterator[Executor | None]:
    """The executor ``--executor``/``--scheduler`` ask for (``None``: the local runner)."""
    with executor_for(
        getattr(args, "executor", "processes"),
        scheduler=getattr(args, "scheduler", None),
        workers=getattr(args, "workers", None),
    ) as executor:
        yield executor
