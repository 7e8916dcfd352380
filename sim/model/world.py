"""The world of one replication: sites, teams, pools, funding, departures, and the people in them.

:func:`build_world` turns a frozen :class:`~sim.schema.Scenario` into fresh runtime objects (the
scenario is never written to); the :class:`World` keeps per-person state in flat lists indexed by
victim id and stamps every arrival, crossing and departure into the :class:`~sim.recorder.Recorder`
(which rebuilds the log of occupancy changes from those stamps after the run).

Each person's journey starts inside the callback of one arrival event (:meth:`World._admit`). The run
itself executes with Python's cyclic garbage collector paused (its state is restored afterwards; see
:mod:`sim.gcpause`, which ``run_replication`` and ``run_one`` also use around the whole replication): the
model leaves no garbage cycles behind while it runs (a journey forgets the world when it ends, and the
journeys still waiting at the horizon are closed), and the collector's full passes over tens of
thousands of waiting journeys cost more than the run.
"""

from __future__ import annotations

import itertools

import numpy as np

from sim.distributions import is_zero, make_sampler
from sim.gcpause import collector_paused
from sim.model.arrivals import People
from sim.model.consular import Funding, Team, never
from sim.model.engine import URGENT, Alarm, Engine, _Marker
from sim.model.exposure import LossClock
from sim.model.pipeline import CROSSING, HOLDING, SHELTER, Journey, NationalityContext, StagePlan
from sim.model.pools import ServerPool
from sim.model.sites import Site
from sim.model.transport import Departures
from sim.recorder import RETURNED, Recorder
from sim.schema import HealthStage, IdentityStage, Scenario, ScreeningStage, Stage
from sim.streams import Streams

UNLIMITED_SERVERS = 1 << 40


class World:
    """Runtime state of one replication."""

    def __init__(self, scenario: Scenario, people: People, streams: Streams, env: Engine | None = None) -> None:
        self.scenario = scenario
        self.people = people
        self.streams = streams
        self.env = Engine() if env is None else env
        env = self.env
        count = len(people)
        self.recorder = Recorder(count, scenario.pipeline)
        self.nationality = people.nationality.tolist()
        self.vulnerable = people.vulnerable.tolist()
        self.unfunded = people.unfunded.tolist()
        self.names = people.names
        self.never = never(env)
        self.travel_arranged = scenario.crossing.admission == "travel_arranged"
        self.health_checks = 0

        # consular teams (represented nationalities share their representative's team)
        self.team_names = [n for n in self.names if scenario.nationalities[n].consular.represented_by is None]
        self.teams: dict[str, Team] = {}
        for name in self.team_names:
            config = scenario.nationalities[name].consular
            self.teams[name] = Team(env, name, config.officers,
                                    make_sampler(config.deploy_delay, streams[f"consular.{name}.deploy_delay"]),
                                    config.on_site_days, config.off_site_days)
        for index, name in enumerate(self.team_names):
            self.teams[name].index = index  # its group in the gated pools
        self.team_of_nationality = [self.teams[scenario.team_of(n)] for n in self.names]
        self.connected = [scenario.is_connected(n) for n in self.names]  # per nationality

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
            NationalityContext(team, funding, departures, booking_delay, index, connected)
            for index, (team, funding, departures, booking_delay, connected) in enumerate(
                zip(self.team_of_nationality, self.funding, self.departures, self.booking_delays, self.connected))]

        # sites and where each stage happens
        exposure = scenario.exposure
        sampled = exposure.mode == "sampled"
        site_configs = (scenario.sites.holding, scenario.sites.shelter)
        self.sites = [
            Site(name, site_config.capacity, track_members=sampled and site_config.hazard_per_day > 0)
            for name, site_config in zip(("holding", "shelter"), site_configs)
        ]
        for site, site_config in zip(self.sites, site_configs):
            if site.members is not None:
                site.clock = LossClock(env, site_config.hazard_per_day, site_config.capacity,
                                       exposure.crowding_factor, exposure.limbo_growth,
                                       exposure.limbo_grace_days, people.arrived, site.members,
                                       streams[f"exposure.{site.name}"], self.lose)

        self.plans = self._plan_stages()
        self.plan_head = StagePlan("", -1, HOLDING)  # a sentinel before the first stage (journeys walk ``next``)
        for before, after in zip([self.plan_head, *self.plans], self.plans):
            before.next = after
        self.processes: list[Journey | None] = [None] * count  # each journey while it runs
        self._lost_pending = [False] * count
        self.keys = itertools.count(1)  # the sequence numbers of requests (the priority keys of every queue)
        self._arrival_days: list[float] = people.arrived.tolist()
        self._next_arrival = 0
        self._arrival_count = len(self._arrival_days)
        self._start: _Marker | None = None
        self._arrival = Alarm(self.env, self._admit)  # the timer of the next arrival instant

    # -- planning ----------------------------------------------------------------------------------
    def _plan_stages(self) -> list[StagePlan]:
        scenario, env, streams = self.scenario, self.env, self.streams
        pipeline = [s for s in scenario.pipeline]
        crossing_at = pipeline.index("crossing") if "crossing" in pipeline else len(pipeline)
        remote_stages = set(scenario.database.remote_stages)
        plans = []
        recorder = self.recorder
        for index, name in enumerate(pipeline):
            plan = StagePlan(name, index, HOLDING if index <= crossing_at else SHELTER)
            # the journeys write one stamp at a time: through a memoryview of the recorder's column, which
            # takes a float in about 24 ns where numpy's item assignment takes about 38 (same bytes)
            plan.queued, plan.started, plan.finished = (recorder.queued[index].data, recorder.started[index].data,
                                                        recorder.finished[index].data)
            plans.append(plan)
            if name == "transport":
                continue
            config = scenario.stage_config(name)
            assert isinstance(config, Stage)  # every stage but transport is served by staff or officers
            plan.duration = make_sampler(config.duration, streams[f"stage.{name}.duration"])
            if config.duration_with_database is not None:
                plan.duration_db = make_sampler(config.duration_with_database,
                                                streams[f"stage.{name}.duration_with_database"])
            plan.remote = name in remote_stages
            # a remote service takes the database's duration (not the border check: people cross in person)
            plan.duration_remote = (plan.duration_db if plan.duration_db is not None and plan.kind != CROSSING
                                    else plan.duration)
            if isinstance(config, IdentityStage):
                plan.records = make_sampler(config.records_delay, streams["stage.identity.records_delay"])
                plan.records_db = make_sampler(config.records_delay_with_database,
                                               streams["stage.identity.records_delay_with_database"])
                plan.has_records = not (is_zero(config.records_delay) and is_zero(config.records_delay_with_database))
            if isinstance(config, ScreeningStage):
                plan.policy = config.policy
                plan.threshold = config.backlog_threshold or 0
            plan.presence = isinstance(config, HealthStage) and config.requires_consular_presence
            if config.servers == "consular":
                plan.consular = True
                continue
            gated = plan.presence or (name == "crossing" and self.travel_arranged)
            plan.team_gated = gated
            plan.ungated_group = len(self.team_names) if gated else 0
            servers = UNLIMITED_SERVERS if config.staff == "unlimited" else config.staff
            daily_cap = scenario.crossing.daily_capacity if name == "crossing" else None
            zero = is_zero(config.duration) and (config.duration_with_database is None
                                                 or is_zero(config.duration_with_database))
            if zero and not gated and daily_cap is None:
                continue  # takes no time and no one: no pool, no events
            if servers == UNLIMITED_SERVERS and not gated and daily_cap is None:
                continue
            groups = len(self.team_names) + 1 if gated else 1
            plan.pool = pool = ServerPool(env, servers, groups=groups, daily_cap=daily_cap, name=name)
            if gated:
                for team in self.teams.values():
                    team.add_gate(pool, team.index)
        return plans

    # -- losses ------------------------------------------------------------------------------------
    def lose(self, victim: int) -> None:
        """Called by a site's loss clock: the person is lost now, wherever they are in the pipeline (their
        journey gives back what they hold and leaves the site)."""
        process = self.processes[victim]
        if process is not None and process.is_alive and not self._lost_pending[victim]:
            self._lost_pending[victim] = True
            process.interrupt("lost")

    # -- the run -----------------------------------------------------------------------------------
    def _admit(self, event) -> None:
        """Start the journeys of the people arriving now, after booking the next arrival instant.

        At time 0 (``event`` is the start event) that is whoever arrives at day 0; at the arrival alarm, the
        person it was set for and anyone after them whose arrival day is not later than now. This is the
        order of events a SimPy arrivals process gives (a timeout per arrival instant, then each person's
        process started at that instant, in order of arrival), without its extra events.
        """
        env = self.env
        now = env._now
        days = self._arrival_days
        first = self._next_arrival
        last = first if event is self._start else first + 1
        end = self._arrival_count
        while last < end and not days[last] > now:
            last += 1
        self._next_arrival = last
        if last < end:
            self._arrival.set_at(days[last])  # the drawn time itself (now + (t - now) may differ in the last bit)
        processes = self.processes
        if last == first + 1:  # the usual case, one person at this instant: no range (2% of the engine floor)
            journey = processes[first] = Journey(self, first)
            journey.start()
            return
        for victim in range(first, last):
            journey = processes[victim] = Journey(self, victim)
            journey.start()

    def run(self) -> None:
        env = self.env
        self._start = start = _Marker()  # the first arrivals are admitted at an urgent event at time 0
        start.callbacks.append(self._admit)
        env.schedule(start, URGENT)
        with collector_paused():
            env.run(until=self.scenario.horizon_days)
            self._release()

    def _release(self) -> None:
        """The run is over: cut the reference cycles of the runtime objects, so that a replication's memory
        goes as soon as its results are built, not at a later pass of the garbage collector (which would
        then walk tens of thousands of objects, in the middle of another replication)."""
        for process in self.processes:  # journeys still waiting at the horizon hold the world
            if process is not None:
                process.close()
        self.env.clear()  # pending timers hold their owners (teams, pools, departures), which hold the engine
        self._arrival.disarm()  # its callback is bound to the world
        for site in self.sites:
            site.clock = None  # the loss clock calls back into the world

    def team_end_day(self, team: str) -> float:
        """When a team's work is over: the last departure or loss of its people, if all are done and no
        more can come; else the horizon (officer-days are paid until then)."""
        horizon = self.scenario.horizon_days
        served = [i for i, n in enumerate(self.names) if self.scenario.team_of(n) == team]
        mask = np.isin(self.people.nationality, served)
        if self.scenario.arrivals.rate_per_day > 0 or not mask.any():
            return horizon if mask.any() or self.scenario.arrivals.rate_per_day > 0 else 0.0
        statuses = self.recorder.status[mask]
        if (statuses == 0).any():
            return horizon
        return float(np.nanmax(self.recorder.departed[mask]))

    def officer_days(self) -> float:
        total = 0.0
        for name, team in self.teams.items():
            end = self.team_end_day(name)
            for start, stop in team.intervals:
                total += max(0.0, min(stop, end, self.scenario.horizon_days) - start) * team.officers
        return total

    def returned_mask(self) -> np.ndarray:
        return self.recorder.status == RETURNED


def build_world(scenario: Scenario, people: People, streams: Streams, env: Engine | None = None) -> World:
    """Fresh runtime objects for one replication of ``scenario``, on ``env`` (a new :class:`Engine` by
    default; a ``simpy.Environment`` with a ``_boundary`` of minus infinity, ``_defer(time, event)`` and
    ``clear()`` gives the same run, which is how the engine is tested: see ``tests/test_engine.py``)."""
    return World(scenario, people, streams, env)


__all__ = ["World", "build_world"]
