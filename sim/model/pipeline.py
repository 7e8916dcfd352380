"""The victim's journey through the pipeline, as one SimPy process per person.

A person arrives in **holding**; goes through the stages of ``pipeline`` in order; crosses the border
into the **shelter** at the ``crossing`` stage (stages before it happen in holding, after it in the
shelter); departs when the last stage ends (with no ``transport`` stage, at once). In every queue the
vulnerable go first, then first come first served, never pre-empting a service already started.

Stages (each records when the person joined its queue, started and finished):

- a staffed stage (registration, documents, any stage): wait for a server of its pool (``staff``), or
  for an officer of the person's consular team when ``servers = "consular"``; the officer must be on
  site unless the shared database makes the stage remote for a connected nationality;
- ``identity``: as above, then the records round trip (``records_delay``) without holding the officer;
- ``crossing``: under ``travel_arranged``, wait until the nationality is funded and the person's team is
  on site; then a border check under the daily cap; then move from holding to the shelter;
- ``health``: with ``requires_consular_presence``, the check starts only while the team is on site;
- ``screening``: ``full`` screens everyone, ``rapid`` no one, ``backlog`` skips it while the site holds
  more than ``backlog_threshold`` people (a skipped stage has queued = started = finished);
- ``transport``: wait for funding (people with no ticket money wait until the horizon), then for a seat.

A person lost to re-trafficking during the run (sampled exposure) is interrupted wherever they are,
gives back a server or a queue place, and leaves their site.
"""

from __future__ import annotations

import simpy

from sim.model.consular import ON_SITE_GROUP, REMOTE_GROUP
from sim.recorder import LOST, RETURNED

HOLDING, SHELTER = 0, 1


class StagePlan:
    """How one stage runs, fixed before the run."""

    __slots__ = ("name", "index", "site", "consular", "pool", "team_gated", "remote", "duration",
                 "duration_db", "records", "records_db", "presence", "policy", "threshold")

    def __init__(self, name: str, index: int, site: int) -> None:
        self.name = name
        self.index = index
        self.site = site
        self.consular = False
        self.pool = None
        self.team_gated = False  # the pool has one group per team, open while the team is on site
        self.remote = False  # listed in database.remote_stages
        self.duration = None
        self.duration_db = None
        self.records = None
        self.records_db = None
        self.presence = False
        self.policy = "full"
        self.threshold = 0


class Journeys:
    """The process bodies; ``world`` holds the shared state (sites, teams, pools, recorder)."""

    def __init__(self, world) -> None:
        self.world = world
        self.handlers = {
            "identity": self._identity, "crossing": self._crossing, "health": self._health,
            "screening": self._screening, "transport": self._transport,
        }

    def journey(self, victim: int):
        """Arrive, go through every stage, depart; or be lost on the way."""
        world = self.world
        try:
            world.arrive(victim)
            for plan in world.plans:
                yield from self.handlers.get(plan.name, self._staffed)(victim, plan)
            world.leave_site(victim, RETURNED)
        except simpy.Interrupt:
            world.clean_up_lost(victim)
            world.leave_site(victim, LOST)

    # -- building blocks ---------------------------------------------------------------------------
    def _serve(self, victim: int, plan: StagePlan, pool, group: int, duration):
        """Wait for a server of ``pool`` (in ``group``), then be served for one draw of ``duration``."""
        world = self.world
        env = world.env
        key = world.priority_key(victim)
        event = pool.request(group, key)
        if event is not None:
            world.waiting_in[victim] = (pool, key, event)
            yield event
            world.waiting_in[victim] = None
        plan_started = world.recorder.started[plan.index]
        plan_started[victim] = env.now
        world.serving[victim] = pool
        days = duration()
        if days > 0:
            yield env.timeout(days)
        world.serving[victim] = None
        pool.release()

    def _pool_and_group(self, victim: int, plan: StagePlan):
        world = self.world
        remote = plan.remote and world.connected[victim]
        if plan.consular:
            team = world.team_of_victim(victim)
            return team.pool, REMOTE_GROUP if remote else ON_SITE_GROUP, remote
        if plan.team_gated and not remote:
            return plan.pool, world.team_index_of_victim(victim), remote
        return plan.pool, world.ungated_group(plan), remote

    def _staffed(self, victim: int, plan: StagePlan):
        world = self.world
        now = world.env.now
        world.recorder.queued[plan.index][victim] = now
        pool, group, remote = self._pool_and_group(victim, plan)
        duration = plan.duration_db if remote and plan.duration_db is not None else plan.duration
        if pool is None:
            world.recorder.started[plan.index][victim] = now
            days = duration()
            if days > 0:
                yield world.env.timeout(days)
        else:
            yield from self._serve(victim, plan, pool, group, duration)
        world.recorder.finished[plan.index][victim] = world.env.now

    # -- stages with their own rules ---------------------------------------------------------------
    def _identity(self, victim: int, plan: StagePlan):
        """Officer's interview, then the records round trip with the home authorities (officer free)."""
        world = self.world
        world.recorder.queued[plan.index][victim] = world.env.now
        pool, group, remote = self._pool_and_group(victim, plan)
        duration = plan.duration_db if remote and plan.duration_db is not None else plan.duration
        if pool is None:
            world.recorder.started[plan.index][victim] = world.env.now
            days = duration()
            if days > 0:
                yield world.env.timeout(days)
        else:
            yield from self._serve(victim, plan, pool, group, duration)
        records = plan.records_db if world.connected[victim] else plan.records
        days = records()
        if days > 0:
            yield world.env.timeout(days)
        world.recorder.finished[plan.index][victim] = world.env.now

    def _crossing(self, victim: int, plan: StagePlan):
        """Admission rule, daily cap and border check; then from holding into the shelter."""
        world = self.world
        world.recorder.queued[plan.index][victim] = world.env.now
        if world.travel_arranged:
            funding = world.funding_of_victim(victim)
            if not funding.funded:
                yield funding.event
            if world.unfunded[victim]:
                yield world.never
        yield from self._staffed_service_only(victim, plan)
        world.cross(victim)
        world.recorder.finished[plan.index][victim] = world.env.now

    def _staffed_service_only(self, victim: int, plan: StagePlan):
        pool, group, remote = self._pool_and_group(victim, plan)
        if pool is None:
            self.world.recorder.started[plan.index][victim] = self.world.env.now
            days = plan.duration()
            if days > 0:
                yield self.world.env.timeout(days)
        else:
            yield from self._serve(victim, plan, pool, group, plan.duration)

    def _health(self, victim: int, plan: StagePlan):
        """Health check by host-country staff; a home official may have to be present."""
        world = self.world
        yield from self._staffed(victim, plan)
        world.health_checks += 1

    def _screening(self, victim: int, plan: StagePlan):
        """Victim identification (NRM) screening, unless the policy skips it."""
        world = self.world
        now = world.env.now
        skip = plan.policy == "rapid" or (
            plan.policy == "backlog" and world.site_count(plan.site) > plan.threshold)
        if skip:
            recorder = world.recorder
            recorder.queued[plan.index][victim] = now
            recorder.started[plan.index][victim] = now
            recorder.finished[plan.index][victim] = now
            return
        yield from self._staffed(victim, plan)
        world.recorder.screened[victim] = True

    def _transport(self, victim: int, plan: StagePlan):
        """Wait for ticket money, then for a seat home."""
        world = self.world
        env = world.env
        world.recorder.queued[plan.index][victim] = env.now
        funding = world.funding_of_victim(victim)
        if not funding.funded:
            yield funding.event
        if world.unfunded[victim]:
            yield world.never
        world.recorder.started[plan.index][victim] = env.now
        departures = world.departures_of_victim(victim)
        if departures is None:
            days = world.booking_delay_of_victim(victim)()
            world.commercial_passengers[world.nationality[victim]] += 1
            if days > 0:
                yield env.timeout(days)
        else:
            key = world.priority_key(victim)
            event = departures.board(key)
            world.boarding[victim] = (departures, key, event)
            yield event
            world.boarding[victim] = None
        world.recorder.finished[plan.index][victim] = env.now
