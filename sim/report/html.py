"""One self-contained HTML brief from a stored results folder (docs/outputs.md).

``report.html`` embeds its figures as base64 PNG data URIs and its CSS inline: no external URL, no
JavaScript, so it opens offline from a USB stick or as an e-mail attachment. Reads stored files only
(it imports :mod:`sim.report.plots`, the score of :mod:`sim.results.record`, pandas and the standard
library, never the model or the schema); the scenario settings come from each folder's ``scenario.toml``,
read with :mod:`tomllib`.

The page opens with the answer: the scorecard and the sentences generated under it
(:mod:`sim.report.brief`, from :mod:`sim.report.evidence` and :mod:`sim.report.findings`), then how to read
the brief and its glossary, then the detail (:mod:`sim.report.tables`): every metric, the figures, the
settings with their sources, the provenance. The stylesheet (:mod:`sim.report.css`) fits 800 px screens
and A4 paper.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.report.brief import answer_html, findings_html, how_to_read_html, scorecard_html
from sim.report.css import CSS
from sim.report.evidence import gather
from sim.report.plots import Results, draw_plots, load_results, plot_sort_key
from sim.report.robustness import robustness_section
from sim.report.sites import network_section
from sim.report.tables import (
    assumptions_section,
    comparison_tables,
    footer,
    plots_section,
    record_section,
    sweep_sections,
)
from sim.report.text import (
    assumption_rows,
    estimate_text,
    flatten_settings,
    fmt_ci,
    fmt_number,
    note_for,
    source_for,
    source_with_key,
)

# the plain-text helpers (numbers, settings) live in sim.report.text and are re-exported here
__all__ = ["assumption_rows", "build_html", "estimate_text", "flatten_settings", "fmt_ci", "fmt_number", "note_for",
           "source_for", "source_with_key", "write_report"]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


# ---------------------------------------------------------------------------------------------- page


def _list_pngs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.png"), key=lambda p: plot_sort_key(p.stem))


def _title(results: Results) -> str:
    names = [s.name for s in results.scenarios]
    if results.kind == "sweep":
        base = results.manifest.get("base_name") or results.manifest.get("base") or "a scenario"
        return f"Parameter sweep of {base}"
    if results.kind == "compare" and len(names) > 1:
        return f"Repatriation brief: {len(names) - 1} scenario{'s' if len(names) > 2 else ''} against {names[0]}"
    return f"Repatriation brief: {names[0] if names else results.root.name}"


def _scenarios_section(results: Results) -> str:
    items = []
    for i, s in enumerate(results.scenarios):
        description = s.config.get("scenario", {}).get("description") or ""
        mark = " (reference)" if i == 0 and len(results.scenarios) > 1 else ""
        items.append(f"<li><b>{_e(s.name)}</b>{mark}{': ' + _e(description) if description else ''}</li>")
    return f"<ul class=\"findings\">{''.join(items)}</ul>" if items else ""


def build_html(results: Results, pngs: Sequence[Path]) -> str:
    """The page: (id, heading, HTML, starts a printed page) per section, then the provenance."""
    sections: list[tuple[str, str, str, bool]] = []
    if results.kind == "sweep":
        sections += [(sid, heading, content, False) for sid, heading, content in sweep_sections(results)]
    else:
        evidence = gather(results)
        heading = "Scorecard" if len(evidence.names) > 1 else "Results at a glance"
        sections.append(("scorecard", heading, answer_html(evidence) + scorecard_html(evidence), False))
        sections.append(("findings", "What the results say", findings_html(evidence), False))
        if network := network_section(results, pngs):
            sections.append(("network", "Sites and crossings", network, True))
        sections.append(("reading", "How to read this brief", how_to_read_html(), True))
        sections.append(("scenarios", "The scenarios", _scenarios_section(results), False))
        sections.append(("results", "Every result", comparison_tables(results), True))
        if record := record_section(results, pngs):
            sections.append(("record", "Model against the record", record, True))
        if robustness := robustness_section(results.root, results.cost_unit):
            sections.append(("robustness", "Robustness to the assumptions", robustness, True))
    shown_above = {"record", "network"} if results.kind != "sweep" else set()  # in their own sections
    sections.append(("plots", "Figures", plots_section([p for p in pngs if p.stem not in shown_above]), True))
    if results.kind != "sweep":
        sections.append(("assumptions", "Assumptions and sources", assumptions_section(results), True))
    nav = "".join(f'<li><a href="#{sid}">{_e(heading)}</a></li>' for sid, heading, _, _ in sections)
    nav += '<li><a href="#provenance">Provenance</a></li>'
    page_class = ' class="page"'
    blocks = [f'<section{page_class if page else ""}><h2 id="{sid}">{_e(heading)}</h2>{content}</section>'
              for sid, heading, content, page in sections]
    first = 2 if results.kind != "sweep" else 0  # the answer first, the contents after it
    contents = f"<nav><h2>Contents</h2><ul>{nav}</ul></nav>"
    body = "".join(blocks[:first]) + contents + "".join(blocks[first:])
    start = results.scenarios[0].start_date if results.scenarios else None
    subtitle = "Simulation results from repatsim"
    if start is not None:
        subtitle += f"; day 0 is {start.day} {start:%B %Y}"
    if results.scenarios and results.kind != "sweep":
        subtitle += f"; costs in {results.cost_unit}"
    title = _title(results)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{_e(title)}</h1><p class=\"sub\">{_e(subtitle)}</p></header>"
            f"{body}{footer(results)}</body></html>\n")


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
