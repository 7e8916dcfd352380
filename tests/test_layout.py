"""The package's layout follows the data flow: scenario -> model -> results -> experiment/sweep -> report.

Walks the imports of every module under ``sim/`` (static ones, and those inside functions) and fails on an
import that points up or sideways between packages, on a circle of imports between files, and on a
module past the size at which a module stops having one job.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MAX_LINES = 460  # "about 450": a module this long holds one concept or should be split

# what each part of the package may import (besides itself and the package root's __version__)
ALLOWED = {
    "scenario": set(),
    "results": {"scenario"},
    "model": {"scenario"},
    "report": {"results"},
    "experiment": {"model", "results", "scenario"},
    "sweep": {"experiment", "results", "scenario", "report"},
    # verify holds the model to queueing theory: it runs the model on scenarios it builds (nothing else)
    "verify": {"model", "scenario"},
    # decisions (plan, robustness) run experiments on scenarios they derive with overrides, and draw their figures
    "decisions": {"experiment", "results", "scenario", "report"},
    "cli": {"experiment", "sweep", "report", "scenario", "results", "verify", "decisions"},
    "__main__": {"cli"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(SIM.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The ``sim`` modules a file imports: ``from sim.a import b`` is ``sim.a.b`` when that is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "sim"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sim":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {module: imports_of(path) for module, path in MODULES.items()}


def test_the_walk_sees_the_packages_and_their_imports():
    parts = {part_of(module) for module in MODULES}
    assert {"scenario", "model", "results", "report", "sweep", "experiment", "cli"} <= parts
    assert "sim.scenario.schema" in GRAPH["sim.model.world"]  # a known import is seen


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_only(module):
    own = part_of(module)
    if own == "":  # the package root: lazy re-exports of the public API, no import at load time
        return
    for target in GRAPH[module]:
        other = part_of(target)
        if other in ("", own):
            continue  # the root (for __version__) or the same part
        assert other in ALLOWED[own], f"{module} imports {target}: {own} may import only {sorted(ALLOWED[own])}"


def test_no_circle_of_imports_between_files():
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target not in MODULES:
                continue
            if state.get(target) == 1:
                circle = path[path.index(target):] + [target]
                pytest.fail("circular imports: " + " -> ".join(circle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_too_long(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines"


@pytest.mark.parametrize("package", ["scenario", "model", "results", "sweep", "report"])
def test_each_package_says_what_it_owns_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((SIM / package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "Owns" in doc and "mport" in doc
