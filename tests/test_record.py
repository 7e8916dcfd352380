"""The model against the record: the observed file's parser, the band and score on hand-computed cases, the
model's counts against the model's own occupancy log, and ``repatsim record`` / ``run`` end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_helpers import occupancy_by_kind

import sim
from sim.cli import main
from sim.report.plots.returns import cumulative_returned
from sim.results.record import (
    COLUMNS,
    ObservedError,
    daily_curves,
    model_bands,
    model_values,
    parse_observed,
    read_record,
    record_table,
    score,
)
from sim.scenario import ScenarioError, load_scenario

HEADER = ",".join(COLUMNS)
NATIONALITIES = ["Kazakhstan", "Kyrgyzstan"]
START = pd.Timestamp("2025-02-12").date()

GOOD = f"""{HEADER}
5,2025-02-17,,waiting,90,80,100,R1
20,,,returned_cumulative,30,20,40,"R2, table 3"

30,2025-03-14,Kazakhstan,in_shelter,10,,,R3
10,,Kyrgyzstan,crossed_cumulative,12,10,,R4
"""


def with_observed(text: str, observed: str = "observed/tiny.csv") -> str:
    return text.replace("replications = 2\n", f'replications = 2\nobserved = "{observed}"\n')


def write_case(folder: Path, tiny: str, csv_text: str = GOOD) -> Path:
    """A scenario that names observed/tiny.csv, and that file; returns the scenario's path."""
    (folder / "observed").mkdir(parents=True, exist_ok=True)
    (folder / "observed" / "tiny.csv").write_text(csv_text, encoding="utf-8")
    scenario = folder / "tiny.toml"
    scenario.write_text(with_observed(tiny), encoding="utf-8")
    return scenario


# ----------------------------------------------------------------------------------------------- parser


def test_a_good_file_is_read_with_its_types_and_defaults():
    table = parse_observed(GOOD, NATIONALITIES, 60, START)
    assert list(table.columns) == list(COLUMNS)
    assert table["day"].tolist() == [5, 20, 30, 10] and table["day"].dtype == np.int64
    assert table["nationality"].tolist() == ["", "", "Kazakhstan", "Kyrgyzstan"]  # empty: the whole operation
    assert table.loc[2, ["value", "low", "high"]].tolist() == [10.0, 10.0, 10.0]  # no range: exact
    assert table.loc[3, ["low", "high"]].tolist() == [10.0, 12.0]  # an empty end is the value
    assert table.loc[1, "source"] == "R2, table 3"


BAD_ROWS = [  # (row, column named, words the message must hold)
    ("5,,,returned,1,1,1,R", "metric", ["allowed: returned_cumulative, crossed_cumulative", "did you mean"]),
    ("5,,Kazakstan,waiting,1,1,1,R", "nationality", ["did you mean Kazakhstan?", "allowed: Kazakhstan, Kyrgyzstan"]),
    ("5.5,,,waiting,1,1,1,R", "day", ["whole number"]),
    ("60,,,waiting,1,1,1,R", "day", ["between 0 and 59"]),  # the end of day 60 is past the 60-day horizon
    ("-1,,,waiting,1,1,1,R", "day", ["between 0 and 59"]),
    ("5,,,waiting,10,12,20,R", "low", ["must be <= value (10)"]),
    ("5,,,waiting,10,5,8,R", "high", ["must be >= value (10)"]),
    ("5,,,waiting,many,1,1,R", "value", ["must be a number"]),
    ("5,,,waiting,,1,1,R", "value", ["is required"]),
    ("5,,,waiting,-3,,,R", "value", [">= 0"]),
    ("5,2025-02-18,,waiting,1,1,1,R", "date", ["is day 6 of the scenario", "day says 5"]),
    ("5,17/02/2025,,waiting,1,1,1,R", "date", ["ISO date"]),
]


@pytest.mark.parametrize(("row", "column", "words"), BAD_ROWS)
def test_a_bad_row_exits_2_naming_line_column_and_value_and_writes_nothing(tmp_path, tiny_scenario_text, capsys,
                                                                          row, column, words):
    scenario = write_case(tmp_path, tiny_scenario_text, f"{HEADER}\n1,,,waiting,1,1,1,R\n{row}\n")
    out = tmp_path / "out"
    assert main(["record", str(scenario), "-r", "1", "-q", "-o", str(out)]) == 2
    message = capsys.readouterr().err
    assert f"tiny.csv: line 3, column {column}:" in message
    got = row.split(",")[COLUMNS.index(column)]
    assert f'(got "{got}")' in message or not got
    for word in words:
        assert word in message
    assert "line 2" not in message  # the good row is not blamed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["observed", "tiny.toml"]  # nothing written


def test_a_missing_column_names_line_1(tmp_path, tiny_scenario_text, capsys):
    text = "day,date,nationality,metric,value,low,high\n5,,,waiting,1,1,1\n"
    scenario = write_case(tmp_path, tiny_scenario_text, text)
    assert main(["record", str(scenario), "-q", "-o", str(tmp_path / "out")]) == 2
    assert "line 1: the columns must be exactly" in (err := capsys.readouterr().err) and "missing: source" in err
    assert not (tmp_path / "out").exists()


def test_every_bad_row_is_reported_at_once():
    with pytest.raises(ObservedError) as error:
        parse_observed(f"{HEADER}\n5,,,nope,1,1,1,R\n6,,Nowhere,waiting,x,1,1,R\n", NATIONALITIES, 60)
    assert [(p.line, p.column) for p in error.value.problems] == [(2, "metric"), (3, "nationality"), (3, "value")]


def test_a_bad_observed_file_stops_run_before_anything_is_written(tmp_path, tiny_scenario_text, capsys):
    scenario = write_case(tmp_path, tiny_scenario_text, f"{HEADER}\n5,,,waiting,1,2,3,R\n")
    assert main(["run", str(scenario), "-r", "1", "-q", "-o", str(tmp_path / "out")]) == 2
    assert "line 2, column low" in capsys.readouterr().err
    assert main(["validate", str(scenario)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["observed", "tiny.toml"]


def test_a_missing_observed_file_is_an_error_at_load_time(tmp_path, tiny_scenario_text, capsys):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(with_observed(tiny_scenario_text, "observed/none.csv"), encoding="utf-8")
    assert main(["validate", str(scenario)]) == 2
    assert "scenario.observed: file not found" in capsys.readouterr().err
    assert main(["run", str(scenario), "-q", "-o", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_record_without_observed_figures_exits_2(tmp_path, tiny_scenario_text, capsys):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(tiny_scenario_text, encoding="utf-8")
    assert main(["record", str(scenario), "-q", "-o", str(tmp_path / "out")]) == 2
    assert "no reported figures" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_observed_is_relative_to_the_file_that_sets_it(tmp_path, tiny_scenario_text, monkeypatch):
    base = write_case(tmp_path / "base", tiny_scenario_text)
    (tmp_path / "variants").mkdir()
    variant = tmp_path / "variants" / "v.toml"
    variant.write_text('extends = "../base/tiny.toml"\n[scenario]\nname = "v"\n', encoding="utf-8")
    expected = str((tmp_path / "base" / "observed" / "tiny.csv").resolve())
    assert load_scenario(base).scenario.observed == expected
    assert load_scenario(variant).scenario.observed == expected  # inherited, still the base's file
    (tmp_path / "variants" / "mine.csv").write_text(GOOD, encoding="utf-8")
    own = tmp_path / "variants" / "own.toml"
    own.write_text('extends = "../base/tiny.toml"\n[scenario]\nobserved = "mine.csv"\n', encoding="utf-8")
    assert load_scenario(own).scenario.observed == str((tmp_path / "variants" / "mine.csv").resolve())
    monkeypatch.chdir(tmp_path / "variants")  # --set: relative to the current folder, like any CLI path
    assert load_scenario(base, ["scenario.observed=mine.csv"]).scenario.observed == \
        str((tmp_path / "variants" / "mine.csv").resolve())
    with pytest.raises(ScenarioError, match="scenario.observed: file not found"):
        load_scenario(base, ["scenario.observed=elsewhere.csv"])


# -------------------------------------------------------------------------------------- band and score


def hand_victims() -> pd.DataFrame:
    """Three replications with stamps on and around day boundaries."""
    nan = math.nan
    rows = [  # replication, nationality, arrived, crossed, departed, status
        (0, "A", 0.5, 2.0, 3.2, "returned"),
        (0, "A", 1.0, 3.0, nan, "waiting"),  # crosses at 3.0: on day 3, not by the end of day 2
        (0, "B", 1.5, nan, 2.5, "lost"),  # lost from holding
        (1, "A", 0.2, 1.9, 2.99, "returned"),
        (1, "A", 0.9, nan, nan, "waiting"),
        (1, "B", 2.0, 2.5, 4.0, "returned"),  # leaves at 4.0: still there at the end of day 3
        (2, "A", 0.0, nan, nan, "waiting"),
        (2, "B", 3.5, nan, nan, "waiting"),
    ]
    return pd.DataFrame(rows, columns=["replication", "nationality", "arrived", "crossed", "departed", "status"])


HAND_FIGURES = f"""{HEADER}
2,,,returned_cumulative,1,1,1,S1
2,,,in_holding,2,1,3,S1
3,,A,in_shelter,1,1,1,S2
3,,B,waiting,1,0,2,S2
1,,,crossed_cumulative,2,2,2,S3
0,,B,returned_cumulative,0,0,0,S3
"""


def test_model_values_band_inside_and_error_on_a_hand_made_case():
    observations = parse_observed(HAND_FIGURES, ["A", "B"], 10)
    values = model_values(hand_victims(), observations)
    # by hand, replication by replication (a figure of day d counts stamps before d + 1)
    assert values.tolist() == [[0, 1, 1, 0, 0, 0],  # rep 0: 3.2 is not by the end of day 2; holding: p2
                               [1, 1, 0, 1, 1, 0],  # rep 1: 2.99 is; p1 crossed 1.9 and left; p3 there at 4.0
                               [0, 1, 0, 1, 0, 0]]  # rep 2: p2 of B arrived on day 3
    table = record_table(observations, values)
    third, two_thirds = 1 / 3, 2 / 3
    # mean; 5th and 95th percentiles of [0, 0, 1] are 0 and 0.9, of [0, 1, 1] 0.1 and 1 (linear)
    assert table["model_mean"].tolist() == pytest.approx([third, 1, third, two_thirds, third, 0])
    assert table["model_low"].tolist() == pytest.approx([0, 1, 0, 0.1, 0, 0])
    assert table["model_high"].tolist() == pytest.approx([0.9, 1, 0.9, 1, 0.9, 0])
    # inside: [low, high] meets the band; 1 is above 0.9, [1, 3] meets [1, 1], [0, 2] meets [0.1, 1]
    assert table["inside"].tolist() == [False, True, False, True, False, True]
    expected = [100 * (third - 1), 100 * (1 - 2) / 2, 100 * (third - 1), 100 * (two_thirds - 1),
                100 * (third - 2) / 2]
    assert table["error_pct"].iloc[:5].tolist() == pytest.approx(expected)
    assert math.isnan(table["error_pct"].iloc[5])  # a reported 0 has no percentage error
    result = score(table)
    assert result["figures"] == 6 and result["inside_share"] == pytest.approx(0.5)
    assert result["mape"] == pytest.approx(200 / 3)  # median of 66.7, 50, 66.7, 33.3, 83.3
    assert result["bias"] == pytest.approx(-75)  # median of the cumulative errors -66.7 and -83.3


def test_score_on_a_hand_made_table():
    table = pd.DataFrame({
        "metric": ["returned_cumulative", "returned_cumulative", "crossed_cumulative", "in_holding", "waiting"],
        "inside": [True, False, True, True, False],
        "error_pct": [10.0, -30.0, 20.0, -50.0, math.nan],
    })
    result = score(table)
    assert result["inside_share"] == pytest.approx(3 / 5)
    assert result["mape"] == pytest.approx(25.0)  # median of 10, 30, 20, 50
    assert result["bias"] == pytest.approx(10.0)  # median of 10, -30, 20: the stocks do not count
    assert math.isnan(score(table.iloc[3:])["bias"])  # no cumulative figure, no bias


def test_the_bands_are_the_daily_curves_of_every_panel():
    observations = parse_observed(HAND_FIGURES, ["A", "B"], 10)
    bands = model_bands(hand_victims(), record_table(observations, model_values(hand_victims(), observations)), 5)
    whole = bands[(bands["nationality"] == "") & (bands["metric"] == "in_holding")]
    assert whole["mean"].tolist() == pytest.approx([4 / 3, 5 / 3, 1, 1, 1])  # end of days 0..4, by hand
    assert set(bands["nationality"]) == {"", "A", "B"}


def test_the_counts_agree_with_the_models_own_occupancy_log_and_return_curve(tiny_scenario_text, tmp_path):
    """An independent check on a real run: the occupancy log the recorder writes, and the returns curve of
    the plots, evaluated just before d + 1, give the stocks and the returns of the end of day d."""
    scenario = load_scenario(write_case(tmp_path, tiny_scenario_text))
    result = sim.run(scenario, replications=2)
    victims, occupancy = result.victims, occupancy_by_kind(result.occupancy)
    reps = [0, 1]
    curves = daily_curves(victims, reps, 60)
    ends = np.nextafter(np.arange(1.0, 61.0), 0)  # the last moment of each day
    for index, rep in enumerate(reps):
        log = occupancy[occupancy["replication"] == rep].sort_values("day", kind="stable")
        at = np.searchsorted(log["day"].to_numpy(), ends, side="right") - 1
        assert curves["in_holding"][index].tolist() == log["holding"].to_numpy()[at].tolist()
        assert curves["in_shelter"][index].tolist() == log["shelter"].to_numpy()[at].tolist()
    assert curves["returned_cumulative"].tolist() == cumulative_returned(victims, ends).to_numpy().tolist()
    assert curves["in_holding"].max() > 0 and curves["returned_cumulative"][:, -1].min() > 0  # not all zeros


# ------------------------------------------------------------------------------------------ end to end


def test_record_writes_record_csv_and_png_and_prints_the_score(tmp_path, tiny_scenario_text, capsys):
    scenario = write_case(tmp_path, tiny_scenario_text)
    out = tmp_path / "rec"
    assert main(["record", str(scenario), "-r", "3", "-q", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Score against 4 reported figures (3 replications)" in printed and "inside the model's 90% band" in printed
    assert {"record.csv", "record.png", "manifest.json"} <= {p.name for p in out.iterdir()}
    table = read_record(out / "record.csv")
    assert list(table.columns) == [*COLUMNS, "model_mean", "model_low", "model_high", "inside", "error_pct"]
    assert table["nationality"].tolist() == ["", "", "Kazakhstan", "Kyrgyzstan"]
    assert (table["model_low"] <= table["model_mean"]).all() and (table["model_mean"] <= table["model_high"]).all()
    # the same numbers as the library computes from a run on the same seeds
    run = sim.run(load_scenario(scenario), replications=3)
    again = record_table(parse_observed(GOOD, NATIONALITIES, 60, START), model_values(run.victims, table))
    assert table["model_mean"].tolist() == pytest.approx(again["model_mean"].tolist())
    assert (out / "record.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["report", str(out)]) == 2  # not a run folder: said so, not a traceback
    # an explicit file on the command line wins over the scenario's
    other = tmp_path / "other.csv"
    other.write_text(f"{HEADER}\n3,,,waiting,50,40,60,X9\n", encoding="utf-8")
    assert main(["record", str(scenario), str(other), "-r", "2", "-q", "-o", str(out)]) == 0
    assert read_record(out / "record.csv")["source"].tolist() == ["X9"]


def test_run_and_compare_write_record_csv_and_the_report_section(tmp_path, tiny_scenario_text):
    scenario = write_case(tmp_path, tiny_scenario_text)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "-r", "2", "-q", "-o", str(out)]) == 0
    assert len(read_record(out / "record.csv")) == 4
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="record">Model against the record</h2>' in page
    assert 'id="plot-record"' in page and page.count('id="plot-record"') == 1  # not again under Figures
    assert "Sources: R1; R2, table 3; R3; R4." in page
    assert (out / "plots" / "record.png").exists()
    plain = tmp_path / "plain.toml"
    plain.write_text(tiny_scenario_text.replace('name = "tiny"', 'name = "plain"'), encoding="utf-8")
    both = tmp_path / "both"
    assert main(["compare", str(scenario), str(plain), "-r", "2", "-q", "-o", str(both)]) == 0
    assert (both / "tiny" / "record.csv").exists() and not (both / "plain" / "record.csv").exists()
    assert 'id="record"' in (both / "report.html").read_text(encoding="utf-8")
    assert main(["run", str(plain), "-r", "1", "-q", "--no-plots", "-o", str(tmp_path / "none")]) == 0
    assert not (tmp_path / "none" / "record.csv").exists()


# ------------------------------------------------------------------------------------------------ sweeps


def test_a_sweep_scores_each_point_against_the_record(tmp_path, tiny_scenario_text):
    from sim.sweep import load_sweep

    write_case(tmp_path, tiny_scenario_text)
    sweep_file = tmp_path / "grid.toml"
    sweep_file.write_text('base = "tiny.toml"\nreplications = 3\n[parameters]\n'
                          '"crossing.daily_capacity" = [5, 50]\n', encoding="utf-8")
    out = tmp_path / "sweep"
    summary = sim.sweep(sweep_file, out)
    spec = load_sweep(sweep_file)
    for point in spec.points:  # the same numbers as scoring a run of the point's scenario on the same seeds
        run = sim.run(spec.scenario(point), replications=3, seed=spec.seed)
        observed = parse_observed(GOOD, NATIONALITIES, 60, START)
        expected = score(record_table(observed, model_values(run.victims, observed)))
        rows = summary[summary["point_id"] == point.point_id].set_index("metric")["mean"]
        assert rows["record_inside_share"] == pytest.approx(expected["inside_share"])
        assert rows["record_mape"] == pytest.approx(expected["mape"])
        assert rows["record_bias"] == pytest.approx(expected["bias"], nan_ok=True)
    assert not summary["metric"].str.startswith("record_obs_").any()  # per-figure values stay in tasks/
    ranked = pd.read_csv(out / "record_points.csv")
    assert list(ranked.columns) == ["point_id", "crossing.daily_capacity", "record_inside_share", "record_mape",
                                    "record_bias", "rank"]
    assert ranked["rank"].tolist() == [1, 2]
    first, second = ranked.iloc[0], ranked.iloc[1]
    assert (first["record_inside_share"], -first["record_mape"]) >= (second["record_inside_share"],
                                                                    -second["record_mape"])
    # the task files do not depend on where the observed file is (a moved checkout resumes), only on what it says
    tasks = sorted(p.name for p in (out / "tasks").iterdir())
    moved = tmp_path / "moved"
    write_case(moved, tiny_scenario_text)
    (moved / "grid.toml").write_text(sweep_file.read_text(encoding="utf-8"), encoding="utf-8")
    sim.sweep(moved / "grid.toml", out)
    assert sorted(p.name for p in (out / "tasks").iterdir()) == tasks
    (moved / "observed" / "tiny.csv").write_text(GOOD.replace("90,80,100", "95,80,100"), encoding="utf-8")
    sim.sweep(moved / "grid.toml", out)
    assert set(p.name for p in (out / "tasks").iterdir()).isdisjoint(tasks)  # changed figures: run again
