"""Queueing-theory verification of the model's server pools (M/M/c, tandem, priority, Little's law).

Each test reduces the model to a textbook queue (Poisson arrivals, exponential services, one stage or
two) and compares it with closed forms computed here: Erlang C for M/M/c, Burke/Jackson for stages in
series, Cobham's formula for non-preemptive priority, and L = lambda W for the sites.

Statistics. One long replication per case, a warm-up discarded (the first 5% of the horizon, many
relaxation times of these queues), then 30 batch means in arrival order (each batch holds thousands of
customers, far beyond the queue's correlation time) give the standard error SE. A mean is accepted
when ``|estimate - theory| <= max(3% of theory, 3 SE)``.

Heavy-traffic multi-server waits have a large variance (relative SE of 2-4% for 300,000 customers), so
the M/M/c, tandem and priority cases also estimate the wait with a **control variate**: the same
customers fed to one server working c times as fast, whose mean wait is known (rho / (c mu (1 - rho)),
or Cobham's formula with c = 1 under priority). It brings the SE to 0.2-0.6% (about 1% for the
vulnerable class, whose wait is mostly residual service) and makes the 3% tolerance bite. The M/M/1
case has no such control (the fast server is the queue itself); its plain SE is about 1.3%.

An **exact sample-path check** replays the observed arrival and service times through an independent
c-server reference queue, which must reproduce every start time to 1e-9 days (the discipline, not only
the mean). The service and interarrival times themselves are checked against their distributions, so
that the control variate cannot hide a wrong input.

With a fixed seed the tests are deterministic. Over seeds, a correct queue failed a plain check in 4 of
600 trials (batch means of waits are heavy-tailed) and a control-variate check in none: after a change
of random streams, a plain check just past 3 SE beside a passing control-variate check is most likely
chance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from model_helpers import (
    assert_close_to_theory,
    batch_means,
    build,
    control_variate_mean,
    erlang_c_wait,
    exponential,
    lindley_waits,
    occupancy_by_kind,
    overlap_days,
    priority_waits,
    reference_starts,
    run,
    stage,
    time_integral,
)
from scipy import stats

MU = 24.0  # services of mean one hour: 24 per day
WARM_UP = 0.05  # share of the horizon discarded at the start


def _mmc_scenario(servers: int, arrival_rate: float, customers: int, seed: int, vulnerable: float = 0.0):
    """M/M/c as the model sees it: one consular stage, a team of ``servers`` on site from the start."""
    return build(
        ["identity"],
        {"A": {"share": 1.0, "vulnerable": vulnerable,
               "consular": {"mode": "pre_agreed", "officers": servers, "deploy_delay": 0.0}}},
        horizon=customers / arrival_rate, seed=seed, rate_per_day=arrival_rate,
        stages={"identity": {"servers": "consular", "duration": exponential(1 / MU), "records_delay": 0.0}},
    )


def _observed(rows, horizon: float):
    """Arrival, service and wait per customer, in arrival order (service inf when cut by the horizon)."""
    rows = rows.sort_values(["queued"], kind="stable")
    arrivals = rows["queued"].to_numpy()
    services = (rows["finished"] - rows["started"]).to_numpy()
    services = np.where(np.isnan(services), np.inf, services)
    return rows, arrivals, services


def _check_sample_path(arrivals, services, started, servers, priority=None, horizon=math.inf):
    """The model's start times equal those of the independent reference queue on the same inputs."""
    expected = reference_starts(arrivals, services, servers, priority)
    expected = np.where(expected >= horizon, np.nan, expected)
    both = ~np.isnan(started)
    assert np.array_equal(both, ~np.isnan(expected)), "different customers started by the horizon"
    assert np.allclose(started[both], expected[both], rtol=0, atol=1e-9)


def _check_inputs(arrivals, services, arrival_rate, warm: np.ndarray):
    """Interarrival and service times are exponential with the stated means (KS test and mean +- 4 SE)."""
    gaps = np.diff(arrivals)
    done = services[np.isfinite(services) & warm]
    for values, mean, what in ((gaps, 1 / arrival_rate, "interarrival"), (done, 1 / MU, "service")):
        se = mean / math.sqrt(len(values))
        assert abs(values.mean() - mean) <= 4 * se, f"{what} mean {values.mean()} vs {mean}"
        assert stats.kstest(values, "expon", args=(0, mean)).pvalue > 1e-4, what


@pytest.mark.slow
@pytest.mark.parametrize(("servers", "rho", "customers"), [(1, 0.7, 400_000), (4, 0.85, 300_000),
                                                            (10, 0.9, 300_000)])
def test_mmc_mean_wait_matches_erlang_c(servers, rho, customers):
    """M/M/c: mean wait in queue within max(3%, 3 SE) of Erlang C's C(c, a) / (c mu - lambda).

    For c = 1 the plain batch-means SE is about 1.3%; for c > 1 the control-variate estimate (module
    docstring) is held to the same rule with an SE under 1%, and the plain estimate too (wider SE).
    """
    arrival_rate = rho * servers * MU
    scenario = _mmc_scenario(servers, arrival_rate, customers, seed=11 + servers)
    horizon = scenario.horizon_days
    rows, arrivals, services = _observed(stage(run(scenario), "identity"), horizon)
    started = rows["started"].to_numpy()
    warm = arrivals > WARM_UP * horizon
    _check_inputs(arrivals, services, arrival_rate, warm)
    _check_sample_path(arrivals, services, started, servers, horizon=horizon)

    theory = erlang_c_wait(servers, arrival_rate, MU)
    measured = warm & ~np.isnan(started)
    waits = (started - arrivals)[measured]
    estimate, se = batch_means(waits)
    assert_close_to_theory(estimate, se, theory, what=f"M/M/{servers} rho={rho} plain")
    if servers > 1:
        fast = lindley_waits(arrivals, np.where(np.isfinite(services), services, 1 / MU) / servers)[measured]
        fast_theory = rho / (servers * MU * (1 - rho))  # M/M/1 with service rate c mu
        estimate, se = control_variate_mean(waits, fast, fast_theory)
        assert se < 0.01 * theory, f"control variate SE {se / theory:.2%} too large to test 3%"
        assert_close_to_theory(estimate, se, theory, what=f"M/M/{servers} rho={rho} control variate")


@pytest.mark.slow
def test_tandem_second_stage_waits_like_its_own_mmc():
    """Jackson network: two M/M/c stations in series. By Burke's theorem the first station's departures
    are Poisson(lambda), so the second station (documents, consular team of c2) waits as an M/M/c2
    with the same lambda; the first (registration, holding staff c1) as an M/M/c1."""
    c1, rho1, c2, rho2, customers = 2, 0.7, 3, 0.85, 250_000
    arrival_rate = rho1 * c1 * MU
    mu2 = arrival_rate / (rho2 * c2)
    scenario = build(
        ["registration", "documents"],
        {"A": {"share": 1.0, "consular": {"mode": "pre_agreed", "officers": c2, "deploy_delay": 0.0}}},
        horizon=customers / arrival_rate, seed=5, rate_per_day=arrival_rate,
        stages={"registration": {"servers": "holding", "staff": c1, "duration": exponential(1 / MU)},
                "documents": {"servers": "consular", "duration": exponential(1 / mu2)}},
    )
    horizon = scenario.horizon_days
    result = run(scenario)
    first, arrivals1, services1 = _observed(stage(result, "registration"), horizon)
    _check_sample_path(arrivals1, services1, first["started"].to_numpy(), c1, horizon=horizon)
    second, arrivals2, services2 = _observed(stage(result, "documents").dropna(subset=["queued"]), horizon)
    started2 = second["started"].to_numpy()
    _check_sample_path(arrivals2, services2, started2, c2, horizon=horizon)
    assert np.allclose(second["queued"], first.loc[second.index, "finished"], atol=0)

    # the second stage's arrivals are Poisson(lambda): exponential gaps of mean 1 / lambda
    warm = arrivals2 > WARM_UP * horizon
    gaps = np.diff(arrivals2[warm])
    assert stats.kstest(gaps, "expon", args=(0, 1 / arrival_rate)).pvalue > 1e-4

    stations = ((first, arrivals1, services1, c1, MU, "registration"),
                (second, arrivals2, services2, c2, mu2, "documents"))
    for rows, arrivals, services, servers, mu, name in stations:
        started = rows["started"].to_numpy()
        measured = (arrivals > WARM_UP * horizon) & ~np.isnan(started)
        waits = (started - arrivals)[measured]
        theory = erlang_c_wait(servers, arrival_rate, mu)
        estimate, se = batch_means(waits)
        assert_close_to_theory(estimate, se, theory, what=f"{name} plain")
        rho = arrival_rate / (servers * mu)
        fast = lindley_waits(arrivals, np.where(np.isfinite(services), services, 1 / mu) / servers)[measured]
        estimate, se = control_variate_mean(waits, fast, rho / (servers * mu * (1 - rho)))
        assert se < 0.01 * theory
        assert_close_to_theory(estimate, se, theory, what=f"{name} control variate")


@pytest.mark.slow
def test_priority_classes_match_cobham():
    """Vulnerable first: M/M/c with two classes (vulnerable with probability p), equal service rates,
    non-preemptive priority. Per-class mean waits match Cobham's W_k = W0 / ((1 - s_{k-1})(1 - s_k)),
    W0 = C(c, a) / (c mu), both plain and with the control variate of the module docstring (the fast
    single server under the same priority rule, whose class means are Cobham's formula with c = 1);
    the sample path matches the reference priority queue exactly."""
    servers, rho, p, customers = 3, 0.8, 0.3, 300_000
    arrival_rate = rho * servers * MU
    scenario = _mmc_scenario(servers, arrival_rate, customers, seed=3, vulnerable=p)
    horizon = scenario.horizon_days
    rows, arrivals, services = _observed(stage(run(scenario), "identity"), horizon)
    started = rows["started"].to_numpy()
    vulnerable = rows["vulnerable"].to_numpy()
    assert abs(vulnerable.mean() - p) < 4 * math.sqrt(p * (1 - p) / len(vulnerable))
    _check_sample_path(arrivals, services, started, servers, np.where(vulnerable, 0, 1), horizon)

    rates = [p * arrival_rate, (1 - p) * arrival_rate]
    expected = priority_waits(servers, rates, MU)
    # control: the same customers, same priority rule, one server c times as fast (Cobham for M/M/1)
    fast_services = np.where(np.isfinite(services), services, 1 / MU) / servers
    fast = reference_starts(arrivals, fast_services, 1, np.where(vulnerable, 0, 1)) - arrivals
    fast_expected = priority_waits(1, rates, servers * MU)
    measured = (arrivals > WARM_UP * horizon) & ~np.isnan(started)
    for flag, theory, fast_theory, name in ((True, expected[0], fast_expected[0], "vulnerable"),
                                            (False, expected[1], fast_expected[1], "others")):
        mask = measured & (vulnerable == flag)
        waits = (started - arrivals)[mask]
        estimate, se = batch_means(waits)
        assert_close_to_theory(estimate, se, theory, what=f"{name} plain")
        estimate, se = control_variate_mean(waits, fast[mask], fast_theory)
        assert_close_to_theory(estimate, se, theory, what=f"{name} control variate")
    # the classes' weighted mean is the FCFS Erlang C wait (work conservation)
    assert math.isclose(p * expected[0] + (1 - p) * expected[1], erlang_c_wait(servers, arrival_rate, MU))


@pytest.mark.slow
def test_littles_law_in_holding_and_shelter():
    """L = lambda W for each site over a stationary window: the time-average occupancy (integrated
    exactly from the change log) against the arrival rate times the mean stay of the people who came
    in the window. Also the exact sample-path identity: the integral of occupancy over the window equals
    the sum of everyone's time in the site inside the window."""
    arrival_rate, customers = 60.0, 120_000
    scenario = build(
        ["registration", "crossing", "screening"],
        {"A": {"share": 1.0}},
        horizon=customers / arrival_rate, seed=8, rate_per_day=arrival_rate,
        stages={"registration": {"servers": "holding", "staff": 2, "duration": exponential(1 / 40)},
                "crossing": {"servers": "border", "staff": 1, "duration": exponential(1 / 80)},
                "screening": {"servers": "screening", "staff": 3, "duration": exponential(1 / 25)}},
    )
    horizon = scenario.horizon_days
    result = run(scenario)
    victims, occupancy = result.victims, occupancy_by_kind(result.occupancy)
    start, stop = 0.1 * horizon, 0.95 * horizon
    arrived, crossed, departed = (victims[c].to_numpy() for c in ("arrived", "crossed", "departed"))
    holding_end = np.where(np.isnan(crossed), departed, crossed)
    days = occupancy["day"].to_numpy()
    for site, begin, end in (("holding", arrived, holding_end), ("shelter", crossed, departed)):
        counts = occupancy[site].to_numpy()
        integral = time_integral(days, counts, start, stop)
        assert math.isclose(integral, overlap_days(begin, end, start, stop).sum(), rel_tol=1e-9)

        came = (begin >= start) & (begin < stop)
        stays = np.where(np.isnan(end), horizon, end)[came] - begin[came]
        mean_stay, se = batch_means(stays)
        rate = came.sum() / (stop - start)
        # theory side: the sojourn of the site's stations (Erlang C waits plus mean services)
        assert_close_to_theory(integral / (stop - start), rate * se, rate * mean_stay, what=f"L = lambda W, {site}")
    until = np.where(np.isnan(holding_end), horizon, holding_end)
    assert np.allclose(victims["holding_days"], until - arrived)
    in_shelter = ~np.isnan(crossed)
    shelter_days = np.where(np.isnan(departed), horizon, departed) - crossed
    assert np.allclose(victims["shelter_days"][in_shelter], shelter_days[in_shelter])
    assert (victims["shelter_days"][~in_shelter] == 0).all()
    # and the stays match the Jackson network: holding = registration + crossing sojourns
    lam = arrival_rate
    holding_theory = (erlang_c_wait(2, lam, 40) + 1 / 40) + (erlang_c_wait(1, lam, 80) + 1 / 80)
    came = (arrived >= start) & (arrived < stop)
    mean_stay, se = batch_means((holding_end - arrived)[came])
    assert_close_to_theory(mean_stay, se, holding_theory, what="holding sojourn")
    shelter_theory = erlang_c_wait(3, lam, 25) + 1 / 25
    mean_stay, se = batch_means((departed - crossed)[came])
    assert_close_to_theory(mean_stay, se, shelter_theory, what="shelter sojourn")
