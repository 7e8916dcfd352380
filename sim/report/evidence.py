"""The numbers the brief's first screen is made of: each scenario's headline outcomes, their paired
differences from the reference with 95% CIs and a verdict (better, worse, no clear difference), and the
same for the parts of the days in limbo (:mod:`sim.report.plots.breakdown`) and the cost items.

Read from stored files only: ``comparison.csv`` (or a run's ``metrics.csv``), each scenario's
``replications.csv`` (to compare two scenarios that are not the reference, paired by replication), and the
stage breakdown. No HTML and no sentences here (:mod:`sim.report.findings` writes those).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.report.plots import Results
from sim.report.plots.breakdown import Breakdown, Component, merged_components
from sim.results.metrics import t_interval

SCORECARD_METRICS = ("home_by_day_30_share", "home_by_day_60_share", "limbo_days_mean", "still_waiting",
                     "expected_retrafficked", "cost_total", "cost_per_returnee")
"""The scorecard's columns: the headline outcomes over everyone who arrived, and what they cost."""
SCORECARD_HEADERS = {
    "home_by_day_30_share": ("Home within 30 days", "% of arrivals"),
    "home_by_day_60_share": ("Home within 60 days", "% of arrivals"),
    "limbo_days_mean": ("Days in limbo, mean", "days per person, everyone"),
    "still_waiting": ("Still waiting at the end", "people"),
    "expected_retrafficked": ("Expected re-trafficked or lost", "people"),
    "cost_total": ("Total cost", "{cost}"),
    "cost_per_returnee": ("Cost per person home", "{cost}"),
}
SHORT_NAMES = {
    "home_by_day_30_share": "the share home within 30 days",
    "home_by_day_60_share": "the share home within 60 days",
    "limbo_days_mean": "the mean days in limbo",
    "still_waiting": "the number still waiting at the end",
    "expected_retrafficked": "the expected number re-trafficked or lost",
    "cost_total": "the total cost",
    "cost_per_returnee": "the cost per person home",
}
HIGHER_IS_BETTER = frozenset({"home_by_day_30_share", "home_by_day_60_share", "returned", "screened", "referred"})
"""Outcomes where more is better; for every other outcome (days, people waiting or at risk, costs) less is."""

BETTER, WORSE, UNCLEAR, REFERENCE, NO_CI = "better", "worse", "no clear difference", "reference", "no CI"


@dataclass(frozen=True)
class Estimate:
    """A mean across replications with its 95% CI, and the paired difference from the reference."""

    mean: float
    low: float = math.nan
    high: float = math.nan
    n: int = 0
    diff: float = math.nan
    diff_low: float = math.nan
    diff_high: float = math.nan


MISSING = Estimate(math.nan)


def verdict(metric: str, estimate: Estimate, reference: bool = False) -> str:
    """Better or worse than the reference only when the 95% CI of the paired difference lies wholly on one
    side of zero; otherwise no clear difference (or no CI, with one replication)."""
    if reference:
        return REFERENCE
    low, high = estimate.diff_low, estimate.diff_high
    if not (math.isfinite(low) and math.isfinite(high)):
        return NO_CI
    good_up = metric in HIGHER_IS_BETTER
    if low > 0:
        return BETTER if good_up else WORSE
    if high < 0:
        return WORSE if good_up else BETTER
    return UNCLEAR


def paired(values: pd.Series, base: pd.Series | None) -> Estimate:
    """Mean and CI of ``values`` (indexed by replication), and the paired difference from ``base``."""
    mean, low, high, n = t_interval(values.to_numpy(dtype=float))
    if base is None:
        return Estimate(mean, low, high, n)
    common = values.index.intersection(base.index)
    d, dlo, dhi, _ = t_interval((values.loc[common] - base.loc[common]).to_numpy(dtype=float))
    return Estimate(mean, low, high, n, d, dlo, dhi)


@dataclass
class Evidence:
    """What the first screen says, per scenario (``names[0]`` is the reference)."""

    names: list[str]
    currency: str
    estimates: dict[str, dict[str, Estimate]]
    breakdowns: dict[str, Breakdown] = field(default_factory=dict)
    components: list[Component] = field(default_factory=list)
    parts: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    stuck: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    replications: dict[str, pd.DataFrame] = field(default_factory=dict)
    horizon: float | None = None

    @property
    def reference(self) -> str:
        return self.names[0]

    def get(self, name: str, metric: str) -> Estimate:
        return self.estimates.get(name, {}).get(metric, MISSING)

    def verdict(self, name: str, metric: str) -> str:
        return verdict(metric, self.get(name, metric), reference=name == self.reference)

    def part(self, name: str, key: str) -> Estimate:
        return self.parts.get(name, {}).get(key, MISSING)

    def cost_items(self) -> list[str]:
        """The cost items (``cost_<item>``) stored, without the totals."""
        seen: list[str] = []
        for per in self.estimates.values():
            seen += [m for m in per if m.startswith("cost_") and m not in ("cost_total", "cost_per_returnee")
                     and m not in seen]
        return seen

    def between(self, a: str, b: str, metric: str) -> Estimate:
        """``a`` against ``b`` (not necessarily the reference), paired by replication: diff = a - b."""
        ra, rb = self.replications.get(a), self.replications.get(b)
        if ra is None or rb is None or metric not in ra or metric not in rb:
            return MISSING
        return paired(ra.set_index("replication")[metric], rb.set_index("replication")[metric])


def _rows_for(table: pd.DataFrame, *names: str) -> pd.DataFrame:
    for name in names:
        rows = table[table["scenario"].astype(str) == name]
        if len(rows):
            return rows
    return table.iloc[0:0]


def _estimates_from(rows: pd.DataFrame) -> dict[str, Estimate]:
    out = {}
    for r in rows.to_dict("records"):
        out[str(r["metric"])] = Estimate(
            float(r.get("mean", math.nan)), float(r.get("ci_low", math.nan)), float(r.get("ci_high", math.nan)),
            int(r["n"]) if "n" in r and pd.notna(r["n"]) else 0, float(r.get("diff_mean", math.nan)),
            float(r.get("diff_ci_low", math.nan)), float(r.get("diff_ci_high", math.nan)))
    return out


def gather(results: Results) -> Evidence:
    """The evidence of a run or compare folder (a sweep has no scorecard)."""
    names = [s.name for s in results.scenarios]
    comparison = results.table("comparison.csv") if results.kind == "compare" else None
    estimates: dict[str, dict[str, Estimate]] = {}
    for s in results.scenarios:
        if comparison is not None and len(rows := _rows_for(comparison, s.name, s.folder.name)):
            estimates[s.name] = _estimates_from(rows)
        elif (metrics := s.metrics()) is not None:
            estimates[s.name] = _estimates_from(metrics)
        else:
            estimates[s.name] = {}
    replications = {s.name: r for s in results.scenarios if (r := s.replications()) is not None}
    evidence = Evidence(names, results.cost_unit, estimates, replications=replications,
                        horizon=results.scenarios[0].horizon if results.scenarios else None)
    breakdowns = {s.name: b for s in results.scenarios if (b := s.breakdown()) is not None}
    if names and len(breakdowns) == len(names):
        evidence.breakdowns = breakdowns
        evidence.components = merged_components(breakdowns)
        evidence.parts, evidence.stuck = _part_estimates(breakdowns)
    return evidence


def _part_estimates(breakdowns: Mapping[str, Breakdown]) -> tuple[dict[str, dict[str, Estimate]],
                                                                  dict[str, dict[str, Estimate]]]:
    names = list(breakdowns)
    base = breakdowns[names[0]]
    parts: dict[str, dict[str, Estimate]] = {}
    stuck: dict[str, dict[str, Estimate]] = {}
    for i, name in enumerate(names):
        b = breakdowns[name]
        parts[name], stuck[name] = {}, {}
        for c in merged_components(breakdowns):
            values = b.days[c.key] if c.key in b.days else pd.Series(np.zeros(len(b.days)), index=b.days.index)
            ref = None
            if i > 0:
                ref = base.days[c.key] if c.key in base.days else pd.Series(np.zeros(len(base.days)),
                                                                           index=base.days.index)
            parts[name][c.key] = paired(values, ref) if b.over_everyone else Estimate(b.mean(c.key))
            if b.over_everyone and c.key in b.stuck:
                ref_stuck = None if i == 0 else base.stuck.get(c.key)
                stuck[name][c.key] = paired(b.stuck[c.key], ref_stuck)
    return parts, stuck
