"""Checks that are not errors: capacity warnings, and the settings in which a scenario departs from the defaults."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from sim.scenario.loading import plain, scenario_to_dict
from sim.scenario.schema import Scenario, Stage, Transport

__all__ = ["capacity_warnings", "non_default_keys"]


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


def capacity_warnings(scenario: Scenario) -> list[str]:
    """Warnings (not errors) where a stage or a transport cannot keep up with arrivals.

    Compares each server pool's long-run throughput (servers / mean service days, people per day) with
    the mean arrival rate over the horizon (people per day): below it, the queue can only grow.
    """
    horizon = scenario.horizon_days
    stream_days = min(scenario.arrivals.rate_until_day or horizon, horizon)
    wave_total = sum(w.count for w in scenario.arrivals.waves)
    total_rate = (wave_total + scenario.arrivals.rate_per_day * stream_days) / horizon
    nationalities = scenario.nationalities
    counted = all(v.count is not None for v in nationalities.values())

    def rate_of(name: str) -> float:
        nationality = nationalities[name]
        waves = (nationality.count or 0) if counted else wave_total * (nationality.share or 0.0)
        stream = scenario.arrivals.rate_per_day * stream_days * (nationality.share or 0.0)
        return (waves + stream) / horizon

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
            if capacity < rate:
                warnings.append(f"stages.{'+'.join(consular)}: the {team} team serves at most {capacity:.1f} "
                                f"people/day but its people arrive at {rate:.1f}/day on average over the horizon")
    for stage in scenario.pipeline:
        if stage == "transport" or stage in consular:
            continue
        config = scenario.stage_config(stage)
        capacity = _stage_throughput(scenario, stage, config.staff)  # type: ignore[union-attr]
        if stage == "crossing" and scenario.crossing.daily_capacity is not None:
            capacity = min(capacity, scenario.crossing.daily_capacity)
        if capacity < total_rate:
            warnings.append(f"stages.{stage}: serves at most {capacity:.1f} people/day but people arrive at "
                            f"{total_rate:.1f}/day on average over the horizon")
    if "transport" in scenario.pipeline:
        for name, nationality in nationalities.items():
            capacity = _transport_throughput(nationality.transport)
            if capacity < rate_of(name):
                warnings.append(f"nationalities.{name}.transport: carries at most {capacity:.1f} people/day "
                                f"but they arrive at {rate_of(name):.1f}/day on average over the horizon")
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
        Sites,
        Stages,
    )

    def dumped(model: BaseModel) -> dict[str, Any]:
        return plain(model.model_dump(by_alias=True, exclude_none=True))

    defaults = _flatten({
        "pipeline": list(DEFAULT_PIPELINE), "scenario": {"description": "", "seed": 0, "replications": 10},
        "arrivals": {"rate_per_day": 0.0},
        "sites": dumped(Sites()), "crossing": dumped(Crossing()), "stages": dumped(Stages()),
        "database": dumped(Database()), "nationality_defaults": dumped(NationalityDefaults()),
        "exposure": dumped(Exposure()), "costs": dumped(Costs()),
    })
    nationality_default = _flatten(dumped(Nationality()))
    data = scenario_to_dict(scenario)
    data.pop("sources", None)
    changed = []
    for key, value in _flatten(data).items():
        if key.startswith("nationalities."):
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
