"""What ``repatsim plan`` says and writes: the answer in words, the evidence table, ``plan.csv`` and the
folder (``plan.csv``, ``plan.png``, ``manifest.json`` and, when there is an answer, its ``scenario.toml``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.decisions.plan import PlanResult, Verdict
from sim.results.storage import (
    FolderSwap,
    atomic_write_text,
    file_sha256,
    manifest,
    now_iso,
    write_csv,
    write_json,
)
from sim.scenario import dump_scenario, load_scenario

__all__ = ["format_plan", "plan_table", "plan_to_folder"]


def fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _bound_name(verdict: Verdict, confidence: float) -> str:
    return f"{confidence:.0%} {'upper' if verdict.target.upper else 'lower'} bound"


def _values_text(result: PlanResult, values: tuple[int, ...]) -> str:
    return ", ".join(f"{v.key} = {x}" for v, x in zip(result.varies, values))


def _verdict_text(verdict: Verdict, confidence: float) -> str:
    target = verdict.target
    if verdict.n < 2:
        return (f"{target.metric}: mean {fmt(verdict.mean)}, no bound ({verdict.n} replication"
                f"{'' if verdict.n == 1 else 's'} with a value)")
    sign = ("<=" if verdict.meets else ">") if target.upper else (">=" if verdict.meets else "<")
    return (f"{target.metric}: mean {fmt(verdict.mean)}, {_bound_name(verdict, confidence)} {fmt(verdict.bound)} "
            f"{sign} {target.value:g} ({verdict.n} replications)")


def _why_not(result: PlanResult, values: tuple[int, ...]) -> str:
    missed = [v for v in result.verdicts[values] if not v.meets]
    parts = []
    for v in missed:
        text = _verdict_text(v, result.confidence)
        if v.close:
            text += ", too close to the target to call"
        parts.append(text)
    return "; ".join(parts)


def plan_table(result: PlanResult) -> pd.DataFrame:
    """plan.csv: one row per candidate and target (candidates in key order; ``candidate`` is the order tried)."""
    rows: list[dict[str, Any]] = []
    for candidate in result.candidates:
        cost_mean, cost_low, cost_high = result.cost(candidate.values)
        feasible = result.feasible(candidate.values)
        for verdict in result.verdicts[candidate.values]:
            rows.append({"candidate": candidate.order,
                         **{v.key: x for v, x in zip(result.varies, candidate.values)},
                         "target": verdict.target.text, "metric": verdict.target.metric,
                         "operator": verdict.target.operator, "value": verdict.target.value,
                         "mean": verdict.mean, "bound": verdict.bound, "confidence": result.confidence,
                         "replications": candidate.n, "meets": verdict.meets, "decided": not verdict.close,
                         "feasible": feasible, "frontier": candidate.values in result.frontier,
                         "answer": candidate.values == result.answer, "cost_total_mean": cost_mean,
                         "cost_total_ci_low": cost_low, "cost_total_ci_high": cost_high})
    return pd.DataFrame(rows)


def format_plan(result: PlanResult) -> str:
    """The answer in plain words, how it was found, and every candidate tried."""
    conf = result.confidence
    keys = " and ".join(f"{v.key} in {v.low}..{v.high}" for v in result.varies)
    single = len(result.varies) == 1
    goal = "the smallest value of" if single else "the cheapest (mean cost_total) smallest combination of"
    lines = [f"Plan for {result.scenario.name}: {goal} {keys} that meets every target with {conf:.0%} confidence",
             "(the one-sided bound of the metric's mean over replications is held to the target):"]
    lines += [f"  {t.metric} {t.operator} {t.value:g}" for t in result.targets]
    lines.append("")
    if result.answer is None:
        what = "value" if single else "combination"
        lines.append(f"Answer: NO {what} in range meets every target with {conf:.0%} confidence.")
        for values in _most_tried(result):
            lines.append(f"  At {_values_text(result, values)}: {_why_not(result, values)}.")
    else:
        lines.append(f"Answer: {_values_text(result, result.answer)}")
        lines += [f"  {_verdict_text(v, conf)}" for v in result.verdicts[result.answer]]
        mean, low, high = result.cost(result.answer)
        lines.append(f"  cost_total: mean {fmt(mean)} [95% CI {fmt(low)}, {fmt(high)}]")
        below = _just_below(result)
        if below is not None:
            lines.append(f"  One less ({_values_text(result, below)}) does not meet: {_why_not(result, below)}.")
        if not single and len(result.frontier) > 1:
            lines.append("  Other smallest combinations that meet every target (dearer): " + "; ".join(
                f"{_values_text(result, p)} (cost_total {fmt(result.cost(p)[0])})"
                for p in result.frontier if p != result.answer))
    lines.append("")
    lines += _how(result)
    lines.append("")
    lines.append(f"Evidence: every candidate tried (# is the order tried; bound = {conf:.0%} one-sided bound):")
    lines.append(_evidence(result))
    return "\n".join(lines)


def _most_tried(result: PlanResult) -> list[tuple[int, ...]]:
    """The candidates with the most of every key that were tried (where the target should be easiest)."""
    tried = [c.values for c in result.candidates]
    return [p for p in tried if not any(q != p and all(a >= b for a, b in zip(q, p)) for q in tried)][:3]


def _just_below(result: PlanResult) -> tuple[int, ...] | None:
    if result.answer is None:
        return None
    for i in range(len(result.answer)):
        lower = tuple(x - 1 if j == i else x for j, x in enumerate(result.answer))
        if lower in result.verdicts and not result.feasible(lower):
            return lower
    return None


def _how(result: PlanResult) -> list[str]:
    lines = []
    for vary in result.varies:
        if result.searched_by_bisection(vary):
            lines.append(f"Assumption: more {vary.name} never makes a target worse (monotone), so {vary.key} was "
                         "searched by bisection.")
        else:
            reason = ("as asked (--exhaustive)" if result.exhaustive
                      else f"{vary.name} is not a resource assumed monotone")
            lines.append(f"{vary.key} was tried at every value from {vary.low} to {vary.high} ({reason}).")
    if any(result.searched_by_bisection(v) for v in result.varies):
        if result.warnings:
            lines.append("WARNING: the evidence contradicts the monotonicity assumption (the answer may not be the "
                         "smallest; try --exhaustive):")
            lines += [f"  {w}" for w in result.warnings]
        else:
            lines.append("Checked on the evidence: no larger value did worse than a smaller one beyond noise.")
    lines.append(f"Replications: {result.replications} per candidate to start (replications "
                 f"0..{result.replications - 1}, seed {result.seed}: every candidate faces the same arrivals, "
                 f"common random numbers), doubled up to {result.max_replications} while a candidate was too "
                 "close to a target to decide.")
    return lines


def _evidence(result: PlanResult) -> str:
    head = ["#", *(v.name for v in result.varies),
            *(f"{t.metric} mean (bound)" for t in result.targets), "reps", "meets all", "cost_total mean"]
    rows = []
    for c in result.candidates:
        cells = [str(c.order), *(str(x) for x in c.values)]
        for v in result.verdicts[c.values]:
            mark = "" if v.meets else (" ?" if v.close else " x")
            cells.append(f"{fmt(v.mean)} ({fmt(v.bound)}){mark}")
        answer = " <- answer" if c.values == result.answer else ""
        cells += [str(c.n), ("yes" if result.feasible(c.values) else "no") + answer, fmt(result.cost(c.values)[0])]
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(head, widths))]
    out += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    out.append("  (x: misses the target; ?: too close to call, so not met: replications were added only while that "
               "could change the answer, up to the cap)")
    return "\n".join(line.rstrip() for line in out)


def plan_to_folder(result: PlanResult, out: Path, file: Path, overrides: list[str], plots: bool = True) -> Path:
    """Write plan.csv, plan.png (with ``plots``), manifest.json and the answer's scenario.toml atomically."""
    swap = FolderSwap(out)
    try:
        table = plan_table(result)
        write_csv(table, swap.work / "plan.csv")
        if plots:
            from sim.report.plots import DPI
            from sim.report.plots.plan import plan_figure

            figure = plan_figure(table, [v.key for v in result.varies])
            figure.savefig(swap.work / "plan.png", dpi=DPI, format="png")
        if result.answer is not None:
            overrides_at = [*overrides, *(f"{v.key}={x}" for v, x in zip(result.varies, result.answer))]
            atomic_write_text(swap.work / "scenario.toml", dump_scenario(load_scenario(file, overrides_at)))
        write_json(manifest("plan", seed=result.seed, confidence=result.confidence,
                            replications=result.replications, max_replications=result.max_replications,
                            overrides=overrides, exhaustive=result.exhaustive,
                            scenarios=[{"name": result.scenario.name, "file": str(file), "sha256": file_sha256(file)}],
                            vary=[{"key": v.key, "low": v.low, "high": v.high,
                                   "bisection": result.searched_by_bisection(v)} for v in result.varies],
                            targets=[{"metric": t.metric, "operator": t.operator, "value": t.value}
                                     for t in result.targets],
                            answer=None if result.answer is None else dict(zip([v.key for v in result.varies],
                                                                               result.answer)),
                            frontier=[dict(zip([v.key for v in result.varies], p)) for p in result.frontier],
                            candidates=len(result.candidates), monotonicity_warnings=result.warnings,
                            finished=now_iso()), swap.work / "manifest.json")
        return swap.commit()
    except BaseException:
        swap.abort()
        raise
