"""Charter flights and buses: ``max_wait``, the booking delay before boarding, the departures table and the
vehicle metrics.

The first tests drive a :class:`~sim.model.transport.Departures` on a bare ``simpy.Environment`` with
hand-written passengers, as in tests/test_resources.py; the later ones run tiny scenarios end to end. Every
expected time is worked out by hand in the test's docstring (times in days; binary fractions, so that the
equalities are exact).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import simpy
from model_helpers import build, run, scenario_dict

from sim.cli import main
from sim.experiment import run_one
from sim.model.transport import Departures
from sim.results.metrics import vehicle_metrics
from sim.scenario import ScenarioError, scenario_from_dict
from sim.scenario.schema import Transport

DEPARTURE_COLUMNS = {"replication": "int32", "mode": "str", "nationality": "str", "time": "float64",
                     "seats": "int32", "load": "int32", "cost": "float64"}


def passenger(env, departures, log, name, ready, vulnerable=False):
    """Ready (in the departure queue) at ``ready``; logs (name, time) when their vehicle leaves, or
    (name, "lost", time) when a loss interrupts them first."""
    if ready:
        yield env.timeout(ready)
    try:
        with departures.board(vulnerable) as seat:
            yield seat
        log.append((name, env.now))
    except simpy.Interrupt:
        log.append((name, "lost", env.now))


def departures_of(transport, people, losses=()):
    """Run the passengers ``people`` ((name, ready) or (name, ready, vulnerable)) on a bare environment;
    ``losses`` are (name, time) at which that passenger is interrupted. Returns (departure log, passenger
    log sorted)."""
    env = simpy.Environment()
    departures = Departures(env, Transport(**transport), "X")
    log: list = []
    processes = {person[0]: env.process(passenger(env, departures, log, *person)) for person in people}

    def lose(name, at):
        yield env.timeout(at)
        processes[name].interrupt("lost")

    for name, at in losses:
        env.process(lose(name, at))
    env.run()
    return departures.departure_log, sorted(log, key=str)


# ----------------------------------------------------------------------------------------------- max_wait


@pytest.mark.parametrize(("max_wait", "expected", "boarded"), [
    (None, [(0.5, 1), (1.0, 1), (2.0, 1), (4.0, 1)], {"a": 0.5, "b": 1.0, "c": 2.0, "d": 4.0}),
    (2.75, [(3.0, 3), (7.0, 1)], {"a": 3.0, "b": 3.0, "c": 3.0, "d": 7.0}),
])
def test_a_part_full_bus_leaves_once_the_first_ready_has_waited_max_wait(max_wait, expected, boarded):
    """Buses of 10 seats every 0.5 d (the timetable 0, 0.5, 1, ...); a ready at 0.25, b at 1, c at 2, d at 4.

    Without max_wait every timetabled bus takes whoever is ready: a on the 0.5 bus, b on the 1.0 one
    (ready at its slot), c at 2.0, d at 4.0.
    With max_wait 2.75: the part-full buses of 0.5 ... 2.5 are skipped (a, ready longest, has waited
    less than 2.75 d); at 3.0 a has waited 2.75 and the bus leaves with a, b and c. Then nobody is ready
    (no bus runs empty) until d at 4.0, who waits 2.75 d from joining: 6.75, so the 7.0 bus."""
    transport = {"mode": "overland", "seats": 10, "interval": 0.5, "max_wait": max_wait}
    log, people = departures_of(transport, [("a", 0.25), ("b", 1.0), ("c", 2.0), ("d", 4.0)])
    assert log == expected
    assert dict(people) == boarded


def test_a_full_bus_leaves_at_its_slot_before_max_wait_and_the_vulnerable_board_first():
    """2 seats every 0.5 d, max_wait 2.75; a ready at 0.25, b at 0.3, v (vulnerable) at 0.4.

    From 0.3 the bus is full: the 0.5 bus leaves (not a's 0.25 + 2.75 = 3.0) and takes v (vulnerable
    first) and a. b is left alone, ready since 0.3: part-full, so the buses wait until 0.3 + 2.75 = 3.05,
    i.e. the 3.5 bus."""
    transport = {"mode": "overland", "seats": 2, "interval": 0.5, "max_wait": 2.75}
    log, people = departures_of(transport, [("a", 0.25), ("b", 0.3), ("v", 0.4, True)])
    assert log == [(0.5, 2), (3.5, 1)]
    assert dict(people) == {"a": 0.5, "v": 0.5, "b": 3.5}


def test_min_load_still_holds_with_max_wait():
    """10 seats every 0.5 d, min_load 3, max_wait 1: a and b ready at 0.25. Their wait is over at 1.25,
    so the 1.5 bus is due, but 2 < min_load: no bus. c is ready at 2.2: the next slot is 2.5 (everyone
    has waited long enough), and the bus leaves then with all three."""
    transport = {"mode": "overland", "seats": 10, "min_load": 3, "interval": 0.5, "max_wait": 1.0}
    log, people = departures_of(transport, [("a", 0.25), ("b", 0.25), ("c", 2.2)])
    assert log == [(2.5, 3)]
    assert dict(people) == {"a": 2.5, "b": 2.5, "c": 2.5}


def test_a_lost_passenger_does_not_count_as_the_longest_waiting():
    """10 seats every 0.5 d, max_wait 2: gone (ready at 0.25) is lost at 0.75; b is ready at 1.0.

    Had gone still counted, the bus would leave at 0.25 + 2 = 2.25, so at 2.5. Without them, the wait is
    b's: 1.0 + 2 = 3.0, the 3.0 bus, with b alone; and nothing leaves empty at 2.5."""
    transport = {"mode": "overland", "seats": 10, "interval": 0.5, "max_wait": 2.0}
    log, people = departures_of(transport, [("gone", 0.25), ("b", 1.0)], losses=[("gone", 0.75)])
    assert log == [(3.0, 1)]
    assert people == [("b", 3.0), ("gone", "lost", 0.75)]


def test_a_lost_passenger_does_not_hold_a_charter():
    """Charter, 4 seats, lead time 0.5, interval 1, max_wait 3: gone ready at 0 (books a flight,
    available 0.5, due 1.5; held by max_wait to 3.0), lost at 1; b ready at 0.5. Without gone the
    flight waits for b's 0.5 + 3 = 3.5 and leaves then with b alone."""
    transport = {"mode": "charter", "seats": 4, "interval": 1.0, "lead_time": 0.5, "max_wait": 3.0}
    log, people = departures_of(transport, [("gone", 0.0), ("b", 0.5)], losses=[("gone", 1.0)])
    assert log == [(3.5, 1)]
    assert people == [("b", 3.5), ("gone", "lost", 1.0)]


@pytest.mark.parametrize(("max_wait", "expected"), [
    (None, [(1.5, 1), (3.25, 4), (4.75, 1), (6.5, 1)]),
    (0.25, [(1.5, 1), (3.25, 4), (4.75, 1), (6.5, 1)]),  # shorter than the waits the interval imposes anyway
    (3.0, [(3.0, 2), (3.75, 4), (8.0, 1)]),
])
def test_a_charter_with_max_wait(max_wait, expected):
    """Charter, 4 seats, lead time 0.5, interval 1: a ready at 0, b at 2, c d e f at 3.25, g at 5.

    No max_wait: a books a flight, available 0.5, due 0.5 + 1 = 1.5: it leaves with a. b books another
    at 2, available 2.5, due max(1.5, 2.5) + 1 = 3.5; at 3.25 e is the fourth ready and the available
    flight is full: it leaves at once with b, c, d, e. f books a flight, available 3.75, due
    max(3.25, 3.75) + 1 = 4.75. g books one at 5, available 5.5, due max(4.75, 5.5) + 1 = 6.5.
    max_wait 0.25: every due time above is already later than the first ready's wait (0.25, 2.25, 3.5,
    5.25): the same departures.
    max_wait 3: a's flight, due 1.5, waits for a's 0 + 3 = 3.0 and leaves with a and b (b needed no new
    flight). c-f book one at 3.25, available 3.75, full: it leaves then, without waiting. g's flight is
    due at 6.5 but waits for g's 5 + 3 = 8.0."""
    transport = {"mode": "charter", "seats": 4, "interval": 1.0, "lead_time": 0.5, "max_wait": max_wait}
    people = [("a", 0.0), ("b", 2.0)] + [(name, 3.25) for name in "cdef"] + [("g", 5.0)]
    log, boarded = departures_of(transport, people)
    assert log == expected
    assert sum(load for _, load in log) == len(boarded) == 7


def test_without_max_wait_a_charter_leaves_as_before():
    """No max_wait (the default): 10 seats, lead time 1, interval 2. a and b ready at 0 book one flight,
    available at 1 and due at 1 + 2 = 3: it leaves part-full with both. c ready at 3.5 books another,
    available 4.5, due max(3, 4.5) + 2 = 6.5."""
    transport = {"mode": "charter", "seats": 10, "interval": 2.0, "lead_time": 1.0}
    assert Transport(**transport).max_wait is None
    log, people = departures_of(transport, [("a", 0.0), ("b", 0.0), ("c", 3.5)])
    assert log == [(3.0, 2), (6.5, 1)]
    assert dict(people) == {"a": 3.0, "b": 3.0, "c": 6.5}


# ------------------------------------------------------------------------------------------ booking_delay


def _one_nationality(transport, count=2, funding=None, horizon=20.0):
    nationality = {"share": 1.0, "transport": transport}
    if funding:
        nationality["funding"] = funding
    return run(build(["transport"], {"A": nationality}, waves=[{"day": 0, "count": count}], horizon=horizon))


@pytest.mark.parametrize(("transport", "funding", "left"), [
    ({"mode": "charter", "seats": 2, "interval": 1.0, "lead_time": 0.5}, None, 2.0),
    ({"mode": "charter", "seats": 2, "interval": 1.0, "lead_time": 0.5}, {"mode": "appeal", "appeal_delay": 5.0}, 7.0),
    ({"mode": "overland", "seats": 44, "interval": 1.0}, None, 2.0),
])
def test_booking_delay_comes_before_the_departure_queue(transport, funding, left):
    """Two people at day 0, each with a booking delay of 36 h (1.5 d, fixed) after being funded.

    Charter (2 seats, lead time 0.5, interval 1), safe fund: both join the queue at 1.5 and book one
    flight, available at 2.0 and full: it leaves at 2.0 (without the delay it would leave at 0.5).
    Under an appeal funded at day 5: they join at 6.5; the flight is available and leaves at 7.0.
    Overland (a bus every day from day 0): they join at 1.5 and leave on the bus of 2.0."""
    result = _one_nationality({**transport, "booking_delay": "36h"}, funding=funding)
    assert result.departures["A"] == [(left, 2)]
    rows = result.stages[result.stages["stage"] == "transport"]
    funded = 5.0 if funding else 0.0
    assert list(rows["queued"]) == [0.0, 0.0]
    assert list(rows["started"]) == [funded, funded]
    assert list(rows["finished"]) == [left, left]
    assert list(result.victims["departed"]) == [left, left]


# ------------------------------------------------------------------------------ the departures table

MIXED = """
pipeline = ["registration", "transport"]
[scenario]
name = "{name}"
horizon_days = 60
seed = 3
[arrivals]
waves = [ {{ day = 0, count = 100, spread_days = 5 }} ]
[stages.registration]
staff = 2
duration = {{ dist = "exponential", mean = "2h" }}
[nationalities.A]
count = 30
[nationalities.A.transport]
mode = "charter"
seats = 8
interval = "1d"
lead_time = "12h"
cost_per_trip = 1000.0
cost_per_seat = 10.0
{wait_a}
[nationalities.B]
count = 50
[nationalities.B.transport]
mode = "overland"
seats = 12
interval = "6h"
cost_per_trip = 200.0
cost_per_seat = 5.0
{wait_b}
[nationalities.C]
count = 20
transport = {{ mode = "commercial", booking_delay = "1d", cost_per_seat = 800.0 }}
"""


def _mixed(name="Mixed", max_wait=True):
    """Charter A (max_wait 1 d), overland B (max_wait 12 h), commercial C; without max_wait if asked."""
    return MIXED.format(name=name, wait_a='max_wait = "1d"' if max_wait else "",
                        wait_b='max_wait = "12h"' if max_wait else "")


def _check_departures(table, replications):
    text = ("str", "string", "object")  # text columns: str under pandas 3, object before
    dtypes = {column: "str" if str(table[column].dtype) in text else str(table[column].dtype) for column in table}
    assert dtypes == DEPARTURE_COLUMNS
    assert sorted(table["replication"].unique()) == list(replications)
    assert set(zip(table["nationality"], table["mode"], table["seats"])) == {("A", "charter", 8),
                                                                           ("B", "overland", 12)}
    assert ((table["load"] >= 1) & (table["load"] <= table["seats"])).all()
    trips = table["nationality"].map({"A": 1000.0, "B": 200.0})
    per_seat = table["nationality"].map({"A": 10.0, "B": 5.0})
    assert table["cost"].to_numpy() == pytest.approx((trips + table["load"] * per_seat).to_numpy())


@pytest.mark.parametrize("max_wait", [True, False])
def test_the_departures_table_carries_every_returned_person_of_a_vehicle_nationality(max_wait):
    """One row per flight or bus (C flies commercially: no rows); the loads of A's and B's vehicles add
    up to the people of A and B who went home; the costs add up to the transport cost less C's tickets."""
    scenario = scenario_from_dict(tomllib.loads(_mixed(max_wait=max_wait)))
    result = run(scenario, replication=1)
    table = result.departure_table
    _check_departures(table, [1])
    assert table["time"].is_monotonic_increasing
    returned = result.victims[result.victims["status"] == "returned"].groupby("nationality")["victim_id"].count()
    assert table.groupby("nationality")["load"].sum().to_dict() == {"A": returned["A"], "B": returned["B"]}
    assert returned.sum() == 100  # no hazard, everyone is funded: all go home
    for name in ("A", "B"):
        rows = table[table["nationality"] == name]
        assert list(zip(rows["time"], rows["load"])) == result.departures[name]
    assert table["cost"].sum() + 20 * 800.0 == pytest.approx(result.totals["cost_transport"])


def test_run_and_compare_write_departures_parquet(tmp_path: Path):
    """``repatsim run`` and ``compare`` write departures.parquet beside victims.parquet, and
    replications.csv carries the vehicle metrics of each replication's departures."""
    waits, plain = tmp_path / "waits.toml", tmp_path / "plain.toml"
    waits.write_text(_mixed("Waits"), encoding="utf-8")
    plain.write_text(_mixed("Plain", max_wait=False), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(waits), "-o", str(out), "--no-plots", "-q", "-r", "2"]) == 0
    folders = [out]
    compared = tmp_path / "cmp"
    assert main(["compare", str(plain), str(waits), "-o", str(compared), "--no-plots", "-q", "-r", "2"]) == 0
    folders += [compared / "plain", compared / "waits"]
    for folder in folders:
        assert (folder / "victims.parquet").exists()
        table = pd.read_parquet(folder / "departures.parquet")
        _check_departures(table, [0, 1])
        reps = pd.read_csv(folder / "replications.csv").set_index("replication")
        by_replication = table.groupby("replication")
        assert reps["vehicle_trips"].to_dict() == by_replication.size().astype(float).to_dict()
        factor = by_replication["load"].sum() / by_replication["seats"].sum()
        assert reps["vehicle_load_factor"].to_numpy() == pytest.approx(factor.to_numpy())
        metrics = pd.read_csv(folder / "metrics.csv").set_index("metric")
        assert {"vehicle_trips", "vehicle_load_factor"} <= set(metrics.index)
    # waiting for fuller vehicles means fewer, fuller ones (same arrivals: common random numbers)
    plain_reps = pd.read_csv(compared / "plain" / "replications.csv")
    waits_reps = pd.read_csv(compared / "waits" / "replications.csv")
    assert (waits_reps["vehicle_trips"] < plain_reps["vehicle_trips"]).all()
    assert (waits_reps["vehicle_load_factor"] > plain_reps["vehicle_load_factor"]).all()


# ----------------------------------------------------------------------------------------------- metrics


def test_the_vehicle_metrics_on_a_hand_case():
    """Trips of 10, 10 and 44 seats carrying 10, 3 and 11 people: 3 trips, 24 / 64 = 0.375 of the seats
    used. No departure: 0 trips and no load factor; no table: both unknown."""
    table = pd.DataFrame({"seats": [10, 10, 44], "load": [10, 3, 11]})
    assert vehicle_metrics(table) == {"vehicle_trips": 3.0, "vehicle_load_factor": 0.375}
    empty = vehicle_metrics(table.iloc[:0])
    assert empty["vehicle_trips"] == 0.0 and math.isnan(empty["vehicle_load_factor"])
    assert all(math.isnan(value) for value in vehicle_metrics(None).values())


def test_the_vehicle_metrics_of_a_replication():
    """Charter of 4 seats, no lead time, interval 1: six people at day 0 book two flights, both available
    at once. The first is full and leaves at 0 with 4; the second is part-full and leaves at 0 + 1 = 1
    with 2. Two trips, 6 people on 8 seats: 0.75."""
    scenario = build(["transport"], {"A": {"share": 1.0, "transport": {"mode": "charter", "seats": 4,
                                                                        "interval": 1.0}}},
                     waves=[{"day": 0, "count": 6}], horizon=10)
    output = run_one(scenario, 0, 0)
    assert output.result is not None and output.result.departures["A"] == [(0.0, 4), (1.0, 2)]
    assert output.metrics["vehicle_trips"] == 2.0
    assert output.metrics["vehicle_load_factor"] == 0.75
    commercial = build(["transport"], waves=[{"day": 0, "count": 6}], horizon=10)
    lean = run_one(commercial, 0, 0, keep_tables=False)
    assert lean.metrics["vehicle_trips"] == 0.0 and math.isnan(lean.metrics["vehicle_load_factor"])


# -------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("table", ["nationality", "defaults"])
def test_max_wait_is_refused_for_commercial_flights(table):
    """max_wait with mode commercial (set on a nationality, or in the defaults every nationality takes)
    is an error at that key."""
    if table == "nationality":
        data = scenario_dict(["transport"], {"A": {"share": 1.0, "transport": {"mode": "commercial",
                                                                               "max_wait": 1.0}}},
                             waves=[{"day": 0, "count": 2}])
        path = "nationalities.A.transport.max_wait"
    else:
        data = scenario_dict(["transport"], waves=[{"day": 0, "count": 2}],
                             nationality_defaults={"transport": {"max_wait": "2d"}})
        path = "nationality_defaults.transport.max_wait"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert [issue.path for issue in info.value.issues] == [path]
    assert "charter and overland" in info.value.issues[0].message


def test_max_wait_takes_a_duration_for_vehicles():
    assert Transport(mode="overland", seats=44, interval=0.25, max_wait="2d").max_wait == 2.0
    assert Transport(mode="charter", seats=76, interval=0.5, max_wait="6h").max_wait == 0.25
