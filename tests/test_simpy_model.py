"""The model is a SimPy program: it runs on ``simpy.Environment``, each person is a generator process, and
a SimPy user can add processes of their own to a replication (a monitor here)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import simpy

from sim.model import build_world, generate_people
from sim.model.streams import Streams
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "myanmar_thailand_2025.toml"


def test_simpy_is_a_runtime_dependency_and_no_module_schedules_with_heapq():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(requirement.startswith("simpy") for requirement in project["dependencies"])
    for path in (ROOT / "sim").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert "heapq" not in names, path


def test_each_person_is_a_journey_process_and_a_monitor_process_can_watch_the_camp():
    scenario = load_scenario(BASELINE)
    streams = Streams(scenario.scenario.seed, 0)
    world = build_world(scenario, generate_people(scenario, streams), streams)
    assert isinstance(world.env, simpy.Environment)
    holding: list[tuple[float, int]] = []

    def monitor(env):
        while True:
            holding.append((env.now, world.sites[0].count))
            yield env.timeout(1.0)

    world.env.process(world.arrivals())
    world.env.process(monitor(world.env))
    world.env.run(until=20.0)
    waiting = [person for person in world.persons if person.process is not None]
    assert len(world.persons) > 6000 and waiting
    assert all(isinstance(p.process, simpy.Process) and p.process.is_alive for p in waiting)
    assert {p.process._generator.__name__ for p in waiting} == {"journey"}
    # the monitor saw the camp fill with the release of day 5 (6,500 people over 7 days)
    assert [day for day, _ in holding] == [float(day) for day in range(20)]
    assert holding[4][1] < 300 < 3000 < max(count for _, count in holding)
    world.env.run(until=scenario.horizon_days)
    world.close()
