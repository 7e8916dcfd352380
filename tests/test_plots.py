"""Plots drawn from a small synthetic results folder written here by hand (docs/outputs.md), never the model.

The helpers ``write_run``, ``write_compare`` and ``write_sweep`` are reused by tests/test_report.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the package may not be installed; tests import it from the checkout
    sys.path.insert(0, str(ROOT))

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

import sim.report.plots as plots  # noqa: E402
from sim.results.metrics import return_curve  # noqa: E402

START = dt.date(2025, 2, 12)
HORIZON = 60.0
NATIONALITIES = ("Ethiopia", "China", "Kazakhstan")
STAGES = ("registration", "identity", "crossing", "transport")
METRIC_NAMES = (
    "home_by_day_30_share", "home_by_day_60_share", "limbo_days_mean", "limbo_days_p50",
    "limbo_days_p90", "cost_per_returnee", "arrived", "returned", "lost", "still_waiting", "wait_days_mean",
    "wait_days_p50", "wait_days_p90",
    "wait_days_max", "peak_holding", "peak_shelter", "overcrowded_person_days", "person_days_waiting",
    "expected_lost", "expected_retrafficked_after_return", "expected_retrafficked", "cost_total",
    "cost_holding", "cost_shelter", "cost_officers", "cost_transport", "cost_health_checks",
)
SOURCES = {
    "crossing.daily_capacity": "Row 12: Thai MFA statement, 500 a day",
    "sites.holding": "Row 3: news reports of buildings of about 500 people",
    "nationalities.Ethiopia": "Row 31: IOM appeal for Ethiopian returns",
}


# ------------------------------------------------------------------------------- synthetic results


def _victims(rng: np.random.Generator, reps: int, people: int, factor: float) -> pd.DataFrame:
    frames = []
    for rep in range(reps):
        nat = rng.choice(np.array(NATIONALITIES), size=people, p=[0.5, 0.35, 0.15])
        arrived = rng.uniform(0.0, 5.0, people)
        wait = rng.gamma(2.0, 8.0 * factor, people) * np.where(nat == "Ethiopia", 2.0, 1.0)
        departed = arrived + wait
        crossed = arrived + 0.5 * wait
        status = np.where(departed > HORIZON, "waiting", "returned").astype(object)
        lost = (rng.random(people) < 0.05) & (status == "returned")
        status[lost] = "lost"
        departed = np.where(status == "waiting", np.nan, np.where(lost, arrived + 0.3 * wait, departed))
        crossed = np.where(crossed > np.nan_to_num(departed, nan=HORIZON), np.nan, crossed)
        hazard = rng.uniform(0.0, 0.05, people)
        screened = rng.random(people) < 0.7
        returned = status == "returned"
        frames.append(pd.DataFrame({
            "replication": np.full(people, rep, dtype="int32"),
            "victim_id": np.arange(people, dtype="int32"),
            "nationality": nat.astype(str),
            "vulnerable": rng.random(people) < 0.1,
            "arrived": arrived,
            "crossed": crossed,
            "departed": departed,
            "status": status.astype(str),
            "holding_days": np.nan_to_num(crossed, nan=HORIZON) - arrived,
            "shelter_days": np.where(np.isnan(crossed), 0.0, np.nan_to_num(departed, nan=HORIZON) - crossed),
            "screened": screened,
            "hazard": hazard,
            "p_lost": 1.0 - np.exp(-hazard),
            "p_retrafficked_after_return": np.where(returned, np.where(screened, 0.02, 0.1), 0.0),
        }))
    return pd.concat(frames, ignore_index=True)


def _occupancy(victims: pd.DataFrame) -> pd.DataFrame:
    """The change log implied by the victims' times, plus a row at every whole day."""
    frames = []
    for rep, v in victims.groupby("replication"):
        events = [(t, 1, 0) for t in v["arrived"]]
        for crossed, departed in zip(v["crossed"], v["departed"]):
            if np.isfinite(crossed):
                events.append((crossed, -1, 1))
                if np.isfinite(departed):
                    events.append((departed, 0, -1))
            elif np.isfinite(departed):
                events.append((departed, -1, 0))
        events.sort(key=lambda e: e[0])
        times = np.array([e[0] for e in events])
        holding = np.cumsum([e[1] for e in events])
        shelter = np.cumsum([e[2] for e in events])
        whole = np.arange(0.0, HORIZON + 1.0)
        idx = np.searchsorted(times, whole, side="right") - 1
        day_h = np.where(idx >= 0, holding[np.clip(idx, 0, None)], 0)
        day_s = np.where(idx >= 0, shelter[np.clip(idx, 0, None)], 0)
        frame = pd.DataFrame({"day": np.concatenate([times, whole]),
                              "holding": np.concatenate([holding, day_h]).astype("int64"),
                              "shelter": np.concatenate([shelter, day_s]).astype("int64")})
        frame = frame.sort_values("day", kind="stable")
        frame.insert(0, "replication", np.int32(rep))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _stages(victims: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for v in victims.itertuples():
        t = v.arrived
        for k, stage in enumerate(STAGES):
            rows.append((v.replication, v.victim_id, stage, t, t + 0.1 * k, t + 0.2 * k + 0.1))
            t += 0.2 * k + 0.1
    return pd.DataFrame(rows, columns=["replication", "victim_id", "stage", "queued", "started", "finished"])


def _replications(victims: pd.DataFrame, factor: float, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for rep, v in victims.groupby("replication"):
        waits = (v["departed"] - v["arrived"])[v["status"] == "returned"]
        row = {
            "replication": rep,
            "arrived": len(v),
            "returned": int((v["status"] == "returned").sum()),
            "lost": int((v["status"] == "lost").sum()),
            "still_waiting": int((v["status"] == "waiting").sum()),
            "wait_days_mean": waits.mean(),
            "wait_days_p50": waits.median(),
            "wait_days_p90": waits.quantile(0.9),
            "wait_days_max": waits.max(),
            "peak_holding": 60 + rng.integers(0, 10),
            "peak_shelter": 20 + rng.integers(0, 5),
            "overcrowded_person_days": 100 * factor,
            "person_days_waiting": float((v["holding_days"] + v["shelter_days"]).sum()),
            "expected_lost": float(v["p_lost"].sum()),
            "expected_retrafficked_after_return": float(v["p_retrafficked_after_return"].sum()),
            "cost_holding": 1000.0 * factor, "cost_shelter": 500.0, "cost_officers": 2000.0 / factor,
            "cost_transport": 30000.0, "cost_health_checks": 200.0,
        }
        row["expected_retrafficked"] = row["expected_lost"] + row["expected_retrafficked_after_return"]
        row["cost_total"] = sum(row[k] for k in row if k.startswith("cost_"))
        row["cost_per_returnee"] = row["cost_total"] / row["returned"]
        limbo = v["departed"].fillna(HORIZON) - v["arrived"]
        row.update({"limbo_days_mean": limbo.mean(), "limbo_days_p50": limbo.median(),
                    "limbo_days_p90": limbo.quantile(0.9)})
        for days in (30, 60):
            seen = v["arrived"] <= HORIZON - days
            home = (v["status"] == "returned") & (limbo <= days)
            row[f"home_by_day_{days}_share"] = home[seen].mean() if seen.any() else float("nan")
        for k, stage in enumerate(STAGES):
            row[f"queue_days_mean_{stage}"] = factor * (k + 1) * (1 + 0.1 * rng.random())
            row[f"service_days_mean_{stage}"] = 0.5 * (k + 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _summarise(table: pd.DataFrame) -> pd.DataFrame:
    out = []
    for metric in table.columns:
        if metric == "replication":
            continue
        x = table[metric].to_numpy(dtype=float)
        half = 2.0 * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else np.nan
        out.append({"metric": metric, "mean": x.mean(), "ci_low": x.mean() - half, "ci_high": x.mean() + half,
                    "p50": np.median(x), "p90": np.quantile(x, 0.9), "n": len(x)})
    return pd.DataFrame(out)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


def scenario_toml(name: str, officers: int = 1, shared: bool = False, start_date: bool = True,
                  sources: dict[str, str] | None = None, currency: str | None = None) -> str:
    """A resolved scenario file, written as text so the test does not depend on a TOML writer."""
    lines = ['pipeline = ["registration", "identity", "crossing", "transport"]', "", "[scenario]",
             f"name = {_toml_value(name)}", f"horizon_days = {HORIZON}", "seed = 7", "replications = 3"]
    if currency is not None:
        lines.append(f"currency = {_toml_value(currency)}")
    if start_date:
        lines.append(f"start_date = {START.isoformat()}")
    lines += ["", "[arrivals]", "waves = [{ day = 0.0, count = 80, spread_days = 5.0 }]", "",
              "[sites.holding]", "capacity = 40", "hazard_per_day = 0.001", "",
              "[sites.shelter]", "capacity = 20", "",
              "[crossing]", "daily_capacity = 30", 'admission = "travel_arranged"', "",
              "[database]", f"shared = {_toml_value(shared)}", ""]
    for nat, share in zip(NATIONALITIES, (0.5, 0.35, 0.15)):
        lines += [f"[nationalities.{nat}]", f"share = {share}",
                  f'consular = {{ mode = "ad_hoc", officers = {officers}, '
                  f'deploy_delay = {{ dist = "uniform", min = 20.0, max = 45.0 }} }}', ""]
    lines.append("[sources]")
    for key, note in (SOURCES if sources is None else sources).items():
        lines.append(f"{_toml_value(key)} = {_toml_value(note)}")
    return "\n".join(lines) + "\n"


def _write_scenario_files(folder: Path, name: str, factor: float, seed: int, **toml: object) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    victims = _victims(rng, reps=3, people=80, factor=factor)
    victims.to_parquet(folder / "victims.parquet", index=False)
    _stages(victims).to_parquet(folder / "stages.parquet", index=False)
    _occupancy(victims).to_parquet(folder / "occupancy.parquet", index=False)
    reps = _replications(victims, factor, rng)
    reps.to_csv(folder / "replications.csv", index=False)
    _summarise(reps).to_csv(folder / "metrics.csv", index=False)
    return_curve(victims, HORIZON).to_csv(folder / "return_curve.csv", index=False)
    by_nat = []
    for nat, v in victims.groupby("nationality"):
        summary = _summarise(_replications(v, factor, np.random.default_rng(seed)))
        summary.insert(0, "nationality", nat)
        by_nat.append(summary)
    pd.concat(by_nat).to_csv(folder / "metrics_by_nationality.csv", index=False)
    (folder / "scenario.toml").write_text(scenario_toml(name, **toml), encoding="utf-8")  # type: ignore[arg-type]
    return reps


def _manifest(kind: str, scenarios: list[dict[str, str]]) -> dict[str, object]:
    return {"kind": kind, "version": "0.1.0", "git_commit": "abc1234", "seed": 7, "replications": 3,
            "started": "2025-06-01T10:00:00", "finished": "2025-06-01T10:01:00", "python": "3.11.9",
            "dependencies": {"simpy": "4.1.1", "pandas": "2.2.0"}, "scenarios": scenarios}


def write_run(folder: Path, name: str = "Baseline 2025", start_date: bool = True) -> Path:
    """A synthetic ``repatsim run`` folder."""
    _write_scenario_files(folder, name, factor=1.0, seed=1, start_date=start_date)
    entry = {"name": name, "folder": ".", "file": "scenarios/baseline.toml", "sha256": "a1" * 32}
    (folder / "manifest.json").write_text(json.dumps(_manifest("run", [entry])), encoding="utf-8")
    return folder


COMPARE_NAMES = ("Baseline 2025", "Pre-agreed consular SOPs & a safe fund <fast track for everyone>",
                 "Shared database")


def write_compare(folder: Path, names: tuple[str, ...] = COMPARE_NAMES, currency: str | None = None) -> Path:
    """A synthetic ``repatsim compare`` folder: one run layout per scenario plus comparison.csv."""
    entries, reps = [], {}
    for i, name in enumerate(names):
        sub = f"s{i}_{'base' if i == 0 else 'variant'}"
        reps[name] = _write_scenario_files(folder / sub, name, factor=1.0 / (1 + i), seed=1,
                                           officers=1 + 2 * i, shared=(i == 2), currency=currency)
        entries.append({"name": name, "folder": sub, "file": f"scenarios/{sub}.toml", "sha256": f"{i}f" * 32})
    rows = []
    base = reps[names[0]]
    for name in names:
        summary = _summarise(reps[name])
        for r in summary.itertuples():
            diff = reps[name][r.metric].to_numpy(dtype=float) - base[r.metric].to_numpy(dtype=float)
            half = 2.0 * diff.std(ddof=1) / np.sqrt(len(diff))
            rows.append({"metric": r.metric, "scenario": name, "mean": r.mean, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "n": r.n, "diff_mean": diff.mean(),
                         "diff_ci_low": diff.mean() - half, "diff_ci_high": diff.mean() + half})
    pd.DataFrame(rows).to_csv(folder / "comparison.csv", index=False)
    (folder / "manifest.json").write_text(json.dumps(_manifest("compare", entries)), encoding="utf-8")
    return folder


def write_sweep(folder: Path, lhs: bool = False) -> Path:
    """A synthetic ``repatsim sweep`` folder: points.csv, summary.csv, sensitivity.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    if lhs:
        rng = np.random.default_rng(3)
        points = pd.DataFrame({"point_id": range(20), "crossing.daily_capacity": rng.uniform(100, 900, 20),
                               "nationality_defaults.consular.officers": rng.uniform(1, 8, 20)})
    else:
        grid = [(s, o) for s in (False, True) for o in (1, 2, 4, 8)]
        points = pd.DataFrame({"point_id": range(len(grid)), "database.shared": [g[0] for g in grid],
                               "nationality_defaults.consular.officers": [g[1] for g in grid]})
    points["scenario_hash"] = [f"h{i}" for i in range(len(points))]
    points.to_csv(folder / "points.csv", index=False)
    params = [c for c in points.columns if c not in ("point_id", "scenario_hash")]
    rows = []
    for p in points.itertuples(index=False):
        values = dict(zip(points.columns, p))
        effect = float(values[params[1]])
        for metric, mean in (("limbo_days_p90", 40.0 / effect), ("expected_retrafficked", 10.0 + effect),
                             ("cost_total", 1e5 * effect)):
            rows.append({"point_id": values["point_id"], **{k: values[k] for k in params}, "metric": metric,
                         "mean": mean, "ci_low": mean * 0.9, "ci_high": mean * 1.1, "n": 5})
    pd.DataFrame(rows).to_csv(folder / "summary.csv", index=False)
    sens = [{"metric": m, "parameter": p, "coefficient": c, "abs_rank": r, "r2": 0.8,
             "method": "standardised regression"}
            for m in ("limbo_days_p90", "cost_total")
            for p, c, r in ((params[1], -0.8, 1), (params[0], 0.2, 2))]
    pd.DataFrame(sens).to_csv(folder / "sensitivity.csv", index=False)
    (folder / "sweep.toml").write_text('base = "baseline.toml"\nreplications = 5\n', encoding="utf-8")
    manifest = _manifest("sweep", [])
    manifest.update({"base": "scenarios/baseline.toml", "base_name": "Baseline 2025",
                     "base_sha256": "b5" * 32, "sweep_file": "scenarios/sweeps/s.toml",
                     "sweep_sha256": "5e" * 32, "design": "lhs" if lhs else "grid"})
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------ fixtures


_DRAWN: dict[str, tuple[Path, list[Path]]] = {}


def drawn_compare_folder(factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A synthetic compare folder with its plots drawn, once per session (tests/test_report.py reuses it:
    drawing is the slow part)."""
    if "compare" not in _DRAWN:
        folder = write_compare(factory.mktemp("drawn_compare"))
        _DRAWN["compare"] = (folder, plots.draw_plots(folder))
    return _DRAWN["compare"]


@pytest.fixture(scope="module")
def drawn_compare(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    return drawn_compare_folder(tmp_path_factory)


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_compare(tmp_path_factory.mktemp("compare"))


@pytest.fixture(scope="module")
def victims(compare_dir: Path) -> dict[str, pd.DataFrame]:
    results = plots.load_results(compare_dir)
    return {s.name: s.victims() for s in results.scenarios}


@pytest.fixture(scope="module")
def metrics(compare_dir: Path) -> dict[str, pd.DataFrame]:
    results = plots.load_results(compare_dir)
    return {s.name: s.metrics() for s in results.scenarios}


def _labels(ax) -> tuple[str, str]:
    return ax.get_xlabel(), ax.get_ylabel()


def _named_lines(ax, names) -> list:
    """The scenarios' lines (the reference's label ends in "(reference)")."""
    wrapped = {plots.wrap_label(n, 40, 2) for n in names} | {plots.wrap_label(f"{n} (reference)", 40, 2)
                                                             for n in names}
    return [line for line in ax.get_lines() if line.get_label().split(":")[0] in wrapped
            or line.get_label() in wrapped]


# ----------------------------------------------------------------------------------------- the tests


def test_load_results_reads_the_manifest_order_and_kind(compare_dir: Path) -> None:
    results = plots.load_results(compare_dir)
    assert results.kind == "compare"
    assert [s.name for s in results.scenarios] == list(COMPARE_NAMES)
    assert results.scenarios[0].start_date == START
    assert results.scenarios[0].capacity("holding") == 40
    assert results.scenarios[1].folder == (compare_dir / "s1_variant").resolve()


def test_daily_occupancy_takes_the_last_change_at_or_before_each_day() -> None:
    log = pd.DataFrame({
        "replication": [0, 0, 0, 0, 0, 1, 1],
        "day": [0.0, 0.5, 1.0, 1.0, 2.7, 0.2, 1.5],
        "holding": [5, 7, 3, 4, 0, 2, 9],
        "shelter": [0, 0, 1, 1, 2, 0, 0],
    })
    table = plots.daily_occupancy(log, [0.0, 1.0, 2.0, 3.0], "holding")
    assert table.loc[0].tolist() == [5, 4, 4, 0]  # two changes at day 1: the later row wins
    assert table.loc[1].tolist() == [0, 2, 9, 9]  # empty before its first change
    # the log need not be sorted: shuffling rows of different times must not change the answer
    shuffled = log.iloc[[4, 0, 1, 2, 3, 6, 5]]
    assert plots.daily_occupancy(shuffled, [0.0, 1.0, 2.0, 3.0], "holding").loc[0].tolist() == [5, 4, 4, 0]


def test_cumulative_returned_counts_departures_at_or_before_each_day() -> None:
    v = pd.DataFrame({"replication": [0, 0, 0, 0, 1], "status": ["returned", "returned", "lost", "waiting",
                                                                 "returned"],
                      "departed": [1.0, 2.5, 0.5, np.nan, 0.0]})
    table = plots.cumulative_returned(v, [0.0, 1.0, 2.0, 3.0])
    assert table.loc[0].tolist() == [0, 1, 1, 2]  # the lost person is not counted as returned
    assert table.loc[1].tolist() == [1, 1, 1, 1]


def test_wait_time_figure_counts_everyone_who_arrived(victims) -> None:
    fig = plots.wait_time_figure(victims)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    xlabel, ylabel = _labels(ax)
    assert "(days)" in xlabel and "% of everyone who arrived" in ylabel
    assert ax.get_title(loc="left")
    lines = _named_lines(ax, victims)
    assert len(lines) == 3
    for line, df in zip(lines, victims.values()):
        # each curve ends at the share of everyone who went home, not at 100%
        home = (df["status"] == "returned").mean() * 100
        assert line.get_ydata()[-1] == pytest.approx(home)
        not_home = plots.fmt_number(100 - home)
        assert f"{not_home}% of arrivals not home by the end" in line.get_label()


def test_wait_curve_of_a_small_sample_is_the_exact_ecdf_staircase_over_everyone() -> None:
    v = pd.DataFrame({"replication": [0, 0, 0, 0], "nationality": ["A"] * 4, "arrived": [0.0, 1.0, 0.0, 0.0],
                      "departed": [3.0, 2.0, 2.0, np.nan], "status": ["returned"] * 3 + ["waiting"]})
    ax = plots.wait_time_figure({"Tiny": v}).axes[0]
    (curve,) = _named_lines(ax, ["Tiny"])
    # waits 3, 1, 2 of four people: the share home jumps by a quarter at each and stops at 75%
    assert list(curve.get_xdata()) == [1, 1, 2, 2, 3, 3]
    assert list(curve.get_ydata()) == pytest.approx([0, 25, 25, 50, 50, 75])
    assert "25.0% of arrivals not home" in curve.get_label()


def _is_reference_style(artist, others) -> bool:
    """Black, dashed and on top of every other scenario's artist."""
    from matplotlib.colors import to_hex

    dashed = artist.get_linestyle() not in ("-", "solid")
    return (to_hex(artist.get_color()) == "#000000" and dashed
            and all(artist.get_zorder() > o.get_zorder() for o in others))


def test_the_reference_is_black_dashed_and_on_top_in_every_line_figure(victims, compare_dir: Path) -> None:
    names = list(victims)
    curves = {s.name: s.return_curve() for s in plots.load_results(compare_dir).scenarios}
    for fig in (plots.wait_time_figure(victims), plots.returned_over_time_figure(victims, horizon=HORIZON),
                plots.limbo_curve_figure(curves)):
        ax = fig.axes[0]
        lines = _named_lines(ax, names)
        assert len(lines) == 3
        assert "(reference)" in lines[0].get_label()
        assert _is_reference_style(lines[0], lines[1:])
        assert not any(_is_reference_style(ln, [lines[0]]) for ln in lines[1:])
    results = plots.load_results(compare_dir)
    fig = plots.occupancy_figure({s.name: s.occupancy() for s in results.scenarios}, None, START, HORIZON)
    for ax in fig.axes:  # one panel per site, a median line per scenario
        medians = _named_lines(ax, names)
        assert len(medians) == 3 and "(reference)" in medians[0].get_label()
        assert _is_reference_style(medians[0], medians[1:])


def test_limbo_curve_is_one_minus_the_share_home(compare_dir: Path) -> None:
    results = plots.load_results(compare_dir)
    curves = {s.name: s.return_curve() for s in results.scenarios}
    ax = plots.limbo_curve_figure(curves).axes[0]
    first = next(iter(curves.values()))
    expected = 100 * (1 - first[first["nationality"] == "all"]["share_home"].to_numpy())
    line = ax.get_lines()[0]
    assert line.get_ydata() == pytest.approx(expected)
    assert "limbo" in ax.get_ylabel() and "(days)" in ax.get_xlabel()


def test_wait_by_nationality_has_a_panel_per_nationality(victims) -> None:
    df = next(iter(victims.values()))
    fig = plots.wait_by_nationality_figure(df, "Baseline 2025")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == df["nationality"].nunique()
    titles = " ".join(ax.get_title() for ax in panels)
    for nat in NATIONALITIES:
        assert nat in titles
    assert any("(days)" in ax.get_xlabel() for ax in panels)
    assert all(len([ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]) == 2 for ax in panels)


def test_occupancy_figure_panels_bands_and_capacity_lines(compare_dir: Path) -> None:
    """Old wide tables, read as long: a panel per site (holding, then shelter), a band and a median line per
    scenario, the capacity where set."""
    results = plots.load_results(compare_dir)
    occ = {s.name: s.occupancy() for s in results.scenarios}
    assert all(list(df.columns) == ["replication", "site", "kind", "day", "people"] for df in occ.values())
    caps = {s.name: {"holding": 40.0, "shelter": None} for s in results.scenarios}
    fig = plots.occupancy_figure(occ, caps, start_date=START, horizon=HORIZON)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["holding (holding site, before the crossing)",
                                                   "shelter (shelter, after the crossing)"]
    for k, ax in enumerate(fig.axes):
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == len(occ)  # a 90% band each
        capacity = [ln for ln in ax.get_lines() if ln.get_label() == "Capacity"]
        assert len(capacity) == (1 if k == 0 else 0)
        if capacity:
            assert capacity[0].get_ydata()[0] == 40.0
        assert "Date" in ax.get_xlabel() and "12 Feb 2025" in ax.get_xlabel()
    assert "people" in fig.axes[0].get_ylabel()
    # the median line of replication-level daily values, checked against the raw log at day 10
    first = next(iter(occ.values()))
    holding = first[first["site"] == "holding"]
    at_10 = [g[g["day"] <= 10.0].sort_values("day", kind="stable")["people"].iloc[-1]
             for _, g in holding.groupby("replication")]
    median_line = _named_lines(fig.axes[0], occ)[0]
    assert median_line.get_ydata()[10] == pytest.approx(np.median(at_10))


def test_occupancy_panels_share_a_scale_that_clips_no_scenario(compare_dir: Path) -> None:
    results = plots.load_results(compare_dir)
    # the busiest scenario last: a y range fixed by the first scenario would cut its peak off
    occ = {s.name: s.occupancy() for s in reversed(results.scenarios)}
    fig = plots.occupancy_figure(occ, None, start_date=START, horizon=HORIZON)
    for ax in fig.axes:
        for band in [c for c in ax.collections if isinstance(c, PolyCollection)]:
            top = max(path.vertices[:, 1].max() for path in band.get_paths())
            assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= top
    busiest = max(float(df[df["site"] == "holding"]["people"].max()) for df in occ.values())
    assert fig.axes[0].get_ylim()[1] >= 0.9 * busiest


def test_occupancy_without_start_date_uses_days(compare_dir: Path) -> None:
    results = plots.load_results(compare_dir)
    s = results.scenarios[0]
    fig = plots.occupancy_figure({s.name: s.occupancy()}, None, start_date=None, horizon=None)
    assert "(days)" in fig.axes[-1].get_xlabel()
    assert len(fig.axes) == 2


def test_returned_over_time_ends_at_the_mean_number_returned(victims) -> None:
    fig = plots.returned_over_time_figure(victims, start_date=None, horizon=HORIZON)
    ax = fig.axes[0]
    lines = _named_lines(ax, victims)
    assert len(lines) == 3
    assert "(days)" in ax.get_xlabel() and "people" in ax.get_ylabel()
    for line, df in zip(lines, victims.values()):
        expected = (df["status"] == "returned").groupby(df["replication"]).sum().mean()
        assert line.get_ydata()[-1] == pytest.approx(expected)


def test_returned_by_nationality_has_one_line_per_nationality(victims) -> None:
    df = next(iter(victims.values()))
    fig = plots.returned_by_nationality_figure(df, "Baseline 2025", start_date=START, horizon=HORIZON)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3
    assert "%" in ax.get_ylabel() and "Date" in ax.get_xlabel()
    for line in ax.get_lines():
        assert 0 <= np.nanmax(line.get_ydata()) <= 100


def test_by_nationality_figures_switch_to_small_multiples_when_crowded(victims) -> None:
    df = next(iter(victims.values()))
    fig = plots.returned_by_nationality_figure(df, "Baseline 2025", horizon=HORIZON, max_lines=2)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3 and all(len(ax.get_lines()) == 2 for ax in panels)
    assert any("(days)" in ax.get_xlabel() for ax in panels) and "%" in panels[0].get_ylabel()
    fig = plots.wait_by_nationality_figure(df, "Baseline 2025", max_panels=2)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    assert "1 smaller nationality not shown" in fig.get_suptitle()


def test_stage_time_figure_stacks_every_part_of_every_stage(compare_dir: Path) -> None:
    results = plots.load_results(compare_dir)
    breakdowns = {s.name: s.breakdown() for s in results.scenarios}
    fig = plots.stage_time_figure(breakdowns)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    # registration and the queue/service of each stage, the identity's records round trip apart,
    # the crossing's clearance and the transport's ticket money and seat
    labels = [c.get_label() for c in bars]
    assert labels == [c.label for c in next(iter(breakdowns.values())).components]
    assert "Identity check: records round trip" in labels
    assert {"Transport home: waiting for ticket money", "Transport home: booking and waiting for a seat",
            "Border crossing: waiting to be cleared to cross"} <= set(labels)
    assert all(len(c.patches) == 3 for c in bars)
    assert "(days)" in ax.get_xlabel()
    for i, b in enumerate(breakdowns.values()):
        right = max(c.patches[i].get_x() + c.patches[i].get_width() for c in bars)
        assert right == pytest.approx(b.total())
        assert f" {plots.fmt_number(b.total())} days" in [t.get_text() for t in ax.texts]


def test_exposure_figure_splits_waiting_and_after_return(metrics) -> None:
    fig = plots.exposure_figure(metrics)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 and all(len(c.patches) == 3 for c in bars)
    assert "people" in ax.get_xlabel()
    for container, metric in zip(bars, ("expected_lost", "expected_retrafficked_after_return")):
        expected = [df.set_index("metric").loc[metric, "mean"] for df in metrics.values()]
        assert [p.get_width() for p in container.patches] == pytest.approx(expected)


def test_cost_exposure_figure_one_labelled_point_per_scenario(metrics) -> None:
    fig = plots.cost_exposure_figure(metrics, cost_unit="USD")
    ax = fig.axes[0]
    points = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(points) == 3
    assert "people" in ax.get_xlabel() and "USD" in ax.get_ylabel()
    for container, df in zip(points, metrics.values()):
        m = df.set_index("metric")["mean"]
        x, y = container.lines[0].get_data()
        assert (x[0], y[0]) == pytest.approx((m["expected_retrafficked"], m["cost_total"]))
    texts = [t for t in ax.texts if isinstance(t, Annotation)]
    assert sorted(t.get_text().split("\n")[0] for t in texts) == sorted(
        plots.wrap_label(n, 26, 2).split("\n")[0] for n in metrics)
    _assert_labels_clear(fig, ax, texts, [c.lines[0].get_xydata()[0] for c in points])
    # the reference: black, dashed whiskers, on top
    ref = points[0]
    assert ref.lines[0].get_color() in ("#000000", "black")
    assert ref.lines[0].get_zorder() > points[1].lines[0].get_zorder()
    assert all(c.get_linestyle()[0][1] for c in ref.lines[2])  # the whiskers: a dash pattern, not solid


def _assert_labels_clear(fig, ax, texts, points) -> None:
    """No label box overlaps another label box or any point's marker box, in the drawn figure."""
    from matplotlib.text import Text

    from sim.report.plots.placement import boxes_overlap, marker_boxes

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in texts]  # the text, without its leader line
    markers = marker_boxes(fig, ax, [tuple(p) for p in points])
    for i, box in enumerate(boxes):
        assert not any(boxes_overlap(box, other) for other in boxes[:i]), texts[i].get_text()
        assert not any(boxes_overlap(box, m) for m in markers), texts[i].get_text()
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1


def test_labels_of_crowded_points_never_overlap_labels_or_markers() -> None:
    """Eight scenarios at nearly the same place, with long names: every label that is drawn is clear of every
    other label and every marker, and the legend names them all."""
    names = [f"Scenario number {i} with a rather long name" for i in range(8)]
    metrics = {}
    for i, name in enumerate(names):
        rows = [("expected_retrafficked", 100.0 + 0.3 * (i % 3), 99.0, 101.5),
                ("cost_total", 1e6 + 2e3 * (i // 3), 0.99e6, 1.01e6)]
        metrics[name] = pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high"])
    fig = plots.cost_exposure_figure(metrics)
    ax = fig.axes[0]
    texts = [t for t in ax.texts if isinstance(t, Annotation)]
    points = [c.lines[0].get_xydata()[0] for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(texts) >= 4  # most find a place
    _assert_labels_clear(fig, ax, texts, points)
    legend = fig.legends[0]
    assert len(legend.get_texts()) == 8


def test_place_labels_is_deterministic() -> None:
    def draw() -> list[tuple[float, float]]:
        fig = plots.cost_exposure_figure({n: pd.DataFrame(
            [("expected_retrafficked", 10.0 + i, 9.0 + i, 11.0 + i), ("cost_total", 5.0e5, 4e5, 6e5)],
            columns=["metric", "mean", "ci_low", "ci_high"]) for i, n in enumerate("ABCDE")})
        return [t.xyann for t in fig.axes[0].texts if isinstance(t, Annotation)]

    assert draw() == draw()


def test_sweep_line_figure_one_line_per_setting_of_the_other_parameter(tmp_path: Path) -> None:
    folder = write_sweep(tmp_path)
    summary = pd.read_csv(folder / "summary.csv")
    fig = plots.sweep_metric_figure(summary, "nationality_defaults.consular.officers",
                                    parameters=["database.shared", "nationality_defaults.consular.officers"])
    assert len(fig.axes) == 3  # wait, exposure, cost
    for ax in fig.axes:
        assert len(ax.get_lines()) == 2  # database.shared = false / true
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2
        assert "officers" in ax.get_xlabel() and "(" in ax.get_ylabel()
        assert "nationality_defaults" not in ax.get_xlabel()
    assert "days" in fig.axes[0].get_ylabel()
    assert fig.get_suptitle() == "How the results change with: Consular officers per team (every nationality)"
    # a false/true parameter: points with CI whiskers per officer level, no lines or bands between categories
    fig = plots.sweep_metric_figure(summary, "database.shared")
    for ax in fig.axes:
        assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 4
        assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["false", "true"]
    fig = plots.sweep_heatmap_figure(summary, "database.shared", "nationality_defaults.consular.officers")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3 and images[0].get_array().shape == (4, 2)
    sens = pd.read_csv(folder / "sensitivity.csv")
    fig = plots.sensitivity_figure(sens)
    panels = [ax for ax in fig.axes if ax.containers]
    assert len(panels) == 2 and all(len(ax.containers[0].patches) == 2 for ax in panels)


RUN_WITHOUT_MODEL = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path[:0] = [{root!r}, {tests!r}]
    # the model, runner, schema and scenario loader cannot be imported: `import sim.model` raises ImportError
    for name in ("sim.model", "sim.experiment", "sim.scenario", "sim.scenario.schema", "sim.sweep", "simpy",
                 "pydantic"):
        sys.modules[name] = None
    import sim.report.plots, sim.report
    from test_plots import write_run
    folder = write_run(Path({folder!r}), start_date=False)
    (folder / "plots").mkdir()
    for stale in ("sweep_old_parameter.png", "sweep_old_parameter.svg", "my_own_chart.png"):
        (folder / "plots" / stale).write_bytes(b"x")
    paths = sim.report.plots.draw_plots(folder)
    left = sorted(p.name for p in (folder / "plots").iterdir() if "old" in p.name or "own" in p.name)
    assert left == ["my_own_chart.png"], left  # stale plots of ours go, other files stay
    stems = [p.stem for p in paths]
    assert stems == ["network", "wait_times", "limbo_curve", "wait_by_nationality", "occupancy",
                     "returned_over_time", "returned_by_nationality", "stage_times", "exposure",
                     "cost_vs_exposure"], stems
    for png in paths:
        assert png.parent == folder / "plots" and png.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n", png
        assert b"<svg" in png.with_suffix(".svg").read_bytes()[:2000], png
    html = sim.report.write_report(folder).read_text(encoding="utf-8")
    assert html.count("<img ") == len(paths) + 1, html.count("<img ")  # every PNG in plots/
    assert '<table class="scorecard">' in html and "In Baseline 2025, " in html
    print("ok", len(paths))
""")


def test_draw_plots_and_report_on_a_run_folder_without_the_model(tmp_path: Path) -> None:
    """In a fresh interpreter where importing the model fails, a run folder still gets PNG + SVG plots
    and a report (days on the time axes: this scenario has no start date)."""
    here = Path(__file__).resolve().parent
    code = RUN_WITHOUT_MODEL.format(root=str(ROOT), tests=str(here), folder=str(tmp_path / "r"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok 10")


def test_draw_plots_on_compare_and_sweep_folders(drawn_compare, tmp_path: Path) -> None:
    folder, paths = drawn_compare
    assert [p.stem for p in paths] == ["network", "wait_times", "limbo_curve", "wait_by_nationality", "occupancy",
                                       "returned_over_time", "returned_by_nationality", "stage_times",
                                       "exposure", "cost_vs_exposure"]
    assert all(p.parent == folder / "plots" and p.exists() and p.with_suffix(".svg").exists() for p in paths)
    sweep = plots.draw_plots(write_sweep(tmp_path / "lhs", lhs=True))
    assert {p.stem for p in sweep} == {"sweep_crossing_daily_capacity",
                                       "sweep_nationality_defaults_consular_officers", "sweep_heatmap",
                                       "sensitivity"}


def test_every_key_of_the_schema_has_words() -> None:
    """Sweep titles and axes name settings in words: every key of the scenario schema has them."""
    import typing

    from pydantic import BaseModel

    from sim.report.plots.parameters import parameter_words
    from sim.scenario.schema import Scenario

    def keys(model: type[BaseModel], prefix: str) -> list[str]:
        out = []
        for name, f in model.model_fields.items():
            key = f.alias or name
            subs = [a for a in (f.annotation, *typing.get_args(f.annotation))
                    if isinstance(a, type) and issubclass(a, BaseModel) and "dist" not in a.model_fields]
            out += keys(subs[0], f"{prefix}{key}.") if subs else [prefix + key]
        return out

    found = keys(Scenario, "")
    assert len(found) > 100 and "nationality_defaults.consular.officers" in found
    for key in found:
        path = (key.replace("nationalities.", "nationalities.Kenya.", 1).replace("arrivals.waves.", "arrivals.waves.0.")
                .replace("sites.release_changes.", "sites.release_changes.0.")
                .replace("sites.", "sites.dkba_camp.", 1).replace("crossings.", "crossings.phop_phra.", 1)
                .replace("capacity_changes.", "capacity_changes.0.").replace("closures.", "closures.0."))
        words = parameter_words(path)
        assert words and "_" not in words and "." not in words, (key, words)
        assert plots.parameter_label(path) == words
    assert plots.parameter_label("nationalities.Kenya.consular.officers") == "Consular officers per team (Kenya)"
    assert plots.parameter_label("stages.screening.staff") == "Victim screening: staff"
    assert plots.parameter_label("sites.holding.capacity") == "Holding site capacity"
    assert plots.parameter_label("sites.dkba_camp.release_per_day") == "Dkba camp people released per day"
    assert plots.parameter_label("crossings.phop_phra.daily_capacity") == "Border crossings per day (phop phra)"


def test_the_rounding_rule() -> None:
    f = plots.fmt_number
    assert [f(x) for x in (9_698_943, 13_482_330, 1196.66, 399.5, 663.74, 34.537, 4.6893, 0.557, 0.0038, 0)] == [
        "9.70 million", "13.5 million", "1,197", "400", "664", "34.5", "4.69", "0.56", "<0.01", "0"]
    assert f(-30.187) == "−30.2" and f(30.187, signed=True) == "+30.2" and f(99.96) == "100" and f(1e-17) == "0"
    assert plots.fmt_value("home_by_day_30_share", 0.5628736) == "56.3%"
    assert plots.fmt_diff("home_by_day_30_share", 0.03515) == "+3.52 pp"
    assert plots.fmt_range(1.15e6, 1.47e6) == "1.15 to 1.47 million"
    assert plots.fmt_range(-39.29, -21.08) == "−39.3 to −21.1"
    assert plots.fmt_range(0.0034, 0.0669, "home_by_day_30_share", diff=True) == "0.34 to 6.69 pp"
