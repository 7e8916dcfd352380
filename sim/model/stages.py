"""The stage kinds: what a person does at each stage of the pipeline, as SimPy generator functions.

Each kind is a generator function ``kind(world, person, stage)`` registered under a name
(:mod:`sim.scenario.registry`); :func:`~sim.model.pipeline.journey` runs the kind of each stage in turn with
``yield from``. Every kind stamps when the person joined the stage (``queued``), when their service
started (``started``) and when the stage was over (``finished``), in days.

- ``staffed`` (registration, documents, and any stage a scenario declares): wait for a server of the
  stage's pool (``staff``), or for an officer of the person's consular team when ``servers =
  "consular"``; the officer must be on site unless the shared database makes the stage remote for a
  connected nationality;
- ``identity``: as above, then the records round trip (``records_delay``) without holding the officer;
- ``crossing``: choose a crossing (:mod:`sim.model.network`: the only one, or by the routing policy) and
  travel to it (``travel_days``); under its ``travel_arranged`` rule, wait until the nationality is funded
  (and the person has ticket money); wait out a closure of the crossing to the nationality; under
  ``travel_arranged``, wait until the person's team is at the holding site with its return guarantee
  accepted; wait for the holding site to release the person (its daily pace, if it has one); then,
  unless the shelter may overflow, wait for a place in it (held until departure); then a border check
  under the crossing's daily cap; then move from the holding site into the shelter;
- ``health``: a staffed check; with ``requires_consular_presence`` it starts only while the team is on
  site;
- ``screening``: a staffed interview for the people the screening policy selects (a skipped stage has
  queued = started = finished); in the shelter, people still waiting for it when the onward-travel
  limit (``max_stay``) runs out move on unscreened;
- ``transport``: wait for funding (people with no ticket money wait until the horizon), then a booking
  delay of one's own, then (charter and overland) for a seat.

The screening policies are functions ``policy(world, person, stage) -> bool``, who is queued for
screening: ``full`` everyone, ``rapid`` no one.
"""

from __future__ import annotations

from typing import Any

import simpy

from sim.model.pipeline import SHELTER, Person, StagePlan, Steps
from sim.scenario.registry import screening_policy, stage_kind


def service(world: Any, person: Person, stage: StagePlan, server: tuple[Any, int, Any, Any] | None = None) -> Steps:
    """Wait for a server of the stage (vulnerable first), be served for one draw of the stage's duration,
    stamp when the service started; the server is free again when this returns (or when a loss
    interrupts it). ``server`` is who serves and how long, ``(pool, group, duration, home desk)``, when
    not the stage's own at the person's site (the border check: the chosen crossing's staff)."""
    # fixed before the run, per site and nationality (World._service_of)
    pool, group, duration, desk = server or stage.service[person.site.index][person.context.index]
    if desk is not None and not desk.active.processed:  # remote work waits for the desk at home
        yield desk.active
    if pool is None:  # no one to wait for
        stage.started[person.victim] = world.env.now
        days = duration()
        if days > 0:
            yield world.env.timeout(days)
        return
    # the grant and the service as one event; the pool stamps the start as it grants the server
    with pool.serve(group, person.vulnerable, duration, stage.started, person.victim) as serving:
        if not serving.processed:
            yield serving


def ticket_money(world: Any, person: Person) -> Steps:
    """Wait until the nationality's tickets are funded; a person with no ticket money of their own then
    waits until the horizon."""
    funding = person.context.funding
    if not funding.funded:
        yield funding.event
    if person.unfunded:
        yield world.never


@stage_kind("staffed")
def staffed(world: Any, person: Person, stage: StagePlan) -> Steps:
    """A desk: wait for a server, be served."""
    stage.queued[person.victim] = world.env.now
    yield from service(world, person, stage)
    stage.finished[person.victim] = world.env.now


@stage_kind("identity")
def identity(world: Any, person: Person, stage: StagePlan) -> Steps:
    """An officer's interview, then the records round trip with the home authorities (officer free)."""
    env = world.env
    stage.queued[person.victim] = env.now
    yield from service(world, person, stage)
    if stage.has_records:
        days = (stage.records_db if person.context.connected else stage.records)()
        if days > 0:
            yield env.timeout(days)
    stage.finished[person.victim] = env.now


@stage_kind("crossing")
def crossing(world: Any, person: Person, stage: StagePlan) -> Steps:
    """Choose a crossing and go there; its admission rule; the holding site's release; a place in the
    shelter; the border check under the crossing's daily cap; then from the holding site into the shelter."""
    env = world.env
    stage.queued[person.victim] = env.now
    routes = world.routes[person.site.index][person.context.index]
    chosen = person.crossing = routes[0] if len(routes) == 1 else world.choose(routes, person.context.index,
                                                                                env.now)
    chosen.ahead += 1  # until the person crosses (World.cross) or is lost on the way
    try:
        if chosen.travel_days > 0:
            yield env.timeout(chosen.travel_days)
        if chosen.travel_arranged and (person.unfunded or not person.context.funding.funded):
            yield from ticket_money(world, person)
        for start, end in chosen.closures[person.context.index]:  # closed to this nationality: wait it out
            if start <= env.now < end:
                yield env.timeout(end - env.now)
        release, places = person.site.release, chosen.shelter.places
        if chosen.travel_arranged and (places is not None or release is not None):
            # the site lets go, and a place is asked for, only once the person could cross
            admission = person.context.team.admission(chosen.holding.index)
            if not admission.processed:
                yield admission
        if release is not None:  # the group holding the site hands people over at its own pace
            with release.request(0, person.vulnerable) as handed_over:
                yield handed_over
        if places is not None:  # no overflow: wait at the holding site for a free place
            person.shelter_place = place = places.request(0, person.vulnerable)  # given back at departure
            if not place.triggered:
                yield place
        yield from service(world, person, stage, chosen.service[person.context.index])  # the border check
    except simpy.Interrupt:
        chosen.ahead -= 1  # lost on the way: no longer ahead of anyone
        raise
    world.cross(person)
    stage.finished[person.victim] = env.now


@stage_kind("health")
def health(world: Any, person: Person, stage: StagePlan) -> Steps:
    """A health check by host-country staff (a home official may have to be present: the pool's gate)."""
    yield from staffed(world, person, stage)
    world.health_checks += 1


@stage_kind("screening")
def screening(world: Any, person: Person, stage: StagePlan) -> Steps:
    """Victim identification (NRM) screening, for the people the policy selects. In the shelter, the
    onward-travel limit (``max_stay`` days from the crossing) moves on whoever is still in the queue
    when it runs out: they leave the queue unscreened (a service already started finishes)."""
    env, victim = world.env, person.victim
    now = env.now
    stage.queued[victim] = now
    if not stage.policy(world, person, stage):
        stage.started[victim] = stage.finished[victim] = now
        return
    pool, group, duration, desk = stage.service[person.site.index][person.context.index]
    if desk is not None and not desk.active.processed:
        yield desk.active
    max_stay = person.site.max_stay  # the shelter's onward-travel limit (inf in holding)
    time_left = world.recorder.crossed[victim] + max_stay - now if stage.site == SHELTER else float("inf")
    if pool is None or time_left == float("inf"):
        yield from service(world, person, stage)
    elif time_left <= 0:  # the limit ran out before the person reached screening
        stage.started[victim] = stage.finished[victim] = now
        return
    else:
        with pool.request(group, person.vulnerable) as request:
            if not request.triggered:
                yield request | env.timeout(time_left)
                if not request.triggered:  # moved on: the request is withdrawn as the block ends
                    stage.started[victim] = stage.finished[victim] = env.now
                    return
            stage.started[victim] = env.now
            days = duration()
            if days > 0:
                yield env.timeout(days)
    stage.finished[victim] = env.now
    world.recorder.screened[victim] = True


@stage_kind("transport")
def transport(world: Any, person: Person, stage: StagePlan) -> Steps:
    """Wait for ticket money, then a booking delay of one's own (``booking_delay``, one draw per person):
    a commercial flight leaves at its end; for a charter flight or a bus, the person then joins the
    departure queue and waits for a seat. ``started`` is stamped when the ticket money is there."""
    env = world.env
    stage.queued[person.victim] = env.now
    if person.unfunded or not person.context.funding.funded:
        yield from ticket_money(world, person)
    stage.started[person.victim] = env.now
    context = person.context
    if context.departures is None:  # a commercial flight
        world.commercial_passengers[context.index] += 1
    days = context.booking_delay()
    if days > 0:
        yield env.timeout(days)
    if context.departures is not None:  # a shared vehicle
        with context.departures.board(person.vulnerable) as seat:
            yield seat
    stage.finished[person.victim] = env.now


@screening_policy("full")
def screen_everyone(world: Any, person: Person, stage: StagePlan) -> bool:
    """Everyone is screened."""
    return True


@screening_policy("rapid")
def screen_no_one(world: Any, person: Person, stage: StagePlan) -> bool:
    """No one is screened (faster; unscreened people face a higher risk after return)."""
    return False
