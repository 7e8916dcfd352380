"""Plausible ranges of assumed numbers: ``KEY_range = [low, high]`` beside a number, or a ``[ranges]`` table.

A range says how far an assumption might be off; ``repatsim compare --robustness`` re-runs a comparison with
each ranged number at its low and at its high end. Like ``KEY_source`` notes, ``KEY_range`` siblings are
gathered into one top-level table keyed by dotted path, so the resolved ``scenario.toml`` keeps them:

    [exposure]
    after_return_unscreened = 0.15
    after_return_unscreened_range = [0.05, 0.25]       # -> ranges."exposure.after_return_unscreened"

    [stages.screening]
    duration = { dist = "triangular", min = "30min", mode = "45min", max = "90min", mode_range = ["30min", "90min"] }

    [ranges]
    "sites.holding.hazard_per_day" = [0.0001, 0.001]

A distribution's parameter takes its range inside the distribution's table (a variant that replaces the
distribution drops it with it). Durations may be written with units; they are held in days. A variant
inherits its base's ranges (they merge like any other key); a sibling range wins over a ``[ranges]`` entry
for the same key. Checked here: the shape ``[low, high]``, ``low <= high``, the key is set and is a number
(not a distribution, a string or a flag), and whole-number keys get whole-number ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sim.scenario.errors import Issue, key_parts, lookup
from sim.scenario.units import parse_duration

__all__ = ["RANGE_SUFFIX", "extract_ranges", "join_key", "range_value_issues", "key_parts"]

RANGE_SUFFIX = "_range"
SHAPE = 'must be [low, high]: two numbers, or two durations with a unit such as "2d" (held in days)'
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def join_key(parts: Iterable[str]) -> str:
    """A dotted key path that :func:`split_key` (and ``--set``) reads back: parts that are not bare TOML keys
    are quoted."""
    return ".".join(part if _BARE.match(part) else json.dumps(part, ensure_ascii=False) for part in parts)


def _ends(value: Any) -> tuple[int | float, int | float] | str:
    """The two ends of a range in days or plain numbers, or what is wrong with it."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return SHAPE
    ends: list[int | float] = []
    for end in value:
        if isinstance(end, bool) or not isinstance(end, int | float | str):
            return SHAPE
        try:
            end = parse_duration(end)
        except ValueError:
            return SHAPE
        if end != end or end in (float("inf"), float("-inf")):
            return SHAPE
        ends.append(end)
    if ends[0] > ends[1]:
        return "low must not be above high: write [low, high]"
    return ends[0], ends[1]


def extract_ranges(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Issue], dict[str, str]]:
    """Move ``KEY_range`` siblings into the top-level ``ranges`` table, keyed by dotted path.

    Returns the cleaned dict, the problems found, and where each range was written (its key path in the
    file, to name it in later messages)."""
    issues: list[Issue] = []
    table = raw.get("ranges", {})
    if not isinstance(table, dict):
        return raw, [Issue("ranges", "must be a table of dotted key paths to [low, high]", table)], {}
    ranges: dict[str, list[int | float]] = {}
    origin: dict[str, str] = {}

    def add(path: list[str], value: Any, written: str) -> None:
        ends = _ends(value)
        if isinstance(ends, str):
            issues.append(Issue(written, ends, value))
            return
        key = join_key(path)
        ranges[key] = list(ends)
        origin[key] = written

    def flatten(node: dict[str, Any], parts: list[str]) -> None:
        for key, value in node.items():
            if isinstance(value, dict):  # bare dotted keys in [ranges] make nested tables
                flatten(value, [*parts, *key_parts(key)])
            else:
                add([*parts, *key_parts(key)], value, "ranges." + join_key([*parts, key]))

    flatten(table, [])

    def walk(node: dict[str, Any], parts: list[str], shown: str, in_list: bool) -> dict[str, Any]:
        """``parts``: the key path of ``node``; ``shown``: the same as written in messages (``waves[0].``)."""
        cleaned: dict[str, Any] = {}
        for key, value in node.items():
            written = f"{shown}{key}"
            if key.endswith(RANGE_SUFFIX) and key != RANGE_SUFFIX and not isinstance(value, dict):
                target = key[: -len(RANGE_SUFFIX)]
                if in_list:
                    issues.append(Issue(written, "a number inside a list cannot carry a range (--set and "
                                        "--robustness cannot reach list items)", value))
                elif target not in node:
                    issues.append(Issue(written, f"is a range for {shown}{target}, which is not set", value))
                else:
                    add([*parts, target], value, written)
                continue
            if isinstance(value, dict):
                cleaned[key] = walk(value, [*parts, key], f"{written}.", in_list)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                cleaned[key] = [walk(v, [*parts, key], f"{written}[{i}].", True) for i, v in enumerate(value)]
            else:
                cleaned[key] = value
        return cleaned

    cleaned = walk({k: v for k, v in raw.items() if k != "ranges"}, [], "", False)
    if ranges:
        cleaned["ranges"] = ranges
    return cleaned, issues, origin


def range_value_issues(ranges: Mapping[str, tuple[float, float]], resolved: Mapping[str, Any],
                       origin: Mapping[str, str]) -> list[Issue]:
    """Each ranged key is set to a number in the resolved scenario (``scenario_to_dict``); a whole-number key
    takes whole-number ends."""
    issues = []
    for key, (low, high) in ranges.items():
        written = origin.get(key, f"ranges.{key}")
        found, value = lookup(resolved, key_parts(key))
        if not found:
            issues.append(Issue(written, f"names {key}, which is not set in this scenario", [low, high]))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            hint = (" (a distribution: give a range to one of its parameters inside its table, e.g. "
                    "mode_range = [low, high])" if isinstance(value, Mapping) and "dist" in value else "")
            issues.append(Issue(written, f"{key} is not a number (it is {json.dumps(value, default=str)}); a range "
                                f"needs a number{hint}", [low, high]))
        elif isinstance(value, int) and not all(float(end).is_integer() for end in (low, high)):
            issues.append(Issue(written, f"must be whole numbers, as {key} is", [low, high]))
    return issues
