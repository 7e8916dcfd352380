"""Hand-computed cases for the network: several holding sites, shelters and crossings, the routing rule,
release paces, split and roaming consular teams, nationalities assigned to sites.

Each test states the trace it expects in its docstring, worked out on paper from the rules stated in
:mod:`sim.model.network`, :mod:`sim.model.stages` and :mod:`sim.model.consular`; the numbers in the
assertions come from that trace, never from a run of the model. Times are in days. People who arrive at
one instant reach their first stage in order of victim id (the order of the waves, then of the people
in a wave).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_helpers import build, run, stage

INSTANT = {"staff": "unlimited", "duration": 0.0}  # a border check that takes no time and no staff


def _assert_times(actual, expected, atol=1e-12):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (actual, expected)
    assert np.allclose(actual, expected, rtol=0, atol=atol, equal_nan=True), (actual, expected)


def _team(officers=1, **extra):
    return {"mode": "pre_agreed", "officers": officers, "deploy_delay": 0.0, **extra}


def _by_victim(result):
    return result.victims.set_index("victim_id").sort_index()


def _occupancy(result, site):
    """The site's occupancy rows as {day: people} (the state after all changes at each day)."""
    rows = result.occupancy[result.occupancy["site"] == site]
    return dict(zip(rows["day"].tolist(), rows["people"].tolist()))


TWO_CAMPS = {"A": {"kind": "holding"}, "B": {"kind": "holding"}, "S": {"kind": "shelter"}}


# ------------------------------------------------------------------------------------------ closures


def test_a_closed_crossing_holds_its_sites_people():
    """Holding sites A and B, one shelter S. Crossing X (A -> S) is closed to everyone from day 0 to day
    5; crossing Y (B -> S) is open. Three people arrive at A and two at B at day 0; the border check is
    instant and a flight is booked 1 d after crossing. A's people wait out the closure and cross at 5
    (exactly: the closure ends at 5, nothing else takes time), leave at 6; B's cross at 0, leave at 1.
    A holds 3 people on days 0-4 and none from day 5; B holds no one (its people pass at once); S holds
    B's two from day 0 to 1 and A's three from day 5 to 6."""
    result = run(build(
        ["crossing", "transport"], {"P": {"share": 1.0, "transport": {"booking_delay": 1.0}}},
        waves=[{"day": 0, "count": 3, "site": "A"}, {"day": 0, "count": 2, "site": "B"}], horizon=10,
        sites=TWO_CAMPS, stages={"crossing": INSTANT},
        crossings={"X": {"holding": "A", "closures": [{"from_day": 0.0, "until_day": 5.0}]},
                   "Y": {"holding": "B"}}))
    v = _by_victim(result)
    assert list(v["holding_site"]) == ["A"] * 3 + ["B"] * 2
    assert list(v["crossing"]) == ["X"] * 3 + ["Y"] * 2
    assert list(v["shelter_site"]) == ["S"] * 5
    _assert_times(v["crossed"], [5, 5, 5, 0, 0])
    _assert_times(v["departed"], [6, 6, 6, 1, 1])
    a = _occupancy(result, "A")
    assert [a[d] for d in range(5)] == [3] * 5 and a[5.0] == 0 and max(a.values()) == 3
    assert set(_occupancy(result, "B").values()) == {0}
    s = _occupancy(result, "S")
    assert [s[d] for d in range(8)] == [2, 0, 0, 0, 0, 3, 0, 0]
    assert result.site_totals["A"]["person_days"] == pytest.approx(3 * 5)
    assert result.site_totals["S"]["person_days"] == pytest.approx(5 * 1)


def test_a_closure_to_one_nationality_holds_only_its_people():
    """The same network, X closed days 0-5 to nationality P only. Two P and two Q people arrive at A
    at day 0, one Q at B: the P people cross X at 5; the Q people at A cross X at 0 (the closure spares
    them), and so does the one at B (by Y)."""
    result = run(build(
        ["crossing"], {"P": {"count": 2}, "Q": {"count": 3}},
        waves=[{"day": 0, "count": 4, "site": "A"}, {"day": 0, "count": 1, "site": "B"}], horizon=10,
        sites=TWO_CAMPS, stages={"crossing": INSTANT},
        crossings={"X": {"holding": "A", "closures": [{"from_day": 0.0, "until_day": 5.0, "nationalities": ["P"]}]},
                   "Y": {"holding": "B"}}))
    v = _by_victim(result)
    at_a = v[v["holding_site"] == "A"]
    assert sorted(at_a["nationality"]) == ["P", "P", "Q", "Q"] or sorted(at_a["nationality"]).count("P") <= 2
    expected = np.where(v["nationality"] == "P", 5.0, 0.0)
    _assert_times(v["crossed"], expected)
    assert (v.loc[v["holding_site"] == "A", "crossing"] == "X").all()
    assert (v.loc[v["holding_site"] == "B", "crossing"] == "Y").all()
