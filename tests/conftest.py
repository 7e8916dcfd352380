"""Shared fixtures: a small valid scenario and a helper to write TOML files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

TINY_SCENARIO = """\
pipeline = ["registration", "identity", "crossing", "health", "screening", "documents", "transport"]

[scenario]
name = "tiny"
horizon_days = 60
start_date = 2025-02-12
seed = 7
replications = 2

[arrivals]
waves = [ { day = 0, count = 100, spread_days = 5 } ]

[sites.holding]
capacity = 500
hazard_per_day = 0.001

[sites.shelter]
capacity = 200

[crossing]
daily_capacity = 50
admission = "travel_arranged"

[stages.registration]
servers = "holding"
staff = 4
duration = "10min"

[stages.identity]
servers = "consular"
duration = { dist = "lognormal", median = "40min", p90 = "2h" }
records_delay = { dist = "triangular", min = "2d", mode = "5d", max = "14d" }

[stages.health]
servers = "health"
staff = 2
duration = { dist = "triangular", min = "3min", mode = "5min", max = "10min" }
requires_consular_presence = true

[stages.screening]
policy = "full"
staff = 2
duration = { dist = "gamma", mean = "1h", cv = 0.5 }

[stages.documents]
duration = { dist = "exponential", mean = "30min" }

[database]
shared = false

[nationality_defaults.consular]
mode = "ad_hoc"
officers = 3
deploy_delay = { dist = "uniform", min = "5d", max = "10d" }

[nationalities.Kazakhstan]
count = 60
vulnerable = 0.05
consular = { mode = "ad_hoc", officers = 2, deploy_delay = { dist = "uniform", min = "20d", max = "45d" } }
funding = { mode = "appeal", appeal_delay = "21d" }
transport = { mode = "commercial", booking_delay = "3d" }

[nationalities.Kyrgyzstan]
count = 40
consular = { represented_by = "Kazakhstan" }
funding = { mode = "safe_fund" }
transport = { mode = "charter", seats = 20, interval = "7d" }

[exposure]
crowding_factor = 0.5

[costs]
per_officer_day = 150.0
"""


@pytest.fixture
def tiny_scenario_text() -> str:
    """A small valid scenario (100 people, two nationalities, one represented by the other)."""
    return TINY_SCENARIO


@pytest.fixture
def write_toml() -> Callable[[Path, str, str], Path]:
    """``write_toml(directory, name, text)`` writes a UTF-8 file and returns its path."""

    def write(directory: Path, name: str, text: str) -> Path:
        path = Path(directory) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
