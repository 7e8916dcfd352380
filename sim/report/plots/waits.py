"""Figure 1: how long people wait before going home (empirical CDFs of the wait, overall and by
nationality), from the victims table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.report.plots.style import (
    GREY,
    OKABE_ITO,
    new_figure,
    outside_legend,
    series_colour,
    series_linestyle,
    style_axes,
    wrap_label,
)


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


def wait_time_figure(victims: Mapping[str, pd.DataFrame]) -> Figure:
    """ECDF of the wait (departure - arrival) of people who went home, one curve per scenario.

    Args:
        victims: scenario label -> victims table (all replications pooled).
    """
    fig = new_figure(8.0, 5.0 + 0.25 * max(0, len(victims) - 2))
    ax = fig.add_subplot()
    style_axes(ax)
    probs = np.linspace(0.0, 1.0, 401)
    handles: list[Any] = []
    for i, (label, df) in enumerate(victims.items()):
        waits = _waits(df)
        colour, style = series_colour(i), series_linestyle(i)
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
    outside_legend(fig, handles, ncols=1)
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
    fig = new_figure(3.2 * ncols + 0.6, 2.6 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    probs = np.linspace(0.0, 1.0, 201)
    all_waits = _waits(victims)
    reps = max(1, victims["replication"].nunique()) if "replication" in victims else 1
    for k, ax in enumerate(axes.flat):
        if k >= len(nationalities):
            ax.set_visible(False)
            continue
        style_axes(ax)
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
    outside_legend(fig, [Line2D([], [], color=OKABE_ITO[0], linewidth=2, label="This nationality"),
                          Line2D([], [], color="#BBBBBB", linewidth=1.5, label="All nationalities"),
                          Line2D([], [], marker="o", color=GREY, linestyle="none", label="median"),
                          Line2D([], [], marker="^", color=GREY, linestyle="none", label="90th percentile")],
                    ncols=4)
    return fig
