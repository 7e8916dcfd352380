"""The 2025 baseline on one core: seconds per replication, people per second, and linear scaling.

Times are CPU seconds of this process (``time.process_time``) for a whole ``run_replication`` without the
per-stage table (what a compare or a sweep computes per replication). The baseline's replications and the
10x scenario's replications are timed in turn, interleaved, so that both see the same machine; the figures
are medians (the 10x ratio is the median 10x time over the median baseline time).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from sim.model import run_replication
from sim.scenario import read_raw, scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "myanmar_thailand_2025.toml"
BIG_REPEATS = 3
BASE_PER_BIG = 3  # baseline replications timed around each 10x one


def scaled(raw: dict, factor: int) -> dict:
    """The baseline with ``factor`` times the people and ``factor`` times every capacity (staff, officers,
    seats, daily cap, site capacity), so that the same dynamics play out with more people."""
    raw = copy.deepcopy(raw)
    for wave in raw["arrivals"].get("waves", []):
        wave["count"] *= factor
    raw["arrivals"]["rate_per_day"] = raw["arrivals"].get("rate_per_day", 0) * factor
    for table in raw["nationalities"].values():
        if "count" in table:
            table["count"] *= factor
        consular = table.get("consular", {})
        if "officers" in consular:
            consular["officers"] *= factor
        transport = table.get("transport", {})
        for key in ("seats", "min_load"):
            if key in transport:
                transport[key] *= factor
    defaults = raw.get("nationality_defaults", {})
    if "officers" in defaults.get("consular", {}):
        defaults["consular"]["officers"] *= factor
    for key in ("seats", "min_load"):
        if key in defaults.get("transport", {}):
            defaults["transport"][key] *= factor
    if raw.get("crossing", {}).get("daily_capacity"):
        raw["crossing"]["daily_capacity"] *= factor
    for site in raw.get("sites", {}).values():
        if site.get("capacity"):
            site["capacity"] *= factor
    for stage in raw.get("stages", {}).values():
        if isinstance(stage.get("staff"), int):
            stage["staff"] *= factor
    return raw


def cpu_seconds(scenario, replication: int) -> float:
    start = time.process_time()
    run_replication(scenario, replication, stages_table=False)
    return time.process_time() - start


def measure(big_repeats: int = BIG_REPEATS, base_per_big: int = BASE_PER_BIG) -> dict[str, float]:
    raw = read_raw(BASELINE)
    base = scenario_from_dict(raw)
    big = scenario_from_dict(scaled(raw, 10))
    people = len(run_replication(base, 0, stages_table=False).victims)  # also warms up
    base_seconds, big_seconds = [], []
    for replication in range(big_repeats):
        for _ in range(base_per_big):
            base_seconds.append(cpu_seconds(base, replication))
        big_seconds.append(cpu_seconds(big, replication))
    median = float(np.median(base_seconds))
    big_median = float(np.median(big_seconds))
    return {
        "seconds_per_replication": median,
        "people": people,
        "people_per_second": people / median,
        "scaled_10x_seconds": big_median,
        "scaling_ratio_10x": big_median / median,
        "base_runs": len(base_seconds),
        "big_runs": len(big_seconds),
    }


if __name__ == "__main__":
    print(measure())
