"""``repatsim plan``: the fewest resources that meet every target with the stated confidence.

A candidate is one value of each varied key. It **meets** a target when the one-sided confidence bound of
the metric's mean over its replications is on the right side of the value (for ``limbo_days_p90<=30``, the
upper bound ``mean + t(confidence, n-1) sd / sqrt(n)`` is at most 30). Every candidate runs replications
``0..n-1`` with the same seed (common random numbers: the same people arrive at the same times for every
candidate), and replications are added (doubling, up to a cap) only while a candidate is **close to the
line**: neither its bound meets a target nor its other bound fails it. A candidate still undecided at the
cap does not meet the target (the confidence asked for was not reached).

Keys of resources (officers, staff, seats, capacity, daily caps: :data:`~sim.decisions.specs.MONOTONE_KEYS`)
are assumed **monotone**: more of them never makes a target worse. With one such key the smallest value
that meets the targets is found by bisection; the assumption is then checked on the evidence (a larger
value that did worse than a smaller one, beyond noise: the paired difference's confidence interval is on
the worse side). Other whole-number keys, or ``exhaustive``, are tried at every value. With several keys,
the leading keys run over their grid, the last is bisected for each, the combinations no other feasible
combination undercuts in every key (the frontier) are kept, and the cheapest by mean ``cost_total`` is
the answer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import special

from sim.decisions.specs import Target, Vary
from sim.experiment import run_replications
from sim.results.metrics import t_interval
from sim.scenario import Scenario, load_scenario

__all__ = ["Candidate", "PlanResult", "Planner", "Verdict", "one_sided"]

COST = "cost_total"


@dataclass(frozen=True)
class Verdict:
    """A target against one candidate's replications: the mean, the one-sided bound held to the value
    (``bound``) and the other one (``far``: on the wrong side, the target is clearly missed)."""

    target: Target
    mean: float
    bound: float
    far: float
    n: int

    @property
    def meets(self) -> bool:
        return self.target.met_by(self.bound)

    @property
    def fails(self) -> bool:
        if self.n == 0 or math.isnan(self.far):
            return self.n == 0
        return self.far > self.target.value if self.target.upper else self.far < self.target.value

    @property
    def close(self) -> bool:
        return not self.meets and not self.fails


def one_sided(values: np.ndarray, target: Target, confidence: float) -> Verdict:
    """The mean and one-sided ``confidence`` bounds of the non-NaN ``values`` (none below two values)."""
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return Verdict(target, math.nan, math.nan, math.nan, 0)
    mean = float(values.mean())
    if n == 1:
        return Verdict(target, mean, math.nan, math.nan, 1)
    half = float(special.stdtrit(n - 1, confidence)) * float(values.std(ddof=1)) / math.sqrt(n)
    upper, lower = mean + half, mean - half
    return Verdict(target, mean, upper if target.upper else lower, lower if target.upper else upper, n)


@dataclass
class Candidate:
    """One value of each varied key and the metrics of its replications (in replication order)."""

    values: tuple[int, ...]
    order: int
    metrics: list[dict[str, float]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.metrics)

    def column(self, metric: str, n: int | None = None) -> np.ndarray:
        rows = self.metrics if n is None else self.metrics[:n]
        return np.array([row.get(metric, math.nan) for row in rows], dtype=float)


@dataclass
class PlanResult:
    """The search and its evidence; ``answer`` is None when no candidate in range meets every target."""

    scenario: Scenario
    varies: list[Vary]
    targets: list[Target]
    confidence: float
    seed: int
    replications: int
    max_replications: int
    exhaustive: bool
    candidates: list[Candidate]
    verdicts: dict[tuple[int, ...], list[Verdict]]
    frontier: list[tuple[int, ...]]
    answer: tuple[int, ...] | None
    warnings: list[str]

    def feasible(self, values: tuple[int, ...]) -> bool:
        return all(v.meets for v in self.verdicts[values])

    def cost(self, values: tuple[int, ...]) -> tuple[float, float, float]:
        candidate = next(c for c in self.candidates if c.values == values)
        mean, low, high, _ = t_interval(candidate.column(COST))
        return mean, low, high

    def searched_by_bisection(self, vary: Vary) -> bool:
        return vary.monotone and not self.exhaustive


class Planner:
    """Runs candidates on common random numbers until each is decided, and searches the keys' ranges."""

    def __init__(self, file: Path, overrides: Sequence[str], scenario: Scenario, varies: Sequence[Vary],
                 targets: Sequence[Target], confidence: float = 0.95, replications: int | None = None,
                 max_replications: int = 100, seed: int | None = None, workers: int = 1, progress: bool = False,
                 exhaustive: bool = False) -> None:
        self.file, self.overrides, self.scenario = file, list(overrides), scenario
        self.varies, self.targets = list(varies), list(targets)
        self.confidence = confidence
        self.first = max(2, replications or scenario.scenario.replications)
        self.cap = max(self.first, max_replications)
        self.seed = scenario.scenario.seed if seed is None else seed
        self.workers, self.progress, self.exhaustive = workers, progress, exhaustive
        self.candidates: dict[tuple[int, ...], Candidate] = {}

    # ------------------------------------------------------------------------------------ evaluation

    def scenario_at(self, values: tuple[int, ...]) -> Scenario:
        return load_scenario(self.file, [*self.overrides, *(f"{v.key}={x}" for v, x in zip(self.varies, values))])

    def verdicts(self, values: tuple[int, ...]) -> list[Verdict]:
        candidate = self.candidates[values]
        return [one_sided(candidate.column(t.metric), t, self.confidence) for t in self.targets]

    def feasible(self, values: tuple[int, ...]) -> bool:
        return all(v.meets for v in self.verdicts(values))

    def _undecided(self, values: tuple[int, ...]) -> bool:
        verdicts = self.verdicts(values)
        return not any(v.fails for v in verdicts) and any(v.close for v in verdicts)

    def _run(self, points: Sequence[tuple[int, ...]], start: int, stop: int) -> None:
        jobs = [(repr(p), self.scenario_at(p)) for p in points]
        outputs = run_replications(jobs, range(start, stop), self.seed, self.workers, keep_tables=False,
                                   progress=self.progress)
        for point, (key, _) in zip(points, jobs):
            self.candidates[point].metrics += [o.metrics for o in outputs[key]]

    def evaluate(self, points: Sequence[tuple[int, ...]]) -> None:
        """Run each new point's first replications (all points together, across the workers), then add
        replications to those close to a target's line until decided or at the cap."""
        new = [p for p in dict.fromkeys(points) if p not in self.candidates]
        for p in new:
            self.candidates[p] = Candidate(p, len(self.candidates) + 1)
        if new:
            self._run(new, 0, self.first)
        while True:
            pending = [p for p in dict.fromkeys(points) if self._undecided(p) and self.candidates[p].n < self.cap]
            if not pending:
                return
            for n in sorted({self.candidates[p].n for p in pending}):
                group = [p for p in pending if self.candidates[p].n == n]
                self._run(group, n, min(2 * n, self.cap))

    # ---------------------------------------------------------------------------------------- search

    def _smallest_last(self, prefix: tuple[int, ...], upper: int) -> int | None:
        """The smallest value of the last key (up to ``upper``) that meets every target, the leading keys at
        ``prefix``: by bisection for a monotone key, else by trying every value."""
        last = self.varies[-1]
        if not last.monotone or self.exhaustive:
            points = [(*prefix, x) for x in range(last.low, upper + 1)]
            self.evaluate(points)
            return next((p[-1] for p in points if self.feasible(p)), None)
        low, high = last.low, upper
        self.evaluate([(*prefix, low), (*prefix, high)])
        if self.feasible((*prefix, low)):
            return low
        if not self.feasible((*prefix, high)):
            return None
        while high - low > 1:
            middle = (low + high) // 2
            self.evaluate([(*prefix, middle)])
            if self.feasible((*prefix, middle)):
                high = middle
            else:
                low = middle
        return high

    def search(self) -> PlanResult:
        last = self.varies[-1]
        leading = self.varies[:-1]
        staircase = len(leading) == 1 and all(v.monotone for v in self.varies) and not self.exhaustive
        found: list[tuple[int, ...]] = []
        upper = last.high
        for prefix in itertools.product(*(v.values for v in leading)):
            smallest = self._smallest_last(prefix, upper)
            if smallest is None:
                continue
            found.append((*prefix, smallest))
            if staircase:  # more of the first key never needs more of the second: later points are bounded
                if smallest == last.low:
                    break  # every later point would use more of the first key and no less of the second
                upper = smallest
        frontier = [p for p in found if not any(q != p and all(a <= b for a, b in zip(q, p)) for q in found)]
        answer = None
        if frontier:
            costs = {p: self._cost(p) for p in frontier}
            answer = min(frontier, key=lambda p: (costs[p], p))
        candidates = sorted(self.candidates.values(), key=lambda c: c.values)
        verdicts = {c.values: self.verdicts(c.values) for c in candidates}
        return PlanResult(self.scenario, self.varies, self.targets, self.confidence, self.seed, self.first,
                          self.cap, self.exhaustive, candidates, verdicts, frontier, answer,
                          self.monotonicity_warnings())

    def _cost(self, values: tuple[int, ...]) -> float:
        cost = self.candidates[values].column(COST)
        cost = cost[~np.isnan(cost)]
        return float(cost.mean()) if len(cost) else math.inf

    # ---------------------------------------------------------------------------------- monotonicity

    def monotonicity_warnings(self) -> list[str]:
        """Pairs of candidates that differ in one monotone key where the larger value did worse on a target
        metric beyond noise (the paired difference's two-sided ``confidence`` interval, over their common
        replications, lies on the worse side)."""
        warnings = []
        points = sorted(self.candidates)
        for i, vary in enumerate(self.varies):
            if not vary.monotone or self.exhaustive:
                continue
            for a, b in itertools.combinations(points, 2):
                differs = [j for j in range(len(a)) if a[j] != b[j]]
                if differs != [i]:
                    continue
                small, large = (a, b) if a[i] < b[i] else (b, a)
                n = min(self.candidates[small].n, self.candidates[large].n)
                for target in self.targets:
                    diff = self.candidates[large].column(target.metric, n) - self.candidates[small].column(
                        target.metric, n)
                    mean, low, high, count = t_interval(diff, self.confidence)
                    worse = low > 0 if target.upper else high < 0
                    if count >= 2 and worse:
                        warnings.append(f"{vary.key}={large[i]} did worse than {vary.key}={small[i]} on "
                                        f"{target.metric} (paired difference {mean:+.4g}, {self.confidence:.0%} CI "
                                        f"[{low:.4g}, {high:.4g}], {count} replications)")
        return warnings
