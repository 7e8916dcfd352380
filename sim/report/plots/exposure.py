"""Figures 5 and 6: re-trafficking exposure (while waiting, after return) and cost against exposure,
from ``metrics.csv``, with 95% confidence intervals.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from sim.report.plots.labels import metric_value
from sim.report.plots.numbers import fmt_number, fmt_range
from sim.report.plots.placement import place_labels
from sim.report.plots.style import (
    OKABE_ITO,
    REFERENCE_COLOUR,
    error_bar_widths,
    new_figure,
    outside_legend,
    reference_name,
    scenario_colour,
    style_axes,
    thousands_formatter,
    wrap_label,
)


def exposure_figure(metrics: Mapping[str, pd.DataFrame]) -> Figure:
    """Expected re-trafficking exposure per scenario with 95% CIs: while waiting vs after return."""
    labels = list(metrics)
    n = max(1, len(labels))
    fig = new_figure(9.0, 2.2 + 0.9 * n)
    ax = fig.add_subplot()
    style_axes(ax)
    ax.grid(False, axis="y")
    y = np.arange(n)
    parts = (("expected_lost", "While waiting (lost before going home)", OKABE_ITO[1], -0.18),
             ("expected_retrafficked_after_return", "After return home", OKABE_ITO[0], 0.18))
    right = 0.0
    for metric, name, colour, offset in parts:
        values = [metric_value(metrics[lab], metric) for lab in labels]
        means = np.array([v[0] for v in values])
        errs = np.array([error_bar_widths(*v) for v in values]).T
        bars = ax.barh(y + offset, np.nan_to_num(means), height=0.34, color=colour, label=name,
                       xerr=errs, error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})
        if n > 1:  # the reference: outlined in black, dashed
            bars.patches[0].set_edgecolor(REFERENCE_COLOUR)
            bars.patches[0].set_linestyle((0, (4, 2)))
            bars.patches[0].set_linewidth(1.6)
        right = max(right, float(np.nanmax(np.nan_to_num(means) + errs[1])) if len(means) else 0.0)
    ticks = []
    for i, lab in enumerate(labels):
        mean, lo, hi = metric_value(metrics[lab], "expected_retrafficked")
        text = wrap_label(reference_name(lab, i, n), 26, 3)
        if np.isfinite(mean):
            ci = f"\n(95% CI {fmt_range(lo, hi)})" if np.isfinite(lo) and np.isfinite(hi) else ""
            text += f"\ntotal {fmt_number(mean)}{ci}"
        ticks.append(text)
    ax.set_yticks(y, ticks)
    if n > 1:
        ax.get_yticklabels()[0].set_fontweight("bold")
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, max(right, 1e-9) * 1.15)
    ax.set_xlabel("Expected number of people re-trafficked or lost (people; whiskers: 95% CI)")
    ax.set_title("Re-trafficking exposure: while waiting and after return", loc="left", fontweight="bold")
    containers = [c for c in ax.containers if isinstance(c, BarContainer) and c.patches]
    outside_legend(fig, [c.patches[0] for c in containers], [str(c.get_label()) for c in containers], ncols=2)
    return fig


def _padded_limits(low: float, high: float, pad: float = 0.12) -> tuple[float, float]:
    """Axis limits around [low, high]; from zero when the data already reach below half the top value."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return (0.0, 1.0)
    if low >= 0 and low <= 0.5 * high:
        return (0.0, high * (1 + pad) if high > 0 else 1.0)
    span = high - low if high > low else max(abs(high), 1.0) * 0.1
    return (low - span * pad * 2, high + span * pad * 2)


def cost_exposure_figure(metrics: Mapping[str, pd.DataFrame], cost_unit: str = "USD") -> Figure:
    """Total cost against expected people re-trafficked or lost, one labelled point per scenario.

    The axes start at zero when the values span much of their range; otherwise they zoom in on the
    points (the tick labels show the scale) so that the labels and CIs stay readable.
    """
    fig = new_figure(8.5, 6.0)
    ax = fig.add_subplot()
    style_axes(ax)
    names, points, styles = [], [], []
    xs: list[float] = []
    ys: list[float] = []
    n = len(metrics)
    for i, (label, df) in enumerate(metrics.items()):
        xm, xl, xh = metric_value(df, "expected_retrafficked")
        ym, yl, yh = metric_value(df, "cost_total")
        xerr = np.array(error_bar_widths(xm, xl, xh)).reshape(2, 1)
        yerr = np.array(error_bar_widths(ym, yl, yh)).reshape(2, 1)
        marker = "o" if i == 0 else "sD^vP*X"[(i - 1) % 7]
        bars = ax.errorbar([xm], [ym], xerr=xerr, yerr=yerr, fmt=marker, color=scenario_colour(i), markersize=8,
                           capsize=3, linewidth=1.4 if i == 0 else 1.2, zorder=6 if i == 0 else 4,
                           label=wrap_label(reference_name(label, i, n), 40, 2))
        if i == 0:
            for line in bars.lines[2]:
                line.set_linestyle((0, (4, 2)))
        if np.isfinite(xm) and np.isfinite(ym):
            xs += [xm - xerr[0, 0], xm + xerr[1, 0]]
            ys += [ym - yerr[0, 0], ym + yerr[1, 0]]
            points.append((xm, ym))
            names.append(wrap_label(label, 26, 2))
            styles.append({"fontsize": "small", "color": scenario_colour(i),
                           "fontweight": "bold" if i == 0 and n > 1 else "normal"})
    if xs:
        x0, x1 = _padded_limits(min(xs), max(xs), pad=0.35)
        y0, y1 = _padded_limits(min(ys), max(ys), pad=0.2)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    ax.set_xlabel("Expected people re-trafficked or lost (people; whiskers: 95% CI)")
    ax.set_ylabel(f"Total cost of the operation ({cost_unit})")
    ax.yaxis.set_major_formatter(thousands_formatter())
    zoomed = [axis for axis, (low, _) in (("x", ax.get_xlim()), ("y", ax.get_ylim())) if low != 0]
    title = "What each scenario costs, and how many people it exposes to re-trafficking"
    ax.set_title(title + ("\n" if zoomed else ""), loc="left", fontweight="bold", fontsize="medium")
    if zoomed:
        note = ("Zoomed in: the x and y axes do not start at zero" if len(zoomed) == 2
                else f"Zoomed in: the {zoomed[0]} axis does not start at zero")
        ax.text(0.0, 1.01, note, transform=ax.transAxes, fontsize="small", color="#444444", va="bottom",
                ha="left")
    outside_legend(fig, list(ax.containers), ncols=2)
    place_labels(fig, ax, names, points, styles)
    return fig
