"""Every key of the schema means something: changed on its own, it changes the output, or it is refused.

The schema is walked (not listed by hand), so a key added later is tested too. Each key is changed in a
small scenario in which every mechanism is active (a shelter that fills, a stay limit, rotations, return
guarantees, a shared database with home desks, charters, buses and commercial flights, appeals, losses,
reintegration, every cost), one replication is run, and its tables are compared with the unchanged run.
Keys that only label the output are listed in ``LABELS`` with the reason; nothing else may be exempt.
"""

from __future__ import annotations

import copy
from typing import Any, get_args, get_origin

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from sim.model import run_replication
from sim.scenario import ScenarioError, scenario_from_dict
from sim.scenario.distributions import DIST_CLASSES
from sim.scenario.schema import STAGE_NAMES, Scenario, Stages

NATIONALITY = {
    # A: charter, pre-agreed, connected, safe fund, held at holding; B: buses, ad hoc team that rotates and
    # moves between sites, appeal; C: commercial, ad hoc team split over the sites, appeal with people who
    # cannot pay, only into the shelter
    "A": {"share": 0.4, "vulnerable": 0.3, "connected": True, "holding_site": "holding",
          "consular": {"mode": "pre_agreed", "officers": 2, "deploy_delay": 1.0},
          "funding": {"mode": "safe_fund"},
          "transport": {"mode": "charter", "seats": 8, "min_load": 2, "interval": 1.0, "lead_time": 0.5,
                        "max_per_day": 1, "max_wait": 1.5, "booking_delay": 0.25, "cost_per_seat": 10.0,
                        "cost_per_trip": 900.0},
          "after_return_screened": 0.04, "after_return_unscreened": 0.2},
    "B": {"share": 0.35, "vulnerable": 0.2,
          "consular": {"mode": "ad_hoc", "officers": 2, "deploy_delay": {"dist": "uniform", "min": 2.0, "max": 6.0},
                       "guarantee_delay": 1.0, "standby_cost": 100.0, "on_site_days": 2.0, "off_site_days": 2.0,
                       "sites": ["holding", "camp", "shelter", "annex"], "deployment": "one_at_a_time",
                       "move_days": 0.5},
          "funding": {"mode": "appeal", "appeal_delay": 4.0},
          "transport": {"mode": "overland", "seats": 12, "min_load": 2, "interval": 0.5, "lead_time": 0.25,
                        "max_wait": 1.0, "booking_delay": 0.25, "cost_per_seat": 50.0, "cost_per_trip": 300.0}},
    "C": {"share": 0.25, "vulnerable": 0.1, "shelter_site": "shelter",
          "consular": {"mode": "ad_hoc", "officers": 4, "deploy_delay": 3.0, "deployment": "split"},
          "funding": {"mode": "appeal", "appeal_delay": {"dist": "uniform", "min": 3.0, "max": 8.0},
                      "unfunded_share": 0.2},
          "transport": {"mode": "commercial", "booking_delay": 0.5, "cost_per_seat": 700.0}},
}
BASE: dict[str, Any] = {
    "pipeline": list(STAGE_NAMES),
    "scenario": {"name": "every key", "horizon_days": 45.0, "seed": 3},
    "arrivals": {"waves": [{"day": 0.0, "count": 150, "spread_days": 4.0},
                           {"day": 1.0, "count": 40, "spread_days": 2.0, "site": "camp"}],
                 "rate_per_day": 3.0, "rate_until_day": 30.0, "site": "holding"},
    # a network: two holding sites, two shelters, three crossings (two from holding), the shortest queue
    "sites": {"holding": {"capacity": 80, "hazard_per_day": 0.01, "cost_per_person_day": 4.0},
              "camp": {"kind": "holding", "capacity": 30, "hazard_per_day": 0.02, "cost_per_person_day": 3.0,
                       "release_per_day": 3, "release_changes": [{"day": 6.0, "per_day": 1}]},
              "shelter": {"capacity": 15, "hazard_per_day": 0.004, "cost_per_person_day": 10.0,
                          "overflow": False, "max_stay": 1.0},
              "annex": {"kind": "shelter", "capacity": 6, "hazard_per_day": 0.002, "cost_per_person_day": 12.0,
                        "max_stay": 0.25}},
    "crossing": {"holding": "holding", "shelter": "shelter", "daily_capacity": 8, "admission": "travel_arranged",
                 "capacity_changes": [{"day": 12.0, "daily_capacity": 5}],
                 "closures": [{"from_day": 3.0, "until_day": 20.0, "nationalities": ["C"]}]},
    "crossings": {"bridge": {},  # all it has is [crossing]'s
                  "ford": {"holding": "holding", "shelter": "annex", "daily_capacity": 3, "staff": 1,
                           "travel_days": 0.5, "capacity_changes": [{"day": 8.0, "daily_capacity": 2}],
                           "closures": [{"from_day": 4.0, "until_day": 12.0, "open_to": ["A"]}]},
                  "path": {"holding": "camp", "shelter": "shelter", "admission": "open"}},
    "routing": {"policy": "shortest_queue"},
    "stages": {
        "registration": {"servers": "holding", "staff": 1, "duration": 0.05},
        "identity": {"duration": 0.05, "duration_with_database": 0.02, "records_delay": 2.0,
                     "records_delay_with_database": 0.5},
        "crossing": {"staff": 2, "duration": 0.01},
        "health": {"staff": 1, "duration": 0.25, "duration_with_database": 0.02, "requires_consular_presence": True},
        "screening": {"staff": 1, "duration": 0.2, "policy": "full"},
        "documents": {"duration": 0.04, "duration_with_database": 0.01},
    },
    "database": {"shared": False, "remote_stages": ["identity", "health", "documents"], "home_desk_delay": 2.0,
                 "home_desk_officers": 1},
    "nationality_defaults": {"vulnerable": 0.1},
    "nationalities": NATIONALITY,
    "exposure": {"mode": "sampled", "crowding_factor": 1.0, "limbo_growth": 1.0, "limbo_grace_days": 5.0,
                 "after_return_screened": 0.05, "after_return_unscreened": 0.15, "vulnerable_risk_factor": 1.5},
    "reintegration": {"referred_share": 0.5, "risk_reduction": 0.4, "cost_per_person": 1000.0},
    "costs": {"per_officer_day": 200.0, "per_health_check": 20.0, "per_screening_team_day": 300.0,
              "database_setup": 5000.0, "database_per_case": 15.0, "safe_fund_admin_share": 0.07},
}

LABELS = {
    "scenario.name": "names the run in tables and the report",
    "scenario.description": "shown in the report",
    "scenario.start_date": "labels days with dates in the report",
    "scenario.currency": "the unit costs are reported in",
    "scenario.replications": "how many replications a command runs when -r is not given (one is run here)",
    "scenario.observed": "names the reported figures the record compares with",
    "sources": "provenance notes shown beside the values",
    "ranges": "how far assumed numbers might be off, read by compare --robustness (tests/test_robustness.py)",
    "stages.NAME.kind": "a custom stage's code (tested in tests/test_extending.py)",
    "stages.NAME.options": "settings an extension's stage kind reads (tested in tests/test_extending.py)",
    "nationalities.NAME.count": "who arrives (changing one count shifts the whole mix; tested by the arrivals tests)",
    "nationalities.NAME.share": "who arrives when counts are not given (refused beside counts; arrivals tests)",
    "nationalities.NAME.consular.represented_by": "which team serves a nationality (tests/test_model_mechanics.py)",
}
"""Keys that do not enter the model, or are tested on their own elsewhere, with the reason."""

# the one nationality (or stage) whose key is changed, where the key's effect needs a particular one
WHERE = {"transport.seats": "A", "transport.min_load": "A", "transport.interval": "B", "transport.lead_time": "A",
         "transport.max_per_day": "A", "transport.max_wait": "B", "transport.cost_per_trip": "A",
         "consular.sites": "B", "consular.deployment": "B", "consular.move_days": "B", "holding_site": "A",
         "shelter_site": "C",
         "funding.appeal_delay": "B", "funding.unfunded_share": "C", "consular.on_site_days": "B",
         "consular.off_site_days": "B", "consular.guarantee_delay": "B", "consular.standby_cost": "A",
         "connected": "B", "after_return_unscreened": "B"}


def _leaves(model: type[BaseModel], prefix: str) -> list[tuple[str, Any]]:
    """(dotted key, annotation) of every leaf of a schema table, nested tables walked."""
    out = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner and not _is_distribution(annotation):
            out += _leaves(inner[0], f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", annotation))
    return out


def _is_distribution(annotation: Any) -> bool:
    if annotation in DIST_CLASSES.values():
        return True
    return any(_is_distribution(a) for a in get_args(annotation) if a is not type(None) and not isinstance(a, str))


def schema_keys() -> list[tuple[str, Any]]:
    keys = []
    for name, field in Scenario.model_fields.items():
        if name == "nationalities":
            from sim.scenario.schema import Nationality
            keys += _leaves(Nationality, "nationalities.NAME.")
        elif name == "sites":  # a key of one kind of site on a site of that kind
            from sim.scenario.schema import KEYS_OF_KIND, Site
            keys += [(k.replace("sites.NAME.", "sites.annex." if k.split(".")[-1] in KEYS_OF_KIND["shelter"]
                                else "sites.camp."), a) for k, a in _leaves(Site, "sites.NAME.")]
        elif name == "crossings":
            from sim.scenario.schema import Crossing
            keys += [(k.replace("crossings.NAME.", "crossings.ford."), a)
                     for k, a in _leaves(Crossing, "crossings.NAME.")]
        elif name == "stages":
            for stage, stage_field in Stages.model_fields.items():
                keys += _leaves(stage_field.annotation, f"stages.{stage}.")
            from sim.scenario.schema import CustomStage
            keys += [(k, a) for k, a in _leaves(CustomStage, "stages.NAME.") if k.split(".")[-1] in ("kind", "options")]
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            keys += _leaves(field.annotation, f"{name}.")
        else:
            keys.append((name, field.annotation))
    return keys


def _get(data: dict, path: list[str]) -> Any:
    for part in path:
        data = data.get(part, {}) if isinstance(data, dict) else {}
    return data if data != {} else None


def _set(data: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _changed(value: Any, annotation: Any, key: str) -> Any:
    """Another valid value for the key, far enough from ``value`` to matter."""
    options = [a for a in get_args(annotation) if isinstance(a, str)]
    literal_args = [a for arg in (annotation, *get_args(annotation)) if get_origin(arg) is not None
                    for a in get_args(arg) if isinstance(a, str)]
    choices = options or literal_args
    if key.endswith("policy"):
        choices = ["full", "rapid"]
    if key.endswith("servers"):  # another kind: the consular team's officers, or staff shared at the site
        choices = ["consular", "screening"]
    if choices and (value is None or isinstance(value, str)):
        return next(c for c in choices if c != value)
    if isinstance(value, bool):
        return not value
    if _is_distribution(annotation):  # longer than any duration of BASE
        return {"dist": "fixed", "value": 12.0}
    if isinstance(value, int):
        return value + 3 if "share" not in key else value
    if isinstance(value, float):
        if "share" in key or "risk" in key or key.endswith(("screened", "unscreened", "vulnerable")):
            return 0.9 if value < 0.5 else value / 4
        return value * 3 + 1.0
    names = {"holding": "camp", "shelter": "annex", "holding_site": "camp", "shelter_site": "annex", "site": "camp"}
    if key.split(".")[-1] in names and not key.startswith("sites."):  # a site: another of its kind
        return next(n for n in (names[key.split(".")[-1]], "holding", "shelter") if n != value)
    if key.endswith("consular.sites"):
        return ["holding", "shelter"]
    if key.endswith("skip_stages"):
        return ["screening"]
    if key.endswith(("closures.nationalities", "closures.open_to")):
        return ["B"]
    if isinstance(value, tuple | list):
        return list(value[:1])
    if value is None:
        return 5.0
    raise AssertionError(f"{key}: no way to change {value!r}")


def _concrete(key: str) -> list[str]:
    parts = key.split(".")
    if parts[0] == "nationalities":
        tail = ".".join(parts[2:])
        parts[1] = WHERE.get(tail, "A")
    return parts


def _inherit(raw: dict, key: str) -> None:
    """For a ``nationality_defaults`` key: drop it from every nationality, so that all inherit the default."""
    tail = key.split(".")[1:]
    for nationality in raw["nationalities"].values():
        table = _get(nationality, tail[:-1]) if len(tail) > 1 else nationality
        if isinstance(table, dict):
            table.pop(tail[-1], None)


def _run(raw: dict) -> tuple[pd.DataFrame, dict]:
    result = run_replication(scenario_from_dict(raw), 0)
    return result.victims, result.totals


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, dict]:
    return _run(copy.deepcopy(BASE))


def _same(a: tuple[pd.DataFrame, dict], b: tuple[pd.DataFrame, dict]) -> bool:
    victims_a, totals_a = a
    victims_b, totals_b = b
    if victims_a.shape != victims_b.shape or set(totals_a) != set(totals_b):
        return False
    return victims_a.equals(victims_b) and all(
        np.isclose(totals_a[k], totals_b[k], rtol=0, atol=0, equal_nan=True) for k in totals_a)


def _parametrised_keys() -> list[tuple[str, Any]]:
    return [(key, annotation) for key, annotation in schema_keys() if key not in LABELS]


def test_the_walk_finds_the_keys_planners_write() -> None:
    keys = {key for key, _ in schema_keys()}
    for key in ("sites.annex.max_stay", "crossings.ford.travel_days", "routing.policy",
                "stages.screening.policy", "nationalities.NAME.transport.max_wait",
                "nationalities.NAME.consular.guarantee_delay", "reintegration.risk_reduction",
                "costs.database_setup", "exposure.vulnerable_risk_factor", "database.home_desk_delay"):
        assert key in keys, key
    assert set(LABELS) <= keys  # no stale exemption


@pytest.mark.parametrize(("key", "annotation"), _parametrised_keys(), ids=[k for k, _ in _parametrised_keys()])
def test_every_key_changes_the_output_or_is_refused(key: str, annotation: Any, reference) -> None:
    raw = copy.deepcopy(BASE)
    path = _concrete(key)
    # a key of the tables of a list: the first table's
    for listed in ("arrivals.waves.", "crossing.capacity_changes.", "crossing.closures.",
                   "crossings.ford.capacity_changes.", "crossings.ford.closures.", "sites.camp.release_changes."):
        if key.startswith(listed):
            table = _get(raw, listed.rstrip(".").split("."))[0]
            field = path[-1]
            table[field] = _changed(table.get(field, 0.0), annotation, key)
            try:
                changed = _run(raw)
            except ScenarioError:
                return  # refused
            assert not _same(changed, reference), f"{key}: changing it changes nothing"
            return
    if key.startswith("nationality_defaults."):
        _inherit(raw, key)
    current = _get(raw, path)
    if current is None:  # left to its default in BASE: read the resolved value
        resolved = scenario_from_dict(copy.deepcopy(BASE)).model_dump()
        current = _get(resolved, path)
    _set(raw, path, _changed(current, annotation, key))
    try:
        changed = _run(raw)
    except ScenarioError:
        return  # refused, with a message (tests/test_cli_validate.py checks the messages)
    assert not _same(changed, reference), f"{key}: changing it to {_get(raw, path)!r} changes nothing"
