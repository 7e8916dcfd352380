"""Re-trafficking exposure while waiting: a stated hazard model, never a fact about people.

In a site, a person faces that site's ``hazard_per_day`` times

- a crowding multiplier ``1 + crowding_factor * max(0, occupancy / capacity - 1)``, and
- a limbo multiplier ``1 + limbo_growth * max(0, (days since arrival - limbo_grace_days) / 30)``.

The cumulative hazard H of a stay is integrated **exactly** over the piecewise-constant occupancy (every
change of occupancy is logged). With ``k = limbo_growth / 30`` and ``s`` the day the grace period ends,
the integral of ``c(t) * (1 + k * max(0, t - s))`` over a stay ``[x1, x2]`` splits into two site-wide
running integrals, ``C0(t) = int c`` and ``C1(t) = int c * t``:

    H = h * [C0(x2) - C0(x1) + k * (C1(x2) - C1(m) - s * (C0(x2) - C0(m)))],  m = clip(s, x1, x2)

so it is computed after the run, for everyone at once. A stay starts and ends at rows of the log (its own
stamps), which the recorder knows; only the end of the grace period is searched for.

In ``sampled`` mode people can be lost during the run (absconded or re-recruited): a :class:`LossClock`
per site draws loss events by **thinning** a dominating Poisson process: candidates arrive at a rate
``h * c_bar * L_bar * N_bar`` that bounds everyone's hazard until the next refresh; a candidate picks a
slot uniformly and is accepted with probability (true hazard of that person) / (bound). This gives
loss times with exactly the hazard above, with no per-person polling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import simpy

REFRESH_DAYS = 5.0


def crowding_multiplier(occupancy: np.ndarray | float, capacity: int | None, factor: float):
    """``1 + factor * max(0, occupancy / capacity - 1)``; 1 when the capacity is unlimited."""
    if capacity is None or factor == 0:
        return np.ones_like(np.asarray(occupancy, dtype=float))
    return 1.0 + factor * np.maximum(0.0, np.asarray(occupancy, dtype=float) / capacity - 1.0)


class SiteIntegrals:
    """Running integrals of a site's crowding multiplier c(t) over its occupancy change log."""

    def __init__(self, times: np.ndarray, occupancy: np.ndarray, capacity: int | None, factor: float) -> None:
        self.times = times
        self.c = crowding_multiplier(occupancy, capacity, factor)
        dt = np.diff(times)
        c0 = np.concatenate(([0.0], np.cumsum(self.c[:-1] * dt)))
        c1 = np.concatenate(([0.0], np.cumsum(self.c[:-1] * (times[1:] ** 2 - times[:-1] ** 2) / 2)))
        self.c0, self.c1 = c0, c1

    def at(self, x: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """C0(x) and C1(x) for an array of days x (each at or after the first log entry).

        ``rows``, if given, are the log entries in force at each x, known already (a stamp's own row in the
        log: its day is x). Any entry of the log at day x gives the same values as the last one, which a
        search finds: between entries of equal days the integrals do not move, and the entry's own
        multiplier is then taken over zero days.
        """
        if rows is None:
            rows = self.rows_at(x)
        t, c = self.times[rows], self.c[rows]
        return self.c0[rows] + c * (x - t), self.c1[rows] + c * (x * x - t * t) / 2

    def rows_at(self, x: np.ndarray) -> np.ndarray:
        """The log entry in force at each day of x: the last one at or before it."""
        if len(x) > 1 and not (x[1:] >= x[:-1]).all():
            # days in no order (100,000 people's, say) are searched in sorted order, a third faster: each
            # search then starts where the last one ended. Any sort will do: equal days find the same
            # entry, so the order among them does not matter (quicksort: half the time of a stable sort)
            order = np.argsort(x)
            rows = np.empty(len(x), dtype=np.intp)
            rows[order] = np.searchsorted(self.times, x[order], side="right")
        else:
            rows = np.searchsorted(self.times, x, side="right")
        rows -= 1
        return np.clip(rows, 0, len(self.times) - 1, out=rows)


def stay_hazard(integrals: SiteIntegrals, hazard_per_day: float, start: np.ndarray, end: np.ndarray,
                grace_ends: np.ndarray, limbo_growth: float, start_rows: np.ndarray | None = None,
                end_rows: np.ndarray | None = None) -> np.ndarray:
    """Cumulative hazard of stays ``[start, end]`` (NaN start = no stay) in one site.

    ``start_rows`` and ``end_rows``, if given, are the rows of ``integrals``' log whose days are ``start``
    and ``end`` (as :meth:`SiteIntegrals.at` takes them): the model knows where each stamp went in the
    log, so only the end of each grace period is searched for."""
    result = np.zeros(len(start))
    if hazard_per_day == 0:
        return result
    present = ~np.isnan(start) & (end > start)
    x1, x2, s = start[present], end[present], grace_ends[present]
    rows1 = None if start_rows is None else start_rows[present]
    rows2 = None if end_rows is None else end_rows[present]
    c0_1, _ = integrals.at(x1, rows1)
    c0_2, c1_2 = integrals.at(x2, rows2)
    total = c0_2 - c0_1
    if limbo_growth:
        k = limbo_growth / 30.0
        m = np.clip(s, x1, x2)
        rows_m = None
        if rows1 is not None and rows2 is not None:
            # m is x1, s or x2: only s needs a search (grace ends come in order of arrival: no sort)
            rows_m = np.where(s <= x1, rows1, np.where(s >= x2, rows2, integrals.rows_at(s)))
        c0_m, c1_m = integrals.at(m, rows_m)
        total = total + k * ((c1_2 - c1_m) - s * (c0_2 - c0_m))
    result[present] = hazard_per_day * np.maximum(total, 0.0)
    return result


class LossClock:
    """Draws loss events in one site by thinning (see the module docstring)."""

    def __init__(self, env: simpy.Environment, hazard_per_day: float, capacity: int | None,
                 crowding_factor: float, limbo_growth: float, grace_days: float, arrived: np.ndarray,
                 members: Sequence[Any], rng: np.random.Generator, lose) -> None:
        self.env = env
        self.hazard = hazard_per_day
        self.capacity = capacity
        self.crowding = crowding_factor
        self.k = limbo_growth / 30.0
        self.grace = grace_days
        self.arrived = arrived
        self.members = members
        self.rng = rng
        self.lose = lose
        self.version = 0
        self.n_bar = 0
        self.c_bar = 1.0
        self.l_bar = 1.0

    def _crowd(self, n: int) -> float:
        if self.capacity is None or n <= self.capacity:
            return 1.0
        return 1.0 + self.crowding * (n / self.capacity - 1.0)

    def on_enter(self) -> None:
        """Someone entered: refresh the bound if the site outgrew it."""
        if len(self.members) > self.n_bar:
            self._refresh()

    def _refresh(self) -> None:
        self.version += 1
        n = len(self.members)
        if n == 0:
            self.n_bar = 0
            return
        now = self.env.now
        self.n_bar = n + max(8, n // 4)
        self.c_bar = self._crowd(self.n_bar)
        until = now + REFRESH_DAYS
        self.l_bar = 1.0 + self.k * max(0.0, until - self.grace)  # nobody arrived before day 0
        rate = self.hazard * self.c_bar * self.l_bar * self.n_bar
        gap = self.rng.exponential(1.0 / rate)
        version = self.version
        if gap < REFRESH_DAYS:
            timer = self.env.timeout(gap)
            timer.callbacks.append(lambda _e: self._candidate(version))
        else:
            timer = self.env.timeout(REFRESH_DAYS)
            timer.callbacks.append(lambda _e: self._expire(version))

    def _expire(self, version: int) -> None:
        if version == self.version:
            self._refresh()

    def _candidate(self, version: int) -> None:
        if version != self.version:
            return
        n = len(self.members)
        slot = int(self.rng.random() * self.n_bar)
        accept = self.rng.random()
        if slot < n:
            victim = self.members[slot].victim
            waited = self.env.now - self.arrived[victim]
            limbo = 1.0 + self.k * max(0.0, waited - self.grace)
            if accept * self.c_bar * self.l_bar < self._crowd(n) * limbo:
                self.lose(victim)
        self._refresh()
