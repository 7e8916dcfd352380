"""The sentences under the scorecard, generated from the evidence (:mod:`sim.report.evidence`), never
written by hand: which scenario does best on each outcome, the answer to "which cuts re-trafficking most,
at what cost", the mechanism behind each scenario's main effect (the part of the wait and the cost item
that changed most), and the trade-offs (better on one outcome, worse on another, each beyond its CI).

Every number goes through the page's one rounding rule (:mod:`sim.report.plots.numbers`). Plain text: the
report escapes and lays it out.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.report.evidence import (
    BETTER,
    HIGHER_IS_BETTER,
    MISSING,
    SCORECARD_HEADERS,
    SCORECARD_METRICS,
    SHORT_NAMES,
    WORSE,
    Estimate,
    Evidence,
    verdict,
)
from sim.report.plots.breakdown import Component
from sim.report.plots.labels import metric_label
from sim.report.plots.numbers import MINUS, fmt_diff, fmt_number, fmt_range, fmt_value

TIME_METRICS = ("home_by_day_30_share", "home_by_day_60_share", "limbo_days_mean", "still_waiting")
COST_METRICS = ("cost_total", "cost_per_returnee")
EXPOSURE_PARTS = {
    "expected_lost": "the expected lost while waiting",
    "expected_retrafficked_after_return": "the expected re-trafficked after return",
    "expected_retrafficked_still_waiting": "the expected re-trafficked among people still waiting",
}


def _clear(e: Estimate) -> bool:
    return math.isfinite(e.diff_low) and math.isfinite(e.diff_high) and (e.diff_low > 0 or e.diff_high < 0)


def _ci(metric: str, e: Estimate) -> str:
    return f"95% CI {fmt_range(e.diff_low, e.diff_high, metric, diff=True)}"


def _with_unit(metric: str, text: str, currency: str) -> str:
    if metric.startswith("cost"):
        return f"{text} {currency}"
    if metric in ("still_waiting", "expected_retrafficked") or metric in EXPOSURE_PARTS:
        return f"{text} people"
    if metric.startswith("limbo_days"):
        return f"{text} days"
    return text


def _value(ev: Evidence, metric: str, x: float) -> str:
    return _with_unit(metric, fmt_value(metric, x), ev.currency)


def _change(ev: Evidence, metric: str, e: Estimate) -> str:
    """"3.52 pp (95% CI 0.34 to 6.69 pp)": the size of the change (the verb says its direction)."""
    return f"{_with_unit(metric, fmt_diff(metric, e.diff).lstrip('+' + MINUS), ev.currency)} ({_ci(metric, e)})"


def _goodness(metric: str, x: float) -> float:
    """Larger is better, for ranking."""
    return x if metric in HIGHER_IS_BETTER else -x


# ------------------------------------------------------------------------------------------ best on


def _against(ev: Evidence, metric: str, e: Estimate) -> str:
    """"+3.52 pp against Baseline (95% CI 0.34 to 6.69 pp)"."""
    return f"{_with_unit(metric, fmt_diff(metric, e.diff), ev.currency)} against {ev.reference} ({_ci(metric, e)})"


def best_on_each(ev: Evidence) -> list[str]:
    """One sentence per scorecard outcome: which scenario does best, and whether clearly."""
    if len(ev.names) < 2:
        return []
    out = []
    for metric in SCORECARD_METRICS:
        ranked = [n for n in ev.names[1:] if math.isfinite(ev.get(n, metric).mean)]
        if not ranked:
            continue
        ranked.sort(key=lambda n: _goodness(metric, ev.get(n, metric).mean), reverse=True)
        best = ranked[0]
        e = ev.get(best, metric)
        label = SCORECARD_HEADERS[metric][0]
        if ev.verdict(best, metric) != BETTER:
            ref = ev.get(ev.reference, metric)
            out.append(f"{label}: no scenario does clearly better than {ev.reference} "
                       f"({_value(ev, metric, ref.mean)}).")
            continue
        text = f"{label}: best in {best}, {_value(ev, metric, e.mean)}, {_against(ev, metric, e)}"
        if len(ranked) > 1:
            second = ranked[1]
            gap = ev.between(best, second, metric)
            if math.isfinite(gap.low) and gap.low <= 0 <= gap.high:
                text += (f"; not clearly ahead of {second} ({_value(ev, metric, ev.get(second, metric).mean)}: "
                         "the CI of their paired difference includes zero)")
        out.append(text + ".")
    return out


def answer(ev: Evidence) -> str:
    """Which scenario cuts the expected number re-trafficked or lost most, and what it costs."""
    metric = "expected_retrafficked"
    if len(ev.names) < 2:
        e = ev.get(ev.reference, metric)
        cost = ev.get(ev.reference, "cost_total")
        return (f"In {ev.reference}, {_value(ev, metric, e.mean)} are expected to be re-trafficked or lost "
                f"(95% CI {fmt_range(e.low, e.high)}), for a total cost of {_value(ev, 'cost_total', cost.mean)}.")
    ranked = sorted((n for n in ev.names[1:] if math.isfinite(ev.get(n, metric).mean)),
                    key=lambda n: ev.get(n, metric).mean)
    clear = [n for n in ranked if ev.verdict(n, metric) == BETTER]
    if not clear:
        return (f"No scenario clearly lowers the expected number of people re-trafficked or lost below "
                f"{ev.reference} ({_value(ev, metric, ev.get(ev.reference, metric).mean)}).")
    best = clear[0]
    e = ev.get(best, metric)
    text = (f"{best} cuts re-trafficking most: {_value(ev, metric, e.mean)} expected re-trafficked or lost, "
            f"{fmt_number(abs(e.diff))} fewer than in {ev.reference} ({_ci(metric, e)}), "
            f"{_cost_phrase(ev, best)}.")
    if len(clear) > 1:
        text += " Next: " + "; ".join(
            f"{n}, {fmt_number(abs(ev.get(n, metric).diff))} fewer, {_cost_phrase(ev, n)}" for n in clear[1:4]) + "."
    return text


def _cost_phrase(ev: Evidence, name: str) -> str:
    total, per = ev.get(name, "cost_total"), ev.get(name, "cost_per_returnee")
    if not math.isfinite(total.mean):
        return "its cost not stored"
    if verdict("cost_total", total) in (BETTER, WORSE):
        return (f"for {_with_unit('cost_total', fmt_diff('cost_total', total.diff), ev.currency)} in total "
                f"({fmt_diff('cost_per_returnee', per.diff)} {ev.currency} per person home)")
    return f"at no clear difference in total cost ({_value(ev, 'cost_total', total.mean)})"


# --------------------------------------------------------------------------------------- mechanisms


def _largest(keys: list[str], get: Callable[[str], Estimate], sign: int = 0) -> tuple[str, Estimate] | None:
    """The key whose clear paired difference is largest in size (or, with ``sign``, in that direction)."""
    best: tuple[str, Estimate] | None = None
    for key in keys:
        e = get(key)
        if not _clear(e) or (sign and e.diff * sign <= 0):
            continue
        if best is None or abs(e.diff) > abs(best[1].diff):
            best = (key, e)
    return best


def _component(ev: Evidence, key: str) -> Component:
    return next(c for c in ev.components if c.key == key)


def _part_sentence(ev: Evidence, key: str, e: Estimate) -> str:
    ref = ev.part(ev.reference, key)
    verb = "falls" if e.diff < 0 else "rises"
    return f"{_component(ev, key).phrase} {verb} from {fmt_number(ref.mean)} to {fmt_number(e.mean)} days per person"


def cost_words(item: str, currency: str) -> str:
    """"the shared database and home desks" for cost_database (its label without "Cost of")."""
    words = metric_label(item, currency, with_unit=False)
    return words.removeprefix("Cost of ") if words.startswith("Cost of ") else words[0].lower() + words[1:]


def _cost_sentence(ev: Evidence, item: str, e: Estimate) -> str:
    """"the shared database and home desks, +3.73 million USD (95% CI ...)"."""
    return f"{cost_words(item, ev.currency)}, {fmt_diff(item, e.diff)} {ev.currency} ({_ci(item, e)})"


def main_effect(ev: Evidence, name: str) -> str | None:
    """The outcome (costs aside) with the largest clear change relative to the reference's value."""
    best, size = None, 0.0
    for metric in SCORECARD_METRICS:
        if metric in COST_METRICS:
            continue
        e, ref = ev.get(name, metric), ev.get(ev.reference, metric)
        if not _clear(e):
            continue
        relative = abs(e.diff) / max(abs(ref.mean), 1e-12)
        if relative > size:
            best, size = metric, relative
    return best


def mechanism(ev: Evidence, name: str) -> str:
    """The mechanism of a scenario's main effect, from the parts of the wait and the cost items."""
    metric = main_effect(ev, name)
    sentences = []
    if metric is None:
        sentences.append(f"{name}: no clear change in any outcome of the scorecard")
    else:
        e, ref = ev.get(name, metric), ev.get(ev.reference, metric)
        verb = "rises" if e.diff > 0 else "falls"
        sentences.append(f"{name}: main effect, {SHORT_NAMES[metric]} {verb} from {_value(ev, metric, ref.mean)} "
                         f"to {_value(ev, metric, e.mean)} ({fmt_diff(metric, e.diff)}, {_ci(metric, e)})")
    keys = [c.key for c in ev.components]
    why = []
    if metric == "still_waiting" and ev.stuck:
        stuck = _largest(keys, lambda k: ev.stuck.get(name, {}).get(k, MISSING))
        if stuck is not None:
            key, s = stuck
            ref_s = ev.stuck.get(ev.reference, {}).get(key, MISSING)
            why.append(f"at the end, {fmt_number(ref_s.mean)} people are {_component(ev, key).phrase} in "
                       f"{ev.reference}, {fmt_number(s.mean)} here")
    if metric == "expected_retrafficked":
        part = _largest(list(EXPOSURE_PARTS), lambda m: ev.get(name, m))
        if part is not None:
            why.append(f"{EXPOSURE_PARTS[part[0]]} {'rises' if part[1].diff > 0 else 'falls'} by "
                       f"{fmt_number(abs(part[1].diff))} people")
    if ev.parts and keys:
        top = _largest(keys, lambda k: ev.part(name, k))
        if top is not None:
            why.append(_part_sentence(ev, *top))
            other = _largest(keys, lambda k: ev.part(name, k), sign=-1 if top[1].diff > 0 else 1)
            if other is not None and abs(other[1].diff) >= 0.25 * abs(top[1].diff):
                why.append(_part_sentence(ev, *other))
    if why:
        sentences.append("Why: " + "; ".join(why))
    if ev.parts and keys:
        longest = max(keys, key=lambda k: _finite(ev.part(name, k).mean))
        if _finite(ev.part(name, longest).mean) > 0:
            sentences.append(f"Longest wait left: {_component(ev, longest).phrase}, "
                             f"{fmt_number(ev.part(name, longest).mean)} days per person")
    cost = _largest(ev.cost_items(), lambda m: ev.get(name, m))
    if cost is not None:
        sentences.append("Largest change in cost: " + _cost_sentence(ev, *cost))
    return ". ".join(sentences) + "."


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -1.0


def mechanisms(ev: Evidence) -> list[str]:
    return [mechanism(ev, name) for name in ev.names[1:]]


# ---------------------------------------------------------------------------------------- trade-offs


def _why_worse(ev: Evidence, name: str, metric: str) -> str:
    if metric in COST_METRICS:
        item = _largest(ev.cost_items(), lambda m: ev.get(name, m), sign=1)
        return ("the largest rise is " + _cost_sentence(ev, *item)) if item else "no single cost item rises clearly"
    if metric == "expected_retrafficked":
        part = _largest(list(EXPOSURE_PARTS), lambda m: ev.get(name, m), sign=1)
        text = (f"{EXPOSURE_PARTS[part[0]]} rises by {fmt_number(part[1].diff)} people" if part
                else "no part of the exposure rises clearly")
        screened = ev.get(name, "screened")
        if verdict("screened", screened) == WORSE:
            text += f", with {fmt_number(abs(screened.diff))} fewer people screened"
        return text
    keys = [c.key for c in ev.components]
    grow = _largest(keys, lambda k: ev.part(name, k), sign=1) if ev.parts else None
    if grow is None:
        return "no part of the wait grows clearly on average over everyone, so the stage breakdown does not say why"
    return _part_sentence(ev, *grow)


def trade_offs(ev: Evidence) -> list[str]:
    """A sentence for each scenario that is better on one outcome and worse on another, beyond the CIs."""
    out = []
    for name in ev.names[1:]:
        better = [m for m in SCORECARD_METRICS if ev.verdict(name, m) == BETTER]
        worse = [m for m in SCORECARD_METRICS if ev.verdict(name, m) == WORSE]
        if not better or not worse:
            continue
        gains = _join([f"{SHORT_NAMES[m]} ({_with_unit(m, fmt_diff(m, ev.get(name, m).diff), ev.currency)})"
                       for m in better])
        groups = [[m for m in worse if m in COST_METRICS], [m for m in worse if m not in COST_METRICS]]
        losses = []
        for group in (g for g in groups if g):
            if group[0] in COST_METRICS:
                what = _join([f"{SHORT_NAMES[m]} by {_change(ev, m, ev.get(name, m))}" for m in group])
                losses.append(f"raises {what}: {_why_worse(ev, name, group[0])}")
            else:
                losses += [f"{'raises' if ev.get(name, m).diff > 0 else 'lowers'} {SHORT_NAMES[m]} by "
                           f"{_change(ev, m, ev.get(name, m))}: {_why_worse(ev, name, m)}" for m in group]
        out.append(f"{name} improves {gains}, but {'; and '.join(losses)}.")
    return out


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
