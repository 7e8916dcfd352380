"""``repatsim verify``: the model held to queueing theory on this machine, as the test suite holds it.

Owns the closed forms (:mod:`sim.verify.theory`: Erlang C, Cobham's priority formula, reference queues,
batch means) and the model's reductions to them (:mod:`sim.verify.cases`). Imports ``sim.model`` and
``sim.scenario`` only (the model is what it checks). The test suite calls the same functions
(``tests/test_verify.py``) and uses the same closed forms (``tests/model_helpers.py``).

:func:`cases` lists the reductions (M/M/c against Erlang C for three servers counts and utilisations, two
priority classes against the non-preemptive priority formula, a tandem line, Little's law on the
baseline); :func:`run_checks` runs them, :func:`format_checks` prints model against theory with 95%
confidence intervals and pass or fail. ``quick`` runs each queue for fewer customers (wider intervals,
same rule) so the whole check takes well under a minute.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.verify.cases import Case, Check, littles_law_case, mmc_case, priority_case, tandem_case

__all__ = ["Case", "Check", "cases", "default_baseline", "format_checks", "run_checks", "summary_line"]



@dataclass(frozen=True)
class Sizes:
    """Customers per queue (M/M/c cases, priority, tandem) and replications of the baseline (Little's law)."""

    mmc: tuple[int, int, int]
    priority: int
    tandem: int
    little: int


FULL = Sizes((400_000, 300_000, 300_000), 300_000, 250_000, 3)  # as tests/test_model_queueing.py
QUICK = Sizes((100_000, 100_000, 100_000), 100_000, 80_000, 1)


def default_baseline() -> Path:
    """The shipped 2025 baseline (``scenarios/myanmar_thailand_2025.toml``): beside the package in a checkout,
    else in the current folder (an installed package has no scenarios of its own)."""
    relative = Path("scenarios") / "myanmar_thailand_2025.toml"
    beside = Path(__file__).resolve().parents[2] / relative
    return beside if beside.is_file() else Path.cwd() / relative


def cases(quick: bool = False, baseline: Path | None = None) -> list[Case]:
    """The reductions, in the order they are printed; ``quick`` gives each fewer customers."""
    sizes = QUICK if quick else FULL
    return [
        mmc_case(1, 0.7, sizes.mmc[0], seed=12),
        mmc_case(4, 0.85, sizes.mmc[1], seed=15),
        mmc_case(10, 0.9, sizes.mmc[2], seed=21),
        priority_case(3, 0.8, 0.3, sizes.priority, seed=3),
        tandem_case((2, 0.7), (3, 0.85), sizes.tandem, seed=5),
        littles_law_case(baseline if baseline is not None else default_baseline(), sizes.little),
    ]


def run_checks(selected: Sequence[Case], scale: float = 1.0,
               progress: Callable[[str, float], None] | None = None) -> list[Check]:
    """Run each case (``scale`` < 1 shrinks its sample, for tests); ``progress(name, seconds)`` after each."""
    checks: list[Check] = []
    for case in selected:
        started = time.perf_counter()
        checks += case.run(scale)
        if progress is not None:
            progress(case.name, time.perf_counter() - started)
    return checks


def _number(value: float) -> str:
    if math.isnan(value):
        return "–"
    if value == 0:
        return "0"
    if abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_checks(checks: Sequence[Check]) -> str:
    """Model against theory, one line per check, grouped by case."""
    head = ("quantity", "method", "model [95% CI]", "theory", "rule", "result")
    rows = []
    for check in checks:
        model = _number(check.model) if math.isnan(check.low) else \
            f"{_number(check.model)} [{_number(check.low)}, {_number(check.high)}]"
        result = "skipped" if check.method == "skipped" else ("pass" if check.passed else "FAIL")
        rows.append((check.case, (check.quantity, check.method, model, _number(check.theory), check.rule, result)))
    widths = [max(len(head[i]), *(len(r[1][i]) for r in rows)) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    case = None
    for name, cells in rows:
        if name != case:
            lines += ["", name]
            case = name
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines)


def summary_line(checks: Sequence[Check]) -> str:
    ran = [c for c in checks if c.method != "skipped"]
    failed = [c for c in ran if not c.passed]
    skipped = len(checks) - len(ran)
    text = f"{len(ran) - len(failed)} of {len(ran)} checks passed"
    if skipped:
        text += f" ({skipped} skipped)"
    if failed:
        text += ". FAILED: " + "; ".join(f"{c.case}: {c.quantity} ({c.method})" for c in failed)
    return text + "."
