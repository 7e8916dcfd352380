"""What a planner asks ``repatsim plan`` for: the keys to vary (``--vary KEY=LOW..HIGH``) and the targets
(``--target "METRIC<=VALUE"``), read and checked before anything runs.

Every problem is a :class:`~sim.scenario.ScenarioError` naming the option, the value and what is allowed,
so the command exits 2 and writes nothing.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.results.metrics import HEADLINE_METRICS
from sim.scenario import Issue, Scenario, ScenarioError, load_scenario, scenario_to_dict
from sim.scenario.errors import key_parts, lookup
from sim.scenario.ranges import join_key

__all__ = ["MONOTONE_KEYS", "OPERATORS", "Target", "Vary", "known_metrics", "parse_target", "parse_vary",
           "check_plan_inputs"]

OPERATORS = ("<=", ">=")
MONOTONE_KEYS = frozenset({"officers", "staff", "capacity", "daily_capacity", "seats", "max_per_day",
                           "home_desk_officers"})
"""Resources (the last part of a key path) of which more never makes an outcome worse, by assumption: they are
searched by bisection; any other whole-number key (a count, a minimum load) is tried at every value."""

SECONDARY_METRICS = (
    "arrived", "returned", "lost", "limbo_days_max", "limbo_censored_share", "wait_days_mean", "wait_days_p50",
    "wait_days_p90", "wait_days_max", "screened", "referred", "expected_lost", "expected_retrafficked_after_return",
    "expected_retrafficked_still_waiting", "peak_holding", "peak_shelter", "overcrowded_person_days",
    "person_days_waiting", "vehicle_trips", "vehicle_load_factor", "cost_holding", "cost_shelter", "cost_officers",
    "cost_standby", "cost_transport", "cost_safe_fund_admin", "cost_health_checks", "cost_screening",
    "cost_database", "cost_reintegration")
"""The other metrics of a replication (docs/outputs.md), besides the headline ones and the per-stage ones."""
STAGE_METRICS = ("queue_days_mean_", "service_days_mean_")


@dataclass(frozen=True)
class Vary:
    """A whole-number key to search over ``low..high``; ``monotone`` keys are bisected."""

    key: str
    low: int
    high: int
    monotone: bool

    @property
    def values(self) -> range:
        return range(self.low, self.high + 1)

    @property
    def name(self) -> str:
        """The key's last part, for plain sentences ("officers")."""
        return key_parts(self.key)[-1]


@dataclass(frozen=True)
class Target:
    """``metric <= value`` or ``metric >= value``, held to the metric's one-sided confidence bound."""

    metric: str
    operator: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.metric}{self.operator}{self.value:g}"

    @property
    def upper(self) -> bool:
        """Whether the bound that must meet the target is the upper one (``<=``)."""
        return self.operator == "<="

    def met_by(self, bound: float) -> bool:
        if math.isnan(bound):
            return False
        return bound <= self.value if self.upper else bound >= self.value


def known_metrics(scenario: Scenario | None = None) -> list[str]:
    """Every metric name a target may use: the headline ones first, then the rest (with the per-stage
    ones of ``scenario``'s pipeline)."""
    names = list(HEADLINE_METRICS) + [m for m in SECONDARY_METRICS if m not in HEADLINE_METRICS]
    if scenario is not None:
        names += [f"{prefix}{stage}" for prefix in STAGE_METRICS for stage in scenario.pipeline]
    return names


_VARY = re.compile(r"^(?P<key>[^=]+)=(?P<low>[^.]*)\.\.(?P<high>.*)$")
_TARGET = re.compile(r"^\s*(?P<metric>[A-Za-z0-9_]*)\s*(?P<op>[<>=!]+)?\s*(?P<value>.*?)\s*$")


def parse_vary(text: str) -> Vary:
    """``KEY=LOW..HIGH`` with whole numbers LOW <= HIGH (the key itself is checked against the scenario later)."""
    match = _VARY.match(text.strip())
    if not match:
        raise ScenarioError([Issue("--vary", "must look like KEY=LOW..HIGH, e.g. "
                                   "nationality_defaults.consular.officers=1..8", text)])
    key = match["key"].strip()
    try:
        low, high = int(match["low"]), int(match["high"])
    except ValueError:
        raise ScenarioError([Issue("--vary", f"{key}: LOW and HIGH must be whole numbers, e.g. {key}=1..8",
                                   text)]) from None
    if low > high:
        raise ScenarioError([Issue("--vary", f"{key}: LOW must not be above HIGH (write {key}={high}..{low})",
                                   text)])
    parts = key_parts(key)
    return Vary(join_key(parts), low, high, parts[-1] in MONOTONE_KEYS)


def parse_target(text: str, metrics: Sequence[str] | None = None) -> Target:
    """``METRIC<=VALUE`` or ``METRIC>=VALUE`` with a known metric and a number."""
    allowed = list(metrics) if metrics is not None else known_metrics()
    match = _TARGET.match(text)
    metric, operator, value_text = (match["metric"], match["op"], match["value"]) if match else ("", None, "")
    if not metric or operator is None:
        raise ScenarioError([Issue("--target", "must look like METRIC<=VALUE or METRIC>=VALUE, e.g. "
                                   '"limbo_days_p90<=30" or "home_by_day_30_share>=0.9"', text)])
    if operator not in OPERATORS:
        raise ScenarioError([Issue("--target", f"{metric}: the operator must be <= or >= (the metric's one-sided "
                                   f"confidence bound is held to the value), not {operator}", text)])
    if metric not in allowed:
        close = difflib.get_close_matches(metric, allowed, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ScenarioError([Issue("--target", f"unknown metric {metric!r}{hint} Allowed: the headline metrics "
                                   f"{', '.join(HEADLINE_METRICS)}, or another metric of docs/outputs.md "
                                   "(queue_days_mean_<stage>, wait_days_p90, peak_holding, ...)", text)])
    try:
        value = float(value_text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ScenarioError([Issue("--target", f"{metric}: the value must be a number", text)])
    return Target(metric, operator, value)


def _value_at(scenario: Scenario, key: str) -> tuple[bool, object]:
    return lookup(scenario_to_dict(scenario), key_parts(key))


def check_plan_inputs(file: Path, overrides: Sequence[str], vary_texts: Sequence[str],
                      target_texts: Sequence[str]) -> tuple[Scenario, list[Vary], list[Target]]:
    """Read the scenario, the keys and the targets; raise one :class:`ScenarioError` listing every problem.

    A key must be a whole-number setting of the scenario (its value is an int, as officers, staff, seats,
    capacity or daily_capacity are) and the scenario must be valid with it at LOW and at HIGH."""
    scenario = load_scenario(file, overrides)
    issues: list[Issue] = []
    varies: list[Vary] = []
    for text in vary_texts:
        try:
            vary = parse_vary(text)
        except ScenarioError as error:
            issues += error.issues
            continue
        if vary.key in {v.key for v in varies}:
            issues.append(Issue("--vary", f"{vary.key} is given twice", text))
            continue
        try:
            ends = [load_scenario(file, [*overrides, f"{vary.key}={end}"]) for end in (vary.low, vary.high)]
        except ScenarioError as error:
            issues += [Issue("--vary", f"{i.path}: {i.message}", i.value, i.has_value) for i in error.issues]
            continue
        found, value = _value_at(ends[0], vary.key)
        if not found or isinstance(value, bool) or not isinstance(value, int):
            issues.append(Issue("--vary", f"{vary.key} is not a whole-number setting (it is {value!r} at LOW); plan "
                                "varies whole-number resources such as officers, staff, seats, capacity, "
                                "daily_capacity or max_per_day", text))
            continue
        varies.append(vary)
    metrics = known_metrics(scenario)
    targets = []
    for text in target_texts:
        try:
            targets.append(parse_target(text, metrics))
        except ScenarioError as error:
            issues += error.issues
    if issues:
        raise ScenarioError(issues)
    return scenario, varies, targets
