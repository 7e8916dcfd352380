"""Closed forms of queueing theory and the statistics that hold a simulation to them.

Shared by ``repatsim verify`` (:mod:`sim.verify.cases`) and the test suite (``tests/model_helpers.py``,
``tests/test_model_queueing.py``, ``tests/test_plan.py``), so the two never disagree about what theory says.
Model time is in days; rates are per day.

- :func:`erlang_c`, :func:`erlang_c_wait`: M/M/c, first come first served.
- :func:`min_servers_for_wait`: the fewest servers whose M/M/c mean wait meets a target.
- :func:`priority_waits`: M/M/c with non-preemptive priority classes and equal service rates (Cobham).
- :func:`reference_starts`, :func:`lindley_waits`: independent re-implementations of a c-server priority
  queue and a single-server queue, fed the model's own arrival and service times.
- :func:`batch_means`, :func:`control_variate_mean`, :func:`within_tolerance`: estimates, their standard
  errors, and the acceptance rule ``|estimate - theory| <= max(rel x theory, 3 SE)``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import numpy as np

__all__ = ["batch_means", "control_variate_mean", "erlang_c", "erlang_c_wait", "lindley_waits",
           "min_servers_for_wait", "priority_waits", "reference_starts", "within_tolerance"]


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda / mu < c.

    ``C = (a^c / c!) / (1 - a/c) / (sum_{k<c} a^k / k! + (a^c / c!) / (1 - a/c))``, summed with the
    terms built iteratively (no large factorials).
    """
    c, a = servers, offered_load
    if not 0 < a < c:
        raise ValueError(f"Erlang C needs 0 < offered load < servers (got a={a}, c={c})")
    term, total = 1.0, 1.0  # a^k / k! for k = 0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - a / c)  # a^c / c! / (1 - rho)
    return last / (total + last)


def erlang_c_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue of M/M/c, FCFS: ``Wq = C(c, a) / (c mu - lambda)``; infinite when c mu <= lambda."""
    if servers * service_rate <= arrival_rate:
        return math.inf
    return erlang_c(servers, arrival_rate / service_rate) / (servers * service_rate - arrival_rate)


def min_servers_for_wait(arrival_rate: float, service_rate: float, target_wait: float, most: int = 10_000) -> int:
    """The fewest servers of an M/M/c queue whose mean wait in queue is at most ``target_wait`` (days).

    The wait falls as servers are added (for a fixed load), so the first c that meets the target is the
    answer; ``ValueError`` if none up to ``most`` does."""
    first = math.floor(arrival_rate / service_rate) + 1  # the fewest for a stable queue
    for servers in range(max(1, first), most + 1):
        if erlang_c_wait(servers, arrival_rate, service_rate) <= target_wait:
            return servers
    raise ValueError(f"no number of servers up to {most} brings the mean wait to {target_wait}")


def priority_waits(servers: int, arrival_rates: Sequence[float], service_rate: float) -> list[float]:
    """Mean waits per class of M/M/c with non-preemptive priority and equal service rates (Cobham).

    With every server busy, services end at rate ``c mu`` (memoryless), so the residual time until a
    server frees, seen by an arrival, is ``W0 = P(wait) / (c mu)`` with P(wait) = Erlang C of the total
    load. Class k (1 = highest) waits ``Wk = W0 / ((1 - s_{k-1}) (1 - s_k))`` with ``s_k`` the sum of
    ``lambda_i / (c mu)`` over classes 1..k.
    """
    total = sum(arrival_rates)
    w0 = erlang_c(servers, total / service_rate) / (servers * service_rate)
    waits, sigma = [], 0.0
    for rate in arrival_rates:
        before = sigma
        sigma += rate / (servers * service_rate)
        waits.append(w0 / ((1 - before) * (1 - sigma)))
    return waits


def reference_starts(arrivals: np.ndarray, services: np.ndarray, servers: int,
                     priority: np.ndarray | None = None) -> np.ndarray:
    """Service start times of a c-server, non-preemptive priority queue, given each customer's
    arrival and service time (an independent re-implementation, used as the sample-path reference).

    Customers are indexed in arrival order; lower ``priority`` goes first, ties by arrival order (one
    first-in-first-out line per priority level). A service time of ``inf`` keeps its server busy for good
    (a service cut by the horizon). Written without an event calendar: each step frees the server that
    frees first and gives it the first customer of the highest class waiting then.
    """
    n = len(arrivals)
    priority = np.zeros(n, dtype=np.int64) if priority is None else np.asarray(priority)
    levels = sorted(set(priority.tolist()))
    lines: dict[int, deque[int]] = {level: deque() for level in levels}
    free = [0.0] * servers
    starts = np.full(n, np.inf)
    upcoming = 0
    arrivals_list, services_list, priority_list = arrivals.tolist(), services.tolist(), priority.tolist()

    def admit(until: float) -> None:
        nonlocal upcoming
        while upcoming < n and arrivals_list[upcoming] <= until:
            lines[priority_list[upcoming]].append(upcoming)
            upcoming += 1

    for _ in range(n):
        server = min(range(servers), key=free.__getitem__)
        moment = free[server]
        if moment == math.inf:
            break
        admit(moment)
        if not any(lines.values()):  # idle until the next arrival
            moment = arrivals_list[upcoming]
            admit(moment)
        customer = next(line for line in lines.values() if line).popleft()
        starts[customer] = moment
        free[server] = moment + services_list[customer]
    return starts


def lindley_waits(arrivals: np.ndarray, services: np.ndarray) -> np.ndarray:
    """Waits in a single-server FCFS queue (Lindley's recursion), customers in arrival order."""
    waits = np.empty(len(arrivals))
    free = 0.0
    for i, (arrival, service) in enumerate(zip(arrivals.tolist(), services.tolist())):
        start = free if free > arrival else arrival
        waits[i] = start - arrival
        free = start + service
    return waits


def batch_means(values: np.ndarray, batches: int = 30) -> tuple[float, float]:
    """Mean and batch-means standard error of a (correlated) sequence, ``batches`` equal batches."""
    means = np.array([chunk.mean() for chunk in np.array_split(np.asarray(values, dtype=float), batches)])
    return float(np.mean(values)), float(means.std(ddof=1) / math.sqrt(batches))


def control_variate_mean(values: np.ndarray, control: np.ndarray, control_mean: float,
                         batches: int = 30) -> tuple[float, float]:
    """Control-variate estimate of the mean of ``values`` and its standard error, from batch means.

    Regresses the batch means of ``values`` on those of ``control - control_mean`` (a quantity with a
    known expectation, observed on the same sample path); the intercept is the estimate, its OLS
    standard error the error.
    """
    y = np.array([c.mean() for c in np.array_split(np.asarray(values, dtype=float), batches)])
    x = np.array([c.mean() for c in np.array_split(np.asarray(control, dtype=float), batches)]) - control_mean
    design = np.column_stack([np.ones(batches), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    s2 = float(residual @ residual) / (batches - 2)
    sxx = float(((x - x.mean()) ** 2).sum())
    se = math.sqrt(s2 * (1 / batches + x.mean() ** 2 / sxx)) if sxx > 0 else 0.0
    return float(coef[0]), se


def within_tolerance(estimate: float, se: float, theory: float, rel: float = 0.03) -> bool:
    """The acceptance rule of the verification: ``|estimate - theory| <= max(rel x |theory|, 3 SE)``.

    The relative floor keeps a very precise estimate from failing on a bias too small to matter (the
    warm-up left in, the customers cut by the horizon); 3 SE keeps chance from failing a correct model."""
    return abs(estimate - theory) <= max(rel * abs(theory), 3 * se)
