"""Sweep files: reading and validating them, the designs (grid, Latin hypercube), and sensitivity.

A sweep file names a ``base`` scenario (relative to the sweep file), the ``replications`` per point,
a ``design`` and the swept ``[parameters]`` by dotted key path::

    base = "../myanmar_thailand_2025.toml"
    replications = 20
    design = "grid"                 # or "lhs" with samples = N and ranges { low = .., high = .. }
                                    # (numbers, or durations with units such as "2d", sampled in days)
    seed = 2025                     # default: the base scenario's seed
    [parameters]
    "database.shared" = [false, true]
    "nationality_defaults.consular.officers" = [1, 2, 4, 8]

Every key of the sweep file, every parameter path and every value is checked against the scenario
schema before anything runs; then every design point is built as a full scenario (so rules that involve
several keys are checked too) and identified by the SHA-256 of its resolved TOML text.

Replication ``r`` of every point uses the random streams of ``(seed, r)``: common random numbers across
points, so differences between points are not noise of different arrivals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.scenario.errors import Issue, ScenarioError, format_value, lookup
from sim.scenario.loading import dump_scenario, read_raw, read_toml, scenario_from_dict, scenario_to_dict
from sim.scenario.schema import MAX_REPLICATIONS, Scenario
from sim.scenario.units import parse_duration

__all__ = ["Parameter", "Point", "Sweep", "latin_hypercube", "load_sweep",
           "sweep_from_dict"]

SWEEP_KEYS = ("base", "description", "replications", "design", "samples", "seed", "parameters")
DESIGNS = ("grid", "lhs")
MAX_POINTS = 100_000
MAX_ERRORS_SHOWN = 10
RESERVED = {
    "scenario.seed": "the sweep's seed is set by the top-level `seed` key of the sweep file",
    "scenario.replications": "replications are set by the top-level `replications` key of the sweep file",
}


@dataclass(frozen=True)
class Parameter:
    """One swept key path: a list of values (grid) or a range (LHS; ``integer`` keeps whole numbers)."""

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def describe(self) -> Any:
        """As written in the manifest."""
        if self.low is not None:
            return {"low": self.low, "high": self.high, "integer": self.integer}
        return list(self.values)


@dataclass(frozen=True)
class Point:
    """One design point: its id, the value of every swept parameter, and its resolved scenario's hash."""

    point_id: int
    values: dict[str, Any]
    scenario_hash: str


@dataclass
class Sweep:
    """A validated sweep: the base scenario, the design points and how to run them."""

    base_file: Path
    base_raw: dict[str, Any]
    base_scenario: Scenario
    replications: int
    design: str
    seed: int
    parameters: list[Parameter]
    points: list[Point]
    samples: int | None = None
    description: str = ""
    file: Path | None = None
    text: str = ""
    unit: np.ndarray | None = field(default=None, repr=False)  # LHS: the unit-cube sample, points x parameters

    @property
    def parameter_names(self) -> list[str]:
        return [p.path for p in self.parameters]

    def scenario(self, point: Point) -> Scenario:
        """The full scenario of one design point (base with the point's values set)."""
        return scenario_from_dict(self.base_raw, point.values, file=self.base_file)

    def points_frame(self) -> pd.DataFrame:
        """points.csv: ``point_id``, one column per parameter (dotted path), ``scenario_hash``."""
        rows = [{"point_id": p.point_id, **{k: cell(v) for k, v in p.values.items()},
                 "scenario_hash": p.scenario_hash} for p in self.points]
        return pd.DataFrame(rows, columns=["point_id", *self.parameter_names, "scenario_hash"])


def cell(value: Any) -> Any:
    """A parameter value as a CSV cell: scalars as they are, tables and lists as JSON."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, sort_keys=True)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def scenario_hash(scenario: Scenario) -> str:
    """Of the resolved TOML text, without ``[scenario] observed``: a path that moves with the checkout (a
    task's key holds the figures' content instead, see :func:`sim.sweep.tasks.observed_key`)."""
    meta = scenario.scenario.model_copy(update={"observed": None})
    return hashlib.sha256(dump_scenario(scenario.model_copy(update={"scenario": meta})).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------- reading


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read and validate a sweep file; every problem found is reported.

    Raises:
        ScenarioError: naming each bad key (``parameters."a.b"``) with its value and what is allowed.
    """
    path = Path(path)
    raw = read_toml(path)
    return sweep_from_dict(raw, root=path.parent, file=path, text=path.read_text(encoding="utf-8"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_range(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and set(value) <= {"low", "high"}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``[parameters]`` keys as dotted paths; ``a = { b = [..] }`` is the same as ``"a.b" = [..]``."""
    items: list[tuple[str, Any]] = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not _is_range(value):
            items.extend(_flatten(value, f"{path}."))
        else:
            items.append((path, value))
    return items


def _int_setting(spec: Mapping[str, Any], key: str, default: int | None, low: int, high: int,
                 issues: list[Issue]) -> int | None:
    if key not in spec:
        return default
    value = spec[key]
    if not isinstance(value, int) or isinstance(value, bool):
        issues.append(Issue(key, "must be a whole number", value))
        return default
    if not low <= value <= high:
        issues.append(Issue(key, f"must be between {low} and {high:,}", value))
        return default
    return value


def sweep_from_dict(spec: Mapping[str, Any], root: str | Path | None = None, file: str | Path | None = None,
                    text: str | None = None) -> Sweep:
    """Validate a sweep given as a dict (the parsed TOML); ``base`` is relative to ``root``."""
    root = Path(root) if root is not None else Path.cwd()
    issues: list[Issue] = []
    for key in spec:
        if key not in SWEEP_KEYS:
            issues.append(Issue(key, "unknown key; allowed here: " + ", ".join(SWEEP_KEYS), spec[key]))

    base_name = spec.get("base")
    base_file: Path | None = None
    if base_name is None:
        issues.append(Issue("base", "is required (the scenario file to sweep, relative to the sweep file)",
                            has_value=False))
    elif not isinstance(base_name, str | Path) or not str(base_name):
        issues.append(Issue("base", "must be a file name (a string)", base_name))
    else:
        base_file = Path(base_name) if Path(base_name).is_absolute() else root / base_name
        if not base_file.is_file():
            issues.append(Issue("base", f"file not found: {base_file} (base is relative to the sweep file)",
                                str(base_name)))
            base_file = None

    design = spec.get("design", "grid")
    if design not in DESIGNS:
        issues.append(Issue("design", 'must be "grid" or "lhs" (Latin hypercube)', design))
        design = None
    samples = None
    if design == "lhs":
        if "samples" not in spec:
            issues.append(Issue("samples", 'is required when design = "lhs" (the number of points)',
                                has_value=False))
        samples = _int_setting(spec, "samples", None, 1, MAX_POINTS, issues)
    elif "samples" in spec and design == "grid":
        issues.append(Issue("samples", 'is only for design = "lhs"; a grid runs every combination',
                            spec["samples"]))
    replications = _int_setting(spec, "replications", None, 1, MAX_REPLICATIONS, issues)
    seed = _int_setting(spec, "seed", None, 0, 2**63 - 1, issues)
    description = spec.get("description", "")
    if not isinstance(description, str):
        issues.append(Issue("description", "must be a string", description))
        description = ""

    table = spec.get("parameters")
    entries: list[tuple[str, Any]] = []
    if table is None:
        issues.append(Issue("parameters", "is required: a table of dotted key paths to values",
                            has_value=False))
    elif not isinstance(table, Mapping) or not table:
        issues.append(Issue("parameters", "must be a non-empty table of dotted key paths to values", table))
    else:
        entries = _flatten(table)

    base_raw: dict[str, Any] | None = None
    base_scenario: Scenario | None = None
    if base_file is not None:
        try:
            base_raw = read_raw(base_file)
            base_scenario = scenario_from_dict(base_raw, file=base_file)
        except ScenarioError as error:  # the base file's own problems, named by that file
            issues.extend(Issue("base", f"the base scenario is invalid: {i.format(error.file)}", has_value=False)
                          for i in error.issues)
            base_raw = None
    parameters = _parse_parameters(entries, design, base_raw, base_scenario, issues)
    if issues or base_raw is None or base_scenario is None or design is None:
        raise ScenarioError(issues, file)

    replications = replications or base_scenario.scenario.replications
    seed = base_scenario.scenario.seed if seed is None else seed
    unit = None
    if design == "grid":
        count = math.prod(len(p.values) for p in parameters)
        if count > MAX_POINTS:
            raise ScenarioError([Issue("parameters", f"the grid has {count:,} points; the limit is "
                                       f"{MAX_POINTS:,} (use design = \"lhs\")", count)], file)
        combos = itertools.product(*(p.values for p in parameters))
        value_rows = [dict(zip([p.path for p in parameters], combo)) for combo in combos]
    else:
        assert samples is not None
        unit = latin_hypercube(samples, len(parameters), np.random.default_rng([seed, 0x5EED]))
        value_rows = lhs_values(unit, parameters)
    points = _build_points(base_raw, base_file, value_rows, file)  # type: ignore[arg-type]
    if text is None:
        import tomli_w

        text = tomli_w.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in spec.items()})
    return Sweep(base_file=base_file, base_raw=base_raw, base_scenario=base_scenario,  # type: ignore[arg-type]
                 replications=replications, design=design, seed=seed, parameters=parameters, points=points,
                 samples=samples, description=description, file=Path(file) if file else None, text=text,
                 unit=unit)


# --------------------------------------------------------------------------------------- parameters


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None and get_origin(annotation) is not dict:
        models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:  # X | None
            return models[0]
    return None


def schema_has_path(parts: Sequence[str], base: Mapping[str, Any]) -> bool:
    """Whether a dotted path names a key of the scenario schema (nationalities must exist in ``base``)."""
    current: Any = Scenario
    for index, part in enumerate(parts):
        model = _as_model(current)
        if model is not None:
            fields = _fields(model)
            if part not in fields:
                return False
            current = fields[part]
        elif get_origin(current) is dict:
            if not lookup(base, parts[: index + 1])[0]:
                return False  # a nationality (or source) the base scenario does not have
            current = get_args(current)[1]
        else:
            return False  # the path goes inside a value that is not a table
    return True


def _check_path(path: str, base: Mapping[str, Any]) -> str | None:
    """Why ``path`` cannot be swept, or None."""
    parts = path.split(".")
    if any(not part.strip() for part in parts):
        return "the key path is empty or has an empty part"
    if path in RESERVED:
        return RESERVED[path]
    if parts[0] == "sources":
        return "source notes cannot be swept"
    if lookup(base, parts)[0] or schema_has_path(parts, base):
        return None
    found = 0
    while found < len(parts) and lookup(base, parts[: found + 1])[0]:
        found += 1
    if found and parts[found - 1] == "nationalities" and found < len(parts):
        names = ", ".join(sorted(base.get("nationalities", {})))
        return f"unknown key path: the base scenario has no nationality {parts[found]!r} (it has: {names})"
    known = ".".join(parts[:found])
    return "unknown key path" + (f" (the base scenario has {known}, but not {parts[found]!r} in it)"
                                 if known else f" ({parts[0]!r} is not a scenario table)")


def _value_issue(path: str, base_raw: Mapping[str, Any], value: Any, what: str) -> Issue | None:
    try:
        scenario_from_dict(base_raw, {path: value})
    except ScenarioError as error:
        problems = "; ".join(i.format() for i in error.issues)
        return Issue(f'parameters."{path}"', f"{what} {format_value(value)} gives an invalid scenario: {problems}",
                     has_value=False)
    return None


def _parse_parameters(entries: list[tuple[str, Any]], design: str | None, base_raw: dict[str, Any] | None,
                      base_scenario: Scenario | None, issues: list[Issue]) -> list[Parameter]:
    resolved = scenario_to_dict(base_scenario) if base_scenario is not None else None
    parameters = []
    for path, value in entries:
        where = f'parameters."{path}"'
        if resolved is not None:
            reason = _check_path(path, resolved)
            if reason is not None:
                issues.append(Issue(where, reason, value))
                continue
        if design == "grid" or design is None:
            if _is_range(value):
                issues.append(Issue(where, 'a range { low, high } needs design = "lhs"; a grid takes a list '
                                    "of values", value))
                continue
            if not isinstance(value, list) or not value:
                issues.append(Issue(where, "must be a non-empty list of values (use [x] for one value)", value))
                continue
            texts = [json.dumps(v, default=str, sort_keys=True) for v in value]
            if len(set(texts)) != len(texts):
                issues.append(Issue(where, "lists a value more than once", value))
                continue
            parameter = Parameter(path, values=tuple(value))
            checks = [("the value", v) for v in value]
        else:
            if not _is_range(value) or set(value) != {"low", "high"}:
                issues.append(Issue(where, 'design = "lhs" needs a range { low = .., high = .. } (numbers or '
                                    "durations; booleans and other settings only in a grid)", value))
                continue
            written = value["low"], value["high"]
            try:  # a duration with a unit ("6h", "2d") is sampled in days
                low, high = (parse_duration(bound) if isinstance(bound, str) else bound for bound in written)
            except ValueError:
                low = high = None
            if not (_is_number(low) and _is_number(high)):
                issues.append(Issue(where, 'low and high must be numbers, or durations such as "6h" or "2d" '
                                    "(sampled in days)", value))
                continue
            if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
                issues.append(Issue(where, "needs low < high (finite numbers)", value))
                continue
            base_value = lookup(resolved, path.split("."))[1] if resolved is not None else None
            integer = (isinstance(low, int) and isinstance(high, int)
                       and (base_value is None or (isinstance(base_value, int) and not isinstance(base_value, bool))))
            parameter = Parameter(path, low=low, high=high, integer=integer)
            # checked as written: a key that takes no duration refuses "2d" with the schema's own message
            checks = [("low =", written[0]), ("high =", written[1])]
        if base_raw is not None:
            found = [i for what, v in checks if (i := _value_issue(path, base_raw, v, what)) is not None]
            if found:
                issues.extend(found)
                continue
        parameters.append(parameter)
    return parameters


def _build_points(base_raw: dict[str, Any], base_file: Path, value_rows: list[dict[str, Any]],
                  file: str | Path | None) -> list[Point]:
    """Every design point as a validated scenario (rules across keys included), hashed."""
    points: list[Point] = []
    problems: list[Issue] = []
    bad = 0
    for point_id, values in enumerate(value_rows):
        try:
            scenario = scenario_from_dict(base_raw, values, file=base_file)
        except ScenarioError as error:
            bad += 1
            if len(problems) < MAX_ERRORS_SHOWN:
                setting = ", ".join(f"{k} = {format_value(v)}" for k, v in values.items())
                problems.append(Issue(f"points[{point_id}]", f"({setting}) gives an invalid scenario: "
                                      + "; ".join(i.format() for i in error.issues), has_value=False))
            continue
        points.append(Point(point_id, values, scenario_hash(scenario)))
    if bad:
        if bad > len(problems):
            problems.append(Issue("points", f"and {bad - len(problems)} more invalid design points",
                                  has_value=False))
        raise ScenarioError(problems, file)
    return points


# ------------------------------------------------------------------------------------------- designs


def latin_hypercube(samples: int, dimensions: int, rng: np.random.Generator) -> np.ndarray:
    """A Latin hypercube in [0, 1)^d: in each column, exactly one sample per stratum [i/n, (i+1)/n)."""
    strata = np.column_stack([rng.permutation(samples) for _ in range(dimensions)]) if dimensions else \
        np.empty((samples, 0))
    return (strata + rng.random((samples, dimensions))) / samples


def lhs_values(unit: np.ndarray, parameters: Sequence[Parameter]) -> list[dict[str, Any]]:
    """Scale unit-cube samples to each parameter's range.

    A float range maps linearly to [low, high). An integer range spreads the n strata over the
    high - low + 1 whole numbers (floor), so when there are at least as many whole numbers as
    samples, every stratum still gets its own value.
    """
    columns: list[list[int] | list[float]] = []
    for j, parameter in enumerate(parameters):
        u = unit[:, j]
        low, high = parameter.low, parameter.high
        assert low is not None and high is not None
        if parameter.integer:
            span = int(high) - int(low) + 1
            columns.append([int(low) + min(int(math.floor(x * span)), span - 1) for x in u])
        else:
            columns.append([float(low + x * (high - low)) for x in u])
    return [{p.path: columns[j][i] for j, p in enumerate(parameters)} for i in range(unit.shape[0])]


# --------------------------------------------------------------------------------------- sensitivity
