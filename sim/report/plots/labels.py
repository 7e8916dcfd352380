"""Words for what the figures show: metric names in plain words with units, stage names, and the
headline metrics; plus reading one metric's mean and 95% CI from a ``metrics.csv`` table.
"""

from __future__ import annotations

import math

import pandas as pd

DEFAULT_STAGES = ("registration", "identity", "crossing", "health", "screening", "documents", "transport")
STAGE_LABELS = {
    "registration": "Registration",
    "identity": "Identity check",
    "crossing": "Border crossing",
    "health": "Health check",
    "screening": "Victim screening",
    "documents": "Travel documents",
    "transport": "Transport home",
}

HEADLINE_METRICS = (
    "home_by_day_30_share",
    "home_by_day_60_share",
    "limbo_days_mean",
    "limbo_days_p50",
    "limbo_days_p90",
    "still_waiting",
    "expected_retrafficked",
    "cost_total",
    "cost_per_returnee",
)
SWEEP_METRICS = ("limbo_days_p90", "home_by_day_30_share", "expected_retrafficked", "cost_total", "still_waiting")

# metric -> (plain words, unit); "{cost}" is replaced by the cost unit.
METRICS: dict[str, tuple[str, str]] = {
    "arrived": ("People who arrived", "people"),
    "returned": ("People who went home", "people"),
    "lost": ("People lost before going home (absconded or re-recruited)", "people"),
    "still_waiting": ("People still waiting at the end", "people"),
    "home_by_day_30_share": ("Share of people home within 30 days of arrival", "share"),
    "home_by_day_60_share": ("Share of people home within 60 days of arrival", "share"),
    "limbo_days_mean": ("Mean days in limbo, everyone who arrived", "days"),
    "limbo_days_p50": ("Median days in limbo, everyone who arrived", "days"),
    "limbo_days_p90": ("Days in limbo of the slowest 10%, everyone who arrived", "days"),
    "limbo_days_max": ("Longest time in limbo", "days"),
    "limbo_censored_share": ("Share still in limbo at the end (their limbo days are a lower bound)", "share"),
    "screened": ("People screened (victim identification)", "people"),
    "referred": ("People referred to reintegration support", "people"),
    "expected_retrafficked_still_waiting": ("Expected re-trafficked among people still waiting at the end",
                                            "people"),
    "cost_per_returnee": ("Cost per person who went home", "{cost}"),
    "cost_standby": ("Cost of standby consular teams (retainer, training)", "{cost}"),
    "cost_safe_fund_admin": ("Cost of administering the safe fund", "{cost}"),
    "cost_screening": ("Cost of screening (MDT) teams", "{cost}"),
    "cost_database": ("Cost of the shared database and home desks", "{cost}"),
    "cost_reintegration": ("Cost of reintegration support", "{cost}"),
    "vehicle_trips": ("Charter flights and buses that left", "trips"),
    "vehicle_load_factor": ("Share of the seats of charter flights and buses that were filled", "share"),
    "wait_days_mean": ("Mean wait before going home", "days"),
    "wait_days_p50": ("Median wait before going home", "days"),
    "wait_days_p90": ("Wait of the slowest 10% (90th percentile)", "days"),
    "wait_days_max": ("Longest wait before going home", "days"),
    "peak_holding": ("Most people in holding at once", "people"),
    "peak_shelter": ("Most people in the shelter at once", "people"),
    "overcrowded_person_days": ("Person-days above site capacity", "person-days"),
    "person_days_waiting": ("Person-days spent waiting at the sites", "person-days"),
    "expected_lost": ("Expected people lost while waiting", "people"),
    "expected_retrafficked_after_return": ("Expected people re-trafficked after return", "people"),
    "expected_retrafficked": ("Expected people re-trafficked or lost, in total", "people"),
    "cost_total": ("Total cost", "{cost}"),
    "cost_holding": ("Cost of the holding site", "{cost}"),
    "cost_shelter": ("Cost of the shelter", "{cost}"),
    "cost_officers": ("Cost of consular officers", "{cost}"),
    "cost_transport": ("Cost of transport home", "{cost}"),
    "cost_health_checks": ("Cost of health checks", "{cost}"),
}


def metric_label(metric: str, cost_unit: str = "USD", with_unit: bool = True) -> str:
    """Plain words for a metric name, with its unit in brackets."""
    if metric in METRICS:
        words, unit = METRICS[metric]
    else:
        words, unit = _stage_metric_words(metric)
    unit = unit.replace("{cost}", cost_unit)
    return f"{words} ({unit})" if with_unit else words


def _stage_metric_words(metric: str) -> tuple[str, str]:
    for prefix, words in (("queue_days_mean_", "Mean days queueing for"),
                          ("service_days_mean_", "Mean days being served at")):  # among people who reached it
        if metric.startswith(prefix):
            stage = metric[len(prefix):]
            return f"{words} {STAGE_LABELS.get(stage, stage).lower()}", "days"
    return metric.replace("_", " ").capitalize(), "as stored"


def metric_value(metrics: pd.DataFrame, metric: str) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of ``metric`` in a metrics.csv table; NaNs when absent."""
    if metrics is None or "metric" not in metrics.columns:
        return (math.nan, math.nan, math.nan)
    rows = metrics[metrics["metric"] == metric]
    if rows.empty:
        return (math.nan, math.nan, math.nan)
    row = rows.iloc[0]
    return tuple(float(row.get(c, math.nan)) for c in ("mean", "ci_low", "ci_high"))  # type: ignore[return-value]
