"""Consular teams: one per nationality that has its own; others are served by the team representing them.

A team deploys ``deploy_delay`` days after the first arrival of any nationality it serves (mobilisation
starts when the crisis reaches that country's people). ``pre_agreed`` and ``ad_hoc`` teams differ only in
their parameters (an SOP team comes in days and stays; an ad hoc team may take weeks and, with
``on_site_days``, rotates: on site for ``on_site_days``, away for ``off_site_days``, and so on).

While on site, the team's officers serve the consular stages of its people. The team's presence also
gates the health check (``requires_consular_presence``) and, under the ``travel_arranged`` rule, the
border crossing, which opens to the team's people only once the host has accepted its return guarantee
(``guarantee_delay`` days after the team first arrives; an MoU template makes it immediate). Service
already started finishes if a rotation ends.

Remote work (a stage the shared database makes remote, for a connected nationality) is done by the
nationality's **home desk** (:class:`HomeDesk`): officers at home, apart from the deployed team, who
start ``home_desk_delay`` days after the nationality's first arrival.

A team's deployment and rotations are one SimPy process (:meth:`Team.deployment`), and so are the
return guarantee (:meth:`Team.guarantee`), a home desk's set-up (:meth:`HomeDesk.setup`) and a
nationality's funding appeal (:meth:`Funding.appeal`).
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.model.resources import ServerPool
from sim.scenario.distributions import Sampler

ON_SITE_GROUP = 0


class Team:
    """A consular team: its officers (a :class:`ServerPool`), its presence on site and its schedule."""

    def __init__(self, env: simpy.Environment, name: str, officers: int, deploy_delay: Sampler,
                 on_site_days: float | None, off_site_days: float, guarantee_delay: Sampler) -> None:
        self.env = env
        self.name = name
        self.index = 0  # its number among the teams (its group in gated pools), set by the world
        self.officers = officers
        self.pool = ServerPool(env, officers, name=f"consular:{name}")
        self.pool.set_open(ON_SITE_GROUP, False)
        self._deploy_delay = deploy_delay
        self._guarantee_delay = guarantee_delay
        self._on_site_days = on_site_days
        self._off_site_days = off_site_days
        self.on_site = False
        self.guaranteed = False  # the host has accepted the team's return guarantee
        self.mobilised = False
        self.intervals: list[list[float]] = []  # [arrived, left] on site; left = inf while there
        # (pool, group, needs the guarantee): groups open only while the team is on site
        self._gates: list[tuple[ServerPool, int, bool]] = [(self.pool, ON_SITE_GROUP, False)]
        self._admission = env.event()  # succeeds when the team's people may cross; a fresh one while not

    def admission(self) -> simpy.Event:
        """An event that has succeeded if the team's people may cross now (the team on site, its guarantee
        accepted), or succeeds when they next may."""
        return self._admission

    def add_gate(self, pool: ServerPool, group: int, needs_guarantee: bool = False) -> None:
        """Open ``group`` of ``pool`` only while this team is on site (and, for the border under
        travel_arranged, once its return guarantee is accepted)."""
        self._gates.append((pool, group, needs_guarantee))
        pool.set_open(group, self.on_site and (self.guaranteed or not needs_guarantee))

    def mobilise(self) -> None:
        """Called at each arrival of a served nationality; the first one starts the deployment."""
        if not self.mobilised:
            self.mobilised = True
            self.env.process(self.deployment())

    def deployment(self) -> Generator[simpy.Event, None, None]:
        """The team's process: travel for ``deploy_delay`` days, then stay on site, or rotate (on site
        ``on_site_days``, away ``off_site_days``) until the end of the run."""
        yield self.env.timeout(self._deploy_delay())
        days = self._guarantee_delay()
        if days > 0:
            self.env.process(self.guarantee(days))
        else:
            self.guaranteed = True
        while True:
            self._arrive()
            if self._on_site_days is None:
                return
            yield self.env.timeout(self._on_site_days)
            self._leave()
            yield self.env.timeout(self._off_site_days)

    def guarantee(self, days: float) -> Generator[simpy.Event, None, None]:
        """The return guarantee, negotiated from the team's first arrival: accepted ``days`` later."""
        yield self.env.timeout(days)
        self.guaranteed = True
        if self.on_site:
            self._open_gates()

    def _arrive(self) -> None:
        self.on_site = True
        self.intervals.append([self.env.now, float("inf")])
        self._open_gates()

    def _open_gates(self) -> None:
        if self.guaranteed and not self._admission.triggered:
            self._admission.succeed()
        for pool, group, needs_guarantee in self._gates:
            if self.guaranteed or not needs_guarantee:
                pool.set_open(group, True)

    def _leave(self) -> None:
        self.on_site = False
        if self._admission.triggered:
            self._admission = self.env.event()
        self.intervals[-1][1] = self.env.now
        for pool, group, _ in self._gates:
            pool.set_open(group, False)


class HomeDesk:
    """A connected nationality's officers at home, who work the stages the shared database makes remote.
    They start ``delay`` days after the nationality's first arrival (a desk must be set up and staffed)."""

    def __init__(self, env: simpy.Environment, name: str, officers: int, delay: Sampler) -> None:
        self.env = env
        self.officers = officers
        self.pool = ServerPool(env, officers, name=f"home desk:{name}")
        self.active = env.event()  # succeeds when the desk starts working
        self._delay = delay
        self.mobilised = False
        self.active_from = float("inf")

    def mobilise(self) -> None:
        """Called at each arrival of the nationality; the first one starts the desk's set-up."""
        if not self.mobilised:
            self.mobilised = True
            self.env.process(self.setup())

    def setup(self) -> Generator[simpy.Event, None, None]:
        """The desk's process: working ``delay`` days after it is mobilised."""
        days = self._delay()
        if days > 0:
            yield self.env.timeout(days)
        self.active_from = self.env.now
        self.active.succeed()


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
