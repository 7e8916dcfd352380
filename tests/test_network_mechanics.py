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
from hypothesis import HealthCheck, given, settings
from model_helpers import build, in_force, random_scenario, run, site_of_stage, stage
from test_model_invariants import CHECKS

from sim.model import run_replication
from sim.scenario import scenario_from_dict

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
    at day 0 (counts are exact): the P people cross X at 5; the Q people cross X at 0 (the closure
    spares them). Nobody takes Y (it does not leave from A)."""
    result = run(build(
        ["crossing"], {"P": {"count": 2}, "Q": {"count": 2}},
        waves=[{"day": 0, "count": 4, "site": "A"}], horizon=10,
        sites=TWO_CAMPS, stages={"crossing": INSTANT},
        crossings={"X": {"holding": "A", "closures": [{"from_day": 0.0, "until_day": 5.0, "nationalities": ["P"]}]},
                   "Y": {"holding": "B"}}))
    v = _by_victim(result)
    assert sorted(v["nationality"]) == ["P", "P", "Q", "Q"]
    assert (v["holding_site"] == "A").all() and (v["crossing"] == "X").all()
    _assert_times(v["crossed"], np.where(v["nationality"] == "P", 5.0, 0.0))
    a = _occupancy(result, "A")
    assert [a[d] for d in range(6)] == [2, 2, 2, 2, 2, 0]


# ------------------------------------------------------------------------------------------- routing


ONE_CAMP = {"H": {"kind": "holding"}, "S": {"kind": "shelter"}}


def _check_conservation(v, counts):
    """Everyone crossed exactly once (one crossing stamp, one crossing label, into the one shelter), and
    the crossings carried ``counts`` people."""
    assert v["crossed"].notna().all()
    assert v["crossing"].value_counts().to_dict() == counts
    assert (v["shelter_site"] == "S").all()


def test_shortest_queue_shares_the_load_by_expected_wait():
    """One holding site H, crossings X (10 a day) then Y (5 a day), both at the site (travel 0), instant
    checks; shortest_queue. Thirty people at day 0 reach the crossing stage one after the other. Expected
    wait = ahead / cap (no travel, no closure); ties go to X; someone whose check starts at once is no
    longer ahead of anyone.

    p0-p9: 0 vs 0 -> X, cross at 0 (X's quota for day 0 is then spent).
    p10: 0 vs 0 -> X, waits (X ahead 1: 0.1).
    p11-p15: 0.1 vs 0 -> Y, cross at 0 (Y's quota spent).
    p16: 0.1 vs 0 -> Y, waits (Y 0.2).
    then X, X, Y repeating (X's wait, Y's wait -> choice): p17 0.1, 0.2 -> X; p18 0.2, 0.2 -> X (tie);
    p19 0.3, 0.2 -> Y; p20 0.3, 0.4 -> X; p21 0.4, 0.4 -> X; p22 0.5, 0.4 -> Y; p23 0.5, 0.6 -> X;
    p24 0.6, 0.6 -> X; p25 0.7, 0.6 -> Y; p26 0.7, 0.8 -> X; p27 0.8, 0.8 -> X; p28 0.9, 0.8 -> Y;
    p29 0.9, 1.0 -> X (the ties are exact: k / 10 and (k / 2) / 5 are the same double).
    On day 1 the ten waiting at X and the five at Y all cross at 1.0 (within both caps).
    X carries 10 + 10 = 20, Y 5 + 5 = 10."""
    result = run(build(
        ["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 30}], horizon=10, sites=ONE_CAMP,
        stages={"crossing": INSTANT}, routing={"policy": "shortest_queue"},
        crossings={"X": {"daily_capacity": 10}, "Y": {"daily_capacity": 5}}))
    v = _by_victim(result)
    x_now, x_later = list(range(10)), [10, 17, 18, 20, 21, 23, 24, 26, 27, 29]
    y_now, y_later = list(range(11, 16)), [16, 19, 22, 25, 28]
    expected_crossing = {**dict.fromkeys(x_now + x_later, "X"), **dict.fromkeys(y_now + y_later, "Y")}
    expected_time = {**dict.fromkeys(x_now + y_now, 0.0), **dict.fromkeys(x_later + y_later, 1.0)}
    assert list(v["crossing"]) == [expected_crossing[i] for i in range(30)]
    _assert_times(v["crossed"], [expected_time[i] for i in range(30)])
    _check_conservation(v, {"X": 20, "Y": 10})
    assert result.crossings_per_day == {0: 15, 1: 15}
    assert result.site_totals["X"]["most_in_a_day"] == 10 and result.site_totals["Y"]["most_in_a_day"] == 5


def test_shortest_queue_weighs_a_closure_against_travel_and_queue():
    """X (listed first, at the site, no cap) is closed to everyone days 0-2; Y is 0.5 d away with 2
    checks a day. Six people at day 0; expected waits: X = 0 + max(2 - 0, 0) = 2 (unlimited checks: no
    queue term); Y = 0.5 + ahead / 2, where everyone travelling to Y is ahead.
    p0: Y 0.5 -> Y; p1: Y 1.0 -> Y; p2: Y 1.5 -> Y; p3: Y 2.0 = X 2.0, tie -> X; p4, p5: the same tie
    -> X (X's wait does not grow with its queue: no cap, unlimited staff).
    Y's people reach it at 0.5: two checks on day 0 (0.5, 0.5), the third at 1.0. X's cross at 2."""
    result = run(build(
        ["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 6}], horizon=10, sites=ONE_CAMP,
        stages={"crossing": INSTANT}, routing={"policy": "shortest_queue"},
        crossings={"X": {"closures": [{"from_day": 0.0, "until_day": 2.0}]},
                   "Y": {"travel_days": 0.5, "daily_capacity": 2}}))
    v = _by_victim(result)
    assert list(v["crossing"]) == ["Y", "Y", "Y", "X", "X", "X"]
    _assert_times(v["crossed"], [0.5, 0.5, 1.0, 2.0, 2.0, 2.0])
    _check_conservation(v, {"Y": 3, "X": 3})
    rows = stage(result, "crossing")
    _assert_times(rows["queued"], [0.0] * 6)  # the stage starts at the holding site, before the travel


def test_nearest_takes_the_least_travel_whatever_the_queue():
    """nearest; X is 1 d away with no cap, Y (listed second) 0.25 d away with 10 checks a day. Thirty
    people at day 0 all take Y: ten cross at 0.25, ten when day 1 starts, ten at day 2; X carries no
    one (its empty queue does not matter)."""
    result = run(build(
        ["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 30}], horizon=10, sites=ONE_CAMP,
        stages={"crossing": INSTANT}, routing={"policy": "nearest"},
        crossings={"X": {"travel_days": 1.0}, "Y": {"travel_days": 0.25, "daily_capacity": 10}}))
    v = _by_victim(result)
    _check_conservation(v, {"Y": 30})
    _assert_times(v["crossed"], [0.25] * 10 + [1.0] * 10 + [2.0] * 10)
    assert result.crossings_per_day == {0: 10, 1: 10, 2: 10}


# ------------------------------------------------------------------------------------- consular teams


TWO_CAMP_CROSSINGS = {"X": {"holding": "A"}, "Y": {"holding": "B"}}


def _identity_at_two_camps(consular, at_a=4, at_b=4):
    """Identity interviews of 1 d (no records delay) by nationality P's team; ``at_a`` people arrive at
    A and ``at_b`` at B at day 0 (victims 0.. at A first)."""
    return run(build(
        ["identity"], {"P": {"share": 1.0, "consular": consular}},
        waves=[{"day": 0, "count": at_a, "site": "A"}, {"day": 0, "count": at_b, "site": "B"}], horizon=20,
        sites=TWO_CAMPS, crossings=TWO_CAMP_CROSSINGS,
        stages={"identity": {"duration": 1.0, "records_delay": 0.0}}))


def test_a_split_team_serves_each_site_with_its_own_officers():
    """Three officers split over A and B (A first: it gets the remainder): 2 at A, 1 at B, on site at
    day 0. Four people at each site at day 0, interviews of 1 d. A (c = 2): starts 0, 0, 1, 1, ends 1,
    1, 2, 2. B (c = 1): starts 0, 1, 2, 3, ends 1, 2, 3, 4. A's officers never serve B's queue."""
    result = _identity_at_two_camps(_team(3, deployment="split", sites=["A", "B"]))
    rows = stage(result, "identity")
    _assert_times(rows["started"], [0, 0, 1, 1] + [0, 1, 2, 3])
    _assert_times(rows["finished"], [1, 1, 2, 2] + [1, 2, 3, 4])
    _assert_times(_by_victim(result)["departed"], [1, 1, 2, 2, 1, 2, 3, 4])


def test_a_split_team_listing_the_other_site_first_swaps_the_shares():
    """The same with sites = [B, A]: B gets the remainder (2 officers), A 1. A: 0, 1, 2, 3; B: 0, 0, 1, 1."""
    result = _identity_at_two_camps(_team(3, deployment="split", sites=["B", "A"]))
    _assert_times(stage(result, "identity")["started"], [0, 1, 2, 3] + [0, 0, 1, 1])


def test_a_team_together_serves_both_sites_as_one_pool():
    """The same three officers together: one pool for both sites, first come first served. The eight
    requests are queued in order of victim id (A's four, then B's): starts 0, 0, 0 (v0-v2), 1, 1, 1
    (v3-v5), 2, 2 (v6, v7): A's are 0, 0, 0, 1 and B's 1, 1, 2, 2."""
    result = _identity_at_two_camps(_team(3, deployment="together", sites=["A", "B"]))
    _assert_times(stage(result, "identity")["started"], [0, 0, 0, 1] + [1, 1, 2, 2])


def test_a_team_one_at_a_time_moves_when_its_site_is_done():
    """Two officers, one_at_a_time over A then B, move_days 0.5. Three people at A and two at B at day 0,
    interviews of 1 d. The team starts at A: v0, v1 at 0-1, v2 at 1-2 (B's people wait: the team is not
    there). At 2 no one at A waits or is served; B's two wait: the team leaves, arrives at B at 2.5 and
    serves both at once, 2.5-3.5."""
    result = _identity_at_two_camps(_team(2, deployment="one_at_a_time", sites=["A", "B"], move_days=0.5),
                                    at_a=3, at_b=2)
    rows = stage(result, "identity")
    _assert_times(rows["started"], [0, 0, 1, 2.5, 2.5])
    _assert_times(rows["finished"], [1, 1, 2, 3.5, 3.5])


def test_a_roaming_team_comes_back_for_late_arrivals():
    """One officer, one_at_a_time over A then B, move_days 1. Two people at A at day 0, one at B at day 0,
    one more at A at day 3. The team serves A 0-1, 1-2; moves (2-3) to B, serves 3-4; meanwhile the
    person arriving at A at 3 waits; at 4 no one at B waits: the team moves back (4-5) and serves A's
    last person 5-6."""
    result = run(build(
        ["identity"], {"P": {"share": 1.0, "consular": _team(1, deployment="one_at_a_time", sites=["A", "B"],
                                                           move_days=1.0)}},
        waves=[{"day": 0, "count": 2, "site": "A"}, {"day": 0, "count": 1, "site": "B"},
               {"day": 3, "count": 1, "site": "A"}], horizon=20,
        sites=TWO_CAMPS, crossings=TWO_CAMP_CROSSINGS,
        stages={"identity": {"duration": 1.0, "records_delay": 0.0}}))
    v = _by_victim(result)
    assert list(v["holding_site"]) == ["A", "A", "B", "A"]
    rows = stage(result, "identity")
    _assert_times(rows["started"], [0, 1, 3, 5])
    _assert_times(rows["finished"], [1, 2, 4, 6])


# ------------------------------------------------------------------------------------------ release pace


@pytest.mark.parametrize(("changes", "per_day"), [
    ([], [3, 3, 3, 3]),
    ([{"day": 2.0, "per_day": 5}], [3, 3, 5, 1]),
])
def test_a_holding_site_releases_people_at_its_pace(changes, per_day):
    """H releases at most 3 people a day to the crossing (an instant check, no cap). Twelve people at day
    0: three cross at 0, three when day 1 starts, three at 2, three at 3. With the pace raised to 5 from
    day 2: 3 at 0, 3 at 1, 5 at 2, the last one at 3. Everyone crosses at the start of a day (the
    release waits for the next day, nothing else takes time)."""
    sites = {"H": {"kind": "holding", "release_per_day": 3, "release_changes": changes}, "S": {"kind": "shelter"}}
    result = run(build(["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 12}], horizon=10,
                       sites=sites, stages={"crossing": INSTANT}))
    crossed = _by_victim(result)["crossed"]
    _assert_times(crossed, np.repeat([0.0, 1.0, 2.0, 3.0], per_day))
    h = _occupancy(result, "H")
    assert [h[d] for d in range(5)] == list(12 - np.cumsum(per_day)) + [0]


def test_the_release_pace_and_the_crossing_cap_both_hold():
    """Pace 4 a day at H, crossing cap 3 a day; seven people at day 0 (instant check). Day 0: four are
    released, three cross, one waits at the border; day 1: three more released (all that is left), the
    one waiting and two of them cross (cap 3); day 2: the last one. Crossed: 0 x3, 1 x3, 2 x1."""
    sites = {"H": {"kind": "holding", "release_per_day": 4}, "S": {"kind": "shelter"}}
    result = run(build(["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 7}], horizon=10,
                       sites=sites, stages={"crossing": INSTANT}, crossing={"daily_capacity": 3}))
    _assert_times(_by_victim(result)["crossed"], [0, 0, 0, 1, 1, 1, 2])
    assert result.crossings_per_day == {0: 3, 1: 3, 2: 1}


# ------------------------------------------------------------------------------ nationalities and sites


def test_holding_site_puts_a_nationality_at_its_site_whatever_the_wave():
    """P is held at B (holding_site); Q names no site. One wave of two P and three Q people arrives at
    A at day 0: the P people are at B and take Y (B -> S, 1 d away), crossing at 1; the Q people stay at
    A and take X (at the site), crossing at 0."""
    result = run(build(
        ["crossing"], {"P": {"count": 2, "holding_site": "B"}, "Q": {"count": 3}},
        waves=[{"day": 0, "count": 5, "site": "A"}], horizon=10, sites=TWO_CAMPS, stages={"crossing": INSTANT},
        crossings={"X": {"holding": "A"}, "Y": {"holding": "B", "travel_days": 1.0}}))
    v = _by_victim(result)
    p = v["nationality"] == "P"
    assert p.sum() == 2
    assert (v.loc[p, "holding_site"] == "B").all() and (v.loc[~p, "holding_site"] == "A").all()
    assert (v.loc[p, "crossing"] == "Y").all() and (v.loc[~p, "crossing"] == "X").all()
    _assert_times(v["crossed"], np.where(p, 1.0, 0.0))


def test_shelter_site_restricts_a_nationality_to_crossings_into_it():
    """One holding site H, shelters S1 and S2; X (H -> S1) at the site, Y (H -> S2) 1 d away; nearest.
    P must go to S2 (shelter_site): only Y is open to it, though X is nearer; Q takes X. Two of each at
    day 0: Q cross X into S1 at 0, P cross Y into S2 at 1."""
    sites = {"H": {"kind": "holding"}, "S1": {"kind": "shelter"}, "S2": {"kind": "shelter"}}
    result = run(build(
        ["crossing"], {"P": {"count": 2, "shelter_site": "S2"}, "Q": {"count": 2}},
        waves=[{"day": 0, "count": 4}], horizon=10, sites=sites, stages={"crossing": INSTANT},
        crossings={"X": {"shelter": "S1"}, "Y": {"shelter": "S2", "travel_days": 1.0}}))
    v = _by_victim(result)
    p = v["nationality"] == "P"
    assert list(v.loc[p, "crossing"]) == ["Y", "Y"] and list(v.loc[~p, "crossing"]) == ["X", "X"]
    assert list(v.loc[p, "shelter_site"]) == ["S2", "S2"] and list(v.loc[~p, "shelter_site"]) == ["S1", "S1"]
    _assert_times(v["crossed"], np.where(p, 1.0, 0.0))


# ------------------------------------------------------------------------------- per-crossing totals


def test_a_crossing_no_one_took_reports_zero_in_a_day():
    """nearest: X (cap 5 a day, 1 d away) loses every one of the four people to Y (at the site, no cap, no
    staff to wait for): no one crossed by X, so its most_in_a_day is 0; all four crossed by Y at 0, so
    Y's is 4 (docs/outputs.md: the most people who crossed by it in one model day)."""
    result = run(build(["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 4}], horizon=10,
                       sites=ONE_CAMP, stages={"crossing": INSTANT},
                       crossings={"X": {"travel_days": 1.0, "daily_capacity": 5}, "Y": {}}))
    assert (result.victims["crossing"] == "Y").all()
    _assert_times(_by_victim(result)["crossed"], [0, 0, 0, 0])
    assert result.site_totals["X"]["most_in_a_day"] == 0
    assert result.site_totals["Y"]["most_in_a_day"] == 4


def test_a_staffed_crossing_without_a_cap_counts_its_crossings():
    """One border officer, checks of 0.25 d, no cap; three people at day 0 start their checks at 0, 0.25
    and 0.5 and cross at 0.25, 0.5 and 0.75, all on day 0: most_in_a_day is 3."""
    result = run(build(["crossing"], {"P": {"share": 1.0}}, waves=[{"day": 0, "count": 3}], horizon=10,
                       stages={"crossing": {"staff": 1, "duration": 0.25}}))
    _assert_times(stage(result, "crossing")["started"], [0, 0.25, 0.5])
    _assert_times(_by_victim(result)["crossed"], [0.25, 0.5, 0.75])
    assert result.site_totals["crossing"]["most_in_a_day"] == 3


# ------------------------------------------------------------------------------------- one-site back-compat


def test_the_one_crossing_written_out_gives_the_same_people_and_times():
    """A one-site scenario with its crossing in [crossing] only, and the same written as one explicit
    [crossings.main] naming its holding site and shelter: identical victims and stages tables (random
    durations, a cap, a closure, losses), except the crossing's name."""
    settings = {"daily_capacity": 7, "closures": [{"from_day": 1.0, "until_day": 2.5}]}
    common = dict(
        pipeline=["registration", "crossing", "screening", "transport"],
        nationalities={"P": {"share": 0.6, "vulnerable": 0.3}, "Q": {"share": 0.4}},
        waves=[{"day": 0, "count": 60, "spread_days": 3.0}], horizon=20, seed=7,
        sites={"holding": {"capacity": 30, "hazard_per_day": 0.05}, "shelter": {"capacity": 20}},
        exposure={"mode": "sampled"},
        stages={"registration": {"staff": 2, "duration": {"dist": "exponential", "mean": 0.1}},
                "crossing": {"staff": 1, "duration": {"dist": "uniform", "min": 0.01, "max": 0.05}},
                "screening": {"staff": 1, "duration": 0.2, "policy": "full"}})
    implicit = run(build(crossing=settings, **common))
    explicit = run(build(crossings={"main": {"holding": "holding", "shelter": "shelter", **settings}}, **common))
    assert set(implicit.victims["crossing"].dropna()) == {"crossing"}
    assert set(explicit.victims["crossing"].dropna()) == {"main"}
    assert implicit.victims["crossed"].notna().sum() > 30 and (implicit.victims["status"] == "lost").any()
    pd.testing.assert_frame_equal(implicit.victims.drop(columns="crossing"),
                                  explicit.victims.drop(columns="crossing"))
    pd.testing.assert_frame_equal(implicit.stages, explicit.stages)
    pd.testing.assert_frame_equal(implicit.occupancy, explicit.occupancy)


# ------------------------------------------------------------------------------ random small networks


def _network_rules_hold(scenario, result):
    """Who crossed where, when: each crossed person's crossing leaves from their holding site into a
    shelter their nationality may go to; their holding site is their nationality's own or their
    wave's; no check starts while the crossing is closed to them; each holding site's crossers by the end
    of each day stay within its release pace; under nearest, the person took the nearest crossing of their
    site (the first listed on a tie). (Each crossing's daily cap is an invariant of
    tests/test_model_invariants.py.)"""
    victims = result.victims.set_index("victim_id").sort_index()
    crossed = victims[victims["crossed"].notna()]
    if "crossing" not in scenario.pipeline:
        assert victims["crossing"].isna().all()
        return
    started = stage(result, "crossing")["started"]
    for name, config in scenario.crossings.items():
        mine = crossed[crossed["crossing"] == name]
        assert (mine["holding_site"] == config.holding).all() and (mine["shelter_site"] == config.shelter).all()
        for nationality, people in mine.groupby("nationality"):
            wanted = scenario.nationalities[nationality].shelter_site
            assert wanted in (None, config.shelter)
            for closure in config.closures:
                if nationality in closure.nationalities or (not closure.nationalities
                                                            and nationality not in closure.open_to):
                    at = started[people.index]
                    assert not ((at >= closure.from_day) & (at < closure.until_day)).any(), (name, closure)
        if scenario.routing.policy == "nearest":
            here = [(c.travel_days, n) for n, c in scenario.crossings.items() if c.holding == config.holding]
            for nationality in mine["nationality"].unique():
                wanted = scenario.nationalities[nationality].shelter_site
                open_to = [n for days, n in here if wanted in (None, scenario.crossings[n].shelter)]
                nearest = min(open_to, key=lambda n: scenario.crossings[n].travel_days)
                assert nearest == name, (nationality, name, nearest)
    for nationality, config in scenario.nationalities.items():
        if config.holding_site is not None:
            assert (victims.loc[victims["nationality"] == nationality, "holding_site"] == config.holding_site).all()
    for name, site in scenario.sites.items():
        if site.kind != "holding" or site.release_per_day is None:
            continue
        changes = [(c.day, c.per_day) for c in site.release_changes]
        days = np.floor(crossed.loc[crossed["holding_site"] == name, "crossed"]).astype(int)
        for day in range(int(days.max()) + 1 if len(days) else 0):
            allowed = sum(in_force(site.release_per_day, changes, d) for d in range(day + 1))
            assert (days <= day).sum() <= allowed, (name, day)


def _roaming_teams_move_between_services(scenario, result):
    """A one_at_a_time team serves one site at a time: two of its consular services at different sites,
    one after the other, start at least move_days apart (it moved in between)."""
    victims = result.victims.set_index("victim_id").sort_index()
    consular = [n for n in scenario.pipeline if n != "transport" and scenario.stage_config(n).servers == "consular"]
    remote = set(scenario.database.remote_stages)
    for team, config in scenario.nationalities.items():
        if config.consular.represented_by is not None or config.consular.deployment != "one_at_a_time":
            continue
        served = [n for n in scenario.nationalities if scenario.team_of(n) == team]
        starts = []
        for name in consular:
            rows = stage(result, name)
            sites = site_of_stage(scenario, victims, name)
            for nationality in served:
                if name in remote and scenario.is_connected(nationality):
                    continue  # the home desk's work, not the team's
                mine = rows[(rows["nationality"] == nationality) & rows["started"].notna()
                            & (rows["queued"] < rows["finished"])]  # a zero-time stage may pass anywhere
                starts += list(zip(mine["started"], sites[mine.index]))
        starts.sort()
        for (t0, s0), (t1, s1) in zip(starts, starts[1:]):
            if s0 != s1:
                assert t1 - t0 >= config.consular.move_days - 1e-9, (team, (t0, s0), (t1, s1))


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_scenario())
def test_invariants_on_random_small_networks(raw):
    """On random small scenarios, a third of them networks with staff at each site: every invariant of
    tests/test_model_invariants.py (staff pools per site, caps and admission per crossing) and the
    network's own rules above."""
    scenario = scenario_from_dict(raw)
    result = run_replication(scenario, 0)
    for check in CHECKS:
        check(scenario, result)
    _network_rules_hold(scenario, result)
    _roaming_teams_move_between_services(scenario, result)
