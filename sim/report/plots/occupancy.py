"""Figure 2: people held at each site over time (holding and shelter), from the occupancy change log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike

from sim.report.plots.style import (
    GREY,
    day_grid,
    format_time_axis,
    new_figure,
    outside_legend,
    reference_name,
    scenario_line,
    style_axes,
    time_values,
    wrap_label,
)


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
    fig = new_figure(10.0, 1.0 + 2.3 * n)
    axes = fig.subplots(n, 2, sharex=True, sharey="col", squeeze=False)
    last = max((float(df["day"].max()) for df in occupancy.values() if len(df)), default=1.0)
    days = day_grid(horizon, last)
    x = time_values(days, start_date)
    sites = (("holding", "Holding site (before the crossing)"), ("shelter", "Shelter (after the crossing)"))
    tops = [1.0, 1.0]  # per column: the highest band or capacity line, so that no panel clips another's data
    for i, (label, df) in enumerate(occupancy.items()):
        line = scenario_line(i)
        colour = line["color"]
        for j, (site, title) in enumerate(sites):
            ax = axes[i, j]
            style_axes(ax)
            if site in df.columns and len(df):
                table = daily_occupancy(df, days, site)
                lo, mid, hi = (table.quantile(q, axis=0).to_numpy() for q in (0.05, 0.5, 0.95))
            else:
                lo = mid = hi = np.full(days.shape, np.nan)
            ax.fill_between(x, lo, hi, color=colour, alpha=0.18 if i == 0 else 0.25, linewidth=0,
                            label="90% of replications")
            ax.plot(x, mid, label="Median of replications", **line)
            cap = (capacities.get(label) or {}).get(site)
            if cap is not None and np.isfinite(cap):
                ax.axhline(cap, color="#555555", linestyle=":", linewidth=1.6, label="Capacity")
                tops[j] = max(tops[j], float(cap))
            if np.isfinite(hi).any():
                tops[j] = max(tops[j], float(np.nanmax(hi)))
            if i == 0:
                ax.set_title(title, fontsize="medium")
            if j == 0:
                ax.set_ylabel(f"{wrap_label(reference_name(label, i, n), 26, 2)}\n\nPeople on site (people)",
                              fontsize="small", fontweight="bold" if i == 0 and n > 1 else "normal")
            else:
                ax.set_ylabel("People on site (people)", fontsize="small")
            format_time_axis(ax, start_date, label=(i == n - 1))
    for j in range(2):
        axes[0, j].set_ylim(0, tops[j] * 1.06)  # shared down the column
    fig.suptitle("How many people are held at each site over time", fontweight="bold")
    handles = [Line2D([], [], color=GREY, linewidth=2, label="Median of replications"),
               Patch(facecolor=GREY, alpha=0.25, label="90% of replications"),
               Line2D([], [], color="#555555", linestyle=":", linewidth=1.6, label="Capacity")]
    outside_legend(fig, handles)
    return fig
