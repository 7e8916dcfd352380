"""The model's event loop (:mod:`sim.model.engine`) against SimPy, the reference it replaces.

The engine must give the same events in the same order as ``simpy.Environment``: (time, priority, order
of scheduling), urgent before normal, ``run(until)`` stopping before normal events at ``until``. Three
levels of evidence:

- hand-written orders (ties at one instant, zero delays against timeouts landing now, the stop);
- random event programs (processes that wait on delays, on events fired by others, and interrupt each
  other) run on both, compared trace for trace;
- every shipped scenario, the stress scenarios and random small scenarios run on both: identical tables.

Each is also run with the engine's calendar (day slots for the far future) switched on from the first
events, so that both of its modes are compared with SimPy.

The reference is SimPy's own ``Environment`` (its heap, entries, events, processes and ``run``) with
three additions: the class attribute ``_boundary = -inf`` (the model's runners and journeys push their
own timers into the engine's heap only for a time before it, after now; otherwise they call ``_defer``),
``_defer(time, event)``, which puts SimPy's own entry ``(time, NORMAL, sequence, event)`` in its heap, as
``schedule`` would, and ``clear()``, which the world calls after the run to drop what is still
scheduled.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from heapq import heappush

import numpy as np
import pandas as pd
import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_helpers import random_scenario
from test_model_invariants import SCENARIO_DIR, _scenario_files, _stress_scenarios

from sim.model import _results, generate_people, run_replication
from sim.model import engine as engine_module
from sim.model.engine import NORMAL, URGENT, Alarm, Engine, _Marker
from sim.model.pipeline import Journey
from sim.model.process import Interrupt, Runner
from sim.model.world import build_world
from sim.scenario import load_scenario, scenario_from_dict
from sim.streams import Streams


class SimPyReference(simpy.Environment):
    """SimPy's environment, with the hook the model's hot path uses for its own timers (see the module
    docstring)."""

    _boundary = -math.inf  # every timer of the model goes through _defer

    def _defer(self, time: float, event) -> None:
        """A normal event at ``time``: SimPy's own entry, as ``schedule(event, NORMAL, time - now)`` would
        push it (with the time as given, not recomputed from a delay)."""
        heappush(self._queue, (time, simpy.core.NORMAL, next(self._eid), event))

    def clear(self) -> None:
        """What the world calls when a run is over, to drop the schedule (see ``Engine.clear``)."""
        self._queue.clear()


@contextmanager
def calendar_from_the_start():
    """Switch the engine's calendar on at the first heap pop (instead of past 2,048 pending entries)."""
    saved = engine_module.CALENDAR_AT, engine_module.CHECK_EVERY
    engine_module.CALENDAR_AT, engine_module.CHECK_EVERY = 0, 1
    try:
        yield
    finally:
        engine_module.CALENDAR_AT, engine_module.CHECK_EVERY = saved


# ------------------------------------------------------------------------------ hand-written orders


def _marker(log: list, name: str) -> _Marker:
    event = _Marker()
    event.callbacks.append(lambda _e: log.append(name))
    return event


@pytest.mark.parametrize("make_env", [Engine, SimPyReference], ids=["engine", "simpy"])
def test_order_is_time_then_priority_then_scheduling(make_env):
    env, log = make_env(), []
    env.schedule(_marker(log, "b@1"), NORMAL, 1.0)
    env.schedule(_marker(log, "a@0"), NORMAL, 0.0)
    env.schedule(_marker(log, "c@1-urgent"), URGENT, 1.0)
    env.schedule(_marker(log, "d@1"), NORMAL, 1.0)
    env.schedule(_marker(log, "e@0-urgent"), URGENT, 0.0)
    env.run(until=5.0)
    assert log == ["e@0-urgent", "a@0", "c@1-urgent", "b@1", "d@1"]
    assert env.now == 5.0


@pytest.mark.parametrize("make_env", [Engine, SimPyReference], ids=["engine", "simpy"])
def test_an_event_due_now_waits_for_timeouts_scheduled_earlier_for_now(make_env):
    """At t = 2 a timeout booked at t = 0 for t = 2 comes before an event triggered at t = 2; an urgent
    event triggered at t = 2 comes before every normal one still due at t = 2."""
    env, log = make_env(), []
    env.schedule(_marker(log, "first-timer"), NORMAL, 2.0)

    def at_two(_e):
        log.append("trigger")
        env.schedule(_marker(log, "due-now"), NORMAL, 0.0)
        env.schedule(_marker(log, "urgent-now"), URGENT, 0.0)

    trigger = _Marker()
    trigger.callbacks.append(at_two)
    env.schedule(trigger, NORMAL, 2.0)  # same time, scheduled after first-timer: runs after it
    env.schedule(_marker(log, "second-timer"), NORMAL, 2.0)
    env.run(until=3.0)
    assert log == ["first-timer", "trigger", "urgent-now", "second-timer", "due-now"]


@pytest.mark.parametrize("make_env", [Engine, SimPyReference], ids=["engine", "simpy"])
def test_run_stops_before_normal_events_at_until(make_env):
    env, log = make_env(), []
    env.schedule(_marker(log, "before"), NORMAL, 9.5)
    env.schedule(_marker(log, "at-until"), NORMAL, 10.0)
    env.schedule(_marker(log, "after"), NORMAL, 11.0)
    env.run(until=10.0)
    assert log == ["before"] and env.now == 10.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.sampled_from([URGENT, NORMAL]),
                          st.sampled_from([None, (0.0, NORMAL), (0.0, URGENT), (0.5, NORMAL), (1e-300, NORMAL),
                                           (1e-300, URGENT)])),
                max_size=30),
       st.booleans())
def test_ties_are_processed_in_simpys_order(entries, calendar):
    """Events full of ties at a few instants, urgent and normal, some of them scheduling one more event
    when processed: due now, urgent now, later, or after a delay that vanishes in rounding at 0.5 (0.5 +
    1e-300 == 0.5: SimPy orders it as an event scheduled now, for now). Engine and SimPy, with and without
    the calendar, process them in the same order."""

    def program(env) -> list[str]:
        log: list[str] = []
        for index, (time, priority, then) in enumerate(entries):
            event = _marker(log, str(index))
            if then is not None:
                delay, then_priority = then
                event.callbacks.append(lambda _e, name=f"{index}+", delay=delay, priority=then_priority:
                                       env.schedule(_marker(log, name), priority, delay))
            env.schedule(event, priority, time)
        env.run(until=3.0)
        return log

    expected = program(simpy.Environment())
    if calendar:
        with calendar_from_the_start():
            assert program(Engine()) == expected
    else:
        assert program(Engine()) == expected


def test_a_time_of_the_current_slot_sent_to_defer_still_runs_in_its_place():
    """The hot paths send a time after now and before the calendar's boundary to the heap themselves, and
    anything else to ``_defer``; a time of the current slot given to ``_defer`` anyway is not lost."""
    env, log = Engine(), []
    env.schedule(_marker(log, "at-1"), NORMAL, 1.0)
    env._defer(0.5, _marker(log, "at-0.5"))
    env._defer(1.0, _marker(log, "at-1-later"))
    env.run(until=3.0)
    assert log == ["at-0.5", "at-1", "at-1-later"]


def test_only_simpys_two_priorities_are_accepted():
    with pytest.raises(ValueError, match="URGENT .* or NORMAL"):
        Engine().schedule(_Marker(), 2, 1.0)


def test_run_rejects_an_until_not_after_now():
    env = Engine()
    env.run(until=1.0)
    with pytest.raises(ValueError, match="greater than the current time"):
        env.run(until=1.0)


def test_an_alarm_goes_off_once_per_setting_and_cannot_be_set_twice():
    env = Engine()
    seen: list[float] = []

    def ring(_alarm):
        seen.append(env.now)
        if len(seen) < 3:
            alarm.set_at(env.now + 1.5)

    alarm = Alarm(env, ring)
    alarm.set_at(1.0)
    with pytest.raises(RuntimeError, match="already set"):
        alarm.set_at(2.0)
    env.run(until=10.0)
    assert seen == [1.0, 2.5, 4.0]
    with pytest.raises(ValueError, match="after now"):
        alarm.set_at(env.now)


def _many_markers(env, log: list, count: int = 12000) -> None:
    """``count`` markers at times on a grid of 1/128 day over 40 days (5,121 instants: more than the heap
    holds before the calendar starts, and many ties), at random priorities."""
    rng = np.random.default_rng(7)
    times = np.round(rng.uniform(0, 40, count) * 128) / 128
    for index, (time, urgent) in enumerate(zip(times.tolist(), rng.random(count) < 0.2)):
        env.schedule(_marker(log, str(index)), URGENT if urgent else NORMAL, time)


def test_the_calendar_switches_on_for_a_large_schedule_and_keeps_simpys_order():
    expected: list[str] = []
    reference = SimPyReference()
    _many_markers(reference, expected)
    reference.run(until=30.0)
    log: list[str] = []
    env = Engine()
    _many_markers(env, log)
    env.run(until=30.0)
    assert env._boundary < math.inf and env._slots  # the far future waited in slots
    assert log == expected and len(log) > 8000
    assert env.now == 30.0


def test_bad_schedules_are_refused_as_simpy_refuses_them():
    env = Engine()
    with pytest.raises(ValueError, match="negative"):
        env.timeout(-1.0)
    with pytest.raises(ValueError, match="negative"):
        env.schedule(_Marker(), NORMAL, -0.5)
    signal = env.event()
    signal.succeed()
    with pytest.raises(RuntimeError, match="already been triggered"):
        signal.succeed()
    with pytest.raises(ValueError, match="finite"):
        env.run(until=math.inf)


def test_a_timeout_at_infinity_is_kept_and_never_processed():
    env, log = Engine(), []
    env.schedule(_marker(log, "never"), NORMAL, math.inf)
    env.schedule(_marker(log, "soon"), NORMAL, 1.0)
    with calendar_from_the_start():
        env.run(until=5.0)
    assert log == ["soon"] and env.now == 5.0


@pytest.mark.parametrize("first, second", [(0.54, 9.12), (14.2, 59.4)])
def test_a_second_run_stops_where_simpy_stops(first, second):
    """SimPy stops at now + (until - now), which can differ from ``until`` in the last bit (at 59.4 after
    14.2 it is 59.400000000000006, so an event at 59.4 is processed)."""
    clocks, logs = [], []
    for env in (SimPyReference(), Engine()):
        log: list[str] = []
        env.schedule(_marker(log, "at-second"), NORMAL, second)
        env.run(until=first)
        env.run(until=second)
        clocks.append(env.now)
        logs.append(log)
    assert clocks[0] == clocks[1] and logs[0] == logs[1]


def test_waking_a_process_that_waits_for_an_event_is_refused():
    env = Engine()

    def waiter(signal):
        yield signal

    runner = Runner(env, waiter(env.event()))
    runner.start()
    with pytest.raises(RuntimeError, match="waits for an event"):
        runner.wake()


@pytest.mark.parametrize("delay", [np.float64(1.5), 2, np.int64(3)])
def test_a_process_may_wait_any_real_number_of_days(delay):
    env = Engine()
    woke: list[float] = []

    def sleeper():
        yield delay
        woke.append(env.now)

    Runner(env, sleeper()).start()
    env.run(until=10.0)
    assert woke == [float(delay)]


def test_a_process_that_yields_something_else_gets_a_clear_error():
    env = Engine()

    def confused():
        yield "tomorrow"

    with pytest.raises(TypeError, match="not an event, PARK or a number of days"):
        Runner(env, confused()).start()


def test_a_process_waits_a_float_delay_and_survives_an_interrupt_during_it():
    """An interrupt during a delay resumes the process at once; the delay's own entry, still scheduled,
    must not resume it a second time (here it waits again, longer, on the same runner)."""
    env = Engine()
    log: list[tuple[float, str]] = []

    def sleeper():
        try:
            yield 5.0
            log.append((env.now, "woke"))
        except Interrupt as interrupt:
            log.append((env.now, f"interrupted:{interrupt.cause}"))
        yield 10.0  # a stale entry of the first delay is still pending at t = 5
        log.append((env.now, "slept again"))

    runner = Runner(env, sleeper())
    runner.start()
    env.schedule(_call(lambda: runner.interrupt("lost")), NORMAL, 2.0)
    env.run(until=20.0)
    assert log == [(2.0, "interrupted:lost"), (12.0, "slept again")]
    assert not runner.is_alive


def test_a_process_rejects_a_delay_that_is_not_positive():
    env = Engine()

    def bad():
        yield 0.0

    with pytest.raises(ValueError, match="positive number of days"):
        Runner(env, bad()).start()


def _call(function) -> _Marker:
    event = _Marker()
    event.callbacks.append(lambda _e: function())
    return event


# ------------------------------------------------------------------------------ random event programs

# A program: processes that, step by step, wait a delay (0 means a zero timeout), wait for the signal of
# another process, fire their own signal, or interrupt another; urgent starts at random times.
STEP = st.one_of(
    st.tuples(st.just("delay"), st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.0, 2.0, 3.5])),
    st.tuples(st.just("wait"), st.integers(0, 5)),
    st.tuples(st.just("fire"), st.just(0)),
    st.tuples(st.just("interrupt"), st.integers(0, 5)),
)
PROGRAM = st.lists(st.tuples(st.sampled_from([0.0, 0.0, 1.0, 2.5]), st.lists(STEP, max_size=8)),
                   min_size=1, max_size=6)


def _trace(env, program, use_float_delays: bool) -> list[tuple]:
    """Run ``program`` on ``env``; the trace of (time, process, what happened)."""
    trace: list[tuple] = []
    signals = [env.event() for _ in program]
    runners: list = [None] * len(program)

    def body(index, steps):
        for number, (kind, arg) in enumerate(steps):
            try:
                if kind == "delay":
                    if use_float_delays and arg > 0:
                        yield arg
                    else:
                        yield env.timeout(arg)
                elif kind == "wait":
                    yield signals[arg % len(signals)]
                elif kind == "fire":
                    if not signals[index].triggered:
                        signals[index].succeed()
                else:
                    target = runners[arg % len(runners)]
                    if target is not None and target.is_alive and target is not runners[index]:
                        target.interrupt(f"{index}.{number}")
                trace.append((env.now, index, number, kind))
            except Interrupt as interrupt:
                trace.append((env.now, index, number, "interrupted", interrupt.cause))

    def start(index, steps):
        runners[index] = Runner(env, body(index, steps))
        runners[index].start()

    for index, (at, steps) in enumerate(program):
        marker = _Marker()
        marker.callbacks.append(lambda _e, i=index, s=steps: start(i, s))
        env.schedule(marker, URGENT if index % 2 else NORMAL, at)
    env.run(until=50.0)
    return trace


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(PROGRAM)
def test_random_event_programs_run_the_same_on_the_engine_and_on_simpy(program):
    expected = _trace(SimPyReference(), program, use_float_delays=False)
    assert _trace(Engine(), program, use_float_delays=False) == expected
    # waiting a float (the runner's own timer) is the same as waiting a timeout
    assert _trace(Engine(), program, use_float_delays=True) == expected
    assert _trace(SimPyReference(), program, use_float_delays=True) == expected
    with calendar_from_the_start():
        assert _trace(Engine(), program, use_float_delays=True) == expected


# ------------------------------------------------------------------------------ whole replications


def _tables(scenario, env) -> tuple:
    streams = Streams(scenario.scenario.seed, 1)
    world = build_world(scenario, generate_people(scenario, streams), streams, env=env)
    world.run()
    result = _results(world, 1, stages_table=True)
    return result


def _assert_same_on_both(scenario) -> None:
    expected = _tables(scenario, SimPyReference())
    _assert_same(_tables(scenario, Engine()), expected)
    with calendar_from_the_start():
        _assert_same(_tables(scenario, Engine()), expected)


def _assert_same(a, b) -> None:
    for name in ("victims", "stages", "occupancy"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.totals.keys() == b.totals.keys()
    for key, value in a.totals.items():
        assert value == b.totals[key] or (math.isnan(value) and math.isnan(b.totals[key])), key
    assert a.team_on_site == b.team_on_site
    assert a.departures == b.departures
    assert a.crossings_per_day == b.crossings_per_day


@pytest.mark.parametrize("path", _scenario_files(), ids=lambda p: p.stem)
def test_shipped_scenarios_give_identical_tables_on_simpy(path):
    _assert_same_on_both(load_scenario(path))


@pytest.mark.parametrize("name", sorted(_stress_scenarios()))
def test_stress_scenarios_give_identical_tables_on_simpy(name):
    _assert_same_on_both(scenario_from_dict(_stress_scenarios()[name]))


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(random_scenario())
def test_random_scenarios_give_identical_tables_on_simpy(raw):
    _assert_same_on_both(scenario_from_dict(raw))


@pytest.mark.parametrize("name", ["myanmar_thailand_2025", "central_asia_surge", "stress"])
def test_a_replication_leaves_no_reference_cycles_behind(name):
    """Journeys waiting at the horizon, timers and processes are released at the end of the run, so a
    replication's memory goes when its results are built (by reference counting), not at a later pass of
    the garbage collector in the middle of another replication."""
    if name == "stress":
        scenario = scenario_from_dict(next(iter(_stress_scenarios().values())))
    else:
        scenario = load_scenario(SCENARIO_DIR / f"{name}.toml")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        result = run_replication(scenario, 0)
        assert (result.victims["status"] == "waiting").any()  # journeys were still open at the horizon
        del result
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_people_arrive_at_exactly_their_drawn_times():
    """The arrival alarm is set at the drawn time itself: a delay from now (now + (t - now)) can land one
    bit early, which would record a different arrival day and split a batch arriving at one instant."""
    from dataclasses import replace

    scenario = load_scenario(SCENARIO_DIR / "myanmar_thailand_2025.toml")
    streams = Streams(scenario.scenario.seed, 1)
    drawn = generate_people(scenario, streams)
    days = np.array([0.54, 9.12, 9.12, 9.12])  # 0.54 + (9.12 - 0.54) == 9.119999999999997
    assert 0.54 + (9.12 - 0.54) != 9.12
    people = replace(drawn, arrived=days, nationality=drawn.nationality[:4], vulnerable=drawn.vulnerable[:4],
                     unfunded=drawn.unfunded[:4])
    world = build_world(scenario, people, streams)
    world.run()
    assert world.recorder.arrived.tolist() == days.tolist()


def test_a_journey_is_woken_only_while_it_waits_in_a_queue():
    """A queue wakes a journey it holds; a wake-up of a journey that waits for nothing there (not started,
    or already scheduled to resume) would resume it twice or at the wrong step, so it is refused."""
    scenario = load_scenario(SCENARIO_DIR / "myanmar_thailand_2025.toml")
    streams = Streams(scenario.scenario.seed, 0)
    world = build_world(scenario, generate_people(scenario, streams), streams)
    journey = Journey(world, 0)
    with pytest.raises(RuntimeError, match="not waiting in a queue"):
        journey.wake()
    journey.target = ("a continuation",)  # as a queue leaves it: waiting, with what to continue with
    journey.wake()
    assert journey.wake_pending
    with pytest.raises(RuntimeError, match="not waiting in a queue"):
        journey.wake()  # already scheduled to resume


def test_a_journey_that_has_ended_cannot_be_interrupted():
    """As SimPy refuses to interrupt a process that has terminated: a loss of someone already gone would
    otherwise free a server or a seat a second time."""
    scenario = load_scenario(SCENARIO_DIR / "myanmar_thailand_2025.toml")
    streams = Streams(scenario.scenario.seed, 0)
    world = build_world(scenario, generate_people(scenario, streams), streams)
    journey = Journey(world, 0)
    journey.close()  # ended
    assert not journey.is_alive
    with pytest.raises(RuntimeError, match="has ended and cannot be interrupted"):
        journey.interrupt("lost")
