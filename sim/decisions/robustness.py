"""``repatsim compare --robustness``: does each conclusion of a comparison survive its assumptions' ranges?

The idea of robust decision making (as in Delft's EMA Workbench), one at a time: every ranged number of the
**reference** scenario (``KEY_range``, ``[ranges]``: :mod:`sim.scenario.ranges`) is set to its low end, then
to its high end, in **every** scenario of the comparison (the same assumption changed in the world both
policies face), and the comparison is re-run on the same replications and seed (common random numbers).
Each headline paired difference (variant - reference) is then known under the baseline assumptions and
under each end of each range; :mod:`sim.decisions.sentences` says whether its sign holds.

A variant that sets a ranged key to a value of its own (a policy lever, e.g. more screening teams) keeps
that value, unless it gives the key a range of its own, whose ends it then takes; its row says which.

Written beside the comparison, in ``OUT/robustness/``: ``robustness.csv`` (every difference under every
setting), ``robustness_summary.csv`` (per variant and headline metric: the verdict and its sentence),
``paragraphs.csv`` (one paragraph per variant) and a tornado chart per headline difference,
``tornado_<variant>_<metric>.png``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.decisions.sentences import DIRECTION, HOLDS, End, judge, variant_paragraph
from sim.experiment import RunResult, run_replications
from sim.results.metrics import HEADLINE_METRICS, paired_comparison
from sim.results.storage import write_csv
from sim.scenario import Issue, Scenario, ScenarioError, load_scenario, scenario_to_dict
from sim.scenario.errors import key_parts, lookup

__all__ = ["ENDS", "RobustnessPlan", "Setting", "plan_robustness", "robustness_hook", "run_robustness",
           "summary_text"]

ENDS = ("low", "high")
FOLDER = "robustness"


@dataclass(frozen=True)
class Setting:
    """One end of one range, and the scenarios of the comparison with it (in the comparison's order)."""

    key: str
    end: str
    value: float  # the reference's value at this end
    base_value: float  # the reference's own value
    used: tuple[str, ...]  # per scenario: "same", "own range: X" or "held at X (its own setting)"
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class RobustnessPlan:
    reference: str
    settings: tuple[Setting, ...]


def _literal(value: float, whole: bool) -> str:
    return str(int(round(value))) if whole else repr(float(value))


def plan_robustness(files: Sequence[Path], scenarios: Sequence[Scenario], overrides: Sequence[str]) -> RobustnessPlan:
    """Every setting to run, each scenario built and validated now (a range end a scenario refuses is bad
    input: :class:`ScenarioError` naming the range, the end and the problem; nothing has run yet)."""
    if len(scenarios) < 2:
        raise ScenarioError([Issue("--robustness", "needs a comparison: give two scenarios or more (the first is "
                                   "the reference)", [str(f) for f in files])])
    reference = scenarios[0]
    if not reference.ranges:
        raise ScenarioError([Issue("--robustness", f"{files[0]} gives no ranges: add KEY_range = [low, high] beside "
                                   "the assumed numbers, or a [ranges] table of dotted key paths", str(files[0]))])
    resolved = [scenario_to_dict(s) for s in scenarios]
    settings, issues = [], []
    for key, (low, high) in reference.ranges.items():
        parts = key_parts(key)
        _, base_value = lookup(resolved[0], parts)
        whole = isinstance(base_value, int) and not isinstance(base_value, bool)
        for end, value in zip(ENDS, (low, high)):
            used, built = [], []
            for index, (file, scenario, data) in enumerate(zip(files, scenarios, resolved)):
                found, own = lookup(data, parts)
                own_range = scenario.ranges.get(key)
                if index == 0 or (found and own == base_value):
                    at, note = value, "same"
                elif found and own_range is not None and tuple(own_range) != (low, high):
                    at = own_range[ENDS.index(end)]
                    note = f"own range: {_literal(at, whole)}"
                else:  # a policy lever of this variant: it keeps its own value
                    used.append(f"held at its own value, {own}" if found else "held: sets no value of its own")
                    built.append(scenario)
                    continue
                try:
                    built.append(load_scenario(file, [*overrides, f"{key}={_literal(at, whole)}"]))
                except ScenarioError as error:
                    issues += [Issue(f"ranges.{key}", f"at its {end} end ({_literal(at, whole)}), {file}: {i.path}: "
                                     f"{i.message}", i.value, i.has_value) for i in error.issues]
                used.append(note)
            settings.append(Setting(key, end, float(value), float(base_value), tuple(used), tuple(built)))
    if issues:
        raise ScenarioError(issues)
    return RobustnessPlan(reference.name, tuple(settings))


def run_robustness(plan: RobustnessPlan, runs: Mapping[str, RunResult], folder: Path, seed: int, replications: int,
                   workers: int = 1, progress: bool = False,
                   draw: Callable[[pd.DataFrame, Path], list[Path]] | None = None) -> dict[str, Any]:
    """Run every setting on replications ``0..replications-1`` (the comparison's), write ``folder/robustness/``
    and return what the manifest records. ``runs``: the comparison under the baseline assumptions."""
    names = list(runs)
    jobs = [(f"{i}|{name}", scenario) for i, setting in enumerate(plan.settings)
            for name, scenario, used in zip(names, setting.scenarios, setting.used) if not used.startswith("held")]
    outputs = run_replications(jobs, range(replications), seed, workers, keep_tables=False, progress=progress)
    base_tables = {name: run.replications for name, run in runs.items()}
    rows = _rows(paired_comparison(base_tables), "", "base", math.nan, math.nan, ["same"] * len(names))
    for i, setting in enumerate(plan.settings):
        tables = {name: (base_tables[name] if f"{i}|{name}" not in outputs else  # held: its baseline run
                         pd.DataFrame([{"replication": o.replication, **o.metrics} for o in outputs[f"{i}|{name}"]]))
                  for name in names}
        rows += _rows(paired_comparison(tables), setting.key, setting.end, setting.value, setting.base_value,
                      list(setting.used))
    table = pd.DataFrame(rows)
    summary, paragraphs = summarise(table, names)
    out = folder / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    write_csv(table, out / "robustness.csv")
    write_csv(summary, out / "robustness_summary.csv")
    write_csv(paragraphs, out / "paragraphs.csv")
    charts = draw(table, out) if draw is not None else []
    return {"reference": plan.reference, "ranges": len({s.key for s in plan.settings}),
            "settings": len(plan.settings), "replications": replications, "charts": len(charts)}


def _rows(comparison: pd.DataFrame, key: str, end: str, value: float, base_value: float,
          used: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    scenarios = list(dict.fromkeys(comparison["scenario"]))
    reference_means = comparison[comparison["scenario"] == scenarios[0]].set_index("metric")["mean"]
    for index, name in enumerate(scenarios[1:], start=1):
        part = comparison[(comparison["scenario"] == name) & comparison["metric"].isin(HEADLINE_METRICS)]
        for r in part.itertuples(index=False):
            rows.append({"scenario": name, "metric": r.metric, "key": key, "end": end, "value": value,
                         "base_value": base_value, "scenario_setting": used[index], "diff_mean": r.diff_mean,
                         "diff_ci_low": r.diff_ci_low, "diff_ci_high": r.diff_ci_high, "n": r.n,
                         "reference_mean": float(reference_means.get(r.metric, math.nan)), "scenario_mean": r.mean})
    return rows


def summarise(table: pd.DataFrame, names: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per variant and headline metric: the verdict, the range of differences and the sentence; and one
    paragraph per variant."""
    rows, paragraphs = [], []
    for name in names[1:]:
        verdicts = []
        for metric in HEADLINE_METRICS:
            part = table[(table["scenario"] == name) & (table["metric"] == metric)]
            base = part[part["end"] == "base"]
            if base.empty:
                continue
            b = base.iloc[0]
            ends = [End(r.key, r.end, float(r.value), float(r.base_value), float(r.diff_mean), float(r.diff_ci_low),
                        float(r.diff_ci_high)) for r in part[part["end"] != "base"].itertuples(index=False)]
            verdict = judge(metric, float(b.diff_mean), float(b.diff_ci_low), float(b.diff_ci_high), ends)
            verdicts.append((metric, verdict))
            means = part["diff_mean"].astype(float)
            rows.append({"scenario": name, "metric": metric, "diff_mean": float(b.diff_mean),
                         "diff_ci_low": float(b.diff_ci_low), "diff_ci_high": float(b.diff_ci_high),
                         "diff_min": float(means.min()), "diff_max": float(means.max()),
                         "verdict": verdict.status, "sign_holds": verdict.status in (HOLDS, DIRECTION),
                         "flips": " | ".join(verdict.flips), "sentence": verdict.sentence(name)})
        paragraphs.append({"scenario": name, "paragraph": variant_paragraph(name, verdicts)})
    return pd.DataFrame(rows), pd.DataFrame(paragraphs)


def _signed(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.3g}"


def summary_text(folder: Path) -> str:
    """What the command prints after a robustness run: the paragraphs and the verdict table."""
    out = folder / FOLDER
    summary = pd.read_csv(out / "robustness_summary.csv")
    paragraphs = pd.read_csv(out / "paragraphs.csv")
    table = pd.read_csv(out / "robustness.csv")
    keys = [k for k in dict.fromkeys(table["key"].fillna("")) if k]
    lines = [f"Robustness: {len(keys)} ranged assumptions of the reference, each at its low and its high end in "
             "every scenario (common random numbers):", ""]
    lines += [f"  {p}" for p in paragraphs["paragraph"].fillna("") if p]
    lines.append("")
    for name, part in summary.groupby("scenario", sort=False):
        lines.append(f"  {name} - reference: difference under the baseline assumptions [95% CI], range over "
                     "the settings, verdict")
        cells = [(str(r.metric), f"{_signed(r.diff_mean)} [{_signed(r.diff_ci_low)}, {_signed(r.diff_ci_high)}]",
                  f"{_signed(r.diff_min)} .. {_signed(r.diff_max)}", str(r.verdict))
                 for r in part.itertuples(index=False)]
        widths = [max(len(c[i]) for c in cells) for i in range(4)]
        lines += ["    " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"\nTables and tornado charts: {out}")
    return "\n".join(lines)


def robustness_hook(scenarios: Sequence[tuple[Path, Scenario]], overrides: Sequence[str], workers: int = 1,
                    progress: bool = False, plots: bool = True) -> Callable[[Path, Any, int, int], dict[str, Any]]:
    """For ``compare --robustness``: plan every setting now (a bad range end raises :class:`ScenarioError`
    before anything runs) and return the hook :func:`sim.experiment.run_to_folder` calls inside the folder it
    assembles."""
    plan = plan_robustness([f for f, _ in scenarios], [s for _, s in scenarios], overrides)

    def draw(table: pd.DataFrame, folder: Path) -> list[Path]:
        from sim.report.plots.robustness import draw_tornados

        unit = scenarios[0][1].scenario.currency  # the costs' currency ([scenario] currency)
        return draw_tornados(table, folder, plan.reference, unit)

    def hook(work: Path, runs: Any, seed: int, replications: int) -> dict[str, Any]:
        return {"robustness": run_robustness(plan, runs, work, seed, replications, workers, progress,
                                             draw if plots else None)}

    return hook
