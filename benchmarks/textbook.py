"""repatsim against the textbook SimPy program a researcher would otherwise write, on the same queue.

Two queues, each simulated both ways:

- **M/M/c**: one stage served by c = 10 officers, Poisson arrivals at utilisation 0.9, exponential service
  with a mean of one day, 200,000 people.
- **A camp**: 7,000 people released over 14 days go through four stages in series (registration,
  identity, health, screening), each served FIFO by its own 10 staff with exponential service at
  utilisation 0.9 (mean 0.018 days, 26 minutes), then leave.

The **textbook program** is written as SimPy's own examples are (the bank, the car wash): an arrivals
process that yields a timeout per person and starts a process per person; each person a generator with a
``with resource.request() as request: yield request`` block and a ``yield env.timeout(service)`` per
stage, on ``simpy.Resource``; durations from ``random.expovariate``; each person's waits appended to a
list. It writes nothing.

**repatsim** is timed as ``repatsim run SCENARIO -r 1 --no-plots -q`` does its work, in this process:
``run_to_folder`` validates nothing more, runs one replication, computes the metrics and writes the whole
results folder (victims, stages and occupancy Parquet tables, CSV metrics, the resolved scenario and the
manifest), atomically. The interpreter's start-up and imports are left out on both sides.

Both are timed in CPU seconds of this process (``time.process_time``), in turn (textbook, repatsim,
textbook, ...), 9 rounds, so that both see the same machine; each figure is the median of the per-round ratios
repatsim / textbook. Target: at most 1.0 (no slower than the textbook program); the aim is 0.7.
"""

from __future__ import annotations

import contextlib
import io
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import simpy
import tomli_w

from sim.experiment import run_to_folder
from sim.scenario import load_scenario

SERVERS = 10
UTILISATION = 0.9
MMC_PEOPLE = 200_000
MMC_SERVICE_DAYS = 1.0
CAMP_PEOPLE = 7_000
CAMP_RELEASE_DAYS = 14.0
CAMP_STAGES = ("registration", "identity", "health", "screening")
CAMP_SERVICE_DAYS = UTILISATION * SERVERS * CAMP_RELEASE_DAYS / CAMP_PEOPLE  # 0.018 days
ROUNDS = 9


# ----------------------------------------------------------------------------------------- scenarios


def mmc_scenario(people: int = MMC_PEOPLE) -> dict[str, Any]:
    rate = UTILISATION * SERVERS / MMC_SERVICE_DAYS
    return {
        "pipeline": ["identity"],
        "scenario": {"name": "M/M/c", "horizon_days": people / rate, "seed": 1, "replications": 1},
        "arrivals": {"rate_per_day": rate},
        "stages": {"identity": {"servers": "consular",
                                "duration": {"dist": "exponential", "mean": MMC_SERVICE_DAYS}}},
        "nationalities": {"X": {"share": 1.0, "consular": {"mode": "pre_agreed", "officers": SERVERS}}},
    }


def camp_scenario(people: int = CAMP_PEOPLE) -> dict[str, Any]:
    service = {"dist": "exponential", "mean": CAMP_SERVICE_DAYS}
    return {
        "pipeline": list(CAMP_STAGES),
        "scenario": {"name": "camp", "horizon_days": 200.0, "seed": 1, "replications": 1},
        "arrivals": {"waves": [{"day": 0.0, "count": people, "spread_days": CAMP_RELEASE_DAYS}]},
        # each stage its own staff, as the textbook program's four resources (stages naming the same kind of
        # servers would share one pool)
        "stages": {name: {"servers": kind, "staff": SERVERS, "duration": service}
                   for name, kind in zip(CAMP_STAGES, ("holding", "shelter", "health", "screening"))},
        "nationalities": {"X": {"count": people, "consular": {"mode": "pre_agreed", "officers": 1}}},
    }


# ------------------------------------------------------------------------------- textbook programs


def textbook_mmc(people: int = MMC_PEOPLE, seed: int = 1) -> float:
    """Mean wait in queue (days) of the M/M/c queue, as a textbook SimPy program."""
    rng = random.Random(seed)
    rate = UTILISATION * SERVERS / MMC_SERVICE_DAYS
    env = simpy.Environment()
    officers = simpy.Resource(env, capacity=SERVERS)
    waits: list[float] = []

    def person(env: simpy.Environment):
        arrived = env.now
        with officers.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / MMC_SERVICE_DAYS))

    def arrivals(env: simpy.Environment):
        for _ in range(people):
            yield env.timeout(rng.expovariate(rate))
            env.process(person(env))

    env.process(arrivals(env))
    env.run()
    return sum(waits) / len(waits)


def textbook_camp(people: int = CAMP_PEOPLE, seed: int = 1) -> float:
    """Mean total wait (days) over the camp's four stages, as a textbook SimPy program."""
    rng = random.Random(seed)
    env = simpy.Environment()
    desks = [simpy.Resource(env, capacity=SERVERS) for _ in CAMP_STAGES]
    waits: list[float] = []

    def person(env: simpy.Environment):
        for desk in desks:
            queued = env.now
            with desk.request() as request:
                yield request
                waits.append(env.now - queued)
                yield env.timeout(rng.expovariate(1 / CAMP_SERVICE_DAYS))

    def arrivals(env: simpy.Environment):
        for day in sorted(rng.uniform(0, CAMP_RELEASE_DAYS) for _ in range(people)):
            yield env.timeout(day - env.now)
            env.process(person(env))

    env.process(arrivals(env))
    env.run()
    return sum(waits) / people


# ---------------------------------------------------------------------------------------- timing


def repatsim_run(file: Path, folder: Path) -> None:
    """What ``repatsim run FILE -r 1 --no-plots -q`` does: load the file, run, write the results folder
    (its printed summary is dropped here)."""
    with contextlib.redirect_stdout(io.StringIO()):
        run_to_folder([(file, load_scenario(file))], compare=False, out=folder, replications=1, seed=None,
                      workers=1, precision=None, max_replications=1, progress=False)


def _cpu(function: Any, *args: Any) -> float:
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def measure(rounds: int = ROUNDS) -> dict[str, dict[str, float]]:
    """Per queue: median CPU seconds of each side and the median of the per-round ratios."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, raw, textbook in (("mmc", mmc_scenario(), textbook_mmc), ("camp", camp_scenario(), textbook_camp)):
            file, folder = Path(tmp) / f"{name}.toml", Path(tmp) / name
            file.write_text(tomli_w.dumps(raw), encoding="utf-8")
            repatsim_run(file, folder)  # warm up: first allocations, lazy imports
            ours, theirs = [], []
            for _ in range(rounds):
                theirs.append(_cpu(textbook))
                ours.append(_cpu(repatsim_run, file, folder))
            results[name] = {"repatsim_s": float(np.median(ours)), "textbook_s": float(np.median(theirs)),
                             "ratio": float(np.median([a / b for a, b in zip(ours, theirs)])), "rounds": rounds}
    return results


if __name__ == "__main__":
    for queue, figures in measure().items():
        print(queue, figures)
