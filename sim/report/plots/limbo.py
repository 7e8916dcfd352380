"""Figure: the share of people still in limbo by days since their arrival, per scenario, from
``return_curve.csv`` (the Kaplan-Meier estimate of the share home, all replications pooled: people who
arrived late and are not home at the horizon count as long as they were observed, so late arrivals do not
make the wait look shorter than it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report.plots.style import (
    GREY,
    new_figure,
    outside_legend,
    reference_name,
    scenario_line,
    style_axes,
    wrap_label,
)


def limbo_curve_figure(curves: Mapping[str, pd.DataFrame]) -> Figure:
    """Share still in limbo (100% minus the Kaplan-Meier share home) by day since arrival, one step curve
    per scenario (the reference black and dashed, on top).

    Args:
        curves: scenario label -> return_curve.csv (``nationality`` "all" is drawn).
    """
    fig = new_figure(8.0, 5.0 + 0.25 * max(0, len(curves) - 2))
    ax = fig.add_subplot()
    style_axes(ax)
    handles: list[Any] = []
    n = len(curves)
    last = 1.0
    for i, (label, table) in enumerate(curves.items()):
        rows = table[table["nationality"].astype(str) == "all"].sort_values("day")
        days = rows["day"].to_numpy(dtype=float)
        limbo = 100.0 * (1.0 - rows["share_home"].to_numpy(dtype=float))
        (line,) = ax.step(days, limbo, where="post", label=wrap_label(reference_name(label, i, n), 40, 2),
                          **scenario_line(i))
        handles.append(line)
        if len(days):
            last = max(last, float(np.nanmax(days)))
    for level in (30, 60):
        if level <= last:
            ax.axvline(level, color=GREY, linewidth=0.8, linestyle=":", zorder=1, label="_marker")
    ax.set_xlim(0, last)
    ax.set_ylim(0, 102)
    ax.set_xlabel("Days since arrival at the border (days)")
    ax.set_ylabel("Still in limbo, not home (% of people)")
    ax.text(0.0, 1.0, "Kaplan-Meier estimate over everyone who arrived; dotted lines at 30 and 60 days",
            transform=ax.transAxes, fontsize="small", color="#444444", va="bottom", ha="left")
    ax.set_title("How many people are still in limbo, by days since arrival\n", loc="left", fontweight="bold")
    outside_legend(fig, handles, ncols=1)
    return fig
