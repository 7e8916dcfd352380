"""Sweeps: a base scenario times a design of parameter values, run as resumable tasks.

Owns designs (grid, Latin hypercube), sensitivity, tasks, executors (processes, Dask), folder storage and
the driver. Imports ``sim.experiment``, ``sim.results``, ``sim.scenario`` and ``sim.report`` (to draw).
"""

import sys
import types
from typing import Any

from sim.sweep.design import load_sweep, sweep_from_dict
from sim.sweep.driver import SweepOutcome, run_sweep, run_sweep_command, sweep
from sim.sweep.storage import SweepLockedError
from sim.sweep.tasks import TaskSpec, execute_task, task_key

__all__ = ["SweepLockedError", "SweepOutcome", "TaskSpec", "execute_task", "load_sweep", "run_sweep",
           "run_sweep_command", "sweep", "sweep_from_dict", "task_key"]


class _CallableModule(types.ModuleType):
    """``sim.sweep`` is both this package and the function: ``sim.sweep("file.toml")`` runs a sweep."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
