"""Checks that are not errors: capacity warnings, and the settings in which a scenario departs from the defaults."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from sim.scenario.loading import plain, scenario_to_dict
from sim.scenario.schema import IdentityStage, Scenario, Stage, Transport
from sim.scenario.sites import team_site_warnings

__all__ = ["capacity_warnings", "empty_output_warnings", "non_default_keys", "scenario_warnings"]


def _stage_throughput(scenario: Scenario, stage: str, servers: int | str) -> float:
    config = scenario.stage_config(stage)
    mean = config.duration.mean()  # type: ignore[union-attr]
    if servers == "unlimited" or mean == 0:
        return math.inf
    return float(servers) / mean


def _transport_throughput(transport: Transport) -> float:
    if transport.mode == "commercial":
        return math.inf
    assert transport.seats is not None and transport.interval is not None
    if transport.mode == "overland":
        return transport.seats / transport.interval
    return transport.seats * transport.max_per_day if transport.max_per_day else math.inf


def peak_arrival_rate(scenario: Scenario) -> tuple[float, float, float]:
    """The highest arrival rate (people per day) of the scenario and the days it lasts: ``(rate, start,
    end)``. A wave brings ``count / spread_days`` a day over its spread (a release within a day: its count
    that day); overlapping waves and the Poisson stream add up."""
    horizon = scenario.horizon_days
    pieces = [(w.day, w.day + max(w.spread_days, 1.0), w.count / max(w.spread_days, 1.0))
              for w in scenario.arrivals.waves]
    if scenario.arrivals.rate_per_day > 0:
        pieces.append((0.0, min(scenario.arrivals.rate_until_day or horizon, horizon), scenario.arrivals.rate_per_day))
    times = sorted({t for start, end, _ in pieces for t in (start, end)})
    best = (0.0, 0.0, 0.0)
    for start, end in zip(times, times[1:]):
        rate = sum(r for a, b, r in pieces if a <= start and end <= b)
        if rate > best[0]:
            best = (rate, start, end)
    return best


def capacity_warnings(scenario: Scenario) -> list[str]:
    """Warnings (not errors) where a stage, a holding site's release pace (against the releases into the
    site, nationalities held elsewhere aside) or a transport cannot keep up with arrivals.

    Compares each server pool's throughput (servers / mean service days, people per day) with the
    arrivals: with their mean rate over the horizon (below it, the queue can only grow), else with the
    peak rate of the waves (below it, a queue builds while the wave lasts; the warning says about how
    long it is by then).
    """
    horizon = scenario.horizon_days
    stream_days = min(scenario.arrivals.rate_until_day or horizon, horizon)
    wave_total = sum(w.count for w in scenario.arrivals.waves)
    total_rate = (wave_total + scenario.arrivals.rate_per_day * stream_days) / horizon
    peak, peak_start, peak_end = peak_arrival_rate(scenario)
    nationalities = scenario.nationalities
    counted = all(v.count is not None for v in nationalities.values())

    def rate_of(name: str) -> float:
        nationality = nationalities[name]
        waves = (nationality.count or 0) if counted else wave_total * (nationality.share or 0.0)
        stream = scenario.arrivals.rate_per_day * stream_days * (nationality.share or 0.0)
        return (waves + stream) / horizon

    def shortfall(capacity: float, average: float, what: str) -> str | None:
        """How arrivals at ``average`` a day over the horizon (``peak * average / total_rate`` at the peak)
        overwhelm ``capacity``; None when they do not."""
        if capacity < average:
            return f"{what} {capacity:.1f} people/day but they arrive at {average:.1f}/day on average over the horizon"
        top = peak * average / total_rate if total_rate else 0.0
        if capacity < top:
            backlog = (top - capacity) * (peak_end - peak_start)
            return (f"{what} {capacity:.1f} people/day but the waves bring {top:.1f}/day from day {peak_start:g} "
                    f"to day {peak_end:g}: a queue of about {backlog:,.0f} people builds by then")
        return None

    warnings = []
    stages = {s: config for s in scenario.pipeline if isinstance(config := scenario.stage_config(s), Stage)}
    consular = [s for s, config in stages.items() if config.servers == "consular"]
    if consular:  # one pool per team, shared by every consular stage
        work = sum(stages[s].duration.mean() for s in consular)  # officer-days per person
        teams: dict[str, float] = {}
        for name in nationalities:
            teams[scenario.team_of(name)] = teams.get(scenario.team_of(name), 0.0) + rate_of(name)
        for team, rate in teams.items():
            capacity = nationalities[team].consular.officers / work if work else math.inf
            problem = shortfall(capacity, rate, f"the {team} team serves at most")
            if problem:
                warnings.append(f"stages.{'+'.join(consular)}: {problem}")
    pipeline = list(scenario.pipeline)
    crossing_at = pipeline.index("crossing") if "crossing" in pipeline else len(pipeline)
    for stage in scenario.pipeline:
        if stage == "transport" or stage in consular:
            continue
        config = scenario.stage_config(stage)
        # its staff at each site of the side of the border where it happens
        sites = len(scenario.sites_of_kind("holding" if pipeline.index(stage) < crossing_at else "shelter"))
        capacity = sites * _stage_throughput(scenario, stage, config.staff)  # type: ignore[union-attr]
        if stage == "crossing":  # every crossing, each under its own cap and with its own staff
            capacity = 0.0
            for crossing in scenario.crossings.values():
                staff = crossing.staff or config.staff  # type: ignore[union-attr]
                cap = float(crossing.daily_capacity) if crossing.daily_capacity is not None else math.inf
                capacity += min(_stage_throughput(scenario, stage, staff), cap)
        problem = shortfall(capacity, total_rate, "serves at most")
        if problem:
            warnings.append(f"stages.{stage}: {problem}")
    if "crossing" in scenario.pipeline:  # a holding site's release pace against the releases into it
        first = scenario.sites_of_kind("holding")[0]
        for name in scenario.sites_of_kind("holding"):
            pace = scenario.sites[name].release_per_day
            if pace is None:
                continue
            released = float(sum(w.count for w in scenario.arrivals.waves if (w.site or first) == name))
            if (scenario.arrivals.site or first) == name:
                released += scenario.arrivals.rate_per_day * stream_days
            problem = shortfall(float(pace), released / horizon, "releases at most")
            if problem:
                warnings.append(f"sites.{name}.release_per_day: {problem}")
    if "transport" in scenario.pipeline:
        for name, nationality in nationalities.items():
            problem = shortfall(_transport_throughput(nationality.transport), rate_of(name), "carries at most")
            if problem:
                warnings.append(f"nationalities.{name}.transport: {problem}")
    return warnings


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Every warning about a valid scenario: outputs it leaves empty, teams missing from sites where their
    people need them, then capacity."""
    return empty_output_warnings(scenario) + team_site_warnings(scenario) + capacity_warnings(scenario)


def empty_output_warnings(scenario: Scenario) -> list[str]:
    """Warnings (not errors) for a scenario that runs but leaves whole outputs at zero, because nothing in
    it sets what they measure: no stage takes time, no cost is set, no re-trafficking hazard is set."""
    warnings = []
    configs = [config for stage in scenario.pipeline if isinstance(config := scenario.stage_config(stage), Stage)]
    takes_time = any(config.duration.mean() > 0 for config in configs) or any(
        config.records_delay.mean() > 0 for config in configs if isinstance(config, IdentityStage))
    transport = [n.transport for n in scenario.nationalities.values()] if "transport" in scenario.pipeline else []
    moves = any(t.mode != "commercial" or t.booking_delay.mean() > 0 for t in transport)
    delays = any(n.consular.deploy_delay.mean() > 0 or n.funding.mode == "appeal"
                 for n in scenario.nationalities.values())
    if not (takes_time or moves or delays):
        warnings.append("stages: no stage, team, appeal or transport takes any time (every duration is 0), so "
                        "every wait will be 0 days; set [stages.NAME] durations")
    sites = list(scenario.sites.values())
    costs = scenario.costs
    nationalities = scenario.nationalities.values()
    if not (any(site.cost_per_person_day for site in sites) or any(costs.model_dump().values())
            or scenario.reintegration.cost_per_person
            or any(n.consular.standby_cost for n in nationalities)
            or any(t.cost_per_seat or t.cost_per_trip for t in (n.transport for n in nationalities))):
        warnings.append("costs: no cost is set (sites' cost_per_person_day, [costs], transport costs), so every "
                        "cost output will be 0")
    exposure = scenario.exposure
    if not (any(site.hazard_per_day for site in sites) or exposure.after_return_screened
            or exposure.after_return_unscreened):
        warnings.append("exposure: no re-trafficking hazard is set (sites' hazard_per_day, [exposure] "
                        "after_return_*), so every re-trafficking output will be 0")
    return warnings


# ---------------------------------------------------------------------------------- what differs


def _flatten(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted leaf keys of plain scenario data; a distribution table or a list is one leaf."""
    flat: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and "dist" not in value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def non_default_keys(scenario: Scenario) -> list[str]:
    """Dotted keys whose resolved value differs from the schema's default (what the scenario assumes).

    Keys with no default (the scenario's name, horizon, arrivals, nationality counts) are always listed.
    """
    from sim.scenario.schema import (
        DEFAULT_PIPELINE,
        Costs,
        Crossing,
        Database,
        Exposure,
        Nationality,
        NationalityDefaults,
        Reintegration,
        Routing,
        ScenarioMeta,
        Site,
        Stages,
    )

    def dumped(model: BaseModel) -> dict[str, Any]:
        return plain(model.model_dump(by_alias=True, exclude_none=True))

    defaults = _flatten({
        "pipeline": list(DEFAULT_PIPELINE),
        "scenario": {"description": "", "seed": 0, "replications": 10,
                     "currency": ScenarioMeta.model_fields["currency"].default},
        "arrivals": {"rate_per_day": 0.0},
        "crossing": dumped(Crossing()), "stages": dumped(Stages()), "routing": dumped(Routing()),
        "database": dumped(Database()), "nationality_defaults": dumped(NationalityDefaults()),
        "exposure": dumped(Exposure()), "costs": dumped(Costs()), "reintegration": dumped(Reintegration()),
    })
    nationality_default = _flatten(dumped(Nationality()))
    site_default = _flatten(dumped(Site(kind="holding")))
    crossing_default = _flatten(dumped(scenario.crossing))
    data = scenario_to_dict(scenario)
    data.pop("sources", None)
    changed = []
    for key, value in _flatten(data).items():
        if key.startswith(("sites.", "crossings.")):
            table, name, sub = key.split(".", 2)
            if table == "sites":  # a site named by its kind needs no kind; other keys against a bare site
                default = name if sub == "kind" else site_default.get(sub)
                missing = sub != "kind" and sub not in site_default
            else:  # what a crossing inherits from [crossing] is listed there; its ends, when it has a choice
                if sub in ("holding", "shelter"):
                    missing, default = len(scenario.sites_of_kind(sub)) > 1, value
                else:
                    missing, default = sub not in crossing_default, crossing_default.get(sub)
        elif key.startswith("nationalities."):
            name = next(n for n in scenario.nationalities if key.startswith(f"nationalities.{n}."))
            sub = key[len(f"nationalities.{name}."):]
            missing = sub not in nationality_default
            default = nationality_default.get(sub)
        else:
            missing = key not in defaults
            default = defaults.get(key)
        if missing or value != default:
            changed.append(key)
    return changed
