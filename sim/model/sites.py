"""Holding (before the crossing) and shelter (after it): exact, continuous occupancy.

Each site counts the people present; every change (an arrival, a crossing, a departure) is stamped on
the person, and the recorder rebuilds the log of changes from the stamps after the run. When people can
be lost from a site (sampled exposure with a hazard), the site also keeps the list of who is present so
that the :class:`~sim.model.exposure.LossClock` can pick one uniformly (swap-remove keeps it O(1)).

The list holds the people's journeys, and each journey keeps its own index in it (``place``): entering
writes only to the journey at hand, and leaving reads its place there. Until stop 13 the site kept a
per-victim array of positions instead, one more read and two more writes at random places of a large
array for every move (with ten times the people, arrays larger than the caches). The members' order,
which the loss clock's draws index, is the same: the last member moves into the place of the one who
leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.exposure import LossClock


class Site:
    """A place where people wait, with its capacity and the people present."""

    __slots__ = ("name", "capacity", "count", "members", "clock")

    def __init__(self, name: str, capacity: int | None, track_members: bool) -> None:
        self.name = name
        self.capacity = capacity
        self.count = 0
        # the journeys of the people present, each at its ``place`` (kept only when the site loses people)
        self.members: list[Any] | None = [] if track_members else None
        self.clock: LossClock | None = None

    def enter(self, journey: Any) -> None:
        """``journey``'s person arrives (a journey has a writable ``place``)."""
        self.count += 1
        members = self.members
        if members is not None:
            journey.place = len(members)
            members.append(journey)
            if self.clock is not None:
                self.clock.on_enter()

    def leave(self, journey: Any) -> None:
        """``journey``'s person leaves (crosses, departs or is lost)."""
        self.count -= 1
        members = self.members
        if members is not None:
            place = journey.place
            last = members.pop()
            if last is not journey:
                members[place] = last
                last.place = place
            journey.place = -1
