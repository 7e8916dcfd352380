"""One self-contained HTML brief from a stored results folder (docs/outputs.md).

``report.html`` embeds its figures as base64 PNG data URIs and its CSS inline: no external URL, no
JavaScript, so it opens offline from a USB stick or as an e-mail attachment. Reads stored files only
(it imports :mod:`sim.report.plots`, the score of :mod:`sim.results.record`, pandas and the standard
library, never the model or the schema); the scenario settings come from each folder's ``scenario.toml``,
read with :mod:`tomllib`.

This module lays out the HTML; the plain text it shows (numbers with their confidence intervals,
headline sentences, settings with their sources) comes from :mod:`sim.report.text`.
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

from sim.report.plots import (
    HEADLINE_METRICS,
    Results,
    caption_for,
    draw_plots,
    load_results,
    metric_label,
    plot_sort_key,
    record_caption,
    sweep_parameters,
    value_text,
)
from sim.report.robustness import robustness_section
from sim.report.text import (
    assumption_rows,
    estimate_text,
    flatten_settings,
    fmt_ci,
    fmt_number,
    headlines,
    source_for,
    source_with_key,
)
from sim.results.record import score

# the plain-text helpers (numbers, headlines, settings) live in sim.report.text and are re-exported here
__all__ = ["assumption_rows", "estimate_text", "flatten_settings", "fmt_ci", "fmt_number", "headlines", "source_for",
           "source_with_key", "write_report"]

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
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; max-width: 100%; display: block;
        overflow-x: auto; }  /* wide comparisons scroll inside the table, not the page */
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
    recorded = [a for a in assumed if isinstance(a, list)]
    if assumed and len(recorded) == len(assumed):
        # the runner recorded which settings differ from the schema defaults: those are the assumptions
        keys = {k for a in recorded for k in a}
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


def _record_section(results: Results, pngs: Sequence[Path]) -> str:
    """The reference scenario against the reported figures: the score, the figure and the figures' table."""
    record = results.scenarios[0].record() if results.scenarios else None
    if record is None or not len(record):
        return ""
    result = score(record)
    bias = result["bias"]
    cells = [fmt_number(result["figures"], 0), f"{result['inside_share']:.0%}",
             "–" if math.isnan(result["mape"]) else f"{result['mape']:.1f}%",
             "–" if math.isnan(bias) else f"{bias:+.1f}% ({'ahead of' if bias > 0 else 'behind'} the record)"
             if bias else "0% (level with the record)"]
    parts = [f"<p>{_e(results.scenarios[0].name)} against the reported figures of <code>record.csv</code>. A figure "
             "of day <i>d</i> is the state at the end of that day. It is <i>inside</i> when its reported range "
             "(low to high) meets the model's 90% band (5th to 95th percentile of the replications); the error is "
             "the model's mean against the reported value, in percent; the bias is the median signed error of "
             "the cumulative counts (positive: people go home or cross earlier in the model).</p>",
             "<table><thead><tr><th>Reported figures</th><th>Inside the model's 90% band</th>"
             "<th>Median absolute error</th><th>Bias (cumulative counts)</th></tr></thead><tbody><tr>"
             + "".join(f'<td class="num">{_e(c)}</td>' for c in cells) + "</tr></tbody></table>"]
    png = next((p for p in pngs if p.stem == "record"), None)
    if png is not None:
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        caption = record_caption(record)
        parts.append(f'<figure id="plot-record"><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
                     f"<figcaption>{_e(caption)}</figcaption></figure>")
    head = ("Day", "Date", "Nationality", "Metric", "Reported [low–high]", "Model mean [90% band]", "Inside",
            "Error", "Source")
    rows = []
    for r in record.itertuples(index=False):
        error = "–" if not math.isfinite(r.error_pct) else f"{r.error_pct:+.1f}%"
        cells = [r.day, r.date, r.nationality or "all", r.metric,
                 f"{fmt_number(r.value)} [{fmt_number(r.low)}–{fmt_number(r.high)}]",
                 f"{fmt_number(r.model_mean)} [{fmt_number(r.model_low)}–{fmt_number(r.model_high)}]",
                 "yes" if r.inside else "no", error, r.source]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    parts.append(f"<details><summary>Every reported figure ({len(record)})</summary><table><thead><tr>"
                 + "".join(f"<th>{_e(h)}</th>" for h in head) + f"</tr></thead><tbody>{''.join(rows)}</tbody>"
                 "</table></details>")
    return "".join(parts)


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
        if record := _record_section(results, pngs):
            sections.append(("record", "Model against the record", record))
        if robustness := robustness_section(results.root, results.cost_unit):
            sections.append(("robustness", "Robustness to the assumptions", robustness))
    sections.append(("plots", "Figures", _plots_section([p for p in pngs if p.stem != "record"])))
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
