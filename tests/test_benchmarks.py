"""The benchmarks' scaled scenario (more people, the same dynamics), and their memory measurement.

Figure 3a of ``make bench`` compares the baseline with the baseline scaled to 10x the people. That only
measures scaling if every head count in the scenario scales with the people (staff, seats, the daily
cap, site capacities, the screening backlog threshold...): a count left behind changes what happens
to each person, and the figure then compares two different models. Run at 3x (cheap), the scaled
scenario must give each person what the baseline gives them, within sampling noise.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model import run_replication
from sim.scenario import read_raw, scenario_from_dict

_SPEC = importlib.util.spec_from_file_location(
    "bench_baseline", Path(__file__).resolve().parents[1] / "benchmarks" / "baseline.py")
assert _SPEC is not None and _SPEC.loader is not None
baseline = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(baseline)
_SCALING_SPEC = importlib.util.spec_from_file_location(
    "bench_scaling", Path(__file__).resolve().parents[1] / "benchmarks" / "scaling.py")
assert _SCALING_SPEC is not None and _SCALING_SPEC.loader is not None
scaling = importlib.util.module_from_spec(_SCALING_SPEC)
_SCALING_SPEC.loader.exec_module(scaling)


def _per_person(factor: int) -> dict[str, float]:
    raw = read_raw(baseline.BASELINE)
    victims = run_replication(scenario_from_dict(baseline.scaled(raw, factor)), 0, stages_table=False).victims
    returned = (victims["status"] == "returned").to_numpy()
    return {
        "people": float(len(victims)),
        "screened": float(victims["screened"].mean()),
        "returned": float(returned.mean()),
        "days_to_return": float(np.mean((victims["departed"] - victims["arrived"]).to_numpy()[returned])),
        "days_to_cross": float(np.nanmean((victims["crossed"] - victims["arrived"]).to_numpy())),
    }


@pytest.fixture(scope="module")
def one_and_three() -> tuple[dict[str, float], dict[str, float]]:
    return _per_person(1), _per_person(3)


def test_scaled_scenario_has_the_people_times_the_factor(one_and_three) -> None:
    one, three = one_and_three
    assert three["people"] == 3 * one["people"]


def test_scaled_scenario_keeps_what_happens_to_each_person(one_and_three) -> None:
    # shares within 3 points, durations within 5%: far tighter than what an unscaled head count does
    one, three = one_and_three
    assert three["screened"] == pytest.approx(one["screened"], abs=0.03)
    assert three["returned"] == pytest.approx(one["returned"], abs=0.03)
    assert three["days_to_return"] == pytest.approx(one["days_to_return"], rel=0.05)
    assert three["days_to_cross"] == pytest.approx(one["days_to_cross"], rel=0.05)


def test_scaled_multiplies_every_head_count() -> None:
    raw = read_raw(baseline.BASELINE)
    big = baseline.scaled(raw, 10)
    for name, crossing in raw["crossings"].items():
        assert big["crossings"][name]["daily_capacity"] == 10 * crossing["daily_capacity"]
    for name, site in raw["sites"].items():
        assert big["sites"][name]["capacity"] == 10 * site["capacity"]
    bgf, big_bgf = raw["sites"]["bgf_camp"], big["sites"]["bgf_camp"]
    assert big_bgf["release_per_day"] == 10 * bgf["release_per_day"]
    assert [c["per_day"] for c in big_bgf["release_changes"]] == [10 * c["per_day"] for c in bgf["release_changes"]]
    for name, stage in raw["stages"].items():
        for key in ("staff",):
            if isinstance(stage.get(key), int):
                assert big["stages"][name][key] == 10 * stage[key], (name, key)
    assert raw["arrivals"] == read_raw(baseline.BASELINE)["arrivals"]  # the input is left as it was


def test_peak_rss_is_the_commands_own_not_its_parents() -> None:
    """Figure 4 measures sweep drivers from a process that is large by then: each command's peak must be
    its own. A child started directly from a 400 MB parent reads as 400 MB (Linux keeps the peak across
    exec); the benchmark's measurement must see a bare interpreter as small and a 100 MB one as 100 MB."""
    parent = np.ones(50_000_000)  # 400 MB, touched
    bare = scaling._peak_rss_kib([sys.executable, "-c", "pass"]) / 1024
    hundred = scaling._peak_rss_kib([sys.executable, "-c", "import numpy; a = numpy.ones(12_500_000)"]) / 1024
    assert parent.sum() == 50_000_000
    assert bare < 60, bare
    assert 100 < hundred < 200, hundred
