"""The model's reductions to textbook queues, each run and held to its closed form (:mod:`sim.verify.theory`).

Each case builds a scenario the model runs as it runs any other (one or two stages, Poisson arrivals,
exponential services, a team or staff pool on site from the start), runs one long replication and returns
:class:`Check` rows: the model's estimate with its 95% confidence interval beside what theory says.

Statistics (as in ``tests/test_model_queueing.py``): the first 5% of the horizon is discarded (warm-up),
and 30 batch means in arrival order give the standard error SE. Multi-server waits also get a **control
variate**: the same customers fed to one server working c times as fast, whose mean wait is known, brings
the SE down several times. A mean passes when ``|estimate - theory| <= max(3% of theory, 3 SE)``. The
**sample path** rows replay the model's own arrival and service times through an independent c-server
queue, which must reproduce every start time to 1e-9 days. **Little's law** on the baseline is the
sample-path identity over the whole horizon: the time-average number of people at a site (integrated from
the model's occupancy log) equals the arrival rate times the mean time spent there (from each person's
stamps), to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from sim.model import run_replication
from sim.scenario import Scenario, load_scenario, scenario_from_dict
from sim.verify.theory import (
    batch_means,
    control_variate_mean,
    erlang_c_wait,
    lindley_waits,
    priority_waits,
    reference_starts,
    within_tolerance,
)

MU = 24.0  # services of mean one hour: 24 per day
WARM_UP = 0.05  # share of the horizon discarded at the start
BATCHES = 30
REL = 0.03  # the relative floor of the acceptance rule
EXACT = 1e-9  # days (sample paths) or relative (Little's law)
HOURS = 24.0


@dataclass(frozen=True)
class Check:
    """One comparison of the model with theory. Waits are in hours, occupancies in people."""

    case: str
    quantity: str
    method: str
    model: float
    low: float
    high: float
    theory: float
    passed: bool
    rule: str


@dataclass(frozen=True)
class Case:
    """A named reduction and the function that runs it (``scale`` shrinks the sample for tests)."""

    name: str
    run: Callable[[float], list[Check]]


# ------------------------------------------------------------------------------------------- scenarios


def _exponential(mean_days: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean_days}


def _scenario(pipeline: list[str], officers: int, arrival_rate: float, customers: int, seed: int,
              stages: dict[str, Any], vulnerable: float = 0.0) -> Scenario:
    """A Poisson stream into ``pipeline``; one nationality whose team of ``officers`` is on site from day 0."""
    return scenario_from_dict({
        "pipeline": pipeline,
        "scenario": {"name": "verify", "horizon_days": customers / arrival_rate, "seed": seed},
        "arrivals": {"rate_per_day": arrival_rate},
        "nationalities": {"A": {"share": 1.0, "vulnerable": vulnerable,
                                "consular": {"mode": "pre_agreed", "officers": officers, "deploy_delay": 0.0}}},
        "stages": stages,
    })


def _stage_rows(stages: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = stages[(stages["stage"] == name) & stages["queued"].notna()]
    return rows.sort_values(["queued", "victim_id"], kind="stable")


def _inputs(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival, service (inf when cut by the horizon) and start per customer, in arrival order."""
    arrivals = rows["queued"].to_numpy()
    services = (rows["finished"] - rows["started"]).to_numpy()
    return arrivals, np.where(np.isnan(services), np.inf, services), rows["started"].to_numpy()


# ------------------------------------------------------------------------------------------ statistics


def _mean_check(case: str, quantity: str, method: str, estimate: float, se: float, theory: float,
                df: int, scale: float = HOURS) -> Check:
    half = float(special.stdtrit(df, 0.975)) * se
    return Check(case, quantity, method, estimate * scale, (estimate - half) * scale, (estimate + half) * scale,
                 theory * scale, within_tolerance(estimate, se, theory, REL), f"max({REL:.0%}, 3 SE)")


def _path_check(case: str, arrivals: np.ndarray, services: np.ndarray, started: np.ndarray, servers: int,
                horizon: float, priority: np.ndarray | None = None) -> Check:
    """The model's start times against the independent reference queue on the same inputs."""
    expected = reference_starts(arrivals, services, servers, priority)
    expected = np.where(expected >= horizon, np.nan, expected)
    same_set = bool(np.array_equal(np.isnan(started), np.isnan(expected)))
    both = ~np.isnan(started) & ~np.isnan(expected)
    gap = float(np.max(np.abs(started[both] - expected[both]))) if both.any() else 0.0
    return Check(case, "start times, max |model - reference| (days)", "sample path", gap, math.nan, math.nan,
                 0.0, same_set and gap <= EXACT, f"<= {EXACT:g} days")


def _wait_checks(case: str, arrivals: np.ndarray, services: np.ndarray, started: np.ndarray, servers: int,
                 mu: float, arrival_rate: float, theory: float, horizon: float,
                 quantity: str = "mean wait in queue (hours)",
                 mask: np.ndarray | None = None, control: np.ndarray | None = None,
                 control_theory: float | None = None) -> list[Check]:
    """Plain batch means and, for several servers, the control-variate estimate of a mean wait."""
    measured = (arrivals > WARM_UP * horizon) & ~np.isnan(started)
    if mask is not None:
        measured &= mask
    waits = (started - arrivals)[measured]
    estimate, se = batch_means(waits, BATCHES)
    checks = [_mean_check(case, quantity, "batch means", estimate, se, theory, BATCHES - 1)]
    if control is None and servers > 1:  # the same customers at one server c times as fast: M/M/1 of rate c mu
        control = lindley_waits(arrivals, np.where(np.isfinite(services), services, 1 / mu) / servers)
        rho = arrival_rate / (servers * mu)
        control_theory = rho / (servers * mu * (1 - rho))
    if control is not None and control_theory is not None:
        estimate, se = control_variate_mean(waits, control[measured], control_theory, BATCHES)
        checks.append(_mean_check(case, quantity, "control variate", estimate, se, theory, BATCHES - 2))
    return checks


# ---------------------------------------------------------------------------------------------- cases


def mmc_case(servers: int, rho: float, customers: int, seed: int) -> Case:
    """M/M/c: one consular stage, a team of ``servers``; the mean wait against Erlang C."""
    name = f"M/M/{servers}, utilisation {rho:.2f}"

    def run(scale: float) -> list[Check]:
        arrival_rate = rho * servers * MU
        scenario = _scenario(["identity"], servers, arrival_rate, max(3000, int(customers * scale)), seed,
                             {"identity": {"servers": "consular", "duration": _exponential(1 / MU),
                                           "records_delay": 0.0}})
        horizon = scenario.horizon_days
        arrivals, services, started = _inputs(_stage_rows(run_replication(scenario, 0).stages, "identity"))
        theory = erlang_c_wait(servers, arrival_rate, MU)
        return [_path_check(name, arrivals, services, started, servers, horizon),
                *_wait_checks(name, arrivals, services, started, servers, MU, arrival_rate, theory, horizon)]

    return Case(name, run)


def priority_case(servers: int, rho: float, share: float, customers: int, seed: int) -> Case:
    """Vulnerable people first: two classes, non-preemptive priority, against Cobham's formula."""
    name = f"M/M/{servers} priority, utilisation {rho:.2f}, {share:.0%} vulnerable"

    def run(scale: float) -> list[Check]:
        arrival_rate = rho * servers * MU
        scenario = _scenario(["identity"], servers, arrival_rate, max(3000, int(customers * scale)), seed,
                             {"identity": {"servers": "consular", "duration": _exponential(1 / MU),
                                           "records_delay": 0.0}}, vulnerable=share)
        horizon = scenario.horizon_days
        result = run_replication(scenario, 0)
        rows = _stage_rows(result.stages, "identity")
        flags = result.victims.set_index("victim_id").loc[rows["victim_id"], "vulnerable"].to_numpy()
        arrivals, services, started = _inputs(rows)
        classes = np.where(flags, 0, 1)
        rates = [share * arrival_rate, (1 - share) * arrival_rate]
        expected = priority_waits(servers, rates, MU)
        fast_expected = priority_waits(1, rates, servers * MU)  # the control: one server c times as fast
        fast_services = np.where(np.isfinite(services), services, 1 / MU) / servers
        fast = reference_starts(arrivals, fast_services, 1, classes) - arrivals
        checks = [_path_check(name, arrivals, services, started, servers, horizon, classes)]
        for flag, label, theory, fast_theory in ((True, "vulnerable", expected[0], fast_expected[0]),
                                                 (False, "others", expected[1], fast_expected[1])):
            checks += _wait_checks(name, arrivals, services, started, servers, MU, arrival_rate, theory, horizon,
                                   f"mean wait in queue, {label} (hours)", mask=flags == flag, control=fast,
                                   control_theory=fast_theory)
        return checks

    return Case(name, run)


def tandem_case(first: tuple[int, float], second: tuple[int, float], customers: int, seed: int) -> Case:
    """Two M/M/c stations in series (registration by holding staff, documents by the consular team): by
    Burke's theorem each waits as its own M/M/c with the same arrival rate (a Jackson network)."""
    (c1, rho1), (c2, rho2) = first, second
    name = f"tandem M/M/{c1} -> M/M/{c2}, utilisations {rho1:.2f}, {rho2:.2f}"

    def run(scale: float) -> list[Check]:
        arrival_rate = rho1 * c1 * MU
        mu2 = arrival_rate / (rho2 * c2)
        scenario = _scenario(["registration", "documents"], c2, arrival_rate, max(3000, int(customers * scale)),
                             seed, {"registration": {"servers": "holding", "staff": c1,
                                                     "duration": _exponential(1 / MU)},
                                    "documents": {"servers": "consular", "duration": _exponential(1 / mu2)}})
        horizon = scenario.horizon_days
        stages = run_replication(scenario, 0).stages
        checks: list[Check] = []
        for stage, servers, mu in (("registration", c1, MU), ("documents", c2, mu2)):
            arrivals, services, started = _inputs(_stage_rows(stages, stage))
            checks.append(_path_check(name, arrivals, services, started, servers, horizon))
            checks += _wait_checks(name, arrivals, services, started, servers, mu, arrival_rate,
                                   erlang_c_wait(servers, arrival_rate, mu), horizon,
                                   f"mean wait in queue, {stage} (hours)")
        return checks

    return Case(name, run)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _time_integral(days: np.ndarray, counts: np.ndarray, start: float, stop: float) -> float:
    edges = np.clip(np.append(days, np.inf), start, stop)
    return float(np.sum(counts * np.diff(edges)))


def littles_law_case(baseline: Path | None, replications: int) -> Case:
    """L = lambda W at each site of the baseline, over the whole horizon, per replication."""
    name = "Little's law, baseline 2025"

    def run(scale: float) -> list[Check]:
        if baseline is None or not baseline.is_file():
            return [Check(name, "baseline scenario file not found (give --baseline FILE)", "skipped", math.nan,
                          math.nan, math.nan, math.nan, True, "skipped")]
        scenario = load_scenario(baseline)
        horizon = scenario.horizon_days
        values: dict[str, list[tuple[float, float]]] = {"holding": [], "shelter": []}
        for replication in range(max(1, round(replications * min(scale, 1.0)))):
            result = run_replication(scenario, replication)
            victims, occupancy = result.victims, result.occupancy
            arrived, crossed, departed = (victims[c].to_numpy() for c in ("arrived", "crossed", "departed"))
            holding_end = np.where(np.isnan(crossed), departed, crossed)
            for site, begin, end in (("holding", arrived, holding_end), ("shelter", crossed, departed)):
                # every site of the kind together: the sum of their own integrals
                occupancy_mean = sum(_time_integral(rows["day"].to_numpy(), rows["people"].to_numpy(), 0.0, horizon)
                                     for _, rows in occupancy[occupancy["kind"] == site].groupby(
                                         "site", observed=True)) / horizon
                came = ~np.isnan(begin)
                stays = np.minimum(np.where(np.isnan(end), horizon, end), horizon)[came] - begin[came]
                rate = came.sum() / horizon
                values[site].append((occupancy_mean, rate * float(stays.mean()) if came.any() else 0.0))
        checks = []
        for site, pairs in values.items():
            model = np.array([p[0] for p in pairs])
            theory = np.array([p[1] for p in pairs])
            mean = float(model.mean())
            half = (float(special.stdtrit(len(model) - 1, 0.975)) * float(model.std(ddof=1)) / math.sqrt(len(model))
                    if len(model) > 1 else math.nan)
            worst = float(np.max(np.abs(model - theory) / np.maximum(np.abs(theory), 1e-300)))
            quantity = f"people in {site}, time average L vs lambda W ({_count(len(model), 'replication')})"
            checks.append(Check(name, quantity, "identity", mean, mean - half, mean + half, float(theory.mean()),
                                worst <= EXACT, f"<= {EXACT:g} relative"))
        return checks

    return Case(name, run)
