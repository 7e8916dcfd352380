"""The world of one replication: sites, teams, pools, funding, departures, and the people in them.

:func:`build_world` turns a frozen :class:`~sim.scenario.schema.Scenario` into fresh runtime objects on a new
``simpy.Environment`` (the scenario is never written to). Each person is a SimPy process
(:func:`~sim.model.pipeline.journey`) started by the arrivals process at their arrival time; the world
stamps every arrival, crossing and departure into the :class:`~sim.model.recorder.Recorder` (which rebuilds the
log of occupancy changes from those stamps after the run).

The run executes with Python's cyclic garbage collector paused (see :mod:`sim.model.gcpause`): when it is over,
the world closes the processes still waiting and empties the event queue (:meth:`World.close`), so that
nothing of the run is left for the collector to find.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

import numpy as np
import simpy

from sim.model.arrivals import People
from sim.model.consular import Funding, HomeDesk, Team
from sim.model.exposure import LossClock
from sim.model.gcpause import collector_paused
from sim.model.network import ROUTING_POLICIES, CrossingPoint, release_changes
from sim.model.pipeline import HOLDING, SHELTER, DelayedStart, NationalityContext, Person, StagePlan, journey
from sim.model.recorder import Recorder
from sim.model.resources import ServerPool
from sim.model.sites import Site
from sim.model.streams import Streams
from sim.model.transport import Departures
from sim.scenario.distributions import Sampler, is_zero, make_sampler
from sim.scenario.registry import SCREENING_POLICIES, STAGE_KINDS, load_extensions
from sim.scenario.schema import HealthStage, IdentityStage, Scenario, ScreeningStage, Stage

UNLIMITED_SERVERS = 1 << 40
T = TypeVar("T")


class World:
    """Runtime state of one replication."""

    def __init__(self, scenario: Scenario, people: People, streams: Streams) -> None:
        self.scenario = scenario
        self.people = people
        self.streams = streams
        self.env = env = simpy.Environment()
        self.recorder = recorder = Recorder(len(people), scenario.pipeline, tuple(scenario.sites),
                                            tuple(str(site.kind) for site in scenario.sites.values()))
        if people.site is not None:
            recorder.holding_site[:] = people.site
        # the stamps of arrival, crossing and departure (days) and the status, one item per victim, written
        # through memoryviews of the recorder's columns (cheaper than numpy's item assignment; same bytes)
        self._arrived: Any = recorder.arrived.data
        self._crossed: Any = recorder.crossed.data
        self._departed: Any = recorder.departed.data
        self._status: Any = recorder.status.data
        self.names = people.names
        self.never = env.event()  # never succeeds: people with no ticket money wait for it until the horizon
        self.health_checks = 0

        # consular teams (represented nationalities share their representative's team)
        self.site_names = list(scenario.sites)
        self.site_index = {name: index for index, name in enumerate(self.site_names)}
        self.team_names = [n for n in self.names if scenario.nationalities[n].consular.represented_by is None]
        self.teams: dict[str, Team] = {}
        for name in self.team_names:
            config = scenario.nationalities[name].consular
            self.teams[name] = Team(env, name, config.officers,
                                    make_sampler(config.deploy_delay, streams[f"consular.{name}.deploy_delay"]),
                                    config.on_site_days, config.off_site_days,
                                    make_sampler(config.guarantee_delay,
                                                 streams[f"consular.{name}.guarantee_delay"]),
                                    sites=len(self.site_names),
                                    works_at=[self.site_index[site] for site in config.sites],
                                    deployment=config.deployment, move_days=config.move_days)
        for index, name in enumerate(self.team_names):
            self.teams[name].index = index  # its group in the gated pools
        self.team_of_nationality = [self.teams[scenario.team_of(n)] for n in self.names]
        self.connected = [scenario.is_connected(n) for n in self.names]  # per nationality
        # home desks: the officers at home who work the remote stages of a connected nationality
        database = scenario.database
        remote_work = any(stage in scenario.pipeline for stage in database.remote_stages)
        self.home_desks: list[HomeDesk | None] = [
            HomeDesk(env, name, database.home_desk_officers or scenario.nationalities[name].consular.officers,
                     make_sampler(database.home_desk_delay, streams[f"database.{name}.home_desk_delay"]))
            if connected and remote_work else None
            for name, connected in zip(self.names, self.connected)]

        # funding and transport per nationality
        self.funding = [Funding(env, scenario.nationalities[n].funding.mode,
                                make_sampler(scenario.nationalities[n].funding.appeal_delay,
                                             streams[f"funding.{n}.appeal_delay"])) for n in self.names]
        self.departures: list[Departures | None] = []
        self.booking_delays = []
        for name in self.names:
            transport = scenario.nationalities[name].transport
            self.departures.append(None if transport.mode == "commercial" else Departures(env, transport, name))
            self.booking_delays.append(make_sampler(transport.booking_delay, streams[f"transport.{name}.booking"]))
        self.commercial_passengers = [0] * len(self.names)
        # what a journey needs of its nationality
        self.nationality_context = [
            NationalityContext(team, funding, departures, booking_delay, index, connected, desk)
            for index, (team, funding, departures, booking_delay, connected, desk) in enumerate(
                zip(self.team_of_nationality, self.funding, self.departures, self.booking_delays, self.connected,
                    self.home_desks))]

        # the sites: people lost from one are picked by its loss clock (sampled exposure with a hazard)
        exposure = scenario.exposure
        sampled = exposure.mode == "sampled"
        self.sites = []
        for index, (name, site_config) in enumerate(scenario.sites.items()):
            site = Site(name, site_config.capacity, sampled and site_config.hazard_per_day > 0, str(site_config.kind),
                        index)
            if site.members is not None:
                site.clock = LossClock(env, site_config.hazard_per_day, site_config.capacity,
                                       exposure.crowding_factor, exposure.limbo_growth, exposure.limbo_grace_days,
                                       people.arrived, site.members, streams[f"exposure.{name}"], self.lose)
            if site_config.release_per_day is not None and "crossing" in scenario.pipeline:
                site.release = ServerPool(env, UNLIMITED_SERVERS, daily_cap=site_config.release_per_day,
                                          name=f"release:{name}")
            # places in a shelter: a crossing admits a person only when one is free (unless it may overflow)
            if site_config.kind == "shelter" and site_config.capacity is not None and not site_config.overflow and (
                    "crossing" in scenario.pipeline):
                site.places = ServerPool(env, site_config.capacity, name=f"places:{name}")
            if site_config.max_stay is not None:
                site.max_stay = site_config.max_stay
            self.sites.append(site)
        self.crossings = self._crossings()
        self.stages = self._plan_stages()
        # per holding site and nationality: the crossings its people may take (to their own shelter, if set)
        self.routes = [[[c for c in self.crossings if c.holding is site and (
            scenario.nationalities[n].shelter_site in (None, c.shelter.name))] for n in self.names]
            for site in self.sites]
        self.choose = ROUTING_POLICIES[scenario.routing.policy]
        self.stage_index = {plan.name: plan.index for plan in self.stages}
        for context in self.nationality_context:  # each nationality's stages, less those it skips
            context.stages = [plan for plan in self.stages if not plan.skipped[context.index]]
        self.persons: list[Person] = []  # everyone who has arrived so far, in order of victim id
        self._shared: dict[str, Any] = {}

    def shared(self, name: str, make: Callable[[simpy.Environment], T]) -> T:
        """A resource several stages or people share (an interpreter pool, say): ``make(env)`` builds it the
        first time ``name`` is asked for in this replication; later calls return the same object."""
        if name not in self._shared:
            self._shared[name] = make(self.env)
        return self._shared[name]

    # -- planning ----------------------------------------------------------------------------------
    def _crossings(self) -> list[CrossingPoint]:
        """The crossings at run time, each with its closures per nationality (their border staff are
        planned with the stages)."""
        scenario, crossings = self.scenario, []
        stage = scenario.stages.crossing
        mean_check = stage.duration.mean()
        for index, (name, config) in enumerate(scenario.crossings.items()):
            staff = config.staff or stage.staff
            closures = [sorted((c.from_day, c.until_day) for c in config.closures
                               if (n in c.nationalities) or (not c.nationalities and n not in c.open_to))
                        for n in self.names]
            per_day = float("inf") if staff == "unlimited" or mean_check <= 0 else int(staff) / mean_check
            crossings.append(CrossingPoint(name, index, self.sites[self.site_index[str(config.holding)]],
                                           self.sites[self.site_index[str(config.shelter)]], config.travel_days,
                                           config.admission == "travel_arranged", closures, per_day,
                                           config.capacity_changes))
        return crossings

    def _plan_stages(self) -> list[StagePlan]:
        scenario, streams = self.scenario, self.streams
        pipeline = list(scenario.pipeline)
        crossing_at = pipeline.index("crossing") if "crossing" in pipeline else len(pipeline)
        remote_stages = set(scenario.database.remote_stages)
        plans = []
        recorder = self.recorder
        load_extensions()  # in a worker process, the extensions the driver had
        for index, name in enumerate(pipeline):
            kind = scenario.stage_kind(name)
            if kind not in STAGE_KINDS:
                raise ValueError(f"stage {name!r}: no code is registered for its kind {kind!r} (sim.scenario.registry)")
            plan = StagePlan(name, index, HOLDING if index <= crossing_at else SHELTER, STAGE_KINDS[kind])
            # a stamp is one float written through a memoryview of the recorder's column (about 24 ns, where
            # numpy's item assignment takes about 38; same bytes)
            plan.queued, plan.started, plan.finished = (recorder.queued[index].data, recorder.started[index].data,
                                                        recorder.finished[index].data)
            plans.append(plan)
            if name == "transport":
                continue
            config = plan.config = scenario.stage_config(name)
            assert isinstance(config, Stage)  # every stage but transport is served by staff or officers
            plan.duration = make_sampler(config.duration, streams[f"stage.{name}.duration"])
            plan.remote = name in remote_stages
            # a remote service takes the database's duration (not the border check: people cross in person)
            plan.duration_remote = plan.duration
            if config.duration_with_database is not None and name != "crossing":
                plan.duration_remote = make_sampler(config.duration_with_database,
                                                    streams[f"stage.{name}.duration_with_database"])
            if isinstance(config, IdentityStage):
                plan.records = make_sampler(config.records_delay, streams["stage.identity.records_delay"])
                plan.records_db = make_sampler(config.records_delay_with_database,
                                               streams["stage.identity.records_delay_with_database"])
                plan.has_records = not (is_zero(config.records_delay) and is_zero(config.records_delay_with_database))
            if isinstance(config, ScreeningStage):
                plan.policy = SCREENING_POLICIES[config.policy]
            presence = isinstance(config, HealthStage) and config.requires_consular_presence
            if config.servers == "consular":
                plan.consular = True
                continue
            plan.team_gated = presence
        self._staff_pools(plans)
        self._border_staff(next((plan for plan in plans if plan.name == "crossing"), None))
        for plan in plans:
            plan.service = [[self._service_of(plan, context, site) for context in self.nationality_context]
                            for site in range(len(self.sites))]
            plan.skipped = [plan.name in scenario.nationalities[name].skip_stages for name in self.names]
        return plans

    def _border_staff(self, plan: StagePlan | None) -> None:
        """Each crossing's border staff: a pool under its daily cap, with a queue per team (open while the
        team is at the crossing's holding site, its guarantee accepted) under travel_arranged. A crossing
        whose check takes no time, or has unlimited staff, with no gate and no cap needs no pool."""
        if plan is None:
            return
        config, teams = plan.config, len(self.team_names)
        zero = is_zero(config.duration)
        for crossing in self.crossings:
            settings = self.scenario.crossings[crossing.name]
            staff = settings.staff or config.staff
            gated = crossing.travel_arranged
            if gated or settings.daily_capacity is not None or not (zero or staff == "unlimited"):
                crossing.pool = ServerPool(self.env, UNLIMITED_SERVERS if staff == "unlimited" else int(staff),
                                           groups=teams + 1 if gated else 1, daily_cap=settings.daily_capacity,
                                           name=f"crossing:{crossing.name}")
                if gated:
                    for team in self.teams.values():
                        team.add_gate(crossing.pool, team.index, needs_guarantee=True, site=crossing.holding.index)
            ungated = teams if gated else 0
            crossing.service = [(crossing.pool, context.team.index if gated else ungated, plan.duration, None)
                                for context in self.nationality_context]

    def _staff_pools(self, plans: list[StagePlan]) -> None:
        """The staff of the stages other than the crossing, at each site where they work: stages that
        name the same kind of ``servers`` (the holding staff who register people and also run a
        scenario's own interview, say) share its ``staff`` at a site (validation makes them state the same
        number). A stage that takes no time, or has unlimited staff, with no gate needs no pool (no
        events)."""
        env, teams = self.env, len(self.team_names)
        by_kind: dict[str, list[StagePlan]] = {}
        for plan in plans:
            if plan.config is not None and not plan.consular and plan.name != "crossing":
                by_kind.setdefault(plan.config.servers, []).append(plan)
        for sharing in by_kind.values():
            needed = []
            for plan in sharing:
                config = plan.config
                zero = is_zero(config.duration) and (config.duration_with_database is None
                                                     or is_zero(config.duration_with_database))
                if plan.team_gated or not (zero or config.staff == "unlimited"):
                    needed.append(plan)
            if not needed:
                continue
            staff = needed[0].config.staff
            gated = any(plan.team_gated for plan in needed)
            label = "+".join(plan.name for plan in needed)
            for site in self.sites:  # the staff of each site where one of these stages happens
                kind = HOLDING if site.kind == "holding" else SHELTER
                here = [plan for plan in needed if plan.site == kind]
                if not here:
                    continue
                pool = ServerPool(env, UNLIMITED_SERVERS if staff == "unlimited" else int(staff),
                                  groups=teams + 1 if gated else 1, name=f"{label}@{site.name}")
                for plan in here:
                    plan.pools[site.index] = pool
                    plan.ungated_group = teams if gated else 0
                if gated:
                    for team in self.teams.values():
                        team.add_gate(pool, team.index, site=site.index)

    def _service_of(self, plan: StagePlan, context: NationalityContext, site: int) -> tuple[
            ServerPool | None, int, Sampler, HomeDesk | None]:
        """Who serves a person of this nationality at this stage and site, and for how long: the pool
        (None: no one to wait for), the group of its queue, the duration, and the home desk that must be
        working first (None: the stage is not remote for this nationality)."""
        desk = context.home_desk if plan.remote else None
        pool = plan.pools.get(site)
        if desk is not None:  # remote: no one on site, but the nationality's desk at home must be working
            if plan.consular:  # the desk's officers do the work
                return desk.pool, 0, plan.duration_remote, desk
            return pool, plan.ungated_group, plan.duration_remote, desk
        if plan.consular:  # an officer of the person's team, at the person's site
            team_pool, group = context.team.post(site)
            return team_pool, group, plan.duration, None
        group = context.team.index if plan.team_gated else plan.ungated_group
        return pool, group, plan.duration, None

    # -- the people ---------------------------------------------------------------------------------
    def arrivals(self) -> Generator[simpy.Event, None, None]:
        """The arrivals process: one arrival instant at a time, it starts the processes of the people who
        arrive then (in order of victim id), each timed to take its first step at that instant
        (:class:`~sim.model.pipeline.DelayedStart`), and waits for the instant. One event per person
        arriving, where a timeout per instant and a start event per process would be more.

        The delay is ``day - now``: the clock lands on ``day`` or within its last bit (``now + (day - now)``
        cannot always equal ``day`` in floating point). People drawn at one instant share one delay, so
        they still arrive together."""
        env, people, persons = self.env, self.people, self.persons
        contexts, sites = self.nationality_context, self.sites
        days = people.arrived.tolist()
        nationalities, vulnerable, unfunded = (people.nationality.tolist(), people.vulnerable.tolist(),
                                               people.unfunded.tolist())
        holding = self.recorder.holding_site.tolist()
        victim, count = 0, len(days)
        while victim < count:
            instant = days[victim]
            delay = max(instant - env.now, 0.0)
            while victim < count and days[victim] == instant:
                person = Person(victim, contexts[nationalities[victim]], vulnerable[victim], unfunded[victim],
                                sites[holding[victim]])
                persons.append(person)
                person.process = process = DelayedStart(env, journey(self, person), delay)
                victim += 1
            yield process.start  # resumed after the people of this instant have taken their first step

    def arrive(self, person: Person) -> None:
        """``person`` is at their holding site now: stamp the arrival; their team and appeal start if they
        are the first."""
        self._arrived[person.victim] = self.env.now
        person.site.enter(person)
        context = person.context
        if not context.team.mobilised:
            context.team.mobilise()
        if not context.funding.funded:
            context.funding.launch_appeal()
        if context.home_desk is not None and not context.home_desk.mobilised:
            context.home_desk.mobilise()

    def cross(self, person: Person) -> None:
        """``person`` crosses the border now, by the crossing they chose: from their holding site into its
        shelter."""
        crossing = person.crossing
        crossing.ahead -= 1
        person.site.leave(person)
        person.site = crossing.shelter
        person.site.enter(person)
        victim = person.victim
        self._crossed[victim] = self.env.now
        self.recorder.crossing[victim] = crossing.index
        self.recorder.shelter_site[victim] = crossing.shelter.index
        self.recorder.crossing_order.append(victim)

    def depart(self, person: Person, status: int) -> None:
        """``person`` goes home (``RETURNED``) or disappears (``LOST``) now, from where they are."""
        person.site.leave(person)
        if person.shelter_place is not None:  # their place in the shelter (or their request for one)
            person.shelter_place.pool.release(person.shelter_place)
            person.shelter_place = None
        victim = person.victim
        self._departed[victim] = self.env.now
        self._status[victim] = status
        self.recorder.departure_order.append(victim)
        person.process = None  # the process ends here; nothing may interrupt it any more

    def lose(self, victim: int) -> None:
        """Called by a site's loss clock: the person is lost now, wherever they are in the pipeline (their
        process gives back what it holds and leaves the site)."""
        person = self.persons[victim]
        if person.process is not None and not person.lost:
            person.lost = True
            person.process.interrupt("lost")

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> None:
        """Run the replication to the horizon, then :meth:`close` it."""
        with collector_paused():
            for crossing in self.crossings:
                if crossing.pool is not None and crossing.changes:
                    self.env.process(crossing.cap_changes(self.env))
            for site, config in zip(self.sites, self.scenario.sites.values()):
                if site.release is not None and config.release_changes:
                    self.env.process(release_changes(self.env, site, config.release_changes))
            self.env.process(self.arrivals())
            self.env.run(until=self.scenario.horizon_days)
            self.stamp_skipped()
            self.close()

    def stamp_skipped(self) -> None:
        """The stamps of the stages people skipped: each is passed at once, when the stage before it
        finished (or on arrival), by whoever got that far (the run itself does not visit them)."""
        recorder, nationality = self.recorder, self.people.nationality
        for plan in self.stages:
            skipping = [index for index, skipped in enumerate(plan.skipped) if skipped]
            if not skipping:
                continue
            mask = np.isin(nationality, skipping)
            before = recorder.arrived if plan.index == 0 else recorder.finished[plan.index - 1]
            for column in (recorder.queued, recorder.started, recorder.finished):
                column[plan.index][mask] = before[mask]

    def close(self) -> None:
        """The run is over: close the journeys still waiting (their frames hold the world) and drop the
        events still scheduled (they hold the processes), so that the run's memory goes by reference
        counting as soon as its results are built, not at a later pass of the garbage collector."""
        for person in self.persons:
            process = person.process
            if process is not None:
                process._generator.close()  # a `with` block does not release on GeneratorExit
                # the event it waited for holds the process in its callbacks, and the process holds it
                callbacks = process.target.callbacks
                if callbacks:
                    callbacks.clear()
                person.process = None
        # what is still scheduled holds, in its callbacks, the processes waiting for it (a team's
        # rotation, say), which hold it back; SimPy has no public way to drop the schedule
        for *_, event in self.env._queue:
            if event.callbacks:
                event.callbacks.clear()
        self.env._queue.clear()
        pools = [pool for stage in self.stages for pool in stage.pools.values()]
        pools += [crossing.pool for crossing in self.crossings if crossing.pool is not None]
        pools += [pool for team in self.teams.values() for pool in (*team.pools, team.nowhere)]
        pools += [desk.pool for desk in self.home_desks if desk is not None]
        pools += [pool for site in self.sites for pool in (site.release, site.places) if pool is not None]
        for queues in [pool.queues for pool in pools] + [[d._ready] for d in self.departures if d]:
            for queue in queues:  # requests still waiting hold their pool, which holds them
                for side in queue:
                    side.clear()
        self._shared.clear()
        for site in self.sites:
            site.clock = None  # the loss clock calls back into the world
            if site.members:
                site.members.clear()  # its members point back to it



def build_world(scenario: Scenario, people: People, streams: Streams) -> World:
    """Fresh runtime objects for one replication of ``scenario``, on a new ``simpy.Environment``."""
    return World(scenario, people, streams)


__all__ = ["World", "build_world"]
