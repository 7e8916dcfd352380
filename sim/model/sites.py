"""Holding (before the crossing) and shelter (after it): exact, continuous occupancy.

Each site counts the people present; every change (an arrival, a crossing, a departure) is stamped on
the person, and the recorder rebuilds the log of changes from the stamps after the run. When people can
be lost from a site (sampled exposure with a hazard), the site also keeps the list of who is present so
that the :class:`~sim.model.exposure.LossClock` can pick one uniformly: each person keeps their own index
in it (``place``), and the last member moves into the place of one who leaves (O(1) either way).
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
        # the people present, each at its ``place`` (kept only when the site loses people)
        self.members: list[Any] | None = [] if track_members else None
        self.clock: LossClock | None = None

    def enter(self, person: Any) -> None:
        """``person`` arrives (a person has a writable ``place``)."""
        self.count += 1
        members = self.members
        if members is not None:
            person.place = len(members)
            members.append(person)
            if self.clock is not None:
                self.clock.on_enter()

    def leave(self, person: Any) -> None:
        """``person`` leaves (crosses, departs or is lost)."""
        self.count -= 1
        members = self.members
        if members is not None:
            place = person.place
            last = members.pop()
            if last is not person:
                members[place] = last
                last.place = place
            person.place = -1
