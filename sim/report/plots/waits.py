"""Figure 1: how long people wait before going home, over everyone who arrived (empirical distribution of
the wait of the people who went home, as a share of *everyone*: each curve ends at the share home by the
end, and the gap up to 100% is the people not home), overall and by nationality, from the victims table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.report.plots.numbers import fmt_number
from sim.report.plots.style import (
    GREY,
    OKABE_ITO,
    new_figure,
    outside_legend,
    reference_name,
    scenario_line,
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


def _curve_over_everyone(victims: pd.DataFrame, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since arrival (x) and % of everyone who arrived home within them (y)."""
    waits = _waits(victims)
    if not waits.size:
        return np.zeros(0), np.zeros(0)
    x, y = _ecdf_xy(waits, probs)
    return x, y * waits.size / len(victims)


def wait_time_figure(victims: Mapping[str, pd.DataFrame]) -> Figure:
    """Share of everyone who arrived home within each number of days, one curve per scenario (the
    reference black and dashed, on top); each curve ends at the share home by the end, and the legend
    says how many were not.

    Args:
        victims: scenario label -> victims table (all replications pooled).
    """
    fig = new_figure(8.0, 5.0 + 0.25 * max(0, len(victims) - 2))
    ax = fig.add_subplot()
    style_axes(ax)
    probs = np.linspace(0.0, 1.0, 401)
    handles: list[Any] = []
    n = len(victims)
    for i, (label, df) in enumerate(victims.items()):
        name = wrap_label(reference_name(label, i, n), 40, 2)
        x, y = _curve_over_everyone(df, probs)
        (line,) = ax.plot(x, y, label=name if x.size else f"{name}: nobody went home", **scenario_line(i))
        not_home = _share_not_returned(df)
        if np.isfinite(not_home) and not_home > 0:
            line.set_label(f"{line.get_label()}: {fmt_number(100 * not_home)}% of arrivals not home by the end")
        handles.append(line)
    ax.axhline(100, color=GREY, linewidth=0.8, linestyle=":", zorder=1, label="_everyone")
    ax.set_ylim(0, 103)
    ax.set_xlim(left=0)
    ax.set_xlabel("Days from arrival at the border to departure home (days)")
    ax.set_ylabel("Home within that many days (% of everyone who arrived)")
    ax.text(0.0, 1.0, "Everyone who arrived, pooled over replications; the gap under 100% is people not home",
            transform=ax.transAxes, fontsize="small", color="#444444", va="bottom", ha="left")
    ax.set_title("How long people wait before going home\n", loc="left", fontweight="bold")
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
            ax.plot(*_curve_over_everyone(victims, probs), color="#BBBBBB", linewidth=1.5,
                    label="All nationalities")
        text = []
        if waits.size:
            ax.plot(*_curve_over_everyone(sub, probs), color=OKABE_ITO[0], linewidth=2, label=str(nat))
        else:
            ax.plot([], [], color=OKABE_ITO[0], linewidth=2, label=str(nat))
            text.append("nobody went home")
        not_home = _share_not_returned(sub)
        if np.isfinite(not_home) and not_home > 0:
            text.append(f"{fmt_number(100 * not_home)}% not home by the end")
        per_rep = len(sub) / reps
        # the figures go in the title, where they cannot cover a curve
        ax.set_title(f"{wrap_label(nat, 30, 1)} ({fmt_number(per_rep)} people)\n{' · '.join(text)}",
                     fontsize="small")
        ax.set_ylim(0, 103)
        if k % ncols == 0:
            ax.set_ylabel("Home within (% of arrivals)")
        if k >= len(nationalities) - ncols:
            ax.set_xlabel("Wait (days)")
            ax.xaxis.set_tick_params(labelbottom=True)
    longest = max((float(w.max()) for w in [all_waits] if w.size), default=1.0)
    axes.flat[0].set_xlim(0, longest * 1.03)  # shared by every panel
    more = f"\n({left_out} smaller nationalit{'y' if left_out == 1 else 'ies'} not shown)" if left_out else ""
    fig.suptitle(f"How long people wait before going home, by nationality: {wrap_label(label, 60, 1)}{more}",
                 fontweight="bold")
    outside_legend(fig, [Line2D([], [], color=OKABE_ITO[0], linewidth=2, label="This nationality"),
                          Line2D([], [], color="#BBBBBB", linewidth=1.5, label="All nationalities")], ncols=2)
    return fig
