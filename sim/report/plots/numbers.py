"""The page's one rounding rule: every number the brief shows (scorecard, sentences, tables, plot labels)
is written by the functions here, so that the same value reads the same wherever it appears.

The rule (:data:`ROUNDING_RULE`): three significant figures, but never fewer than whole units below a
million (1,197, not 1,200) and never more than two decimals (0.56); a million or more is written in
millions (9.70 million); a value that is not zero but rounds to zero reads "<0.01". Shares of people
are percentages (56.3%), their differences percentage points (+3.52 pp). A real minus sign (−), and a
plus sign on differences.
"""

from __future__ import annotations

import math
from typing import Any

ROUNDING_RULE = ("Every result on this page is rounded the same way, wherever it appears (scorecard, sentences, "
                 "tables, figures): to three significant figures, but never to fewer than whole units below a "
                 "million (1,197, not 1,200) and never to more than two decimals; a million or more is written "
                 "in millions (9.70 million). Shares of people are percentages, differences between shares "
                 "percentage points (pp). Settings are shown as written in the scenario file.")
MINUS = "−"
_NOISE = 1e-9  # differences of floating-point noise (1e-17) are zero


def _decimals(ax: float) -> int:
    if ax >= 100:
        return 0
    if ax >= 10:
        return 1
    return 2


def _plain(ax: float) -> str:
    """|x| (not negative) by the rule, without sign or unit."""
    if ax < _NOISE:
        return "0"
    if ax >= 1e6:
        m = ax / 1e6
        decimals = max(0, 2 - int(math.floor(math.log10(m)))) if m < 1000 else 0
        text = f"{m:,.{decimals}f}"
        if float(text.replace(",", "")) >= 10 ** (3 - decimals) and decimals > 0:  # 9.996 -> 10.00 -> 10.0
            text = f"{m:,.{decimals - 1}f}"
        return f"{text} million"
    decimals = _decimals(ax)
    text = f"{ax:,.{decimals}f}"
    again = _decimals(float(text.replace(",", "")))  # 99.96 rounds to 100.0: one band up, fewer decimals
    if again != decimals:
        text = f"{ax:,.{again}f}"
    if float(text.replace(",", "")) == 0:
        return "<0.01"
    return text


def fmt_number(x: Any, signed: bool = False) -> str:
    """A number by the page's rule: ``9.70 million``, ``1,197``, ``34.5``, ``4.69``, ``0.56``; "–" if missing.

    ``signed`` puts "+" before a positive value (differences); a negative one always has "−".
    """
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return "–"
    text = _plain(abs(x))
    if text == "0":
        return "0"
    if x < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def is_share(metric: str) -> bool:
    """Whether a metric is a share of people (shown in percent)."""
    return metric.endswith("_share")


def fmt_value(metric: str, x: Any, signed: bool = False) -> str:
    """A metric's value: shares in percent ("56.3%"), anything else by :func:`fmt_number`."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if is_share(metric) and math.isfinite(x):
        return fmt_number(100 * x, signed) + "%"
    return fmt_number(x, signed)


def fmt_diff(metric: str, d: Any) -> str:
    """A difference of a metric, signed: shares in percentage points ("+3.52 pp")."""
    try:
        d = float(d)
    except (TypeError, ValueError):
        return str(d)
    if is_share(metric) and math.isfinite(d):
        return fmt_number(100 * d, signed=True) + " pp"
    return fmt_number(d, signed=True)


def fmt_range(low: float, high: float, metric: str = "", diff: bool = False) -> str:
    """A 95% CI's two ends by the rule, "a to b" (never an en dash next to a minus sign); shares in percent
    (or pp for a difference); a shared "million" written once."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no CI (one replication)"
    scale = 100.0 if is_share(metric) else 1.0
    lo, hi = fmt_number(low * scale), fmt_number(high * scale)
    if lo.endswith(" million") and hi.endswith(" million"):
        lo = lo.removesuffix(" million")
    unit = (" pp" if diff else "%") if is_share(metric) else ""
    if unit == "%":
        return f"{lo}% to {hi}%"
    return f"{lo} to {hi}{unit}"
