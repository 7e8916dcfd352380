"""The brief's section on ``compare --robustness``: the sentences, the verdicts and the tornado charts.

Reads ``robustness/`` of a compare folder (written by :mod:`sim.decisions.robustness`); returns "" when there
is none, so :func:`sim.report.html.build_html` adds the section only when robustness results exist.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from sim.report.plots.labels import metric_label
from sim.report.plots.robustness import ROBUSTNESS_CAPTION

__all__ = ["robustness_section"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _signed(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.3g}"


def robustness_section(root: Path, cost_unit: str = "cost units") -> str:
    """The section's HTML, or "" when the folder has no robustness results."""
    folder = Path(root) / "robustness"
    if not (folder / "robustness_summary.csv").is_file():
        return ""
    summary = pd.read_csv(folder / "robustness_summary.csv")
    table = pd.read_csv(folder / "robustness.csv")
    paragraphs = pd.read_csv(folder / "paragraphs.csv") if (folder / "paragraphs.csv").is_file() else None
    keys = [k for k in dict.fromkeys(table["key"].fillna("")) if k]
    parts = [f"<p>Each of the {len(keys)} ranged assumptions of the reference scenario was set to the low end, "
             "then the high end, of its plausible range (<code>KEY_range</code> in the scenario file), in every "
             "scenario at once, and the comparison re-run on the same replications (common random numbers). "
             "A conclusion <i>holds</i> when the difference keeps its sign, with a 95% confidence interval that "
             "excludes zero, under every assumption tested.</p>"]
    if paragraphs is not None:
        parts += [f'<div class="headline"><p>{_e(p)}</p></div>' for p in paragraphs["paragraph"].fillna("") if p]
    head = ("Scenario", "Result", "Difference, baseline assumptions [95% CI]", "Range over the settings", "Verdict")
    rows = []
    for r in summary.itertuples(index=False):
        cells = [r.scenario, metric_label(str(r.metric), cost_unit),
                 f"{_signed(r.diff_mean)} [{_signed(r.diff_ci_low)}, {_signed(r.diff_ci_high)}]",
                 f"{_signed(r.diff_min)} to {_signed(r.diff_max)}", r.verdict]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    parts.append("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"
                 + "".join(rows) + "</tbody></table>")
    figures = []
    for png in sorted(folder.glob("tornado_*.png")):
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        figures.append(f'<figure id="plot-{_e(png.stem)}"><img src="data:image/png;base64,{data}" '
                       f'alt="{_e(png.stem)}"><figcaption>{_e(ROBUSTNESS_CAPTION)}</figcaption></figure>')
    if figures:
        parts.append(f"<details><summary>Tornado charts, one per headline difference ({len(figures)})</summary>"
                     + "".join(figures) + "</details>")
    parts.append('<p class="muted">Every difference under every setting: <code>robustness/robustness.csv</code>; '
                 "the verdicts and sentences: <code>robustness/robustness_summary.csv</code>.</p>")
    return "".join(parts)
