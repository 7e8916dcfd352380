"""Server pools: staff or officers serving people vulnerable-first, behind gates, under a daily cap.

A :class:`ServerPool` is a SimPy resource with the domain's queue rules, which ``simpy.PriorityResource``
does not have:

- **Vulnerable first, then first come first served**, never pre-empting a service already started. Each
  queue is two FIFO lists (vulnerable, others), so joining and leaving it cost O(1); SimPy's
  ``PriorityResource`` re-sorts its whole queue at every request, which a camp of thousands cannot afford.
- **Gates.** Requests are sorted into groups, each of which can be closed and reopened: a consular team
  away on rotation closes the group of people who need an officer on site, while remote work (the shared
  database) goes on in the other; under the ``travel_arranged`` rule the border has one group per team,
  open while that team is on site. A service already started finishes when its gate closes.
- **A daily cap**: at most ``daily_cap`` services start per model day (the border's 500 a day); what does
  not fit waits for the next day.

Use it as a SimPy resource::

    with pool.request(group, vulnerable) as request:
        yield request                 # a server is yours
        yield env.timeout(service)    # leaving the block frees it (or withdraws the request)

A request is a :class:`simpy.Event`, so it combines with others (``request | env.timeout(patience)``).

A request that finds a server free is granted on the spot: it is returned already processed, and the
process that yields it goes on at once (SimPy resumes a process immediately when it yields a processed
event), without a round trip through the event queue. A request that waits is succeeded when a server
frees for it, and its process resumes when the environment processes that event, as with
``simpy.Resource``. A server is freed by a plain call (:meth:`ServerPool.release`, which the ``with`` block
makes), not by a release event: the next request is granted in the same call.

When the service follows the grant at once, :meth:`ServerPool.serve` asks for both in one event::

    with pool.serve(group, vulnerable, duration, started, row) as service:
        yield service                 # waited for a server, then was served (started[row]: from when)

The pool writes when the service started and draws its duration (``duration()``, in days) as it grants
the server, and the event succeeds when the service ends: a person who waited wakes once, not twice (at
the grant, then at the end of a timeout). The times and the draws are those of ``request`` then
``timeout``; only events due at the very same instant may be processed in another order (two services
of a fixed length that started at one instant end in the order they were granted, where the timeouts
ended in the order their processes resumed).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from itertools import count
from types import TracebackType
from typing import Any

import simpy
from simpy.events import NORMAL, PENDING

OTHERS_AFTER = 1 << 50  # added to the ticket of a request that is not vulnerable: after every vulnerable one


class PoolRequest(simpy.Event):
    """A request for one server of a :class:`ServerPool`; a context manager that gives it back."""

    def __init__(self, pool: ServerPool, group: int, vulnerable: bool) -> None:
        # simpy.Event.__init__, inlined (as SimPy's own Timeout and Process do, for speed)
        self.env = pool.env
        self.callbacks = []
        self._value = PENDING
        self.pool = pool
        # its place in line: vulnerable first, then first come first served (the smaller, the sooner)
        self.key = next(pool._tickets) if vulnerable else next(pool._tickets) + OTHERS_AFTER
        self.withdrawn = False
        self.group = group
        pool._put(self, group, vulnerable)

    def __enter__(self) -> PoolRequest:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        # as simpy.Request: a generator closed at the end of the run gives nothing back (the run is over)
        if exc_type is not GeneratorExit:
            self.pool.release(self)

    def _grant_on_the_spot(self) -> None:
        """Succeeded and processed: a process yielding it goes on at once, with no event."""
        self._ok = True
        self._value = None
        self.callbacks = None  # type: ignore[assignment]

    def _grant(self) -> None:
        """Succeeded now: the waiting process resumes when the environment processes it."""
        self.succeed()


class ServiceRequest(PoolRequest):
    """A request for a server and the service that follows it, as one event (:meth:`ServerPool.serve`).

    As the server is granted, the day is written to ``log[row]`` (the stage's ``started`` column: a person
    lost or still in service at the horizon has it too) and the service's duration is drawn; the event
    succeeds when the service ends, with the server still held until the ``with`` block gives it back. A
    service of zero days ends as it starts: granted on the spot, the event is processed at once.

    Not for a wait with patience: ``service | env.timeout(patience)`` would wait for the end of the
    service, not its start (use :meth:`ServerPool.request` there).
    """

    def __init__(self, pool: ServerPool, group: int, vulnerable: bool, duration: Callable[[], float],
                 log: Any, row: int) -> None:
        self.duration = duration
        self.log, self.row = log, row
        super().__init__(pool, group, vulnerable)

    def _grant_on_the_spot(self) -> None:
        env = self.env
        self.log[self.row] = env.now
        days = self.duration()
        if days > 0:
            self._ok = True
            self._value = None
            env.schedule(self, NORMAL, days)
        else:
            PoolRequest._grant_on_the_spot(self)

    def _grant(self) -> None:
        env = self.env
        self.log[self.row] = env.now
        self._ok = True
        self._value = None
        env.schedule(self, NORMAL, max(self.duration(), 0.0))


class ServerPool:
    """``servers`` identical servers; waiting requests in one vulnerable-first queue per group.

    Args:
        env: the environment.
        servers: how many people can be served at once.
        groups: how many gated queues (group 0 only, unless gates are needed).
        daily_cap: at most this many services start per model day (None: no cap).
        name: for messages.
    """

    def __init__(self, env: simpy.Environment, servers: int, groups: int = 1, daily_cap: int | None = None,
                 name: str = "") -> None:
        self.env = env
        self.name = name
        self.servers = servers
        self.free = servers
        self.queues: list[tuple[deque[PoolRequest], deque[PoolRequest]]] = [(deque(), deque())
                                                                           for _ in range(groups)]
        self.open = [True] * groups
        self.waiting = 0  # requests in the queues that are not withdrawn
        self.waiting_in = [0] * groups  # the same, per group
        self.watchers: list[Callable[[], None]] = []  # called when a request queues or a server frees
        self.daily_cap = daily_cap
        self.started_per_day: dict[int, int] | None = {} if daily_cap is not None else None
        self._tickets = count()
        self._day = -1
        self._used_today = 0
        self._rollover_at = -1.0

    def request(self, group: int = 0, vulnerable: bool = False) -> PoolRequest:
        """Ask for a server, in ``group``'s queue (the vulnerable go first)."""
        return PoolRequest(self, group, vulnerable)

    def serve(self, group: int, vulnerable: bool, duration: Callable[[], float], log: Any,
              row: int) -> ServiceRequest:
        """Ask for a server in ``group``'s queue and be served by it for ``duration()`` days, as one
        event that succeeds when the service ends; the day it starts is written to ``log[row]``
        (:class:`ServiceRequest`)."""
        return ServiceRequest(self, group, vulnerable, duration, log, row)

    def queued(self, group: int) -> int:
        """How many requests wait in ``group``'s queue."""
        return self.waiting_in[group]

    def release(self, request: PoolRequest) -> None:
        """Give back ``request``: free its server if it was granted, else withdraw it from the queue."""
        if request.triggered:
            self.free += 1
            if self.waiting:
                self._dispatch()
            if self.watchers:
                for watcher in self.watchers:
                    watcher()
        elif not request.withdrawn:
            request.withdrawn = True  # dropped when it reaches the head of its queue
            self.waiting -= 1
            self.waiting_in[request.group] -= 1

    def set_daily_cap(self, daily_cap: int) -> None:
        """From now on, at most ``daily_cap`` services start per model day (those already started today
        count); a higher cap serves waiting requests at once."""
        self.daily_cap = daily_cap
        if self.waiting and self.free:
            self._dispatch()

    def set_open(self, group: int, is_open: bool) -> None:
        """Open or close a group's gate; opening lets its waiting requests be served."""
        self.open[group] = is_open
        if is_open and self.waiting and self.free:
            self._dispatch()

    # -- internals ---------------------------------------------------------------------------------
    def _put(self, request: PoolRequest, group: int, vulnerable: bool) -> None:
        if self.free > 0 and self.waiting == 0 and self.open[group] and (
                self.daily_cap is None or self._quota_left()):
            self.free -= 1
            if self.daily_cap is not None:
                self._use_quota()
            request._grant_on_the_spot()
            return
        self.queues[group][0 if vulnerable else 1].append(request)
        self.waiting += 1
        self.waiting_in[group] += 1
        if self.free > 0:
            self._dispatch()
        if self.watchers:
            for watcher in self.watchers:
                watcher()

    def _quota_left(self) -> bool:
        if self.daily_cap is None:
            return True
        day = math.floor(self.env.now)
        if day != self._day:
            self._day, self._used_today = day, 0
        return self._used_today < self.daily_cap

    def _use_quota(self) -> None:  # only for a pool with a daily cap
        assert self.started_per_day is not None
        self._used_today += 1
        self.started_per_day[self._day] = self.started_per_day.get(self._day, 0) + 1

    def _head(self) -> deque[PoolRequest] | None:
        """The queue whose head is the best waiting request of an open group: vulnerable before others,
        then the earliest; withdrawn requests met at the heads are dropped."""
        best: deque[PoolRequest] | None = None
        best_key = 0
        for is_open, (vulnerable, others) in zip(self.open, self.queues):
            if not is_open:
                continue
            while vulnerable and vulnerable[0].withdrawn:
                vulnerable.popleft()
            queue = vulnerable  # a vulnerable head beats every other of its group
            if not queue:
                while others and others[0].withdrawn:
                    others.popleft()
                if not others:
                    continue
                queue = others
            if best is None or queue[0].key < best_key:
                best, best_key = queue, queue[0].key
        return best

    def _dispatch(self) -> None:
        """Serve the best waiting requests of the open groups while servers (and the day's quota) last."""
        while self.free > 0 and self.waiting > 0:
            queue = self._head()
            if queue is None:
                return
            if not self._quota_left():
                self._look_again_tomorrow()
                return
            request = queue.popleft()
            self.waiting -= 1
            self.waiting_in[request.group] -= 1
            self.free -= 1
            if self.daily_cap is not None:
                self._use_quota()
            request._grant()

    def _look_again_tomorrow(self) -> None:
        """The daily quota is spent: dispatch again when the next model day starts (one timeout)."""
        next_day = float(math.floor(self.env.now) + 1)
        if self._rollover_at != next_day:
            self._rollover_at = next_day
            self.env.timeout(next_day - self.env.now).callbacks.append(self._new_day)

    def _new_day(self, _event: simpy.Event) -> None:
        if self.waiting and self.free:
            self._dispatch()
