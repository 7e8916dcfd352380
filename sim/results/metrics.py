"""Metrics of a replication, and statistics across replications (t-intervals, paired differences).

Per replication, every metric is one number computed from the flat tables after the run (see
docs/outputs.md for the list). Across replications, each metric gets its mean, a 95% Student-t
confidence interval, its median and 90th percentile; ``compare`` adds the paired difference to the
reference scenario, replication by replication (common random numbers make those pairs comparable).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

CONFIDENCE = 0.95
HOME_BY_DAYS = (30, 60)
HEADLINE_METRICS = ("home_by_day_30_share", "home_by_day_60_share", "limbo_days_mean", "limbo_days_p50",
                    "limbo_days_p90", "still_waiting", "expected_retrafficked", "cost_total", "cost_per_returnee")
"""The outcomes a comparison is read on, over everyone who arrived (not only those who went home)."""
HEADLINE_LABELS = {
    "home_by_day_30_share": "Share home within 30 days of arrival",
    "home_by_day_60_share": "Share home within 60 days of arrival",
    "limbo_days_mean": "Mean days in limbo, everyone (censored at the horizon)",
    "limbo_days_p50": "Median days in limbo, everyone",
    "limbo_days_p90": "90th percentile days in limbo, everyone",
    "still_waiting": "Still waiting at the horizon (people)",
    "expected_retrafficked": "Expected re-trafficked or lost (people)",
    "cost_total": "Total cost",
    "cost_per_returnee": "Cost per person who went home",
}
NATIONALITY_METRICS = ("arrived", "returned", "lost", "still_waiting", "home_by_day_30_share",
                       "home_by_day_60_share", "limbo_days_mean", "limbo_days_p50", "limbo_days_p90",
                       "wait_days_mean", "wait_days_p50", "wait_days_p90", "screened", "expected_lost",
                       "expected_retrafficked_after_return", "expected_retrafficked_still_waiting",
                       "expected_retrafficked", "cost_total", "cost_per_returnee")


def _wait_stats(wait: np.ndarray, prefix: str = "wait_days") -> dict[str, float]:
    if len(wait) == 0:
        return {f"{prefix}_mean": math.nan, f"{prefix}_p50": math.nan, f"{prefix}_p90": math.nan,
                f"{prefix}_max": math.nan}
    p50, p90 = np.percentile(wait, [50, 90])
    return {f"{prefix}_mean": float(wait.mean()), f"{prefix}_p50": float(p50), f"{prefix}_p90": float(p90),
            f"{prefix}_max": float(wait.max())}


def outcomes(victims: pd.DataFrame, horizon: float) -> dict[str, float]:
    """The outcomes of a group of people (everyone, or one nationality) in one replication.

    - ``limbo_days_*``: from arrival to departure (home or lost), or to the horizon for people still
      waiting: for them a lower bound (censored; ``limbo_censored_share`` says how many).
    - ``home_by_day_D_share``: of the people who arrived at least D days before the horizon (whose
      first D days are all observed), the share who went home within D days of arriving.
    - ``wait_days_*``: arrival to return, over the people who went home only (secondary: a policy that
      brings stranded people home late raises it).
    - ``expected_retrafficked``: expected losses while waiting, plus the after-return risk of those who
      went home, plus the risk people still waiting at the horizon would take home as they stand.
    """
    status = victims["status"].to_numpy()
    arrived = victims["arrived"].to_numpy()
    departed = victims["departed"].to_numpy()
    returned, lost, waiting = status == "returned", status == "lost", status == "waiting"
    limbo = np.where(waiting, horizon, departed) - arrived
    values: dict[str, float] = {
        "arrived": float(len(victims)),
        "returned": float(returned.sum()),
        "lost": float(lost.sum()),
        "still_waiting": float(waiting.sum()),
        **_wait_stats(limbo, "limbo_days"),
        "limbo_censored_share": float(waiting.mean()) if len(victims) else math.nan,
    }
    for days in HOME_BY_DAYS:
        observed = arrived <= horizon - days
        home = returned & (limbo <= days)
        values[f"home_by_day_{days}_share"] = float(home[observed].mean()) if observed.any() else math.nan
    values.update(_wait_stats(limbo[returned]))
    expected_lost = float(victims["p_lost"].sum())
    after = float(victims["p_retrafficked_after_return"].sum())
    still = float(victims["p_retrafficked_still_waiting"].sum())
    values.update({
        "screened": float(victims["screened"].sum()),
        "referred": float(victims["referred"].sum()),
        "expected_lost": expected_lost,
        "expected_retrafficked_after_return": after,
        "expected_retrafficked_still_waiting": still,
        "expected_retrafficked": expected_lost + after + still,
    })
    return values


def replication_metrics(victims: pd.DataFrame, stages: pd.DataFrame | None, totals: Mapping[str, float],
                        stage_names: Sequence[str], departures: pd.DataFrame | None = None) -> dict[str, float]:
    """Every metric of one replication, from its tables (days, people, the scenario's currency); without
    the departures table, the vehicle metrics are NaN."""
    metrics = outcomes(victims, totals["horizon_days"])
    metrics.update({
        "peak_holding": totals["peak_holding"],
        "peak_shelter": totals["peak_shelter"],
        "overcrowded_person_days": totals["overcrowded_person_days_holding"]
        + totals["overcrowded_person_days_shelter"],
        "person_days_waiting": totals["person_days_holding"] + totals["person_days_shelter"],
    })
    costs = {key: value for key, value in totals.items() if key.startswith("cost_")}
    metrics["cost_total"] = float(sum(costs.values()))
    metrics["cost_per_returnee"] = metrics["cost_total"] / metrics["returned"] if metrics["returned"] else math.nan
    metrics.update(costs)
    metrics.update(vehicle_metrics(departures))
    for name in stage_names:
        metrics[f"queue_days_mean_{name}"] = math.nan
        metrics[f"service_days_mean_{name}"] = math.nan
    if stages is not None and len(stages):
        queue = stages["started"].to_numpy() - stages["queued"].to_numpy()
        service = stages["finished"].to_numpy() - stages["started"].to_numpy()
        codes = stages["stage"].cat.codes.to_numpy() if hasattr(stages["stage"], "cat") else None
        categories = list(stages["stage"].cat.categories) if codes is not None else []
        for code, name in enumerate(categories):
            mask = codes == code
            q, s = queue[mask], service[mask]
            q, s = q[~np.isnan(q)], s[~np.isnan(s)]
            metrics[f"queue_days_mean_{name}"] = float(q.mean()) if len(q) else math.nan
            metrics[f"service_days_mean_{name}"] = float(s.mean()) if len(s) else math.nan
    return metrics


def vehicle_metrics(departures: pd.DataFrame | None) -> dict[str, float]:
    """The charter flights and buses of one replication (its departures table): ``vehicle_trips``, how many
    left, and ``vehicle_load_factor``, the people they carried over the seats they offered (NaN when
    none left)."""
    if departures is None:
        return {"vehicle_trips": math.nan, "vehicle_load_factor": math.nan}
    seats = float(departures["seats"].sum()) if len(departures) else 0.0
    load = float(departures["load"].sum()) if len(departures) else 0.0
    return {"vehicle_trips": float(len(departures)), "vehicle_load_factor": load / seats if seats else math.nan}


def nationality_metrics(victims: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Per nationality of one replication: outcomes and cost (who pays), in long format."""
    rows: list[dict[str, Any]] = []
    for nationality, group in victims.groupby("nationality", sort=True, observed=True):
        values = outcomes(group, horizon)
        values["cost_total"] = float(group["cost"].sum())
        values["cost_per_returnee"] = values["cost_total"] / values["returned"] if values["returned"] else math.nan
        rows.extend({"nationality": nationality, "metric": k, "value": values[k]} for k in NATIONALITY_METRICS)
    return pd.DataFrame(rows, columns=["nationality", "metric", "value"])


def kaplan_meier(events: np.ndarray, censored: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The Kaplan-Meier estimate of the share with an event by each of ``days``: ``events`` are the times
    of the events seen, ``censored`` the times at which the others were last seen without one (right
    censoring). At a time where both happen, the events count first (the usual convention, as in
    ``scipy.stats.ecdf``). Written here with numpy because ``scipy.stats`` takes half a second to import."""
    times = np.concatenate((events, censored))
    is_event = np.concatenate((np.ones(len(events), dtype=bool), np.zeros(len(censored), dtype=bool)))
    order = np.lexsort((~is_event, times))  # by time, events before censorings at equal times
    times, is_event = times[order], is_event[order]
    at_risk = len(times) - np.arange(len(times))
    factors = np.where(is_event, 1.0 - 1.0 / at_risk, 1.0)
    survival = np.cumprod(factors)
    # the curve after each time, looked up at each day (before the first time: no event yet)
    index = np.searchsorted(times, days, side="right") - 1
    return np.where(index >= 0, 1.0 - survival[np.maximum(index, 0)], 0.0)


def return_curve(victims: pd.DataFrame, horizon: float, days: np.ndarray | None = None) -> pd.DataFrame:
    """The Kaplan-Meier estimate of the share home by each day since arrival, over everyone who arrived
    (all replications pooled), for everyone and per nationality. A person not home is censored at the
    horizon (their time so far, ``horizon - arrived``); a lost person too (they never come home, and
    stay in the denominator until the horizon). Columns: ``nationality`` ("all" for everyone), ``day``,
    ``share_home``."""
    days = np.arange(0.0, math.floor(horizon) + 1.0) if days is None else days
    frames = []
    groups = [("all", victims)] + [(str(n), g) for n, g in victims.groupby("nationality", sort=True, observed=True)]
    for name, group in groups:
        returned = (group["status"] == "returned").to_numpy()
        arrived = group["arrived"].to_numpy()
        home_after = group["departed"].to_numpy()[returned] - arrived[returned]
        share = kaplan_meier(home_after, horizon - arrived[~returned], days)
        frames.append(pd.DataFrame({"nationality": name, "day": days, "share_home": share}))
    return pd.concat(frames, ignore_index=True)


def t_interval(values: Iterable[float], confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of the non-NaN values: (mean, low, high, n)."""
    array = np.asarray(list(values), dtype=float)
    array = array[~np.isnan(array)]
    n = len(array)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(array.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    sd = float(array.std(ddof=1))
    # the Student t quantile (what scipy.stats.t.ppf computes, without importing scipy.stats: half a second)
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, n


def is_fraction(metric: str) -> bool:
    """Whether a metric is a share or a ratio of people to places: it lies in [0, 1]."""
    return metric.endswith(("_share", "load_factor"))


def metric_interval(values: Iterable[float], metric: str = "") -> tuple[float, float, float, int]:
    """:func:`t_interval` of a metric of replications, kept to the values the metric can take: every metric
    is a count, a number of days or a cost, so its mean cannot be negative, and a share (``is_fraction``)
    cannot exceed 1. The interval is the t-interval intersected with that range (its coverage is
    unchanged). Differences are not bounded."""
    mean, low, high, n = t_interval(values)
    if not math.isnan(low):
        low, high = max(low, 0.0), max(high, 0.0)
        if is_fraction(metric):
            low, high = min(low, 1.0), min(high, 1.0)
    return mean, low, high, n


def summarise(replications: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv: per metric (column of ``replications`` but ``replication``) mean, CI, p50, p90, n."""
    rows = []
    for metric in replications.columns:
        if metric == "replication":
            continue
        values = replications[metric].to_numpy(dtype=float)
        mean, low, high, n = metric_interval(values, metric)
        finite = values[~np.isnan(values)]
        p50, p90 = (np.percentile(finite, [50, 90]) if len(finite) else (math.nan, math.nan))
        rows.append({"metric": metric, "mean": mean, "ci_low": low, "ci_high": high, "p50": float(p50),
                     "p90": float(p90), "n": n})
    return pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "p50", "p90", "n"])


def summarise_by_nationality(long: pd.DataFrame) -> pd.DataFrame:
    """metrics_by_nationality.csv from per-replication long rows (replication, nationality, metric, value)."""
    return _summarise_groups(long, ["nationality"], sort=True)


def summarise_by_site(long: pd.DataFrame) -> pd.DataFrame:
    """metrics_by_site.csv from per-replication long rows (replication, site, kind, metric, value), in the
    order of the sites and crossings in the scenario."""
    return _summarise_groups(long, ["site", "kind"], sort=False)


def _summarise_groups(long: pd.DataFrame, keys: list[str], sort: bool) -> pd.DataFrame:
    """Mean, CI (:func:`metric_interval`), p50, p90 and n of each metric of each group of ``keys`` across
    replications (a loop over the groups: fewer than pandas' grouped statistics cost to set up)."""
    rows = []
    for group_key, group in long.groupby([*keys, "metric"], sort=sort):
        *names, metric = group_key
        values = group["value"].to_numpy(dtype=float)
        mean, low, high, n = metric_interval(values, metric)
        finite = values[~np.isnan(values)]
        p50, p90 = (np.percentile(finite, [50, 90]) if len(finite) else (math.nan, math.nan))
        rows.append({**dict(zip(keys, names)), "metric": metric, "mean": mean, "ci_low": low, "ci_high": high,
                     "p50": float(p50), "p90": float(p90), "n": n})
    return pd.DataFrame(rows, columns=[*keys, "metric", "mean", "ci_low", "ci_high", "p50", "p90", "n"])


def paired_comparison(per_scenario: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """comparison.csv: each scenario's mean and CI per metric, and the paired difference to the first.

    ``per_scenario`` maps scenario names (first = reference) to their replications tables, which must
    hold the same replication indices (common random numbers pair them).
    """
    names = list(per_scenario)
    reference = per_scenario[names[0]].set_index("replication").sort_index()
    rows: list[dict[str, Any]] = []
    for metric in [c for c in reference.columns]:
        for name in names:
            table = per_scenario[name].set_index("replication").sort_index()
            if not table.index.equals(reference.index):
                raise ValueError(f"{name}: replications differ from {names[0]}; cannot pair them")
            mean, low, high, n = metric_interval(table[metric], metric)
            diff_mean, diff_low, diff_high, _ = t_interval(table[metric] - reference[metric])
            rows.append({"metric": metric, "scenario": name, "mean": mean, "ci_low": low, "ci_high": high, "n": n,
                         "diff_mean": diff_mean, "diff_ci_low": diff_low, "diff_ci_high": diff_high})
    return pd.DataFrame(rows, columns=["metric", "scenario", "mean", "ci_low", "ci_high", "n", "diff_mean",
                                       "diff_ci_low", "diff_ci_high"])


def precision_reached(replications: pd.DataFrame, precision: float,
                      metrics: Sequence[str] = HEADLINE_METRICS) -> bool:
    """True when every headline metric's CI half-width is within ``precision`` x |mean|.

    A metric that is undefined in every replication (NaN, e.g. no one returned) or constant has nothing
    left to estimate and counts as reached.
    """
    for metric in metrics:
        if metric not in replications:
            continue
        mean, low, high, n = t_interval(replications[metric])  # the half-width, unbounded
        if n == 0:
            continue
        if n < 2:
            return False
        half = (high - low) / 2
        if half > precision * abs(mean) + 1e-12:
            return False
    return True
