"""Figure 4: where the time goes, mean days per person queueing for and being served at each stage
(from the ``queue_days_mean_*`` and ``service_days_mean_*`` rows of ``metrics.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.report.plots.labels import DEFAULT_STAGES, STAGE_LABELS, metric_value
from sim.report.plots.style import OKABE_ITO, new_figure, outside_legend, style_axes, wrap_label


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
    fig = new_figure(10.0, 2.0 + 0.75 * n)
    ax = fig.add_subplot()
    style_axes(ax)
    ax.grid(False, axis="y")
    y = np.arange(n)
    left = np.zeros(n)
    handles: list[Any] = []
    parts: tuple[tuple[str, dict[str, Any]], ...] = (("queue_days_mean_", {"alpha": 0.45, "hatch": "///"}),
                                                     ("service_days_mean_", {"alpha": 1.0}))
    for k, stage in enumerate(order):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        for part, (prefix, style) in enumerate(parts):
            widths = np.array([metric_value(metrics[lab], prefix + stage)[0] for lab in labels])
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
    outside_legend(fig, handles, ncols=len(handles) if len(handles) <= 6 else math.ceil(len(handles) / 2))
    return fig
