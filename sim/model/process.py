"""Lighter stand-ins for ``simpy.Process``, ``Timeout`` and ``Event`` that the per-person journeys can afford.

A :class:`Runner` drives a generator exactly as ``simpy.Process`` does (each yielded event resumes it with
that event's value once the event is processed), minus two events per process that a journey does not
need:

- it starts when it is created, not through an ``Initialize`` event: the world creates a journey inside
  the callback of its arrival event, which is the instant SimPy's ``Initialize`` would have run it (see
  :meth:`~sim.model.world.World._admit`);
- when the generator returns, nothing is scheduled: nobody waits for the end of a journey.

:meth:`Runner.interrupt` keeps SimPy's semantics: an urgent event at the current time detaches the runner
from the event it is waiting for and throws ``simpy.Interrupt(cause)`` into the generator.

:class:`Delay` (a timeout) and :class:`Signal` (an event fired by a pool or a departure) are what the
journeys wait on. ``Environment.step`` reads three attributes of an event (``callbacks``, ``_ok`` and
``_value``); SimPy's own events carry a ``__dict__``, these carry just those slots, so they cost about
half as much to make. They are scheduled with the public ``Environment.schedule`` at the priority SimPy's
``Timeout`` and ``Event.succeed`` use, so the order of events is the one SimPy's own would give.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT


class Delay:
    """A timeout: processed ``delay`` days from now (like ``env.timeout(delay)``)."""

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        self.callbacks: list[Callable[[Any], None]] = []  # None once processed, as in SimPy
        self._ok = True
        self._value = None
        env.schedule(self, NORMAL, delay)  # type: ignore[arg-type]  # an event, as far as step is concerned


class Signal:
    """An event that waits until :meth:`succeed` is called (like ``env.event()``)."""

    __slots__ = ("env", "callbacks", "_ok", "_value", "triggered")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.callbacks: list[Callable[[Any], None]] = []  # None once processed, as in SimPy
        self._ok = True
        self._value = None
        self.triggered = False

    def succeed(self) -> None:
        """Trigger it: it is processed at the current time, after the events already due now."""
        self.triggered = True
        self.env.schedule(self, NORMAL)  # type: ignore[arg-type]


class _Start:
    """Stands for the event that starts a journey: its value (None) is what the generator first receives."""

    __slots__ = ()
    _value = None


_START = _Start()


class Runner:
    """Runs one generator of events (one person's journey), starting it at once."""

    __slots__ = ("env", "_generator", "_send", "_resume", "_target", "is_alive")

    def __init__(self, env: simpy.Environment, generator: Generator[Any, Any, None]) -> None:
        self.env = env
        self._generator = generator
        self._send = generator.send
        # the callback it leaves on the events it waits for, bound once (a cycle, cut when the journey ends)
        self._resume: Callable[[Any], None] | None = self._step
        self._target = None
        self.is_alive = True
        self._step(_START)  # the first step sends None, like any event with no value

    def _step(self, event) -> None:
        """The awaited event was processed: continue with its value."""
        try:
            target = self._send(event._value)
        except StopIteration:
            self._end()
            return
        callbacks = target.callbacks
        if callbacks is not None:  # the usual case, inlined from _wait_for
            callbacks.append(self._resume)
            self._target = target
        else:
            self._wait_for(target)

    def _wait_for(self, target) -> None:
        # an event processed already resumes the generator at once with its value, as in SimPy
        while target.callbacks is None:
            try:
                target = self._send(target._value)
            except StopIteration:
                self._end()
                return
        target.callbacks.append(self._resume)
        self._target = target

    def _end(self) -> None:
        self.is_alive = False
        self._target = self._resume = None

    def interrupt(self, cause: Any = None) -> None:
        """Throw ``simpy.Interrupt(cause)`` into the generator, at an urgent event now."""
        event = simpy.Event(self.env)
        event.callbacks.append(self._interrupted)
        event._ok = True  # triggered at once, like simpy.events.Interruption
        event._value = cause
        self.env.schedule(event, URGENT)

    def _interrupted(self, event: simpy.Event) -> None:
        if not self.is_alive:
            return
        target = self._target
        if target is not None and target.callbacks is not None:
            target.callbacks.remove(self._resume)
        self._target = None
        try:
            target = self._generator.throw(simpy.Interrupt(event._value))
        except StopIteration:
            self._end()
            return
        self._wait_for(target)
