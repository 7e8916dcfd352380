"""The 2025 baseline on one core: seconds per replication, people per second, and linear scaling.

A replication is what a compare or a sweep computes for each one: ``sim.experiment.run_one`` (the run, its
victims and stages tables and totals, and the metrics of the replication and of each nationality), its
tables not kept. Times are CPU seconds of this process (``time.process_time``). The
baseline's replications and the 10x scenario's replications are timed in turn, interleaved, so that both
see the same machine; the figures are medians (the 10x ratio is the median 10x time over the median
baseline time).

Diagnostics, returned too: the same ratio in user time alone; the minor page faults per run (a run's fresh
memory is paid for in system time, at a price per page that depends on the (virtual) machine); and the
model alone, ``run_replication`` without the per-stage table or any metric, timed the same way in the same
rounds, with its own 10x ratio.

``python benchmarks/baseline.py --curve`` prints, as a diagnostic (not a target), the CPU time per person
of the model alone at 1x, 2x, 5x and 10x: where the cost per person steps up, and whether it keeps
growing after that.
"""

from __future__ import annotations

import copy
import resource
import sys
import time
from pathlib import Path

import numpy as np

from sim.experiment import run_one
from sim.model import run_replication
from sim.scenario import read_raw, scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "myanmar_thailand_2025.toml"
BIG_REPEATS = 5  # the 10x runs (replications 0-4): the figure is as noisy as its margin, so more than 3
BASE_PER_BIG = 3  # baseline replications timed around each 10x one


def scaled(raw: dict, factor: int) -> dict:
    """The baseline with ``factor`` times the people and ``factor`` times every capacity (staff, officers,
    seats, daily caps and their changes, site capacities, release paces and their changes), so that the
    same dynamics play out with more people."""
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
    for crossing in [raw.get("crossing", {}), *raw.get("crossings", {}).values()]:
        if crossing.get("daily_capacity"):
            crossing["daily_capacity"] *= factor
        if isinstance(crossing.get("staff"), int):
            crossing["staff"] *= factor
        for change in crossing.get("capacity_changes", []):
            change["daily_capacity"] *= factor
    for site in raw.get("sites", {}).values():
        for key in ("capacity", "release_per_day"):
            if site.get(key):
                site[key] *= factor
        for change in site.get("release_changes", []):
            change["per_day"] *= factor
    for stage in raw.get("stages", {}).values():
        if isinstance(stage.get("staff"), int):
            stage["staff"] *= factor
    return raw


def replicate(scenario, replication: int) -> None:
    """One replication as a compare or a sweep computes it (its tables not kept)."""
    run_one(scenario, scenario.scenario.seed, replication, keep_tables=False)


def run_model(scenario, replication: int) -> None:
    """The model alone: the run and the victims and occupancy tables, no per-stage table, no metrics."""
    run_replication(scenario, replication, stages_table=False)


def cpu_seconds(scenario, replication: int, run=replicate) -> tuple[float, float, int]:
    """CPU seconds of one replication (user + system, as ``time.process_time``), the user part alone, and
    the minor page faults it took (first touches of fresh memory; they count as system time)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.process_time()
    run(scenario, replication)
    total = time.process_time() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return total, after.ru_utime - before.ru_utime, after.ru_minflt - before.ru_minflt


def measure(big_repeats: int = BIG_REPEATS, base_per_big: int = BASE_PER_BIG) -> dict[str, float]:
    raw = read_raw(BASELINE)
    base = scenario_from_dict(raw)
    big = scenario_from_dict(scaled(raw, 10))
    # one replication first, as a warm-up; it also counts the people
    people = int(run_one(base, base.scenario.seed, 0, keep_tables=False).metrics["arrived"])
    base_runs, big_runs, model_base_runs, model_big_runs = [], [], [], []
    for replication in range(big_repeats):
        for _ in range(base_per_big):
            base_runs.append(cpu_seconds(base, replication))
        big_runs.append(cpu_seconds(big, replication))
        for _ in range(base_per_big):
            model_base_runs.append(cpu_seconds(base, replication, run_model)[0])
        model_big_runs.append(cpu_seconds(big, replication, run_model)[0])
    median, user, faults = (float(np.median(column)) for column in zip(*base_runs))
    big_median, big_user, big_faults = (float(np.median(column)) for column in zip(*big_runs))
    model_median, model_big_median = float(np.median(model_base_runs)), float(np.median(model_big_runs))
    return {
        "seconds_per_replication": median,
        "people": people,
        "people_per_second": people / median,
        "scaled_10x_seconds": big_median,
        "scaling_ratio_10x": big_median / median,
        # diagnostics: the same ratio in user time alone, and the minor page faults per run (medians); and
        # the ratio of the fastest runs (a neighbour's load on a shared machine only ever adds time)
        "scaling_ratio_10x_user": big_user / user,
        "scaling_ratio_10x_fastest": min(run[0] for run in big_runs) / min(run[0] for run in base_runs),
        "page_faults_per_run": faults,
        "page_faults_per_run_10x": big_faults,
        # the model alone (no per-stage table, no metrics), timed in the same rounds
        "model_seconds_per_replication": model_median,
        "model_scaled_10x_seconds": model_big_median,
        "model_scaling_ratio_10x": model_big_median / model_median,
        "base_runs": len(base_runs),
        "big_runs": len(big_runs),
    }


def curve(factors: tuple[int, ...] = (1, 2, 5, 10), repeats: int = 3) -> dict[int, float]:
    """Median CPU microseconds per person of the model alone (:func:`run_model`) on the baseline scaled by
    each factor (replications 0..repeats-1, the factors timed in turn within each round)."""
    raw = read_raw(BASELINE)
    scenarios = {f: scenario_from_dict(scaled(raw, f) if f > 1 else raw) for f in factors}
    run_replication(scenarios[factors[0]], 0, stages_table=False)  # warm up
    per_person: dict[int, list[float]] = {f: [] for f in factors}
    for replication in range(repeats):
        for factor, scenario in scenarios.items():
            start = time.process_time()
            result = run_replication(scenario, replication, stages_table=False)
            per_person[factor].append((time.process_time() - start) / len(result.victims) * 1e6)
    return {factor: float(np.median(values)) for factor, values in per_person.items()}


if __name__ == "__main__":
    if "--curve" in sys.argv[1:]:
        for factor, microseconds in curve().items():
            print(f"{factor:>3}x the people: {microseconds:6.2f} us per person")
    else:
        print(measure())
