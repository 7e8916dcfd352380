"""Parameter sweeps: sweep files, designs, validation, resumable storage, executors, failures, memory.

Every sweep here runs a tiny scenario (30 people), so a task takes milliseconds.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import cli
from sim.experiment import ReplicationOutput, run_one
from sim.scenario import ScenarioError
from sim.sweep import SweepLockedError, execute_task, load_sweep, run_sweep, task_key
from sim.sweep.design import latin_hypercube, sweep_from_dict
from sim.sweep.sensitivity import sensitivity_table

ROOT = Path(__file__).resolve().parents[1]

GRID = """\
base = "tiny.toml"
replications = 4
seed = 11
design = "grid"

[parameters]
"nationalities.Kazakhstan.consular.officers" = [1, 3]
"database.shared" = [false, true]
"""

LHS = """\
base = "tiny.toml"
replications = 2
design = "lhs"
samples = 10
seed = 5

[parameters]
"nationalities.Kazakhstan.consular.officers" = { low = 1, high = 12 }
"sites.holding.hazard_per_day" = { low = 0.0, high = 0.01 }
"""


def tiny_text(text: str) -> str:
    """The shared tiny scenario, cut to 30 people."""
    return (text.replace("count = 100", "count = 30").replace("count = 60", "count = 20")
            .replace("count = 40", "count = 10"))


@pytest.fixture
def folder(tmp_path: Path, tiny_scenario_text: str, write_toml: Callable[..., Path]) -> Path:
    write_toml(tmp_path, "tiny.toml", tiny_text(tiny_scenario_text))
    write_toml(tmp_path, "grid.toml", GRID)
    write_toml(tmp_path, "lhs.toml", LHS)
    return tmp_path


def task_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tasks").glob("*.parquet"))}


def quiet(text: str) -> None:
    pass


# ------------------------------------------------------------------------------------------- designs


def test_grid_expansion_is_the_product_in_file_order(folder: Path) -> None:
    spec = load_sweep(folder / "grid.toml")
    assert spec.design == "grid" and spec.replications == 4 and spec.seed == 11
    assert [p.values for p in spec.points] == [
        {"nationalities.Kazakhstan.consular.officers": 1, "database.shared": False},
        {"nationalities.Kazakhstan.consular.officers": 1, "database.shared": True},
        {"nationalities.Kazakhstan.consular.officers": 3, "database.shared": False},
        {"nationalities.Kazakhstan.consular.officers": 3, "database.shared": True},
    ]
    assert [p.point_id for p in spec.points] == [0, 1, 2, 3]
    assert len({p.scenario_hash for p in spec.points}) == 4
    scenario = spec.scenario(spec.points[3])
    assert scenario.nationalities["Kazakhstan"].consular.officers == 3 and scenario.database.shared
    frame = spec.points_frame()
    assert list(frame.columns) == ["point_id", "nationalities.Kazakhstan.consular.officers", "database.shared",
                                   "scenario_hash"]


def test_nested_tables_in_parameters_are_dotted_paths(folder: Path, write_toml: Callable[..., Path]) -> None:
    path = write_toml(folder, "nested.toml", 'base = "tiny.toml"\n[parameters.database]\nshared = [false, true]\n')
    spec = load_sweep(path)
    assert spec.parameter_names == ["database.shared"] and len(spec.points) == 2
    assert spec.replications == 2 and spec.seed == 7  # defaults: the base scenario's


@pytest.mark.parametrize("samples", [1, 7, 50])
def test_latin_hypercube_has_one_sample_in_each_stratum_of_each_parameter(samples: int) -> None:
    unit = latin_hypercube(samples, 4, np.random.default_rng(3))
    assert unit.shape == (samples, 4) and ((unit >= 0) & (unit < 1)).all()
    for column in unit.T:
        assert sorted(np.floor(column * samples).astype(int)) == list(range(samples))


def test_lhs_values_keep_integers_and_strata(folder: Path) -> None:
    spec = load_sweep(folder / "lhs.toml")
    assert spec.unit is not None and spec.unit.shape == (10, 2)
    for column in spec.unit.T:  # the strata property, on the unrounded unit-cube sample
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))
    officers = [p.values["nationalities.Kazakhstan.consular.officers"] for p in spec.points]
    hazard = [p.values["sites.holding.hazard_per_day"] for p in spec.points]
    assert all(type(v) is int and 1 <= v <= 12 for v in officers)
    assert len(set(officers)) == 10  # 12 whole numbers for 10 strata: every stratum its own value
    assert all(type(v) is float and 0.0 <= v < 0.01 for v in hazard)
    assert sorted(np.floor(np.array(hazard) / 0.001).astype(int)) == list(range(10))
    again = load_sweep(folder / "lhs.toml")  # the design is a function of the seed
    assert [p.values for p in again.points] == [p.values for p in spec.points]


def test_float_range_on_a_float_key_stays_float(folder: Path) -> None:
    spec = sweep_from_dict({"base": "tiny.toml", "design": "lhs", "samples": 4,
                            "parameters": {"exposure.crowding_factor": {"low": 0, "high": 2}}}, root=folder)
    assert all(isinstance(p.values["exposure.crowding_factor"], float) for p in spec.points)


def test_lhs_ranges_take_durations_with_units(folder: Path) -> None:
    """A range of durations written with units samples the same days as the range written in days."""
    def points(low: object, high: object) -> list[dict]:
        spec = sweep_from_dict({"base": "tiny.toml", "design": "lhs", "samples": 6, "seed": 3,
                                "parameters": {"stages.identity.records_delay.max": {"low": low, "high": high}}},
                               root=folder)
        return [p.values for p in spec.points]

    with_units = points("10d", "3w")
    assert with_units == points(10, 21) == points("240h", "30240min")
    days = np.array([v["stages.identity.records_delay.max"] for v in with_units])
    assert ((days >= 10) & (days < 21)).all()
    assert sorted(np.floor((days - 10) / (11 / 6)).astype(int)) == list(range(6))  # one per stratum


# ---------------------------------------------------------------------------------------- validation


def sweep_error(folder: Path, spec: dict) -> str:
    with pytest.raises(ScenarioError) as caught:
        sweep_from_dict({"base": "tiny.toml", **spec}, root=folder)
    return str(caught.value)


def test_unknown_paths_are_errors_naming_them(folder: Path) -> None:
    text = sweep_error(folder, {"parameters": {
        "database.sharedd": [True],
        "nationalities.Atlantis.count": [5],  # pydantic would take a new nationality: still unknown here
        "nationality_defaults.count": [1],
        "stages.identity.duration.median.x": ["1h"],
        "scenario.seed": [1, 2],
    }})
    assert 'parameters."database.sharedd": unknown key path' in text
    assert 'parameters."nationalities.Atlantis.count": unknown key path' in text and "Kazakhstan" in text
    assert 'parameters."nationality_defaults.count": unknown key path' in text
    assert 'parameters."stages.identity.duration.median.x"' in text
    assert 'parameters."scenario.seed"' in text


def test_paths_valid_in_the_schema_but_unset_in_the_base_are_accepted(folder: Path) -> None:
    spec = sweep_from_dict({"base": "tiny.toml", "parameters": {
        "nationalities.Kyrgyzstan.transport.max_per_day": [1, 2],  # unset (None) in the base
        "sites.shelter.max_stay": [1.0],
    }}, root=folder)
    assert len(spec.points) == 2


def test_wrong_values_and_sweep_keys_are_errors(folder: Path) -> None:
    text = sweep_error(folder, {"replications": 0, "colour": "red", "design": "grid", "samples": 3,
                                "parameters": {"nationalities.Kazakhstan.consular.officers": [0, 2, "3"],
                                               "database.shared": True,
                                               "crossing.daily_capacity": {"low": 1, "high": 5}}})
    assert "colour: unknown key" in text
    assert "replications: must be between 1" in text
    assert 'samples: is only for design = "lhs"' in text
    assert 'parameters."nationalities.Kazakhstan.consular.officers": the value 0 gives an invalid scenario' in text
    assert 'the value "3" gives an invalid scenario' in text and "whole number" in text
    assert "the value 2" not in text
    assert 'parameters."database.shared": must be a non-empty list' in text
    assert 'parameters."crossing.daily_capacity": a range { low, high } needs design = "lhs"' in text


def test_lhs_validation(folder: Path) -> None:
    text = sweep_error(folder, {"design": "lhs", "parameters": {
        "database.shared": [False, True],
        "crossing.daily_capacity": {"low": 5, "high": 1},
        "sites.holding.capacity": {"low": 0, "high": 10},
        "exposure.crowding_factor": {"low": "a", "high": 2},
        "stages.identity.records_delay.max": {"low": "10 days", "high": "3w"},
        "nationalities.Kazakhstan.consular.officers": {"low": "1d", "high": "3d"},
    }})
    assert 'samples: is required when design = "lhs"' in text
    assert 'parameters."database.shared": design = "lhs" needs a range' in text
    assert 'parameters."crossing.daily_capacity": needs low < high' in text
    assert 'parameters."sites.holding.capacity": low = 0 gives an invalid scenario' in text
    assert 'parameters."exposure.crowding_factor": low and high must be numbers' in text
    assert 'parameters."stages.identity.records_delay.max": low and high must be numbers, or durations' in text
    # a key that takes no duration refuses one, in the schema's words
    assert 'parameters."nationalities.Kazakhstan.consular.officers": low = "1d" gives an invalid scenario' in text


def test_combinations_are_validated_as_whole_scenarios(folder: Path) -> None:
    text = sweep_error(folder, {"parameters": {"nationalities.Kyrgyzstan.transport.seats": [20, 5],
                                               "nationalities.Kyrgyzstan.transport.min_load": [1, 10]}})
    assert text.count("points[") == 1 and "points[3]: (nationalities.Kyrgyzstan.transport.seats = 5" in text
    assert "min_load: must be <= seats" in text


def test_validate_command_and_bad_sweep_exit_2_writing_nothing(folder: Path, write_toml, capsys) -> None:
    bad = write_toml(folder, "bad.toml", 'base = "tiny.toml"\n[parameters]\n"database.sharedd" = [true]\n')
    assert cli.main(["validate", str(folder / "grid.toml"), str(folder / "lhs.toml")]) == 0
    assert cli.main(["validate", str(bad)]) == 2
    assert 'bad.toml: parameters."database.sharedd": unknown key path' in capsys.readouterr().err
    out = folder / "never"
    assert cli.main(["sweep", str(bad), "-o", str(out), "-q"]) == 2
    assert not out.exists()
    missing = write_toml(folder, "missing.toml", 'base = "nope.toml"\n[parameters]\n"database.shared" = [true]\n')
    assert cli.main(["validate", str(missing)]) == 2
    assert "base: file not found" in capsys.readouterr().err


def test_shipped_example_validates() -> None:
    spec = load_sweep(ROOT / "scenarios" / "sweeps" / "consular_capacity.toml")
    assert len(spec.points) == 8 and spec.replications == 5


# ------------------------------------------------------------------------------------------- running


def test_sweep_writes_the_layout_and_resumes(folder: Path) -> None:
    out = folder / "out"
    summary = sim.sweep(folder / "grid.toml", out, chunk_size=3)
    assert {p.name for p in out.iterdir()} == {"sweep.toml", "scenario.toml", "manifest.json", "points.csv",
                                               "summary.csv", "tasks"}
    assert len(task_files(out)) == 4 * 2  # 4 points x chunks (0-2) and (3)
    tasks = pd.concat([pd.read_parquet(p) for p in (out / "tasks").glob("*.parquet")])
    assert sorted(zip(tasks.point_id, tasks.replication)) == [(p, r) for p in range(4) for r in range(4)]
    assert {"wait_days_p50", "cost_total", "queue_days_mean_identity"} <= set(tasks.columns)
    assert list(summary.columns) == ["point_id", "nationalities.Kazakhstan.consular.officers", "database.shared",
                                     "metric", "mean", "ci_low", "ci_high", "n"]
    row = summary[(summary.point_id == 2) & (summary.metric == "cost_total")].iloc[0]
    expected = [run_one(load_sweep(folder / "grid.toml").scenario(load_sweep(folder / "grid.toml").points[2]),
                        11, r, keep_tables=False).metrics["cost_total"] for r in range(4)]
    assert row["n"] == 4 and row["mean"] == pytest.approx(np.mean(expected))
    assert row["nationalities.Kazakhstan.consular.officers"] == 3 and not row["database.shared"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["status"] == "complete" and manifest["tasks"] == 8
    assert manifest["tasks_run"] == 8 and manifest["base"].endswith("tiny.toml")
    assert (out / "sweep.toml").read_text() == GRID

    before = {name: (out / "tasks" / name).stat().st_mtime_ns for name in task_files(out)}
    (out / "tasks" / ".abc.parquet.123.tmp").write_bytes(b"torn")  # left by a kill mid-write
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[2])
        return run_one(*args, **kwargs)

    again = sim.sweep(folder / "grid.toml", out, chunk_size=3, _runner=counting)
    assert calls == [] and not list((out / "tasks").glob(".*.tmp"))
    assert {name: (out / "tasks" / name).stat().st_mtime_ns for name in task_files(out)} == before
    pd.testing.assert_frame_equal(again, summary)


def test_a_changed_sweep_file_never_reuses_results_that_no_longer_match(folder: Path, write_toml) -> None:
    out = folder / "out"
    sim.sweep(folder / "grid.toml", out)
    first = task_files(out)
    changed = write_toml(folder, "grid.toml", GRID.replace("[1, 3]", "[1, 4]"))  # points 2 and 3 change
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[2])
        return run_one(*args, **kwargs)

    sim.sweep(changed, out, _runner=counting)
    spec = load_sweep(changed)
    current = {f"{task_key(p, spec.seed, (0, 1, 2, 3))}.parquet" for p in spec.points}
    assert set(task_files(out)) == current
    assert len(set(first) & current) == 2 and len(calls) == 2 * 4  # points 0 and 1 are unchanged
    assert set(first) - current == {p.name for p in (out / "unused" / "tasks").iterdir()}
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(set(summary["nationalities.Kazakhstan.consular.officers"])) == [1, 4]
    write_toml(folder, "grid.toml", GRID)  # back to the first design: nothing to run
    sim.sweep(folder / "grid.toml", out, _runner=counting)
    assert len(calls) == 8 and task_files(out) == first
    write_toml(folder, "grid.toml", GRID.replace("[1, 3]", "[1, 3, 5]"))  # appended: new points only
    sim.sweep(folder / "grid.toml", out, _runner=counting)
    assert len(calls) == 8 + 8 and len(task_files(out)) == 6
    write_toml(folder, "grid.toml", GRID.replace("seed = 11", "seed = 12"))
    sim.sweep(folder / "grid.toml", out, _runner=counting)
    assert len(calls) == 16 + 16 and not set(task_files(out)) & set(first)


def test_keep_victims_stores_the_victims_table(folder: Path) -> None:
    out = folder / "out"
    sim.sweep(folder / "grid.toml", out, keep_victims=True)
    victims = pd.concat([pd.read_parquet(p) for p in (out / "victims").glob("*.parquet")])
    assert {"point_id", "replication", "victim_id", "status", "arrived"} <= set(victims.columns)
    assert len(victims) == 4 * 4 * 30


def test_lhs_sweep_writes_sensitivity(folder: Path) -> None:
    out = folder / "out"
    sim.sweep(folder / "lhs.toml", out)
    sensitivity = pd.read_csv(out / "sensitivity.csv")
    assert list(sensitivity.columns) == ["metric", "parameter", "coefficient", "abs_rank", "r2", "method"]
    cost = sensitivity[sensitivity.metric == "cost_total"].set_index("parameter")
    assert cost.loc["nationalities.Kazakhstan.consular.officers", "abs_rank"] == 1  # officers are paid per day
    assert cost.loc["nationalities.Kazakhstan.consular.officers", "coefficient"] > 0.5
    assert set(sensitivity.method) <= {"src", "prcc"} and sensitivity.r2.between(0, 1).all()


def test_sensitivity_ranks_known_effects() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.random(200), "b": rng.random(200), "c": rng.random(200)})
    linear = pd.DataFrame({"cost_total": 5 * x.a - 1 * x.b + rng.normal(0, 0.05, 200)})
    table = sensitivity_table(x, linear).set_index("parameter")
    assert table.method.iloc[0] == "src" and table.r2.iloc[0] > 0.95
    assert list(table.sort_values("abs_rank").index) == ["a", "b", "c"]
    assert table.loc["a", "coefficient"] > 0 > table.loc["b", "coefficient"]
    monotone = pd.DataFrame({"still_waiting": np.exp(12 * x.b) + 0.001 * x.a})  # not linear: ranks instead
    table = sensitivity_table(x, monotone).set_index("parameter")
    assert table.method.iloc[0] == "prcc" and table.loc["b", "abs_rank"] == 1 and table.loc["b", "coefficient"] > 0.99


def test_a_task_that_raises_is_recorded_and_the_rest_complete(folder: Path) -> None:
    out = folder / "out"

    def flaky(scenario, seed, replication, keep_tables=True):
        if scenario.nationalities["Kazakhstan"].consular.officers == 3 and scenario.database.shared \
                and replication == 1:
            raise ValueError("no officers today")
        return run_one(scenario, seed, replication, keep_tables)

    with pytest.warns(RuntimeWarning, match="1 sweep task"):
        summary = sim.sweep(folder / "grid.toml", out, chunk_size=1, _runner=flaky)
    failures = pd.read_csv(out / "failures.csv")
    assert list(failures.columns) == ["task", "point_id", "replication", "error", "traceback"]
    assert failures[["point_id", "replication"]].values.tolist() == [[3, 1]]
    assert failures.error[0] == "ValueError: no officers today" and "Traceback" in failures.traceback[0]
    assert len(task_files(out)) == 15
    n = summary[summary.metric == "cost_total"].set_index("point_id")["n"]
    assert n.tolist() == [4, 4, 4, 3]
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    sim.sweep(folder / "grid.toml", out, chunk_size=1)  # the retry runs only the failed task
    assert len(task_files(out)) == 16 and not (out / "failures.csv").exists()


def test_the_command_exits_1_listing_failures(folder: Path, monkeypatch, capsys) -> None:
    import sim.sweep.driver as sweep_module

    def broken(scenario, seed, replication, keep_tables=True):
        if replication == 0:
            raise RuntimeError("boom")
        return run_one(scenario, seed, replication, keep_tables)

    monkeypatch.setattr(sweep_module, "run_one", broken)
    assert cli.main(["sweep", str(folder / "grid.toml"), "-o", str(folder / "out"), "-q", "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "4 task(s) failed" in err and "point 0, replication 0: RuntimeError: boom" in err


def test_a_worker_that_dies_is_retried_alone_then_recorded(folder: Path) -> None:
    out = folder / "out"
    marker = folder / "died-once"
    summary = sim.sweep(folder / "grid.toml", out, workers=2, chunk_size=2, _runner=DieOnce(str(marker), 2))
    assert marker.exists() and not (out / "failures.csv").exists()
    assert summary[summary.metric == "cost_total"]["n"].tolist() == [4, 4, 4, 4]
    with pytest.warns(RuntimeWarning):
        sim.sweep(folder / "grid.toml", folder / "out2", workers=2, chunk_size=2, _runner=DieAlways(1))
    failures = pd.read_csv(folder / "out2" / "failures.csv")
    assert failures.point_id.tolist() == [1] and failures.error[0].startswith("WorkerDied")
    assert len(task_files(folder / "out2")) == 7


class DieOnce:
    """A runner whose process exits the first time it runs point ``point`` (marker file: already died)."""

    def __init__(self, marker: str, point: int) -> None:
        self.marker, self.point = marker, point

    def __call__(self, scenario, seed, replication, keep_tables=True) -> ReplicationOutput:
        if _point_of(scenario) == self.point and not os.path.exists(self.marker):
            Path(self.marker).touch()
            os._exit(3)
        return run_one(scenario, seed, replication, keep_tables)


class DieAlways:
    def __init__(self, point: int) -> None:
        self.point = point

    def __call__(self, scenario, seed, replication, keep_tables=True) -> ReplicationOutput:
        if _point_of(scenario) == self.point and replication == 2:
            os._exit(3)
        return run_one(scenario, seed, replication, keep_tables)


def _point_of(scenario) -> int:
    return 2 * (scenario.nationalities["Kazakhstan"].consular.officers == 3) + int(scenario.database.shared)


def test_a_lock_keeps_two_sweeps_out_of_one_folder(folder: Path, capsys) -> None:
    out = folder / "out"
    out.mkdir()
    (out / ".lock").write_text(f"{os.getppid()}\n{os.uname().nodename}\n")  # a live process
    with pytest.raises(SweepLockedError, match="in use by another sweep"):
        sim.sweep(folder / "grid.toml", out)
    assert cli.main(["sweep", str(folder / "grid.toml"), "-o", str(out), "-q", "--no-plots"]) == 2
    assert not (out / "tasks").exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / ".lock").write_text(f"{dead.pid}\n{os.uname().nodename}\n")  # its process is gone: taken over
    sim.sweep(folder / "grid.toml", out)
    assert not (out / ".lock").exists() and len(task_files(out)) == 4


def test_output_folder_of_other_files_is_refused(folder: Path) -> None:
    out = folder / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    assert cli.main(["sweep", str(folder / "grid.toml"), "-o", str(out), "-q", "--no-plots"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]


def test_sigkill_part_way_then_resume_matches_an_uninterrupted_run(folder: Path, write_toml) -> None:
    sweep_file = write_toml(folder, "long.toml", GRID.replace("replications = 4", "replications = 25"))
    clean = folder / "clean"
    sim.sweep(sweep_file, clean, chunk_size=1)
    assert len(task_files(clean)) == 100

    out = folder / "killed"
    command = [sys.executable, "-m", "sim", "sweep", str(sweep_file), "-o", str(out), "-q", "--no-plots",
               "--chunk-size", "1"]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "tasks").glob("*.parquet"))) < 10:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = len(task_files(out))
    assert 10 <= partial < 100, partial
    assert (out / ".lock").exists()  # left behind by the killed driver

    rerun = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "stale lock" in rerun.stderr
    assert f"{partial} already done" in rerun.stderr
    assert task_files(out) == task_files(clean)  # none missing, none extra, every byte equal
    tasks = pd.concat([pd.read_parquet(p) for p in (out / "tasks").glob("*.parquet")])
    assert not tasks.duplicated(["point_id", "replication"]).any() and len(tasks) == 100
    assert (out / "summary.csv").read_bytes() == (clean / "summary.csv").read_bytes()
    assert not list(out.rglob(".*.tmp")) and not (out / ".lock").exists()


def test_results_do_not_depend_on_the_worker_count(folder: Path) -> None:
    one = folder / "w1"
    two = folder / "w2"
    sim.sweep(folder / "lhs.toml", one, workers=1, chunk_size=1)
    sim.sweep(folder / "lhs.toml", two, workers=2, chunk_size=1)
    assert len(task_files(one)) == 20 and task_files(one) == task_files(two)
    for name in ("summary.csv", "points.csv", "sensitivity.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes()


def test_execute_task_returns_rows_per_replication(folder: Path) -> None:
    spec = load_sweep(folder / "grid.toml")
    point = spec.points[1]
    from sim.sweep import TaskSpec

    result = execute_task(TaskSpec(task_key(point, 11, (2, 3)), 1, (2, 3), 11, spec.scenario(point)))
    assert result.error is None and result.metrics is not None
    table = pd.read_parquet(io.BytesIO(result.metrics))
    assert table[["point_id", "replication"]].values.tolist() == [[1, 2], [1, 3]]
    assert table.dtypes["replication"] == np.int64 and table.dtypes["cost_total"] == np.float64
    again = execute_task(TaskSpec(task_key(point, 11, (2, 3)), 1, (2, 3), 11, spec.scenario(point)))
    assert again.metrics == result.metrics
    elsewhere = execute_task(TaskSpec("k", 1, (2,), 11, spec.scenario(point), code="0.0.1+other"))
    assert elsewhere.metrics is None and elsewhere.error.startswith("VersionMismatch")


# --------------------------------------------------------------------------------------------- memory


FAKE_METRICS = {f"metric_{i}": float(i) for i in range(8)}


def fake_runner(scenario, seed, replication, keep_tables=True) -> ReplicationOutput:
    return ReplicationOutput(replication, {**FAKE_METRICS, "replication_value": float(replication)},
                             pd.DataFrame(), None)


def driver_peak(run: Callable[..., object], *args, **kwargs) -> tuple[int, object]:
    """Peak Python memory while ``run`` runs, less single blocks of 1 MiB or more still alive at the end.

    Those are interpreter tables resized while tracing (e.g. the interned-strings dict, which pathlib
    grows): allocated long before, they are counted whole when rebuilt. A driver that held results would
    instead grow by many small blocks.
    """
    tracemalloc.start()
    try:
        result = run(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
        tables = sum(trace.size for trace in tracemalloc.take_snapshot().traces if trace.size >= 2**20)
    finally:
        tracemalloc.stop()
    return peak - tables, result


def test_driver_memory_stays_flat_as_tasks_grow(folder: Path, write_toml) -> None:
    """2,000 tiny tasks against 200: the driver's peak Python memory hardly moves (results go to disk)."""
    peaks = {}
    for replications in (100, 1000):
        path = write_toml(folder, f"mem{replications}.toml",
                          f'base = "tiny.toml"\nreplications = {replications}\n[parameters]\n'
                          '"database.shared" = [false, true]\n')
        spec = load_sweep(path)
        peaks[replications], outcome = driver_peak(run_sweep, spec, folder / f"mem{replications}", chunk_size=1,
                                                   note=quiet, _runner=fake_runner)
        assert outcome.ran == 2 * replications
    assert len(task_files(folder / "mem1000")) == 2000
    assert peaks[1000] < 4 * 2**20, peaks  # about 1.2 MiB here
    assert peaks[1000] < peaks[100] + 512 * 2**10, peaks
