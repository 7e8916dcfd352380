"""The event loop of a replication: SimPy's scheduling rules in a kernel small enough for the hot path.

The model was first written on ``simpy.Environment``; profiles showed a quarter of a replication's time
inside SimPy's ``run``/``step``/``schedule`` calls, and its single heap growing with the number of people
in the camp (a zero-delay event sifts through the whole heap twice). :class:`Engine` keeps SimPy's
contract exactly, so the model gives the same events in the same order on either (a test runs every
shipped scenario on both and compares the tables):

- an event is anything with ``callbacks`` (a list, set to None when the event is processed) and
  ``_value`` (what a waiting generator receives); processing calls each callback with the event;
- events are processed in order of (time, priority, order of scheduling), with ``URGENT`` before
  ``NORMAL`` at the same time;
- ``run(until)`` stops before anything scheduled at ``until`` at normal priority (SimPy schedules an
  urgent stop event there) and leaves the clock at ``until``.

What differs is how, not what: normal events scheduled for *now* (a pool granting a server, a departure
boarding its passengers: most events of a busy camp) go to a FIFO list instead of the heap. Everything
in that list is due now, in scheduling order, so its head is its earliest; the loop takes whichever of
the heap's head and the list's head comes first in SimPy's order. Time is in days.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from heapq import heappop, heappush
from itertools import count
from typing import Any

URGENT = 0
NORMAL = 1


class _Marker:
    """A bare event: the stop marker of :meth:`Engine.run` and the start of a process."""

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = []
        self._ok = True
        self._value = None


class Delay:
    """A timeout: processed ``delay`` days from now (like ``env.timeout(delay)``).

    Works on an :class:`Engine` and on a ``simpy.Environment`` alike (both keep ``_queue``, ``_eid`` and
    ``_now``): a positive delay goes straight into the heap, as ``schedule`` would put it.
    """

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self, env: Any, delay: float) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = []  # None once processed, as in SimPy
        self._ok = True
        self._value = None
        if delay > 0:
            heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), self))
        else:
            env.schedule(self, NORMAL, delay)


class Signal:
    """An event that waits until :meth:`succeed` is called (like ``env.event()``)."""

    __slots__ = ("env", "callbacks", "_ok", "_value", "triggered")

    def __init__(self, env: Any) -> None:
        self.env = env
        self.callbacks: list[Callable[[Any], None]] | None = []  # None once processed, as in SimPy
        self._ok = True
        self._value = None
        self.triggered = False

    def succeed(self, value: Any = None) -> None:
        """Trigger it: it is processed at the current time, after the events already due now."""
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
        self._callbacks = (callback,)
        self.callbacks: tuple[Callable[[Any], None], ...] | None = None  # None while not set

    def set(self, delay: float) -> None:
        """Go off ``delay`` days from now (> 0), calling the callback with the alarm."""
        if self.callbacks is not None:
            raise RuntimeError("the alarm is already set")
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), self))
        self.callbacks = self._callbacks


class Engine:
    """A discrete-event clock and schedule with SimPy's ordering (see the module docstring)."""

    __slots__ = ("_now", "_queue", "_eid", "_due_now")

    def __init__(self) -> None:
        self._now = 0.0
        self._queue: list[tuple[float, int, int, Any]] = []  # (time, priority, sequence, event): a heap
        self._eid = count()  # the sequence number that breaks ties, in order of scheduling
        self._due_now: deque[tuple[float, int, int, Any]] = deque()  # normal events for the current time

    @property
    def now(self) -> float:
        """The current model time, in days."""
        return self._now

    def schedule(self, event: Any, priority: int = NORMAL, delay: float = 0.0) -> None:
        """Schedule ``event`` to be processed ``delay`` days from now, at ``priority``."""
        if delay == 0 and priority == NORMAL:
            self._due_now.append((self._now, NORMAL, next(self._eid), event))
        else:
            heappush(self._queue, (self._now + delay, priority, next(self._eid), event))

    def timeout(self, delay: float) -> Delay:
        """An event processed ``delay`` days from now (like ``simpy.Environment.timeout``)."""
        return Delay(self, delay)

    def event(self) -> Signal:
        """An event that fires when its ``succeed()`` is called (like ``simpy.Environment.event``)."""
        return Signal(self)

    def process(self, generator: Generator[Any, Any, None]) -> None:
        """Run ``generator`` as a process, started at an urgent event now (as SimPy's ``Initialize``)."""
        from sim.model.process import Runner

        start = _Marker()
        start.callbacks.append(lambda _event: Runner(self, generator).start())  # type: ignore[union-attr]
        heappush(self._queue, (self._now, URGENT, next(self._eid), start))

    def run(self, until: float) -> None:
        """Process events until the clock reaches ``until`` (days); the clock is then ``until``."""
        if not until > self._now:
            raise ValueError(f"until ({until}) must be greater than the current time ({self._now})")
        stop = _Marker()
        queue, due_now = self._queue, self._due_now
        heappush(queue, (float(until), URGENT, next(self._eid), stop))  # before normal events at until
        pop, pop_due = heappop, due_now.popleft
        while True:
            if due_now and not queue[0] < due_now[0]:  # the heap is never empty: ``stop`` is in it
                now, _, _, event = pop_due()
            else:
                now, _, _, event = pop(queue)
                if event is stop:
                    self._now = now
                    return
            self._now = now
            callbacks = event.callbacks
            event.callbacks = None
            for callback in callbacks:
                callback(event)
