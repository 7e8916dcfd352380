"""Re-trafficking exposure: the hazard integral by hand, and the sampled losses against it.

The exposure model (sim/model/exposure.py): in a site a person faces ``hazard_per_day`` times a crowding
multiplier ``1 + f * max(0, occupancy / capacity - 1)`` and a limbo multiplier
``1 + g * max(0, (days since arrival - grace) / 30)``. ``hazard`` is the integral over the stay,
``p_lost = 1 - exp(-hazard)``. In ``sampled`` mode losses are drawn during the run.

Statistical checks use a fixed seed and a tolerance of 4 binomial standard errors (a correct model
fails with probability about 6e-5 over seeds).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from model_helpers import build, run


def _stay_scenario(mode, people, hazard, holding_days, shelter_days=None, spread=0.0, horizon=400.0, seed=4,
                   capacity=None, **exposure):
    """Everyone stays exactly ``holding_days`` in holding (then ``shelter_days`` in the shelter): stages
    with unlimited staff and fixed durations."""
    pipeline = ["registration"]
    stages = {"registration": {"servers": "holding", "staff": "unlimited", "duration": float(holding_days)}}
    if shelter_days is not None:
        pipeline += ["crossing", "screening"]
        stages["screening"] = {"staff": "unlimited", "duration": float(shelter_days)}
    hazards = hazard if isinstance(hazard, tuple) else (hazard, 0.0)
    sites = {"holding": {"hazard_per_day": hazards[0]}, "shelter": {"hazard_per_day": hazards[1]}}
    if capacity is not None:
        sites["holding"]["capacity"] = capacity
    return build(pipeline, {"A": {"share": 1.0}}, waves=[{"day": 0, "count": people, "spread_days": spread}],
                 horizon=horizon, seed=seed, sites=sites, stages=stages, exposure={"mode": mode, **exposure})


def _binomial_ok(count, n, p, sigmas=4.0):
    se = math.sqrt(p * (1 - p) / n)
    assert abs(count / n - p) <= sigmas * se, f"{count}/{n} = {count / n:.4f} vs {p:.4f} (SE {se:.4f})"


# ------------------------------------------------------------------------------------------ expected


def test_constant_hazard_expected_mode_is_exact():
    """h = 0.02/day, a fixed 10-day stay, unlimited capacity: H = 0.2 and p_lost = 1 - exp(-0.2) for
    every person (1e-12); nobody is lost in expected mode."""
    result = run(_stay_scenario("expected", 50, 0.02, 10.0, spread=20.0))
    victims = result.victims
    assert np.allclose(victims["hazard"], 0.2, rtol=0, atol=1e-12)
    assert np.allclose(victims["p_lost"], 1 - math.exp(-0.2), rtol=0, atol=1e-12)
    assert (victims["status"] == "returned").all()


def test_hazard_adds_over_holding_and_shelter():
    """8 days in holding at 0.03/day, then 12 in the shelter at 0.01/day: H = 0.24 + 0.12."""
    result = run(_stay_scenario("expected", 20, (0.03, 0.01), 8.0, shelter_days=12.0, spread=5.0))
    assert np.allclose(result.victims["hazard"], 0.36, rtol=0, atol=1e-12)
    assert np.allclose(result.victims["p_lost"], -math.expm1(-0.36), rtol=0, atol=1e-12)


def test_hazard_stops_at_the_horizon():
    """A stay cut by the horizon is integrated up to it: arrival at 0, stay 50 d, horizon 30, h = 0.01:
    H = 0.3, status waiting."""
    result = run(_stay_scenario("expected", 3, 0.01, 50.0, horizon=30.0))
    assert np.allclose(result.victims["hazard"], 0.3, rtol=0, atol=1e-12)
    assert (result.victims["status"] == "waiting").all()


def test_crowding_multiplier_applies_only_over_capacity():
    """Capacity 2, crowding factor 2, h = 0.1; four people at day 0 and one clerk (1 d each) who lets
    them go at 1, 2, 3, 4. Occupancy 4, 3, 2, 1 on the successive days; multipliers 1 + 2 (4/2 - 1) = 3,
    1 + 2 (3/2 - 1) = 2, then 1 and 1 (not over capacity). H = 0.1 x (3), (3 + 2), (3 + 2 + 1),
    (3 + 2 + 1 + 1); overcrowded person-days (4 - 2) + (3 - 2) = 3."""
    scenario = build(["registration"], {"A": {"share": 1.0}}, waves=[{"day": 0, "count": 4}], horizon=10,
                     sites={"holding": {"capacity": 2, "hazard_per_day": 0.1}},
                     stages={"registration": {"servers": "holding", "staff": 1, "duration": 1.0}},
                     exposure={"mode": "expected", "crowding_factor": 2.0})
    result = run(scenario)
    expected = 0.1 * np.array([3.0, 5.0, 6.0, 7.0])
    assert np.allclose(result.victims["hazard"], expected, rtol=0, atol=1e-12)
    assert np.allclose(result.victims["p_lost"], -np.expm1(-expected), rtol=0, atol=1e-12)
    assert result.totals["overcrowded_person_days_holding"] == pytest.approx(3.0, abs=1e-12)
    assert result.totals["person_days_holding"] == pytest.approx(10.0, abs=1e-12)


@pytest.mark.parametrize("growth", [1.0, 2.0])
def test_limbo_growth_by_hand(growth):
    """One person waits 60 days, grace 30, limbo growth g: the multiplier is 1 + g (t - 30) / 30 after
    day 30, so H = h (60 + g (30^2 / 2) / 30) = h (60 + 15 g)."""
    h = 0.01
    result = run(_stay_scenario("expected", 1, h, 60.0, limbo_growth=growth, limbo_grace_days=30.0))
    assert result.victims["hazard"].iloc[0] == pytest.approx(h * (60 + growth * (30**2 / 2) / 30), abs=1e-12)


def test_limbo_growth_across_the_two_sites():
    """40 days in holding (h1 = 0.01), then 20 in the shelter (h2 = 0.005), grace 30, g = 1.5; days since
    arrival keep counting across the crossing:
    holding: 40 + g/30 x (10^2 / 2);  shelter: 20 + g/30 x ((30^2 - 10^2) / 2)."""
    g = 1.5
    result = run(_stay_scenario("expected", 1, (0.01, 0.005), 40.0, shelter_days=20.0, limbo_growth=g,
                                limbo_grace_days=30.0))
    expected = 0.01 * (40 + g / 30 * 50) + 0.005 * (20 + g / 30 * 400)
    assert result.victims["hazard"].iloc[0] == pytest.approx(expected, abs=1e-12)


def test_after_return_risk_depends_on_screening():
    """Screened returnees carry after_return_screened, unscreened ones after_return_unscreened; in
    expected mode times (1 - p_lost). Screening ``full`` (2 days at 0.01/day: 1 - p_lost = e^-0.02) in
    one run; ``rapid`` (skipped: no time in holding, p_lost = 0) in the other."""
    for policy, expected in (("full", 0.05 * math.exp(-0.02)), ("rapid", 0.2)):
        scenario = build(["screening"], {"A": {"share": 1.0}}, waves=[{"day": 0, "count": 5}], horizon=20,
                         sites={"holding": {"hazard_per_day": 0.01}},
                         stages={"screening": {"staff": "unlimited", "duration": 2.0, "policy": policy}},
                         exposure={"mode": "expected", "after_return_screened": 0.05,
                                   "after_return_unscreened": 0.2})
        victims = run(scenario).victims
        assert np.allclose(victims["p_retrafficked_after_return"], expected, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------- sampled


@pytest.mark.slow
def test_sampled_losses_match_the_hazard():
    """Sampled mode, h = 0.05/day, 10-day stays, 20,000 people over 30 days: the lost fraction is
    1 - exp(-0.5) within 4 binomial SE; a lost person's loss time after arrival is exponential(h)
    truncated at 10 d, mean 1/h - T e^{-hT} / (1 - e^{-hT}), within 4 SE; lost people leave early and
    their hazard is integrated up to the loss."""
    h, stay, n = 0.05, 10.0, 20_000
    result = run(_stay_scenario("sampled", n, h, stay, spread=30.0, seed=9))
    victims = result.victims
    lost = victims["status"] == "lost"
    p = -math.expm1(-h * stay)
    _binomial_ok(int(lost.sum()), n, p)
    assert set(victims["status"]) == {"lost", "returned"}
    times = (victims["departed"] - victims["arrived"])[lost].to_numpy()
    assert (times > 0).all() and (times < stay).all()
    mean = 1 / h - stay * math.exp(-h * stay) / p
    second = 2 / h**2 - (stay**2 + 2 * stay / h) * math.exp(-h * stay) / p  # E[X^2] of the truncated law
    se = math.sqrt((second - mean**2) / lost.sum())
    assert abs(times.mean() - mean) <= 4 * se
    assert np.allclose(victims.loc[lost, "hazard"], h * times, rtol=1e-9)
    assert np.allclose(victims.loc[~lost, "hazard"], h * stay, rtol=1e-9)


@pytest.mark.slow
def test_sampled_and_expected_modes_agree():
    """The same people in both modes (common random numbers): the sampled lost fraction is within 4
    binomial SE of the expected mode's mean p_lost; with limbo growth too (60-day stays, grace 30,
    g = 1: H = h (60 + 15))."""
    h, n = 0.008, 10_000
    for kwargs, hazard in (({}, h * 60), ({"limbo_growth": 1.0, "limbo_grace_days": 30.0}, h * 75)):
        expected = run(_stay_scenario("expected", n, h, 60.0, spread=50.0, seed=2, **kwargs)).victims
        sampled = run(_stay_scenario("sampled", n, h, 60.0, spread=50.0, seed=2, **kwargs)).victims
        assert np.allclose(expected["p_lost"], -math.expm1(-hazard), rtol=0, atol=1e-12)
        assert np.array_equal(expected["arrived"], sampled["arrived"])
        _binomial_ok(int((sampled["status"] == "lost").sum()), n, float(expected["p_lost"].mean()))


@pytest.mark.slow
@pytest.mark.parametrize(("capacity", "factor", "growth"), [(1250, 3.0, 0.0), (2000, 1.0, 2.0)])
def test_sampled_losses_match_their_integrated_hazard(capacity, factor, growth):
    """With crowding and limbo, losses change the occupancy and so everyone's hazard; still, the number
    lost minus the sum over people of the hazard integrated over their actual stay (the ``hazard``
    column in sampled mode: up to departure, loss or horizon) is a martingale at the horizon, with mean
    0 and variance E[sum of hazard]. So |lost - sum(hazard)| <= 4 sqrt(sum(hazard))."""
    scenario = build(["registration"], {"A": {"share": 1.0}},
                     waves=[{"day": 0, "count": 10_000, "spread_days": 20.0}], horizon=120, seed=6,
                     sites={"holding": {"capacity": capacity, "hazard_per_day": 0.004}},
                     stages={"registration": {"servers": "holding", "staff": 100, "duration": 1.0}},
                     exposure={"mode": "sampled", "crowding_factor": factor, "limbo_growth": growth,
                               "limbo_grace_days": 30.0})
    victims = run(scenario).victims
    lost = int((victims["status"] == "lost").sum())
    compensator = float(victims["hazard"].sum())
    assert lost > 1000
    assert abs(lost - compensator) <= 4 * math.sqrt(compensator), (lost, compensator)


def test_sampled_losses_agree_with_the_expected_losses_over_many_replications():
    """In sampled mode a lost person's wait ends at the loss, so their probability of loss over the path
    taken, 1 - exp(-H), undercounts; the cumulative hazard H of that path is the loss process's
    compensator, and its sum over people has the mean of the sampled losses. Over 300 replications the
    paired difference (sampled - expected) has a 99% CI that contains 0, while the truncated
    1 - exp(-H) is clearly below the sampled losses (so the test can tell the two apart)."""
    from scipy import stats

    scenario = build(["identity", "transport"], {"A": {"share": 1.0, "consular": {
        "mode": "ad_hoc", "officers": 2, "deploy_delay": {"dist": "uniform", "min": 2.0, "max": 12.0},
        "guarantee_delay": 0.0}}}, waves=[{"day": 0, "count": 60, "spread_days": 5}], horizon=30,
        stages={"identity": {"duration": 0.2}},
        sites={"holding": {"capacity": 30, "hazard_per_day": 0.03}},
        exposure={"mode": "sampled", "crowding_factor": 1.0, "limbo_growth": 1.0, "limbo_grace_days": 5.0})
    diff, truncated = [], []
    for replication in range(300):
        victims = run(scenario, replication=replication).victims
        lost = float((victims["status"] == "lost").sum())
        diff.append(lost - victims["p_lost"].sum())
        truncated.append(lost - (-np.expm1(-victims["hazard"])).sum())
    for sample, contains_zero in ((diff, True), (truncated, False)):
        sample = np.asarray(sample)
        half = stats.t.ppf(0.995, len(sample) - 1) * sample.std(ddof=1) / np.sqrt(len(sample))
        assert (abs(sample.mean()) <= half) == contains_zero, (sample.mean(), half)
