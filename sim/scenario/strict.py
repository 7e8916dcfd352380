"""The base of every scenario table (strict, closed, frozen) and the bounds shared by the schema's modules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_PEOPLE = 10_000_000
MAX_HORIZON_DAYS = 36_525  # 100 years
MAX_REPLICATIONS = 100_000
MAX_STAFF = 100_000

Probability = float


class Strict(BaseModel):
    """Base of every scenario table: strict types, unknown keys forbidden, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)
