"""Planners' workflow: run/compare outputs, honest statistics, reproducibility, safe output folders."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import experiment
from sim.cli import main
from sim.model import run_replication
from sim.results.metrics import precision_reached, t_interval
from sim.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]

TINY = """
pipeline = ["registration", "identity", "crossing", "documents", "transport"]
[scenario]
name = "{name}"
horizon_days = 60
seed = 7
replications = 4
[arrivals]
waves = [ {{ day = 0, count = 120, spread_days = 10 }} ]
rate_per_day = 1.0
[sites.holding]
capacity = 80
hazard_per_day = 0.002
cost_per_person_day = 4
[crossing]
daily_capacity = 30
admission = "travel_arranged"
[stages.identity]
duration = {{ dist = "exponential", mean = "2h" }}
records_delay = {{ dist = "uniform", min = "1d", max = "4d" }}
[stages.documents]
duration = {{ dist = "exponential", mean = "1h" }}
[exposure]
crowding_factor = 1.0
after_return_screened = 0.05
after_return_unscreened = 0.15
[nationality_defaults.consular]
mode = "ad_hoc"
officers = {officers}
deploy_delay = {{ dist = "uniform", min = "2d", max = "6d" }}
[nationalities.A]
share = 0.7
vulnerable = 0.1
[nationalities.B]
share = 0.3
funding = {{ mode = "appeal", appeal_delay = "5d", unfunded_share = 0.2 }}
transport = {{ mode = "charter", seats = 10, interval = "2d", min_load = 3, cost_per_trip = 1000 }}
"""


def write_scenario(folder: Path, name: str = "Tiny", officers: int = 1, file: str = "tiny.toml") -> Path:
    path = folder / file
    path.write_text(TINY.format(name=name, officers=officers), encoding="utf-8")
    return path


VICTIM_COLUMNS = {
    "replication": "int32", "victim_id": "int32", "nationality": "object", "vulnerable": "bool",
    "arrived": "float64", "crossed": "float64", "departed": "float64", "status": "object",
    "holding_site": "object", "crossing": "object", "shelter_site": "object",
    "holding_days": "float64", "shelter_days": "float64", "screened": "bool", "referred": "bool",
    "hazard": "float64", "p_lost": "float64", "p_retrafficked_after_return": "float64",
    "p_retrafficked_still_waiting": "float64", "cost": "float64",
}
HEADLINE = ["home_by_day_30_share", "home_by_day_60_share", "limbo_days_mean", "limbo_days_p50", "limbo_days_p90",
            "still_waiting", "cost_per_returnee", "expected_retrafficked_still_waiting",
            "wait_days_mean", "wait_days_p50", "wait_days_p90", "wait_days_max", "returned", "lost",
            "peak_holding", "peak_shelter", "overcrowded_person_days", "person_days_waiting", "expected_lost",
            "expected_retrafficked_after_return", "expected_retrafficked", "cost_total"]


def check_run_folder(folder: Path, replications: int, stages: list[str]) -> None:
    victims = pd.read_parquet(folder / "victims.parquet")
    assert list(victims.columns) == list(VICTIM_COLUMNS)
    for column, dtype in VICTIM_COLUMNS.items():
        kind = "object" if victims[column].dtype == "string" or str(victims[column].dtype) == "str" else None
        assert (kind or str(victims[column].dtype)) == dtype, column
    assert set(victims["status"]) <= {"returned", "lost", "waiting"}
    assert sorted(victims["replication"].unique()) == list(range(replications))
    stage_table = pd.read_parquet(folder / "stages.parquet")
    assert list(stage_table.columns) == ["replication", "victim_id", "stage", "queued", "started", "finished"]
    assert set(stage_table["stage"].astype(str)) == set(stages)
    assert len(stage_table) == len(victims) * len(stages)
    occupancy = pd.read_parquet(folder / "occupancy.parquet")
    assert list(occupancy.columns) == ["replication", "site", "kind", "day", "people"]
    assert set(occupancy["site"].astype(str)) == {"holding", "shelter"}
    for _, group in occupancy.groupby(["replication", "site"], observed=True):
        days = group["day"].to_numpy()
        assert np.all(np.diff(days) > 0)
        assert set(range(61)) <= set(days.round(9))  # at least daily
    # one site of each kind: everyone held at holding; whoever crossed, by the one crossing into the shelter
    assert set(victims["holding_site"]) == {"holding"}
    crossed = victims["crossed"].notna()
    assert (victims.loc[crossed, "crossing"] == "crossing").all() and victims.loc[~crossed, "crossing"].isna().all()
    assert (victims.loc[crossed, "shelter_site"] == "shelter").all()
    by_site = pd.read_csv(folder / "metrics_by_site.csv")
    assert list(by_site.columns) == ["site", "kind", "metric", "mean", "ci_low", "ci_high", "p50", "p90", "n"]
    people = by_site[by_site["metric"] == "people"].set_index("site")["mean"]
    per_replication = len(victims) / replications
    assert people["holding"] == pytest.approx(per_replication)  # everyone was held there
    assert people["crossing"] == pytest.approx(crossed.sum() / replications)
    assert people["shelter"] == pytest.approx(crossed.sum() / replications)
    reps = pd.read_csv(folder / "replications.csv")
    assert len(reps) == replications and "replication" in reps
    for metric in HEADLINE + [f"queue_days_mean_{s}" for s in stages]:
        assert metric in reps.columns, metric
    metrics = pd.read_csv(folder / "metrics.csv")
    assert list(metrics.columns) == ["metric", "mean", "ci_low", "ci_high", "p50", "p90", "n"]
    assert set(HEADLINE) <= set(metrics["metric"])
    by_nat = pd.read_csv(folder / "metrics_by_nationality.csv")
    assert list(by_nat.columns) == ["nationality", "metric", "mean", "ci_low", "ci_high", "p50", "p90", "n"]
    assert set(by_nat["nationality"]) == {"A", "B"}
    resolved = tomllib.loads((folder / "scenario.toml").read_text())
    assert resolved["scenario"]["seed"] == 7


def test_run_writes_the_contract(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-o", str(out), "--no-plots", "-q"]) == 0
    check_run_folder(out, 4, ["registration", "identity", "crossing", "documents", "transport"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "run" and manifest["seed"] == 7 and manifest["replications"] == 4
    assert manifest["scenarios"][0]["folder"] == "."
    assert len(manifest["scenarios"][0]["sha256"]) == 64
    # metrics.csv agrees with a t-interval recomputed from replications.csv by hand
    reps = pd.read_csv(out / "replications.csv")
    metrics = pd.read_csv(out / "metrics.csv").set_index("metric")
    values = reps["wait_days_mean"].to_numpy()
    half = 3.182446305284263 * values.std(ddof=1) / 2  # t(0.975, 3) * s / sqrt(4)
    assert metrics.loc["wait_days_mean", "ci_high"] == pytest.approx(values.mean() + half, rel=1e-6)


def test_compare_writes_the_contract_and_pairs(tmp_path: Path) -> None:
    base = write_scenario(tmp_path, "Base", 1, "base.toml")
    more = write_scenario(tmp_path, "Base twice the officers", 2, "more.toml")
    same = write_scenario(tmp_path, "Copy of base", 1, "same.toml")
    out = tmp_path / "cmp"
    assert main(["compare", str(base), str(more), str(same), "-o", str(out), "--no-plots", "-q", "-r", "6"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    folders = [s["folder"] for s in manifest["scenarios"]]
    assert folders == ["base", "base-twice-the-officers", "copy-of-base"]
    for folder in folders:
        check_run_folder(out / folder, 6, ["registration", "identity", "crossing", "documents", "transport"])
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns) == ["metric", "scenario", "mean", "ci_low", "ci_high", "n", "diff_mean",
                                        "diff_ci_low", "diff_ci_high"]
    rows = comparison.set_index(["metric", "scenario"])
    # planted effect: twice the officers shortens the mean wait and the paired CI excludes 0
    effect = rows.loc[("wait_days_mean", "Base twice the officers")]
    assert effect["diff_ci_high"] < 0
    # a variant identical to the baseline differs by exactly 0 in every metric
    identical = comparison[comparison.scenario == "Copy of base"]
    finite = identical.dropna(subset=["diff_mean"])
    assert (finite["diff_mean"] == 0).all() and (finite["diff_ci_low"] == 0).all()
    assert len(finite) > 20


def test_common_random_numbers_narrow_the_paired_interval() -> None:
    base = scenario_from_dict(tomllib.loads(TINY.format(name="A", officers=1)))
    more = scenario_from_dict(tomllib.loads(TINY.format(name="B", officers=2)))
    result = experiment.compare([base, more], replications=10)
    a = result.runs["A"].replications["person_days_waiting"]
    b = result.runs["B"].replications["person_days_waiting"]
    _, paired_low, paired_high, _ = t_interval(b - a)
    # Welch (unpaired) interval of the same two samples
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    unpaired_half = 2.1 * se  # t quantile for ~18 df is ~2.1
    assert (paired_high - paired_low) / 2 < unpaired_half
    # and the arrivals really are shared
    va, vb = result.runs["A"].victims, result.runs["B"].victims
    pd.testing.assert_series_equal(va["arrived"], vb["arrived"])
    pd.testing.assert_series_equal(va["nationality"], vb["nationality"])


def test_precision_stops_when_met_and_never_exceeds_the_cap() -> None:
    scenario = scenario_from_dict(tomllib.loads(TINY.format(name="P", officers=1)))
    capped = experiment.run(scenario, replications=3, precision=0.0001, max_replications=7)
    assert len(capped.outputs) == 7  # impossible precision: stops at the cap, not beyond
    loose = experiment.run(scenario, replications=3, precision=0.2, max_replications=50)
    n = len(loose.outputs)
    assert 3 <= n < 50
    assert precision_reached(loose.replications, 0.2)
    # the counts the algorithm visits: 3, then + max(2, count // 2) each round
    visited = [3]
    while visited[-1] < n:
        visited.append(visited[-1] + max(2, visited[-1] // 2))
    assert visited[-1] == n
    for count in visited[:-1]:  # it stopped at the first count that met the precision, not later
        assert not precision_reached(loose.replications[loose.replications.replication < count], 0.2)


def test_workers_do_not_change_results(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    one, two, again = tmp_path / "w1", tmp_path / "w2", tmp_path / "again"
    assert main(["run", str(scenario), "-o", str(one), "--workers", "1", "--no-plots", "-q", "-r", "5"]) == 0
    assert main(["run", str(scenario), "-o", str(two), "--workers", "2", "--no-plots", "-q", "-r", "5"]) == 0
    assert main(["run", str(scenario), "-o", str(again), "--workers", "1", "--no-plots", "-q", "-r", "5"]) == 0
    for name in ("victims.parquet", "stages.parquet", "occupancy.parquet", "replications.csv", "metrics.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
        assert (one / name).read_bytes() == (again / name).read_bytes(), name


def test_a_compare_writes_the_same_files_with_two_workers(tmp_path: Path) -> None:
    """With --workers 2 the scenarios' tables are written in threads: the same bytes, in the same
    folders, as one after the other."""
    first = write_scenario(tmp_path, "Tiny", 1, "a.toml")
    second = write_scenario(tmp_path, "More officers", 2, "b.toml")
    one, two = tmp_path / "w1", tmp_path / "w2"
    for out, workers in ((one, "1"), (two, "2")):
        assert main(["compare", str(first), str(second), "-o", str(out), "--workers", workers, "--no-plots", "-q",
                     "-r", "3"]) == 0
    written = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert len(written) == 21  # 10 files per scenario, and comparison.csv
    assert written == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file() and p.name != "manifest.json")
    for name in written:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_a_failed_table_write_in_a_thread_leaves_no_folder(tmp_path: Path, monkeypatch) -> None:
    first = write_scenario(tmp_path, "Tiny", 1, "a.toml")
    second = write_scenario(tmp_path, "More officers", 2, "b.toml")
    real = experiment.write_parquet

    def failing(frame, path):
        if "more-officers" in str(path):
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(experiment, "write_parquet", failing)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        experiment.run_to_folder([(first, experiment.load_scenario(first)), (second, experiment.load_scenario(second))],
                                 compare=True, out=out, replications=2, seed=None, workers=2, precision=None,
                                 max_replications=2, progress=False)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []  # no work folder left behind


def test_unsafe_scenario_name_stays_inside_out(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    first = write_scenario(work, "../../escape/../x", 1, "a.toml")
    second = write_scenario(work, "/etc/passwd", 1, "b.toml")
    out = work / "results" / "cmp"
    before = set(tmp_path.rglob("*"))
    assert main(["compare", str(first), str(second), "-o", str(out), "--no-plots", "-q", "-r", "2"]) == 0
    created = set(tmp_path.rglob("*")) - before
    assert created and all(out in p.parents or p == out or p == out.parent for p in created)
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["scenarios"]:
        assert "/" not in entry["folder"] and ".." not in entry["folder"]


def test_new_run_replaces_old_results_and_refuses_foreign_folders(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-o", str(out), "--no-plots", "-q", "-r", "2"]) == 0
    (out / "stale.txt").write_text("old")
    assert main(["run", str(scenario), "-o", str(out), "--no-plots", "-q", "-r", "3"]) == 0
    assert not (out / "stale.txt").exists()
    assert len(pd.read_csv(out / "replications.csv")) == 3
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    assert main(["run", str(scenario), "-o", str(foreign), "--no-plots", "-q"]) == 2
    assert (foreign / "thesis.docx").read_text() == "precious"
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.docx"]


def test_metrics_do_not_depend_on_which_tables_are_kept(tmp_path: Path) -> None:
    """A compare or sweep that keeps no tables skips the occupancy table: the same metrics to the bit, and
    the same victims and totals from the model."""
    scenario = experiment.load_scenario(write_scenario(tmp_path, "Tiny", 2))
    kept = experiment.run_one(scenario, 5, 1, keep_tables=True)
    lean = experiment.run_one(scenario, 5, 1, keep_tables=False)
    assert lean.result is None and kept.result is not None and len(kept.result.occupancy) > 0
    assert lean.metrics == kept.metrics
    pd.testing.assert_frame_equal(lean.by_nationality, kept.by_nationality, check_exact=True)
    without = run_replication(scenario, 1, seed=5, occupancy_table=False)
    assert without.occupancy.empty
    pd.testing.assert_frame_equal(without.victims, kept.result.victims, check_exact=True)
    assert without.totals == kept.result.totals


def test_a_metric_interval_keeps_to_zero_and_a_difference_does_not():
    from sim.results.metrics import metric_interval, paired_comparison, summarise, t_interval

    few = [0.0, 0.0, 12.0]  # a count: its t-interval reaches below zero
    mean, low, high, n = t_interval(few)
    assert low < 0 < mean < high and n == 3
    bounded = metric_interval(few)
    assert bounded == (mean, 0.0, high, 3)  # the same interval, cut at the smallest possible mean
    table = summarise(pd.DataFrame({"replication": [0, 1, 2], "still_waiting": few}))
    assert table.loc[0, "ci_low"] == 0.0
    runs = {"a": pd.DataFrame({"replication": [0, 1, 2], "waiting": [5.0, 6.0, 7.0]}),
            "b": pd.DataFrame({"replication": [0, 1, 2], "waiting": [0.0, 0.0, 12.0]})}
    diff = paired_comparison(runs).set_index("scenario").loc["b"]
    assert diff["ci_low"] == 0.0 and diff["diff_ci_low"] < -6  # a difference may well be negative


def test_a_run_of_few_replications_says_its_intervals_are_unreliable(tmp_path, capsys):
    status = main(["run", str(ROOT / "scenarios" / "myanmar_thailand_2025.toml"), "-r", "2", "-q",
                       "--no-plots", "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert status == 0
    assert "with 2 replications the intervals are unreliable" in out
    for line in out.splitlines():  # no interval printed below zero
        assert "[-" not in line, line


def test_a_share_interval_keeps_to_one():
    from sim.results.metrics import metric_interval, summarise, t_interval

    shares = [1.0, 1.0, 0.7]  # a share: its t-interval reaches above one
    mean, low, high, _ = t_interval(shares)
    assert high > 1 > mean
    assert metric_interval(shares, "home_by_day_30_share") == (mean, low, 1.0, 3)
    assert metric_interval(shares, "limbo_days_mean")[2] == high  # days are not bounded above
    table = summarise(pd.DataFrame({"replication": [0, 1, 2], "home_by_day_30_share": shares}))
    assert table.loc[0, "ci_high"] == 1.0


def test_the_return_curve_is_scipys_kaplan_meier():
    """The numpy estimator against scipy.stats.ecdf on right-censored data with ties, and a hand case."""
    from scipy.stats import CensoredData, ecdf

    from sim.results.metrics import kaplan_meier
    rng = np.random.default_rng(4)
    events = np.round(rng.exponential(10, 300), 1)
    censored = np.round(rng.uniform(0, 30, 200), 1)
    days = np.arange(0.0, 40.0, 0.5)
    expected = ecdf(CensoredData(uncensored=events, right=censored)).cdf.evaluate(days)
    assert np.allclose(kaplan_meier(events, censored, days), expected, rtol=0, atol=1e-12)
    # by hand: events at 1 and 3, one censored at 2, of three people: 1/3 by day 1, then 1 - 2/3 * 0 at 3
    assert np.allclose(kaplan_meier(np.array([1.0, 3.0]), np.array([2.0]), np.array([0.5, 1, 2, 3])),
                       [0, 1 / 3, 1 / 3, 1.0])


def test_summaries_by_group_are_each_groups_interval() -> None:
    """metrics_by_nationality.csv and metrics_by_site.csv, computed for all groups at once, give each
    group what metric_interval and np.percentile give it alone: NaN values left out, one value (no CI), no
    value at all, shares kept to [0, 1] and counts to [0, inf)."""
    from sim.results import metrics

    rng = np.random.default_rng(1)
    rows = []
    for replication in range(6):
        for group in ("A", "B", "C"):
            for metric in ("limbo_days_mean", "home_by_day_30_share", "cost_total"):
                value = rng.normal(0.5, 0.6)
                if (group == "B" and replication == 3) or (group == "C" and replication > 0):
                    value = math.nan
                rows.append({"replication": replication, "nationality": group, "metric": metric, "value": value})
    long = pd.DataFrame(rows)
    summary = metrics.summarise_by_nationality(long).set_index(["nationality", "metric"])
    for (group, metric), rows_of in long.groupby(["nationality", "metric"]):
        values = rows_of["value"].to_numpy(dtype=float)
        mean, low, high, n = metrics.metric_interval(values, metric)
        finite = values[~np.isnan(values)]
        row = summary.loc[(group, metric)]
        assert row["n"] == n and row["mean"] == pytest.approx(mean, nan_ok=True)
        assert row["ci_low"] == pytest.approx(low, nan_ok=True) and row["ci_high"] == pytest.approx(high, nan_ok=True)
        assert row["p50"] == pytest.approx(np.percentile(finite, 50), nan_ok=True)
        assert row["p90"] == pytest.approx(np.percentile(finite, 90), nan_ok=True)
    by_site = metrics.summarise_by_site(long.rename(columns={"nationality": "site"}).assign(kind="holding"))
    assert list(by_site["site"].unique()) == ["A", "B", "C"]  # in the order given, not sorted
