"""Consular teams: one per nationality that has its own; others are served by the team representing them.

A team deploys ``deploy_delay`` days after the first arrival of any nationality it serves (mobilisation
starts when the crisis reaches that country's people). ``pre_agreed`` and ``ad_hoc`` teams differ only in
their parameters (an SOP team comes in days and stays; an ad hoc team may take weeks and, with
``on_site_days``, rotates: on site for ``on_site_days``, away for ``off_site_days``, and so on).

While on site, the team's officers serve the consular stages of its people; remote work (a stage made
remote by the shared database) uses the same officers but needs no one on site, from day 0. The team's
presence also gates the health check (``requires_consular_presence``) and, under the
``travel_arranged`` rule, the border crossing. Service already started finishes if a rotation ends.

A team's deployment and rotations are one SimPy process (:meth:`Team.deployment`), and so is a
nationality's funding appeal (:meth:`Funding.appeal`).
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.model.resources import ServerPool
from sim.scenario.distributions import Sampler

ON_SITE_GROUP = 0
REMOTE_GROUP = 1


class Team:
    """A consular team: its officers (a :class:`ServerPool`), its presence on site and its schedule."""

    def __init__(self, env: simpy.Environment, name: str, officers: int, deploy_delay: Sampler,
                 on_site_days: float | None, off_site_days: float) -> None:
        self.env = env
        self.name = name
        self.index = 0  # its number among the teams (its group in gated pools), set by the world
        self.officers = officers
        self.pool = ServerPool(env, officers, groups=2, name=f"consular:{name}")
        self.pool.set_open(ON_SITE_GROUP, False)
        self._deploy_delay = deploy_delay
        self._on_site_days = on_site_days
        self._off_site_days = off_site_days
        self.on_site = False
        self.mobilised = False
        self.intervals: list[list[float]] = []  # [arrived, left] on site; left = inf while there
        self._gates: list[tuple[ServerPool, int]] = [(self.pool, ON_SITE_GROUP)]
        self._presence = env.event()  # succeeds when the team arrives; a fresh one while it is away

    def presence(self) -> simpy.Event:
        """An event that has succeeded if the team is on site, or succeeds when it next arrives."""
        return self._presence

    def add_gate(self, pool: ServerPool, group: int) -> None:
        """Open ``group`` of ``pool`` only while this team is on site (the border under travel_arranged)."""
        pool.set_open(group, self.on_site)
        self._gates.append((pool, group))

    def mobilise(self) -> None:
        """Called at each arrival of a served nationality; the first one starts the deployment."""
        if not self.mobilised:
            self.mobilised = True
            self.env.process(self.deployment())

    def deployment(self) -> Generator[simpy.Event, None, None]:
        """The team's process: travel for ``deploy_delay`` days, then stay on site, or rotate (on site
        ``on_site_days``, away ``off_site_days``) until the end of the run."""
        yield self.env.timeout(self._deploy_delay())
        while True:
            self._arrive()
            if self._on_site_days is None:
                return
            yield self.env.timeout(self._on_site_days)
            self._leave()
            yield self.env.timeout(self._off_site_days)

    def _arrive(self) -> None:
        self.on_site = True
        self._presence.succeed()
        self.intervals.append([self.env.now, float("inf")])
        for pool, group in self._gates:
            pool.set_open(group, True)

    def _leave(self) -> None:
        self.on_site = False
        self._presence = self.env.event()
        self.intervals[-1][1] = self.env.now
        for pool, group in self._gates:
            pool.set_open(group, False)


class Funding:
    """Money for a nationality's return: ready on day 0 (safe fund) or after an appeal succeeds."""

    def __init__(self, env: simpy.Environment, mode: str, appeal_delay: Sampler) -> None:
        self.env = env
        self.mode = mode
        self._appeal_delay = appeal_delay
        self.funded = mode == "safe_fund"
        self.funded_at = 0.0 if self.funded else float("inf")
        self.event = env.event()  # succeeds when the money is there: people waiting to travel yield it
        if self.funded:
            self.event.succeed()
        self._appeal_started = False

    def launch_appeal(self) -> None:
        """Called at each arrival of the nationality; the first one launches the appeal."""
        if not self.funded and not self._appeal_started:
            self._appeal_started = True
            self.env.process(self.appeal())

    def appeal(self) -> Generator[simpy.Event, None, None]:
        """The appeal's process: the money comes ``appeal_delay`` days after it is launched."""
        yield self.env.timeout(self._appeal_delay())
        self.funded = True
        self.funded_at = self.env.now
        self.event.succeed()
