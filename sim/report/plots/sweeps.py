"""Figure 7: sweep results from ``summary.csv`` and ``sensitivity.csv``: headline metrics against one
parameter, a heatmap over two, and the sensitivity ranking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.report.plots.labels import SWEEP_METRICS, metric_label
from sim.report.plots.numbers import fmt_value
from sim.report.plots.parameters import parameter_label
from sim.report.plots.style import (
    OKABE_ITO,
    error_bar_widths,
    new_figure,
    outside_legend,
    series_colour,
    series_linestyle,
    style_axes,
    thousands_formatter,
    thousands_text,
    wrap_label,
)

_SUMMARY_FIXED = ("point_id", "metric", "mean", "ci_low", "ci_high", "n", "scenario_hash")


def sweep_parameters(summary: pd.DataFrame, points: pd.DataFrame | None = None) -> list[str]:
    """The swept parameters (dotted paths): columns of points.csv, else of summary.csv, in file order."""
    source = points if points is not None else summary
    return [c for c in source.columns if c not in _SUMMARY_FIXED]


def _parameter_unit(parameter: str, values: pd.Series) -> str:
    leaf = parameter.rsplit(".", 1)[-1]
    if values.dtype == bool or set(map(str, values.unique())) <= {"True", "False", "true", "false"}:
        return "false / true"
    rules = (("daily_capacity", "people per day"), ("capacity", "people"), ("officers", "officers"),
             ("staff", "staff"), ("hazard_per_day", "per person per day"), ("cost_per", "currency"),
             ("seats", "seats"), ("share", "fraction"), ("vulnerable", "fraction"),
             ("after_return", "probability"), ("delay", "days"), ("days", "days"), ("interval", "days"),
             ("lead_time", "days"), ("threshold", "people"),
             ("count", "people"), ("rate_per_day", "people per day"))
    for key, unit in rules:
        if key in leaf:
            return unit
    if not pd.api.types.is_numeric_dtype(values):
        return "setting"
    return "value in the scenario file"


def _axis_values(values: pd.Series) -> tuple[np.ndarray, list[float] | None, list[str] | None]:
    """Numeric positions for parameter values; categorical ones get ticks and labels."""
    as_text = values.astype(str)
    if values.dtype == bool or set(as_text.unique()) <= {"True", "False", "true", "false"}:
        pos = as_text.str.lower().map({"false": 0.0, "true": 1.0}).to_numpy(dtype=float)
        return pos, [0.0, 1.0], ["false", "true"]
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=float), None, None
    cats = list(dict.fromkeys(as_text))
    return as_text.map({c: float(i) for i, c in enumerate(cats)}).to_numpy(dtype=float), \
        [float(i) for i in range(len(cats))], cats


def _sweep_metrics(summary: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(summary["metric"]))
    if metrics:
        return [m for m in metrics if m in present]
    chosen = [m for m in SWEEP_METRICS if m in present][:3]
    return chosen or present[:3]


def sweep_metric_figure(
    summary: pd.DataFrame,
    parameter: str,
    metrics: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    cost_unit: str = "USD",
) -> Figure:
    """Headline metrics against one swept parameter, with the 95% CI as a band.

    On a grid with few settings of the other parameters, one line per setting; with many, the mean over
    them (band: the range of their CIs); for a Latin hypercube (every value distinct), points with
    CI whiskers. A categorical parameter (false/true, named options) gets points with CI whiskers, never
    lines between categories.
    """
    parameters = list(parameters or sweep_parameters(summary))
    others = [p for p in parameters if p != parameter]
    chosen = _sweep_metrics(summary, metrics)
    fig = new_figure(4.2 * max(1, len(chosen)) + 0.6, 4.6)
    axes = fig.subplots(1, max(1, len(chosen)), squeeze=False)[0]
    handles: dict[str, Any] = {}
    for ax, metric in zip(axes, chosen):
        style_axes(ax)
        df = summary[summary["metric"] == metric].copy()
        df["_x"], ticks, ticklabels = _axis_values(df[parameter])
        distinct = df["_x"].nunique() == len(df)
        if distinct and len(df) > 1 and others:
            df = df.sort_values("_x")
            yerr = np.array([error_bar_widths(m, lo, hi)
                             for m, lo, hi in zip(df["mean"], df["ci_low"], df["ci_high"])]).T
            h = ax.errorbar(df["_x"], df["mean"], yerr=yerr, fmt="o", color=OKABE_ITO[0], markersize=4,
                            capsize=2, linewidth=0.8, label="one design point (whiskers: 95% CI)")
            handles.setdefault(h.get_label(), h)
        else:
            combos = df[others].drop_duplicates() if others else pd.DataFrame(index=[0])
            if others and len(combos) > 6:
                grouped = df.groupby("_x").agg(mean=("mean", "mean"), ci_low=("ci_low", "min"),
                                               ci_high=("ci_high", "max")).reset_index()
                groups = [("mean over the other parameters (band: range of their 95% CIs)", grouped)]
            elif others:
                groups = []
                for _, combo in combos.iterrows():
                    mask = np.ones(len(df), dtype=bool)
                    for p in others:
                        mask &= (df[p].astype(str) == str(combo[p])).to_numpy()
                    name = ", ".join(f"{parameter_label(p)} = {_value_text(combo[p])}" for p in others)
                    groups.append((name, df[mask]))
            else:
                groups = [("mean (band: 95% CI)", df)]
            for i, (name, g) in enumerate(groups):
                g = g.sort_values("_x")
                colour = series_colour(i)
                if ticks is not None:
                    # categories (false/true, named options): nothing lies between them, so points with CI
                    # whiskers, side by side, instead of lines and bands that would suggest values between
                    dodge = (i - (len(groups) - 1) / 2) * min(0.3 / max(1, len(groups) - 1), 0.08)
                    yerr = np.array([error_bar_widths(*v) for v in zip(g["mean"], g["ci_low"], g["ci_high"])]).T
                    h = ax.errorbar(g["_x"] + dodge, g["mean"], yerr=yerr, fmt="os^Dv"[i % 5], color=colour,
                                    markersize=6, capsize=3, linewidth=1.2, label=wrap_label(name, 50, 2))
                    handles.setdefault(h.get_label(), h)
                    continue
                ax.fill_between(g["_x"], g["ci_low"], g["ci_high"], color=colour, alpha=0.2, linewidth=0)
                (line,) = ax.plot(g["_x"], g["mean"], marker="o", markersize=4, color=colour,
                                  linestyle=series_linestyle(i), linewidth=1.8, label=wrap_label(name, 50, 2))
                handles.setdefault(line.get_label(), line)
            if ticks is not None:
                ax.set_xlim(min(ticks) - 0.5, max(ticks) + 0.5)
        if ticks is not None:
            ax.set_xticks(ticks, ticklabels)
        ax.set_xlabel(wrap_label(f"{parameter_label(parameter)} ({_parameter_unit(parameter, summary[parameter])})",
                                 50, 2))
        ax.set_ylabel(wrap_label(metric_label(metric, cost_unit), 44, 2))
        if metric.startswith("cost"):
            ax.yaxis.set_major_formatter(thousands_formatter())
    fig.suptitle(wrap_label(f"How the results change with: {parameter_label(parameter)}", 110, 2),
                 fontweight="bold")
    outside_legend(fig, list(handles.values()), ncols=2)
    return fig


def value_text(value: Any) -> str:
    """A parameter value as written in a scenario file: true/false, 4 rather than 4.0."""
    return _value_text(value)


def _value_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, str) and value in ("True", "False"):
        return value.lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sweep_heatmap_figure(
    summary: pd.DataFrame,
    x_param: str,
    y_param: str,
    metrics: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    cost_unit: str = "USD",
) -> Figure:
    """A heatmap of headline metrics over two swept parameters (mean over any others).

    With more than 15 distinct values of a parameter (e.g. a Latin hypercube), coloured points instead.
    """
    parameters = list(parameters or sweep_parameters(summary))
    others = [p for p in parameters if p not in (x_param, y_param)]
    chosen = _sweep_metrics(summary, metrics)
    fig = new_figure(4.6 * max(1, len(chosen)) + 0.6, 4.8)
    axes = fig.subplots(1, max(1, len(chosen)), squeeze=False)[0]
    for ax, metric in zip(axes, chosen):
        df = summary[summary["metric"] == metric].copy()
        df["_x"], xticks, xlabels = _axis_values(df[x_param])
        df["_y"], yticks, ylabels = _axis_values(df[y_param])
        fmt = metric.startswith("cost")
        if df["_x"].nunique() <= 15 and df["_y"].nunique() <= 15:
            table = df.groupby(["_y", "_x"])["mean"].mean().unstack("_x").sort_index().sort_index(axis=1)
            xs, ys = table.columns.to_numpy(dtype=float), table.index.to_numpy(dtype=float)
            image = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="cividis",
                              extent=None)
            ax.set_xticks(range(len(xs)), [_tick_text(v, xticks, xlabels) for v in xs])
            ax.set_yticks(range(len(ys)), [_tick_text(v, yticks, ylabels) for v in ys])
            values = table.to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
            if values.size <= 64:
                for (r, c), v in np.ndenumerate(values):
                    if np.isfinite(v):
                        ax.text(c, r, thousands_text(v, 0) if fmt else fmt_value(metric, v), ha="center", va="center",
                                fontsize="x-small", color="black" if v > mid else "white")
        else:
            image = ax.scatter(df["_x"], df["_y"], c=df["mean"], cmap="cividis", s=30, edgecolor="none")
            if xticks is not None:
                ax.set_xticks(xticks, xlabels)
            if yticks is not None:
                ax.set_yticks(yticks, ylabels)
        bar = fig.colorbar(image, ax=ax, shrink=0.9)
        bar.set_label(wrap_label(metric_label(metric, cost_unit), 40, 2), fontsize="small")
        if fmt:
            bar.ax.yaxis.set_major_formatter(thousands_formatter())
        ax.set_xlabel(wrap_label(f"{parameter_label(x_param)} ({_parameter_unit(x_param, summary[x_param])})", 44, 2))
        ax.set_ylabel(wrap_label(f"{parameter_label(y_param)} ({_parameter_unit(y_param, summary[y_param])})", 40, 2))
        ax.set_title(wrap_label(metric_label(metric, cost_unit, with_unit=False), 36, 2), fontsize="medium")
    extra = f" (mean over {', '.join(parameter_label(p) for p in others)})" if others else ""
    fig.suptitle(wrap_label(f"The results over {parameter_label(x_param)} and {parameter_label(y_param)}{extra}",
                            110, 2), fontweight="bold")
    return fig


def _tick_text(value: float, ticks: list[float] | None, labels: list[str] | None) -> str:
    if ticks is not None and labels is not None:
        return labels[ticks.index(value)] if value in ticks else str(value)
    return _value_text(float(value))


def sensitivity_figure(sensitivity: pd.DataFrame, metrics: Sequence[str] | None = None,
                       cost_unit: str = "USD") -> Figure:
    """Sensitivity ranking per metric: coefficient per parameter, largest effect on top, sign by colour."""
    present = list(dict.fromkeys(sensitivity["metric"]))
    chosen = [m for m in (metrics or SWEEP_METRICS) if m in present][:3] or present[:3]
    n_params = sensitivity["parameter"].nunique()
    fig = new_figure(5.6 * max(1, len(chosen)) + 0.6, 2.2 + 0.45 * n_params)
    axes = fig.subplots(1, max(1, len(chosen)), squeeze=False)[0]
    for ax, metric in zip(axes, chosen):
        style_axes(ax)
        ax.grid(False, axis="y")
        df = sensitivity[sensitivity["metric"] == metric].copy()
        df["_abs"] = df["coefficient"].abs()
        df = df.sort_values(["abs_rank", "_abs"] if "abs_rank" in df else ["_abs"],
                            ascending=[True, False] if "abs_rank" in df else [False])
        y = np.arange(len(df))
        colours = [OKABE_ITO[0] if c >= 0 else OKABE_ITO[1] for c in df["coefficient"]]
        ax.barh(y, df["coefficient"], color=colours, height=0.6)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_yticks(y, [wrap_label(parameter_label(p), 28, 3) for p in df["parameter"]])
        reach = float(df["coefficient"].abs().max()) if len(df) else 1.0
        ax.set_xlim(-1.15 * reach, 1.15 * reach)
        ax.invert_yaxis()
        method = str(df["method"].iloc[0]) if "method" in df and len(df) else "sensitivity"
        ax.set_xlabel(wrap_label(f"Coefficient (unitless; {method})", 44, 2))
        r2 = df["r2"].iloc[0] if "r2" in df and len(df) else math.nan
        title = wrap_label(metric_label(metric, cost_unit, with_unit=False), 36, 2)
        if np.isfinite(r2):
            title += f"\n(R² = {r2:.2f})"
        ax.set_title(title, fontsize="medium")
    fig.suptitle("Which parameters move the results most", fontweight="bold")
    outside_legend(fig, [Patch(facecolor=OKABE_ITO[0], label="raises the result"),
                          Patch(facecolor=OKABE_ITO[1], label="lowers the result")], ncols=2)
    return fig
