"""Scenario files: reading TOML, ``extends``, dotted overrides, validation with clear errors.

A scenario is read once and validated into a frozen :class:`~sim.schema.Scenario`. The steps:

1. read the TOML file (a syntax error gives its line and column);
2. follow ``extends`` (relative to the extending file), deep-merging each file over its base; a
   distribution table or any non-table value replaces the base's value wholesale; a missing file or a
   cycle is an error;
3. apply dotted overrides (``nationality_defaults.consular.officers=4``), each value parsed as TOML;
4. gather provenance: sibling ``KEY_source`` strings move into the ``[sources]`` table as dotted paths;
5. merge ``[nationality_defaults]`` under every ``[nationalities.NAME]`` table;
6. validate every key and type (strict pydantic), then the cross-field rules.

Every problem found is reported, not only the first, as ``FILE: key.path: message (got VALUE)``.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import tomli_w
from pydantic import BaseModel, ValidationError

from sim.distributions import DIST_CLASSES, DIST_NAMES, FieldIssue
from sim.schema import MAX_PEOPLE, STAGE_NAMES, Scenario, Stage, Transport

__all__ = [
    "Issue",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "capacity_warnings",
    "dump_scenario",
    "load_scenario",
    "parse_override",
    "read_raw",
    "scenario_from_dict",
]

SOURCE_SUFFIX = "_source"


@dataclass(frozen=True)
class Issue:
    """One problem in an input file: where (dotted key path), what, and the offending value."""

    path: str
    message: str
    value: Any = None
    has_value: bool = True
    loc: tuple[str | int, ...] = field(default=(), compare=False, repr=False)  # parsed path

    def format(self, file: str | None = None) -> str:
        where = f"{file}: " if file else ""
        key = f"{self.path}: " if self.path else ""
        got = f" (got {format_value(self.value)})" if self.has_value else ""
        return f"{where}{key}{self.message}{got}"


class ScenarioError(ValueError):
    """A scenario (or sweep) file is invalid; carries every :class:`Issue` found."""

    def __init__(self, issues: Iterable[Issue], file: str | os.PathLike[str] | None = None) -> None:
        self.issues = list(issues)
        self.file = str(file) if file is not None else None
        super().__init__("\n".join(issue.format(self.file) for issue in self.issues))


def format_value(value: Any) -> str:
    """Show a value as it would be written in TOML, shortened if long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, Mapping | list | tuple):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# ----------------------------------------------------------------------------------------------- reading


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file; errors name the file and, for syntax errors, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Issue("", "file not found", has_value=False)], path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Issue("", f"cannot read file: {error}", has_value=False)], path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        if "at end of document" in message:
            message += f" (line {max(1, len(text.splitlines()))}, the last)"
        raise ScenarioError([Issue("", f"malformed TOML: {message}", has_value=False)], path) from None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` over ``base``: tables merge key by key; anything else replaces.

    A table with a ``dist`` key is a distribution and replaces the base's value wholesale, so that
    changing ``uniform`` to ``fixed`` does not leave a stray ``min`` behind.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping) and "dist" not in value:
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_raw(path: str | os.PathLike[str], _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file with its ``extends`` chain merged (no validation yet)."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, resolved))
        raise ScenarioError([Issue("extends", f"extends cycle: {cycle}", path.name)], _chain[-1])
    raw = read_toml(path)
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError([Issue("extends", "must be a file name (a string)", base_name)], path)
    base_path = path.parent / base_name
    if not base_path.is_file():
        raise ScenarioError(
            [Issue("extends", f"file not found: {base_path} (extends is relative to this file)", base_name)],
            path,
        )
    base = read_raw(base_path, (*_chain, resolved))
    return deep_merge(base, raw)


# --------------------------------------------------------------------------------------------- overrides


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key.path=value``; the value is parsed as a TOML value (a bare word stays a string)."""
    if "=" not in text:
        raise ScenarioError([Issue("--set", "must look like key.path=value", text)])
    key, _, value_text = text.partition("=")
    key = key.strip()
    if not key or any(not part.strip() for part in key.split(".")):
        raise ScenarioError([Issue("--set", "the key path is empty or has an empty part", text)])
    try:
        value = tomllib.loads(f"v = {value_text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = value_text.strip()
    return key, value


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any] | Iterable[str] | None) -> dict:
    """Set dotted key paths in a raw scenario dict (before validation); returns a new dict."""
    result = copy.deepcopy(dict(raw))
    if not overrides:
        return result
    pairs = overrides.items() if isinstance(overrides, Mapping) else (parse_override(o) for o in overrides)
    for key, value in pairs:
        parts = key.split(".")
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                path = ".".join(parts[: depth + 1])
                raise ScenarioError([Issue(path, f"cannot set {key}: {path} is not a table", child)])
            node = child
        node[parts[-1]] = copy.deepcopy(value)
    return result


# ------------------------------------------------------------------------------------------- provenance


def _lookup(raw: Any, path: Iterable[str | int]) -> tuple[bool, Any]:
    node = raw
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False, None
    return True, node


def _is_set(node: Any, key: str) -> bool:
    """Whether a dotted key path names a key that is set; a part may contain dots ("St. Lucia") and end in
    list indices ("waves[0]")."""
    if not key:
        return True
    if not isinstance(node, Mapping):
        return False
    parts = key.split(".")
    for end in range(1, len(parts) + 1):
        name, *indices = ".".join(parts[:end]).split("[")
        path: list[str | int] = [name, *(_index(i) for i in indices)]
        found, child = _lookup(node, path)
        if found and _is_set(child, ".".join(parts[end:])):
            return True
    return False


def _index(text: str) -> int | str:
    text = text.removesuffix("]")
    return int(text) if text.isdigit() else text


def extract_sources(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    """Move ``KEY_source`` notes into the top-level ``sources`` table, keyed by dotted path."""
    issues: list[Issue] = []
    sources = raw.get("sources", {})
    if not isinstance(sources, dict):
        return raw, [Issue("sources", "must be a table of dotted key paths to notes", sources)]
    sources = dict(sources)

    def walk(node: dict[str, Any], prefix: str) -> dict[str, Any]:
        cleaned: dict[str, Any] = {}
        for key, value in node.items():
            path = f"{prefix}{key}"
            if key.endswith(SOURCE_SUFFIX) and key != SOURCE_SUFFIX and not isinstance(value, dict):
                target = key[: -len(SOURCE_SUFFIX)]
                if not isinstance(value, str):
                    issues.append(Issue(path, "a source note must be a string", value))
                elif target not in node:
                    issues.append(Issue(path, f"is a source note for {prefix}{target}, which is not set", value))
                else:
                    sources[f"{prefix}{target}"] = value
                continue
            cleaned[key] = walk(value, f"{path}.") if isinstance(value, dict) and "dist" not in value else value
            if isinstance(value, list) and value and all(isinstance(v, dict) and "dist" not in v for v in value):
                cleaned[key] = [walk(v, f"{path}[{i}].") for i, v in enumerate(value)]  # arrays of tables
            if isinstance(value, dict) and "dist" in value:
                inner = {k: v for k, v in value.items() if not k.endswith(SOURCE_SUFFIX)}
                for k, v in value.items():
                    if k.endswith(SOURCE_SUFFIX):
                        sources[f"{path}.{k[: -len(SOURCE_SUFFIX)]}"] = v
                cleaned[key] = inner
        return cleaned

    body = {k: v for k, v in raw.items() if k != "sources"}
    cleaned = walk(body, "")
    for key, note in sources.items():
        if not isinstance(note, str):
            issues.append(Issue(f"sources.{key}", "a source note must be a string", note))
        elif not _is_set(cleaned, key):
            issues.append(Issue(f"sources.{key}", "names a key that is not set in this scenario", note))
    if sources:
        cleaned["sources"] = sources
    return cleaned, issues


def merge_nationality_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """Every ``[nationalities.NAME]`` table is merged over ``[nationality_defaults]``."""
    defaults = raw.get("nationality_defaults")
    nationalities = raw.get("nationalities")
    if not isinstance(defaults, dict) or not isinstance(nationalities, dict):
        return raw
    merged = dict(raw)
    merged["nationalities"] = {
        name: deep_merge(defaults, table) if isinstance(table, dict) else table
        for name, table in nationalities.items()
    }
    return merged


# ------------------------------------------------------------------------------------------- validation


def _model_at(model: type[BaseModel], path: list[str | int]) -> type[BaseModel] | None:
    """The pydantic model class found at a key path (to list the allowed keys of a table)."""
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
        if current == "dict":
            current = "dict-value"
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is dict:
        return _unwrap(get_args(annotation)[1])
    if origin is not None:
        for arg in get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _clean_loc(loc: tuple[Any, ...], raw: Mapping[str, Any]) -> list[str | int]:
    """Drop pydantic's internal location parts (union tags, validator names); keep every key the user wrote."""
    cleaned: list[str | int] = []
    for part in loc:
        found, node = _lookup(raw, cleaned)
        if isinstance(part, int):
            if found and isinstance(node, list | tuple):
                cleaned.append(part)
            continue
        if found and isinstance(node, Mapping) and part in node:
            cleaned.append(part)  # a key present in the input, even "Timor-Leste"
        elif found and isinstance(node, Mapping) and "[" not in part and "-" not in part and part not in DIST_NAMES:
            cleaned.append(part)  # a missing schema key
    return cleaned


def _format_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _friendly(error: Mapping[str, Any], loc: list[str | int], raw: Mapping[str, Any]) -> tuple[list[str | int], str]:
    kind = error["type"]
    message = error["msg"]
    if kind == "extra_forbidden":
        table = _lookup(raw, loc[:-1])[1]
        owner: type[BaseModel] | None
        if isinstance(table, Mapping) and isinstance(table.get("dist"), str) and table["dist"] in DIST_CLASSES:
            owner = DIST_CLASSES[table["dist"]]
        else:
            owner = _model_at(Scenario, [p for p in loc[:-1] if isinstance(p, str) and not _is_free_key(loc, p)])
        allowed = sorted(owner.model_fields) if owner is not None else []
        allowed = [a if a != "mean_" else "mean" for a in allowed]
        message = "unknown key" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        message = "is required"
    elif kind == "value_error":
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, FieldIssue):
            return [*loc, cause.field], cause.message
        message = str(cause) if cause is not None else message.removeprefix("Value error, ")
    elif kind in ("float_type", "int_type", "bool_type", "string_type"):
        wanted = {"float_type": "a number", "int_type": "a whole number", "bool_type": "true or false",
                  "string_type": "a string"}[kind]
        message = f"must be {wanted} (strings and other types are not converted)"
    return loc, message


def _is_free_key(loc: list[str | int], part: str | int) -> bool:
    """Nationality names and source keys are user-chosen, not schema keys."""
    index = loc.index(part)
    return index > 0 and loc[index - 1] in ("nationalities", "sources")


def _issues_from_validation(error: ValidationError, raw: Mapping[str, Any]) -> list[Issue]:
    issues = []
    for item in error.errors():
        loc = _clean_loc(item["loc"], raw)
        loc, message = _friendly(item, loc, raw)
        found, value = _lookup(raw, loc)
        issues.append(Issue(_format_path(loc), message, value if found else None, has_value=found, loc=tuple(loc)))
    return issues


def _drop_inherited(issues: list[Issue], cleaned: Mapping[str, Any]) -> list[Issue]:
    """An error in [nationality_defaults] is reported once, not again under each nationality inheriting it."""
    from_defaults = {i.loc[1:] for i in issues if i.loc[:1] == ("nationality_defaults",)}
    kept = []
    for issue in issues:
        loc = issue.loc
        if (loc[:1] == ("nationalities",) and loc[2:] in from_defaults
                and not _lookup(cleaned, list(loc))[0]):
            continue
        kept.append(issue)
    return kept


def cross_field_issues(scenario: Scenario) -> list[Issue]:
    """Rules that need the whole scenario; returns every problem found."""
    issues: list[Issue] = []
    nationalities = scenario.nationalities

    seen: set[str] = set()
    declared = set(STAGE_NAMES) | set(scenario.stages.model_extra or {})
    for index, stage in enumerate(scenario.pipeline):
        if stage in seen:
            issues.append(Issue(f"pipeline[{index}]", "lists a stage more than once", stage))
        elif stage not in declared:
            issues.append(Issue(f"pipeline[{index}]", "is not a stage: declare it as [stages." + stage
                                + '] (with a kind, "staffed" by default) or use one of: ' + ", ".join(STAGE_NAMES),
                                stage))
        seen.add(stage)
    for stage in scenario.stages.model_extra or {}:
        if stage not in scenario.pipeline:
            close = difflib.get_close_matches(stage, STAGE_NAMES, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            issues.append(Issue(f"stages.{stage}", "is declared but not in the pipeline" + hint, stage))
    for index, stage in enumerate(scenario.database.remote_stages):
        if stage not in declared:
            issues.append(Issue(f"database.remote_stages[{index}]", "is not a stage; allowed: any stage but "
                                "crossing and transport", stage))
    if scenario.crossing.admission == "travel_arranged" and "crossing" not in scenario.pipeline:
        issues.append(Issue("crossing.admission", 'needs a "crossing" stage in the pipeline',
                            "travel_arranged"))

    if "crossing" in scenario.pipeline and scenario.stages.crossing.servers == "consular":
        issues.append(Issue("stages.crossing.servers", "the border check is done by border staff under the daily "
                            'cap; allowed: "border", "holding", "shelter", "health", "screening"', "consular"))

    for name, nationality in nationalities.items():
        target = nationality.consular.represented_by
        path = f"nationalities.{name}.consular.represented_by"
        if target is None:
            continue
        if target == name:
            issues.append(Issue(path, "a nationality cannot be represented by itself", target))
        elif target not in nationalities:
            issues.append(Issue(path, "must name a nationality defined in [nationalities]; defined: "
                                + ", ".join(sorted(nationalities)), target))
        elif nationalities[target].consular.represented_by is not None:
            issues.append(Issue(path, f"{target} is itself represented by another country, so it has no team",
                                target))

    with_count = [n for n, v in nationalities.items() if v.count is not None]
    with_share = [n for n, v in nationalities.items() if v.share is not None]
    wave_total = sum(w.count for w in scenario.arrivals.waves)
    if with_count and len(with_count) != len(nationalities):
        missing = sorted(set(nationalities) - set(with_count))
        issues.append(Issue(f"nationalities.{missing[0]}.count",
                            "counts or shares, not a mix: when one nationality has a count, all need one "
                            f"(missing for {', '.join(missing)})", None, has_value=False))
    elif with_count:
        total = sum(nationalities[n].count or 0 for n in with_count)
        if total != wave_total:
            issues.append(Issue("nationalities", f"the counts add up to {total} but the waves bring "
                                f"{wave_total} people; with counts they must be equal", total))
    if scenario.arrivals.rate_per_day > 0 and with_count and len(with_share) != len(nationalities):
        issues.append(Issue("arrivals.rate_per_day", "a Poisson stream needs a share for every nationality "
                            "(counts only fix the waves)", scenario.arrivals.rate_per_day))
    if not with_count and len(with_share) != len(nationalities):
        missing = sorted(set(nationalities) - set(with_share))
        issues.append(Issue(f"nationalities.{missing[0]}", "every nationality needs a count or a share "
                            f"(missing for {', '.join(missing)})", None, has_value=False))
    if len(with_share) == len(nationalities):
        total_share = sum(v.share or 0.0 for v in nationalities.values())
        if not math.isclose(total_share, 1.0, abs_tol=1e-6):
            issues.append(Issue("nationalities", "the shares must add up to 1", round(total_share, 9)))

    horizon = scenario.horizon_days
    for index, wave in enumerate(scenario.arrivals.waves):
        if wave.day >= horizon:
            issues.append(Issue(f"arrivals.waves[{index}].day", f"must be before horizon_days ({horizon:g})",
                                wave.day))
    stream_days = min(scenario.arrivals.rate_until_day or horizon, horizon)
    expected_people = wave_total + scenario.arrivals.rate_per_day * stream_days
    if expected_people > MAX_PEOPLE:
        issues.append(Issue("arrivals", f"would bring about {expected_people:,.0f} people; the limit is "
                            f"{MAX_PEOPLE:,}", expected_people))
    return issues


def _tuplify(value: Any) -> Any:
    """TOML arrays become tuples, the immutable sequences of the frozen schema."""
    if isinstance(value, dict):
        return {k: _tuplify(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value


def scenario_from_dict(
    raw: Mapping[str, Any], overrides: Mapping[str, Any] | Iterable[str] | None = None,
    file: str | os.PathLike[str] | None = None,
) -> Scenario:
    """Validate a raw scenario dict (``extends`` already merged) into a :class:`Scenario`."""
    if "extends" in raw:
        raise ScenarioError([Issue("extends", "extends is only allowed in files", raw["extends"])], file)
    merged = apply_overrides(raw, overrides)
    cleaned, issues = extract_sources(merged)
    prepared = _tuplify(merge_nationality_defaults(cleaned))
    try:
        scenario = Scenario.model_validate(prepared)
    except ValidationError as error:
        raise ScenarioError(issues + _drop_inherited(_issues_from_validation(error, prepared), cleaned),
                            file) from None
    issues += cross_field_issues(scenario)
    if issues:
        raise ScenarioError(issues, file)
    return scenario


def load_scenario(
    path: str | os.PathLike[str], overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> Scenario:
    """Read, merge and validate a scenario file.

    Args:
        path: the TOML file.
        overrides: dotted key paths to values (``{"database.shared": True}``) or CLI strings
            (``["database.shared=true"]``), applied after ``extends`` and validated like the file.

    Raises:
        ScenarioError: listing every problem found, each with its key path and value.
    """
    raw = read_raw(path)
    return scenario_from_dict(raw, overrides, file=path)


# -------------------------------------------------------------------------------------------- dumping


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as plain data (TOML-able: no None values, lists not tuples)."""
    data = _plain(scenario.model_dump(by_alias=True, exclude_none=True))
    if not data.get("sources"):
        data.pop("sources", None)
    return data


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario as TOML text; loading it gives back an equal scenario."""
    return tomli_w.dumps(scenario_to_dict(scenario))


# ------------------------------------------------------------------------------------- capacity check


def _stage_throughput(scenario: Scenario, stage: str, servers: int | str) -> float:
    config = scenario.stage_config(stage)
    mean = config.duration.mean()  # type: ignore[union-attr]
    if servers == "unlimited" or mean == 0:
        return math.inf
    return float(servers) / mean


def _transport_throughput(transport: Transport) -> float:
    if transport.mode == "commercial":
        return math.inf
    assert transport.seats is not None and transport.interval is not None
    if transport.mode == "overland":
        return transport.seats / transport.interval
    return transport.seats * transport.max_per_day if transport.max_per_day else math.inf


def capacity_warnings(scenario: Scenario) -> list[str]:
    """Warnings (not errors) where a stage or a transport cannot keep up with arrivals.

    Compares each server pool's long-run throughput (servers / mean service days, people per day) with
    the mean arrival rate over the horizon (people per day): below it, the queue can only grow.
    """
    horizon = scenario.horizon_days
    stream_days = min(scenario.arrivals.rate_until_day or horizon, horizon)
    wave_total = sum(w.count for w in scenario.arrivals.waves)
    total_rate = (wave_total + scenario.arrivals.rate_per_day * stream_days) / horizon
    nationalities = scenario.nationalities
    counted = all(v.count is not None for v in nationalities.values())

    def rate_of(name: str) -> float:
        nationality = nationalities[name]
        waves = (nationality.count or 0) if counted else wave_total * (nationality.share or 0.0)
        stream = scenario.arrivals.rate_per_day * stream_days * (nationality.share or 0.0)
        return (waves + stream) / horizon

    warnings = []
    stages = {s: config for s in scenario.pipeline if isinstance(config := scenario.stage_config(s), Stage)}
    consular = [s for s, config in stages.items() if config.servers == "consular"]
    if consular:  # one pool per team, shared by every consular stage
        work = sum(stages[s].duration.mean() for s in consular)  # officer-days per person
        teams: dict[str, float] = {}
        for name in nationalities:
            teams[scenario.team_of(name)] = teams.get(scenario.team_of(name), 0.0) + rate_of(name)
        for team, rate in teams.items():
            capacity = nationalities[team].consular.officers / work if work else math.inf
            if capacity < rate:
                warnings.append(f"stages.{'+'.join(consular)}: the {team} team serves at most {capacity:.1f} "
                                f"people/day but its people arrive at {rate:.1f}/day on average over the horizon")
    for stage in scenario.pipeline:
        if stage == "transport" or stage in consular:
            continue
        config = scenario.stage_config(stage)
        capacity = _stage_throughput(scenario, stage, config.staff)  # type: ignore[union-attr]
        if stage == "crossing" and scenario.crossing.daily_capacity is not None:
            capacity = min(capacity, scenario.crossing.daily_capacity)
        if capacity < total_rate:
            warnings.append(f"stages.{stage}: serves at most {capacity:.1f} people/day but people arrive at "
                            f"{total_rate:.1f}/day on average over the horizon")
    if "transport" in scenario.pipeline:
        for name, nationality in nationalities.items():
            capacity = _transport_throughput(nationality.transport)
            if capacity < rate_of(name):
                warnings.append(f"nationalities.{name}.transport: carries at most {capacity:.1f} people/day "
                                f"but they arrive at {rate_of(name):.1f}/day on average over the horizon")
    return warnings


# ---------------------------------------------------------------------------------- what differs


def _flatten(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted leaf keys of plain scenario data; a distribution table or a list is one leaf."""
    flat: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and "dist" not in value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def non_default_keys(scenario: Scenario) -> list[str]:
    """Dotted keys whose resolved value differs from the schema's default (what the scenario assumes).

    Keys with no default (the scenario's name, horizon, arrivals, nationality counts) are always listed.
    """
    from sim.schema import (
        DEFAULT_PIPELINE,
        Costs,
        Crossing,
        Database,
        Exposure,
        Nationality,
        NationalityDefaults,
        Sites,
        Stages,
    )

    def plain(model: BaseModel) -> dict[str, Any]:
        return _plain(model.model_dump(by_alias=True, exclude_none=True))

    defaults = _flatten({
        "pipeline": list(DEFAULT_PIPELINE), "scenario": {"description": "", "seed": 0, "replications": 10},
        "arrivals": {"rate_per_day": 0.0},
        "sites": plain(Sites()), "crossing": plain(Crossing()), "stages": plain(Stages()),
        "database": plain(Database()), "nationality_defaults": plain(NationalityDefaults()),
        "exposure": plain(Exposure()), "costs": plain(Costs()),
    })
    nationality_default = _flatten(plain(Nationality()))
    data = scenario_to_dict(scenario)
    data.pop("sources", None)
    changed = []
    for key, value in _flatten(data).items():
        if key.startswith("nationalities."):
            name = next(n for n in scenario.nationalities if key.startswith(f"nationalities.{n}."))
            sub = key[len(f"nationalities.{name}."):]
            missing = sub not in nationality_default
            default = nationality_default.get(sub)
        else:
            missing = key not in defaults
            default = defaults.get(key)
        if missing or value != default:
            changed.append(key)
    return changed
