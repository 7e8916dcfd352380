"""The stakeholders' brief: plots and the one-file HTML report, drawn from a stored results folder.

Owns the report: the numbers of its first screen (``evidence``: scorecard values, paired differences,
verdicts), the sentences generated from them (``findings``), their HTML (``brief``), the tables after
them (``tables``), the glossary, the stylesheet, the page (``html``), the plain-text helpers (``text``) and
``plots/`` (with the page's one rounding rule, ``plots/numbers``). Reads stored files only: imports
``sim.results`` at most, never the model, the experiment or the scenario schema (so drawing stays light).
"""

from sim.report.html import write_report

__all__ = ["write_report"]
