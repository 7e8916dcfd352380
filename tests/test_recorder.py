"""The recorder's occupancy log, built after the run from the stamps, and the exposure's look-ups in it.

The log merges three time-ordered runs of stamps (arrivals, crossings, departures) behind a first row of
zeros. Its rows must be those of a stable sort of all stamps (arrivals before crossings before departures
at equal days, so no count goes negative), and each victim's rows must point at their own stamps.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.exposure import SiteIntegrals
from sim.model.recorder import Recorder, _merge_rows


def _stable_rows(runs):
    """The reference: every entry's row in a stable sort of [0, *runs...]."""
    order = np.argsort(np.concatenate([np.zeros(1), *runs]), kind="stable")
    rows = np.empty(len(order), dtype=np.intp)
    rows[order] = np.arange(len(order))
    bounds = np.cumsum([1] + [len(run) for run in runs])
    return [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def test_merge_rows_by_hand():
    """Days 0, 1, 2 / 1, 3 / 1, 2: the first row is day 0's zero row, then arrivals, crossings and
    departures of equal days in that order."""
    arrivals, crossings, departures = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0]), np.array([1.0, 2.0])
    rows = _merge_rows((arrivals, crossings, departures))
    # merged: [0 (first row), A 0.0, A 1.0, B 1.0, C 1.0, A 2.0, C 2.0, B 3.0]
    assert [list(r) for r in rows] == [[1, 2, 5], [3, 7], [4, 6]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), max_size=12), min_size=3, max_size=3))
def test_merge_rows_matches_a_stable_sort(values):
    """Sorted runs full of ties (whole days, day 0 included, runs possibly empty)."""
    runs = tuple(np.sort(np.array(v, dtype=float)) for v in values)
    for got, expected in zip(_merge_rows(runs), _stable_rows(runs)):
        np.testing.assert_array_equal(got, expected)


def test_merge_rows_sorts_a_run_out_of_order():
    runs = (np.array([0.5, 2.0]), np.array([3.0, 1.0]), np.array([], dtype=float))
    for got, expected in zip(_merge_rows(runs), _stable_rows(runs)):
        np.testing.assert_array_equal(got, expected)


def _recorder():
    """Five people: 0 and 1 arrive at day 1, cross at day 2 (0 first) and depart at day 3 (1 first);
    2 arrives at day 2 and is lost from holding at day 3; 3 arrives at day 3 and stays; 4 never arrives."""
    recorder = Recorder(5, ("registration",))
    recorder.arrived[:] = [1.0, 1.0, 2.0, 3.0, np.nan]
    recorder.crossed[:2] = [2.0, 2.0]
    recorder.crossing_order.extend([0, 1])
    recorder.departed[:3] = [3.0, 3.0, 3.0]
    recorder.departure_order.extend([1, 0, 2])
    return recorder


def test_occupancy_log_by_hand():
    day, counts = _recorder().occupancy_log()
    holding, shelter = counts[0], counts[1]
    # rows: 0 | A0 1, A1 1 | A2 2, B0 2, B1 2 | A3 3, C1 3, C0 3, C2 3
    np.testing.assert_array_equal(day, [0, 1, 1, 2, 2, 2, 3, 3, 3, 3])
    np.testing.assert_array_equal(holding, [0, 1, 2, 3, 2, 1, 2, 2, 2, 1])
    np.testing.assert_array_equal(shelter, [0, 0, 0, 0, 1, 2, 2, 1, 0, 0])
    assert holding.dtype == np.int64 and shelter.dtype == np.int64


def test_log_rows_point_at_each_victims_own_stamps():
    recorder = _recorder()
    day, _ = recorder.occupancy_log()
    arrival, crossing, departure = recorder.log_rows()
    np.testing.assert_array_equal(arrival, [1, 2, 3, 6, -1])
    np.testing.assert_array_equal(crossing, [4, 5, -1, -1, -1])
    np.testing.assert_array_equal(departure, [8, 7, 9, -1, -1])
    for rows, stamps in ((arrival, recorder.arrived), (crossing, recorder.crossed), (departure, recorder.departed)):
        known = rows >= 0
        np.testing.assert_array_equal(day[rows[known]], stamps[known])
        assert np.isnan(stamps[~known]).all()


@pytest.mark.parametrize("capacity, factor", [(None, 0.0), (2, 1.5)])
def test_integrals_at_a_known_row_equal_a_search(capacity, factor):
    """Any row of a day gives C0 and C1 identical (to the bit) to the last row of that day, which a search
    finds: the zero-length rows in between add nothing."""
    recorder = _recorder()
    day, counts = recorder.occupancy_log()
    holding = counts[0]
    integrals = SiteIntegrals(np.append(day, 5.0), np.append(holding, holding[-1]), capacity, factor)
    rows = np.arange(len(day) + 1)
    x = integrals.times[rows]
    searched = integrals.rows_at(x)
    assert (searched >= rows).all() and (searched > rows).any()  # equal days: the search finds the last
    for given_rows, found in zip(integrals.at(x, rows), integrals.at(x)):
        np.testing.assert_array_equal(given_rows, found)
