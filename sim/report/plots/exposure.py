"""Figures 5 and 6: re-trafficking exposure (while waiting, after return) and cost against exposure,
from ``metrics.csv``, with 95% confidence intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from sim.report.plots.labels import metric_value
from sim.report.plots.style import (
    OKABE_ITO,
    error_bar_widths,
    new_figure,
    outside_legend,
    series_colour,
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
        ax.barh(y + offset, np.nan_to_num(means), height=0.34, color=colour, label=name,
                xerr=errs, error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})
        right = max(right, float(np.nanmax(np.nan_to_num(means) + errs[1])) if len(means) else 0.0)
    ticks = []
    for lab in labels:
        mean, lo, hi = metric_value(metrics[lab], "expected_retrafficked")
        text = wrap_label(lab, 26, 3)
        if np.isfinite(mean):
            ci = f"\n(95% CI {lo:,.1f}–{hi:,.1f})" if np.isfinite(lo) and np.isfinite(hi) else ""
            text += f"\ntotal {mean:,.1f}{ci}"
        ticks.append(text)
    ax.set_yticks(y, ticks)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, max(right, 1e-9) * 1.15)
    ax.set_xlabel("Expected number of people re-trafficked or lost (people; whiskers: 95% CI)")
    ax.set_title("Re-trafficking exposure: while waiting and after return", loc="left", fontweight="bold")
    bars = [c for c in ax.containers if isinstance(c, BarContainer) and c.patches]
    outside_legend(fig, [c.patches[0] for c in bars], [str(c.get_label()) for c in bars], ncols=2)
    return fig


def _place_labels(fig: Figure, ax: Any, texts: list[Any], points: list[tuple[float, float]]) -> None:
    """Put each point's label where it covers no other label and no marker.

    Tries eight positions around the point (right first); if all collide, keeps the first and then pushes
    colliding labels apart vertically. Deterministic, no extra dependency.
    """
    if not texts:
        return
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # new_figure attaches one
    canvas.draw()
    renderer = canvas.get_renderer()
    px_to_pt = 72.0 / fig.dpi
    marker_px = 7.0 / px_to_pt  # half a marker plus a little air, in pixels
    centres = [ax.transData.transform(p) for p in points]
    markers = [(cx - marker_px, cy - marker_px, cx + marker_px, cy + marker_px) for cx, cy in centres]
    candidates = [((9, 5), "left", "bottom"), ((9, -5), "left", "top"), ((-9, 5), "right", "bottom"),
                  ((-9, -5), "right", "top"), ((0, 10), "center", "bottom"), ((0, -10), "center", "top"),
                  ((14, 0), "left", "center"), ((-14, 0), "right", "center")]

    def hits(box: Any, others: list[tuple[float, float, float, float]]) -> bool:
        return any(box.x0 < x1 and box.x1 > x0 and box.y0 < y1 and box.y1 > y0 for x0, y0, x1, y1 in others)

    placed: list[tuple[float, float, float, float]] = []
    axes_box = ax.get_window_extent(renderer)
    for text in texts:
        chosen = None
        for offset, ha, va in candidates:
            text.xyann = offset
            text.set_ha(ha)
            text.set_va(va)
            box = text.get_window_extent(renderer)
            inside = box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1 and box.y0 >= axes_box.y0 \
                and box.y1 <= axes_box.y1
            if inside and not hits(box, placed + markers):
                chosen = box
                break
        if chosen is None:
            (offset, ha, va) = candidates[0]
            text.xyann = offset
            text.set_ha(ha)
            text.set_va(va)
            chosen = text.get_window_extent(renderer)
        placed.append((chosen.x0, chosen.y0, chosen.x1, chosen.y1))
    # last resort for crowded plots: push still-overlapping labels apart vertically
    for _ in range(50):
        moved = False
        boxes = [t.get_window_extent(renderer) for t in texts]
        for i in range(1, len(texts)):
            for j in range(i):
                if boxes[i].overlaps(boxes[j]):
                    if boxes[i].y0 <= boxes[j].y0:
                        shift = -(boxes[i].y1 - boxes[j].y0) * px_to_pt - 2.0
                    else:
                        shift = (boxes[j].y1 - boxes[i].y0) * px_to_pt + 2.0
                    dx, dy = texts[i].xyann
                    texts[i].xyann = (dx, dy + shift)
                    boxes[i] = texts[i].get_window_extent(renderer)
                    moved = True
        if not moved:
            break


def _padded_limits(low: float, high: float, pad: float = 0.12) -> tuple[float, float]:
    """Axis limits around [low, high]; from zero when the data already reach below half the top value."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return (0.0, 1.0)
    if low >= 0 and low <= 0.5 * high:
        return (0.0, high * (1 + pad) if high > 0 else 1.0)
    span = high - low if high > low else max(abs(high), 1.0) * 0.1
    return (low - span * pad * 2, high + span * pad * 2)


def cost_exposure_figure(metrics: Mapping[str, pd.DataFrame], cost_unit: str = "cost units") -> Figure:
    """Total cost against expected people re-trafficked or lost, one labelled point per scenario.

    The axes start at zero when the values span much of their range; otherwise they zoom in on the
    points (the tick labels show the scale) so that the labels and CIs stay readable.
    """
    fig = new_figure(8.5, 6.0)
    ax = fig.add_subplot()
    style_axes(ax)
    texts, points = [], []
    xs: list[float] = []
    ys: list[float] = []
    for i, (label, df) in enumerate(metrics.items()):
        xm, xl, xh = metric_value(df, "expected_retrafficked")
        ym, yl, yh = metric_value(df, "cost_total")
        xerr = np.array(error_bar_widths(xm, xl, xh)).reshape(2, 1)
        yerr = np.array(error_bar_widths(ym, yl, yh)).reshape(2, 1)
        marker = "osD^vP*X"[i % 8]
        ax.errorbar([xm], [ym], xerr=xerr, yerr=yerr, fmt=marker, color=series_colour(i), markersize=8,
                    capsize=3, linewidth=1.2, label=wrap_label(label, 40, 2))
        if np.isfinite(xm) and np.isfinite(ym):
            xs += [xm - xerr[0, 0], xm + xerr[1, 0]]
            ys += [ym - yerr[0, 0], ym + yerr[1, 0]]
            points.append((xm, ym))
            texts.append(ax.annotate(wrap_label(label, 26, 2), xy=(xm, ym), xytext=(9, 5),
                                     textcoords="offset points", fontsize="small", color=series_colour(i),
                                     annotation_clip=False))
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
    _place_labels(fig, ax, texts, points)
    return fig
