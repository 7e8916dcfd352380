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
    """A consular team: its officers (one :class:`ServerPool`, or one per site when split), where it is
    and its schedule.

    Where: a ``together`` team serves all its sites as one pool of officers (the one-site case); a
    ``split`` team has a pool at each of its sites, the officers shared out (the first sites get the
    remainder); a ``one_at_a_time`` team has one pool with a queue per site, open only where the team is
    (:meth:`roaming`). People at a site the team never works at wait for it until the horizon.
    """

    def __init__(self, env: simpy.Environment, name: str, officers: int, deploy_delay: Sampler,
                 on_site_days: float | None, off_site_days: float, guarantee_delay: Sampler,
                 sites: int = 1, works_at: list[int] | None = None, deployment: str = "together",
                 move_days: float = 0.0) -> None:
        self.env = env
        self.name = name
        self.index = 0  # its number among the teams (its group in gated pools), set by the world
        self.officers = officers
        self.works_at = works_at or list(range(sites))
        self.deployment = deployment
        self.move_days = move_days
        # the officers serving each site: (pool, group); None where the team never works
        self.posts: list[tuple[ServerPool, int] | None] = [None] * sites
        self.pool: ServerPool | None = None  # the team's one pool (none when split)
        if deployment == "split":
            share, extra = divmod(officers, len(self.works_at))
            for order, site in enumerate(self.works_at):
                self.posts[site] = (ServerPool(env, share + (order < extra), name=f"consular:{name}@{site}"), 0)
        else:
            roaming = deployment == "one_at_a_time"
            self.pool = ServerPool(env, officers, groups=sites if roaming else 1, name=f"consular:{name}")
            for site in self.works_at:
                self.posts[site] = (self.pool, site if roaming else ON_SITE_GROUP)
        self.pools = list({id(post[0]): post[0] for post in self.posts if post is not None}.values())
        self.nowhere = ServerPool(env, 0, name=f"consular:{name} (never here)")
        # where the team is: every site it works at, or (one at a time) the first of them until it moves
        self.present = [site in self.works_at if deployment != "one_at_a_time" else site == self.works_at[0]
                        for site in range(sites)]
        self.here = self.works_at[0]
        self._deploy_delay = deploy_delay
        self._guarantee_delay = guarantee_delay
        self._on_site_days = on_site_days
        self._off_site_days = off_site_days
        self.on_site = False
        self.guaranteed = False  # the host has accepted the team's return guarantee
        self.mobilised = False
        self.intervals: list[list[float]] = []  # [arrived, left] on site; left = inf while there
        # (pool, group, site, needs the guarantee): groups open only while the team is at that site
        self._gates: list[tuple[ServerPool, int, int, bool]] = [
            (post[0], post[1], site, False) for site, post in enumerate(self.posts) if post is not None]
        for pool, group, _, _ in self._gates:
            pool.set_open(group, False)
        # per site: an event that succeeds when the team's people there may cross; a fresh one while not
        self._admission = [env.event() for _ in range(sites)]
        self._wake: simpy.Event | None = None  # one at a time: the team waits for work to change

    def post(self, site: int) -> tuple[ServerPool, int]:
        """The pool and group of the officers serving people at ``site`` (a pool that never serves, where
        the team never works)."""
        return self.posts[site] or (self.nowhere, 0)

    def admission(self, site: int = 0) -> simpy.Event:
        """An event that has succeeded if the team's people at ``site`` may cross now (the team there, its
        guarantee accepted), or succeeds when they next may."""
        return self._admission[site]

    def add_gate(self, pool: ServerPool, group: int, needs_guarantee: bool = False, site: int = 0) -> None:
        """Open ``group`` of ``pool`` (serving people at ``site``) only while this team is there (and, for
        the border under travel_arranged, once its return guarantee is accepted)."""
        self._gates.append((pool, group, site, needs_guarantee))
        pool.set_open(group, self._is_open(site, needs_guarantee))
        if self.deployment == "one_at_a_time":
            pool.watchers.append(self._poke)

    def mobilise(self) -> None:
        """Called at each arrival of a served nationality; the first one starts the deployment."""
        if not self.mobilised:
            self.mobilised = True
            self.env.process(self.deployment_process())

    def deployment_process(self) -> Generator[simpy.Event, None, None]:
        """The team's process: travel for ``deploy_delay`` days, then stay on site, or rotate (on site
        ``on_site_days``, away ``off_site_days``) until the end of the run."""
        yield self.env.timeout(self._deploy_delay())
        days = self._guarantee_delay()
        if days > 0:
            self.env.process(self.guarantee(days))
        else:
            self.guaranteed = True
        if self.pool is not None and self.deployment == "one_at_a_time":
            self.pool.watchers.append(self._poke)
            self.env.process(self.roaming())
        while True:
            self._arrive()
            if self._on_site_days is None:
                return
            yield self.env.timeout(self._on_site_days)
            self._leave()
            yield self.env.timeout(self._off_site_days)

    def roaming(self) -> Generator[simpy.Event, None, None]:
        """A one-at-a-time team's process: it stays where it is while anyone there waits for its officers
        (or is being served); then, if its people wait at another of its sites (for an officer, or for the
        team to be there), it moves, in ``move_days`` days, to the one where most wait (the first listed on
        a tie), serving no one on the way."""
        while True:
            target = self._next_site()
            if target is None:
                self._wake = self.env.event()
                yield self._wake
                continue
            self.present[self.here] = False
            self._refresh()
            if self.move_days > 0:
                yield self.env.timeout(self.move_days)
            self.here = target
            self.present[target] = True
            self._refresh()

    def _next_site(self) -> int | None:
        """Where to go now: None while anyone here is served by or waits for the team (at its officers'
        queue or behind one of its gates) or no one waits for it anywhere else."""
        assert self.pool is not None  # one at a time: one pool
        if self.pool.free < self.pool.servers:
            return None  # officers at work here
        waiting = dict.fromkeys(self.works_at, 0)
        for gate_pool, gate_group, site, _ in self._gates:
            if site in waiting:
                waiting[site] += gate_pool.queued(gate_group)
        if waiting.pop(self.here, 0):
            return None
        best = max(waiting, key=lambda site: waiting[site], default=None)
        return best if best is not None and waiting[best] > 0 else None

    def _poke(self) -> None:
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    def guarantee(self, days: float) -> Generator[simpy.Event, None, None]:
        """The return guarantee, negotiated from the team's first arrival: accepted ``days`` later."""
        yield self.env.timeout(days)
        self.guaranteed = True
        self._refresh()

    def _is_open(self, site: int, needs_guarantee: bool) -> bool:
        return self.on_site and self.present[site] and (self.guaranteed or not needs_guarantee)

    def _refresh(self) -> None:
        """Open and close every gate, and settle the admission events, for where the team is now."""
        for site, event in enumerate(self._admission):
            if self._is_open(site, True):
                if not event.triggered:
                    event.succeed()
            elif event.triggered:
                self._admission[site] = self.env.event()
        for pool, group, site, needs_guarantee in self._gates:
            is_open = self._is_open(site, needs_guarantee)
            if pool.open[group] != is_open:
                pool.set_open(group, is_open)

    def _arrive(self) -> None:
        self.on_site = True
        self.intervals.append([self.env.now, float("inf")])
        self._refresh()

    def _leave(self) -> None:
        self.on_site = False
        self.intervals[-1][1] = self.env.now
        self._refresh()


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
