"""The stakeholders' brief: plots and the one-file HTML report, drawn from a stored results folder.

Owns the report's HTML and text, and ``plots/``. Reads stored files only: imports ``sim.results`` at
most, never the model, the experiment or the scenario schema (so drawing stays light).
"""

from sim.report.html import write_report

__all__ = ["write_report"]
