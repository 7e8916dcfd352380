"""Results by site: ``metrics_by_site.csv``'s rows of one replication (:func:`site_metrics`). Days throughout.

Per site: ``people`` (held there, or crossed into it), ``peak`` (most present at once), ``person_days``,
``overcrowded_person_days``, ``stay_days_mean``; for a holding site also the outcomes of the people held
there (``limbo_days_mean``, ``home_by_day_30_share``, ``expected_retrafficked``, from arrival to home,
wherever they went). Per crossing: ``people`` (who crossed by it), ``most_in_a_day`` (the most who crossed
by it in one model day) and ``wait_days_mean`` (from being ready to cross to crossing, of those who
crossed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.results.metrics import outcomes

def site_metrics(victims: pd.DataFrame, stages: pd.DataFrame | None, site_totals: Mapping[str, Mapping[str, float]],
                 kinds: Mapping[str, str], horizon: float,
                 overall: Mapping[str, float] | None = None) -> pd.DataFrame:
    """``metrics_by_site.csv``'s long rows of one replication: ``site, kind, metric, value``, with ``kind``
    holding, shelter or crossing (``kinds`` names the kind of every site and crossing, in order). With one
    holding site, its outcomes are everyone's: ``overall`` (the replication's metrics) gives them, if given."""
    holding_sites = [name for name, kind in kinds.items() if kind == "holding"]
    rows: list[dict[str, Any]] = []
    wait = _crossing_waits(victims, stages)
    for name, kind in kinds.items():
        totals = site_totals.get(name, {})
        if kind == "crossing":
            mine = (victims["crossing"] == name).to_numpy()
            waits = wait[mine] if wait is not None else np.array([])
            values = {"people": float(mine.sum()), "most_in_a_day": totals.get("most_in_a_day", math.nan),
                      "wait_days_mean": float(np.nanmean(waits)) if np.isfinite(waits).any() else math.nan}
        else:
            column, days = ("holding_site", "holding_days") if kind == "holding" else ("shelter_site", "shelter_days")
            mine = (victims[column] == name).to_numpy()
            values = {"people": float(mine.sum()), "peak": totals.get("peak", math.nan),
                      "person_days": totals.get("person_days", math.nan),
                      "overcrowded_person_days": totals.get("overcrowded_person_days", math.nan),
                      "stay_days_mean": float(victims[days].to_numpy()[mine].mean()) if mine.any() else math.nan}
            if kind == "holding":
                held = overall if overall is not None and len(holding_sites) == 1 else outcomes(victims[mine], horizon)
                values.update({key: held[key] for key in ("limbo_days_mean", "home_by_day_30_share",
                                                           "expected_retrafficked")})
        rows.extend({"site": name, "kind": kind, "metric": metric, "value": value} for metric, value in values.items())
    return pd.DataFrame(rows, columns=["site", "kind", "metric", "value"])


def _crossing_waits(victims: pd.DataFrame, stages: pd.DataFrame | None) -> np.ndarray | None:
    """Each victim's days in the crossing stage (queued to finished; NaN if not finished), in the order of
    ``victims`` (None without a crossing stage in the table)."""
    if stages is None or not len(stages) or "crossing" not in set(stages["stage"].cat.categories
                                                                   if hasattr(stages["stage"], "cat") else ()):
        return None
    at_crossing = (stages["stage"] == "crossing").to_numpy()
    by_victim = pd.Series((stages["finished"].to_numpy() - stages["queued"].to_numpy())[at_crossing],
                          index=stages["victim_id"].to_numpy()[at_crossing])
    return by_victim.reindex(victims["victim_id"].to_numpy()).to_numpy()
