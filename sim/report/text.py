"""The plain-text pieces of the report: numbers people read, headline sentences, scenario settings.

Numbers get thousands separators, a precision that fits their size and a real minus sign; an estimate
comes with its 95% confidence interval at a precision that tells its two ends apart. Headlines are
sentences per scenario built from the stored metrics (and, for a compare, the paired differences).
Settings are a resolved ``scenario.toml`` flattened to dotted keys with the source note recorded for each.

No HTML here (:mod:`sim.report` escapes and lays out these strings) and, like the report, no model:
stored files only, read through :mod:`sim.report.plots`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.report.plots import Results, ScenarioResult

__all__ = ["assumption_rows", "estimate_text", "flatten_settings", "fmt_ci", "fmt_number", "headlines",
           "source_for", "source_with_key"]


# ------------------------------------------------------------------------------------------- numbers


def fmt_number(x: Any, decimals: int | None = None) -> str:
    """A number for people to read: thousands separators, precision by size, a real minus sign."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return "–"
    auto = decimals is None
    if decimals is None:
        ax = abs(x)
        decimals = 0 if ax >= 100 or ax == 0 else 1 if ax >= 10 else 2 if ax >= 0.01 else 3
    text = f"{abs(x):,.{decimals}f}"
    if auto and decimals > 0:
        text = text.rstrip("0").rstrip(".")
    return ("−" if x < 0 and text.strip("0.,") else "") + text


def fmt_ci(low: float, high: float, formatter: Any = fmt_number) -> str:
    """ "8–10", or "−35 to −29" when a bound is negative (an en dash next to a minus sign misleads)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "not available (one replication)"
    sep = " to " if low < 0 or high < 0 else "–"
    return f"{formatter(low)}{sep}{formatter(high)}"


def estimate_text(mean: float, low: float, high: float, decimals: int | None = None,
                  signed: bool = False) -> tuple[str, str]:
    """(mean, "95% CI low–high") with one precision for all three.

    Starts from 0 decimals at 10 and above (1 below), and adds decimals (up to 2) until the CI's two ends
    read differently, so that "12 (95% CI 12–12)" becomes "12.1 (95% CI 11.9–12.3)". Millions are shown
    as "9.87 million".
    """
    scale, suffix = (1e6, " million") if math.isfinite(mean) and abs(mean) >= 1e6 else (1.0, "")
    m, lo, hi = mean / scale, low / scale, high / scale
    if decimals is None:
        decimals = 2 if suffix else (0 if math.isfinite(m) and abs(m) >= 10 else 1)
        while (decimals < 2 and math.isfinite(lo) and math.isfinite(hi) and hi > lo
               and fmt_number(lo, decimals) == fmt_number(hi, decimals)):
            decimals += 1
    sign = "+" if signed and m > 0 else ""
    main = f"{sign}{fmt_number(m, decimals)}{suffix}"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return main, "no CI: a single replication"
    return main, f"95% CI {fmt_ci(lo, hi, lambda v: fmt_number(v, decimals))}{suffix}"


def _value(metrics: pd.DataFrame | None, metric: str, prefix: str = "") -> tuple[float, float, float]:
    if metrics is None or "metric" not in metrics:
        return (math.nan, math.nan, math.nan)
    rows = metrics[metrics["metric"] == metric]
    if rows.empty:
        return (math.nan, math.nan, math.nan)
    row = rows.iloc[0]
    return tuple(float(row.get(f"{prefix}{c}", math.nan)) for c in ("mean", "ci_low", "ci_high"))  # type: ignore


# ----------------------------------------------------------------------------------------- headlines


def _scenario_metrics(results: Results) -> dict[str, pd.DataFrame | None]:
    comparison = results.table("comparison.csv") if results.kind == "compare" else None
    out: dict[str, pd.DataFrame | None] = {}
    for s in results.scenarios:
        metrics = s.metrics()
        if metrics is None and comparison is not None:
            metrics = comparison[comparison["scenario"].astype(str).isin([s.name, s.folder.name])]
        out[s.name] = metrics
    return out


def _comparison_rows(results: Results, scenario: ScenarioResult) -> pd.DataFrame | None:
    comparison = results.table("comparison.csv")
    if comparison is None:
        return None
    rows = comparison[comparison["scenario"].astype(str) == scenario.name]
    if rows.empty:
        rows = comparison[comparison["scenario"].astype(str) == scenario.folder.name]
    return rows if len(rows) else None


def _end_phrase(scenario: ScenarioResult) -> str:
    horizon, start = scenario.horizon, scenario.start_date
    if horizon is None:
        return "at the end of the run"
    if start is not None:
        end = start + dt.timedelta(days=horizon)
        return f"at the end of the run (day {fmt_number(horizon, 0)}, {end.day} {end:%b %Y})"
    return f"at the end of the run (day {fmt_number(horizon, 0)})"


def headlines(results: Results) -> list[tuple[str, list[str]]]:
    """Per scenario: a plain-language headline sentence and supporting sentences (plain text)."""
    metrics = _scenario_metrics(results)
    if not results.scenarios:
        return []
    base = results.scenarios[0]
    b_mean, b_lo, b_hi = _value(metrics[base.name], "wait_days_p50")
    cost_unit = results.cost_unit
    out = []
    for i, s in enumerate(results.scenarios):
        m = metrics[s.name]
        mean, lo, hi = _value(m, "wait_days_p50")
        median, ci = estimate_text(mean, lo, hi)
        if not math.isfinite(mean):
            main = f"In {s.name}, nobody went home within the run, so there is no median wait."
        elif i == 0:
            main = f"In {s.name}, people wait a median of {median} days ({ci}) before going home."
        else:
            reference = estimate_text(b_mean, b_lo, b_hi)[0]
            main = (f"With {s.name}, people wait a median of {median} days ({ci}) instead of {reference} "
                    f"days in {base.name}.")
        more = []
        if i > 0:
            d, dlo, dhi = _value(_comparison_rows(results, s), "wait_days_p50", prefix="diff_")
            if math.isfinite(d):
                value, ci = estimate_text(d, dlo, dhi, signed=True)
                more.append(f"Paired difference in the median wait: {value} days ({ci}).")
        p90, p90_lo, p90_hi = _value(m, "wait_days_p90")
        if math.isfinite(p90):
            value, ci = estimate_text(p90, p90_lo, p90_hi)
            more.append(f"The slowest 10% wait {value} days or more ({ci}).")
        waiting, w_lo, w_hi = _value(m, "still_waiting")
        if math.isfinite(waiting) and waiting > 0:
            value, ci = estimate_text(waiting, w_lo, w_hi)
            more.append(f"On average {value} people ({ci}) are still waiting {_end_phrase(s)}.")
        peak, p_lo, p_hi = _value(m, "peak_holding")
        cap = s.capacity("holding")
        if math.isfinite(peak):
            value, ci = estimate_text(peak, p_lo, p_hi)
            more.append(f"At the busiest moment {value} people are in holding ({ci})"
                        + (f", for a capacity of {fmt_number(cap, 0)}." if cap else "."))
        exp, e_lo, e_hi = _value(m, "expected_retrafficked")
        if math.isfinite(exp):
            value, ci = estimate_text(exp, e_lo, e_hi)
            more.append(f"Expected people re-trafficked or lost: {value} ({ci}).")
        cost, c_lo, c_hi = _value(m, "cost_total")
        if math.isfinite(cost):
            value, ci = estimate_text(cost, c_lo, c_hi)
            more.append(f"Total cost: {value} {cost_unit} ({ci}).")
        out.append((main, more))
    return out


# ------------------------------------------------------------------------------------- assumptions


def _leaf_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return fmt_number(value, None) if abs(value) >= 0.01 or value == 0 else f"{value:.3g}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        if "dist" in value:  # a distribution of durations (days), except a gamma's cv
            args = ", ".join(f"{k} {_leaf_text(v) if k == 'cv' else _duration_text(v)}"
                             for k, v in value.items() if k != "dist")
            return f"{value['dist']}({args})" if args else str(value["dist"])
        return "{" + ", ".join(f"{k} = {_leaf_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_leaf_text(v) for v in value) + "]"
    return str(value)


def _duration_text(value: Any) -> str:
    """Days as people say them: "40 min", "6 h", "21 d"; lists element by element."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_duration_text(v) for v in value) + "]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _leaf_text(value)
    days = float(value)
    if days == 0:
        return "0"
    def short(x: float) -> str:
        return (f"{x:.1f}" if x < 10 else f"{x:,.0f}").removesuffix(".0")

    if days < 1 / 24:
        return f"{short(days * 1440)} min"
    if days < 1:
        return f"{short(days * 24)} h"
    return f"{short(days)} d"


def flatten_settings(config: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A scenario.toml as dotted keys -> readable values, and its source notes by dotted key.

    Distributions (tables with a ``dist`` key) stay one value. Notes come from the ``[sources]`` table
    (flat dotted keys or nested tables) and from sibling ``KEY_source`` strings.
    """
    settings: dict[str, str] = {}
    sources: dict[str, str] = {}

    def walk_sources(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk_sources(v, f"{prefix}.{k}" if prefix else str(k))
        else:
            sources[prefix] = str(node)

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if not prefix and key == "sources":
                continue
            if isinstance(key, str) and key.endswith("_source") and isinstance(value, str):
                sources[path[: -len("_source")]] = value
            elif isinstance(value, Mapping) and "dist" not in value:
                walk(value, path)
            else:
                settings[path] = _leaf_text(value)

    walk_sources(config.get("sources", {}), "")
    walk(config, "")
    return settings, sources


def source_for(key: str, sources: Mapping[str, str]) -> str:
    """The note for ``key``: an exact match, else the nearest parent key that has one, else ""."""
    return source_with_key(key, sources)[0]


def source_with_key(key: str, sources: Mapping[str, str]) -> tuple[str, str]:
    """(note, the key it was recorded for): exact match first, then the nearest parent; ("", "") if none."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        at = ".".join(parts[:i])
        note = sources.get(at)
        if note:
            return note, at
    return "", ""


_TRIVIAL = {"0", "false", "[]", "{}", "", "fixed(value 0)"}


def assumption_rows(configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per dotted key set in any scenario: values per scenario, whether they differ from the
    first scenario's, and the source notes (the first scenario's, then any other scenario's own)."""
    flat = [flatten_settings(c) for c in configs]
    keys: list[str] = []
    for settings, _ in flat:
        keys += [k for k in settings if k not in keys]
    rows = []
    for key in keys:
        values = [settings.get(key) for settings, _ in flat]
        notes: list[str] = []
        for _, sources in flat:
            note, at = source_with_key(key, sources)
            if note and at != key:
                note = f"{note} (noted for {at})"
            if note and note not in notes:
                notes.append(note)
        rows.append({"key": key, "values": values,
                     "differs": [v != values[0] for v in values],
                     "trivial": all(v is None or v in _TRIVIAL for v in values),
                     "sources": notes})
    return rows

