"""Plain sentences about how robust a comparison's conclusions are, generated from the numbers.

Input: for one variant and one headline metric, the paired difference to the reference (mean and 95% CI)
under the baseline assumptions and under each end of each ranged assumption (:mod:`sim.decisions.robustness`).
Output: a verdict and a sentence such as "Shared electronic database cuts mean days in limbo under every
assumption tested" or "... its effect on expected re-trafficking changes sign when the after-return risk of
unscreened people (exposure.after_return_unscreened) is below about 0.08". Nothing here is hard-coded
about any scenario: the words come from the metric, the key and the numbers.

Verdicts (a difference is *significant* when its 95% CI excludes 0):

- ``holds``: the difference is significant under the baseline assumptions and keeps its sign, significantly,
  under every end of every range;
- ``holds in direction``: the same sign everywhere, but not significant everywhere;
- ``changes sign``: under some end of a range the difference is significantly of the other sign (or, with no
  clear effect under the baseline assumptions, significantly of each sign under some ends);
- ``may change sign``: some end reverses the mean, within noise;
- ``depends on the assumptions``: no clear effect under the baseline assumptions, a significant one (of one
  sign) under some ends;
- ``no clear effect``: no difference is significant anywhere;
- ``not defined``: the metric has no value (e.g. no one arrived 60 days before the horizon).

Where the sign changes, the value of the assumption at which the difference crosses zero is read by linear
interpolation between the baseline value and the end that reverses it (an estimate: only those two points
were run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["End", "Verdict", "judge", "key_words", "metric_words", "number", "variant_paragraph"]

HOLDS, DIRECTION, CHANGES, MAY_CHANGE, DEPENDS, NO_EFFECT, UNDEFINED = (
    "holds", "holds in direction", "changes sign", "may change sign", "depends on the assumptions",
    "no clear effect", "not defined")

METRIC_WORDS = {
    "home_by_day_30_share": "the share home within 30 days",
    "home_by_day_60_share": "the share home within 60 days",
    "limbo_days_mean": "mean days in limbo",
    "limbo_days_p50": "median days in limbo",
    "limbo_days_p90": "the days in limbo of the slowest 10%",
    "still_waiting": "the number still waiting at the horizon",
    "expected_retrafficked": "expected re-trafficking",
    "cost_total": "the total cost",
    "cost_per_returnee": "the cost per person home",
}
KEY_WORDS = {
    "exposure.after_return_unscreened": "the after-return risk of unscreened people",
    "exposure.after_return_screened": "the after-return risk of screened people",
    "exposure.limbo_growth": "the growth of the hazard with time in limbo",
    "exposure.crowding_factor": "the effect of crowding on the hazard",
    "exposure.vulnerable_risk_factor": "the extra after-return risk of vulnerable people",
    "sites.holding.hazard_per_day": "the daily hazard in holding",
    "sites.shelter.hazard_per_day": "the daily hazard in the shelter",
    "crossing.daily_capacity": "the crossing's daily capacity",
    "stages.screening.duration.mode": "the most likely screening interview time (days)",
    "reintegration.risk_reduction": "how much reintegration support lowers the risk",
    "reintegration.referred_share": "the share of screened returnees referred to support",
}
LEAF_WORDS = {
    "unfunded_share": "the share without ticket money", "officers": "the officers per team", "staff": "the staff",
    "seats": "the seats per vehicle", "capacity": "the capacity", "mode": "the most likely value",
    "hazard_per_day": "the daily hazard", "cost_per_seat": "the fare", "appeal_delay": "the appeal's delay",
    "release_per_day": "the daily release pace", "daily_capacity": "the daily capacity",
}


def metric_words(metric: str) -> str:
    return METRIC_WORDS.get(metric, metric)


def key_words(key: str) -> str:
    """The assumption in words, with its key path: "the daily hazard in holding (sites.holding.hazard_per_day)"."""
    words = KEY_WORDS.get(key)
    parts = key.replace('"', "").split(".")
    if words is None:
        words = LEAF_WORDS.get(parts[-1])
        if words and len(parts) == 3 and parts[0] in ("sites", "crossings"):  # a site's or a crossing's own
            words = f"{words} at {parts[1].replace('_', ' ')}"
    return f"{words} ({key})" if words else key


def number(value: float) -> str:
    """A value of an assumption or a threshold, with two significant digits (whole numbers from 10 up)."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 10:
        return f"{value:,.0f}"
    return f"{float(f'{value:.2g}'):g}"


@dataclass(frozen=True)
class End:
    """The difference (variant - reference) with a ranged assumption at one end of its range."""

    key: str
    end: str  # "low" or "high"
    value: float  # the assumption's value there (the reference's)
    base_value: float  # its value under the baseline assumptions
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class Verdict:
    status: str
    clause: str  # the sentence without its subject: "cuts mean days in limbo under every assumption tested"
    flips: tuple[str, ...]  # "the ... (key) is below about 0.08", one per reversing end

    def sentence(self, subject: str) -> str:
        return f"{subject} {self.clause}."


def _sign(value: float) -> int:
    return 0 if not math.isfinite(value) or value == 0 else (1 if value > 0 else -1)


def _significant(low: float, high: float) -> int:
    """+1 or -1 when the CI excludes 0 on that side, else 0."""
    if math.isfinite(low) and low > 0:
        return 1
    if math.isfinite(high) and high < 0:
        return -1
    return 0


def _verb(sign: int) -> str:
    return "raises" if sign > 0 else "cuts"


def _threshold(end: End, base_mean: float) -> str:
    """Where the difference crosses zero between the baseline value and this end (linear interpolation)."""
    side = "below" if end.end == "low" else "above"
    if math.isfinite(base_mean) and base_mean != end.mean and end.value != end.base_value:
        crossing = end.base_value + (end.value - end.base_value) * base_mean / (base_mean - end.mean)
        return f"{key_words(end.key)} is {side} about {number(crossing)}"
    return f"{key_words(end.key)} is at its {end.end} end, {number(end.value)}"


def _at(end: End) -> str:
    return f"{key_words(end.key)} is at its {end.end} end ({number(end.value)})"


def judge(metric: str, base_mean: float, base_low: float, base_high: float, ends: Sequence[End]) -> Verdict:
    """The verdict and clause for one variant's difference on one metric (see the module docstring)."""
    words = metric_words(metric)
    if not math.isfinite(base_mean) and not any(math.isfinite(e.mean) for e in ends):
        return Verdict(UNDEFINED, f"has no value of {words} in any replication (not defined)", ())
    sign = _significant(base_low, base_high)
    significant = [(e, _significant(e.low, e.high)) for e in ends]
    if sign == 0:  # no clear effect under the baseline assumptions: say where the assumptions give one
        ups = [e for e, s in significant if s > 0]
        downs = [e for e, s in significant if s < 0]
        if not ups and not downs:
            return Verdict(NO_EFFECT, f"has no clear effect on {words} under any assumption tested", ())
        effects = [f"{verb} it when {' or when '.join(_at(e) for e in group)}"
                   for verb, group in (("raises", ups), ("cuts", downs)) if group]
        return Verdict(CHANGES if ups and downs else DEPENDS, f"has no clear effect on {words} under the baseline "
                       f"assumptions, but {', and '.join(effects)}", tuple(_at(e) for e in ups + downs))
    firm = [e for e, s in significant if s == -sign]
    reversed_ends = [e for e in ends if _sign(e.mean) == -sign]
    if firm or reversed_ends:
        flips = tuple(_threshold(e, base_mean) for e in (firm or reversed_ends))
        base = f"{_verb(sign)} {words} under the baseline assumptions"
        if firm:
            return Verdict(CHANGES, f"{base}, but its effect changes sign when {' or when '.join(flips)}", flips)
        return Verdict(MAY_CHANGE, f"{base}; its effect may change sign (within noise) when "
                       f"{' or when '.join(flips)}", flips)
    weak = [e for e, s in significant if s != sign]
    if not weak:
        return Verdict(HOLDS, f"{_verb(sign)} {words} under every assumption tested", ())
    where = "; ".join(f"{key_words(e.key)} at its {e.end} end" for e in weak[:2])
    more = f" and {len(weak) - 2} more" if len(weak) > 2 else ""
    return Verdict(DIRECTION, f"{_verb(sign)} {words} under every assumption tested, though within noise "
                   f"under {where}{more}", ())


def _join(items: Sequence[str], last: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def variant_paragraph(subject: str, verdicts: Sequence[tuple[str, Verdict]]) -> str:
    """One paragraph per variant: the conclusions that hold in one clause (grouped by verb), those with no
    clear effect in another, then each of the others; undefined metrics are left out."""
    holding = [m for m, v in verdicts if v.status == HOLDS]
    none = [m for m, v in verdicts if v.status == NO_EFFECT]
    others = [v for _, v in verdicts if v.status not in (HOLDS, NO_EFFECT, UNDEFINED)]
    parts = []
    if holding:
        by_verb: dict[str, list[str]] = {}
        for metric in holding:
            clause = next(v.clause for m, v in verdicts if m == metric)
            by_verb.setdefault(clause.split(" ", 1)[0], []).append(metric_words(metric))
        groups = [f"{verb} {_join(words)}" for verb, words in by_verb.items()]
        parts.append(", and ".join(groups) + " under every assumption tested")
    parts += [verdict.clause for verdict in others]
    if none:
        parts.append(f"has no clear effect on {_join([metric_words(m) for m in none], 'or')} under any assumption "
                     "tested")
    if not parts:
        return ""
    return f"{subject} {parts[0]}" + "".join(f"; it {part}" for part in parts[1:]) + "."
