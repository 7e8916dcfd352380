"""The processes of the model: a generator of events, driven the way ``simpy.Process`` drives one.

A :class:`Runner` drives a generator exactly as ``simpy.Process`` does (each yielded event resumes it with
that event's value once the event is processed), minus two events per process that the model does not
need:

- it starts when :meth:`Runner.start` is called, not through an ``Initialize`` event (``Engine.process``
  starts it at an urgent event, the instant SimPy's ``Initialize`` would have run it);
- when the generator returns, nothing is scheduled: nobody waits for the end of a process.

The model's processes are the consular teams' rotations (generators run by a Runner) and the people's
journeys (:class:`~sim.model.pipeline.Journey`, a state machine that follows the same protocol: it is
its own timer, has a ``wake`` for the queues it waits in, and an ``interrupt`` for losses).

:meth:`Runner.interrupt` keeps SimPy's semantics: an urgent event at the current time detaches the runner
from the event it is waiting for and throws :class:`Interrupt` (``cause``) into the generator.

It runs on the model's :class:`~sim.model.engine.Engine`, and on a ``simpy.Environment`` given a
``_boundary`` of minus infinity (so that a runner's own timer goes through ``_defer``), a
``_defer(time, event)`` that pushes SimPy's own entry, and ``clear()``: the reference the engine is
tested against (``tests/test_engine.py``).
"""

from __future__ import annotations

from collections.abc import Generator
from heapq import heappush
from numbers import Real
from typing import Any, Protocol

from sim.model.engine import NORMAL, URGENT, Delay, Signal, _Marker, schedule_at


class Waiter(Protocol):
    """What queues (server pools, departures) need of a process waiting in them: the key of its request
    (set before each request: the queue's order), a way to resume it now, and whether that was done
    already. :class:`Runner` and :class:`~sim.model.pipeline.Journey` are waiters."""

    key: int

    def wake(self) -> None: ...

    @property
    def wake_pending(self) -> bool: ...


class Interrupt(Exception):  # noqa: N818  (SimPy's name for it)
    """Thrown into a process by :meth:`Runner.interrupt`; ``cause`` says why."""

    @property
    def cause(self) -> Any:
        return self.args[0]


class _Park:
    """What a process yields to wait until something calls its :meth:`Runner.wake` (see :data:`PARK`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PARK"


PARK = _Park()
"""Yielded by a process that has left itself in a queue (a pool's, a departure's): it waits, with no event
object of its own, until the queue calls :meth:`Runner.wake`, which schedules it the way the event it
would otherwise have waited for would have been scheduled (normal priority, now)."""


class _Start:
    """Stands for the event that starts a process: its value (None) is what the generator first receives."""

    __slots__ = ()
    _value = None


_START = _Start()


class _Waiting:
    """The callback a runner leaves on an event it waits for. An interrupt detaches it in O(1) instead of
    removing it from the event's list of callbacks: thousands of people can wait on one event (their
    nationality's funding), and removing a callback means searching that list."""

    __slots__ = ("runner",)

    def __init__(self, runner: Runner) -> None:
        self.runner: Runner | None = runner

    def __call__(self, event: Any) -> None:
        runner = self.runner
        if runner is not None:
            runner._target = None
            runner._step(event)


class Runner:
    """Runs one generator of events (a process), from :meth:`start` on.

    The generator yields events to wait for, :data:`PARK`, or a positive float: a delay in days. A delay
    needs no event object: the runner schedules *itself* (it has the ``callbacks`` and ``_value`` an event
    needs) and is resumed when that entry is processed, exactly when a timeout scheduled at that point
    would have been. Its callbacks are then :data:`_SCHEDULED`, shared by all runners, so a runner holds
    no bound methods of its own (the people's journeys, :class:`~sim.model.pipeline.Journey`, are built
    the same way).
    """

    __slots__ = ("env", "_generator", "_target", "callbacks", "key")

    _ok = True  # as an event (its own timer), it never fails
    _value = None  # and resumes the generator with None, as a timeout does

    def __init__(self, env: Any, generator: Generator[Any, Any, None]) -> None:
        self.env = env
        self._generator: Generator[Any, Any, None] | None = generator
        self.callbacks: tuple | None = None  # None: no timer or wake-up of its own is pending
        self._target: Any = None
        self.key = 0  # the key of its request when it waits in a queue (set by whoever makes the request)

    def start(self) -> None:
        """Run the generator up to its first wait (call once, at the instant the process starts)."""
        self._step()

    @property
    def is_alive(self) -> bool:
        """Whether the generator has not finished yet."""
        return self._generator is not None

    def _step(self, event: Any = _START) -> None:
        """The awaited event was processed (or its own entry, when called with the runner as the event):
        continue with its value."""
        try:
            target = self._generator.send(event._value)  # type: ignore[union-attr]
        except StopIteration:
            self._end()
            return
        if target.__class__ is float:  # a delay in days: the usual case, inlined from _wait_for
            if self.callbacks is None and target > 0:
                env = self.env
                now = env._now
                time = now + target
                if now < time < env._boundary:  # inlined from engine.schedule_at
                    if env._pending.setdefault(time, self) is self:
                        heappush(env._queue, time)
                    else:
                        env._tie(time, self)
                else:
                    env._defer(time, self)
                self.callbacks = _SCHEDULED
                self._target = self
                return
        elif target is PARK:
            callbacks = self.callbacks
            if callbacks is None:
                self._target = PARK  # until wake()
                return
            if callbacks is _SCHEDULED:
                return  # woken before it parked: the wake-up is scheduled already
        else:
            try:
                callbacks = target.callbacks
            except AttributeError:  # not an event: a delay of another numeric type, or a mistake
                callbacks = None
            else:
                if callbacks is not None:  # an event not yet processed: the other usual case
                    waiting = self._target = _Waiting(self)
                    callbacks.append(waiting)
                    return
        self._wait_for(target)

    def _wait_for(self, target) -> None:
        """Wait for ``target``: a delay (days), :data:`PARK` or an event; an event processed already resumes
        the generator at once with its value, as in SimPy."""
        while True:
            if target is PARK:
                if self.callbacks is None or self.callbacks is _SCHEDULED:
                    self._target = PARK if self.callbacks is None else self
                    return
                raise RuntimeError("a process interrupted while a timer or wake-up of its own was pending "
                                   "cannot park until that entry is processed")
            if isinstance(target, Real) and not isinstance(target, bool) and not hasattr(target, "callbacks"):
                target = float(target)
                if not target > 0:
                    raise ValueError(f"a process may only wait a positive number of days, not {target!r}")
                if self.callbacks is None:
                    env = self.env
                    schedule_at(env, env._now + target, self)
                    self.callbacks = _SCHEDULED
                    self._target = self
                    return
                target = Delay(self.env, target)  # a stale timer of its own is still pending: a real event
            try:
                callbacks = target.callbacks
            except AttributeError:
                raise TypeError(f"a process yielded {target!r}: not an event, PARK or a number of days") from None
            if callbacks is not None:
                break
            try:
                target = self._generator.send(target._value)  # type: ignore[union-attr]
            except StopIteration:
                self._end()
                return
        waiting = self._target = _Waiting(self)
        target.callbacks.append(waiting)

    def wake(self) -> None:
        """Resume a process that parked (or is about to park) now, after the events already due now: the
        place in the order that an event triggered at this moment would have."""
        if self.callbacks is not None:
            raise RuntimeError("the process is already scheduled to resume")
        if self._target.__class__ is _Waiting:
            raise RuntimeError("the process waits for an event, not in a queue")
        self.callbacks = _SCHEDULED
        self._target = self
        self.env.schedule(self, NORMAL)

    @property
    def wake_pending(self) -> bool:
        """Whether :meth:`wake` was called and the process has not resumed yet (a queue asks this of a
        process that leaves it: was it granted its place already?)."""
        return self.callbacks is not None

    def close(self) -> None:
        """Stop the generator where it waits (``GeneratorExit`` there, as ``generator.close()``), when the
        run is over; what it waits for no longer resumes it."""
        generator = self._generator
        if generator is not None:
            self._end()
            generator.close()

    def _end(self) -> None:
        self._generator = self._target = None

    def interrupt(self, cause: Any = None) -> None:
        """Throw :class:`Interrupt` (``cause``) into the generator, at an urgent event now."""
        event = _Marker()  # triggered at once, like simpy.events.Interruption
        event.callbacks.append(self._interrupted)
        event._value = cause
        self.env.schedule(event, URGENT)

    def _interrupted(self, event: _Marker) -> None:
        generator = self._generator
        if generator is None:
            return
        target = self._target
        if target is self:
            self.callbacks = ()  # its pending timer or wake-up will resume nothing (and clears when processed)
        elif target.__class__ is _Waiting:
            target.runner = None  # its callback on the event resumes nothing
        self._target = None
        try:
            target = generator.throw(Interrupt(event._value))
        except StopIteration:
            self._end()
            return
        self._wait_for(target)


_SCHEDULED = (Runner._step,)
"""The callbacks of a runner whose own entry is in the schedule: processing that entry calls
``Runner._step(runner)``, which resumes the generator with None."""


__all__ = ["PARK", "Delay", "Interrupt", "Runner", "Signal"]
