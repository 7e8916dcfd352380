"""The model's SimPy resources on their own, as a SimPy user would use them: event-log tests.

Each test runs a few hand-written processes on a bare ``simpy.Environment`` and checks the log against
times computed by hand. They also show that the resources combine with SimPy's own events (``|``, ``&``,
interrupts, ``simpy.Resource``), which is what makes the model extensible the way SimPy models are.
"""

from __future__ import annotations

import math

import pytest
import simpy

from sim.model.resources import ServerPool
from sim.model.transport import Departures
from sim.scenario.schema import Transport


def customer(env, pool, log, name, service, group=0, vulnerable=False, arrive=0.0):
    if arrive:
        yield env.timeout(arrive)
    with pool.request(group, vulnerable) as request:
        yield request
        log.append((name, "start", env.now))
        yield env.timeout(service)
    log.append((name, "end", env.now))


def test_one_server_serves_the_vulnerable_first_then_first_come():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    log: list = []
    env.process(customer(env, pool, log, "a", 1.0))
    env.process(customer(env, pool, log, "b", 1.0, arrive=0.1))
    env.process(customer(env, pool, log, "c", 1.0, arrive=0.2))
    env.process(customer(env, pool, log, "v", 1.0, vulnerable=True, arrive=0.3))
    env.run()
    starts = {name: time for name, what, time in log if what == "start"}
    assert starts == pytest.approx({"a": 0.0, "v": 1.0, "b": 2.0, "c": 3.0})
    assert pool.free == 1 and pool.waiting == 0


def test_a_request_granted_at_once_resumes_without_waiting_and_a_queued_one_at_the_release():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    first = pool.request()
    assert first.processed and first.ok  # a free server: yielding it goes on at once
    second = pool.request()
    assert not second.triggered
    pool.release(first)
    assert second.triggered and pool.free == 0


def test_several_servers_never_serve_more_than_their_number():
    env = simpy.Environment()
    pool = ServerPool(env, 3)
    log: list = []
    for index in range(10):
        env.process(customer(env, pool, log, index, 1.0, arrive=0.1 * index))
    env.run()
    events = sorted((time, 1 if what == "start" else -1) for _, what, time in log)
    busy, most = 0, 0
    for _, change in sorted(events, key=lambda e: (e[0], e[1])):  # ends before starts at the same time
        busy += change
        most = max(most, busy)
    assert most == 3
    # by hand: 10 people, 3 servers, 1 day each, arrivals 0.0..0.9 -> the last starts at 3.0
    assert max(time for _, what, time in log if what == "start") == pytest.approx(3.0)


def test_a_person_who_gives_up_leaves_the_queue_and_is_never_served():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    log: list = []

    def impatient(env):
        with pool.request() as request:
            result = yield request | env.timeout(0.5)
            log.append(("impatient", "served" if request in result else "gave up", env.now))

    env.process(customer(env, pool, log, "a", 1.0))
    env.process(impatient(env))
    env.process(customer(env, pool, log, "b", 1.0, arrive=0.1))
    env.run()
    assert ("impatient", "gave up", 0.5) in log
    starts = {name: time for name, what, time in log if what == "start"}
    assert starts == pytest.approx({"a": 0.0, "b": 1.0})


def test_an_interrupt_gives_back_the_place_in_line_or_the_server():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    log: list = []

    def lost_on_the_way(env, name, service):
        try:
            with pool.request() as request:
                yield request
                yield env.timeout(service)
        except simpy.Interrupt as interrupt:
            log.append((name, interrupt.cause, env.now))

    serving = env.process(lost_on_the_way(env, "serving", 5.0))
    waiting = env.process(lost_on_the_way(env, "waiting", 1.0))
    env.process(customer(env, pool, log, "c", 1.0, arrive=0.1))

    def losses(env):
        yield env.timeout(0.5)
        waiting.interrupt("lost")
        yield env.timeout(0.5)
        serving.interrupt("lost")

    env.process(losses(env))
    env.run()
    assert ("waiting", "lost", 0.5) in log and ("serving", "lost", 1.0) in log
    assert ("c", "start", 1.0) in log  # the server freed at 1.0 goes to c, not to the withdrawn request
    assert pool.free == 1 and pool.waiting == 0


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0

    def schedule(self, event, priority=simpy.events.NORMAL, delay=0):
        self.scheduled += 1
        super().schedule(event, priority, delay)


def served_customer(env, pool, started, ends, row, days, arrive=0.0, vulnerable=False):
    """A customer who asks for the grant and the service as one event."""
    if arrive:
        yield env.timeout(arrive)
    with pool.serve(0, vulnerable, lambda: days, started, row) as service:
        if not service.processed:
            yield service
    ends[row] = env.now


def test_serve_stamps_the_start_at_the_grant_and_wakes_the_person_once_at_the_end():
    # one server: a is served 0-2; b arrives at 0.5 and waits; c, vulnerable, arrives at 1 and waits. When
    # the server frees at 2, c goes first (2-3), then b (3-6).
    env = CountingEnvironment()
    pool = ServerPool(env, 1)
    started, ends = [math.nan] * 3, [math.nan] * 3
    env.process(served_customer(env, pool, started, ends, 0, 2.0))
    env.process(served_customer(env, pool, started, ends, 1, 3.0, arrive=0.5))
    env.process(served_customer(env, pool, started, ends, 2, 1.0, arrive=1.0, vulnerable=True))
    env.run()
    assert started == pytest.approx([0.0, 3.0, 2.0]) and ends == pytest.approx([2.0, 6.0, 3.0])
    # events: 3 process starts, 2 arrival timeouts, 3 ends of service, 3 process ends. A request and a
    # timeout would add a grant event for each of the 2 people who waited (13).
    assert env.scheduled == 11
    assert pool.free == 1 and pool.waiting == 0


def test_serve_gives_the_same_times_and_draws_as_a_request_then_a_timeout():
    import random

    def run(one_event: bool) -> list[tuple[float, float]]:
        env = simpy.Environment()
        pool = ServerPool(env, 2)
        draws = random.Random(7)
        durations = lambda: draws.expovariate(1.0)  # noqa: E731 (one stream, drawn as services start)
        arrivals = random.Random(3)
        started, ends = [math.nan] * 200, [math.nan] * 200

        def person(env, row, vulnerable):
            if one_event:
                with pool.serve(0, vulnerable, durations, started, row) as service:
                    if not service.processed:
                        yield service
            else:
                with pool.request(0, vulnerable) as request:
                    yield request
                    started[row] = env.now
                    yield env.timeout(durations())
            ends[row] = env.now

        def source(env):
            for row in range(200):
                yield env.timeout(arrivals.expovariate(1.8))
                env.process(person(env, row, arrivals.random() < 0.2))

        env.process(source(env))
        env.run()
        return list(zip(started, ends))

    assert run(one_event=True) == run(one_event=False)


def test_a_loss_during_a_service_frees_the_server_and_keeps_the_start():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    started, ends = [math.nan] * 2, [math.nan] * 2
    lost: list = []

    def person(env, row, days):
        try:
            with pool.serve(0, False, lambda: days, started, row) as service:
                yield service
            ends[row] = env.now
        except simpy.Interrupt:
            lost.append((row, env.now))

    first = env.process(person(env, 0, 5.0))
    env.process(person(env, 1, 1.0))

    def loss(env):
        yield env.timeout(2.0)
        first.interrupt("lost")

    env.process(loss(env))
    env.run()
    assert lost == [(0, 2.0)] and started == [0.0, 2.0] and ends[1] == 3.0
    assert pool.free == 1


def test_a_service_still_going_at_the_horizon_has_its_start_stamped():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    started, ends = [math.nan] * 2, [math.nan] * 2
    env.process(served_customer(env, pool, started, ends, 0, 2.0))
    env.process(served_customer(env, pool, started, ends, 1, 2.0, arrive=0.5))
    env.run(until=3.0)  # b started at 2 and is served until 4
    assert started == [0.0, 2.0] and ends[0] == 2.0 and math.isnan(ends[1])


def test_a_service_of_zero_days_granted_at_once_is_processed_at_once():
    env = simpy.Environment()
    pool = ServerPool(env, 1)
    started = [math.nan]
    service = pool.serve(0, False, lambda: 0.0, started, 0)
    assert service.processed and started == [0.0] and pool.free == 0  # held until given back
    pool.release(service)
    assert pool.free == 1


def test_a_closed_gate_holds_its_group_while_another_group_is_served():
    env = simpy.Environment()
    pool = ServerPool(env, 1, groups=2)
    pool.set_open(0, False)
    log: list = []
    env.process(customer(env, pool, log, "needs the team", 1.0, group=0))
    env.process(customer(env, pool, log, "remote", 1.0, group=1, arrive=0.1))

    def team_arrives(env):
        yield env.timeout(3.0)
        pool.set_open(0, True)

    env.process(team_arrives(env))
    env.run()
    starts = {name: time for name, what, time in log if what == "start"}
    assert starts == pytest.approx({"remote": 0.1, "needs the team": 3.0})


def test_the_daily_cap_moves_what_does_not_fit_to_the_next_days():
    env = simpy.Environment()
    pool = ServerPool(env, 10, daily_cap=2)
    log: list = []
    for index in range(5):
        env.process(customer(env, pool, log, index, 0.01, arrive=0.5))
    env.run()
    starts = sorted(time for _, what, time in log if what == "start")
    assert starts == pytest.approx([0.5, 0.5, 1.0, 1.0, 2.0])
    assert pool.started_per_day == {0: 2, 1: 2, 2: 1}


def test_a_pool_combines_with_simpys_own_resources():
    env = simpy.Environment()
    officers = ServerPool(env, 1)
    interpreters = simpy.Resource(env, capacity=1)
    log: list = []

    def interview(env, name):
        with officers.request() as officer, interpreters.request() as interpreter:
            yield officer & interpreter
            log.append((name, env.now))
            yield env.timeout(1.0)

    for name in "abc":
        env.process(interview(env, name))
    env.run()
    assert log == [("a", 0.0), ("b", 1.0), ("c", 2.0)]


def test_a_bus_takes_whoever_is_ready_on_its_timetable():
    env = simpy.Environment()
    buses = Departures(env, Transport(mode="overland", seats=2, interval=1.0), "X")
    log: list = []

    def passenger(env, name, ready, vulnerable=False):
        yield env.timeout(ready)
        with buses.board(vulnerable) as seat:
            yield seat
        log.append((name, env.now))

    env.process(passenger(env, "a", 0.2))
    env.process(passenger(env, "b", 0.3))
    env.process(passenger(env, "v", 0.4, vulnerable=True))
    env.run()
    # buses at whole days from the first ready; 2 seats: the vulnerable and the first ready go first
    assert sorted(log) == [("a", 1.0), ("b", 2.0), ("v", 1.0)]
    assert buses.departure_log == [(1.0, 2), (2.0, 1)]


def test_a_passenger_who_leaves_the_queue_is_not_counted_on_the_bus():
    env = simpy.Environment()
    buses = Departures(env, Transport(mode="overland", seats=5, interval=1.0), "X")
    log: list = []

    def passenger(env, name, patience):
        yield env.timeout(0.1)  # after the bus of day 0
        with buses.board() as seat:
            result = yield seat | env.timeout(patience)
            log.append((name, seat in result, env.now))

    env.process(passenger(env, "patient", 5.0))
    env.process(passenger(env, "leaves", 0.5))
    env.run()
    (leaves, boarded_early, left_at), (patient, boarded, departed) = sorted(log)
    assert (leaves, boarded_early, patient, boarded, departed) == ("leaves", False, "patient", True, 1.0)
    assert left_at == pytest.approx(0.6)
    assert buses.departure_log == [(1.0, 1)]
