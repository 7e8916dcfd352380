"""Figure 4: where the time goes. One bar per scenario, the mean days in limbo per person split by stage
(colour) and by what people were doing there (pattern): queueing, being served, the records round trip,
waiting to be cleared to cross, waiting for ticket money, booking and waiting for a seat
(:mod:`sim.report.plots.breakdown`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from sim.report.plots.breakdown import CATEGORY_ORDER, CATEGORY_WORDS, Breakdown, merged_components, stage_label
from sim.report.plots.numbers import fmt_number
from sim.report.plots.style import (
    OKABE_ITO,
    REFERENCE_COLOUR,
    new_figure,
    outside_legend,
    reference_name,
    style_axes,
    wrap_label,
)

HATCHES = {"queue": "///", "service": "", "records": "xx", "clearance": "\\\\\\\\", "funding": "..", "seat": "oo"}
ALPHAS = {"queue": 0.5, "service": 1.0, "records": 0.75, "clearance": 0.5, "funding": 0.6, "seat": 0.75}


def stage_time_figure(breakdowns: Mapping[str, Breakdown]) -> Figure:
    """Where the time goes: mean days per person in each part of each stage, stacked; one BarContainer per
    part (in pipeline order), one bar per scenario. Over everyone who arrived when the breakdowns were read
    from the Parquet tables (the bars' lengths are then the mean days in limbo), else over the people who
    reached each stage."""
    labels = list(breakdowns)
    n = max(1, len(labels))
    components = merged_components(breakdowns)
    stages = list(dict.fromkeys(c.stage for c in components))
    colour = {s: OKABE_ITO[k % len(OKABE_ITO)] for k, s in enumerate(stages)}
    fig = new_figure(10.0, 2.6 + 0.75 * n)
    ax = fig.add_subplot()
    style_axes(ax)
    ax.grid(False, axis="y")
    y = np.arange(n)
    left = np.zeros(n)
    for c in components:
        widths = np.nan_to_num(np.array([breakdowns[lab].mean(c.key) for lab in labels]), nan=0.0)
        ax.barh(y, widths, left=left, height=0.6, color=colour[c.stage], edgecolor="white", linewidth=0.5,
                hatch=HATCHES[c.category], alpha=ALPHAS[c.category], label=c.label)
        left += widths
    if n > 1:  # the reference: its whole bar outlined in black, dashed, on top
        ax.add_patch(Rectangle((0, y[0] - 0.3), float(left[0]), 0.6, fill=False, edgecolor=REFERENCE_COLOUR,
                               linestyle=(0, (4, 2)), linewidth=1.6, zorder=5))
    for yi, total in zip(y, left):
        ax.text(float(total), float(yi), f" {fmt_number(total)} days", va="center", ha="left", fontsize="small")
    ax.set_yticks(y, [wrap_label(reference_name(lab, i, n), 24, 3) for i, lab in enumerate(labels)])
    if n > 1:
        ax.get_yticklabels()[0].set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(left.max()) if len(left) else 1.0, 1e-9) * 1.15)
    everyone = all(b.over_everyone for b in breakdowns.values())
    ax.set_xlabel("Mean days per person" + (", everyone who arrived (the bar is the mean days in limbo)"
                                            if everyone else ", over the people who reached each stage") + " (days)")
    ax.set_title("Where the time goes: each stage, and what people wait for there", loc="left", fontweight="bold")
    handles: list[Any] = [Patch(facecolor=colour[s], label=stage_label(s)) for s in stages]
    used = [k for k in CATEGORY_ORDER if any(c.category == k for c in components)]
    handles += [Patch(facecolor="#BBBBBB", hatch=HATCHES[k], alpha=ALPHAS[k], edgecolor="white",
                      label=CATEGORY_WORDS[k]) for k in used]
    outside_legend(fig, handles, ncols=min(4, math.ceil(len(handles) / 3)) if len(handles) > 6 else len(handles))
    return fig
