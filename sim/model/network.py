"""The border as a small network: the crossings between holding sites and shelters, and the choice of one.

A :class:`CrossingPoint` is one crossing at run time: its border staff (a :class:`ServerPool` under the
crossing's daily cap, with a queue per team when its admission needs the team on site), its closures to
each nationality, and how many people are on their way through it (``ahead``: chosen it, not crossed yet).

When several crossings serve a person's holding site (and lead to a shelter the person may go to), the
scenario's ``[routing] policy`` picks one as the person is ready to cross, once, with no switching later:

- ``nearest``: the least ``travel_days`` (the first listed on a tie);
- ``shortest_queue``: the least expected wait, ``travel_days + max(closed, ahead / rate)``, where
  ``closed`` is what is left of a closure to the person's nationality and ``rate`` the crossing's people
  per day: the lower of its daily cap now and its staff over the mean border check (no cap and unlimited
  staff: no wait).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import simpy

from sim.model.resources import ServerPool
from sim.model.sites import Site


class CrossingPoint:
    """One crossing of the network at run time (see the module docstring)."""

    __slots__ = ("name", "index", "holding", "shelter", "pool", "travel_days", "travel_arranged", "closures",
                 "ahead", "checks_per_day", "service", "changes")

    def __init__(self, name: str, index: int, holding: Site, shelter: Site, travel_days: float,
                 travel_arranged: bool, closures: list[list[tuple[float, float]]], checks_per_day: float,
                 changes: Sequence[Any] = ()) -> None:
        self.name = name
        self.index = index  # its position in the scenario's crossings (its code in the tables)
        self.holding, self.shelter = holding, shelter
        self.pool: ServerPool | None = None  # its border staff (None: no one to wait for)
        self.travel_days = travel_days
        self.travel_arranged = travel_arranged  # admission: the team on site, travel funded
        self.closures = closures  # per nationality: the windows (from, until) it is closed to it, in order
        self.ahead = 0  # people who chose it and have not crossed (nor been lost) yet
        self.checks_per_day = checks_per_day  # what its staff could check in a day with no cap (inf: no limit)
        self.changes = changes  # later changes of its daily cap (CapacityChange)
        # per nationality: (pool, group, duration, None), as a stage's service (see World._service_of)
        self.service: list[tuple[Any, int, Any, Any]] = []

    def closed_for(self, nationality: int, now: float) -> float:
        """Days until the crossing is open to the nationality (0: open now)."""
        for start, end in self.closures[nationality]:
            if start <= now < end:
                return end - now
        return 0.0

    def expected_wait(self, nationality: int, now: float) -> float:
        """The shortest_queue rule's expected wait, in days (see the module docstring)."""
        cap = self.pool.daily_cap if self.pool is not None else None
        rate = min(self.checks_per_day, float(cap) if cap is not None else float("inf"))
        queue = self.ahead / rate if rate > 0 else float("inf")
        return self.travel_days + max(self.closed_for(nationality, now), queue)

    def cap_changes(self, env: simpy.Environment) -> Generator[simpy.Event, None, None]:
        """The crossing's process of capacity changes: at each change's day, the new daily cap."""
        assert self.pool is not None
        for change in self.changes:
            yield env.timeout(change.day - env.now)
            self.pool.set_daily_cap(change.daily_capacity)


def release_changes(env: simpy.Environment, site: Site, changes: Sequence[Any]) -> Generator[simpy.Event, None, None]:
    """A holding site's process of changes of its release pace: at each change's day, the new pace."""
    for change in changes:
        yield env.timeout(change.day - env.now)
        site.release.set_daily_cap(change.per_day)


def nearest(crossings: list[CrossingPoint], nationality: int, now: float) -> CrossingPoint:
    """The crossing with the least travel days (the first listed on a tie)."""
    return min(crossings, key=lambda crossing: crossing.travel_days)


def shortest_queue(crossings: list[CrossingPoint], nationality: int, now: float) -> CrossingPoint:
    """The crossing with the least expected wait for the nationality now (the first listed on a tie)."""
    return min(crossings, key=lambda crossing: crossing.expected_wait(nationality, now))


ROUTING_POLICIES = {"nearest": nearest, "shortest_queue": shortest_queue}
