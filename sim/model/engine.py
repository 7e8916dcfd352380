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

Two differences, outside what the model does: ``run`` needs a finite ``until`` (SimPy can also run
until the schedule is empty), and after an exception escapes ``run`` the stop marker of that run stops
nothing later (SimPy's would stop the next run at that time).

What differs is how, not what. Each schedule entry is a tuple ``(time, key, event)``: the key is the
sequence number of the scheduling, less :data:`URGENT_SHIFT` for an urgent event, so that tuples compare in
SimPy's order of (time, priority, sequence) with one item fewer than SimPy's ``(time, priority, sequence,
event)``. A smaller entry is less memory to read: at 10x the people each pop compares a dozen entries
scattered in memory (a tuple of 3 takes a 64-byte block, of 4 an 80-byte one; cachegrind counts 2% fewer
first-level data misses per 10x replication).

- **due now**: normal events scheduled for the current time (a pool granting a server, a departure
  boarding its passengers) go to a FIFO list instead of the heap. Everything in it is due now, in
  scheduling order (the clock never goes back: delays are never negative), so its head is its earliest;
  the loop takes whichever of the heap's head and the list's head comes first in SimPy's order.
- **calendar**: with thousands of people waiting out delays of days, a single heap holds tens of thousands
  of entries, and each pop walks log2(n) of them scattered in memory: at 10x the people, cache misses
  made each event dearer. Once the heap outgrows :data:`CALENDAR_AT`, entries later than the current
  slot of :data:`SLOTS_PER_DAY` per day wait unsorted in their slot's list; the heap holds only the
  current slot, and when it runs dry the next slot's list becomes the heap. Every entry of a later slot
  is later than every entry of the heap, so the order is unchanged. A slot is a power-of-two fraction of
  a day, so slot bounds are exact floats and ``time < boundary`` agrees with the slot a time falls in.

Model time is in days (never negative: slot numbers are ``int(time * SLOTS_PER_DAY)``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from heapq import heapify, heappop, heappush
from itertools import count
from typing import Any

URGENT = 0
NORMAL = 1
URGENT_SHIFT = 1 << 62
"""Taken off an urgent entry's sequence number (and added per level of priority after normal): sequence
numbers stay far below it, so every urgent key is below every normal one."""

CALENDAR_AT = 2048
"""Pending entries in the heap beyond which the engine moves the far future to slots."""
SLOTS_PER_DAY = 4
"""Slots per model day once the calendar is on (a power of two: 6-hour slots)."""
CHECK_EVERY = 1024
"""Heap pops (taken while nothing is due now) between two looks at the heap's size."""
MAX_TIME = 2.0**50
"""Times at or after this many days are never reached (``run`` refuses such an ``until``): entries for
them wait apart, unsorted, and are dropped with the schedule."""


class _Marker:
    """A bare event: the stop marker of :meth:`Engine.run`, the start of a process, an interruption."""

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self) -> None:
        self.callbacks: list[Callable[[Any], None]] = []  # the engine sets it to None once processed
        self._ok = True
        self._value = None


def schedule_at(env: Any, entry: tuple[float, int, Any]) -> None:
    """Put a schedule entry where it belongs: in the heap if before the calendar's boundary, else in its
    slot. The hot paths (``Runner._step``, ``Journey._sleep``) inline the first branch."""
    if entry[0] < env._boundary:
        heappush(env._queue, entry)
    else:
        env._defer(entry)


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
            schedule_at(env, (env._now + delay, next(env._eid), self))
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
    next arrival): the alarm is its own event, so setting it allocates nothing but the schedule entry."""

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
        schedule_at(env, (time, next(env._eid), self))
        self.callbacks = self._callbacks

    def disarm(self) -> None:
        """Forget the callback for good (the run is over; it may hold its owner in a reference cycle)."""
        self._callbacks = ()
        self.callbacks = None


class Engine:
    """A discrete-event clock and schedule with SimPy's ordering (see the module docstring)."""

    __slots__ = ("_now", "_queue", "_eid", "_due_now", "_boundary", "_slots", "_slot_keys", "_processes")

    def __init__(self) -> None:
        self._now = 0.0
        self._queue: list[tuple[float, int, Any]] = []  # (time, key, event): a heap
        self._eid = count()  # the sequence number that breaks ties, in order of scheduling
        self._due_now: deque[tuple[float, int, Any]] = deque()  # normal events for the current time
        self._boundary = math.inf  # entries at or after it wait in their slot (inf: no calendar yet)
        self._slots: dict[int, list[tuple[float, int, Any]]] = {}  # slot number -> its entries, unsorted
        self._slot_keys: list[int] = []  # the numbers of the slots in _slots: a heap
        self._processes: list[Any] = []  # the runners of process() (a few: the teams' schedules)

    @property
    def now(self) -> float:
        """The current model time, in days."""
        return self._now

    def schedule(self, event: Any, priority: int = NORMAL, delay: float = 0.0) -> None:
        """Schedule ``event`` to be processed ``delay`` days from now, at ``priority``."""
        if delay == 0 and priority == NORMAL:
            self._due_now.append((self._now, next(self._eid), event))
        elif delay >= 0:
            schedule_at(self, (self._now + delay, next(self._eid) + (priority - NORMAL) * URGENT_SHIFT, event))
        else:
            raise _negative_delay(delay)

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
        schedule_at(self, (self._now, next(self._eid) - URGENT_SHIFT, start))

    def clear(self) -> None:
        """Drop everything still scheduled and close the processes started by :meth:`process` (at the end
        of a run: timers hold their owners, which hold the engine, so the schedule would keep a whole world
        alive until a pass of the garbage collector)."""
        for runner in self._processes:
            runner.close()
        self._processes = []
        self._queue = []
        self._due_now.clear()
        self._slots.clear()
        self._slot_keys = []
        self._boundary = math.inf

    def _defer(self, entry: tuple[float, int, Any]) -> None:
        """Put an entry at or after the boundary into its slot's list."""
        if not entry[0] < MAX_TIME:  # never reached (infinite, say): no slot number for it
            key = -1
            slot = self._slots.get(key)
            if slot is None:
                self._slots[key] = [entry]  # not in _slot_keys: never becomes the heap
            else:
                slot.append(entry)
            return
        key = int(entry[0] * SLOTS_PER_DAY)
        slot = self._slots.get(key)
        if slot is None:
            self._slots[key] = [entry]
            heappush(self._slot_keys, key)
        else:
            slot.append(entry)

    def _start_calendar(self, now: float) -> None:
        """The heap grew large: keep the entries of the current slot in it, move the others to their slots."""
        key = int(now * SLOTS_PER_DAY)
        boundary = self._boundary = (key + 1) / SLOTS_PER_DAY
        near = []
        for entry in self._queue:
            if entry[0] < boundary:
                near.append(entry)
            else:
                self._defer(entry)
        heapify(near)
        self._queue = near

    def run(self, until: float) -> None:
        """Process events until the clock reaches ``until`` (days, finite); the clock is then ``until``
        (exactly as SimPy computes it: now + (until - now))."""
        if not until > self._now:
            raise ValueError(f"until ({until}) must be greater than the current time ({self._now})")
        if not until < MAX_TIME:
            raise ValueError(f"until ({until}) must be a finite number of days below {MAX_TIME:g}")
        stop = _Marker()
        at = self._now + (float(until) - self._now)
        schedule_at(self, (at, next(self._eid) - URGENT_SHIFT, stop))  # before normal events at until
        due_now = self._due_now
        queue = self._queue
        pop, pop_due = heappop, due_now.popleft
        countdown = CHECK_EVERY
        while True:
            if due_now:
                if queue and queue[0] < due_now[0]:
                    now, _, event = pop(queue)
                    if event is stop:
                        break
                else:
                    now, _, event = pop_due()
            elif queue:
                now, _, event = pop(queue)
                if event is stop:
                    break
                countdown -= 1
                if not countdown:
                    countdown = CHECK_EVERY
                    if len(queue) > CALENDAR_AT and self._boundary == math.inf:
                        self._start_calendar(now)
                        queue = self._queue
            else:  # the heap ran dry (``stop`` is still to come): the next slot becomes the heap
                key = heappop(self._slot_keys)
                queue = self._queue = self._slots.pop(key)
                heapify(queue)
                self._boundary = (key + 1) / SLOTS_PER_DAY
                continue
            self._now = now
            callbacks = event.callbacks
            event.callbacks = None
            for callback in callbacks:
                callback(event)
        self._now = now
