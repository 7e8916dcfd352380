"""The scenario format's reference, generated from the schema: every key, its type, default and meaning.

``python -m sim.scenario.reference > docs/scenario-reference.md`` writes it; ``tests/test_reference.py``
fails when the committed file differs from what the schema gives, so the document cannot go stale.
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim.scenario.distributions import DIST_CLASSES
from sim.scenario.schema import (
    Arrivals,
    Consular,
    Costs,
    Crossing,
    CustomStage,
    Database,
    Exposure,
    Funding,
    HealthStage,
    IdentityStage,
    Nationality,
    Reintegration,
    Routing,
    Scenario,
    ScenarioMeta,
    ScreeningStage,
    Site,
    Stage,
    Transport,
    Wave,
)

# (the TOML table, the model of its keys, keys left to their own section)
TABLES: tuple[tuple[str, type[BaseModel], tuple[str, ...]], ...] = (
    ("top level", Scenario, ("scenario", "arrivals", "sites", "crossing", "crossings", "routing", "stages",
                             "database", "nationality_defaults", "nationalities", "exposure", "reintegration",
                             "costs")),
    ("[scenario]", ScenarioMeta, ()),
    ("[arrivals]", Arrivals, ()),
    ("[[arrivals.waves]] (each wave)", Wave, ()),
    ("[sites.NAME] (each site: [sites.holding] and [sites.shelter] in a one-site scenario)", Site, ()),
    ("[crossing] (what every crossing takes), and each [crossings.NAME]", Crossing, ()),
    ("[routing]", Routing, ()),
    ("[stages.registration], [stages.documents], [stages.crossing]", Stage, ()),
    ("[stages.identity]", IdentityStage, ()),
    ("[stages.health]", HealthStage, ()),
    ("[stages.screening]", ScreeningStage, ()),
    ("[stages.NAME] (a stage of the scenario's own)", CustomStage, ()),
    ("[database]", Database, ()),
    ("[nationality_defaults], and each [nationalities.NAME]", Nationality, ("consular", "funding", "transport")),
    ("[nationality_defaults.consular], [nationalities.NAME.consular]", Consular, ()),
    ("[nationality_defaults.funding], [nationalities.NAME.funding]", Funding, ()),
    ("[nationality_defaults.transport], [nationalities.NAME.transport]", Transport, ()),
    ("[exposure]", Exposure, ()),
    ("[reintegration]", Reintegration, ()),
    ("[costs]", Costs, ()),
)

def _is_duration(annotation: Any, metadata: list[Any]) -> bool:
    """Whether a key takes days (a number, or a string with a unit: ``Days`` in the schema)."""
    found = list(metadata) + [m for a in (annotation, *get_args(annotation)) for m in getattr(a, "__metadata__", ())]
    return any(getattr(getattr(m, "func", None), "__name__", "") == "parse_duration" for m in found)


def _is_distribution(annotation: Any) -> bool:
    """Whether a key takes a distribution (through optional and annotated wrappers)."""
    if annotation in DIST_CLASSES.values():
        return True
    return any(_is_distribution(a) for a in get_args(annotation) if a is not type(None) and not isinstance(a, str))


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _bounds(metadata: list[Any]) -> str:
    signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    found = [f"{signs[name]} {_number(getattr(m, name))}" for m in metadata for name in signs
             if getattr(m, name, None) is not None]
    return f" ({', '.join(found)})" if found else ""


def type_text(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A key's type as a scenario writer reads it, with its bounds."""
    metadata = metadata or []
    optional = type(None) in get_args(annotation)
    suffix = _bounds(metadata) + (", optional" if optional else "")
    if _is_distribution(annotation):
        return "duration or distribution (days)" + suffix
    if _is_duration(annotation, metadata):
        return "days (a number, or a string with a unit)" + suffix
    if get_origin(annotation) is Literal:
        return " or ".join(f'`"{value}"`' for value in get_args(annotation))
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [type_text(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(options)) + suffix
    if origin is tuple:
        return f"list of {type_text(get_args(annotation)[0])}"
    if origin is dict:
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    plain = {str: "string", int: "whole number", float: "number", bool: "true or false", dt.date: "date"}
    return plain.get(annotation, getattr(annotation, "__name__", repr(annotation))) + suffix


def default_text(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    if field.is_required():
        return "required"
    value = field.default
    if type(value) in DIST_CLASSES.values() and hasattr(value, "value"):
        return f"`{_number(value.value)}`"  # a fixed duration
    if value is PydanticUndefined or isinstance(value, BaseModel):
        return "see its table" if isinstance(value, BaseModel) else ""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{v}"' if isinstance(v, str) else repr(v) for v in value) + "]`" if value else "`[]`"
    if isinstance(value, dict):
        return "`{}`"
    if hasattr(value, "model_dump"):
        return "0"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def rows(model: type[BaseModel], skip: tuple[str, ...]) -> list[str]:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        inherited = (base.model_fields[name].description for base in model.__mro__[1:]
                     if isinstance(base, type) and issubclass(base, BaseModel) and name in base.model_fields)
        meaning = (field.description or next(inherited, None) or "").replace("|", "\\|")
        kind = type_text(field.annotation, list(field.metadata))
        lines.append(f"| `{name}` | {kind} | {default_text(model, name)} | {meaning} |")
    return lines


def distributions() -> list[str]:
    lines = ["A duration is a number of days, a string with a unit (`\"45min\"`, `\"6h\"`, `\"2d\"`, `\"1w\"`) or a",
             "distribution: a table with `dist` and its parameters (days, or strings with units).", "",
             "| `dist` | parameters |", "|---|---|"]
    for name, cls in DIST_CLASSES.items():
        params = [("mean" if p == "mean_" else p) for p in cls.model_fields if p != "dist"]
        lines.append(f"| `\"{name}\"` | {', '.join(f'`{p}`' for p in params)} |")
    return lines


def reference() -> str:
    """The whole reference, as Markdown."""
    out = ["# Scenario reference", "",
           "Generated from the schema (`sim/scenario/schema.py`) by `python -m sim.scenario.reference`; do not",
           "edit by hand. Model time is in days. A scenario is one TOML file; `extends = \"base.toml\"` merges",
           "it over a base, `replace` and `drop` reshape that base, and every key may carry a note beside it",
           "(`KEY_source = \"...\"`) saying where its number comes from.", ""]
    for title, model, skip in TABLES:
        out += [f"## {title}", ""]
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc and not doc.startswith("Usage docs"):
            out += [doc, ""]
        out += rows(model, skip) + [""]
    out += ["## Durations and distributions", ""] + distributions() + [""]
    return "\n".join(out)


if __name__ == "__main__":
    print(reference(), end="")
