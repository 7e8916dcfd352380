"""The plain-text pieces of the report: estimates with their CIs, and the scenario settings.

Numbers follow the page's one rounding rule (:mod:`sim.report.plots.numbers`). Settings are a resolved
``scenario.toml`` flattened to dotted keys, shown as written in the file (inputs are not rounded), with
the source note recorded for each: its own, the one it inherits from ``[nationality_defaults]``, or its
nearest parent's.

No HTML here (:mod:`sim.report` escapes and lays out these strings) and, like the report, no model:
stored files only, read through :mod:`sim.report.plots`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.report.plots.numbers import fmt_diff, fmt_number, fmt_range, fmt_value

__all__ = ["assumption_rows", "estimate_text", "flatten_settings", "fmt_ci", "fmt_number", "note_for",
           "source_for", "source_with_key"]


# ------------------------------------------------------------------------------------------- numbers


def fmt_ci(low: float, high: float, metric: str = "") -> str:
    """A CI's two ends by the page's rule: "8.21 to 9.90" (see :mod:`sim.report.plots.numbers`)."""
    return fmt_range(low, high, metric)


def estimate_text(mean: float, low: float, high: float, metric: str = "", signed: bool = False) -> tuple[str, str]:
    """(value, "95% CI low to high"), all three by the page's one rounding rule."""
    main = fmt_diff(metric, mean) if signed else fmt_value(metric, mean)
    if not (math.isfinite(low) and math.isfinite(high)):
        return main, "no CI: a single replication"
    return main, f"95% CI {fmt_range(low, high, metric, diff=signed)}"


# ------------------------------------------------------------------------------------- assumptions


def _leaf_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a setting as written in the scenario file (inputs are not rounded)
        return f"{int(value):,}" if value.is_integer() else f"{value:,.6g}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        if "dist" in value:  # a distribution of durations (days), except a gamma's cv
            args = ", ".join(f"{k} {_leaf_text(v) if k == 'cv' else _duration_text(v)}"
                             for k, v in value.items() if k != "dist")
            return f"{value['dist']}({args})" if args else str(value["dist"])
        return "{" + ", ".join(f"{k} = {_leaf_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_leaf_text(v) for v in value) + "]"
    return str(value)


def _duration_text(value: Any) -> str:
    """Days as people say them: "40 min", "6 h", "21 d"; lists element by element."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_duration_text(v) for v in value) + "]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _leaf_text(value)
    days = float(value)
    if days == 0:
        return "0"
    def short(x: float) -> str:
        return (f"{x:.1f}" if x < 10 else f"{x:,.0f}").removesuffix(".0")

    if days < 1 / 24:
        return f"{short(days * 1440)} min"
    if days < 1:
        return f"{short(days * 24)} h"
    return f"{short(days)} d"


def flatten_settings(config: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A scenario.toml as dotted keys -> readable values, and its source notes by dotted key.

    Distributions (tables with a ``dist`` key) stay one value. Notes come from the ``[sources]`` table
    (flat dotted keys or nested tables) and from sibling ``KEY_source`` strings.
    """
    settings: dict[str, str] = {}
    sources: dict[str, str] = {}

    def walk_sources(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk_sources(v, f"{prefix}.{k}" if prefix else str(k))
        else:
            sources[prefix] = str(node)

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if not prefix and key == "sources":
                continue
            if isinstance(key, str) and key.endswith("_source") and isinstance(value, str):
                sources[path[: -len("_source")]] = value
            elif isinstance(value, Mapping) and "dist" not in value:
                walk(value, path)
            else:
                settings[path] = _leaf_text(value)

    walk_sources(config.get("sources", {}), "")
    walk(config, "")
    return settings, sources


def source_for(key: str, sources: Mapping[str, str]) -> str:
    """The note for ``key``: an exact match, else the nearest parent key that has one, else ""."""
    return source_with_key(key, sources)[0]


def source_with_key(key: str, sources: Mapping[str, str]) -> tuple[str, str]:
    """(note, the key it was recorded for): exact match first, then the nearest parent; ("", "") if none."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        at = ".".join(parts[:i])
        note = sources.get(at)
        if note:
            return note, at
    return "", ""


INHERITED = "inherited from [nationality_defaults]"


def note_for(key: str, settings: Mapping[str, str], sources: Mapping[str, str],
             nationalities: Sequence[str] = ()) -> str:
    """The source note shown for one setting of one scenario.

    Its own note first; else, for a nationality's setting that has the value of ``[nationality_defaults]``
    (the nationality took the default), the default's note, marked "inherited from [nationality_defaults]";
    else the nearest parent's note, marked "(noted for PARENT)"; else "".
    """
    own = sources.get(key)
    if own:
        return own
    for name in nationalities:
        prefix = f"nationalities.{name}."
        if key.startswith(prefix):
            default = "nationality_defaults." + key[len(prefix):]
            note, at = source_with_key(default, {k: v for k, v in sources.items()
                                                 if k.startswith("nationality_defaults")})
            if note and settings.get(default) == settings.get(key):
                return f"{INHERITED}: {note}" + (f" (noted for {at})" if at != default else "")
    note, at = source_with_key(key, sources)
    if note and at != key:
        note = f"{note} (noted for {at})"
    return note


_TRIVIAL = {"0", "false", "[]", "{}", "", "fixed(value 0)"}


def assumption_rows(configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per dotted key set in any scenario: values per scenario, whether they differ from the
    first scenario's, the source note of each scenario's value (:func:`note_for`; "" where none) and
    ``sources``, the distinct notes in scenario order."""
    flat = [flatten_settings(c) for c in configs]
    names = [[str(n) for n in (c.get("nationalities") or {})] for c in configs]
    keys: list[str] = []
    for settings, _ in flat:
        keys += [k for k in settings if k not in keys]
    rows = []
    for key in keys:
        values = [settings.get(key) for settings, _ in flat]
        notes = [note_for(key, settings, sources, nats) if value is not None else ""
                 for (settings, sources), nats, value in zip(flat, names, values)]
        rows.append({"key": key, "values": values,
                     "differs": [v != values[0] for v in values],
                     "trivial": all(v is None or v in _TRIVIAL for v in values),
                     "notes": notes,
                     "sources": list(dict.fromkeys(n for n in notes if n))})
    return rows
