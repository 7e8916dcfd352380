"""Figure 3: how many people have gone home over time, per scenario and per nationality, from the
victims table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike

from sim.report.plots.numbers import fmt_number
from sim.report.plots.style import (
    GREY,
    OKABE_ITO,
    day_grid,
    format_time_axis,
    new_figure,
    outside_legend,
    reference_name,
    scenario_line,
    series_colour,
    series_linestyle,
    style_axes,
    time_axis_label,
    time_values,
    wrap_label,
)


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
    fig = new_figure(8.0, 5.0 + 0.25 * max(0, len(victims) - 2))
    ax = fig.add_subplot()
    style_axes(ax)
    days = day_grid(horizon, _last_departure(victims))
    x = time_values(days, start_date)
    handles: list[Any] = []
    arrived = set()
    n = len(victims)
    for i, (label, df) in enumerate(victims.items()):
        table = cumulative_returned(df, days)
        line_style = scenario_line(i)
        colour = line_style["color"]
        if len(table):
            mean = table.mean(axis=0).to_numpy()
            lo, hi = (table.quantile(q, axis=0).to_numpy() for q in (0.05, 0.95))
            reps = df["replication"].nunique()
            arrived.add(round(len(df) / reps))
        else:
            mean = lo = hi = np.full(days.shape, np.nan)
        ax.fill_between(x, lo, hi, color=colour, alpha=0.12, linewidth=0, label="_band")
        (line,) = ax.plot(x, mean, label=wrap_label(reference_name(label, i, n), 40, 2), **line_style)
        handles.append(line)
    if len(arrived) == 1:
        (total,) = arrived
        ax.axhline(total, color=GREY, linestyle=":", linewidth=1.2, label="_everyone")
        ax.annotate(f"everyone who arrived: {fmt_number(total)}", xy=(0.01, total), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", fontsize="small", color="#444444")
        ax.set_ylim(0, total * 1.08)
    else:
        ax.set_ylim(bottom=0)
    format_time_axis(ax, start_date)
    ax.set_ylabel("People who have gone home (people, cumulative)")
    ax.set_title("How many people have gone home over time", loc="left", fontweight="bold")
    handles.append(Patch(facecolor=GREY, alpha=0.2, label="90% of replications"))
    outside_legend(fig, handles, ncols=2)
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
    days = day_grid(horizon, _last_departure({label: victims}))
    x = time_values(days, start_date)
    counts = victims["nationality"].value_counts()
    reps = max(1, victims["replication"].nunique())
    title = f"Who goes home when, by nationality: {wrap_label(label, 50, 1)}"
    ylabel = "Gone home (% of the nationality's arrivals)"
    if len(counts) <= max_lines:
        fig = new_figure(9.0, 5.5)
        ax = fig.add_subplot()
        style_axes(ax)
        for i, nat in enumerate(counts.index):
            ax.plot(x, _share_home(victims[victims["nationality"] == nat], days), color=series_colour(i),
                    linestyle=series_linestyle(i), linewidth=1.8,
                    label=f"{wrap_label(nat, 24, 1)} ({fmt_number(counts[nat] / reps)})")
        ax.set_ylim(0, 102)
        format_time_axis(ax, start_date)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left", fontweight="bold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
                  title="Nationality (people)", title_fontsize="small")
        return fig
    n = len(counts)
    ncols = 4
    nrows = math.ceil(n / ncols)
    fig = new_figure(3.2 * ncols + 0.6, 2.2 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    overall = _share_home(victims, days)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        style_axes(ax)
        nat = counts.index[k]
        ax.plot(x, overall, color="#BBBBBB", linewidth=1.5, label="All nationalities")
        ax.plot(x, _share_home(victims[victims["nationality"] == nat], days), color=OKABE_ITO[0], linewidth=2,
                label=str(nat))
        ax.set_title(f"{wrap_label(nat, 26, 2)} ({fmt_number(counts[nat] / reps)} people)", fontsize="small")
        ax.set_ylim(0, 102)
        if k % ncols == 0:
            ax.set_ylabel("Gone home (%)")
        if k >= n - ncols:
            format_time_axis(ax, start_date, label=False)
            ax.set_xlabel(time_axis_label(start_date).replace(" (day 0 = ", "\n(day 0 = "), fontsize="small")
            ax.xaxis.set_tick_params(labelbottom=True, labelsize="small")
    fig.suptitle(title, fontweight="bold")
    outside_legend(fig, [Line2D([], [], color=OKABE_ITO[0], linewidth=2, label="This nationality"),
                          Line2D([], [], color="#BBBBBB", linewidth=1.5, label="All nationalities")], ncols=2)
    return fig
