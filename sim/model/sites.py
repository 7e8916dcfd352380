"""The sites of the network, holding camps (before a crossing) and shelters (after one): exact, continuous
occupancy.

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
    """A place where people wait, with its capacity and the people present. A holding site may release
    people under a daily pace (``release``, a pool with a daily cap); a shelter may admit them only into a
    free place (``places``) and limits how long screening may keep them (``max_stay``, days)."""

    __slots__ = ("name", "kind", "index", "capacity", "count", "members", "clock", "release", "places", "max_stay")

    def __init__(self, name: str, capacity: int | None, track_members: bool, kind: str = "holding",
                 index: int = 0) -> None:
        self.name = name
        self.kind = kind
        self.index = index  # its position in the scenario's sites (its code in the tables)
        self.capacity = capacity
        self.release: Any = None  # holding: a ServerPool with the daily release pace (None: no limit)
        self.places: Any = None  # shelter: a ServerPool of its places (None: anyone may cross in)
        self.max_stay = float("inf")  # shelter: the onward-travel limit, days from the crossing
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
