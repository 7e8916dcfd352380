"""Tornado charts of ``compare --robustness``, drawn from ``robustness/robustness.csv``.

One chart per variant and headline metric: each ranged assumption is a row, its bars run from the difference
under the baseline assumptions (the vertical line) to the difference with the assumption at its low end and
at its high end; whiskers are the 95% CIs there. The assumptions that move the difference most are at the
top. A bar that crosses the dashed zero line is an assumption under which the conclusion changes sign.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.plots.labels import metric_label
from sim.report.plots.style import DPI, GREY, OKABE_ITO, new_figure, outside_legend, style_axes, wrap_path

__all__ = ["ROBUSTNESS_CAPTION", "draw_tornados", "tornado_figure", "tornado_stem"]

ROBUSTNESS_CAPTION = ("How the difference to the reference moves when one assumption is set to the low (blue) or "
                      "high (orange) end of its plausible range, the others as in the baseline; the solid line is "
                      "the difference under the baseline assumptions, the dashed line no difference. A bar crossing "
                      "the dashed line marks an assumption under which the conclusion changes sign.")


def tornado_stem(scenario: str, metric: str) -> str:
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in scenario.lower()).strip("-")[:60] or "scenario"
    return f"tornado_{slug}_{metric}"


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def tornado_figure(table: pd.DataFrame, scenario: str, metric: str, reference: str = "the reference",
                   cost_unit: str = "cost units") -> Figure:
    """The tornado chart of one variant's difference on one metric (rows of robustness.csv)."""
    part = table[(table["scenario"] == scenario) & (table["metric"] == metric)]
    base = part[part["end"] == "base"]
    base_diff = float(base["diff_mean"].iloc[0]) if len(base) else math.nan
    keys = [k for k in dict.fromkeys(part["key"].fillna("")) if k]
    rows = []
    for key in keys:
        ends = part[part["key"] == key].set_index("end")
        low, high = (ends.loc[e] if e in ends.index else None for e in ("low", "high"))
        swing = abs((float(high["diff_mean"]) if high is not None else base_diff)
                    - (float(low["diff_mean"]) if low is not None else base_diff))
        rows.append((key, low, high, swing if math.isfinite(swing) else 0.0))
    rows.sort(key=lambda r: r[3])  # the largest swing drawn last: at the top
    fig = new_figure(8.0, max(2.8, 0.55 * len(rows) + 1.8))
    ax = fig.subplots()
    labels = []
    for y, (key, low, high, _) in enumerate(rows):
        for end, colour in ((low, OKABE_ITO[0]), (high, OKABE_ITO[1])):
            if end is None or not math.isfinite(float(end["diff_mean"])):
                continue
            diff = float(end["diff_mean"])
            offset = -0.17 if colour == OKABE_ITO[0] else 0.17
            ax.barh(y + offset, diff - base_diff, left=base_diff, height=0.32, color=colour, alpha=0.85)
            lo, hi = float(end["diff_ci_low"]), float(end["diff_ci_high"])
            if math.isfinite(lo) and math.isfinite(hi):
                ax.plot([lo, hi], [y + offset, y + offset], color="#333333", linewidth=0.8)
        held = any(str(e["scenario_setting"]).startswith(("held", "own")) for e in (low, high) if e is not None)
        values = " / ".join(_number(float(e["value"])) for e in (low, high) if e is not None)
        labels.append(wrap_path(key, width=34) + f"\n{values}" + (" *" if held else ""))
    ax.set_yticks(range(len(rows)), labels, fontsize="small")
    ax.axvline(0.0, color="black", linestyle="--", linewidth=1.0)
    if math.isfinite(base_diff):
        ax.axvline(base_diff, color=GREY, linewidth=1.6)
    ax.set_xlabel(f"{scenario} minus {reference}: {metric_label(metric, cost_unit)}", fontsize="small")
    style_axes(ax)
    handles = [Patch(color=OKABE_ITO[0], label="assumption at its low end"),
               Patch(color=OKABE_ITO[1], label="assumption at its high end"),
               Line2D([], [], color=GREY, linewidth=1.6, label=f"baseline assumptions ({_number(base_diff)})"),
               Line2D([], [], color="black", linestyle="--", label="no difference")]
    outside_legend(fig, handles, ncols=2)
    note = "  (* the variant keeps its own value or range)" if any(lab.endswith(" *") for lab in labels) else ""
    fig.suptitle(wrap_path(f"{metric}: {scenario} vs {reference}", width=80) + note, fontsize="medium")
    return fig


def draw_tornados(table: pd.DataFrame, folder: Path, reference: str = "the reference",
                  cost_unit: str = "cost units") -> list[Path]:
    """One PNG per variant and headline metric in ``folder``; returns their paths."""
    paths = []
    for scenario in dict.fromkeys(table["scenario"]):
        for metric in dict.fromkeys(table[table["scenario"] == scenario]["metric"]):
            fig = tornado_figure(table, scenario, metric, reference, cost_unit)
            path = folder / f"{tornado_stem(str(scenario), str(metric))}.png"
            fig.savefig(path, dpi=DPI, format="png")
            fig.clear()
            paths.append(path)
    return paths
