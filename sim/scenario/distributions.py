"""Probability distributions of durations: scenario specs and fast samplers.

A spec is frozen data read from the scenario (``{ dist = "lognormal", median = "40min", p90 = "2h" }``);
:func:`make_sampler` turns it into a small callable that returns one draw (in days) per call.

Samplers use the **inverse transform** of uniforms drawn in blocks from their own numpy Generator: the
k-th call of a stream always consumes the k-th uniform, whatever the distribution's parameters. Two
scenarios that change a duration's parameters therefore keep their draws paired (common random numbers),
and drawing in blocks keeps the per-event cost of a draw to one step of an iterator (no Python frame).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial
from itertools import chain, repeat
from typing import Annotated, Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special

from sim.scenario.units import Days, parse_duration

DIST_NAMES = ("fixed", "exponential", "uniform", "triangular", "lognormal", "gamma", "empirical")
Z90 = 1.2815515655446004  # standard normal 0.9-quantile


class FieldIssue(ValueError):
    """A validation problem located at a named sub-field of the model being validated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class _Spec(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class Fixed(_Spec):
    """Always the same value (days)."""

    dist: Literal["fixed"] = "fixed"
    value: Days = Field(ge=0)

    def mean(self) -> float:
        return self.value


class Exponential(_Spec):
    """Exponential with the given mean (days)."""

    dist: Literal["exponential"]
    mean_: Days = Field(alias="mean", gt=0)

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    def mean(self) -> float:
        return self.mean_


class Uniform(_Spec):
    """Uniform between min and max (days)."""

    dist: Literal["uniform"]
    min: Days = Field(ge=0)
    max: Days = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.max < self.min:
            raise FieldIssue("max", "must be >= min")
        return self

    def mean(self) -> float:
        return (self.min + self.max) / 2


class Triangular(_Spec):
    """Triangular with min <= mode <= max (days)."""

    dist: Literal["triangular"]
    min: Days = Field(ge=0)
    mode: Days = Field(ge=0)
    max: Days = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if self.mode < self.min:
            raise FieldIssue("mode", "must be >= min")
        if self.max < self.mode:
            raise FieldIssue("max", "must be >= mode")
        return self

    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3


class Lognormal(_Spec):
    """Lognormal given in planners' terms: the median and the 90th percentile (days)."""

    dist: Literal["lognormal"]
    median: Days = Field(gt=0)
    p90: Days = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Lognormal:
        if self.p90 <= self.median:
            raise FieldIssue("p90", "must be > median")
        return self

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return (math.log(self.p90) - math.log(self.median)) / Z90

    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)


class Gamma(_Spec):
    """Gamma given by its mean (days) and coefficient of variation (sd / mean)."""

    dist: Literal["gamma"]
    mean_: Days = Field(alias="mean", gt=0)
    cv: float = Field(gt=0, le=100)

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    def mean(self) -> float:
        return self.mean_


class Empirical(_Spec):
    """Each draw is one of the observed values, with equal probability (days)."""

    dist: Literal["empirical"]
    values: tuple[Annotated[Days, Field(ge=0)], ...] = Field(min_length=1, max_length=1_000_000)

    def mean(self) -> float:
        return float(np.mean(self.values))


def _scalar_is_fixed(value: Any) -> Any:
    """A plain number or duration string where a distribution is expected means ``fixed``."""
    if isinstance(value, str):
        return {"dist": "fixed", "value": parse_duration(value)}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(f"a distribution table needs a 'dist' key, one of {', '.join(DIST_NAMES)}")
    return value


_AnyDistribution = Annotated[
    Fixed | Exponential | Uniform | Triangular | Lognormal | Gamma | Empirical,
    Field(discriminator="dist"),
]
DistributionSpec = Annotated[_AnyDistribution, BeforeValidator(_scalar_is_fixed)]
"""Any duration distribution of a scenario file."""
OptionalDistributionSpec = Annotated[_AnyDistribution | None, BeforeValidator(_scalar_is_fixed)]
"""A distribution that may be left out (None)."""
DIST_CLASSES: dict[str, type[_Spec]] = {
    "fixed": Fixed, "exponential": Exponential, "uniform": Uniform, "triangular": Triangular,
    "lognormal": Lognormal, "gamma": Gamma, "empirical": Empirical,
}
"""The spec class of each ``dist`` name (to list a table's allowed keys)."""

ZERO = Fixed(value=0.0)


class Sampler(Protocol):
    def __call__(self) -> float: ...


BLOCK = 512


def _blocks(rng: np.random.Generator, inverse: Any) -> Iterator[list[float]]:
    """The draws of a stream in blocks: ``BLOCK`` uniforms at a time, mapped through the vectorised inverse
    CDF (a block is drawn when the previous one is used up)."""
    while True:
        yield inverse(rng.random(BLOCK)).tolist()


def _block_sampler(rng: np.random.Generator, inverse: Any) -> Sampler:
    # next() on a chain over the blocks runs in C: a draw costs a list step, no Python frame
    return partial(next, chain.from_iterable(_blocks(rng, inverse)))


def inverse_cdf(spec: Any) -> Any:
    """The vectorised inverse CDF of a non-fixed spec: uniforms in [0, 1) -> days."""
    if isinstance(spec, Exponential):
        mean = spec.mean_
        return lambda u: -mean * np.log1p(-u)
    if isinstance(spec, Uniform):
        low, width = spec.min, spec.max - spec.min
        return lambda u: low + width * u
    if isinstance(spec, Triangular):
        a, c, b = spec.min, spec.mode, spec.max
        if b == a:
            return lambda u: np.full_like(u, a)
        split = (c - a) / (b - a)

        def triangular(u: np.ndarray) -> np.ndarray:
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1 - u) * (b - a) * (b - c))
            return np.where(u < split, left, right)

        return triangular
    if isinstance(spec, Lognormal):
        mu, sigma = spec.mu, spec.sigma
        return lambda u: np.exp(mu + sigma * special.ndtri(u))
    if isinstance(spec, Gamma):
        shape = 1.0 / spec.cv**2
        scale = spec.mean_ / shape
        return lambda u: scale * special.gammaincinv(shape, u)
    if isinstance(spec, Empirical):
        values = np.asarray(spec.values, dtype=float)
        count = len(values)
        return lambda u: values[np.minimum((u * count).astype(np.int64), count - 1)]
    raise TypeError(f"not a distribution spec: {spec!r}")


def make_sampler(spec: Any, rng: np.random.Generator) -> Sampler:
    """A callable returning one draw (days) per call, consuming ``rng`` in blocks of uniforms."""
    if isinstance(spec, Fixed):
        return repeat(spec.value).__next__  # the same value, from C
    return _block_sampler(rng, inverse_cdf(spec))


def is_zero(spec: Any) -> bool:
    """True when every draw is exactly 0 days (the stage takes no time)."""
    return isinstance(spec, Fixed) and spec.value == 0.0
