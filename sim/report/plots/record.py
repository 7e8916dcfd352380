"""The model against the record: reported figures over the model's mean and 90% band, one panel for the
whole operation and one per nationality with figures (record.csv and the bands of
:func:`sim.results.record.model_bands`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.plots.style import (
    GREY,
    format_time_axis,
    new_figure,
    series_colour,
    style_axes,
    time_values,
    wrap_label,
)

RECORD_METRICS = {
    "returned_cumulative": "Gone home (cumulative)",
    "crossed_cumulative": "Crossed into the shelter (cumulative)",
    "in_holding": "In holding",
    "in_shelter": "In the shelter",
    "waiting": "Waiting (holding + shelter)",
}


def record_sources(record: pd.DataFrame) -> list[str]:
    """The distinct sources of the figures, in order of first use."""
    return [s for s in dict.fromkeys(record["source"].astype(str).str.strip()) if s]


def record_caption(record: pd.DataFrame) -> str:
    """The figure's caption: how to read it, and the sources of the figures."""
    sources = record_sources(record)
    return ("Points: reported figures, bars from low to high (filled: the range meets the model's band; "
            "open: it does not). Lines: the model's mean, bands: 90% of replications; each value is the "
            "state at the end of that day. Sources: " + ("; ".join(sources) if sources else "none given") + ".")


def record_figure(record: pd.DataFrame, bands: pd.DataFrame, start_date: dt.date | None = None,
                  label: str = "") -> Figure:
    """The reported figures against the model, one panel per nationality with figures plus the whole
    operation (first).

    Args:
        record: record.csv (observed figures with ``model_*``, ``inside`` columns).
        bands: ``nationality, metric, day, mean, low, high`` (nationality "" = the whole operation).
        start_date: day 0 as a date, for calendar axes.
        label: the scenario's name, for the title.
    """
    names = list(dict.fromkeys(bands["nationality"])) or [""]
    ncols = 1 if len(names) == 1 else 2
    nrows = math.ceil(len(names) / ncols)
    fig = new_figure(10.0 if ncols == 2 else 8.0, 1.9 + 3.0 * nrows)
    # the panels (with title and legend) above, a strip for the sources below: both placed by the layout
    parts: Any = fig.subfigures(2, 1, height_ratios=[1.6 + 3.0 * nrows, 0.3])
    top, foot = parts
    axes = top.subplots(nrows, ncols, sharex=True, squeeze=False)
    metrics = [m for m in RECORD_METRICS if m in set(bands["metric"]) | set(record["metric"])]
    colour = {m: series_colour(i) for i, m in enumerate(metrics)}
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.set_visible(False)
            continue
        name = names[k]
        style_axes(ax)
        panel = bands[bands["nationality"] == name]
        for metric in dict.fromkeys(panel["metric"]):
            curve = panel[panel["metric"] == metric].sort_values("day")
            x = time_values(curve["day"].to_numpy(dtype=float), start_date)
            ax.fill_between(x, curve["low"].to_numpy(float), curve["high"].to_numpy(float), color=colour[metric],
                            alpha=0.18, linewidth=0)
            ax.plot(x, curve["mean"].to_numpy(float), color=colour[metric], linewidth=1.8)
        seen = record[record["nationality"] == name]
        for metric in dict.fromkeys(seen["metric"]):
            rows = seen[seen["metric"] == metric]
            x = time_values(rows["day"].to_numpy(dtype=float), start_date)
            value = rows["value"].to_numpy(float)
            errors = np.vstack([value - rows["low"].to_numpy(float), rows["high"].to_numpy(float) - value])
            inside = rows["inside"].to_numpy(bool)
            ax.errorbar(x, value, yerr=errors, fmt="none", ecolor=colour[metric], elinewidth=1.2, capsize=3)
            for mask, face in ((inside, colour[metric]), (~inside, "white")):
                ax.plot(x[mask], value[mask], linestyle="none", marker="o", markersize=6, color=colour[metric],
                        markerfacecolor=face, markeredgecolor=colour[metric], markeredgewidth=1.5)
        ax.set_ylim(bottom=0)
        title = "Whole operation" if not name else wrap_label(name, 40, 1)
        ax.set_title(title + ("" if len(seen) else " (no reported figure)"), fontsize="medium", loc="left")
        if k % ncols == 0:
            ax.set_ylabel("People", fontsize="small")
        format_time_axis(ax, start_date, label=k >= len(names) - ncols)
        ax.xaxis.set_tick_params(labelbottom=True)
    top.suptitle("The model against the record" + (f": {wrap_label(label, 50, 1)}" if label else ""),
                 fontweight="bold")
    handles: list[Any] = [Line2D([], [], color=colour[m], linewidth=1.8, label=RECORD_METRICS[m]) for m in metrics]
    handles += [Patch(facecolor=GREY, alpha=0.3, label="90% of replications"),
                Line2D([], [], linestyle="none", marker="o", color=GREY, label="Reported, in the band"),
                Line2D([], [], linestyle="none", marker="o", color=GREY, markerfacecolor="white",
                       label="Reported, outside the band")]
    top.legend(handles, [h.get_label() for h in handles], loc="outside lower center", ncols=3, frameon=False,
               fontsize="small")
    sources = record_sources(record)
    foot.text(0.5, 0.5, wrap_label("Sources: " + ("; ".join(sources) if sources else "none given"), 140, 2),
              ha="center", va="center", fontsize="x-small", color="#444444")
    return fig
