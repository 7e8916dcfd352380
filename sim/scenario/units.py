"""Durations with units. Model time is in days.

A duration in a scenario file is either a number of days (``3``, ``0.5``) or a string made of a number
and one unit: ``"45min"``, ``"6h"``, ``"2d"``, ``"1w"``. Any other unit is an error, so a typo such as
``"2 days"`` or ``"3m"`` (minutes or months?) never silently becomes a wrong number.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

DAYS_PER_UNIT: dict[str, float] = {"min": 1.0 / 1440.0, "h": 1.0 / 24.0, "d": 1.0, "w": 7.0}
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(min|h|d|w)\s*$")


def parse_duration(value: Any) -> Any:
    """Turn a duration string into days; leave numbers for the strict float check.

    Raises:
        ValueError: for a string that is not a number followed by one of min, h, d, w.
    """
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError('a duration must be a number of days or a string like "45min", "6h", "2d", "1w"')
        return float(match.group(1)) * DAYS_PER_UNIT[match.group(2)]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a duration must be finite")
    return value


Days = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in days, written as a number of days or a string with a unit."""
