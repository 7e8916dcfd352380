"""Where the time goes, over everyone who arrived: each person's days in limbo split by stage and by what
they were waiting for, from ``stages.parquet`` and ``victims.parquet`` (docs/outputs.md).

The stage kinds stamp ``queued``, ``started`` and ``finished`` (sim/model/stages.py), so that, per stage:

- a staffed stage (registration, documents, health, screening, a stage of the scenario's own): queued ->
  started is *queueing* for a server, started -> finished *being served*;
- ``identity``: queueing for an officer, then the interview and the *records round trip* with the home
  authorities (the officer free). The interview is not stamped apart: it is taken as the scenario's mean
  interview time (the database's for connected nationalities) and the rest of started -> finished is the
  records round trip;
- ``crossing``: queued -> started is *waiting to be cleared to cross* (under ``travel_arranged``: officials
  on site, the return guarantee and ticket money; a place in the shelter; the daily cap), then the check;
- ``transport``: queued -> started is *waiting for ticket money*, started -> finished *booking and waiting
  for a seat*.

A person still waiting at the horizon counts up to the horizon, a lost person up to the loss, so that the
parts of each person add up to their days in limbo, and the means over everyone add up to
``limbo_days_mean``. Without the Parquet tables, the parts are read from ``metrics.csv``
(``queue_days_mean_<stage>``, ``service_days_mean_<stage>``: means over the people who reached a stage).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.report.plots.labels import DEFAULT_STAGES, STAGE_LABELS

BUILTIN_KINDS = {"registration": "staffed", "identity": "identity", "crossing": "crossing", "health": "health",
                 "screening": "screening", "documents": "staffed", "transport": "transport"}
CATEGORY_WORDS = {
    "queue": "queueing",
    "service": "being served",
    "records": "records round trip",
    "clearance": "waiting to be cleared to cross",
    "funding": "waiting for ticket money",
    "seat": "booking and waiting for a seat",
}
"""What a person is doing in each part of a stage, in words (the stage figure's patterns)."""
CATEGORY_ORDER = tuple(CATEGORY_WORDS)
STAGE_PHRASES = {"registration": "registration", "identity": "the identity check", "crossing": "the border check",
                 "health": "the health check", "screening": "victim screening", "documents": "travel documents",
                 "transport": "transport home"}


@dataclass(frozen=True)
class Component:
    """One part of one stage: ``stage`` (its name) and ``category`` (a key of :data:`CATEGORY_WORDS`)."""

    stage: str
    category: str

    @property
    def key(self) -> str:
        return f"{self.stage}:{self.category}"

    @property
    def label(self) -> str:
        """"Identity check: records round trip"."""
        return f"{stage_label(self.stage)}: {CATEGORY_WORDS[self.category]}"

    @property
    def phrase(self) -> str:
        """The part in a sentence: "queueing for the identity check", "the records round trip"."""
        stage = STAGE_PHRASES.get(self.stage, stage_label(self.stage).lower())
        return {"queue": f"queueing for {stage}", "service": f"being served at {stage}",
                "records": "the records round trip with the home authorities",
                "clearance": "waiting to be cleared to cross the border",
                "funding": "waiting for ticket money", "seat": "booking and waiting for a seat home"}[self.category]


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize())


def stage_kind(stage: str, config: Mapping[str, Any]) -> str:
    table = (config.get("stages") or {}).get(stage) or {}
    kind = table.get("kind") if isinstance(table, Mapping) else None
    return str(kind) if kind else BUILTIN_KINDS.get(stage, "staffed")


def _categories(kind: str) -> tuple[str, str, str | None]:
    """(category before ``started``, category after it, the identity's split-off part or None)."""
    if kind == "identity":
        return "queue", "service", "records"
    if kind == "crossing":
        return "clearance", "service", None
    if kind == "transport":
        return "funding", "seat", None
    return "queue", "service", None


def components_of(stages: Sequence[str], config: Mapping[str, Any]) -> list[Component]:
    out = []
    for stage in stages:
        before, after, extra = _categories(stage_kind(stage, config))
        out += [Component(stage, before), Component(stage, after)]
        if extra:
            out.append(Component(stage, extra))
    return out


@dataclass
class Breakdown:
    """One scenario's parts: ``days`` (index: replication; one column per component key: mean days per person
    over everyone who arrived) and ``stuck`` (people still waiting at the horizon, by the part they are in).
    ``over_everyone`` is false when read from metrics.csv (means over the people who reached each stage)."""

    components: list[Component]
    days: pd.DataFrame
    stuck: pd.DataFrame = field(default_factory=pd.DataFrame)
    over_everyone: bool = True

    def mean(self, key: str) -> float:
        if key not in self.days:
            return math.nan
        values = self.days[key].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        return float(values.mean()) if len(values) else math.nan

    def total(self) -> float:
        """Mean days in limbo per person: the sum of the parts."""
        return float(sum(np.nan_to_num(self.mean(c.key)) for c in self.components))

    def stuck_mean(self, key: str) -> float:
        return float(self.stuck[key].mean()) if key in self.stuck else 0.0


# -------------------------------------------------------------------------------- the interview's time


def mean_of(spec: Any) -> float:
    """The mean of a duration or distribution of a resolved scenario.toml (days); NaN if unknown."""
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return float(spec)
    if not isinstance(spec, Mapping):
        return math.nan
    dist = spec.get("dist")
    try:
        if dist == "fixed":
            return float(spec["value"])
        if dist in ("exponential", "gamma"):
            return float(spec["mean"])
        if dist == "uniform":
            return (float(spec["min"]) + float(spec["max"])) / 2
        if dist == "triangular":
            return (float(spec["min"]) + float(spec["mode"]) + float(spec["max"])) / 3
        if dist == "lognormal":
            median, p90 = float(spec["median"]), float(spec["p90"])
            sigma = math.log(p90 / median) / 1.2815515655446004  # the 90th percentile of N(0, 1)
            return median * math.exp(sigma * sigma / 2)
        if dist == "empirical":
            return float(np.mean(spec["values"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return math.nan
    return math.nan


def _interview_days(stage: str, config: Mapping[str, Any], nationalities: np.ndarray) -> np.ndarray | None:
    """Per person, the mean interview time of an identity stage; None when the stage has no records round
    trip (then started -> finished is all interview)."""
    table = (config.get("stages") or {}).get(stage) or {}
    if not table.get("records_delay"):
        return None
    plain = mean_of(table.get("duration", 0.0))
    with_db = mean_of(table["duration_with_database"]) if table.get("duration_with_database") else plain
    shared = bool((config.get("database") or {}).get("shared", False))
    people = config.get("nationalities") or {}
    connected = {}
    for name in pd.unique(nationalities):
        own = (people.get(str(name)) or {}).get("connected")
        connected[name] = shared if own is None else bool(own)
    per = {name: (with_db if on else plain) for name, on in connected.items()}
    return np.array([per[n] for n in nationalities], dtype=float) if len(nationalities) else np.zeros(0)


# ---------------------------------------------------------------------------------------- the parts


def breakdown_from_tables(victims: pd.DataFrame, stages: pd.DataFrame, config: Mapping[str, Any],
                          horizon: float, order: Sequence[str] | None = None) -> Breakdown:
    """The parts of everyone's days in limbo, per replication (see the module's docstring)."""
    names = [str(s) for s in pd.unique(stages["stage"].astype(str))]
    preferred = list(order or config.get("pipeline") or DEFAULT_STAGES)
    names = [s for s in preferred if s in names] + [s for s in names if s not in preferred]
    components = components_of(names, config)
    people = victims[["replication", "victim_id", "departed", "status", "nationality"]]
    merged = stages.merge(people, on=["replication", "victim_id"], how="left")
    end = np.where(merged["status"].to_numpy() == "waiting", horizon, merged["departed"].to_numpy(dtype=float))
    end = np.where(np.isfinite(end), end, horizon)
    queued, started, finished = (merged[c].to_numpy(dtype=float) for c in ("queued", "started", "finished"))
    before = np.where(np.isfinite(queued), np.where(np.isfinite(started), started, end) - queued, 0.0)
    after = np.where(np.isfinite(started), np.where(np.isfinite(finished), finished, end) - started, 0.0)
    before, after = np.clip(before, 0.0, None), np.clip(after, 0.0, None)
    waiting = merged["status"].to_numpy() == "waiting"
    open_before = waiting & np.isfinite(queued) & ~np.isfinite(started)
    open_after = waiting & np.isfinite(started) & ~np.isfinite(finished)
    stage_of = merged["stage"].astype(str).to_numpy()
    reps = merged["replication"].to_numpy()
    arrived = victims.groupby("replication").size()
    index = arrived.index
    days: dict[str, pd.Series] = {}
    stuck: dict[str, pd.Series] = {}

    def add(key: str, mask: np.ndarray, values: np.ndarray, open_: np.ndarray) -> None:
        sums = pd.Series(values[mask], index=reps[mask]).groupby(level=0).sum()
        days[key] = sums.reindex(index, fill_value=0.0) / arrived
        counts = pd.Series(open_[mask], index=reps[mask]).groupby(level=0).sum()
        stuck[key] = counts.reindex(index, fill_value=0).astype(float)

    for stage in names:
        first, second, extra = _categories(stage_kind(stage, config))
        mask = stage_of == stage
        add(f"{stage}:{first}", mask, before, open_before)
        split = _interview_days(stage, config, merged["nationality"].to_numpy()[mask]) if extra else None
        if extra and split is not None:
            interview = np.zeros(len(after))
            interview[mask] = np.minimum(after[mask], split)
            # still at this stage at the horizon: in the interview while it lasts, then in the records round trip
            in_records = open_after & (after > interview)
            add(f"{stage}:{second}", mask, interview, open_after & ~in_records)
            add(f"{stage}:{extra}", mask, after - interview, in_records)
        else:
            add(f"{stage}:{second}", mask, after, open_after)
            if extra:
                add(f"{stage}:{extra}", mask, np.zeros(len(after)), np.zeros(len(after), dtype=bool))
    return Breakdown(components, pd.DataFrame(days), pd.DataFrame(stuck), over_everyone=True)


def breakdown_from_metrics(metrics: pd.DataFrame, config: Mapping[str, Any] | None = None,
                           order: Sequence[str] | None = None) -> Breakdown | None:
    """The parts from metrics.csv alone (queue and service means per stage, over those who reached it)."""
    if metrics is None or "metric" not in metrics:
        return None
    found: list[str] = []
    for name in metrics["metric"].astype(str):
        for prefix in ("queue_days_mean_", "service_days_mean_"):
            if name.startswith(prefix) and name[len(prefix):] not in found:
                found.append(name[len(prefix):])
    if not found:
        return None
    preferred = list(order or (config or {}).get("pipeline") or DEFAULT_STAGES)
    names = [s for s in preferred if s in found] + [s for s in found if s not in preferred]
    config = config or {}
    components, row = [], {}
    values = metrics.set_index("metric")["mean"]
    for stage in names:
        first, second, _ = _categories(stage_kind(stage, config))
        for category, prefix in ((first, "queue_days_mean_"), (second, "service_days_mean_")):
            component = Component(stage, category)
            components.append(component)
            row[component.key] = float(values.get(prefix + stage, math.nan))
    return Breakdown(components, pd.DataFrame([row]), over_everyone=False)


def merged_components(breakdowns: Mapping[str, Breakdown]) -> list[Component]:
    """Every scenario's components, in pipeline order (a scenario may have a stage the others lack)."""
    out: list[Component] = []
    for b in breakdowns.values():
        out += [c for c in b.components if c not in out]
    return out
