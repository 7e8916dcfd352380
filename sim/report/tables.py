"""The brief's tables after the first screen, as HTML: every metric per scenario, the scenario settings with
their sources as numbered notes, the model against the record, the provenance, a sweep's points and the
figures. Wide tables never scroll: the results table is split into groups of scenarios (each with the
reference), the settings table lists the other scenarios' values only where they differ.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.report.plots import (
    HEADLINE_METRICS,
    Results,
    caption_for,
    metric_label,
    record_caption,
    sweep_parameters,
    value_text,
)
from sim.report.plots.numbers import fmt_diff, fmt_number, fmt_range, fmt_value
from sim.report.plots.parameters import parameter_label
from sim.report.text import assumption_rows
from sim.results.record import score

SCENARIOS_PER_TABLE = 4
"""Scenarios beside the reference in one results table: more would not fit 800 px or A4 paper."""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _order_metrics(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    return [m for m in HEADLINE_METRICS if m in names] + [m for m in names if m not in HEADLINE_METRICS]


def _metric_cell(metric: str, cost_unit: str) -> str:
    return f"{_e(metric_label(metric, cost_unit))}<br><small><code>{_e(metric)}</code></small>"


def comparison_tables(results: Results) -> str:
    """Every metric: mean, 95% CI and (but for the reference) the paired difference, per scenario."""
    cost_unit = results.cost_unit
    if results.kind == "compare" and (comparison := results.table("comparison.csv")) is not None:
        names = [s.name for s in results.scenarios] or list(dict.fromkeys(comparison["scenario"].astype(str)))
        others = names[1:]
        groups = [others[i:i + SCENARIOS_PER_TABLE] for i in range(0, len(others), SCENARIOS_PER_TABLE)] or [[]]
        tables = []
        for k, group in enumerate(groups):
            shown = [names[0], *group]
            head = "".join(f"<th>{_e(n)}{'<br><small>(reference)</small>' if i == 0 else ''}</th>"
                           for i, n in enumerate(shown))
            rows = []
            for metric in _order_metrics(comparison["metric"]):
                cls = ' class="headline-metric"' if metric in HEADLINE_METRICS else ""
                cells = []
                for i, name in enumerate(shown):
                    sub = comparison[(comparison["metric"] == metric) & (comparison["scenario"].astype(str) == name)]
                    if sub.empty:
                        cells.append('<td class="num">–</td>')
                        continue
                    r = sub.iloc[0]
                    text = (f"<b>{_e(fmt_value(metric, r['mean']))}</b><br><small>95% CI "
                            f"{_e(fmt_range(float(r['ci_low']), float(r['ci_high']), metric))}</small>")
                    if i > 0 and "diff_mean" in r and math.isfinite(float(r["diff_mean"])):
                        text += (f"<br><small>vs reference: {_e(fmt_diff(metric, r['diff_mean']))} "
                                 f"({_e(fmt_range(float(r['diff_ci_low']), float(r['diff_ci_high']), metric, True))})"
                                 "</small>")
                    cells.append(f'<td class="num">{text}</td>')
                rows.append(f"<tr{cls}><td>{_metric_cell(metric, cost_unit)}</td>{''.join(cells)}</tr>")
            first, last = 2 + k * SCENARIOS_PER_TABLE, 1 + k * SCENARIOS_PER_TABLE + len(group)
            span = f"Scenario {first}" if first == last else f"Scenarios {first} to {last}"
            caption = f"<h3>{span} of {len(names)} against the reference</h3>" if len(groups) > 1 else ""
            tables.append(f"{caption}<table><thead><tr><th>Result</th>{head}</tr></thead>"
                          f"<tbody>{''.join(rows)}</tbody></table>")
        return ("".join(tables) + "<p class=\"muted\">Mean across replications with its 95% confidence interval; "
                "“vs reference” is the difference to the first scenario, paired by replication (common "
                "random numbers), with its 95% CI.</p>")
    if not results.scenarios or (metrics := results.scenarios[0].metrics()) is None:
        return "<p>No metrics were stored.</p>"
    rows = []
    for metric in _order_metrics(metrics["metric"]):
        r = metrics[metrics["metric"] == metric].iloc[0]
        cls = ' class="headline-metric"' if metric in HEADLINE_METRICS else ""
        cells = [fmt_value(metric, r.get("mean")),
                 fmt_range(float(r.get("ci_low", math.nan)), float(r.get("ci_high", math.nan)), metric),
                 fmt_value(metric, r.get("p50")), fmt_value(metric, r.get("p90")), str(int(r.get("n", 0)))]
        rows.append(f"<tr{cls}><td>{_metric_cell(metric, cost_unit)}</td>"
                    + "".join(f'<td class="num">{_e(c)}</td>' for c in cells) + "</tr>")
    return ("<table><thead><tr><th>Result</th><th>Mean</th><th>95% CI</th><th>Median of replications</th>"
            "<th>90th percentile of replications</th><th>Replications</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


# ------------------------------------------------------------------------------ settings and sources


NOT_ASSUMPTIONS = ("scenario.name", "scenario.description", "scenario.seed", "scenario.replications",
                   "scenario.currency", "scenario.observed")
"""Settings that name or run a scenario rather than assume something: no source is expected of them."""


class _Notes:
    """Numbered source notes of one table: the same note gets the same number."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def mark(self, note: str, key: str = "") -> str:
        if not note and key in NOT_ASSUMPTIONS:
            return ""
        if not note:
            return ' <small class="muted">(no source given)</small>'
        if note not in self.notes:
            self.notes.append(note)
        return f'<sup class="fn">[{self.notes.index(note) + 1}]</sup>'

    def html(self) -> str:
        if not self.notes:
            return ""
        return ("<ol class=\"sources\">" + "".join(f"<li>{_e(n)}</li>" for n in self.notes) + "</ol>")


def _settings_table(rows: list[dict[str, Any]], names: Sequence[str]) -> str:
    """Setting | the reference's value | the other scenarios' values where they differ; notes below."""
    notes = _Notes()
    compare = len(names) > 1
    body = []
    for row in rows:
        values, marks = row["values"], row["notes"]
        first = "(not set)" if values[0] is None else values[0]
        key = row["key"]
        cells = f"<td>{_e(first)}{notes.mark(marks[0], key) if values[0] is not None else ''}</td>"
        if compare:
            differ = [f"<b>{_e(n)}</b>: {_e('(not set)' if v is None else v)}"
                      f"{notes.mark(m, key) if v is not None else ''}"
                      for n, v, m, d in zip(names[1:], values[1:], marks[1:], row["differs"][1:]) if d]
            cells += (f'<td class="diff">{"<br>".join(differ)}</td>' if differ
                      else '<td class="muted">same in every scenario</td>')
        body.append(f"<tr><td><code>{_e(row['key'])}</code></td>{cells}</tr>")
    head = f"<th>Setting</th><th>{_e(names[0])}</th>" + ("<th>Other scenarios, where they differ</th>" if compare
                                                         else "")
    widths = ('<colgroup><col style="width:27%"><col style="width:31%"><col></colgroup>' if compare
              else '<colgroup><col style="width:40%"><col></colgroup>')
    return (f"<table>{widths}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{notes.html()}")


def assumptions_section(results: Results) -> str:
    scenarios = results.scenarios
    if not scenarios:
        return ""
    names = [s.name for s in scenarios]
    rows = assumption_rows([s.config for s in scenarios])
    compare = len(scenarios) > 1
    parts = ["<p>Every setting of the resolved scenario file (<code>scenario.toml</code>: "
             "<code>extends</code> merged, defaults filled in), as dotted keys and as written in the file, with "
             "its source as a numbered note: the note recorded for the key, the one of "
             "<code>[nationality_defaults]</code> when a nationality takes the default (“inherited from "
             "[nationality_defaults]”), or the nearest table's note above it. Durations written as plain "
             "numbers are in days.</p>"]
    entries = results.manifest.get("scenarios") or []
    assumed = [e.get("non_default_keys") for e in entries if isinstance(e, Mapping)]
    recorded = [a for a in assumed if isinstance(a, list)]
    if assumed and len(recorded) == len(assumed):
        keys = {k for a in recorded for k in a}
        shown = [r for r in rows if r["key"] in keys]
        hidden = [r for r in rows if r["key"] not in keys]
        parts[0] = parts[0].replace("</p>", " Settings left at the model's defaults are folded away.</p>")
    else:
        shown = [r for r in rows if not r["trivial"]]
        hidden = [r for r in rows if r["trivial"]]
    rest = (f"<details><summary>{len(hidden)} more settings at their defaults (or zero, false, empty, off)"
            f"</summary>{_settings_table(hidden, names)}</details>") if hidden else ""
    if compare:
        differing = [r for r in rows if any(r["differs"]) and r["key"] not in ("scenario.name", "scenario.description")]
        parts.append(f"<h3>What differs from {_e(names[0])}</h3>")
        parts.append(_settings_table(differing, names) if differing
                     else "<p>The scenarios share every setting.</p>")
        parts.append(f"<details><summary>All settings of every scenario ({len(rows)})</summary>"
                     f"{_settings_table(shown, names)}{rest}</details>")
    else:
        parts.append(_settings_table(shown, names) + rest)
    return "".join(parts)


# ------------------------------------------------------------------------- figures, record, footer


def figure_html(png: Path, caption: str) -> str:
    """A PNG embedded as a data URI, with its caption (as the caption and the alt text)."""
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure id="plot-{_e(png.stem)}"><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def plots_section(pngs: Sequence[Path]) -> str:
    return "".join(figure_html(png, caption_for(png.stem)) for png in pngs) or "<p>No plots were drawn.</p>"


def record_section(results: Results, pngs: Sequence[Path]) -> str:
    """The reference scenario against the reported figures: the score, the figure and the figures' table."""
    record = results.scenarios[0].record() if results.scenarios else None
    if record is None or not len(record):
        return ""
    result = score(record)
    bias = result["bias"]
    cells = [fmt_number(result["figures"]), fmt_value("inside_share", result["inside_share"]),
             "–" if math.isnan(result["mape"]) else f"{fmt_number(result['mape'])}%",
             "–" if math.isnan(bias) else f"{fmt_number(bias, signed=True)}% "
             f"({'ahead of' if bias > 0 else 'behind'} the record)" if bias else "0% (level with the record)"]
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
        parts.append(figure_html(png, record_caption(record)))
    head = ("Day", "Date", "Nationality", "Metric", "Reported [low–high]", "Model mean [90% band]", "Inside",
            "Error", "Source")
    rows = []
    for r in record.itertuples(index=False):
        error = "–" if not math.isfinite(r.error_pct) else f"{fmt_number(r.error_pct, signed=True)}%"
        cells = [r.day, r.date, r.nationality or "all", r.metric,
                 f"{fmt_number(r.value)} [{fmt_number(r.low)}–{fmt_number(r.high)}]",
                 f"{fmt_number(r.model_mean)} [{fmt_number(r.model_low)}–{fmt_number(r.model_high)}]",
                 "yes" if r.inside else "no", error, r.source]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    parts.append(f"<details><summary>Every reported figure ({len(record)})</summary><table><thead><tr>"
                 + "".join(f"<th>{_e(h)}</th>" for h in head) + f"</tr></thead><tbody>{''.join(rows)}</tbody>"
                 "</table></details>")
    return "".join(parts)


def footer(results: Results) -> str:
    m = results.manifest
    rows = []
    for s in results.scenarios:
        seed = m.get("seed", s.config.get("scenario", {}).get("seed"))
        reps = m.get("replications", s.config.get("scenario", {}).get("replications"))
        rows.append(f"<tr><td>{_e(s.name)}</td><td><code>{_e(s.file or '–')}</code></td>"
                    f"<td><code>{_e(s.sha256 or '–')}</code></td><td>{_e(seed)}</td><td>{_e(reps)}</td></tr>")
    table = ('<table><colgroup><col style="width:20%"><col style="width:22%"><col><col style="width:9%">'
             '<col style="width:12%"></colgroup><thead><tr><th>Scenario</th><th>File</th><th>sha256</th>'
             f"<th>Seed</th><th>Replications</th></tr></thead><tbody>{''.join(rows)}</tbody></table>") if rows else ""
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


def sweep_sections(results: Results) -> list[tuple[str, str, str]]:
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
        head = "".join(f"<th>{_e(parameter_label(p))}<br><small><code>{_e(p)}</code></small></th>" for p in params)
        head += "".join(f"<th>{_e(metric_label(m, results.cost_unit))}</th>" for m in metrics)
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
                    cells += (f'<td class="num">{_e(fmt_value(m, r["mean"]))}<br><small>'
                              f'{_e(fmt_range(float(r["ci_low"]), float(r["ci_high"]), m))}</small></td>')
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
