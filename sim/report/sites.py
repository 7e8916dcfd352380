"""The brief's section on the network: the sites-and-crossings diagram with its caption, and per scenario a
small table of each site's and crossing's people, peak and mean stay (from ``metrics_by_site.csv``).

It sits near the top of the detail, right after the first screen: a reader sees where people are held and
where they cross before the numbers that follow. Reads stored files only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.plots import Results, ScenarioResult, caption_for
from sim.report.plots.numbers import fmt_range, fmt_value
from sim.report.tables import figure_html

SITE_METRICS = (("people", "People", "people"), ("peak", "Peak", "people"),
                ("stay_days_mean", "Mean stay", "days per person"))
"""The table's columns: metric of metrics_by_site.csv, heading, unit."""
KIND_ORDER = {"holding": 0, "shelter": 1, "crossing": 2}
KIND_WORDS = {"holding": "holding site", "shelter": "shelter", "crossing": "crossing"}
CROSSING_METRIC = {"peak": "most_in_a_day", "stay_days_mean": "wait_days_mean"}
"""What a crossing's row shows in the columns of a site's peak and mean stay."""
SITE_NOTE = ("People: held at the site, or who crossed at the crossing. Peak: most people at the site at once; for "
             "a crossing, most who crossed in one day. Mean stay: days a person spent at the site; for a crossing, "
             "days from being ready to cross to crossing. Each cell: the mean across replications, its 95% "
             "confidence interval below.")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _rows(s: ScenarioResult, table: pd.DataFrame) -> list[tuple[str, str]]:
    """(site, kind) of the table: holding sites, shelters, crossings; each in the scenario file's order."""
    order = [site.name for site in s.network.ordered_sites] + [c.name for c in s.network.crossings]
    pairs = list(dict.fromkeys(zip(table["site"].astype(str), table["kind"].astype(str))))
    return sorted(pairs, key=lambda p: (KIND_ORDER.get(p[1], 3), order.index(p[0]) if p[0] in order else len(order)))


def _cell(table: pd.DataFrame, site: str, kind: str, metric: str) -> str:
    rows = table[(table["site"].astype(str) == site) & (table["kind"].astype(str) == kind)
                 & (table["metric"].astype(str) == metric)]
    if rows.empty or not math.isfinite(float(rows.iloc[0]["mean"])):
        return '<td class="num">–</td>'
    r = rows.iloc[0]
    low, high = float(r.get("ci_low", math.nan)), float(r.get("ci_high", math.nan))
    return (f'<td class="num"><b>{_e(fmt_value(metric, r["mean"]))}</b><br><small>'
            f"{_e(fmt_range(low, high, metric))}</small></td>")


def site_table(s: ScenarioResult) -> str:
    """One scenario's sites and crossings: people, peak and mean stay (empty without metrics_by_site.csv)."""
    table = s.metrics_by_site()
    if table is None or table.empty or not {"site", "kind", "metric", "mean"} <= set(table.columns):
        return ""
    head = "".join(f'<th>{_e(words)}<span class="unit">{_e(unit)}</span></th>' for _, words, unit in SITE_METRICS)
    body = []
    for site, kind in _rows(s, table):
        cells = "".join(_cell(table, site, kind, CROSSING_METRIC.get(metric, metric) if kind == "crossing"
                              else metric) for metric, _, _ in SITE_METRICS)
        body.append(f"<tr><td>{_e(site)}<br><small>{_e(KIND_WORDS.get(kind, kind))}</small></td>{cells}</tr>")
    return (f'<table class="sites"><thead><tr><th>Site or crossing</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def network_section(results: Results, pngs: Sequence[Path]) -> str:
    """The network figure with its caption, then each scenario's site table; empty when there is neither."""
    parts = []
    png = next((p for p in pngs if p.stem == "network"), None)
    if png is not None:
        parts.append(figure_html(png, caption_for("network")))
    tables = [(s, t) for s in results.scenarios if (t := site_table(s))]
    many = len(results.scenarios) > 1
    for i, (s, t) in enumerate(tables):
        mark = " (reference)" if i == 0 and many and s is results.scenarios[0] else ""
        parts.append((f"<h3>{_e(s.name)}{mark}</h3>" if many else "") + t)
    if tables:
        parts.append(f'<p class="note">{_e(SITE_NOTE)}</p>')
    return "".join(parts)
