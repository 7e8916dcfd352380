"""Plots a stakeholder reads, drawn from stored results only (see docs/outputs.md).

This module reads result folders (files, never the model): it imports pandas, numpy, matplotlib and the
standard library only, so ``repatsim plot`` works on results copied to a machine without the model.
Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas: no GUI, no pyplot state.

Every figure function takes DataFrames (keyed by scenario label, in order; the first is the reference)
and returns a Figure. :func:`draw_plots` reads a run, compare or sweep folder and saves every applicable
figure as PNG (150 dpi) and SVG under ``plots/``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import textwrap
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike

__all__ = [
    "DEFAULT_STAGES",
    "HEADLINE_METRICS",
    "OKABE_ITO",
    "PLOT_CAPTIONS",
    "Results",
    "ScenarioResult",
    "cost_exposure_figure",
    "cumulative_returned",
    "daily_occupancy",
    "draw_plots",
    "exposure_figure",
    "load_results",
    "metric_label",
    "occupancy_figure",
    "returned_by_nationality_figure",
    "returned_over_time_figure",
    "sensitivity_figure",
    "stage_time_figure",
    "sweep_heatmap_figure",
    "sweep_metric_figure",
    "wait_by_nationality_figure",
    "wait_time_figure",
]

DPI = 150

# Okabe & Ito (2008), colour-blind safe. Ordered so that the strongest, most distinct colours come first
# and yellow (weak on white) comes last.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", ":", "-."]
GREY = "#7F7F7F"

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

# file stem (or stem prefix, ending in "_") -> one line saying what to look at; used by the report.
PLOT_CAPTIONS: dict[str, str] = {
    "wait_times": "How long people who went home had waited. Curves further left mean shorter waits; "
    "the circle marks the median, the triangle the 90th percentile.",
    "wait_by_nationality": "The same waits for each nationality in the reference scenario: look for "
    "nationalities whose curve lies far to the right of the grey all-nationalities curve.",
    "occupancy": "People at each site over time (line: median of the replications, band: 90% of them). "
    "Look for stretches above the dashed capacity line: overcrowding raises exposure.",
    "returned_over_time": "How many people had gone home by each date (mean of the replications). "
    "Steeper and earlier is better; a curve that levels off below the others leaves people stranded.",
    "returned_by_nationality": "Share of each nationality already home by each date in the reference "
    "scenario: flat curves show nationalities left waiting.",
    "stage_times": "Where the time goes: mean days per person at each stage, hatched while queueing, "
    "solid while being served. Long hatched segments are the bottlenecks.",
    "exposure": "Expected people re-trafficked or lost, with 95% confidence intervals, split into while "
    "waiting at the border and after return.",
    "cost_vs_exposure": "Cost against expected people re-trafficked or lost (whiskers: 95% CIs). "
    "Down and to the left is better on both counts.",
    "sweep_": "Headline results as one parameter changes, with 95% confidence intervals (bands; whiskers for "
    "false/true or named settings). Look for where the curve flattens: more of that parameter stops paying.",
    "sweep_heatmap": "A headline result over two parameters at once: each cell is the mean of the "
    "replications at that setting.",
    "sensitivity": "Which parameters move the results most: longer bars matter more, the sign shows the "
    "direction.",
}


# --------------------------------------------------------------------------------------------- helpers


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _linestyle(i: int) -> str:
    return LINESTYLES[(i // len(OKABE_ITO)) % len(LINESTYLES)]


def wrap_label(text: str, width: int = 24, max_lines: int = 3) -> str:
    """Wrap a long name onto at most ``max_lines`` lines of ``width`` characters, ending in an ellipsis."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(lines)


def wrap_path(path: str, width: int = 26, max_lines: int = 3) -> str:
    """Wrap a dotted key path at its dots rather than inside words."""
    lines = textwrap.wrap(str(path).replace(".", ". "), width=width, break_long_words=True) or [""]
    lines = [line.replace(". ", ".") for line in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + "…"
    return "\n".join(lines)


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


def _days_from(start_date: dt.date | None) -> str:
    if start_date is None:
        return "Time since the start of the operation (days)"
    return f"Date (day 0 = {start_date.day} {start_date:%b %Y})"


def _time_values(days: np.ndarray, start_date: dt.date | None) -> np.ndarray:
    """Model days to plot values: calendar datetimes when a start date is known, else the days."""
    if start_date is None:
        return np.asarray(days, dtype=float)
    base = np.datetime64(dt.datetime(start_date.year, start_date.month, start_date.day), "s")
    return base + np.round(np.asarray(days, dtype=float) * 86400).astype("timedelta64[s]")


def _format_time_axis(ax: Any, start_date: dt.date | None, label: bool = True) -> None:
    if start_date is not None:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    if label:
        ax.set_xlabel(_days_from(start_date))


def _day_grid(horizon: float | None, *observed: float) -> np.ndarray:
    finite = [x for x in observed if x is not None and np.isfinite(x)]
    end = horizon if horizon is not None and np.isfinite(horizon) else (max(finite) if finite else 1.0)
    return np.arange(0.0, math.ceil(max(end, 1.0)) + 1.0)


def _outside_legend(fig: Figure, handles: list[Any], labels: list[str] | None = None, ncols: int = 3) -> None:
    """A legend below the axes, where it cannot cover data."""
    if not handles:
        return
    if labels is None:
        labels = [h.get_label() for h in handles]
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, min(ncols, len(handles))),
               frameon=False, fontsize="small")


def _style_axes(ax: Any) -> None:
    ax.grid(True, color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _metric_value(metrics: pd.DataFrame, metric: str) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of ``metric`` in a metrics.csv table; NaNs when absent."""
    if metrics is None or "metric" not in metrics.columns:
        return (math.nan, math.nan, math.nan)
    rows = metrics[metrics["metric"] == metric]
    if rows.empty:
        return (math.nan, math.nan, math.nan)
    row = rows.iloc[0]
    return tuple(float(row.get(c, math.nan)) for c in ("mean", "ci_low", "ci_high"))  # type: ignore[return-value]


def _err(mean: float, low: float, high: float) -> tuple[float, float]:
    """Error-bar half widths, zero where the interval is unknown (one replication)."""
    lo = mean - low if np.isfinite(low) else 0.0
    hi = high - mean if np.isfinite(high) else 0.0
    return max(lo, 0.0), max(hi, 0.0)


def _waits(victims: pd.DataFrame) -> np.ndarray:
    returned = victims[victims["status"] == "returned"]
    waits = (returned["departed"] - returned["arrived"]).to_numpy(dtype=float)
    return waits[np.isfinite(waits)]


def _ecdf_xy(values: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of the empirical CDF (in %): its exact steps for small samples, its quantiles at ``probs``
    for large ones (a few hundred points draw the same curve, and keep the SVG small)."""
    if values.size <= 2 * probs.size:
        xs = np.sort(values)
        ys = np.arange(1, xs.size + 1) / xs.size * 100
        return np.repeat(xs, 2), np.concatenate([[0.0], np.repeat(ys, 2)[:-1]])
    return np.quantile(values, probs, method="inverted_cdf"), probs * 100


def _share_not_returned(victims: pd.DataFrame) -> float:
    if len(victims) == 0:
        return math.nan
    return float((victims["status"] != "returned").mean())


def _fmt_days(x: float) -> str:
    if not np.isfinite(x):
        return "–"
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


# ------------------------------------------------------------------------------------ figure 1: waits


def wait_time_figure(victims: Mapping[str, pd.DataFrame]) -> Figure:
    """ECDF of the wait (departure - arrival) of people who went home, one curve per scenario.

    Args:
        victims: scenario label -> victims table (all replications pooled).
    """
    fig = _new_figure(8.0, 5.0 + 0.25 * max(0, len(victims) - 2))
    ax = fig.add_subplot()
    _style_axes(ax)
    probs = np.linspace(0.0, 1.0, 401)
    handles: list[Any] = []
    for i, (label, df) in enumerate(victims.items()):
        waits = _waits(df)
        colour, style = _colour(i), _linestyle(i)
        not_home = _share_not_returned(df)
        if waits.size:
            q50, q90 = np.quantile(waits, [0.5, 0.9])
            legend = f"{wrap_label(label, 40, 2)}: median {_fmt_days(q50)} d, 90th pct {_fmt_days(q90)} d"
            (line,) = ax.plot(*_ecdf_xy(waits, probs), color=colour, linestyle=style,
                              linewidth=2, label=legend)
            ax.plot([q50], [50], marker="o", color=colour, markersize=7, linestyle="none",
                    label="_median", zorder=4)
            ax.plot([q90], [90], marker="^", color=colour, markersize=8, linestyle="none",
                    label="_p90", zorder=4)
        else:
            legend = f"{wrap_label(label, 40, 2)}: nobody went home"
            (line,) = ax.plot([], [], color=colour, linestyle=style, linewidth=2, label=legend)
        if np.isfinite(not_home) and not_home >= 0.005:
            line.set_label(f"{line.get_label()}; {not_home:.0%} of arrivals not home by the end")
        handles.append(line)
    for level in (50, 90):
        ax.axhline(level, color=GREY, linewidth=0.8, linestyle=":", zorder=1, label="_ref")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.set_xlabel("Days from arrival at the border to departure home (days)")
    ax.set_ylabel("Went home within that many days (% of people)")
    ax.text(0.0, 1.0, "Among people who went home by the end; pooled over replications",
            transform=ax.transAxes, fontsize="small", color="#444444", va="bottom", ha="left")
    ax.set_title("How long people wait before going home\n", loc="left", fontweight="bold")
    handles += [Line2D([], [], marker="o", color=GREY, linestyle="none", label="median"),
                Line2D([], [], marker="^", color=GREY, linestyle="none", label="90th percentile")]
    _outside_legend(fig, handles, ncols=1)
    return fig


def wait_by_nationality_figure(victims: pd.DataFrame, label: str, max_panels: int = 24) -> Figure:
    """Small multiples: the wait ECDF per nationality (largest first), over the all-nationality curve.

    Beyond ``max_panels`` nationalities the smallest are left out, and the title says how many.
    """
    counts = victims["nationality"].value_counts()
    nationalities = list(counts.index[:max_panels])
    left_out = len(counts) - len(nationalities)
    n = max(1, len(nationalities))
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(3.2 * ncols + 0.6, 2.6 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    probs = np.linspace(0.0, 1.0, 201)
    all_waits = _waits(victims)
    reps = max(1, victims["replication"].nunique()) if "replication" in victims else 1
    for k, ax in enumerate(axes.flat):
        if k >= len(nationalities):
            ax.set_visible(False)
            continue
        _style_axes(ax)
        nat = nationalities[k]
        sub = victims[victims["nationality"] == nat]
        waits = _waits(sub)
        if all_waits.size:
            ax.plot(*_ecdf_xy(all_waits, probs), color="#BBBBBB", linewidth=1.5,
                    label="All nationalities")
        text = []
        if waits.size:
            q50, q90 = np.quantile(waits, [0.5, 0.9])
            ax.plot(*_ecdf_xy(waits, probs), color=OKABE_ITO[0], linewidth=2, label=str(nat))
            ax.plot([q50], [50], marker="o", color=OKABE_ITO[0], linestyle="none", label="_median")
            ax.plot([q90], [90], marker="^", color=OKABE_ITO[0], linestyle="none", label="_p90")
            text.append(f"median {_fmt_days(q50)} d · 90th pct {_fmt_days(q90)} d")
        else:
            ax.plot([], [], color=OKABE_ITO[0], linewidth=2, label=str(nat))
            text.append("nobody went home")
        not_home = _share_not_returned(sub)
        if np.isfinite(not_home) and not_home >= 0.005:
            text.append(f"{not_home:.0%} not home")
        per_rep = len(sub) / reps
        # the figures go in the title, where they cannot cover a curve
        ax.set_title(f"{wrap_label(nat, 30, 1)} ({per_rep:,.0f} people)\n{' · '.join(text)}",
                     fontsize="small")
        ax.set_ylim(0, 100)
        if k % ncols == 0:
            ax.set_ylabel("Went home within (%)")
        if k >= len(nationalities) - ncols:
            ax.set_xlabel("Wait (days)")
            ax.xaxis.set_tick_params(labelbottom=True)
    longest = max((float(w.max()) for w in [all_waits] if w.size), default=1.0)
    axes.flat[0].set_xlim(0, longest * 1.03)  # shared by every panel
    more = f"\n({left_out} smaller nationalit{'y' if left_out == 1 else 'ies'} not shown)" if left_out else ""
    fig.suptitle(f"How long people wait before going home, by nationality: {wrap_label(label, 60, 1)}{more}",
                 fontweight="bold")
    _outside_legend(fig, [Line2D([], [], color=OKABE_ITO[0], linewidth=2, label="This nationality"),
                          Line2D([], [], color="#BBBBBB", linewidth=1.5, label="All nationalities"),
                          Line2D([], [], marker="o", color=GREY, linestyle="none", label="median"),
                          Line2D([], [], marker="^", color=GREY, linestyle="none", label="90th percentile")],
                    ncols=4)
    return fig


# ------------------------------------------------------------------------------- figure 2: occupancy


def daily_occupancy(occupancy: pd.DataFrame, days: ArrayLike, column: str) -> pd.DataFrame:
    """Resample an occupancy change log onto a grid of days, per replication.

    The value at day ``d`` is the last change at or before ``d`` (rows at the same time keep their file
    order, so the last row written wins); before the first change the site is empty (0).

    Returns:
        DataFrame indexed by replication, one column per day of ``days``.
    """
    grid = np.asarray(days, dtype=float)
    rows = {}
    for rep, group in occupancy.groupby("replication", sort=True):
        ordered = group.sort_values("day", kind="stable")
        times = ordered["day"].to_numpy(dtype=float)
        values = ordered[column].to_numpy(dtype=float)
        idx = np.searchsorted(times, grid, side="right") - 1
        rows[rep] = np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)
    return pd.DataFrame.from_dict(rows, orient="index", columns=grid)


def occupancy_figure(
    occupancy: Mapping[str, pd.DataFrame],
    capacities: Mapping[str, Mapping[str, float | None]] | None = None,
    start_date: dt.date | None = None,
    horizon: float | None = None,
) -> Figure:
    """People in holding and in the shelter over time: median and 90% band across replications.

    One row of panels per scenario (holding left, shelter right); y axes shared down each column.

    Args:
        occupancy: scenario label -> occupancy change log (``replication, day, holding, shelter``).
        capacities: scenario label -> {"holding": capacity or None, "shelter": ...}.
        start_date: day 0 as a date, for calendar axes.
        horizon: last day to show (default: the last change in the data).
    """
    capacities = capacities or {}
    n = max(1, len(occupancy))
    fig = _new_figure(10.0, 1.0 + 2.3 * n)
    axes = fig.subplots(n, 2, sharex=True, sharey="col", squeeze=False)
    last = max((float(df["day"].max()) for df in occupancy.values() if len(df)), default=1.0)
    days = _day_grid(horizon, last)
    x = _time_values(days, start_date)
    sites = (("holding", "Holding site (before the crossing)"), ("shelter", "Shelter (after the crossing)"))
    tops = [1.0, 1.0]  # per column: the highest band or capacity line, so that no panel clips another's data
    for i, (label, df) in enumerate(occupancy.items()):
        colour = _colour(i)
        for j, (site, title) in enumerate(sites):
            ax = axes[i, j]
            _style_axes(ax)
            if site in df.columns and len(df):
                table = daily_occupancy(df, days, site)
                lo, mid, hi = (table.quantile(q, axis=0).to_numpy() for q in (0.05, 0.5, 0.95))
            else:
                lo = mid = hi = np.full(days.shape, np.nan)
            ax.fill_between(x, lo, hi, color=colour, alpha=0.25, linewidth=0, label="90% of replications")
            ax.plot(x, mid, color=colour, linewidth=2, label="Median of replications")
            cap = (capacities.get(label) or {}).get(site)
            if cap is not None and np.isfinite(cap):
                ax.axhline(cap, color="#000000", linestyle="--", linewidth=1.2, label="Capacity")
                tops[j] = max(tops[j], float(cap))
            if np.isfinite(hi).any():
                tops[j] = max(tops[j], float(np.nanmax(hi)))
            if i == 0:
                ax.set_title(title, fontsize="medium")
            if j == 0:
                ax.set_ylabel(f"{wrap_label(label, 26, 2)}\n\nPeople on site (people)", fontsize="small")
            else:
                ax.set_ylabel("People on site (people)", fontsize="small")
            _format_time_axis(ax, start_date, label=(i == n - 1))
    for j in range(2):
        axes[0, j].set_ylim(0, tops[j] * 1.06)  # shared down the column
    fig.suptitle("How many people are held at each site over time", fontweight="bold")
    handles = [Line2D([], [], color=GREY, linewidth=2, label="Median of replications"),
               Patch(facecolor=GREY, alpha=0.25, label="90% of replications"),
               Line2D([], [], color="#000000", linestyle="--", linewidth=1.2, label="Capacity")]
    _outside_legend(fig, handles)
    return fig


# ------------------------------------------------------------------------- figure 3: people returned


def cumulative_returned(victims: pd.DataFrame, days: ArrayLike) -> pd.DataFrame:
    """People who went home by each day (departed at or before it), per replication (rows) and day."""
    grid = np.asarray(days, dtype=float)
    returned = victims[victims["status"] == "returned"]
    reps = sorted(victims["replication"].unique()) if len(victims) else []
    rows = {}
    for rep in reps:
        times = np.sort(returned.loc[returned["replication"] == rep, "departed"].to_numpy(dtype=float))
        rows[rep] = np.searchsorted(times, grid, side="right").astype(float)
    return pd.DataFrame.from_dict(rows, orient="index", columns=grid)


def _last_departure(victims: Mapping[str, pd.DataFrame]) -> float:
    values = [float(df["departed"].max()) for df in victims.values()
              if len(df) and df["departed"].notna().any()]
    return max(values, default=1.0)


def returned_over_time_figure(
    victims: Mapping[str, pd.DataFrame],
    start_date: dt.date | None = None,
    horizon: float | None = None,
) -> Figure:
    """Cumulative people returned over time per scenario: mean line, 90% band across replications."""
    fig = _new_figure(8.0, 5.0 + 0.25 * max(0, len(victims) - 2))
    ax = fig.add_subplot()
    _style_axes(ax)
    days = _day_grid(horizon, _last_departure(victims))
    x = _time_values(days, start_date)
    handles: list[Any] = []
    arrived = set()
    for i, (label, df) in enumerate(victims.items()):
        table = cumulative_returned(df, days)
        colour, style = _colour(i), _linestyle(i)
        if len(table):
            mean = table.mean(axis=0).to_numpy()
            lo, hi = (table.quantile(q, axis=0).to_numpy() for q in (0.05, 0.95))
            reps = df["replication"].nunique()
            arrived.add(round(len(df) / reps))
        else:
            mean = lo = hi = np.full(days.shape, np.nan)
        ax.fill_between(x, lo, hi, color=colour, alpha=0.15, linewidth=0, label="_band")
        (line,) = ax.plot(x, mean, color=colour, linestyle=style, linewidth=2,
                          label=wrap_label(label, 40, 2))
        handles.append(line)
    if len(arrived) == 1:
        (total,) = arrived
        ax.axhline(total, color=GREY, linestyle=":", linewidth=1.2, label="_everyone")
        ax.annotate(f"everyone who arrived: {total:,}", xy=(0.01, total), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", fontsize="small", color="#444444")
        ax.set_ylim(0, total * 1.08)
    else:
        ax.set_ylim(bottom=0)
    _format_time_axis(ax, start_date)
    ax.set_ylabel("People who have gone home (people, cumulative)")
    ax.set_title("How many people have gone home over time", loc="left", fontweight="bold")
    handles.append(Patch(facecolor=GREY, alpha=0.2, label="90% of replications"))
    _outside_legend(fig, handles, ncols=2)
    return fig


def _share_home(victims: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """Mean across replications of the share (%) of these people home by each day."""
    table = cumulative_returned(victims, days)
    per_rep = victims.groupby("replication").size().reindex(table.index).to_numpy(dtype=float)
    return (table.to_numpy() / per_rep[:, None]).mean(axis=0) * 100


def returned_by_nationality_figure(
    victims: pd.DataFrame,
    label: str,
    start_date: dt.date | None = None,
    horizon: float | None = None,
    max_lines: int = 8,
) -> Figure:
    """Share of each nationality already home over time (mean across replications).

    Up to ``max_lines`` nationalities share one chart; beyond that, small multiples (largest first) over the
    all-nationality curve in grey, so every line stays readable.
    """
    days = _day_grid(horizon, _last_departure({label: victims}))
    x = _time_values(days, start_date)
    counts = victims["nationality"].value_counts()
    reps = max(1, victims["replication"].nunique())
    title = f"Who goes home when, by nationality: {wrap_label(label, 50, 1)}"
    ylabel = "Gone home (% of the nationality's arrivals)"
    if len(counts) <= max_lines:
        fig = _new_figure(9.0, 5.5)
        ax = fig.add_subplot()
        _style_axes(ax)
        for i, nat in enumerate(counts.index):
            ax.plot(x, _share_home(victims[victims["nationality"] == nat], days), color=_colour(i),
                    linestyle=_linestyle(i), linewidth=1.8,
                    label=f"{wrap_label(nat, 24, 1)} ({counts[nat] / reps:,.0f})")
        ax.set_ylim(0, 102)
        _format_time_axis(ax, start_date)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left", fontweight="bold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
                  title="Nationality (people)", title_fontsize="small")
        return fig
    n = len(counts)
    ncols = 4
    nrows = math.ceil(n / ncols)
    fig = _new_figure(3.2 * ncols + 0.6, 2.2 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    overall = _share_home(victims, days)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        _style_axes(ax)
        nat = counts.index[k]
        ax.plot(x, overall, color="#BBBBBB", linewidth=1.5, label="All nationalities")
        ax.plot(x, _share_home(victims[victims["nationality"] == nat], days), color=OKABE_ITO[0], linewidth=2,
                label=str(nat))
        ax.set_title(f"{wrap_label(nat, 26, 2)} ({counts[nat] / reps:,.0f} people)", fontsize="small")
        ax.set_ylim(0, 102)
        if k % ncols == 0:
            ax.set_ylabel("Gone home (%)")
        if k >= n - ncols:
            _format_time_axis(ax, start_date, label=False)
            ax.set_xlabel(_days_from(start_date).replace(" (day 0 = ", "\n(day 0 = "), fontsize="small")
            ax.xaxis.set_tick_params(labelbottom=True, labelsize="small")
    fig.suptitle(title, fontweight="bold")
    _outside_legend(fig, [Line2D([], [], color=OKABE_ITO[0], linewidth=2, label="This nationality"),
                          Line2D([], [], color="#BBBBBB", linewidth=1.5, label="All nationalities")], ncols=2)
    return fig


# ------------------------------------------------------------------------- figure 4: stage times


def _stages_in(metrics: Mapping[str, pd.DataFrame], order: Sequence[str] | None) -> list[str]:
    found: list[str] = []
    for df in metrics.values():
        for name in df["metric"]:
            for prefix in ("queue_days_mean_", "service_days_mean_"):
                if name.startswith(prefix) and name[len(prefix):] not in found:
                    found.append(name[len(prefix):])
    preferred = list(order or DEFAULT_STAGES)
    return [s for s in preferred if s in found] + [s for s in found if s not in preferred]


def stage_time_figure(metrics: Mapping[str, pd.DataFrame], stages: Sequence[str] | None = None) -> Figure:
    """Where the time goes: mean days per stage, queueing (hatched) and being served (solid), stacked.

    One horizontal bar per scenario; one BarContainer per (stage, queueing/served).
    """
    order = _stages_in(metrics, stages)
    labels = list(metrics)
    n = max(1, len(labels))
    fig = _new_figure(10.0, 2.0 + 0.75 * n)
    ax = fig.add_subplot()
    _style_axes(ax)
    ax.grid(False, axis="y")
    y = np.arange(n)
    left = np.zeros(n)
    handles: list[Any] = []
    parts: tuple[tuple[str, dict[str, Any]], ...] = (("queue_days_mean_", {"alpha": 0.45, "hatch": "///"}),
                                                     ("service_days_mean_", {"alpha": 1.0}))
    for k, stage in enumerate(order):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        for part, (prefix, style) in enumerate(parts):
            widths = np.array([_metric_value(metrics[lab], prefix + stage)[0] for lab in labels])
            widths = np.nan_to_num(widths, nan=0.0)
            ax.barh(y, widths, left=left, height=0.6, color=colour, edgecolor="white", linewidth=0.5,
                    label=f"{STAGE_LABELS.get(stage, stage)}: {'queueing' if part == 0 else 'served'}",
                    **style)
            left += widths
        handles.append(Patch(facecolor=colour, label=STAGE_LABELS.get(stage, stage)))
    for yi, total in zip(y, left):
        ax.text(float(total), float(yi), f" {total:.1f} days", va="center", ha="left", fontsize="small")
    ax.set_yticks(y, [wrap_label(lab, 24, 3) for lab in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(left.max()) if len(left) else 1.0, 1e-9) * 1.15)
    ax.set_xlabel("Mean days per person at each stage (days)")
    ax.set_title("Where the time goes: queueing and being served at each stage", loc="left",
                 fontweight="bold")
    handles += [Patch(facecolor="#BBBBBB", alpha=0.45, hatch="///", edgecolor="white", label="queueing"),
                Patch(facecolor="#BBBBBB", label="being served")]
    _outside_legend(fig, handles, ncols=len(handles) if len(handles) <= 6 else math.ceil(len(handles) / 2))
    return fig


# --------------------------------------------------------------------------- figure 5: exposure


def exposure_figure(metrics: Mapping[str, pd.DataFrame]) -> Figure:
    """Expected re-trafficking exposure per scenario with 95% CIs: while waiting vs after return."""
    labels = list(metrics)
    n = max(1, len(labels))
    fig = _new_figure(9.0, 2.2 + 0.9 * n)
    ax = fig.add_subplot()
    _style_axes(ax)
    ax.grid(False, axis="y")
    y = np.arange(n)
    parts = (("expected_lost", "While waiting (lost before going home)", OKABE_ITO[1], -0.18),
             ("expected_retrafficked_after_return", "After return home", OKABE_ITO[0], 0.18))
    right = 0.0
    for metric, name, colour, offset in parts:
        values = [_metric_value(metrics[lab], metric) for lab in labels]
        means = np.array([v[0] for v in values])
        errs = np.array([_err(*v) for v in values]).T
        ax.barh(y + offset, np.nan_to_num(means), height=0.34, color=colour, label=name,
                xerr=errs, error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})
        right = max(right, float(np.nanmax(np.nan_to_num(means) + errs[1])) if len(means) else 0.0)
    ticks = []
    for lab in labels:
        mean, lo, hi = _metric_value(metrics[lab], "expected_retrafficked_total")
        text = wrap_label(lab, 26, 3)
        if np.isfinite(mean):
            ci = f"\n(95% CI {lo:,.1f}–{hi:,.1f})" if np.isfinite(lo) and np.isfinite(hi) else ""
            text += f"\ntotal {mean:,.1f}{ci}"
        ticks.append(text)
    ax.set_yticks(y, ticks)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, max(right, 1e-9) * 1.15)
    ax.set_xlabel("Expected number of people re-trafficked or lost (people; whiskers: 95% CI)")
    ax.set_title("Re-trafficking exposure: while waiting and after return", loc="left", fontweight="bold")
    bars = [c for c in ax.containers if isinstance(c, BarContainer) and c.patches]
    _outside_legend(fig, [c.patches[0] for c in bars], [str(c.get_label()) for c in bars], ncols=2)
    return fig


# ---------------------------------------------------------------------- figure 6: cost vs exposure


def _place_labels(fig: Figure, ax: Any, texts: list[Any], points: list[tuple[float, float]]) -> None:
    """Put each point's label where it covers no other label and no marker.

    Tries eight positions around the point (right first); if all collide, keeps the first and then pushes
    colliding labels apart vertically. Deterministic, no extra dependency.
    """
    if not texts:
        return
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # _new_figure attaches one
    canvas.draw()
    renderer = canvas.get_renderer()
    px_to_pt = 72.0 / fig.dpi
    marker_px = 7.0 / px_to_pt  # half a marker plus a little air, in pixels
    centres = [ax.transData.transform(p) for p in points]
    markers = [(cx - marker_px, cy - marker_px, cx + marker_px, cy + marker_px) for cx, cy in centres]
    candidates = [((9, 5), "left", "bottom"), ((9, -5), "left", "top"), ((-9, 5), "right", "bottom"),
                  ((-9, -5), "right", "top"), ((0, 10), "center", "bottom"), ((0, -10), "center", "top"),
                  ((14, 0), "left", "center"), ((-14, 0), "right", "center")]

    def hits(box: Any, others: list[tuple[float, float, float, float]]) -> bool:
        return any(box.x0 < x1 and box.x1 > x0 and box.y0 < y1 and box.y1 > y0 for x0, y0, x1, y1 in others)

    placed: list[tuple[float, float, float, float]] = []
    axes_box = ax.get_window_extent(renderer)
    for text in texts:
        chosen = None
        for offset, ha, va in candidates:
            text.xyann = offset
            text.set_ha(ha)
            text.set_va(va)
            box = text.get_window_extent(renderer)
            inside = box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1 and box.y0 >= axes_box.y0 \
                and box.y1 <= axes_box.y1
            if inside and not hits(box, placed + markers):
                chosen = box
                break
        if chosen is None:
            (offset, ha, va) = candidates[0]
            text.xyann = offset
            text.set_ha(ha)
            text.set_va(va)
            chosen = text.get_window_extent(renderer)
        placed.append((chosen.x0, chosen.y0, chosen.x1, chosen.y1))
    # last resort for crowded plots: push still-overlapping labels apart vertically
    for _ in range(50):
        moved = False
        boxes = [t.get_window_extent(renderer) for t in texts]
        for i in range(1, len(texts)):
            for j in range(i):
                if boxes[i].overlaps(boxes[j]):
                    if boxes[i].y0 <= boxes[j].y0:
                        shift = -(boxes[i].y1 - boxes[j].y0) * px_to_pt - 2.0
                    else:
                        shift = (boxes[j].y1 - boxes[i].y0) * px_to_pt + 2.0
                    dx, dy = texts[i].xyann
                    texts[i].xyann = (dx, dy + shift)
                    boxes[i] = texts[i].get_window_extent(renderer)
                    moved = True
        if not moved:
            break


def _padded_limits(low: float, high: float, pad: float = 0.12) -> tuple[float, float]:
    """Axis limits around [low, high]; from zero when the data already reach below half the top value."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return (0.0, 1.0)
    if low >= 0 and low <= 0.5 * high:
        return (0.0, high * (1 + pad) if high > 0 else 1.0)
    span = high - low if high > low else max(abs(high), 1.0) * 0.1
    return (low - span * pad * 2, high + span * pad * 2)


def cost_exposure_figure(metrics: Mapping[str, pd.DataFrame], cost_unit: str = "cost units") -> Figure:
    """Total cost against expected people re-trafficked or lost, one labelled point per scenario.

    The axes start at zero when the values span much of their range; otherwise they zoom in on the
    points (the tick labels show the scale) so that the labels and CIs stay readable.
    """
    fig = _new_figure(8.5, 6.0)
    ax = fig.add_subplot()
    _style_axes(ax)
    texts, points = [], []
    xs: list[float] = []
    ys: list[float] = []
    for i, (label, df) in enumerate(metrics.items()):
        xm, xl, xh = _metric_value(df, "expected_retrafficked_total")
        ym, yl, yh = _metric_value(df, "cost_total")
        xerr = np.array(_err(xm, xl, xh)).reshape(2, 1)
        yerr = np.array(_err(ym, yl, yh)).reshape(2, 1)
        marker = "osD^vP*X"[i % 8]
        ax.errorbar([xm], [ym], xerr=xerr, yerr=yerr, fmt=marker, color=_colour(i), markersize=8,
                    capsize=3, linewidth=1.2, label=wrap_label(label, 40, 2))
        if np.isfinite(xm) and np.isfinite(ym):
            xs += [xm - xerr[0, 0], xm + xerr[1, 0]]
            ys += [ym - yerr[0, 0], ym + yerr[1, 0]]
            points.append((xm, ym))
            texts.append(ax.annotate(wrap_label(label, 26, 2), xy=(xm, ym), xytext=(9, 5),
                                     textcoords="offset points", fontsize="small", color=_colour(i),
                                     annotation_clip=False))
    if xs:
        x0, x1 = _padded_limits(min(xs), max(xs), pad=0.35)
        y0, y1 = _padded_limits(min(ys), max(ys), pad=0.2)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    ax.set_xlabel("Expected people re-trafficked or lost (people; whiskers: 95% CI)")
    ax.set_ylabel(f"Total cost of the operation ({cost_unit})")
    ax.yaxis.set_major_formatter(_thousands())
    zoomed = [axis for axis, (low, _) in (("x", ax.get_xlim()), ("y", ax.get_ylim())) if low != 0]
    title = "What each scenario costs, and how many people it exposes to re-trafficking"
    ax.set_title(title + ("\n" if zoomed else ""), loc="left", fontweight="bold", fontsize="medium")
    if zoomed:
        note = ("Zoomed in: the x and y axes do not start at zero" if len(zoomed) == 2
                else f"Zoomed in: the {zoomed[0]} axis does not start at zero")
        ax.text(0.0, 1.01, note, transform=ax.transAxes, fontsize="small", color="#444444", va="bottom",
                ha="left")
    _outside_legend(fig, list(ax.containers), ncols=2)
    _place_labels(fig, ax, texts, points)
    return fig


def _thousands_fn(value: float, _pos: int) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"


def _thousands() -> FuncFormatter:
    """A new tick formatter for large amounts: 5,000, 38k, 9.9M (one per axis: formatters bind to it)."""
    return FuncFormatter(_thousands_fn)


# ------------------------------------------------------------------------------------ figure 7: sweeps

_SUMMARY_FIXED = ("point_id", "metric", "mean", "ci_low", "ci_high", "n", "scenario_hash")


def sweep_parameters(summary: pd.DataFrame, points: pd.DataFrame | None = None) -> list[str]:
    """The swept parameters (dotted paths): columns of points.csv, else of summary.csv, in file order."""
    source = points if points is not None else summary
    return [c for c in source.columns if c not in _SUMMARY_FIXED]


def _parameter_unit(parameter: str, values: pd.Series) -> str:
    leaf = parameter.rsplit(".", 1)[-1]
    if values.dtype == bool or set(map(str, values.unique())) <= {"True", "False", "true", "false"}:
        return "false / true"
    rules = (("daily_capacity", "people per day"), ("capacity", "people"), ("officers", "officers"),
             ("staff", "staff"), ("hazard_per_day", "per person per day"), ("cost_per", "cost units"),
             ("seats", "seats"), ("share", "fraction"), ("vulnerable", "fraction"),
             ("after_return", "probability"), ("delay", "days"), ("days", "days"), ("interval", "days"),
             ("lead_time", "days"), ("threshold", "people"),
             ("count", "people"), ("rate_per_day", "people per day"))
    for key, unit in rules:
        if key in leaf:
            return unit
    if not pd.api.types.is_numeric_dtype(values):
        return "setting"
    return "value in the scenario file"


def _axis_values(values: pd.Series) -> tuple[np.ndarray, list[float] | None, list[str] | None]:
    """Numeric positions for parameter values; categorical ones get ticks and labels."""
    as_text = values.astype(str)
    if values.dtype == bool or set(as_text.unique()) <= {"True", "False", "true", "false"}:
        pos = as_text.str.lower().map({"false": 0.0, "true": 1.0}).to_numpy(dtype=float)
        return pos, [0.0, 1.0], ["false", "true"]
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=float), None, None
    cats = list(dict.fromkeys(as_text))
    return as_text.map({c: float(i) for i, c in enumerate(cats)}).to_numpy(dtype=float), \
        [float(i) for i in range(len(cats))], cats


def _sweep_metrics(summary: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(summary["metric"]))
    if metrics:
        return [m for m in metrics if m in present]
    chosen = [m for m in SWEEP_METRICS if m in present][:3]
    return chosen or present[:3]


def sweep_metric_figure(
    summary: pd.DataFrame,
    parameter: str,
    metrics: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    cost_unit: str = "cost units",
) -> Figure:
    """Headline metrics against one swept parameter, with the 95% CI as a band.

    On a grid with few settings of the other parameters, one line per setting; with many, the mean over
    them (band: the range of their CIs); for a Latin hypercube (every value distinct), points with
    CI whiskers. A categorical parameter (false/true, named options) gets points with CI whiskers, never
    lines between categories.
    """
    parameters = list(parameters or sweep_parameters(summary))
    others = [p for p in parameters if p != parameter]
    chosen = _sweep_metrics(summary, metrics)
    fig = _new_figure(4.2 * max(1, len(chosen)) + 0.6, 4.6)
    axes = fig.subplots(1, max(1, len(chosen)), squeeze=False)[0]
    handles: dict[str, Any] = {}
    for ax, metric in zip(axes, chosen):
        _style_axes(ax)
        df = summary[summary["metric"] == metric].copy()
        df["_x"], ticks, ticklabels = _axis_values(df[parameter])
        distinct = df["_x"].nunique() == len(df)
        if distinct and len(df) > 1 and others:
            df = df.sort_values("_x")
            yerr = np.array([_err(m, lo, hi) for m, lo, hi in zip(df["mean"], df["ci_low"], df["ci_high"])]).T
            h = ax.errorbar(df["_x"], df["mean"], yerr=yerr, fmt="o", color=OKABE_ITO[0], markersize=4,
                            capsize=2, linewidth=0.8, label="one design point (whiskers: 95% CI)")
            handles.setdefault(h.get_label(), h)
        else:
            combos = df[others].drop_duplicates() if others else pd.DataFrame(index=[0])
            if others and len(combos) > 6:
                grouped = df.groupby("_x").agg(mean=("mean", "mean"), ci_low=("ci_low", "min"),
                                               ci_high=("ci_high", "max")).reset_index()
                groups = [("mean over the other parameters (band: range of their 95% CIs)", grouped)]
            elif others:
                groups = []
                for _, combo in combos.iterrows():
                    mask = np.ones(len(df), dtype=bool)
                    for p in others:
                        mask &= (df[p].astype(str) == str(combo[p])).to_numpy()
                    name = ", ".join(f"{p} = {_value_text(combo[p])}" for p in others)
                    groups.append((name, df[mask]))
            else:
                groups = [("mean (band: 95% CI)", df)]
            for i, (name, g) in enumerate(groups):
                g = g.sort_values("_x")
                colour = _colour(i)
                if ticks is not None:
                    # categories (false/true, named options): nothing lies between them, so points with CI
                    # whiskers, side by side, instead of lines and bands that would suggest values between
                    dodge = (i - (len(groups) - 1) / 2) * min(0.3 / max(1, len(groups) - 1), 0.08)
                    yerr = np.array([_err(*v) for v in zip(g["mean"], g["ci_low"], g["ci_high"])]).T
                    h = ax.errorbar(g["_x"] + dodge, g["mean"], yerr=yerr, fmt="os^Dv"[i % 5], color=colour,
                                    markersize=6, capsize=3, linewidth=1.2, label=wrap_label(name, 50, 2))
                    handles.setdefault(h.get_label(), h)
                    continue
                ax.fill_between(g["_x"], g["ci_low"], g["ci_high"], color=colour, alpha=0.2, linewidth=0)
                (line,) = ax.plot(g["_x"], g["mean"], marker="o", markersize=4, color=colour,
                                  linestyle=_linestyle(i), linewidth=1.8, label=wrap_label(name, 50, 2))
                handles.setdefault(line.get_label(), line)
            if ticks is not None:
                ax.set_xlim(min(ticks) - 0.5, max(ticks) + 0.5)
        if ticks is not None:
            ax.set_xticks(ticks, ticklabels)
        ax.set_xlabel(f"{parameter} ({_parameter_unit(parameter, summary[parameter])})")
        ax.set_ylabel(wrap_label(metric_label(metric, cost_unit), 44, 2))
        if metric.startswith("cost"):
            ax.yaxis.set_major_formatter(_thousands())
    fig.suptitle(f"How the results change with {parameter}", fontweight="bold")
    _outside_legend(fig, list(handles.values()), ncols=2)
    return fig


def value_text(value: Any) -> str:
    """A parameter value as written in a scenario file: true/false, 4 rather than 4.0."""
    return _value_text(value)


def _value_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, str) and value in ("True", "False"):
        return value.lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sweep_heatmap_figure(
    summary: pd.DataFrame,
    x_param: str,
    y_param: str,
    metrics: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    cost_unit: str = "cost units",
) -> Figure:
    """A heatmap of headline metrics over two swept parameters (mean over any others).

    With more than 15 distinct values of a parameter (e.g. a Latin hypercube), coloured points instead.
    """
    parameters = list(parameters or sweep_parameters(summary))
    others = [p for p in parameters if p not in (x_param, y_param)]
    chosen = _sweep_metrics(summary, metrics)
    fig = _new_figure(4.6 * max(1, len(chosen)) + 0.6, 4.8)
    axes = fig.subplots(1, max(1, len(chosen)), squeeze=False)[0]
    for ax, metric in zip(axes, chosen):
        df = summary[summary["metric"] == metric].copy()
        df["_x"], xticks, xlabels = _axis_values(df[x_param])
        df["_y"], yticks, ylabels = _axis_values(df[y_param])
        fmt = metric.startswith("cost")
        if df["_x"].nunique() <= 15 and df["_y"].nunique() <= 15:
            table = df.groupby(["_y", "_x"])["mean"].mean().unstack("_x").sort_index().sort_index(axis=1)
            xs, ys = table.columns.to_numpy(dtype=float), table.index.to_numpy(dtype=float)
            image = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="cividis",
                              extent=None)
            ax.set_xticks(range(len(xs)), [_tick_text(v, xticks, xlabels) for v in xs])
            ax.set_yticks(range(len(ys)), [_tick_text(v, yticks, ylabels) for v in ys])
            values = table.to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
            if values.size <= 64:
                for (r, c), v in np.ndenumerate(values):
                    if np.isfinite(v):
                        ax.text(c, r, _thousands_fn(v, 0) if fmt else f"{v:,.1f}", ha="center", va="center",
                                fontsize="x-small", color="black" if v > mid else "white")
        else:
            image = ax.scatter(df["_x"], df["_y"], c=df["mean"], cmap="cividis", s=30, edgecolor="none")
            if xticks is not None:
                ax.set_xticks(xticks, xlabels)
            if yticks is not None:
                ax.set_yticks(yticks, ylabels)
        bar = fig.colorbar(image, ax=ax, shrink=0.9)
        bar.set_label(wrap_label(metric_label(metric, cost_unit), 40, 2), fontsize="small")
        if fmt:
            bar.ax.yaxis.set_major_formatter(_thousands())
        ax.set_xlabel(f"{x_param} ({_parameter_unit(x_param, summary[x_param])})")
        ax.set_ylabel(wrap_path(f"{y_param} ({_parameter_unit(y_param, summary[y_param])})", 40, 2))
        ax.set_title(wrap_label(metric_label(metric, cost_unit, with_unit=False), 36, 2), fontsize="medium")
    extra = f" (mean over {', '.join(others)})" if others else ""
    fig.suptitle(wrap_label(f"The results over {x_param} and {y_param}{extra}", 110, 2), fontweight="bold")
    return fig


def _tick_text(value: float, ticks: list[float] | None, labels: list[str] | None) -> str:
    if ticks is not None and labels is not None:
        return labels[ticks.index(value)] if value in ticks else str(value)
    return _value_text(float(value))


def sensitivity_figure(sensitivity: pd.DataFrame, metrics: Sequence[str] | None = None,
                       cost_unit: str = "cost units") -> Figure:
    """Sensitivity ranking per metric: coefficient per parameter, largest effect on top, sign by colour."""
    present = list(dict.fromkeys(sensitivity["metric"]))
    chosen = [m for m in (metrics or SWEEP_METRICS) if m in present][:3] or present[:3]
    n_params = sensitivity["parameter"].nunique()
    fig = _new_figure(5.6 * max(1, len(chosen)) + 0.6, 2.2 + 0.45 * n_params)
    axes = fig.subplots(1, max(1, len(chosen)), squeeze=False)[0]
    for ax, metric in zip(axes, chosen):
        _style_axes(ax)
        ax.grid(False, axis="y")
        df = sensitivity[sensitivity["metric"] == metric].copy()
        df["_abs"] = df["coefficient"].abs()
        df = df.sort_values(["abs_rank", "_abs"] if "abs_rank" in df else ["_abs"],
                            ascending=[True, False] if "abs_rank" in df else [False])
        y = np.arange(len(df))
        colours = [OKABE_ITO[0] if c >= 0 else OKABE_ITO[1] for c in df["coefficient"]]
        ax.barh(y, df["coefficient"], color=colours, height=0.6)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_yticks(y, [wrap_path(p, 26) for p in df["parameter"]])
        reach = float(df["coefficient"].abs().max()) if len(df) else 1.0
        ax.set_xlim(-1.15 * reach, 1.15 * reach)
        ax.invert_yaxis()
        method = str(df["method"].iloc[0]) if "method" in df and len(df) else "sensitivity"
        ax.set_xlabel(wrap_label(f"Coefficient (unitless; {method})", 44, 2))
        r2 = df["r2"].iloc[0] if "r2" in df and len(df) else math.nan
        title = wrap_label(metric_label(metric, cost_unit, with_unit=False), 36, 2)
        if np.isfinite(r2):
            title += f"\n(R² = {r2:.2f})"
        ax.set_title(title, fontsize="medium")
    fig.suptitle("Which parameters move the results most", fontweight="bold")
    _outside_legend(fig, [Patch(facecolor=OKABE_ITO[0], label="raises the result"),
                          Patch(facecolor=OKABE_ITO[1], label="lowers the result")], ncols=2)
    return fig


# ------------------------------------------------------------------------------------- reading folders


@dataclass
class ScenarioResult:
    """One scenario's stored outputs (a run folder), read lazily."""

    name: str
    folder: Path
    config: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    sha256: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def start_date(self) -> dt.date | None:
        value = self.config.get("scenario", {}).get("start_date")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return None
        return None

    @property
    def horizon(self) -> float | None:
        value = self.config.get("scenario", {}).get("horizon_days")
        return float(value) if isinstance(value, int | float) else None

    @property
    def pipeline(self) -> list[str] | None:
        value = self.config.get("pipeline")
        return list(value) if isinstance(value, list) else None

    def capacity(self, site: str) -> float | None:
        value = self.config.get("sites", {}).get(site, {}).get("capacity")
        return float(value) if isinstance(value, int | float) else None

    def _read(self, name: str, reader: Any) -> pd.DataFrame | None:
        if name not in self._cache:
            path = self.folder / name
            self._cache[name] = reader(path) if path.exists() else None
        return self._cache[name]

    def victims(self) -> pd.DataFrame | None:
        return self._read("victims.parquet", pd.read_parquet)

    def occupancy(self) -> pd.DataFrame | None:
        return self._read("occupancy.parquet", pd.read_parquet)

    def metrics(self) -> pd.DataFrame | None:
        return self._read("metrics.csv", pd.read_csv)

    def metrics_by_nationality(self) -> pd.DataFrame | None:
        return self._read("metrics_by_nationality.csv", pd.read_csv)


@dataclass
class Results:
    """A results folder: its kind ("run", "compare" or "sweep"), manifest and scenarios in order."""

    root: Path
    kind: str
    manifest: dict[str, Any]
    scenarios: list[ScenarioResult]

    def table(self, name: str) -> pd.DataFrame | None:
        path = self.root / name
        return pd.read_csv(path) if path.exists() else None

    @property
    def cost_unit(self) -> str:
        """The currency of the costs; a sweep reads it from its base scenario.toml."""
        configs = [s.config for s in self.scenarios] or [_read_toml(self.root / "scenario.toml")]
        return detect_cost_unit(configs)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_results(results_dir: str | Path) -> Results:
    """Read a results folder's manifest and scenario list (data files are read on demand)."""
    root = Path(results_dir)
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    kind = manifest.get("kind")
    if kind not in ("run", "compare", "sweep"):
        if (root / "summary.csv").exists():
            kind = "sweep"
        elif (root / "comparison.csv").exists():
            kind = "compare"
        elif (root / "victims.parquet").exists() or (root / "metrics.csv").exists():
            kind = "run"
        else:
            raise FileNotFoundError(f"{root} is not a results folder: no manifest.json with a known kind")
    scenarios = []
    entries = manifest.get("scenarios") or ([{"folder": "."}] if kind == "run" else [])
    for entry in entries:
        folder = (root / entry.get("folder", ".")).resolve()
        config = _read_toml(folder / "scenario.toml")
        name = entry.get("name") or config.get("scenario", {}).get("name") or folder.name
        scenarios.append(ScenarioResult(name=str(name), folder=folder, config=config, file=entry.get("file"),
                                        sha256=entry.get("sha256")))
    return Results(root=root, kind=kind, manifest=manifest, scenarios=scenarios)


def detect_cost_unit(configs: Sequence[Mapping[str, Any]]) -> str:
    """The currency named in the scenarios' source notes (USD, EUR, THB), else "cost units"."""
    text = " ".join(str(v) for c in configs for v in (c.get("sources") or {}).values())
    for pattern, unit in ((r"\bUSD\b|US\$", "USD"), (r"\bEUR\b|€", "EUR"), (r"\bTHB\b|\bbaht\b", "THB")):
        if re.search(pattern, text, flags=re.IGNORECASE):
            return unit
    return "cost units"


# ------------------------------------------------------------------------------------------ drawing


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_") or "x"


def _save(fig: Figure, folder: Path, stem: str) -> Path:
    png = folder / f"{stem}.png"
    fig.savefig(png, dpi=DPI, format="png")
    fig.set_layout_engine("none")  # keep the layout just computed: the SVG matches the PNG, and saves faster
    fig.savefig(folder / f"{stem}.svg", format="svg")
    fig.clear()
    return png


def _figures_for_scenarios(results: Results) -> list[tuple[str, Figure]]:
    out: list[tuple[str, Figure]] = []
    scenarios = results.scenarios
    if not scenarios:
        return out
    base = scenarios[0]
    start, horizon = base.start_date, base.horizon
    cost_unit = results.cost_unit
    victims = {s.name: s.victims() for s in scenarios}
    have_victims = {k: v for k, v in victims.items() if v is not None}
    all_victims = len(have_victims) == len(scenarios)
    base_victims = have_victims.get(base.name)
    by_nationality = base_victims is not None and base_victims["nationality"].nunique() > 1
    if all_victims:
        out.append(("wait_times", wait_time_figure(have_victims)))
        if by_nationality:
            out.append(("wait_by_nationality", wait_by_nationality_figure(base_victims, base.name)))
    occupancy = {s.name: occ for s in scenarios if (occ := s.occupancy()) is not None}
    if len(occupancy) == len(scenarios):
        caps = {s.name: {site: s.capacity(site) for site in ("holding", "shelter")} for s in scenarios}
        out.append(("occupancy", occupancy_figure(occupancy, caps, start, horizon)))
    if all_victims:
        out.append(("returned_over_time", returned_over_time_figure(have_victims, start, horizon)))
        if by_nationality:
            out.append(("returned_by_nationality",
                        returned_by_nationality_figure(base_victims, base.name, start, horizon)))
    metrics = {s.name: s.metrics() for s in scenarios}
    if all(m is None for m in metrics.values()):
        comparison = results.table("comparison.csv")
        if comparison is not None:
            metrics = _metrics_from_comparison(comparison, scenarios)
    ready = {k: m for k, m in metrics.items() if m is not None}
    if ready and len(ready) == len(metrics):
        if any(str(name).startswith(("queue_days_mean_", "service_days_mean_")) for df in ready.values()
               for name in df["metric"]):
            out.append(("stage_times", stage_time_figure(ready, base.pipeline)))
        out.append(("exposure", exposure_figure(ready)))
        out.append(("cost_vs_exposure", cost_exposure_figure(ready, cost_unit)))
    return out


def _metrics_from_comparison(comparison: pd.DataFrame, scenarios: list[ScenarioResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in scenarios:
        rows = comparison[comparison["scenario"].astype(str).isin([s.name, s.folder.name])]
        out[s.name] = rows if len(rows) else None
    return out


def _figures_for_sweep(results: Results) -> list[tuple[str, Figure]]:
    out: list[tuple[str, Figure]] = []
    summary = results.table("summary.csv")
    if summary is None or summary.empty:
        return out
    points = results.table("points.csv")
    parameters = [p for p in sweep_parameters(summary, points) if p in summary.columns]
    cost_unit = results.cost_unit
    for p in parameters:
        out.append((f"sweep_{_safe(p)}", sweep_metric_figure(summary, p, parameters=parameters,
                                                             cost_unit=cost_unit)))
    sensitivity = results.table("sensitivity.csv")
    if len(parameters) >= 2:
        pair = parameters[:2]
        if sensitivity is not None and not sensitivity.empty:
            ranked = (sensitivity.assign(_a=sensitivity["coefficient"].abs())
                      .groupby("parameter")["_a"].mean().sort_values(ascending=False))
            top = [p for p in ranked.index if p in parameters][:2]
            if len(top) == 2:
                pair = top
        out.append(("sweep_heatmap", sweep_heatmap_figure(summary, pair[0], pair[1], parameters=parameters,
                                                          cost_unit=cost_unit)))
    if sensitivity is not None and not sensitivity.empty:
        out.append(("sensitivity", sensitivity_figure(sensitivity, cost_unit=cost_unit)))
    return out


def draw_plots(results_dir: str | Path) -> list[Path]:
    """Read a run, compare or sweep folder (by manifest.json "kind"), draw every applicable plot, save
    each as PNG (150 dpi) and SVG under ``results_dir/plots/``, and return the PNG paths in reading order.
    """
    results = load_results(results_dir)
    folder = results.root / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    if results.kind == "sweep":
        figures = _figures_for_sweep(results)
    else:
        figures = _figures_for_scenarios(results)
    paths = [_save(fig, folder, stem) for stem, fig in figures]
    # a plot this module drew before but no longer applies (a renamed sweep parameter, a scenario that
    # lost its tables) would otherwise linger and reach the report; files it does not name are left alone
    drawn = {p.stem for p in paths}
    for old in list(folder.glob("*.png")) + list(folder.glob("*.svg")):
        if old.stem not in drawn and _is_ours(old.stem):
            old.unlink()
    return paths


def _is_ours(stem: str) -> bool:
    return stem in PLOT_ORDER or stem.startswith("sweep_")


def caption_for(stem: str) -> str:
    """The one-line caption of a plot file stem (longest matching key of PLOT_CAPTIONS)."""
    if stem in PLOT_CAPTIONS:
        return PLOT_CAPTIONS[stem]
    matches = [k for k in PLOT_CAPTIONS if k.endswith("_") and stem.startswith(k)]
    if matches:
        return PLOT_CAPTIONS[max(matches, key=len)]
    return "A figure drawn from the stored results."


PLOT_ORDER = ("wait_times", "wait_by_nationality", "occupancy", "returned_over_time",
              "returned_by_nationality", "stage_times", "exposure", "cost_vs_exposure", "sweep_",
              "sweep_heatmap", "sensitivity")


def plot_sort_key(stem: str) -> tuple[int, str]:
    """Reading order of plot files: the order they are drawn in, unknown ones last."""
    for i, key in enumerate(PLOT_ORDER):
        if stem == key:
            return (i, stem)
    for i, key in enumerate(PLOT_ORDER):
        if key.endswith("_") and stem.startswith(key) and stem != "sweep_heatmap":
            return (i, stem)
    return (len(PLOT_ORDER), stem)
