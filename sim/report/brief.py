"""The brief's first screen, as HTML: the scorecard (scenarios as rows, the headline outcomes as columns,
each cell the value, the paired difference from the reference with its 95% CI and a verdict), the
generated sentences under it (:mod:`sim.report.findings`), the trade-offs, and how to read the brief with
its glossary (:mod:`sim.report.glossary`).
"""

from __future__ import annotations

import html
import math
from typing import Any

from sim.report import findings
from sim.report.evidence import (
    BETTER,
    NO_CI,
    REFERENCE,
    SCORECARD_HEADERS,
    SCORECARD_METRICS,
    UNCLEAR,
    WORSE,
    Evidence,
)
from sim.report.glossary import GLOSSARY, HOW_TO_READ
from sim.report.plots.numbers import ROUNDING_RULE, fmt_diff, fmt_number, fmt_range, fmt_value

VERDICT_TEXT = {BETTER: "✓ better", WORSE: "✗ worse", UNCLEAR: "≈ not clear", NO_CI: "no CI"}
VERDICT_CLASS = {BETTER: "better", WORSE: "worse", UNCLEAR: "unclear", NO_CI: "unclear"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def scorecard_cell(ev: Evidence, name: str, metric: str) -> dict[str, str]:
    """The strings of one scorecard cell: ``value``, and for a scenario other than the reference
    ``change`` (signed), ``ci`` (of the change) and ``verdict``; for the reference ``ci`` of the value."""
    e = ev.get(name, metric)
    cell = {"value": fmt_value(metric, e.mean)}
    v = ev.verdict(name, metric)
    if v == REFERENCE:
        cell["ci"] = f"95% CI {fmt_range(e.low, e.high, metric)}" if math.isfinite(e.low) else ""
        cell["verdict"] = REFERENCE
        return cell
    cell["change"] = fmt_diff(metric, e.diff)
    cell["ci"] = fmt_range(e.diff_low, e.diff_high, metric, diff=True)
    cell["verdict"] = v
    return cell


def scorecard_html(ev: Evidence) -> str:
    heads = []
    for metric in SCORECARD_METRICS:
        words, unit = SCORECARD_HEADERS[metric]
        heads.append(f"<th>{_e(words)}<span class=\"unit\">{_e(unit.replace('{cost}', ev.currency))}</span></th>")
    rows = []
    for name in ev.names:
        cells = []
        for metric in SCORECARD_METRICS:
            c = scorecard_cell(ev, name, metric)
            parts = [f'<span class="value">{_e(c["value"])}</span>']
            if "change" in c:
                verdict_text = VERDICT_TEXT.get(c["verdict"], "")
                parts.append(f'<span class="change">{_e(c["change"])} <span class="verdict '
                             f'{VERDICT_CLASS.get(c["verdict"], "unclear")}">{_e(verdict_text)}</span></span>')
                parts.append(f'<span class="ci">({_e(c["ci"])})</span>')
            elif c.get("ci"):
                parts.append(f'<span class="ci">{_e(c["ci"])}</span>')
            cells.append(f'<td data-metric="{_e(metric)}">{"".join(parts)}</td>')
        ref = name == ev.reference
        label = _e(name) + ("<br><small>reference</small>" if ref and len(ev.names) > 1 else "")
        row_class = ' class="reference"' if ref else ""
        rows.append(f"<tr{row_class}><td>{label}</td>{''.join(cells)}</tr>")
    legend = ("Each cell: the mean over the replications; under it, for every scenario but the reference, the "
              "difference from the reference, paired by replication, and in brackets its 95% confidence "
              "interval. “✓ better” and “✗ worse” only when that interval lies wholly on one side of zero; "
              "otherwise “≈ not clear”: no clear difference. Higher is better for the shares home; lower is better for "
              "everything else.")
    if len(ev.names) == 1:
        legend = "Each cell: the mean over the replications with its 95% confidence interval."
    return (f'<table class="scorecard"><thead><tr><th>Scenario</th>{"".join(heads)}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table><p class=\"note\">{_e(legend)}</p>")


def answer_html(ev: Evidence) -> str:
    """The answer in a sentence or two, over the scorecard."""
    return f'<p class="answer">{_lead(findings.answer(ev), ev.names)}</p>'


def findings_html(ev: Evidence) -> str:
    parts = []
    best = findings.best_on_each(ev)
    if best:
        parts.append("<h3>Best on each outcome</h3><ul class=\"findings\">"
                     + "".join(f"<li>{_e(s)}</li>" for s in best) + "</ul>")
    mechanisms = findings.mechanisms(ev) if len(ev.names) > 1 else []
    if mechanisms:
        parts.append("<h3>What each scenario changes, and why</h3><ul class=\"findings\">"
                     + "".join(f"<li>{_lead(s, ev.names)}</li>" for s in mechanisms) + "</ul>")
    elif ev.parts:
        parts.append(f"<p>{_e(single_run_wait(ev))}</p>")
    trade = findings.trade_offs(ev)
    if len(ev.names) > 1:
        parts.append("<h3>Trade-offs</h3>" + ("<ul class=\"findings\">" + "".join(f"<li>{_lead(s, ev.names)}</li>"
                                                                                   for s in trade)
                                              + "</ul>" if trade else
                                              "<p>No scenario is clearly better on one outcome of the scorecard "
                                              "and clearly worse on another.</p>"))
    return "".join(parts)


def _lead(sentence: str, names: list[str]) -> str:
    """The sentence escaped, with the scenario name it starts with in bold."""
    for name in sorted(names, key=len, reverse=True):
        if sentence.startswith(name):
            return f"<b>{_e(name)}</b>{_e(sentence[len(name):])}"
    return _e(sentence)


def single_run_wait(ev: Evidence) -> str:
    """For a single scenario: the parts of the wait that weigh most."""
    parts = sorted(ev.components, key=lambda c: -ev.part(ev.reference, c.key).mean
                   if math.isfinite(ev.part(ev.reference, c.key).mean) else 0.0)
    top = [c for c in parts[:3] if ev.part(ev.reference, c.key).mean > 0]
    if not top:
        return ""
    return ("Where the time goes, per person over everyone who arrived: " + "; ".join(
        f"{c.phrase}, {fmt_number(ev.part(ev.reference, c.key).mean)} days" for c in top) + ".")


def how_to_read_html() -> str:
    items = "".join(f"<li>{_e(t)}</li>" for t in (*HOW_TO_READ, ROUNDING_RULE))
    terms = "".join(f"<dt>{_e(term)}</dt><dd>{_e(meaning)}</dd>" for term, meaning in GLOSSARY)
    return (f"<ul class=\"findings\">{items}</ul><h3 id=\"glossary\">Glossary</h3>"
            f"<dl class=\"glossary\">{terms}</dl>")
