"""``draw_plots``: read a results folder, draw every figure that applies, save each as PNG and SVG."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.report.plots.captions import is_our_plot
from sim.report.plots.exposure import cost_exposure_figure, exposure_figure
from sim.report.plots.limbo import limbo_curve_figure
from sim.report.plots.loading import Results, ScenarioResult, load_results
from sim.report.plots.network import network_figure, network_figures, network_panels
from sim.report.plots.occupancy import occupancy_figure, occupancy_sites
from sim.report.plots.record import record_figure
from sim.report.plots.returns import returned_by_nationality_figure, returned_over_time_figure
from sim.report.plots.stages import stage_time_figure
from sim.report.plots.style import DPI
from sim.report.plots.sweeps import sensitivity_figure, sweep_heatmap_figure, sweep_metric_figure, sweep_parameters
from sim.report.plots.waits import wait_by_nationality_figure, wait_time_figure
from sim.results.record import model_bands


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_") or "x"


def _save(fig: Figure, folder: Path, stem: str) -> Path:
    png = folder / f"{stem}.png"
    fig.savefig(png, dpi=DPI, format="png")
    fig.set_layout_engine("none")  # keep the layout just computed: the SVG matches the PNG, and saves faster
    fig.savefig(folder / f"{stem}.svg", format="svg")
    fig.clear()
    return png


def _figures_for_scenarios(results: Results) -> list[tuple[str, Figure]]:
    out: list[tuple[str, Figure]] = []
    scenarios = results.scenarios
    if not scenarios:
        return out
    base = scenarios[0]
    start, horizon = base.start_date, base.horizon
    cost_unit = results.cost_unit
    victims = {s.name: s.victims() for s in scenarios}
    have_victims = {k: v for k, v in victims.items() if v is not None}
    all_victims = len(have_victims) == len(scenarios)
    base_victims = have_victims.get(base.name)
    by_nationality = base_victims is not None and base_victims["nationality"].nunique() > 1
    if network := _network(scenarios):
        out.append(("network", network))
    if all_victims:
        out.append(("wait_times", wait_time_figure(have_victims)))
    curves = {s.name: c for s in scenarios if (c := s.return_curve()) is not None}
    if len(curves) == len(scenarios):
        out.append(("limbo_curve", limbo_curve_figure(curves)))
    if all_victims and by_nationality:
        out.append(("wait_by_nationality", wait_by_nationality_figure(base_victims, base.name)))
    occupancy = {s.name: occ for s in scenarios if (occ := s.occupancy()) is not None}
    if len(occupancy) == len(scenarios):
        caps = {s.name: {site.name: site.capacity for site in s.network.sites} for s in scenarios}
        out.append(("occupancy", occupancy_figure(occupancy, caps, start, horizon, _site_panels(scenarios))))
    if all_victims:
        out.append(("returned_over_time", returned_over_time_figure(have_victims, start, horizon)))
        if by_nationality:
            out.append(("returned_by_nationality",
                        returned_by_nationality_figure(base_victims, base.name, start, horizon)))
    metrics = {s.name: s.metrics() for s in scenarios}
    if all(m is None for m in metrics.values()):
        comparison = results.table("comparison.csv")
        if comparison is not None:
            metrics = _metrics_from_comparison(comparison, scenarios)
    ready = {k: m for k, m in metrics.items() if m is not None}
    breakdowns = {s.name: b for s in scenarios if (b := s.breakdown()) is not None}
    if breakdowns and len(breakdowns) == len(scenarios):
        out.append(("stage_times", stage_time_figure(breakdowns)))
    if ready and len(ready) == len(metrics):
        out.append(("exposure", exposure_figure(ready)))
        out.append(("cost_vs_exposure", cost_exposure_figure(ready, cost_unit)))
    record = base.record()
    if record is not None and base_victims is not None and len(record):
        days = math.floor(horizon) if horizon is not None else int(record["day"].max()) + 1
        out.append(("record", record_figure(record, model_bands(base_victims, record, days), start, base.name)))
    return out


def _network(scenarios: list[ScenarioResult]) -> Figure | None:
    """The network diagram: the first scenario's, and any other scenario's whose network differs; None when
    the first scenario file names no sites."""
    by_name = {s.name: s for s in scenarios}
    networks = {s.name: s.network for s in scenarios}
    if not networks[scenarios[0].name].sites:
        return None
    panels = []
    for name, title in network_panels(networks):
        s = by_name[name]
        panels.append((title, s.network, network_figures(s.network, s.occupancy(), s.victims(), s.metrics_by_site())))
    return network_figure(panels)


def _site_panels(scenarios: list[ScenarioResult]) -> list[tuple[str, str]]:
    """The occupancy figure's panels: every site of any scenario (holding sites first, then shelters, in
    the order of the scenario files), and any other site its occupancy table holds."""
    seen: dict[str, str] = {}
    for s in scenarios:
        for site in s.network.ordered_sites:
            seen.setdefault(site.name, site.kind)
    tables = {s.name: occ for s in scenarios if (occ := s.occupancy()) is not None}
    for name, kind in occupancy_sites(tables):
        seen.setdefault(name, kind)
    return [(n, k) for n, k in seen.items() if k == "holding"] + [(n, k) for n, k in seen.items() if k != "holding"]


def _metrics_from_comparison(comparison: pd.DataFrame, scenarios: list[ScenarioResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in scenarios:
        rows = comparison[comparison["scenario"].astype(str).isin([s.name, s.folder.name])]
        out[s.name] = rows if len(rows) else None
    return out


def _figures_for_sweep(results: Results) -> list[tuple[str, Figure]]:
    out: list[tuple[str, Figure]] = []
    summary = results.table("summary.csv")
    if summary is None or summary.empty:
        return out
    points = results.table("points.csv")
    parameters = [p for p in sweep_parameters(summary, points) if p in summary.columns]
    cost_unit = results.cost_unit
    for p in parameters:
        out.append((f"sweep_{_safe(p)}", sweep_metric_figure(summary, p, parameters=parameters,
                                                             cost_unit=cost_unit)))
    sensitivity = results.table("sensitivity.csv")
    if len(parameters) >= 2:
        pair = parameters[:2]
        if sensitivity is not None and not sensitivity.empty:
            ranked = (sensitivity.assign(_a=sensitivity["coefficient"].abs())
                      .groupby("parameter")["_a"].mean().sort_values(ascending=False))
            top = [p for p in ranked.index if p in parameters][:2]
            if len(top) == 2:
                pair = top
        out.append(("sweep_heatmap", sweep_heatmap_figure(summary, pair[0], pair[1], parameters=parameters,
                                                          cost_unit=cost_unit)))
    if sensitivity is not None and not sensitivity.empty:
        out.append(("sensitivity", sensitivity_figure(sensitivity, cost_unit=cost_unit)))
    return out


def draw_plots(results_dir: str | Path) -> list[Path]:
    """Read a run, compare or sweep folder (by manifest.json "kind"), draw every applicable plot, save
    each as PNG (150 dpi) and SVG under ``results_dir/plots/``, and return the PNG paths in reading order.
    """
    results = load_results(results_dir)
    folder = results.root / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    if results.kind == "sweep":
        figures = _figures_for_sweep(results)
    else:
        figures = _figures_for_scenarios(results)
    paths = [_save(fig, folder, stem) for stem, fig in figures]
    # a plot this module drew before but no longer applies (a renamed sweep parameter, a scenario that
    # lost its tables) would otherwise linger and reach the report; files it does not name are left alone
    drawn = {p.stem for p in paths}
    for old in list(folder.glob("*.png")) + list(folder.glob("*.svg")):
        if old.stem not in drawn and is_our_plot(old.stem):
            old.unlink()
    return paths
