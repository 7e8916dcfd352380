"""Server pools: a few staff serving a priority queue, optionally behind gates and a daily cap.

A lighter stand-in for ``simpy.PriorityResource`` that the hot path can afford: a request that finds a
free server costs no event at all; a waiting request leaves its process in the queue (a journey, or a
runner that yields :data:`~sim.model.process.PARK`), which the pool wakes when it grants the server: no
event object either. Queues are non-preemptive
priority queues keyed by an integer (vulnerable people first, then first come first served).

Requests are sorted into **groups**, each of which can be closed (a consular team away on rotation
closes the group of people who need an officer on site, while remote work goes on) and reopened. A
**daily cap** limits how many services may start per model day (the border's 500 a day); what does
not fit waits for the next day. Service already started is never interrupted by a gate closing.

A request's key (the waiter's ``key``, set before each request) is a sequence number drawn when it is
made (increasing over the whole run) plus :data:`VULNERABLE_RANK_SHIFT` for people who are not
vulnerable. The order of a priority queue on those keys is therefore "vulnerable first, then first come
first served", and each group keeps it as two FIFO lists of waiters (:func:`new_queue`): the smallest key
is the head of the vulnerable list if it has one, else of the other. That is what a heap on the keys
would pop, at O(1) and without walking tens of thousands of entries scattered in memory when the camp is
crowded. The lists hold the waiters themselves, not (key, waiter) pairs: a pair per request was one more
object to allocate and, after a long wait, one more cold read from memory.
"""

from __future__ import annotations

import math
from collections import deque

from sim.model.engine import Engine
from sim.model.process import Waiter

VULNERABLE_RANK_SHIFT = 1 << 45

Queue = list  # [vulnerable, others]: two deques of waiters, each in increasing order of their keys


def new_queue() -> Queue:
    """An empty queue: index ``key >= VULNERABLE_RANK_SHIFT`` (0: vulnerable, 1: others) appends a
    waiter to its list."""
    return [deque(), deque()]


class ServerPool:
    """``servers`` identical servers; waiting requests in one priority queue per group."""

    __slots__ = ("env", "name", "servers", "free", "queues", "open", "waiting", "daily_cap", "_day",
                 "_used_today", "_rollover_at", "_cancelled", "_ready", "started_per_day")

    def __init__(self, env: Engine, servers: int, groups: int = 1, daily_cap: int | None = None,
                 name: str = "") -> None:
        self.env = env
        self.name = name
        self.servers = servers
        self.free = servers
        self.queues: list[Queue] = [new_queue() for _ in range(groups)]
        self.open = [True] * groups
        self.waiting = 0
        self.daily_cap = daily_cap
        self._day = -1
        self._used_today = 0
        self._rollover_at = -1.0
        self._cancelled: set[int] = set()
        self._ready: set[int] = set()  # open groups with someone queued (keys are unique: order is moot)
        self.started_per_day: dict[int, int] | None = {} if daily_cap is not None else None

    # -- requests ----------------------------------------------------------------------------------
    def request(self, group: int, waiter: Waiter) -> bool:
        """Ask for a server for ``waiter`` (in the order of its ``key``). True: granted at once. False:
        ``waiter`` waits in the queue; the pool wakes it when the server is granted (possibly before this
        call returns)."""
        if self.free > 0 and self.open[group] and self.waiting == 0 and (
                self.daily_cap is None or self._quota_left()):
            self.free -= 1
            if self.daily_cap is not None:
                self._use_quota()
            return True
        self.queues[group][waiter.key >= VULNERABLE_RANK_SHIFT].append(waiter)
        if self.open[group]:
            self._ready.add(group)
        self.waiting += 1
        if self.free > 0:
            self._dispatch()
        return False

    def cancel(self, waiter: Waiter) -> None:
        """Withdraw a waiting request (its person left); if it was granted meanwhile, free the server."""
        if waiter.wake_pending:
            self.release()
        else:
            self._cancelled.add(waiter.key)
            self.waiting -= 1

    def release(self) -> None:
        """A service ended: the server takes the best waiting request of an open group, if any."""
        self.free += 1
        if self.waiting:
            self._dispatch()

    def set_open(self, group: int, is_open: bool) -> None:
        """Open or close a group's gate; opening lets its waiting requests be served."""
        self.open[group] = is_open
        if not is_open:
            self._ready.discard(group)
            return
        vulnerable, others = self.queues[group]
        if vulnerable or others:
            self._ready.add(group)
        if self.waiting and self.free:
            self._dispatch()

    # -- internals ---------------------------------------------------------------------------------
    def _quota_left(self) -> bool:  # only for a pool with a daily cap
        day = math.floor(self.env.now)
        if day != self._day:
            self._day = day
            self._used_today = 0
        assert self.daily_cap is not None
        return self._used_today < self.daily_cap

    def _use_quota(self) -> None:
        self._used_today += 1
        counts = self.started_per_day
        assert counts is not None
        counts[self._day] = counts.get(self._day, 0) + 1

    def _dispatch(self) -> None:
        """Serve the best waiting requests of the open groups while servers (and the day's quota) last."""
        queues, ready, cancelled, capped = self.queues, self._ready, self._cancelled, self.daily_cap is not None
        while self.free > 0 and self.waiting > 0:
            best = None
            best_key = best_group = 0
            for group in tuple(ready) if cancelled else ready:
                vulnerable, others = queues[group]
                if cancelled:  # drop withdrawn requests from the heads
                    while vulnerable and vulnerable[0].key in cancelled:
                        cancelled.discard(vulnerable.popleft().key)
                    while others and others[0].key in cancelled:
                        cancelled.discard(others.popleft().key)
                    if not (vulnerable or others):
                        ready.discard(group)
                        continue
                queue = vulnerable or others
                head = queue[0].key
                if best is None or head < best_key:
                    best, best_key, best_group = queue, head, group
            if best is None:
                return
            if capped and not self._quota_left():
                self._schedule_rollover()
                return
            waiter = best.popleft()
            if not best:
                vulnerable, others = queues[best_group]
                if not (vulnerable or others):
                    ready.discard(best_group)
            self.waiting -= 1
            self.free -= 1
            if capped:
                self._use_quota()
            waiter.wake()

    def _schedule_rollover(self) -> None:
        """The daily quota is spent: look again when the next model day starts (one event, no polling)."""
        next_day = float(math.floor(self.env.now) + 1)
        if self._rollover_at == next_day:
            return
        self._rollover_at = next_day
        timer = self.env.timeout(next_day - self.env.now)
        timer.callbacks.append(self._on_rollover)

    def _on_rollover(self, _event: object) -> None:
        if self.waiting and self.free:
            self._dispatch()
