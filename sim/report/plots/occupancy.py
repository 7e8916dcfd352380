"""Figure 2: people held at each site over time, one panel per site (holding sites first, then shelters),
one line per scenario, from the occupancy change log (long form; an old wide table is converted)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike

from sim.report.plots.sites import HOLDING, SHELTER, long_occupancy
from sim.report.plots.style import (
    GREY,
    day_grid,
    format_time_axis,
    new_figure,
    outside_legend,
    reference_name,
    scenario_colour,
    scenario_line,
    style_axes,
    time_values,
    wrap_label,
)


class _LineKeywords(TypedDict):
    color: str
    linestyle: tuple[float, tuple[float, float]]
    linewidth: float


CAPACITY_LINE: _LineKeywords = {"color": "#555555", "linestyle": (0, (7, 3)), "linewidth": 1.3}
"""A site's capacity: grey, long dashes, thinner than any scenario's line (the reference's dashes are short)."""
KIND_WORDS = {HOLDING: "holding site, before the crossing", SHELTER: "shelter, after the crossing"}


def daily_occupancy(occupancy: pd.DataFrame, days: ArrayLike, column: str) -> pd.DataFrame:
    """Resample an occupancy change log onto a grid of days, per replication.

    ``column`` is the counts' column: ``people`` of one site's rows of the long table, or a site's column
    (``holding``/``shelter``) of an old wide table. The value at day ``d`` is the last change at or before
    ``d`` (rows at the same time keep their file order, so the last row written wins); before the first
    change the site is empty (0).

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


def occupancy_sites(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """(site, kind) of every site in any scenario's long table: holding sites first, then shelters, each in
    order of first appearance (scenarios in order)."""
    seen: dict[str, str] = {}
    for table in tables.values():
        for site, kind in table[["site", "kind"]].drop_duplicates().itertuples(index=False):
            seen.setdefault(str(site), str(kind))
    return ([(s, k) for s, k in seen.items() if k == HOLDING] + [(s, k) for s, k in seen.items() if k != HOLDING])


def occupancy_figure(
    occupancy: Mapping[str, pd.DataFrame],
    capacities: Mapping[str, Mapping[str, float | None]] | None = None,
    start_date: dt.date | None = None,
    horizon: float | None = None,
    sites: Sequence[tuple[str, str]] | None = None,
) -> Figure:
    """People at each site over time: per scenario the median and 90% band across replications.

    One panel per site (``sites``, else every site of any scenario: holding sites first, then shelters),
    two panels a row; a line per scenario that has the site (a scenario without it draws nothing there);
    the capacity as a grey dashed line where set (one line per scenario when scenarios differ on it). Each
    panel's y axis starts at 0 and reaches the highest band or capacity of any scenario, so none is clipped.

    Args:
        occupancy: scenario label -> occupancy change log, long (``replication, site, kind, day, people``)
            or old wide (``replication, day, holding, shelter``).
        capacities: scenario label -> {site name: capacity or None}.
        start_date: day 0 as a date, for calendar axes.
        horizon: last day to show (default: the last change in the data).
        sites: the panels, as (site name, kind), in order.
    """
    capacities = capacities or {}
    tables = {label: long_occupancy(df) for label, df in occupancy.items()}
    panels = list(sites) if sites is not None else occupancy_sites(tables)
    panels = panels or [(HOLDING, HOLDING), (SHELTER, SHELTER)]
    n, ncols = len(tables), min(2, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = new_figure(10.0, 1.2 + 2.6 * nrows)
    grid = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    axes = list(grid.ravel())
    for extra in axes[len(panels):]:
        fig.delaxes(extra)
    last = max((float(df["day"].max()) for df in tables.values() if len(df)), default=1.0)
    days = day_grid(horizon, last)
    x = time_values(days, start_date)
    for k, ((site, kind), ax) in enumerate(zip(panels, axes)):
        style_axes(ax)
        top = 1.0
        caps = {label: cap for label in tables
                if (cap := (capacities.get(label) or {}).get(site)) is not None and np.isfinite(cap)}
        for i, (label, df) in enumerate(tables.items()):
            rows = df[df["site"].astype(str) == site]
            if not len(rows):
                continue
            line = scenario_line(i)
            table = daily_occupancy(rows, days, "people")
            lo, mid, hi = (table.quantile(q, axis=0).to_numpy() for q in (0.05, 0.5, 0.95))
            ax.fill_between(x, lo, hi, color=line["color"], alpha=0.18 if i == 0 else 0.25, linewidth=0,
                            label="90% of replications")
            ax.plot(x, mid, label=wrap_label(reference_name(label, i, n), 40, 2), **line)
            top = max(top, float(np.nanmax(hi)))
        if len(set(caps.values())) == 1:
            ax.axhline(next(iter(caps.values())), label="Capacity", zorder=3, **CAPACITY_LINE)
        else:
            for i, label in enumerate(tables):
                if label in caps:
                    ax.axhline(caps[label], label="Capacity", zorder=3,
                               **{**CAPACITY_LINE, "color": scenario_colour(i), "alpha": 0.8})
        top = max([top, *caps.values()])
        ax.set_ylim(0, top * 1.06)
        ax.set_title(wrap_label(f"{site} ({KIND_WORDS.get(kind, kind)})", 56, 2), fontsize="medium")
        if k % ncols == 0:
            ax.set_ylabel("People on site (people)", fontsize="small")
        bottom = k >= len(panels) - ncols  # the lowest panel of its column (the grid may end half full)
        format_time_axis(ax, start_date, label=bottom)
        ax.tick_params(labelbottom=bottom)
    fig.suptitle("How many people are held at each site over time", fontweight="bold")
    handles: list[Line2D | Patch] = [
        Line2D([], [], **scenario_line(i), label=wrap_label(reference_name(label, i, n), 40, 2))
        for i, label in enumerate(tables)] if n > 1 else [
        Line2D([], [], **scenario_line(0), label="Median of replications")]
    handles += [Patch(facecolor=GREY, alpha=0.25, label="90% of replications"),
                Line2D([], [], label="Capacity", **CAPACITY_LINE)]
    outside_legend(fig, handles)
    return fig
