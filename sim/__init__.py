"""repatsim: discrete-event simulation of mass repatriation of trafficking victims.

Model time is in days. The public API is small and explicit:

- :func:`load_scenario` reads and validates a scenario file (TOML) into a frozen :class:`Scenario`.
- :func:`run` runs replications of one scenario and returns its tables and metrics (pandas).
- :func:`compare` runs several scenarios on common random numbers and returns the comparison table.
- :func:`sweep` runs a parameter sweep and returns its summary table.

Heavy modules are imported on first use, so ``import sim`` stays cheap and ``repatsim plot`` never
imports the model.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

__all__ = ["Scenario", "ScenarioError", "__version__", "compare", "load_scenario", "run", "sweep"]

_LAZY = {
    "Scenario": ("sim.scenario", "Scenario"),
    "ScenarioError": ("sim.scenario", "ScenarioError"),
    "load_scenario": ("sim.scenario", "load_scenario"),
    "run": ("sim.experiment", "run"),
    "compare": ("sim.experiment", "compare"),
    "sweep": ("sim.sweep", "sweep"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        return getattr(import_module(module_name), attribute)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
