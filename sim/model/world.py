"""The world of one replication: sites, teams, pools, funding, departures, and the people in them.

:func:`build_world` turns a frozen :class:`~sim.schema.Scenario` into fresh runtime objects (the
scenario is never written to); the :class:`World` keeps per-person state in flat lists indexed by
victim id and logs every change of occupancy into the :class:`~sim.recorder.Recorder`.
"""

from __future__ import annotations

import numpy as np
import simpy

from sim.distributions import is_zero, make_sampler
from sim.model.arrivals import People
from sim.model.consular import Funding, Team, never
from sim.model.exposure import LossClock
from sim.model.pipeline import HOLDING, SHELTER, Journeys, StagePlan
from sim.model.pools import VULNERABLE_RANK_SHIFT, ServerPool
from sim.model.sites import Site
from sim.model.transport import Departures
from sim.recorder import RETURNED, Recorder
from sim.schema import Scenario
from sim.streams import Streams

UNLIMITED_SERVERS = 1 << 40


class World:
    """Runtime state of one replication."""

    def __init__(self, scenario: Scenario, people: People, streams: Streams) -> None:
        self.scenario = scenario
        self.people = people
        self.streams = streams
        self.env = simpy.Environment()
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
        self._sequence = 0

        # consular teams (represented nationalities share their representative's team)
        self.team_names = [n for n in self.names if scenario.nationalities[n].consular.represented_by is None]
        self.teams: dict[str, Team] = {}
        for name in self.team_names:
            config = scenario.nationalities[name].consular
            self.teams[name] = Team(env, name, config.officers,
                                    make_sampler(config.deploy_delay, streams[f"consular.{name}.deploy_delay"]),
                                    config.on_site_days, config.off_site_days)
        self.team_index = {name: i for i, name in enumerate(self.team_names)}
        self.team_of_nationality = [self.teams[scenario.team_of(n)] for n in self.names]
        self.team_index_of_nationality = [self.team_index[scenario.team_of(n)] for n in self.names]
        connected_by_nationality = [scenario.is_connected(n) for n in self.names]
        self.connected = [connected_by_nationality[n] for n in self.nationality]

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

        # sites and where each stage happens
        exposure = scenario.exposure
        sampled = exposure.mode == "sampled"
        site_configs = (scenario.sites.holding, scenario.sites.shelter)
        self.sites = [
            Site(name, config.capacity, count, track_members=sampled and config.hazard_per_day > 0)
            for name, config in zip(("holding", "shelter"), site_configs)
        ]
        for site, config in zip(self.sites, site_configs):
            if site.members is not None:
                site.clock = LossClock(env, config.hazard_per_day, config.capacity, exposure.crowding_factor,
                                       exposure.limbo_growth, exposure.limbo_grace_days, people.arrived,
                                       site.members, streams[f"exposure.{site.name}"], self.lose)
        self.site_of = [HOLDING] * count

        self.plans = self._plan_stages()
        self.processes: list[simpy.Process | None] = [None] * count
        self.waiting_in: list = [None] * count
        self.serving: list = [None] * count
        self.boarding: list = [None] * count
        self._lost_pending = [False] * count
        self.journeys = Journeys(self)

    # -- planning ----------------------------------------------------------------------------------
    def _plan_stages(self) -> list[StagePlan]:
        scenario, env, streams = self.scenario, self.env, self.streams
        pipeline = [s for s in scenario.pipeline]
        crossing_at = pipeline.index("crossing") if "crossing" in pipeline else len(pipeline)
        remote_stages = set(scenario.database.remote_stages)
        plans = []
        for index, name in enumerate(pipeline):
            plan = StagePlan(name, index, HOLDING if index <= crossing_at else SHELTER)
            plans.append(plan)
            if name == "transport":
                continue
            config = scenario.stage_config(name)
            plan.duration = make_sampler(config.duration, streams[f"stage.{name}.duration"])
            if config.duration_with_database is not None:
                plan.duration_db = make_sampler(config.duration_with_database,
                                                streams[f"stage.{name}.duration_with_database"])
            plan.remote = name in remote_stages
            if name == "identity":
                plan.records = make_sampler(config.records_delay, streams["stage.identity.records_delay"])
                plan.records_db = make_sampler(config.records_delay_with_database,
                                               streams["stage.identity.records_delay_with_database"])
            if name == "screening":
                plan.policy = config.policy
                plan.threshold = config.backlog_threshold or 0
            plan.presence = name == "health" and config.requires_consular_presence
            if config.servers == "consular":
                plan.consular = True
                continue
            gated = plan.presence or (name == "crossing" and self.travel_arranged)
            plan.team_gated = gated
            servers = UNLIMITED_SERVERS if config.staff == "unlimited" else config.staff
            daily_cap = scenario.crossing.daily_capacity if name == "crossing" else None
            zero = is_zero(config.duration) and (config.duration_with_database is None
                                                 or is_zero(config.duration_with_database))
            if zero and not gated and daily_cap is None:
                continue  # takes no time and no one: no pool, no events
            if servers == UNLIMITED_SERVERS and not gated and daily_cap is None:
                continue
            groups = len(self.team_names) + 1 if gated else 1
            plan.pool = ServerPool(env, servers, groups=groups, daily_cap=daily_cap, name=name)
            if gated:
                for team_name, team in self.teams.items():
                    team.add_gate(plan.pool, self.team_index[team_name])
        return plans

    # -- small accessors used by the journeys ------------------------------------------------------
    def priority_key(self, victim: int) -> int:
        """Vulnerable first, then first come first served (a fresh sequence number per request)."""
        self._sequence += 1
        return self._sequence if self.vulnerable[victim] else self._sequence + VULNERABLE_RANK_SHIFT

    def team_of_victim(self, victim: int) -> Team:
        return self.team_of_nationality[self.nationality[victim]]

    def team_index_of_victim(self, victim: int) -> int:
        return self.team_index_of_nationality[self.nationality[victim]]

    def ungated_group(self, plan: StagePlan) -> int:
        return len(self.team_names) if plan.team_gated else 0

    def funding_of_victim(self, victim: int) -> Funding:
        return self.funding[self.nationality[victim]]

    def departures_of_victim(self, victim: int) -> Departures | None:
        return self.departures[self.nationality[victim]]

    def booking_delay_of_victim(self, victim: int):
        return self.booking_delays[self.nationality[victim]]

    def site_count(self, site: int) -> int:
        return self.sites[site].count

    # -- movements ---------------------------------------------------------------------------------
    def arrive(self, victim: int) -> None:
        now = self.env.now
        self.recorder.arrived[victim] = now
        self.sites[HOLDING].enter(victim)
        self._log()
        nationality = self.nationality[victim]
        self.team_of_nationality[nationality].first_arrival()
        self.funding[nationality].first_arrival()

    def cross(self, victim: int) -> None:
        self.sites[HOLDING].leave(victim)
        self.sites[SHELTER].enter(victim)
        self.site_of[victim] = SHELTER
        self.recorder.crossed[victim] = self.env.now
        self._log()

    def leave_site(self, victim: int, status: int) -> None:
        self.sites[self.site_of[victim]].leave(victim)
        self.recorder.departed[victim] = self.env.now
        self.recorder.status[victim] = status
        self._log()

    def _log(self) -> None:
        self.recorder.log_occupancy(self.env.now, self.sites[HOLDING].count, self.sites[SHELTER].count)

    def lose(self, victim: int) -> None:
        """Called by a site's loss clock: the person is lost now, wherever they are in the pipeline."""
        process = self.processes[victim]
        if process is not None and process.is_alive and not self._lost_pending[victim]:
            self._lost_pending[victim] = True
            process.interrupt("lost")

    def clean_up_lost(self, victim: int) -> None:
        """Give back whatever the lost person held: a queue place, a server, a seat."""
        waiting = self.waiting_in[victim]
        if waiting is not None:
            pool, key, event = waiting
            pool.cancel(key, event)
            self.waiting_in[victim] = None
        serving = self.serving[victim]
        if serving is not None:
            serving.release()
            self.serving[victim] = None
        boarding = self.boarding[victim]
        if boarding is not None:
            departures, key, event = boarding
            departures.cancel(key, event)
            self.boarding[victim] = None

    # -- the run -----------------------------------------------------------------------------------
    def _arrivals(self):
        env = self.env
        journey = self.journeys.journey
        processes = self.processes
        for victim, day in enumerate(self.people.arrived.tolist()):
            if day > env.now:
                yield env.timeout(day - env.now)
            processes[victim] = env.process(journey(victim))

    def run(self) -> None:
        self.env.process(self._arrivals())
        self.env.run(until=self.scenario.horizon_days)

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


def build_world(scenario: Scenario, people: People, streams: Streams) -> World:
    """Fresh runtime objects for one replication of ``scenario``."""
    return World(scenario, people, streams)


__all__ = ["World", "build_world"]
