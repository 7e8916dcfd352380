"""The 2025 baseline on one core: seconds per replication, people per second, and linear scaling."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from sim.model import run_replication
from sim.scenario import read_raw, scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "myanmar_thailand_2025.toml"


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


def time_replications(scenario, replications: range) -> list[float]:
    seconds = []
    for replication in replications:
        start = time.perf_counter()
        run_replication(scenario, replication, stages_table=False)
        seconds.append(time.perf_counter() - start)
    return seconds


def measure(repeats: int = 5) -> dict[str, float]:
    raw = read_raw(BASELINE)
    base = scenario_from_dict(raw)
    big = scenario_from_dict(scaled(raw, 10))
    base_seconds = time_replications(base, range(repeats))
    people = len(run_replication(base, 0, stages_table=False).victims)
    big_seconds = time_replications(big, range(max(1, repeats // 2)))
    median = float(np.median(base_seconds))
    return {
        "seconds_per_replication": median,
        "people": people,
        "people_per_second": people / median,
        "scaled_10x_seconds": float(np.median(big_seconds)),
        "scaling_ratio_10x": float(np.median(big_seconds)) / median,
    }


if __name__ == "__main__":
    print(measure())
