"""Holding (before the crossing) and shelter (after it): exact, continuous occupancy.

Each site counts the people present; every change (an arrival, a crossing, a departure) is stamped on
the person, and the recorder rebuilds the log of changes from the stamps after the run. When people can
be lost from a site (sampled exposure with a hazard), the site also keeps the list of who is present so
that the :class:`~sim.model.exposure.LossClock` can pick one uniformly (swap-remove keeps it O(1)).
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.exposure import LossClock


class Site:
    """A place where people wait, with its capacity and the people present."""

    __slots__ = ("name", "capacity", "count", "members", "position", "clock")

    def __init__(self, name: str, capacity: int | None, people: int, track_members: bool) -> None:
        self.name = name
        self.capacity = capacity
        self.count = 0
        # compact C arrays of int32 (a list would point to scattered int objects): with tens of thousands
        # present, entering and leaving read them at random places
        self.members: array[int] | None = array("i") if track_members else None
        # each victim's index in members (-1: absent); read only while members are tracked
        self.position: array[int] = array("i", [-1]) * people if track_members else array("i")
        self.clock: LossClock | None = None

    def enter(self, victim: int) -> None:
        self.count += 1
        members = self.members
        if members is not None:
            self.position[victim] = len(members)
            members.append(victim)
            if self.clock is not None:
                self.clock.on_enter()

    def leave(self, victim: int) -> None:
        self.count -= 1
        members = self.members
        if members is not None:
            index = self.position[victim]
            last = members.pop()
            if last != victim:
                members[index] = last
                self.position[last] = index
            self.position[victim] = -1
