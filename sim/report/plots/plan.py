"""The evidence of ``repatsim plan``, drawn from ``plan.csv``: each candidate against each target.

One key: a panel per target, the key on the x axis, each candidate's mean (filled when it meets the target,
hollow when not) with a bar to its one-sided confidence bound, the target as a dashed line and the answer
as a dotted one. Two or more keys: the first two keys as a grid of the combinations tried (filled: meets
every target; x: misses one), the smallest combinations that meet them ringed with their mean cost, the
answer starred.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.report.plots.labels import metric_label
from sim.report.plots.style import GREY, OKABE_ITO, new_figure, outside_legend, style_axes, wrap_path

__all__ = ["plan_figure"]


def plan_figure(table: pd.DataFrame, keys: Sequence[str], cost_unit: str = "cost units") -> Figure:
    """The figure of a plan table (plan.csv) over the varied ``keys`` (its key columns, in order)."""
    if len(keys) == 1:
        return _one_key(table, keys[0], cost_unit)
    return _grid(table, list(keys), cost_unit)


def _answer(table: pd.DataFrame, key: str) -> float | None:
    rows = table[table["answer"].astype(bool)]
    return float(rows[key].iloc[0]) if len(rows) else None


def _one_key(table: pd.DataFrame, key: str, cost_unit: str) -> Figure:
    targets = list(dict.fromkeys(table["target"]))
    fig = new_figure(min(max(7.0, 4.2 * len(targets)), 13), 4.2)
    axes = fig.subplots(1, len(targets), squeeze=False)[0]
    answer = _answer(table, key)
    confidence = float(table["confidence"].iloc[0]) if "confidence" in table and len(table) else 0.95
    for ax, target in zip(axes, targets):
        rows = table[table["target"] == target].sort_values(key)
        metric, operator, value = rows["metric"].iloc[0], rows["operator"].iloc[0], float(rows["value"].iloc[0])
        colour = OKABE_ITO[0]
        column = rows.columns.get_loc(key)
        for row in rows.itertuples(index=False):
            x, mean, bound = float(row[column]), float(row.mean), float(row.bound)
            if math.isfinite(mean) and math.isfinite(bound):
                ax.plot([x, x], [mean, bound], color=colour, linewidth=1.2)
            ax.plot([x], [mean], marker="o", markersize=6, color=colour,
                    markerfacecolor=colour if row.meets else "white", linestyle="none")
        ax.axhline(value, color=OKABE_ITO[1], linestyle="--", linewidth=1.2)
        spread = [abs(v) for v in (*rows["mean"], *rows["bound"]) if math.isfinite(v)]
        if value > 0 and spread and max(spread) > 20 * value:  # far-off candidates would flatten the rest
            ax.set_yscale("symlog", linthresh=value / 10)
            if min(v for v in (*rows["mean"], *rows["bound"]) if math.isfinite(v)) >= 0:
                ax.set_ylim(0, max(spread) * 3)
        if answer is not None:
            ax.axvline(answer, color=GREY, linestyle=":", linewidth=1.2)
        ax.set_title(wrap_path(f"{metric} {operator} {value:g}", width=40), fontsize="medium")
        ax.set_xlabel(wrap_path(key, width=40))
        ax.set_ylabel(metric_label(metric, cost_unit), fontsize="small")
        style_axes(ax)
    handles = [Line2D([], [], marker="o", color=OKABE_ITO[0], linestyle="-",
                      label=f"mean, with a bar to its {confidence:.0%} one-sided bound"),
               Line2D([], [], marker="o", color=OKABE_ITO[0], markerfacecolor="white", linestyle="none",
                      label="misses the target (hollow)"),
               Line2D([], [], color=OKABE_ITO[1], linestyle="--", label="target")]
    if answer is not None:
        handles.append(Line2D([], [], color=GREY, linestyle=":", label=f"answer: {answer:g}"))
    outside_legend(fig, handles, ncols=2)
    title = (f"Smallest value of {key.split('.')[-1]} meeting every target: {answer:g}" if answer is not None
             else f"No value of {key.split('.')[-1]} in range meets every target")
    fig.suptitle(title, fontsize="large")
    return fig


def _grid(table: pd.DataFrame, keys: list[str], cost_unit: str) -> Figure:
    x_key, y_key = keys[0], keys[1]
    fig = new_figure(7.5, 5.5)
    ax = fig.subplots()
    points = table.drop_duplicates(subset=keys)
    for row in points.itertuples(index=False):
        x, y = row[points.columns.get_loc(x_key)], row[points.columns.get_loc(y_key)]
        feasible, frontier, answer = bool(row.feasible), bool(row.frontier), bool(row.answer)
        if feasible:
            ax.plot([x], [y], marker="o", markersize=8, color=OKABE_ITO[2], linestyle="none")
        else:
            ax.plot([x], [y], marker="x", markersize=8, color=OKABE_ITO[1], linestyle="none")
        if frontier:
            ax.plot([x], [y], marker="o", markersize=14, markerfacecolor="none", color=OKABE_ITO[0],
                    linestyle="none")
            ax.annotate(f"{float(row.cost_total_mean):,.0f}", (x, y), textcoords="offset points",
                        xytext=(8, 6), fontsize="small")
        if answer:
            ax.plot([x], [y], marker="*", markersize=18, color=OKABE_ITO[4], linestyle="none")
    ax.set_xlabel(wrap_path(x_key, width=50))
    ax.set_ylabel(wrap_path(y_key, width=40))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(0.15)
    style_axes(ax)
    handles = [Line2D([], [], marker="o", color=OKABE_ITO[2], linestyle="none", label="meets every target"),
               Line2D([], [], marker="x", color=OKABE_ITO[1], linestyle="none", label="misses a target"),
               Line2D([], [], marker="o", markersize=10, markerfacecolor="none", color=OKABE_ITO[0],
                      linestyle="none", label=f"smallest combinations (mean cost, {cost_unit})"),
               Line2D([], [], marker="*", markersize=12, color=OKABE_ITO[4], linestyle="none",
                      label="answer: the cheapest")]
    outside_legend(fig, handles, ncols=2)
    extra = f" (other keys: {', '.join(keys[2:])})" if len(keys) > 2 else ""
    fig.suptitle("Combinations tried; the answer is the cheapest of the smallest that meet every target" + extra,
                 fontsize="medium")
    return fig
