"""Helpers shared by the model's verification tests (``tests/test_model_*.py``).

Small scenario builders, recomputations of occupancy from the victims table and random scenarios. The
closed-form queueing results (Erlang C, Cobham's priority formula), the independent reference simulation of
a c-server queue and the batch-means statistics live in the package (:mod:`sim.verify.theory`), where
``repatsim verify`` uses them too; they are re-exported here. Nothing here reads the model's own answers
back as expected values. Model time is in days.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from sim.model import ReplicationResult, run_replication
from sim.scenario import scenario_from_dict
from sim.scenario.schema import STAGE_NAMES, Scenario
from sim.verify.theory import (  # noqa: F401  (re-exported: the tests' closed forms are the package's)
    batch_means,
    control_variate_mean,
    erlang_c,
    erlang_c_wait,
    lindley_waits,
    priority_waits,
    reference_starts,
)

HOUR = 1 / 24
MINUTE = 1 / 1440


# ---------------------------------------------------------------------------------------- scenarios


def scenario_dict(pipeline: Sequence[str], nationalities: dict[str, Any] | None = None, *,
                  horizon: float = 100.0, seed: int = 1, waves: Sequence[dict] | None = None,
                  rate_per_day: float | None = None, **tables: Any) -> dict[str, Any]:
    """A plain scenario dict: ``pipeline``, one nationality ``A`` (share 1, a team on site from its first
    arrival) unless ``nationalities`` is given, and any other top-level table as a keyword."""
    arrivals: dict[str, Any] = {}
    if waves is not None:
        arrivals["waves"] = [dict(w) for w in waves]
    if rate_per_day is not None:
        arrivals["rate_per_day"] = rate_per_day
    data: dict[str, Any] = {
        "pipeline": list(pipeline),
        "scenario": {"name": "test", "horizon_days": float(horizon), "seed": seed},
        "arrivals": arrivals,
        "nationalities": copy.deepcopy(nationalities) if nationalities is not None else {
            "A": {"share": 1.0, "consular": {"mode": "pre_agreed", "officers": 1, "deploy_delay": 0.0}}},
    }
    data.update(copy.deepcopy(tables))
    return data


def build(pipeline: Sequence[str], nationalities: dict[str, Any] | None = None, **kwargs: Any) -> Scenario:
    """:func:`scenario_dict` validated into a :class:`Scenario`."""
    return scenario_from_dict(scenario_dict(pipeline, nationalities, **kwargs))


def run(scenario: Scenario | dict, replication: int = 0, seed: int | None = None) -> ReplicationResult:
    """One replication of a scenario (or of a raw scenario dict)."""
    if isinstance(scenario, dict):
        scenario = scenario_from_dict(scenario)
    return run_replication(scenario, replication, seed)


def stage(result: ReplicationResult, name: str) -> pd.DataFrame:
    """The rows of one stage, indexed by victim id, with the victim's nationality and flag joined."""
    rows = result.stages[result.stages["stage"] == name].set_index("victim_id")
    victims = result.victims.set_index("victim_id")
    rows = rows.join(victims[["nationality", "vulnerable", "arrived"]])
    return rows.sort_index()


def exponential(mean_days: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean_days}


# ---------------------------------------------------------------------------------------- statistics


def assert_close_to_theory(estimate: float, se: float, theory: float, rel: float = 0.03, what: str = "") -> None:
    """``|estimate - theory| <= max(rel * theory, 3 se)``, with a message that shows every number."""
    tolerance = max(rel * theory, 3 * se)
    assert abs(estimate - theory) <= tolerance, (
        f"{what}: estimate {estimate:.6g} vs theory {theory:.6g} (diff {estimate / theory - 1:+.2%}, "
        f"SE {se / theory:.2%} of theory, tolerance {tolerance / theory:.2%})")


# ------------------------------------------------------------------------------ recomputed occupancy


def present_counts(victims: pd.DataFrame, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """People in holding and in shelters (every site of each kind together) just after each of ``days``
    (after all changes at that instant), recomputed from each victim's arrived / crossed / departed times."""
    arrived = np.sort(victims["arrived"].to_numpy())
    departed = victims["departed"].to_numpy()
    crossed = victims["crossed"].to_numpy()
    holding_end = np.where(np.isnan(crossed), departed, crossed)
    holding_end = np.sort(np.where(np.isnan(holding_end), np.inf, holding_end))
    shelter_start = np.sort(crossed[~np.isnan(crossed)])
    shelter_end = departed[~np.isnan(crossed)]
    shelter_end = np.sort(np.where(np.isnan(shelter_end), np.inf, shelter_end))
    holding = np.searchsorted(arrived, days, side="right") - np.searchsorted(holding_end, days, side="right")
    shelter = np.searchsorted(shelter_start, days, side="right") - np.searchsorted(shelter_end, days, side="right")
    return holding, shelter


def present_at_site(victims: pd.DataFrame, site: str, kind: str, days: np.ndarray) -> np.ndarray:
    """People at one site just after each of ``days``: those held there (kind holding) or who crossed
    into it (kind shelter), recomputed from their own stamps."""
    if kind == "holding":
        held = victims[victims["holding_site"] == site]
        holding, _ = present_counts(held, days)
        return holding
    sheltered = victims[victims["shelter_site"] == site]
    _, shelter = present_counts(sheltered, days)
    return shelter


def time_integral(days: np.ndarray, counts: np.ndarray, start: float, stop: float) -> float:
    """Exact integral over ``[start, stop]`` of a step function given by its change log (each count
    holds from its day to the next; entries at equal days: the last one holds)."""
    days = np.asarray(days, dtype=float)
    counts = np.asarray(counts, dtype=float)
    edges = np.clip(np.append(days, np.inf), start, stop)
    return float(np.sum(counts * np.diff(edges)))


def overlap_days(begin: np.ndarray, end: np.ndarray, start: float, stop: float) -> np.ndarray:
    """Length of each stay ``[begin, end]`` (NaN begin: none; NaN end: still there) inside ``[start, stop]``."""
    end = np.where(np.isnan(end), np.inf, end)
    lengths = np.minimum(end, stop) - np.maximum(begin, start)
    return np.where(np.isnan(begin), 0.0, np.maximum(lengths, 0.0))


def within_intervals(times: np.ndarray, intervals: Sequence[Sequence[float]], slack: float = 1e-9) -> np.ndarray:
    """Whether each time lies in one of the closed intervals ``[a, b]``."""
    times = np.asarray(times, dtype=float)
    inside = np.zeros(len(times), dtype=bool)
    for a, b in intervals:
        inside |= (times >= a - slack) & (times <= b + slack)
    return inside


def site_of_stage(scenario: Scenario, victims: pd.DataFrame, name: str) -> pd.Series:
    """Each person's site during stage ``name`` (``victims`` indexed by victim id): their holding site up
    to the crossing, their shelter after it (every stage is at the holding site without a crossing)."""
    pipeline = list(scenario.pipeline)
    crossing_at = pipeline.index("crossing") if "crossing" in pipeline else len(pipeline)
    return victims["holding_site"] if pipeline.index(name) <= crossing_at else victims["shelter_site"]


def in_force(first: int, changes: Sequence[tuple[float, int]], day: int) -> int:
    """The largest of a daily limit (``first`` from day 0, then ``changes`` as (day, value), in order of
    day) in force at some moment of [day, day + 1): on a day the limit changes, the larger one."""
    steps = [(0.0, first), *changes]
    return max(value for i, (start, value) in enumerate(steps)
               if start < day + 1 and (i + 1 == len(steps) or steps[i + 1][0] > day))


# ----------------------------------------------------------------------------------- random scenarios

@st.composite
def duration(draw, scale=0.5):
    """A small duration: zero, fixed, exponential or uniform."""
    kind = draw(st.sampled_from(["fixed", "zero", "exponential", "uniform"]))
    if kind == "zero":
        return 0.0
    if kind == "fixed":
        return draw(st.sampled_from([0.125, 0.25, 0.5, 1.0])) * scale
    if kind == "exponential":
        return {"dist": "exponential", "mean": scale * draw(st.sampled_from([0.1, 0.5, 1.0]))}
    low = draw(st.sampled_from([0.0, 0.1, 0.5]))
    return {"dist": "uniform", "min": low * scale, "max": (low + 1.0) * scale}


@st.composite
def random_scenario(draw):
    """A small random scenario dict: a random subset of the pipeline, one to three nationalities (shares
    or counts, one maybe represented by A), every transport and funding mode, rotations, caps, both
    admission rules, losses or expected exposure, waves and/or a Poisson stream.

    About a third (those whose seed is 1 more than a multiple of 3) are small networks (:func:`_network`, which
    takes no draw of its own: the examples Hypothesis explores, and so the one-site ones, are as before
    networks were added), with a kind's staff at each site where it works and each crossing's own."""
    admission = draw(st.sampled_from(["open", "travel_arranged"]))
    pipeline = [s for s in STAGE_NAMES if draw(st.booleans())]
    if admission == "travel_arranged" and "crossing" not in pipeline:
        pipeline.insert(min(2, len(pipeline)), "crossing")
        pipeline = [s for s in STAGE_NAMES if s in pipeline]
    n_nat = draw(st.integers(1, 3))
    names = ["A", "B", "C"][:n_nat]
    use_counts = draw(st.sampled_from([False, False, False, True]))
    rate = draw(st.sampled_from([0.0, 0.0, 3.0, 10.0])) if not use_counts else 0.0
    waves = []
    for _ in range(draw(st.integers(0 if rate else 1, 2))):
        waves.append({"day": draw(st.sampled_from([0.0, 0.5, 2.0, 7.25])), "count": draw(st.integers(1, 60)),
                      "spread_days": draw(st.sampled_from([0.0, 0.0, 1.0, 5.0]))})
    nationalities = {}
    remaining = sum(w["count"] for w in waves)
    for i, name in enumerate(names):
        nat = {}
        if use_counts:
            count = remaining if i == n_nat - 1 else draw(st.integers(0, remaining))
            remaining -= count
            nat["count"] = count
        else:
            nat["share"] = round(1.0 / n_nat, 12) if i < n_nat - 1 else 1.0 - round(1.0 / n_nat, 12) * (n_nat - 1)
        nat["vulnerable"] = draw(st.sampled_from([0.0, 0.3, 1.0]))
        consular = {"mode": draw(st.sampled_from(["pre_agreed", "ad_hoc"])), "officers": draw(st.integers(1, 3)),
                    "deploy_delay": draw(st.sampled_from([0.0, 1.0, 3.5, {"dist": "uniform", "min": 0.0, "max": 5.0}]))}
        if draw(st.booleans()):
            consular["on_site_days"] = draw(st.sampled_from([0.5, 1.0, 3.0]))
            consular["off_site_days"] = draw(st.sampled_from([0.0, 1.0, 2.5]))
        if i == 2 and draw(st.booleans()):
            consular = {"represented_by": "A"}
        nat["consular"] = consular
        if draw(st.booleans()):
            nat["funding"] = {"mode": "appeal", "appeal_delay": draw(st.sampled_from([0.0, 2.0, 5.0])),
                              "unfunded_share": draw(st.sampled_from([0.0, 0.3]))}
        mode = draw(st.sampled_from(["commercial", "charter", "overland"]))
        transport = {"mode": mode}
        if mode == "commercial":
            transport["booking_delay"] = draw(st.sampled_from([0.0, 1.0]))
        else:
            seats = draw(st.integers(1, 20))
            transport.update(seats=seats, min_load=draw(st.integers(1, seats)),
                             interval=draw(st.sampled_from([0.25, 0.5, 1.0, 2.0])),
                             lead_time=draw(st.sampled_from([0.0, 0.5, 1.0])))
            if draw(st.booleans()):
                transport["max_per_day"] = draw(st.integers(1, 3))
        nat["transport"] = transport
        if draw(st.booleans()):
            nat["connected"] = draw(st.booleans())
        nationalities[name] = nat
    stages = {}
    for stage in pipeline:
        if stage == "transport":
            continue
        config = {"duration": draw(duration(0.2 if stage != "identity" else 0.3))}
        consular = stage in ("identity", "documents")
        if consular and draw(st.booleans()):
            config["servers"], consular = "holding", False  # staff instead of the consular team
        if not consular:
            config["staff"] = draw(st.sampled_from([1, 2, 5, "unlimited"]))
        if stage == "identity":
            config["records_delay"] = draw(st.sampled_from([0.0, 1.0, 2.5]))
            config["records_delay_with_database"] = draw(st.sampled_from([0.0, 0.25]))
        if stage == "health":
            config["requires_consular_presence"] = draw(st.booleans())
        if stage == "screening":
            config["policy"] = draw(st.sampled_from(["full", "rapid"]))
        if draw(st.booleans()) and stage in ("identity", "health", "documents"):
            config["duration_with_database"] = {"dist": "fixed", "value": 0.05}
        stages[stage] = config
    staff_of_kind: dict[str, Any] = {}  # stages naming the same kind of servers share its staff: one number
    for stage, config in stages.items():
        kind = config.get("servers", {"identity": "consular", "documents": "consular", "crossing": "border",
                                      "health": "health", "screening": "screening"}.get(stage, "holding"))
        if kind != "consular":
            config["staff"] = staff_of_kind.setdefault(kind, config.get("staff", 1))
    crossing = {"admission": admission}
    if draw(st.booleans()):
        crossing["daily_capacity"] = draw(st.integers(1, 20))
    exposure = {"mode": draw(st.sampled_from(["sampled", "expected"])),
                "crowding_factor": draw(st.sampled_from([0.0, 2.0])),
                "limbo_growth": draw(st.sampled_from([0.0, 1.0])),
                "limbo_grace_days": draw(st.sampled_from([0.0, 5.0]))}
    sites = {"holding": {"hazard_per_day": draw(st.sampled_from([0.0, 0.02, 0.2])),
                         "capacity": draw(st.sampled_from([5, 50, 1000]))},
             "shelter": {"hazard_per_day": draw(st.sampled_from([0.0, 0.05])),
                         "capacity": draw(st.sampled_from([3, 100])),
                         "overflow": draw(st.booleans())}}
    if draw(st.booleans()):
        sites["shelter"]["max_stay"] = draw(st.sampled_from([0.01, 0.5, 3.0]))
    arrivals = {}
    if waves:
        arrivals["waves"] = waves
    if rate:
        arrivals["rate_per_day"] = rate
    data = {
        "pipeline": pipeline,
        "scenario": {"name": "fuzz", "horizon_days": float(draw(st.sampled_from([8.0, 20.5, 60.0]))),
                     "seed": draw(st.integers(0, 1000))},
        "arrivals": arrivals, "nationalities": nationalities, "stages": stages, "crossing": crossing,
        "database": {"shared": draw(st.booleans())}, "exposure": exposure, "sites": sites,
    }
    if data["scenario"]["seed"] % 3 == 1:  # about a third: a small network (no draw of its own: see above)
        _network(data)
    return data


def _network(data: dict[str, Any]) -> None:
    """Turn the one-site scenario ``data`` into a small network, in place: two holding sites (``holding``
    and ``camp``), one or two shelters (``shelter``, ``annex``), two or three crossings (each holding site
    has one), waves and the stream at either holding site, maybe a nationality held at ``camp``, each
    crossing with its own travel days, cap (and change), closure; a random routing policy and team
    deployment (together, split over every site, or one at a time).

    Its choices come from a generator seeded by the scenario's seed, not from Hypothesis: drawing them
    would change the examples Hypothesis explores, the one-site ones included."""
    rng = np.random.default_rng(data["scenario"]["seed"])

    def pick(options: Sequence[Any]) -> Any:
        return options[int(rng.integers(len(options)))]

    def integer(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    sites = data["sites"]
    sites["camp"] = {"kind": "holding", "hazard_per_day": pick([0.0, 0.05]),
                     "capacity": pick([5, 200])}
    if pick([False, True]):
        sites["camp"]["release_per_day"] = integer(0, 8)
        if pick([False, True]):
            sites["camp"]["release_changes"] = [{"day": 3.0, "per_day": integer(1, 20)}]
    shelters = ["shelter"]
    if pick([False, True]):
        sites["annex"] = {"kind": "shelter", "capacity": pick([2, 40]),
                          "overflow": pick([False, True])}
        shelters.append("annex")
    holdings = ["holding", "camp"]
    cap = data["crossing"].pop("daily_capacity", None)  # each crossing has its own
    ends = [("holding", "shelter"), ("camp", pick(shelters))]
    if pick([False, True]):
        ends.append((pick(holdings), pick(shelters)))
    names = list(data["nationalities"])
    crossings = {}
    for index, (holding, shelter) in enumerate(ends):
        table: dict[str, Any] = {"holding": holding, "shelter": shelter,
                                 "travel_days": pick([0.0, 0.25, 1.0])}
        if cap is not None or pick([False, True]):
            table["daily_capacity"] = integer(1, 20) if index or cap is None else cap
            if pick([False, True]):
                table["capacity_changes"] = [{"day": pick([1.5, 4.0]),
                                              "daily_capacity": integer(0, 10)}]
        if pick([False, True]):
            closure: dict[str, Any] = {"from_day": pick([0.0, 1.0]),
                                       "until_day": pick([2.0, 4.5])}
            if pick([False, True]):
                closure["nationalities"] = [pick(names)]
            table["closures"] = [closure]
        crossings[f"c{index}"] = table
    data["crossings"] = crossings
    data["routing"] = {"policy": pick(["nearest", "shortest_queue"])}
    for wave in data["arrivals"].get("waves", []):
        wave["site"] = pick(holdings)
    if data["arrivals"].get("rate_per_day"):
        data["arrivals"]["site"] = pick(holdings)
    if len(names) > 1 and pick([False, True]):
        data["nationalities"][names[-1]]["holding_site"] = "camp"
    for config in data["nationalities"].values():
        consular = config["consular"]
        if "represented_by" in consular:
            continue
        deployment = pick(["together", "split", "one_at_a_time"])
        consular["deployment"] = deployment
        if deployment == "split":  # over every site: at least one officer each
            consular["officers"] = max(consular["officers"], len(sites))
        if deployment == "one_at_a_time":
            consular["move_days"] = pick([0.0, 0.5])


def occupancy_by_kind(occupancy: pd.DataFrame) -> pd.DataFrame:
    """``replication, day, holding, shelter``: the people at every site of each kind together, on every day
    where a site changed (the state after the changes of that instant)."""
    frames = []
    for replication, rows in occupancy.groupby("replication", sort=True):
        days = np.unique(rows["day"].to_numpy(dtype=float))
        totals = {kind: np.zeros(len(days), dtype=np.int64) for kind in ("holding", "shelter")}
        for (_, kind), site_rows in rows.groupby(["site", "kind"], observed=True, sort=False):
            site_days = site_rows["day"].to_numpy(dtype=float)
            people = site_rows["people"].to_numpy()
            at = np.searchsorted(site_days, days, side="right") - 1
            totals[str(kind)] += np.where(at >= 0, people[np.clip(at, 0, None)], 0)
        frames.append(pd.DataFrame({"replication": replication, "day": days, **totals}))
    columns = ["replication", "day", "holding", "shelter"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
