"""The victim's journey through the pipeline, as one process per person.

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

The whole journey is one flat generator (no ``yield from`` per stage, no handler lookups): it is the
model's hot path, run by a :class:`~sim.model.process.Runner`. It yields a number of days to wait a
service or a delay, :data:`~sim.model.process.PARK` to wait in a queue until the queue wakes it, and an
event only where many wait on one thing (funding, the horizon). What a person holds (a queue place, a
server, a seat) lives in the generator's local variables, so that a loss can give it back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.distributions import Sampler
from sim.model.consular import ON_SITE_GROUP, REMOTE_GROUP
from sim.model.pools import VULNERABLE_RANK_SHIFT, ServerPool
from sim.model.process import PARK, Interrupt
from sim.recorder import LOST, RETURNED

HOLDING, SHELTER = 0, 1

# what kind of stage a plan is (its own rules below)
STAFFED, IDENTITY, CROSSING, HEALTH, SCREENING, TRANSPORT = range(6)
KINDS = {"identity": IDENTITY, "crossing": CROSSING, "health": HEALTH, "screening": SCREENING,
         "transport": TRANSPORT}

# what a person holds while waiting at a yield, to give back if they are lost there
NOTHING, QUEUED, SERVING, BOARDING = range(4)


class StagePlan:
    """How one stage runs, fixed before the run."""

    __slots__ = ("name", "index", "site", "kind", "consular", "pool", "team_gated", "ungated_group", "remote",
                 "duration", "duration_db", "records", "records_db", "has_records", "presence", "policy",
                 "threshold", "queued", "started", "finished", "next")

    def __init__(self, name: str, index: int, site: int) -> None:
        self.name = name
        self.index = index
        self.site = site
        self.kind = KINDS.get(name, STAFFED)
        self.consular = False
        self.pool: ServerPool | None = None
        self.team_gated = False  # the pool has one group per team, open while the team is on site
        self.ungated_group = 0  # the pool's group for people who need no team on site
        self.remote = False  # listed in database.remote_stages
        self.duration: Sampler | None = None
        self.duration_db: Sampler | None = None
        self.records: Sampler | None = None
        self.records_db: Sampler | None = None
        self.has_records = False  # identity: a records delay that is not always zero
        self.presence = False
        self.policy: str = "full"
        self.threshold = 0
        # the recorder's columns of this stage (one float per victim)
        self.queued: np.ndarray | None = None
        self.started: np.ndarray | None = None
        self.finished: np.ndarray | None = None
        self.next: StagePlan | None = None  # the stage after this one (None after the last)


class NationalityContext:
    """What a journey needs of the person's nationality, in one object: the consular team, the funding,
    the departures (None: commercial flights, booked with ``booking_delay``) and the nationality's index."""

    __slots__ = ("team", "funding", "departures", "booking_delay", "index")

    def __init__(self, team: Any, funding: Any, departures: Any, booking_delay: Sampler, index: int) -> None:
        self.team = team
        self.funding = funding
        self.departures = departures
        self.booking_delay = booking_delay
        self.index = index


def journey(world, victim: int):
    """Arrive, go through every stage, depart; or be lost on the way. ``world`` holds the shared state
    (sites, teams, pools, recorder, and ``keys``: the sequence numbers of requests).

    Its locals are kept few, and the ones read after every wait come first, on purpose: tens of thousands
    of these generators wait at once in a large camp, and every resumption reads its frame back from
    memory. The stages are walked along ``plan.next`` (no iterator object per person), and data used once
    per person is looked up on the world where it is needed.
    """
    env = world.env
    now = env._now  # the clock (what env.now returns, without the call), read again after each yield
    plan = world.plan_head  # a sentinel: its ``next`` is the first stage
    # what the person holds: ``hold`` says which (a place in ``pool``'s queue, one of its servers, or a seat
    # of ``pool`` when it is the nationality's departures); ``key`` is the request's
    hold = NOTHING
    pool: Any = None
    key = 0
    site = world.sites[HOLDING]
    context = world.nationality_context[world.nationality[victim]]
    connected = world.connected[victim]
    # added to a sequence number: vulnerable first, then first come first served
    rank = 0 if world.vulnerable[victim] else VULNERABLE_RANK_SHIFT
    me = world.processes[victim]  # the process that waits in queues
    try:
        world.recorder.arrived[victim] = now
        site.enter(victim)
        if not context.team.mobilised:
            context.team.first_arrival()
        if not context.funding.funded:
            context.funding.first_arrival()
        while True:
            plan = plan.next
            if plan is None:
                break
            plan.queued[victim] = now
            if plan.kind == SCREENING and (plan.policy == "rapid" or (
                    plan.policy == "backlog" and world.sites[plan.site].count > plan.threshold)):
                plan.started[victim] = now  # skipped
                plan.finished[victim] = now
                continue
            if plan.kind == TRANSPORT or (plan.kind == CROSSING and world.travel_arranged):
                if not context.funding.funded:
                    yield context.funding.event
                if world.unfunded[victim]:
                    yield world.never  # no ticket money: waits until the horizon
                now = env._now
            if plan.kind == TRANSPORT:
                plan.started[victim] = now
                pool = context.departures
                if pool is None:  # a commercial flight: a booking delay of one's own
                    world.commercial_passengers[context.index] += 1
                    days = context.booking_delay()
                    if days > 0:
                        yield days
                else:
                    key = next(world.keys) + rank
                    pool.board(key, me)
                    hold = BOARDING
                    yield PARK  # until the departure that takes this person
                    hold = NOTHING
                now = env._now
                plan.finished[victim] = now
                continue

            # a server of the stage's pool (or an officer of the person's team), then the service
            remote = plan.remote and connected
            if plan.consular:
                pool = context.team.pool
                group = REMOTE_GROUP if remote else ON_SITE_GROUP
            else:
                pool = plan.pool
                group = context.team.index if plan.team_gated and not remote else plan.ungated_group
            if pool is None:  # no one to wait for
                plan.started[victim] = now
                days = (plan.duration_db if remote and plan.duration_db is not None and plan.kind != CROSSING
                        else plan.duration)()
                if days > 0:
                    yield days
            else:
                key = next(world.keys) + rank
                if not pool.request(group, key, me):
                    hold = QUEUED
                    yield PARK  # until the pool grants the server
                    now = env._now
                plan.started[victim] = now
                hold = SERVING
                days = (plan.duration_db if remote and plan.duration_db is not None and plan.kind != CROSSING
                        else plan.duration)()
                if days > 0:
                    yield days
                hold = NOTHING
                pool.release()
            now = env._now

            if plan.kind == IDENTITY and plan.has_records:  # the records round trip, officer free
                days = (plan.records_db if connected else plan.records)()
                if days > 0:
                    yield days
                    now = env._now
            elif plan.kind == CROSSING:
                site.leave(victim)
                site = world.sites[SHELTER]
                site.enter(victim)
                world.recorder.crossed[victim] = now
                world.recorder.crossing_order.append(victim)
            plan.finished[victim] = now
            if plan.kind == HEALTH:
                world.health_checks += 1
            elif plan.kind == SCREENING:
                world.recorder.screened[victim] = True
        status = RETURNED
    except Interrupt:
        # lost: give back what the person holds, wherever they are
        if hold == SERVING:
            pool.release()
        elif hold != NOTHING:  # a place in a pool's queue or a departure's: both withdraw it the same way
            pool.cancel(key, me)
        status = LOST
    site.leave(victim)
    recorder = world.recorder
    recorder.departed[victim] = env._now
    recorder.departure_order.append(victim)
    recorder.status[victim] = status
    world.processes[victim] = None
