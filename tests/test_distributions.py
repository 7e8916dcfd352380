"""Distribution specs and samplers: moments against closed forms, common random numbers.

Every expected value here is derived by hand from the distribution's definition, not read off the code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.scenario.distributions import DistributionSpec, make_sampler

N = 200_000
MINUTE, HOUR = 1 / 1440, 1 / 24
Z90 = 1.2815515655446004  # the standard normal 0.9 quantile (scipy.stats.norm.ppf(0.9))


class _Holder(BaseModel):
    """Validates a spec the way a scenario field does (strict; TOML arrays arrive as tuples)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    d: DistributionSpec


def spec(data):
    if isinstance(data, dict):
        data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return _Holder.model_validate({"d": data}).d


def draws(data, seed=12345, n=N) -> np.ndarray:
    sampler = make_sampler(spec(data), np.random.default_rng(seed))
    return np.array([sampler() for _ in range(n)])


# ------------------------------------------------------------------------------------------- fixed


@pytest.mark.parametrize(("data", "days"), [
    ({"dist": "fixed", "value": 2.5}, 2.5),
    ({"dist": "fixed", "value": "6h"}, 0.25),
    (3, 3.0),
    (0.5, 0.5),
    ("45min", 45 / 1440),
    ("1w", 7.0),
])
def test_fixed_returns_its_value(data, days):
    sampler = make_sampler(spec(data), np.random.default_rng(0))
    assert [sampler() for _ in range(1000)] == pytest.approx([days] * 1000, rel=1e-12)


# ------------------------------------------------------------------------------------------- moments


def test_exponential_mean_and_median():
    x = draws({"dist": "exponential", "mean": 2.5})
    assert x.min() >= 0
    assert x.mean() == pytest.approx(2.5, rel=0.015)
    assert np.median(x) == pytest.approx(2.5 * math.log(2), rel=0.02)  # median of Exp is mean * ln 2
    assert x.std() == pytest.approx(2.5, rel=0.02)  # sd = mean


def test_exponential_mean_with_unit():
    x = draws({"dist": "exponential", "mean": "30min"})
    assert x.mean() == pytest.approx(30 * MINUTE, rel=0.015)


def test_uniform_bounds_mean_and_variance():
    x = draws({"dist": "uniform", "min": "2d", "max": "5d"})
    assert x.min() >= 2 and x.max() <= 5
    assert x.min() < 2.01 and x.max() > 4.99
    assert x.mean() == pytest.approx(3.5, rel=0.005)
    assert x.var() == pytest.approx(9 / 12, rel=0.02)  # (b - a)^2 / 12


def test_uniform_degenerate():
    x = draws({"dist": "uniform", "min": 3, "max": 3}, n=1000)
    assert np.all(x == 3)


@pytest.mark.parametrize(("a", "c", "b"), [(1.0, 2.0, 6.0), (0.0, 0.0, 4.0), (2.0, 5.0, 5.0)])
def test_triangular_bounds_mean_and_mode_split(a, c, b):
    x = draws({"dist": "triangular", "min": a, "mode": c, "max": b})
    assert x.min() >= a and x.max() <= b
    assert x.mean() == pytest.approx((a + b + c) / 3, rel=0.01)
    # P(X <= mode) = (c - a) / (b - a) for a triangular distribution
    assert np.mean(x <= c) == pytest.approx((c - a) / (b - a), abs=0.005)
    # the density rises linearly to the mode: P(X <= (a + c) / 2) = (c - a) / (4 (b - a))
    if c > a:
        assert np.mean(x <= (a + c) / 2) == pytest.approx((c - a) / (4 * (b - a)), abs=0.005)


def test_triangular_in_minutes():
    x = draws({"dist": "triangular", "min": "3min", "mode": "5min", "max": "10min"})
    assert x.min() >= 3 * MINUTE - 1e-15 and x.max() <= 10 * MINUTE + 1e-15
    assert x.mean() == pytest.approx(6 * MINUTE, rel=0.01)  # (3 + 5 + 10) / 3 minutes


def test_triangular_degenerate():
    x = draws({"dist": "triangular", "min": 2, "mode": 2, "max": 2}, n=1000)
    assert np.all(x == 2)


def test_lognormal_median_p90_and_mean():
    median, p90 = 40 * MINUTE, 2 * HOUR
    x = draws({"dist": "lognormal", "median": "40min", "p90": "2h"})
    assert x.min() > 0
    assert np.median(x) == pytest.approx(median, rel=0.02)
    assert np.quantile(x, 0.9) == pytest.approx(p90, rel=0.02)
    sigma = math.log(p90 / median) / Z90  # p90 = median * exp(sigma * z90)
    assert x.mean() == pytest.approx(median * math.exp(sigma**2 / 2), rel=0.02)
    assert np.mean(np.log(x)) == pytest.approx(math.log(median), abs=0.01)
    assert np.std(np.log(x)) == pytest.approx(sigma, rel=0.01)


def test_lognormal_spec_mean_closed_form():
    # median 1 day, p90 e^1.2815... days -> sigma = 1 -> mean = e^(1/2)
    s = spec({"dist": "lognormal", "median": 1.0, "p90": math.exp(Z90)})
    assert s.mean() == pytest.approx(math.exp(0.5), rel=1e-9)


@pytest.mark.parametrize(("mean", "cv", "tol"), [(3.0, 0.5, 0.01), (2.0, 1.0, 0.015), (1.5, 2.0, 0.04)])
def test_gamma_mean_and_cv(mean, cv, tol):
    x = draws({"dist": "gamma", "mean": mean, "cv": cv})
    assert x.min() >= 0
    assert x.mean() == pytest.approx(mean, rel=tol)
    assert x.std() / x.mean() == pytest.approx(cv, rel=2.5 * tol)


def test_gamma_cv_one_is_exponential():
    # gamma with cv = 1 has shape 1: P(X > mean) = e^-1
    x = draws({"dist": "gamma", "mean": "2d", "cv": 1.0})
    assert np.mean(x > 2.0) == pytest.approx(math.exp(-1), abs=0.005)


def test_empirical_only_listed_values_equal_frequencies():
    values = [0.5, 1.0, 4.0, 7.0]
    x = draws({"dist": "empirical", "values": values})
    assert set(np.unique(x)) == set(values)
    for v in values:
        assert np.mean(x == v) == pytest.approx(0.25, abs=0.005)
    assert x.mean() == pytest.approx(sum(values) / 4, rel=0.01)


def test_empirical_repeated_values_weigh_more_and_units():
    x = draws({"dist": "empirical", "values": ["1d", "1d", "12h"]})
    assert set(np.unique(x)) == {0.5, 1.0}
    assert np.mean(x == 1.0) == pytest.approx(2 / 3, abs=0.005)


def test_empirical_single_value():
    x = draws({"dist": "empirical", "values": [3]}, n=2000)
    assert np.all(x == 3)


# ------------------------------------------------------------------------------- common random numbers


def test_exponentials_with_different_means_are_in_constant_ratio():
    short = draws({"dist": "exponential", "mean": 1.0}, seed=99, n=3000)
    long = draws({"dist": "exponential", "mean": 3.0}, seed=99, n=3000)
    assert np.all(short > 0)
    np.testing.assert_allclose(long / short, 3.0, rtol=1e-12)


def test_kth_draw_is_the_kth_uniform():
    # uniform(0, 1) returns the underlying uniforms themselves: one per call, in order, across blocks
    n = 2000
    u = draws({"dist": "uniform", "min": 0, "max": 1}, seed=5, n=n)
    np.testing.assert_array_equal(u, np.random.default_rng(5).random(n))
    # an exponential of mean m on the same seed is the inverse CDF F^-1(u) = -m ln(1 - u) of the same uniforms
    e = draws({"dist": "exponential", "mean": 2.0}, seed=5, n=n)
    np.testing.assert_allclose(e, -2.0 * np.log1p(-u), rtol=1e-12)
    # a uniform(a, b) is a + (b - a) u
    w = draws({"dist": "uniform", "min": 4, "max": 10}, seed=5, n=n)
    np.testing.assert_allclose(w, 4 + 6 * u, rtol=1e-12)


@pytest.mark.parametrize("data", [
    {"dist": "exponential", "mean": 0.7},
    {"dist": "uniform", "min": 1, "max": 9},
    {"dist": "triangular", "min": 0, "mode": 1, "max": 10},
    {"dist": "triangular", "min": 0, "mode": 10, "max": 10},
    {"dist": "lognormal", "median": 2, "p90": 9},
    {"dist": "gamma", "mean": 3, "cv": 0.3},
    {"dist": "gamma", "mean": 3, "cv": 1.7},
])
def test_draws_are_comonotone_with_the_uniforms(data):
    """Inverse transform: whatever the kind and parameters, the k-th draw rises with the k-th uniform."""
    n = 1500
    u = np.random.default_rng(77).random(n)
    x = draws(data, seed=77, n=n)
    order = np.argsort(u)
    assert np.all(np.diff(x[order]) >= 0)


def test_parameters_do_not_shift_the_stream():
    # Two lognormals with different parameters: same uniforms -> same standard normal z_k,
    # so log(x_k) = ln(median) + sigma z_k and the standardised logs coincide draw by draw.
    a = draws({"dist": "lognormal", "median": 1, "p90": 2}, seed=3, n=1200)
    b = draws({"dist": "lognormal", "median": 5, "p90": 40}, seed=3, n=1200)
    za = np.log(a / 1) / (math.log(2) / Z90)
    zb = np.log(b / 5) / (math.log(8) / Z90)
    np.testing.assert_allclose(za, zb, rtol=1e-9, atol=1e-9)


def test_separate_generators_same_seed_same_draws():
    data = {"dist": "gamma", "mean": 2, "cv": 0.8}
    np.testing.assert_array_equal(draws(data, seed=11, n=700), draws(data, seed=11, n=700))
    assert not np.array_equal(draws(data, seed=11, n=700), draws(data, seed=12, n=700))


# ---------------------------------------------------------------------------------------- bad specs


@pytest.mark.parametrize("data", [
    {"dist": "triangular", "min": 5, "mode": 2, "max": 9},
    {"dist": "triangular", "min": 1, "mode": 5, "max": 4},
    {"dist": "uniform", "min": 3, "max": 1},
    {"dist": "lognormal", "median": 2, "p90": 2},
    {"dist": "lognormal", "median": 2, "p90": 1},
    {"dist": "lognormal", "median": 0, "p90": 1},
    {"dist": "gamma", "mean": 0, "cv": 1},
    {"dist": "gamma", "mean": 1, "cv": 0},
    {"dist": "exponential", "mean": 0},
    {"dist": "exponential", "mean": -1},
    {"dist": "fixed", "value": -1},
    {"dist": "empirical", "values": []},
    {"dist": "empirical", "values": [1, -2]},
    {"dist": "weibull", "scale": 1},
    {"min": 1, "max": 2},
    {"dist": "uniform", "min": 1, "max": 2, "mode": 1.5},
    {"dist": "exponential", "mean": "3m"},
    "2 days",
    True,
])
def test_impossible_specs_are_rejected(data):
    with pytest.raises(ValidationError):
        spec(data)
