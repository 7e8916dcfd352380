"""The names a scenario may use for stage kinds and screening policies, and the code behind each.

A **stage kind** is a generator function ``kind(world, person, stage)`` that takes one person through one
stage of the pipeline: a SimPy process body (it yields requests and timeouts). A **screening policy** is a
function ``policy(world, person, stage) -> bool`` that says whether a person is screened at a screening
stage. ``docs/extending.md`` walks through adding one of each.

The model registers its built-ins when :mod:`sim.model` is imported; an extension is a module whose
decorators (below) register its own. Name extension modules in the environment variable
``REPATSIM_EXTENSIONS`` (comma-separated, importable names) and every process that validates or runs a
scenario imports them first: the command line, its worker processes and sweep workers alike (a Dask
worker needs the variable in its own environment). Or import the module yourself before loading a
scenario from Python. The scenario layer only reads the names, so this module imports nothing of the
package.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, TypeVar

EXTENSIONS_VARIABLE = "REPATSIM_EXTENSIONS"

BUILTIN_STAGE_KINDS = ("staffed", "identity", "crossing", "health", "screening", "transport")
"""Kinds the model defines (registered by :mod:`sim.model.stages`)."""
BUILTIN_SCREENING_POLICIES = ("full", "rapid")
"""Policies the model defines (registered by :mod:`sim.model.stages`)."""

STAGE_KINDS: dict[str, Callable[..., Any]] = {}
SCREENING_POLICIES: dict[str, Callable[..., bool]] = {}

F = TypeVar("F", bound=Callable[..., Any])


def _register(table: dict[str, Callable[..., Any]], what: str, name: str, replace: bool) -> Callable[[F], F]:
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"a {what} name is letters, digits and underscores; got {name!r}")

    def decorator(function: F) -> F:
        if name in table and not replace and table[name] is not function:
            raise ValueError(f"the {what} {name!r} is registered already; pass replace=True to replace it")
        table[name] = function
        return function

    return decorator


def stage_kind(name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Register a generator function ``(world, person, stage)`` as the stage kind ``name``."""
    return _register(STAGE_KINDS, "stage kind", name, replace)


def screening_policy(name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Register a function ``(world, person, stage) -> bool`` as the screening policy ``name``."""
    return _register(SCREENING_POLICIES, "screening policy", name, replace)


class ExtensionError(ImportError):
    """A module named in ``REPATSIM_EXTENSIONS`` cannot be imported."""


_imported: set[str] = set()


def load_extensions() -> None:
    """Import the modules named in ``REPATSIM_EXTENSIONS`` that are not imported yet."""
    for name in os.environ.get(EXTENSIONS_VARIABLE, "").split(","):
        name = name.strip()
        if name and name not in _imported:
            try:
                importlib.import_module(name)
            except ImportError as error:
                raise ExtensionError(f"{EXTENSIONS_VARIABLE}: cannot import the extension {name!r}: {error}") from error
            _imported.add(name)


def stage_kind_names() -> tuple[str, ...]:
    """Every stage kind a scenario may name: the built-ins, then the registered extensions."""
    load_extensions()
    return BUILTIN_STAGE_KINDS + tuple(sorted(set(STAGE_KINDS) - set(BUILTIN_STAGE_KINDS)))


def screening_policy_names() -> tuple[str, ...]:
    """Every screening policy a scenario may name: the built-ins, then the registered extensions."""
    load_extensions()
    return BUILTIN_SCREENING_POLICIES + tuple(sorted(set(SCREENING_POLICIES) - set(BUILTIN_SCREENING_POLICIES)))
