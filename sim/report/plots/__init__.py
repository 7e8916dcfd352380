"""Plots a stakeholder reads, drawn from stored results only (see docs/outputs.md).

This package reads result folders (files, never the model): it imports pandas, numpy, matplotlib, the
standard library and :mod:`sim.results.record` (numpy and pandas code: the model's side of the record) only,
so ``repatsim plot`` works on results copied to a machine without the model.
Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas: no GUI, no pyplot state.

Every figure function takes DataFrames (keyed by scenario label, in order; the first is the reference,
drawn black and dashed on top of the others) and returns a Figure. :func:`draw_plots` reads a run,
compare or sweep folder and saves every applicable figure as PNG (150 dpi) and SVG under ``plots/``.

Modules, one concept each:

- :mod:`~sim.report.plots.loading`: reading a results folder (:func:`load_results`, :class:`Results`).
- :mod:`~sim.report.plots.sites`: a scenario's sites and crossings (:class:`Network`) and the long occupancy
  table (old wide tables and one-site scenario files read as the one-site network they describe).
- :mod:`~sim.report.plots.numbers`: the page's one rounding rule, shared by the figures and the report.
- :mod:`~sim.report.plots.breakdown`: where the time goes (stage parts over everyone who arrived).
- :mod:`~sim.report.plots.placement`: labels that cover no other label and no marker.
- :mod:`~sim.report.plots.parameters`: plain words for the keys of a scenario file (sweep titles).
- :mod:`~sim.report.plots.style`: palette, figure factory, axes, legends, time axes, number and label formats.
- :mod:`~sim.report.plots.labels`: plain words and units for metrics and stages.
- :mod:`~sim.report.plots.captions`: the plot files' captions and reading order (used by the report).
- :mod:`~sim.report.plots.network`, :mod:`~sim.report.plots.waits`, :mod:`~sim.report.plots.limbo`,
  :mod:`~sim.report.plots.occupancy`,
  :mod:`~sim.report.plots.returns`,
  :mod:`~sim.report.plots.stages`, :mod:`~sim.report.plots.exposure`, :mod:`~sim.report.plots.sweeps`,
  :mod:`~sim.report.plots.record`: the figures.
- :mod:`~sim.report.plots.drawing`: :func:`draw_plots`, which picks the figures a folder supports and saves them.
"""

from __future__ import annotations

from sim.report.plots.breakdown import Breakdown, Component
from sim.report.plots.captions import PLOT_CAPTIONS, PLOT_ORDER, caption_for, plot_sort_key
from sim.report.plots.drawing import draw_plots
from sim.report.plots.exposure import cost_exposure_figure, exposure_figure
from sim.report.plots.labels import DEFAULT_STAGES, HEADLINE_METRICS, METRICS, STAGE_LABELS, SWEEP_METRICS, metric_label
from sim.report.plots.limbo import limbo_curve_figure
from sim.report.plots.loading import DEFAULT_CURRENCY, Results, ScenarioResult, load_results
from sim.report.plots.network import NetworkFigures, network_figure, network_figures, network_panels
from sim.report.plots.numbers import ROUNDING_RULE, fmt_diff, fmt_number, fmt_range, fmt_value
from sim.report.plots.occupancy import daily_occupancy, occupancy_figure
from sim.report.plots.parameters import parameter_label
from sim.report.plots.placement import place_labels
from sim.report.plots.record import record_caption, record_figure
from sim.report.plots.returns import cumulative_returned, returned_by_nationality_figure, returned_over_time_figure
from sim.report.plots.sites import Crossing, Network, Site, long_occupancy, network_of
from sim.report.plots.stages import stage_time_figure
from sim.report.plots.style import (
    DPI,
    GREY,
    LINESTYLES,
    OKABE_ITO,
    REFERENCE_COLOUR,
    scenario_colour,
    scenario_line,
    wrap_label,
    wrap_path,
)
from sim.report.plots.sweeps import (
    sensitivity_figure,
    sweep_heatmap_figure,
    sweep_metric_figure,
    sweep_parameters,
    value_text,
)
from sim.report.plots.waits import wait_by_nationality_figure, wait_time_figure

__all__ = [
    "DEFAULT_CURRENCY",
    "REFERENCE_COLOUR",
    "ROUNDING_RULE",
    "Breakdown",
    "Component",
    "Crossing",
    "Network",
    "NetworkFigures",
    "Site",
    "long_occupancy",
    "network_figure",
    "network_figures",
    "network_of",
    "network_panels",
    "fmt_diff",
    "fmt_number",
    "fmt_range",
    "fmt_value",
    "limbo_curve_figure",
    "parameter_label",
    "place_labels",
    "scenario_colour",
    "scenario_line",
    "DEFAULT_STAGES",
    "DPI",
    "GREY",
    "HEADLINE_METRICS",
    "LINESTYLES",
    "METRICS",
    "OKABE_ITO",
    "PLOT_CAPTIONS",
    "PLOT_ORDER",
    "STAGE_LABELS",
    "SWEEP_METRICS",
    "Results",
    "ScenarioResult",
    "caption_for",
    "cost_exposure_figure",
    "cumulative_returned",
    "daily_occupancy",
    "draw_plots",
    "exposure_figure",
    "load_results",
    "metric_label",
    "occupancy_figure",
    "plot_sort_key",
    "record_caption",
    "record_figure",
    "returned_by_nationality_figure",
    "returned_over_time_figure",
    "sensitivity_figure",
    "stage_time_figure",
    "sweep_heatmap_figure",
    "sweep_metric_figure",
    "sweep_parameters",
    "value_text",
    "wait_by_nationality_figure",
    "wait_time_figure",
    "wrap_label",
    "wrap_path",
]
