"""The cyclic garbage collector is paused for a whole replication and restored afterwards (sim.model.gcpause)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import simpy

from sim.experiment import run_one
from sim.model.gcpause import collector_paused
from sim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "myanmar_thailand_2025.toml"


@pytest.fixture
def collector_on_with_low_threshold() -> Iterator[list[int]]:
    """The collector enabled, collecting after every 50 container allocations; yields the list of the
    generations of the passes started meanwhile."""
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    started: list[int] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.enable()
    gc.set_threshold(50, 10, 10)
    gc.callbacks.append(watch)
    try:
        yield started
    finally:
        gc.callbacks.remove(watch)
        gc.set_threshold(*thresholds)
        if not was_enabled:
            gc.disable()


def test_the_collectors_state_is_restored_after_the_block_and_after_an_error():
    was_enabled = gc.isenabled()
    try:
        gc.enable()
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():  # nested: the inner block does not turn it back on
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        with pytest.raises(KeyError), collector_paused():
            raise KeyError("boom")
        assert gc.isenabled()
        gc.disable()  # paused by someone else before: still paused afterwards
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()


def test_a_replication_starts_no_pass_of_the_collector(collector_on_with_low_threshold):
    started = collector_on_with_low_threshold
    scenario = load_scenario(BASELINE)
    junk = [[] for _ in range(500)]  # the watch sees passes: 500 lists make about ten
    assert len(started) >= 5
    del junk
    gc.collect()  # counts start from zero: a few allocations before the pause cannot start a pass
    started.clear()
    output = run_one(scenario, scenario.scenario.seed, 0, keep_tables=True)
    # one pass, overdue, starts as the collector is turned back on at the end (over what survives the
    # replication); without the pause, every 50 containers allocated on the way would have started one
    assert started == [0]
    assert output.metrics["arrived"] > 8000  # the whole replication ran (thousands of containers allocated)
    assert gc.isenabled()


def test_a_replication_with_its_metrics_leaves_no_reference_cycles_behind():
    """What the collector would have found during a replication it finds afterwards: nothing but the
    environment's own cycle (``simpy.Environment`` binds its event constructors to itself: the environment,
    its attributes and five bound methods, a handful of objects whatever the number of people)."""
    scenario = load_scenario(BASELINE)
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        gc.garbage.clear()
        for keep_tables in (True, False):
            output = run_one(scenario, scenario.scenario.seed, 1, keep_tables=keep_tables)
            del output
            gc.collect()
            environments = [o for o in gc.garbage if isinstance(o, simpy.Environment)]
            assert len(environments) == 1
            own = {id(environments[0])} | {id(value) for value in vars(environments[0]).values()}
            others = [type(o).__name__ for o in gc.garbage if id(o) not in own]
            assert others == []
            gc.garbage.clear()
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
