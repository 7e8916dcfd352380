"""One self-contained HTML brief from a stored results folder (docs/outputs.md).

``report.html`` embeds its figures as base64 PNG data URIs and its CSS inline: no external URL, no
JavaScript, so it opens offline from a USB stick or as an e-mail attachment. Reads stored files only
(it imports :mod:`sim.plots`, pandas and the standard library, never the model or the schema); the
scenario settings come from each folder's ``scenario.toml``, read with :mod:`tomllib`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.plots import (
    HEADLINE_METRICS,
    Results,
    ScenarioResult,
    caption_for,
    draw_plots,
    load_results,
    metric_label,
    plot_sort_key,
    sweep_parameters,
    value_text,
)

__all__ = ["assumption_rows", "flatten_settings", "headlines", "source_for", "write_report"]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; }
h3 { font-size: 1.08em; margin-bottom: 0.3em; }
.sub { color: #555; margin-top: 0; }
.headline { border-left: 4px solid #0072B2; padding: 0.4em 0.9em; margin: 0.8em 0; background: #f4f8fb; }
.headline p { margin: 0.2em 0; }
.headline .main { font-size: 1.08em; font-weight: 600; }
.headline.ref { border-left-color: #555; background: #f6f6f6; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eef2f5; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.diff { background: #fff2cc; font-weight: 600; }
tr.headline-metric td:first-child { font-weight: 600; }
small, .muted { color: #555; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.88em; }
figure { margin: 1.5em 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #333; font-size: 0.95em; margin-top: 0.3em; }
nav ul { columns: 2; }
details summary { cursor: pointer; color: #0072B2; margin: 0.5em 0; }
footer { margin-top: 3em; border-top: 1px solid #ccc; font-size: 0.85em; color: #444; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
@media print { body { max-width: none; } nav { display: none; } }
"""

NOTE = ("Re-trafficking figures come from a transparent exposure model with stated assumptions: they compare "
        "scenarios and are never a prediction about any person.")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


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
        waiting, w_lo, w_hi = _value(m, "waiting")
        if math.isfinite(waiting) and waiting > 0:
            value, ci = estimate_text(waiting, w_lo, w_hi)
            more.append(f"On average {value} people ({ci}) are still waiting {_end_phrase(s)}.")
        peak, p_lo, p_hi = _value(m, "peak_holding")
        cap = s.capacity("holding")
        if math.isfinite(peak):
            value, ci = estimate_text(peak, p_lo, p_hi)
            more.append(f"At the busiest moment {value} people are in holding ({ci})"
                        + (f", for a capacity of {fmt_number(cap, 0)}." if cap else "."))
        exp, e_lo, e_hi = _value(m, "expected_retrafficked_total")
        if math.isfinite(exp):
            value, ci = estimate_text(exp, e_lo, e_hi)
            more.append(f"Expected people re-trafficked or lost: {value} ({ci}).")
        cost, c_lo, c_hi = _value(m, "cost_total")
        if math.isfinite(cost):
            value, ci = estimate_text(cost, c_lo, c_hi)
            more.append(f"Total cost: {value} {cost_unit} ({ci}).")
        out.append((main, more))
    return out


# ---------------------------------------------------------------------------------------- the tables


def _order_metrics(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    return [m for m in HEADLINE_METRICS if m in names] + [m for m in names if m not in HEADLINE_METRICS]


def _metric_cell(metric: str, cost_unit: str) -> str:
    return f"{_e(metric_label(metric, cost_unit))}<br><small><code>{_e(metric)}</code></small>"


def _comparison_table(results: Results) -> str:
    cost_unit = results.cost_unit
    if results.kind == "compare" and (comparison := results.table("comparison.csv")) is not None:
        names = [s.name for s in results.scenarios] or list(dict.fromkeys(comparison["scenario"].astype(str)))
        head = "".join(f"<th>{_e(n)}{'<br><small>(reference)</small>' if i == 0 else ''}</th>"
                       for i, n in enumerate(names))
        rows = []
        for metric in _order_metrics(comparison["metric"]):
            cls = ' class="headline-metric"' if metric in HEADLINE_METRICS else ""
            cells = []
            for i, name in enumerate(names):
                sub = comparison[(comparison["metric"] == metric)
                                 & (comparison["scenario"].astype(str) == name)]
                if sub.empty:
                    cells.append('<td class="num">–</td>')
                    continue
                r = sub.iloc[0]
                text = (f"<b>{_e(fmt_number(r['mean']))}</b><br><small>95% CI "
                        f"{_e(fmt_ci(float(r['ci_low']), float(r['ci_high'])))}</small>")
                if i > 0 and "diff_mean" in r and math.isfinite(float(r["diff_mean"])):
                    d = float(r["diff_mean"])
                    sign = "+" if d > 0 else ""
                    text += (f"<br><small>vs reference: {sign}{_e(fmt_number(d))} "
                             f"({_e(fmt_ci(float(r['diff_ci_low']), float(r['diff_ci_high'])))})</small>")
                cells.append(f'<td class="num">{text}</td>')
            rows.append(f"<tr{cls}><td>{_metric_cell(metric, cost_unit)}</td>{''.join(cells)}</tr>")
        return (f"<table><thead><tr><th>Result</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                "<p class=\"muted\">Mean across replications with its 95% confidence interval; "
                "“vs reference” is the difference to the first scenario, paired by replication (common "
                "random numbers), with its 95% CI.</p>")
    if not results.scenarios or (metrics := results.scenarios[0].metrics()) is None:
        return "<p>No metrics were stored.</p>"
    rows = []
    for metric in _order_metrics(metrics["metric"]):
        r = metrics[metrics["metric"] == metric].iloc[0]
        cls = ' class="headline-metric"' if metric in HEADLINE_METRICS else ""
        ci = fmt_ci(float(r.get("ci_low", math.nan)), float(r.get("ci_high", math.nan)))
        cells = [fmt_number(r.get("mean")), ci,
                 fmt_number(r.get("p50")), fmt_number(r.get("p90")), fmt_number(r.get("n"), 0)]
        rows.append(f"<tr{cls}><td>{_metric_cell(metric, cost_unit)}</td>"
                    + "".join(f'<td class="num">{_e(c)}</td>' for c in cells) + "</tr>")
    return ("<table><thead><tr><th>Result</th><th>Mean</th><th>95% CI</th><th>Median of replications</th>"
            "<th>90th percentile of replications</th><th>Replications</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


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


def _assumption_table(rows: list[dict[str, Any]], names: Sequence[str], show_diff: bool) -> str:
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row["values"]):
            cls = "diff" if show_diff and i > 0 and row["differs"][i] else ""
            mark = " ≠" if cls else ""
            cells.append(f'<td class="{cls}">{_e("(not set)" if v is None else v)}{mark}</td>')
        source = "<br>".join(_e(s) for s in row["sources"]) or '<span class="muted">no source given</span>'
        body.append(f"<tr><td><code>{_e(row['key'])}</code></td>{''.join(cells)}<td>{source}</td></tr>")
    return (f"<table><thead><tr><th>Setting</th>{head}<th>Source</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _assumptions_section(results: Results) -> str:
    scenarios = results.scenarios
    if not scenarios:
        return ""
    names = [s.name for s in scenarios]
    rows = assumption_rows([s.config for s in scenarios])
    compare = len(scenarios) > 1
    parts = ["<p>Every setting of the resolved scenario file (<code>scenario.toml</code>: "
             "<code>extends</code> merged, defaults filled in), as dotted keys, with the source note "
             "recorded for it or, where it has none, for the nearest table above it. Durations written as "
             "plain numbers are in days; distributions show their units.</p>"]
    entries = results.manifest.get("scenarios") or []
    assumed = [e.get("non_default_keys") for e in entries if isinstance(e, Mapping)]
    if assumed and all(isinstance(a, list) for a in assumed):
        # the runner recorded which settings differ from the schema defaults: those are the assumptions
        keys = {k for a in assumed for k in a}
        shown = [r for r in rows if r["key"] in keys]
        hidden = [r for r in rows if r["key"] not in keys]
        parts[0] = parts[0].replace("</p>", " Settings left at the model's defaults are folded away.</p>")
    else:
        shown = [r for r in rows if not r["trivial"]]
        hidden = [r for r in rows if r["trivial"]]
    rest = (f"<details><summary>{len(hidden)} more settings at their defaults (or zero, false, empty, off)"
            "</summary>"
            f"{_assumption_table(hidden, names, compare)}</details>") if hidden else ""
    if compare:
        differing = [r for r in rows if any(r["differs"])]
        parts.append(f"<h3>What differs from {_e(names[0])}</h3>")
        parts.append(_assumption_table(differing, names, True) if differing
                     else "<p>The scenarios share every setting.</p>")
        parts.append(f"<details><summary>All settings of every scenario ({len(rows)})</summary>"
                     f"{_assumption_table(shown, names, True)}{rest}</details>")
    else:
        parts.append(_assumption_table(shown, names, False) + rest)
    return "".join(parts)


# ------------------------------------------------------------------------------------- plots, footer


def _plots_section(pngs: Sequence[Path]) -> str:
    out = []
    for png in pngs:
        caption = caption_for(png.stem)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        out.append(f'<figure id="plot-{_e(png.stem)}">'
                   f'<img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
                   f"<figcaption>{_e(caption)}</figcaption></figure>")
    return "".join(out) or "<p>No plots were drawn.</p>"


def _footer(results: Results) -> str:
    m = results.manifest
    rows = []
    for s in results.scenarios:
        seed = m.get("seed", s.config.get("scenario", {}).get("seed"))
        reps = m.get("replications", s.config.get("scenario", {}).get("replications"))
        rows.append(f"<tr><td>{_e(s.name)}</td><td><code>{_e(s.file or '–')}</code></td>"
                    f"<td><code>{_e(s.sha256 or '–')}</code></td><td>{_e(seed)}</td><td>{_e(reps)}</td></tr>")
    table = ("<table><thead><tr><th>Scenario</th><th>File</th><th>sha256</th><th>Seed</th>"
             f"<th>Replications</th></tr></thead><tbody>{''.join(rows)}</tbody></table>") if rows else ""
    facts = [("repatsim version", m.get("version")), ("git commit", m.get("git_commit")),
             ("seed", m.get("seed")), ("replications", m.get("replications")),
             ("started", m.get("started")), ("finished", m.get("finished")), ("Python", m.get("python"))]
    if results.kind == "sweep":
        facts[2:2] = [("base scenario", m.get("base_name") or m.get("base")), ("base file", m.get("base")),
                      ("resolved base sha256", m.get("base_sha256")), ("sweep file", m.get("sweep_file")),
                      ("sweep file sha256", m.get("sweep_sha256")), ("design", m.get("design")),
                      ("samples", m.get("samples"))]
    deps = m.get("dependencies") or {}
    line = " · ".join(f"{_e(k)}: {_e(v)}" for k, v in facts if v is not None)
    dep_line = ", ".join(f"{_e(k)} {_e(v)}" for k, v in deps.items() if v)
    return (f"<footer><h2 id=\"provenance\">Provenance</h2>{table}<p>{line}</p>"
            + (f"<p><small>Dependencies: {dep_line}</small></p>" if dep_line else "")
            + f"<p><small>Written {_e(dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC'))} "
            "from the stored results in this folder; rerun <code>repatsim report</code> to refresh."
            "</small></p></footer>")


# --------------------------------------------------------------------------------------------- sweeps


def _sweep_sections(results: Results) -> list[tuple[str, str, str]]:
    summary = results.table("summary.csv")
    points = results.table("points.csv")
    sections = []
    sweep_file = results.root / "sweep.toml"
    if sweep_file.exists():
        sections.append(("design", "The sweep", f"<pre>{_e(sweep_file.read_text(encoding='utf-8'))}</pre>"))
    if summary is not None and not summary.empty:
        params = [p for p in sweep_parameters(summary, points) if p in summary.columns]
        metrics = [m for m in HEADLINE_METRICS if m in set(summary["metric"])] or \
            list(dict.fromkeys(summary["metric"]))[:4]
        head = "".join(f"<th><code>{_e(p)}</code></th>" for p in params) + "".join(
            f"<th>{_e(metric_label(m, results.cost_unit))}</th>" for m in metrics)
        body = []
        ids = list(dict.fromkeys(summary["point_id"]))
        for pid in ids[:200]:
            sub = summary[summary["point_id"] == pid]
            first = sub.iloc[0]
            cells = "".join(f"<td>{_e(value_text(first[p]))}</td>" for p in params)
            for m in metrics:
                r = sub[sub["metric"] == m]
                if r.empty:
                    cells += '<td class="num">–</td>'
                else:
                    r = r.iloc[0]
                    cells += (f'<td class="num">{_e(fmt_number(r["mean"]))}<br><small>'
                              f'{_e(fmt_ci(float(r["ci_low"]), float(r["ci_high"])))}</small></td>')
            body.append(f"<tr><td>{_e(pid)}</td>{cells}</tr>")
        more = (f"<p>Showing the first 200 of {len(ids)} points; all are in summary.csv.</p>"
                if len(ids) > 200 else "")
        sections.append(("points", "Results by point",
                         f"<table><thead><tr><th>Point</th>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
                         f"</table>{more}<p class=\"muted\">Mean across replications, 95% CI below.</p>"))
    failures = results.table("failures.csv")
    if failures is not None and len(failures):
        sections.append(("failures", "Failed tasks",
                         f"<p>{len(failures)} task(s) failed; see failures.csv. "
                         "Their points are missing above.</p>"))
    return sections


# ---------------------------------------------------------------------------------------------- page


def _list_pngs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.png"), key=lambda p: plot_sort_key(p.stem))


def build_html(results: Results, pngs: Sequence[Path]) -> str:
    names = [s.name for s in results.scenarios]
    if results.kind == "sweep":
        base = results.manifest.get("base_name") or results.manifest.get("base") or "a scenario"
        title = f"Parameter sweep of {base}"
    elif results.kind == "compare":
        title = "Repatriation scenarios compared: " + ", ".join(names)
    else:
        title = f"Repatriation scenario: {names[0] if names else results.root.name}"
    sections: list[tuple[str, str, str]] = []
    if results.kind == "sweep":
        sections += _sweep_sections(results)
    else:
        cards = []
        for i, (main, more) in enumerate(headlines(results)):
            details = "".join(f"<p>{_e(t)}</p>" for t in more)
            cards.append(f'<div class="headline{" ref" if i == 0 else ""}"><p class="main">{_e(main)}</p>'
                         f"{details}</div>")
        sections.append(("headlines", "Headlines", "".join(cards) + f'<p class="muted">{_e(NOTE)}</p>'))
        sections.append(("results", "Results table", _comparison_table(results)))
    sections.append(("plots", "Figures", _plots_section(pngs)))
    if results.kind != "sweep":
        sections.append(("assumptions", "Assumptions and sources", _assumptions_section(results)))
    nav = "".join(f'<li><a href="#{sid}">{_e(heading)}</a></li>' for sid, heading, _ in sections)
    nav += '<li><a href="#provenance">Provenance</a></li>'
    descriptions = [s.config.get("scenario", {}).get("description") for s in results.scenarios]
    intro = "".join(f"<p><b>{_e(s.name)}</b>: {_e(d)}</p>"
                    for s, d in zip(results.scenarios, descriptions) if d)
    body = "".join(f'<section><h2 id="{sid}">{_e(heading)}</h2>{content}</section>'
                   for sid, heading, content in sections)
    start = results.scenarios[0].start_date if results.scenarios else None
    subtitle = "Simulation results from repatsim"
    if start is not None:
        subtitle += f"; day 0 is {start.day} {start:%B %Y}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{_e(title)}</h1><p class=\"sub\">{_e(subtitle)}</p>{intro}</header>"
            f"<nav><ul>{nav}</ul></nav>{body}{_footer(results)}</body></html>\n")


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(results_dir: str | Path) -> Path:
    """Write ``results_dir/report.html`` and return its path.

    Draws the plots first when ``plots/`` is missing or holds no PNG; otherwise embeds the PNGs found there.
    """
    results = load_results(results_dir)
    pngs = _list_pngs(results.root / "plots")
    if not pngs:
        draw_plots(results.root)
        pngs = _list_pngs(results.root / "plots")
    path = results.root / "report.html"
    _atomic_write(path, build_html(results, pngs))
    return path
