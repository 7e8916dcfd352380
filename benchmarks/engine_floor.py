"""Engine floor: the model configured as M/M/c against a bare heapq event loop of the same queue.

Both simulate the same M/M/c queue (c = 10 officers, utilisation 0.9, 200,000 people): Poisson arrivals,
exponential service, FIFO. The bare loop is the cheapest correct Python implementation (one heap of
arrival and departure events, a deque of waiting people); the ratio of the model's time per person to
the bare loop's tells how much the model costs above the event loop underneath it.

The model's time is that of a whole ``run_replication`` (drawing the people, building the world, the run
and the result tables). Each repeat times the bare loop and then the model, back to back, in CPU seconds
of this process (``time.process_time``: other work on a shared machine does not count); the figure is the
median of the repeats' ratios.
"""

from __future__ import annotations

import heapq
import time
from collections import deque

import numpy as np

from sim.model import run_replication
from sim.scenario import scenario_from_dict

SERVERS = 10
UTILISATION = 0.9
SERVICE_MEAN_DAYS = 1.0
PEOPLE = 200_000
REPEATS = 5


def mmc_scenario(people: int = PEOPLE):
    rate = UTILISATION * SERVERS / SERVICE_MEAN_DAYS
    return scenario_from_dict({
        "pipeline": ["identity"],
        "scenario": {"name": "M/M/c", "horizon_days": people / rate, "seed": 1},
        "arrivals": {"rate_per_day": rate},
        "stages": {"identity": {"servers": "consular",
                                "duration": {"dist": "exponential", "mean": SERVICE_MEAN_DAYS}}},
        "nationalities": {"X": {"share": 1.0, "consular": {"mode": "pre_agreed", "officers": SERVERS}}},
    })


def bare_heapq_mmc(people: int = PEOPLE, seed: int = 1) -> float:
    """Mean wait in queue of a FIFO M/M/c, by a minimal heapq event loop (the floor)."""
    rng = np.random.default_rng(seed)
    rate = UTILISATION * SERVERS / SERVICE_MEAN_DAYS
    gaps = rng.exponential(1 / rate, people).tolist()
    services = rng.exponential(SERVICE_MEAN_DAYS, people).tolist()
    events: list[tuple[float, int, int]] = []  # (time, kind 0=arrival 1=departure, person)
    heapq.heappush(events, (gaps[0], 0, 0))
    free = SERVERS
    waiting: deque[tuple[int, float]] = deque()
    total_wait = 0.0
    next_person = 1
    now = 0.0
    while events:
        now, kind, person = heapq.heappop(events)
        if kind == 0:
            if next_person < people:
                heapq.heappush(events, (now + gaps[next_person], 0, next_person))
                next_person += 1
            if free:
                free -= 1
                heapq.heappush(events, (now + services[person], 1, person))
            else:
                waiting.append((person, now))
        else:
            if waiting:
                nxt, since = waiting.popleft()
                total_wait += now - since
                heapq.heappush(events, (now + services[nxt], 1, nxt))
            else:
                free += 1
    return total_wait / people


def measure(people: int = PEOPLE, repeats: int = REPEATS) -> dict[str, float]:
    """Median CPU seconds per person of each, and the median of the per-repeat ratios."""
    scenario = mmc_scenario(people)
    run_replication(mmc_scenario(1000), 0, stages_table=False)  # warm up (imports, first allocations)
    model_times, floor_times = [], []
    served = people
    for _ in range(repeats):
        start = time.process_time()
        bare_heapq_mmc(people)
        floor_times.append((time.process_time() - start) / people)
        start = time.process_time()
        result = run_replication(scenario, 0, stages_table=False)
        served = len(result.victims)
        model_times.append((time.process_time() - start) / served)
    ratios = [model / floor for model, floor in zip(model_times, floor_times)]
    return {"model_us_per_person": float(np.median(model_times)) * 1e6,
            "heapq_us_per_person": float(np.median(floor_times)) * 1e6,
            "ratio": float(np.median(ratios)), "repeats": repeats, "people": served}


if __name__ == "__main__":
    print(measure())
