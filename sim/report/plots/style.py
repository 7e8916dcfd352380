"""The look shared by every figure: palette, figure factory, axes, legends, time axes and number labels.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas: no GUI, no pyplot state.
Colours are Okabe & Ito's colour-blind-safe set; long names are wrapped, never cut silently.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

DPI = 150

# Okabe & Ito (2008), colour-blind safe. Ordered so that the strongest, most distinct colours come first
# and yellow (weak on white) comes last.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", ":", "-."]
GREY = "#7F7F7F"


def new_figure(width: float, height: float) -> Figure:
    """A figure of this size (inches) on the Agg canvas, with constrained layout."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def series_colour(i: int) -> str:
    """The colour of the ``i``-th series (scenario), cycling through the palette."""
    return OKABE_ITO[i % len(OKABE_ITO)]


REFERENCE_COLOUR = "#000000"
SCENARIO_COLOURS = [c for c in OKABE_ITO if c != REFERENCE_COLOUR]


def scenario_colour(i: int) -> str:
    """The colour of the ``i``-th scenario: black for the reference (0), then the palette without black."""
    return REFERENCE_COLOUR if i == 0 else SCENARIO_COLOURS[(i - 1) % len(SCENARIO_COLOURS)]


def scenario_line(i: int) -> dict[str, Any]:
    """Line keywords of the ``i``-th scenario: the reference black, dashed, a little thicker and drawn on top
    of every other scenario (so that a curve identical to it cannot hide it: the dashes show both)."""
    if i == 0:
        return {"color": REFERENCE_COLOUR, "linestyle": (0, (5, 2.5)), "linewidth": 2.3, "zorder": 6}
    styles = ("-", "-.", ":")  # never dashed: dashes mark the reference
    style = styles[((i - 1) // len(SCENARIO_COLOURS)) % len(styles)]
    return {"color": scenario_colour(i), "linestyle": style, "linewidth": 2.0, "zorder": 4}


def reference_name(name: str, i: int, total: int) -> str:
    """A scenario's name in a legend: the reference says so when there are others."""
    return f"{name} (reference)" if i == 0 and total > 1 else name


def series_linestyle(i: int) -> str:
    """The line style of the ``i``-th series: solid until the colours run out, then dashed, ..."""
    return LINESTYLES[(i // len(OKABE_ITO)) % len(LINESTYLES)]


def wrap_label(text: str, width: int = 24, max_lines: int = 3) -> str:
    """Wrap a long name onto at most ``max_lines`` lines of ``width`` characters, ending in an ellipsis."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(lines)


def wrap_path(path: str, width: int = 26, max_lines: int = 3) -> str:
    """Wrap a dotted key path at its dots rather than inside words."""
    lines = textwrap.wrap(str(path).replace(".", ". "), width=width, break_long_words=True) or [""]
    lines = [line.replace(". ", ".") for line in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + "…"
    return "\n".join(lines)


def time_axis_label(start_date: dt.date | None) -> str:
    """The label of a time axis: calendar dates from ``start_date``, else days since the start."""
    if start_date is None:
        return "Time since the start of the operation (days)"
    return f"Date (day 0 = {start_date.day} {start_date:%b %Y})"


def time_values(days: np.ndarray, start_date: dt.date | None) -> np.ndarray:
    """Model days to plot values: calendar datetimes when a start date is known, else the days."""
    if start_date is None:
        return np.asarray(days, dtype=float)
    base = np.datetime64(dt.datetime(start_date.year, start_date.month, start_date.day), "s")
    return base + np.round(np.asarray(days, dtype=float) * 86400).astype("timedelta64[s]")


def format_time_axis(ax: Any, start_date: dt.date | None, label: bool = True) -> None:
    """Date ticks (``12 Feb``) when a start date is known; the axis label unless ``label`` is false."""
    if start_date is not None:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    if label:
        ax.set_xlabel(time_axis_label(start_date))


def day_grid(horizon: float | None, *observed: float) -> np.ndarray:
    """Whole days from 0 to the horizon (or, without one, to the last observed time)."""
    finite = [x for x in observed if x is not None and np.isfinite(x)]
    end = horizon if horizon is not None and np.isfinite(horizon) else (max(finite) if finite else 1.0)
    return np.arange(0.0, math.ceil(max(end, 1.0)) + 1.0)


def outside_legend(fig: Figure, handles: list[Any], labels: list[str] | None = None, ncols: int = 3) -> None:
    """A legend below the axes, where it cannot cover data."""
    if not handles:
        return
    if labels is None:
        labels = [h.get_label() for h in handles]
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, min(ncols, len(handles))),
               frameon=False, fontsize="small")


def style_axes(ax: Any) -> None:
    """Light grid behind the data, no top or right spine."""
    ax.grid(True, color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def error_bar_widths(mean: float, low: float, high: float) -> tuple[float, float]:
    """Error-bar half widths, zero where the interval is unknown (one replication)."""
    lo = mean - low if np.isfinite(low) else 0.0
    hi = high - mean if np.isfinite(high) else 0.0
    return max(lo, 0.0), max(hi, 0.0)


def thousands_text(value: float, _pos: int = 0, decimals: int | None = None) -> str:
    """A large amount in few characters: 5,000, 38k, 9.9M (``decimals`` after the point of k and M)."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.{1 if decimals is None else decimals}f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:,.{0 if decimals is None else decimals}f}k"
    return f"{value:,.{0 if decimals is None else decimals}f}"


class AmountFormatter(Formatter):
    """Tick labels for amounts (5,000, 38k, 9.9M) with as many decimals as it takes to tell the ticks apart."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return thousands_text(x)

    def format_ticks(self, values: Any) -> list[str]:
        values = list(values)
        for decimals in range(0, 4):
            labels = [thousands_text(v, 0, decimals) for v in values]
            if len(set(labels)) == len(labels):
                return labels
        return [thousands_text(v, 0, 3) for v in values]


def thousands_formatter() -> Formatter:
    """A new tick formatter for large amounts (one per axis: formatters bind to it)."""
    return AmountFormatter()
