"""The event loop of a replication: SimPy's scheduling rules in a kernel small enough for the hot path.

The model was first written on ``simpy.Environment``; profiles showed a quarter of a replication's time
inside SimPy's ``run``/``step``/``schedule`` calls, and a cost per event that grew with the number of
people in the camp. :class:`Engine` keeps SimPy's contract exactly, so the model gives the same events in
the same order on either (``tests/test_engine.py`` runs random event programs and every shipped scenario
on both and compares them):

- an event is anything with ``callbacks`` (a list, or for the engine's own timers a tuple; set to None
  when the event is processed) and ``_value`` (what a waiting generator receives); processing calls each
  callback with the event;
- events are processed in order of (time, priority, order of scheduling), ``URGENT`` before ``NORMAL``
  at the same time;
- ``run(until)`` stops before anything scheduled at ``until`` at normal priority (SimPy schedules an
  urgent stop event there, ``until - now`` from now) and leaves the clock there;
- a negative delay is an error (``ValueError``), and so is triggering a signal twice (``RuntimeError``).

Three differences, outside what the model does: ``run`` needs a finite ``until`` (SimPy can also run
until the schedule is empty); after an exception escapes ``run`` the stop marker of that run stops
nothing later (SimPy's would stop the next run at that time); and the only priorities are ``URGENT`` and
``NORMAL`` (SimPy's two).

What differs is how, not what. SimPy keeps one heap of ``(time, priority, sequence, event)`` tuples; at
10x the people each pop compared a dozen such entries (two objects each, read from memory), and every
event allocated a tuple and an int and later freed them, cold. Here the heap holds bare **times**
(floats, one per distinct pending time, compared in C without a tuple), and a dict maps each time to
its event. The order within a time needs no sequence number:

- **one event at a time** (the usual case: times are sums of random durations): the dict holds the event.
- **ties** (several events at one time, or an urgent one): the dict holds a :class:`_Tied`, the urgent
  events in order of scheduling, then the normal ones in order of scheduling, which is SimPy's order.
- **due now**: normal events scheduled for the current time (a zero delay, a signal, a pool granting a
  server) go to a FIFO list. Every one of them was scheduled after the clock reached now, so after any
  normal event the heap holds for now (scheduled before the clock got here); an urgent event for now
  comes before them too. So the heap's events for now go first, then the list. A positive delay that
  vanishes in rounding (``now + delay == now``) was scheduled now as well: it joins the list.
- **calendar**: with thousands of people waiting out delays of days, a single heap holds tens of
  thousands of times, and each pop walks log2(n) of them. Once the heap outgrows :data:`CALENDAR_AT`,
  times later than the current slot of :data:`SLOTS_PER_DAY` per day wait unsorted in their slot (a
  list of times and a dict of their events); the heap holds only the current slot, and when it runs dry
  the next slot becomes the heap. Every time of a later slot is later than every time of the heap, so
  the order is unchanged. A slot is a power-of-two fraction of a day, so slot bounds are exact floats
  and ``time < boundary`` agrees with the slot a time falls in.

Model time is in days (never negative: slot numbers are ``int(time * SLOTS_PER_DAY)``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from heapq import heapify, heappop, heappush
from typing import Any

URGENT = 0
NORMAL = 1

CALENDAR_AT = 2048
"""Pending times in the heap beyond which the engine moves the far future to slots."""
SLOTS_PER_DAY = 4
"""Slots per model day once the calendar is on (a power of two: 6-hour slots)."""
CHECK_EVERY = 1024
"""Heap pops (taken while nothing is due now) between two looks at the heap's size."""
MAX_TIME = 2.0**50
"""Times at or after this many days are never reached (``run`` refuses such an ``until``): events for
them wait apart, unsorted, and are dropped with the schedule."""


class _Marker:
    """A bare event: the stop marker of :meth:`Engine.run`, the start of a process, an interruption."""

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self) -> None:
        self.callbacks: list[Callable[[Any], None]] = []  # the engine sets it to None once processed
        self._ok = True
        self._value = None


class _Tied:
    """The events due at one time when there are several, or an urgent one: urgent ones first, each
    group in order of scheduling (SimPy's order at one time)."""

    __slots__ = ("urgent", "normal")

    def __init__(self, urgent: list[Any], normal: list[Any]) -> None:
        self.urgent: deque[Any] = deque(urgent)
        self.normal: deque[Any] = deque(normal)


def schedule_at(env: Any, time: float, event: Any) -> None:
    """Schedule ``event`` at ``time`` (days, not before now) at normal priority. The hot paths
    (``Runner._step``, ``Journey._sleep``) inline the first branch: the heap of the current slot, for a
    time after now."""
    if env._now < time < env._boundary:
        if env._pending.setdefault(time, event) is event:
            heappush(env._queue, time)
        else:
            env._tie(time, event)
    else:
        env._defer(time, event)


def _negative_delay(delay: float) -> ValueError:
    return ValueError(f"a delay cannot be negative ({delay} days)")


class Delay:
    """A timeout: processed ``delay`` days from now (>= 0, like ``env.timeout(delay)``)."""

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self, env: Any, delay: float) -> None:
        self.callbacks: list[Callable[[Any], None]] = []  # the engine sets it to None once processed
        self._ok = True
        self._value = None
        if delay > 0:
            schedule_at(env, env._now + delay, self)
        elif delay == 0:
            env.schedule(self, NORMAL, 0.0)
        else:
            raise _negative_delay(delay)


class Signal:
    """An event that waits until :meth:`succeed` is called (like ``env.event()``)."""

    __slots__ = ("env", "callbacks", "_ok", "_value", "triggered")

    def __init__(self, env: Any) -> None:
        self.env = env
        self.callbacks: list[Callable[[Any], None]] = []  # the engine sets it to None once processed
        self._ok = True
        self._value = None
        self.triggered = False

    def succeed(self, value: Any = None) -> None:
        """Trigger it: it is processed at the current time, after the events already due now."""
        if self.triggered:
            raise RuntimeError("the event has already been triggered")
        self.triggered = True
        self._value = value
        self.env.schedule(self, NORMAL)


class Alarm:
    """A timer that can be set again once it has gone off, for an owner that needs one at a time (the
    next arrival): the alarm is its own event, so setting it allocates nothing."""

    __slots__ = ("env", "callbacks", "_callbacks")

    _ok = True
    _value = None

    def __init__(self, env: Any, callback: Callable[[Any], None]) -> None:
        self.env = env
        self._callbacks: tuple[Callable[[Any], None], ...] = (callback,)
        self.callbacks: tuple[Callable[[Any], None], ...] | None = None  # None while not set

    def set_at(self, time: float) -> None:
        """Go off at ``time`` (days, after now), calling the callback with the alarm. An absolute time, not
        a delay: now + (time - now) can differ from ``time`` in the last bit."""
        if self.callbacks is not None:
            raise RuntimeError("the alarm is already set")
        env = self.env
        if not time > env._now:
            raise ValueError(f"an alarm must be set after now ({env._now}), not at {time}")
        schedule_at(env, time, self)
        self.callbacks = self._callbacks

    def disarm(self) -> None:
        """Forget the callback for good (the run is over; it may hold its owner in a reference cycle)."""
        self._callbacks = ()
        self.callbacks = None


class Engine:
    """A discrete-event clock and schedule with SimPy's ordering (see the module docstring)."""

    __slots__ = ("_now", "_queue", "_pending", "_due_now", "_boundary", "_slots", "_slot_keys", "_far",
                 "_processes")

    def __init__(self) -> None:
        self._now = 0.0
        self._queue: list[float] = []  # the distinct pending times of the current slot: a heap
        self._pending: dict[float, Any] = {}  # each of those times -> its event, or a _Tied of several
        self._due_now: deque[Any] = deque()  # normal events for the current time, in order of scheduling
        self._boundary = math.inf  # times at or after it wait in their slot (inf: no calendar yet)
        self._slots: dict[int, tuple[list[float], dict[float, Any]]] = {}  # slot number -> its times, events
        self._slot_keys: list[int] = []  # the numbers of the slots in _slots: a heap
        self._far: list[Any] = []  # events at or after MAX_TIME: never processed
        self._processes: list[Any] = []  # the runners of process() (a few: the teams' schedules)

    @property
    def now(self) -> float:
        """The current model time, in days."""
        return self._now

    def schedule(self, event: Any, priority: int = NORMAL, delay: float = 0.0) -> None:
        """Schedule ``event`` to be processed ``delay`` days from now, at ``priority`` (``URGENT`` or
        ``NORMAL``)."""
        if priority == NORMAL:
            if delay == 0:
                self._due_now.append(event)
            elif delay > 0:
                schedule_at(self, self._now + delay, event)
            else:
                raise _negative_delay(delay)
        elif priority == URGENT:
            if not delay >= 0:
                raise _negative_delay(delay)
            self._schedule_urgent(self._now + delay, event)
        else:
            raise ValueError(f"a priority is URGENT ({URGENT}) or NORMAL ({NORMAL}), not {priority!r}")

    def timeout(self, delay: float) -> Delay:
        """An event processed ``delay`` days from now (like ``simpy.Environment.timeout``)."""
        return Delay(self, delay)

    def event(self) -> Signal:
        """An event that fires when its ``succeed()`` is called (like ``simpy.Environment.event``)."""
        return Signal(self)

    def process(self, generator: Generator[Any, Any, None]) -> None:
        """Run ``generator`` as a process, started at an urgent event now (as SimPy's ``Initialize``)."""
        from sim.model.process import Runner

        runner = Runner(self, generator)
        self._processes.append(runner)
        start = _Marker()
        start.callbacks.append(lambda _event: runner.start())
        self._schedule_urgent(self._now, start)

    def clear(self) -> None:
        """Drop everything still scheduled and close the processes started by :meth:`process` (at the end
        of a run: timers hold their owners, which hold the engine, so the schedule would keep a whole world
        alive until a pass of the garbage collector)."""
        for runner in self._processes:
            runner.close()
        self._processes = []
        self._queue = []
        self._pending = {}
        self._due_now.clear()
        self._slots.clear()
        self._slot_keys = []
        self._far = []
        self._boundary = math.inf

    # -- where an event waits ----------------------------------------------------------------------------
    def _tie(self, time: float, event: Any) -> None:
        """A normal event for a time of the current slot that has an event already: after it."""
        self._join(self._pending, time, event)

    @staticmethod
    def _join(events: dict[float, Any], time: float, event: Any) -> None:
        present = events[time]
        if present.__class__ is _Tied:
            present.normal.append(event)
        else:
            events[time] = _Tied([], [present, event])

    def _defer(self, time: float, event: Any) -> None:
        """A normal event that does not go to the current slot's heap: in a later slot (the usual case),
        due now (a delay lost in rounding) or never (at or after MAX_TIME)."""
        if self._boundary <= time < MAX_TIME:
            slot = self._slots.get(int(time * SLOTS_PER_DAY))  # inlined from _slot, which makes a new one
            times, events = self._slot(time) if slot is None else slot
        elif not time > self._now:
            self._due_now.append(event)  # scheduled now, for now: after everything due now already
            return
        elif not time < MAX_TIME:  # never reached (infinite, say): no slot number for it
            self._far.append(event)
            return
        else:  # in the current slot after all (the callers send those to the heap themselves)
            schedule_at(self, time, event)
            return
        if events.setdefault(time, event) is event:
            times.append(time)
        else:
            self._join(events, time, event)

    def _slot(self, time: float) -> tuple[list[float], dict[float, Any]]:
        """The times and events of the slot ``time`` falls in (a later slot than the current one)."""
        key = int(time * SLOTS_PER_DAY)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = ([], {})
            heappush(self._slot_keys, key)
        return slot

    def _schedule_urgent(self, time: float, event: Any) -> None:
        """An urgent event at ``time`` (not before now): before the normal ones at that time."""
        if time < self._boundary:
            times, events = self._queue, self._pending
        elif not time < MAX_TIME:
            self._far.append(event)
            return
        else:
            times, events = self._slot(time)
        present = events.get(time)
        if present is None:
            events[time] = _Tied([event], [])
            if times is self._queue:
                heappush(times, time)
            else:
                times.append(time)  # a slot's times wait unsorted
        elif present.__class__ is _Tied:
            present.urgent.append(event)
        else:
            events[time] = _Tied([event], [present])

    def _start_calendar(self, now: float) -> None:
        """The heap grew large: keep the times of the current slot in it, move the others to their slots."""
        key = int(now * SLOTS_PER_DAY)
        boundary = self._boundary = (key + 1) / SLOTS_PER_DAY
        pending = self._pending
        near_times: list[float] = []
        near: dict[float, Any] = {}
        for time in self._queue:
            if time < boundary:
                near_times.append(time)
                near[time] = pending[time]
            else:  # unique in the schedule: its slot has no event at that time yet
                times, events = self._slot(time)
                times.append(time)
                events[time] = pending[time]
        heapify(near_times)
        self._queue, self._pending = near_times, near

    def _next_tied(self, time: float, tied: _Tied) -> Any:
        """The first of the events tied at ``time`` (just taken from the heap); the rest wait there again."""
        event = tied.urgent.popleft() if tied.urgent else tied.normal.popleft()
        if tied.urgent or tied.normal:
            self._pending[time] = tied
            heappush(self._queue, time)
        return event

    def run(self, until: float) -> None:
        """Process events until the clock reaches ``until`` (days, finite); the clock is then ``until``
        (exactly as SimPy computes it: now + (until - now))."""
        if not until > self._now:
            raise ValueError(f"until ({until}) must be greater than the current time ({self._now})")
        if not until < MAX_TIME:
            raise ValueError(f"until ({until}) must be a finite number of days below {MAX_TIME:g}")
        stop = _Marker()
        self._schedule_urgent(self._now + (float(until) - self._now), stop)  # before normal events at until
        due_now = self._due_now
        queue, pending = self._queue, self._pending
        pop, pop_due = heappop, due_now.popleft
        countdown = CHECK_EVERY
        now = self._now
        while True:
            if due_now:
                if queue and queue[0] == now:  # scheduled before the clock got here, or urgent: first
                    event = pending.pop(pop(queue))
                    if event.__class__ is _Tied:
                        event = self._next_tied(now, event)
                        if event is stop:
                            break
                else:
                    event = pop_due()
            elif queue:
                now = pop(queue)
                event = pending.pop(now)
                if event.__class__ is _Tied:
                    event = self._next_tied(now, event)
                    if event is stop:
                        break
                countdown -= 1
                if not countdown:
                    countdown = CHECK_EVERY
                    if len(queue) > CALENDAR_AT and self._boundary == math.inf:
                        self._start_calendar(now)
                        queue, pending = self._queue, self._pending
            else:  # the heap ran dry (``stop`` is still to come): the next slot becomes the heap
                key = heappop(self._slot_keys)
                queue, pending = self._slots.pop(key)
                heapify(queue)
                self._queue, self._pending = queue, pending
                self._boundary = (key + 1) / SLOTS_PER_DAY
                continue
            self._now = now
            callbacks = event.callbacks
            event.callbacks = None
            for callback in callbacks:
                callback(event)
        self._now = now
