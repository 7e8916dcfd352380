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
    "wait_days_p50",
    "wait_days_p90",
    "peak_holding",
    "waiting",
    "expected_retrafficked_total",
    "cost_total",
)
SWEEP_METRICS = ("wait_days_p50", "expected_retrafficked_total", "cost_total", "waiting", "peak_holding")

# metric -> (plain words, unit); "{cost}" is replaced by the cost unit.
METRICS: dict[str, tuple[str, str]] = {
    "arrived": ("People who arrived", "people"),
    "returned": ("People who went home", "people"),
    "lost": ("People lost before going home (absconded or re-recruited)", "people"),
    "waiting": ("People still waiting at the end", "people"),
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
    "expected_retrafficked_total": ("Expected people re-trafficked or lost, in total", "people"),
    "cost_total": ("Total cost", "{cost}"),
    "cost_holding": ("Cost of the holding site", "{cost}"),
    "cost_shelter": ("Cost of the shelter", "{cost}"),
    "cost_officers": ("Cost of consular officers", "{cost}"),
    "cost_transport": ("Cost of transport home", "{cost}"),
    "cost_health_checks": ("Cost of health checks", "{cost}"),
}


def metric_label(metric: str, cost_unit: str = "cost units", with_unit: bool = True) -> str:
    """Plain words for a metric name, with its unit in brackets."""
    if metric in METRICS:
        words, unit = METRICS[metric]
    else:
        words, unit = _stage_metric_words(metric)
    unit = unit.replace("{cost}", cost_unit)
    return f"{words} ({unit})" if with_unit else words


def _stage_metric_words(metric: str) -> tuple[str, str]:
    for prefix, words in (("queue_days_mean_", "Mean days queueing for"),
                          ("service_days_mean_", "Mean days being served at")):
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
