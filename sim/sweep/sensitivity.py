"""Which swept parameters move which headline metrics: standardised regression coefficients (SRC) where a
linear fit explains the metric (R² >= 0.7), else partial rank correlation coefficients (PRCC)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.results.metrics import HEADLINE_METRICS

SRC_MIN_R2 = 0.7  # below this, a linear fit explains too little: rank the parameters by PRCC instead


def _fit_r2(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """OLS with intercept: (slopes, R^2)."""
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    total = float(((y - y.mean()) ** 2).sum())
    return coef[1:], (1.0 - float((residual**2).sum()) / total) if total > 0 else math.nan


def src(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised regression coefficients of y on the columns of x, and the R^2 of the linear fit."""
    sx, sy = x.std(axis=0, ddof=1), y.std(ddof=1)
    z = (x - x.mean(axis=0)) / np.where(sx > 0, sx, 1.0)
    coef, r2 = _fit_r2(z, (y - y.mean()) / sy)
    return np.where(sx > 0, coef, math.nan), r2


def prcc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Partial rank correlation coefficients, and the R^2 of the linear fit on ranks."""
    from scipy.stats import rankdata

    rx = np.column_stack([rankdata(x[:, j]) for j in range(x.shape[1])])
    ry = rankdata(y)
    out = np.full(x.shape[1], math.nan)
    for j in range(x.shape[1]):
        others = np.delete(rx, j, axis=1)
        design = np.column_stack([np.ones(len(ry)), others])
        res_x = rx[:, j] - design @ np.linalg.lstsq(design, rx[:, j], rcond=None)[0]
        res_y = ry - design @ np.linalg.lstsq(design, ry, rcond=None)[0]
        denominator = math.sqrt(float((res_x**2).sum() * (res_y**2).sum()))
        if denominator > 0:
            out[j] = float((res_x * res_y).sum()) / denominator
    return out, _fit_r2(rx, ry)[1]


def sensitivity_table(values: pd.DataFrame, means: pd.DataFrame, metrics: Sequence[str] = HEADLINE_METRICS
                      ) -> pd.DataFrame:
    """sensitivity.csv: per headline metric, each parameter's coefficient, its rank by size, the R^2.

    Args:
        values: one row per design point, one numeric column per parameter.
        means: the same rows, one column per metric (the point's mean over replications).

    The method is ``src`` (standardised regression coefficients) where a linear fit on the design
    points explains at least 70 % of the metric's variance, else ``prcc`` (partial rank correlation
    coefficients, robust to monotone non-linear effects); ``r2`` is that fit's R^2 (on ranks for prcc).
    A metric that does not vary, or with fewer usable points than parameters + 2, is left out.
    """
    columns = ["metric", "parameter", "coefficient", "abs_rank", "r2", "method"]
    x_all = values.to_numpy(dtype=float)
    rows = []
    for metric in metrics:
        if metric not in means:
            continue
        y_all = means[metric].to_numpy(dtype=float)
        keep = np.isfinite(y_all) & np.isfinite(x_all).all(axis=1)
        x, y = x_all[keep], y_all[keep]
        if len(y) < x.shape[1] + 2 or np.ptp(y) == 0:
            continue
        coefficients, r2 = src(x, y)
        method = "src"
        if not (r2 >= SRC_MIN_R2):
            coefficients, r2 = prcc(x, y)
            method = "prcc"
        ranks = pd.Series(np.abs(coefficients)).rank(ascending=False, method="min")
        block = [{"metric": metric, "parameter": name, "coefficient": float(coefficients[j]),
                  "abs_rank": ranks.iloc[j], "r2": r2, "method": method} for j, name in enumerate(values.columns)]
        rows.extend(sorted(block, key=lambda row: (math.isnan(row["abs_rank"]), row["abs_rank"])))
    table = pd.DataFrame(rows, columns=columns)
    table["abs_rank"] = table["abs_rank"].astype("Int64")
    return table
