"""The repatriation model: one replication of a scenario as a SimPy discrete-event simulation.

The model runs on ``simpy.Environment``. Each person is one generator process
(:func:`~sim.model.pipeline.journey`) that goes through the stages of the pipeline, each stage a
registered generator function (:mod:`sim.model.stages`, :mod:`sim.scenario.registry`); consular teams' deployments
and funding appeals are processes too. Staff pools, departures and the daily border cap are SimPy-style
resources (:mod:`sim.model.resources`, :mod:`sim.model.transport`).

Owns the run of one replication (people, world, processes, exposure, named random streams, the recorder)
and its flat result tables. Imports only ``sim.scenario`` (and simpy, numpy, pandas): it knows nothing of
files, metrics, plotting or executors.

Model time is in days. :func:`run_replication` draws the people (arrivals, nationalities, flags),
builds a fresh :class:`~sim.model.world.World`, runs it to the horizon and returns flat tables
(``victims``, ``stages``, ``occupancy``) plus totals that need the runtime objects (costs by item,
overcrowding). The model knows nothing of files, plotting or executors.

Modelling choices (a planner's reading):

- A consular team mobilises at the first arrival of any nationality it serves and deploys
  ``deploy_delay`` days later; an appeal likewise starts at the nationality's first arrival.
- Under ``travel_arranged`` the crossing needs the person's team physically on site with its return
  guarantee accepted (a database does not replace officials at the border) and the nationality funded;
  people with no ticket money never cross. Unless the shelter may overflow, a person crosses only into a
  free place, held until they leave.
- ``remote_stages`` of a connected nationality are worked by its home desk (officers at home, apart from
  the deployed team), from ``home_desk_delay`` days after its first arrival.
- In the shelter, whoever is still queued for screening when ``max_stay`` runs out moves on unscreened.
- People with no ticket money (``unfunded_share`` under an appeal) wait until the horizon: ``waiting``.
- Officer-days are paid while a team is on site, until its last person has left (or the horizon).
- The exposure of a person is integrated over their whole stay (holding, then shelter), up to their
  departure, their loss or the horizon. ``p_lost`` is 1 - exp(-hazard) in ``expected`` mode and the
  hazard itself in ``sampled`` mode (the expected number of losses on the path taken). After-return risk
  and costs per person: :mod:`sim.model.accounts`.
- People whose arrival time falls at or after the horizon are not part of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.model import accounts
from sim.model import stages as _stages  # noqa: F401  (registers the built-in stage kinds and policies)
from sim.model.arrivals import People, generate_people
from sim.model.exposure import SiteIntegrals, stay_hazard
from sim.model.gcpause import collector_paused
from sim.model.recorder import RETURNED, STATUS_NAMES, WAITING
from sim.model.streams import Streams
from sim.model.world import World, build_world
from sim.scenario.schema import Scenario

__all__ = ["ReplicationResult", "People", "World", "build_world", "generate_people", "run_replication"]


@dataclass
class ReplicationResult:
    """Tables and totals of one replication (times in days)."""

    replication: int
    victims: pd.DataFrame
    stages: pd.DataFrame
    occupancy: pd.DataFrame
    totals: dict[str, float]
    team_on_site: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    departures: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    crossings_per_day: dict[int, int] = field(default_factory=dict)
    departure_table: pd.DataFrame = field(default_factory=pd.DataFrame)  # see departures_table
    # per site (person_days, overcrowded_person_days, peak) and per crossing (most_in_a_day), by name
    site_totals: dict[str, dict[str, float]] = field(default_factory=dict)


def run_replication(scenario: Scenario, replication: int, seed: int | None = None,
                    stages_table: bool = True, occupancy_table: bool = True) -> ReplicationResult:
    """Run replication ``replication`` of ``scenario``.

    Args:
        scenario: a validated scenario.
        replication: the replication index; with the seed it names every random stream.
        seed: base seed (default: ``scenario.scenario.seed``).
        stages_table: build the per-stage table (skip it when only metrics are needed).
        occupancy_table: build the occupancy table (no metric reads it: skip it when the tables are not
            kept; the totals, peaks included, come from the occupancy log either way).
    """
    seed = scenario.scenario.seed if seed is None else seed
    with collector_paused():  # see sim.model.gcpause
        streams = Streams(seed, replication)
        people = generate_people(scenario, streams)
        world = build_world(scenario, people, streams)
        world.run()
        return _results(world, replication, stages_table, occupancy_table)


def _results(world: World, replication: int, stages_table: bool, occupancy_table: bool = True) -> ReplicationResult:
    scenario, recorder, people = world.scenario, world.recorder, world.people
    horizon = scenario.horizon_days
    exposure = scenario.exposure
    end = np.where(np.isnan(recorder.departed), horizon, recorder.departed)
    crossed = recorder.crossed
    holding_end = np.where(np.isnan(crossed), end, crossed)
    grace_ends = recorder.arrived + exposure.limbo_grace_days

    days, counts = recorder.occupancy_log()
    # where each stamp is in the log (the horizon is the row after it): the exposure needs no search
    arrival_row, crossing_row, departure_row = recorder.log_rows()
    end_row = np.where(departure_row < 0, len(days), departure_row)
    holding_end_row = np.where(crossing_row < 0, end_row, crossing_row)
    # the state after all changes at one instant (as in the occupancy table): someone who arrives and
    # leaves at the same instant never counts towards a peak
    settled = np.append(days[1:] != days[:-1], True)
    totals: dict[str, float] = {}
    hazard = np.zeros(len(people))
    segment = np.diff(np.append(days, horizon))
    # a person's stay at their holding site (arrival to crossing or end), then at their shelter
    stays = {"holding": (recorder.holding_site, recorder.arrived, holding_end, arrival_row, holding_end_row),
             "shelter": (recorder.shelter_site, crossed, end, crossing_row, end_row)}
    site_days = {kind: np.where(np.isnan(start), 0.0, np.maximum(stop - start, 0.0))
                 for kind, (_, start, stop, _, _) in stays.items()}
    site_totals: dict[str, dict[str, float]] = {}
    for column, (name, config) in enumerate(scenario.sites.items()):
        site, start, stop, start_rows, stop_rows = stays[str(config.kind)]
        occupancy = counts[column]
        here = np.flatnonzero(site == column)
        if config.hazard_per_day and len(here):  # else no stay adds any hazard
            integrals = SiteIntegrals(np.append(days, horizon), np.append(occupancy, occupancy[-1]),
                                      config.capacity, exposure.crowding_factor)
            hazard[here] += stay_hazard(integrals, config.hazard_per_day, start[here], stop[here],
                                        grace_ends[here], exposure.limbo_growth, start_rows[here], stop_rows[here])
        over = 0.0 if config.capacity is None else float(np.sum(np.maximum(occupancy - config.capacity, 0) * segment))
        site_totals[name] = {"person_days": float(np.sum(occupancy * segment)), "overcrowded_person_days": over,
                             "peak": float(occupancy[settled].max()) if len(occupancy) else 0.0}
    for kind in ("holding", "shelter"):  # every site of a kind together
        of_kind = [column for column, site in enumerate(scenario.sites.values()) if site.kind == kind]
        together = counts[of_kind[0]] if len(of_kind) == 1 else counts[of_kind].sum(axis=0)
        totals[f"person_days_{kind}"] = sum(site_totals[n]["person_days"] for n in scenario.sites_of_kind(kind))
        totals[f"overcrowded_person_days_{kind}"] = sum(site_totals[n]["overcrowded_person_days"]
                                                       for n in scenario.sites_of_kind(kind))
        totals[f"peak_{kind}"] = float(together[settled].max()) if len(together) else 0.0

    # expected losses while waiting. In expected mode, the probability of being lost over the whole wait.
    # In sampled mode the wait of a lost person ends at the loss, so 1 - exp(-H) of the path taken would
    # undercount; its cumulative hazard H is the expected number of losses on that path (the compensator
    # of the loss process), whose sum over people is an unbiased estimate of the sampled losses.
    p_lost = -np.expm1(-hazard) if exposure.mode == "expected" else hazard
    status = recorder.status
    returned, still_waiting = status == RETURNED, status == WAITING
    screened = recorder.screened
    referred = accounts.referrals(world, screened, returned)
    risk = accounts.after_return_risk(world, screened, referred)
    if exposure.mode == "expected":
        risk = risk * (1.0 - p_lost)
    p_after = np.where(returned, risk, 0.0)
    p_still_waiting = np.where(still_waiting, risk, 0.0)

    health = world.stage_index.get("health")
    checked = ~np.isnan(recorder.finished[health]) if health is not None else np.zeros(len(people), dtype=bool)
    items, unattributed = accounts.person_costs(world, site_days, screened, referred, checked)
    for item in accounts.COST_ITEMS:
        totals[f"cost_{item}"] = float(items[item].sum()) + unattributed[item]
    person_cost = np.sum([items[item] for item in accounts.COST_ITEMS], axis=0) if len(people) else np.zeros(0)
    totals["officer_days"] = accounts.officer_days(world)
    totals["health_checks"] = float(world.health_checks)
    totals["horizon_days"] = float(horizon)

    # the frame takes these arrays as they are (copy=False: no consolidated copy); they were built here or
    # belong to this replication's people and recorder, which end with it
    victims = pd.DataFrame({
        "replication": np.full(len(people), replication, dtype=np.int32),
        "victim_id": np.arange(len(people), dtype=np.int32),
        "nationality": _labels(world.names, people.nationality) if len(people) else np.empty(0, dtype=object),
        "vulnerable": people.vulnerable,
        "arrived": recorder.arrived,
        "crossed": recorder.crossed,
        "departed": recorder.departed,
        "status": _labels(STATUS_NAMES, recorder.status),
        "holding_site": _labels(world.site_names, recorder.holding_site) if len(people) else np.empty(0, dtype=object),
        "crossing": _labels([*(c.name for c in world.crossings), None], recorder.crossing),
        "shelter_site": _labels([*world.site_names, None], recorder.shelter_site),
        "holding_days": site_days["holding"],
        "shelter_days": site_days["shelter"],
        "screened": screened,
        "referred": referred,
        "hazard": hazard,
        "p_lost": p_lost,
        "p_retrafficked_after_return": p_after,
        "p_retrafficked_still_waiting": p_still_waiting,
        "cost": person_cost,
    }, copy=False)
    stages = recorder.stage_frame(replication) if stages_table else pd.DataFrame()
    per_day: dict[int, int] = {}  # border checks started per day, at every crossing with a daily cap
    crossed_day = np.floor(crossed[recorder.crossing >= 0]).astype(np.int64)
    by_crossing = recorder.crossing[recorder.crossing >= 0]
    for crossing in world.crossings:
        days = crossed_day[by_crossing == crossing.index]  # the most people who crossed by it in a day
        site_totals[crossing.name] = {"most_in_a_day": float(np.bincount(days).max()) if len(days) else 0.0}
        started = crossing.pool.started_per_day if crossing.pool is not None else None
        for day, count in (started or {}).items():
            per_day[day] = per_day.get(day, 0) + count
    return ReplicationResult(
        replication=replication,
        victims=victims,
        stages=stages,
        occupancy=recorder.occupancy_frame(replication, horizon) if occupancy_table else pd.DataFrame(),
        totals=totals,
        team_on_site={name: [(a, b) for a, b in team.intervals] for name, team in world.teams.items()},
        departures={name: list(d.departure_log) for name, d in zip(world.names, world.departures) if d},
        crossings_per_day=per_day,
        site_totals=site_totals,
        departure_table=departures_table(world, replication),
    )


def departures_table(world: World, replication: int) -> pd.DataFrame:
    """The departures table of a run (``departures.parquet``): one row per charter flight or bus that left,
    in order of time: ``replication``, ``mode``, ``nationality``, ``time`` (days), ``seats``, ``load`` (people
    aboard) and ``cost`` (``cost_per_trip`` + ``load`` x ``cost_per_seat``)."""
    rows = []
    for name, departures in zip(world.names, world.departures):
        if departures is not None:
            transport = world.scenario.nationalities[name].transport
            rows += [(time, departures.mode, name, departures.seats, load,
                      transport.cost_per_trip + load * transport.cost_per_seat)
                     for time, load in departures.departure_log]
    rows.sort(key=lambda row: row[0])  # stable: at one time, in the order of the nationalities
    times, modes, names, seats, loads, costs = zip(*rows) if rows else ((),) * 6
    return pd.DataFrame({
        "replication": np.full(len(rows), replication, dtype=np.int32),
        "mode": np.array(modes, dtype=object),
        "nationality": np.array(names, dtype=object),
        "time": np.array(times, dtype=np.float64),
        "seats": np.array(seats, dtype=np.int32),
        "load": np.array(loads, dtype=np.int32),
        "cost": np.array(costs, dtype=np.float64),
    })


def _labels(names, codes: np.ndarray):
    """The column of ``names[codes]``, built by taking from the few names (with the dtype pandas gives
    them) instead of converting one Python string per row."""
    return pd.Series(np.asarray(names, dtype=object)).array.take(codes)
