"""Scenario files: reading TOML, ``extends``, dotted overrides, validation with clear errors.

A scenario is read once and validated into a frozen :class:`~sim.scenario.schema.Scenario`. The steps:

1. read the TOML file (a syntax error gives its line and column);
2. follow ``extends`` (relative to the extending file), deep-merging each file over its base; a
   distribution table or any non-table value replaces the base's value wholesale; a missing file or a
   cycle is an error;
3. apply dotted overrides (``nationality_defaults.consular.officers=4``), each value parsed as TOML;
4. gather provenance: sibling ``KEY_source`` strings move into the ``[sources]`` table as dotted paths, and
   sibling ``KEY_range`` pairs into the ``[ranges]`` table (:mod:`sim.scenario.ranges`);
5. merge ``[nationality_defaults]`` under every ``[nationalities.NAME]`` table, and ``[crossing]`` under
   every ``[crossings.NAME]`` (:func:`~sim.scenario.sites.normalise_network`);
6. validate every key and type (strict pydantic), then the cross-field rules.

Every problem found is reported, not only the first, as ``FILE: key.path: message (got VALUE)``.
"""


from __future__ import annotations

import copy
import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from sim.scenario.errors import Issue, ScenarioError, deep_merge, key_parts, lookup
from sim.scenario.ranges import extract_ranges, range_value_issues
from sim.scenario.schema import Scenario
from sim.scenario.sites import KEYS_OF_KIND, normalise_network
from sim.scenario.validation import cross_field_issues, drop_inherited, issues_from_validation

__all__ = ["apply_overrides", "dump_scenario", "load_scenario", "parse_override", "read_raw", "read_toml",
           "scenario_from_dict", "scenario_to_dict"]

SOURCE_SUFFIX = "_source"


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


def read_raw(path: str | os.PathLike[str], _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file with its ``extends`` chain merged (no validation yet)."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, resolved))
        raise ScenarioError([Issue("extends", f"extends cycle: {cycle}", path.name)], _chain[-1])
    raw = read_toml(path)
    absolute_observed(raw, path.parent)
    base_name = raw.pop("extends", None)
    reshape = {key: raw.pop(key) for key in RESHAPING_KEYS if key in raw}
    if base_name is None:
        if reshape:
            raise ScenarioError([Issue(key, "only a file with extends can drop or replace its base's keys", value)
                                 for key, value in reshape.items()], path)
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
    return deep_merge(_reshaped(base, raw, reshape, path), raw)


def absolute_observed(raw: dict[str, Any], folder: Path) -> None:
    """Make ``[scenario] observed`` (in place) an absolute path, read relative to ``folder``.

    Each file's own ``observed`` is resolved against that file's folder as it is read (as ``extends``
    is), before the merge, so a variant inherits its base's observed file and the path means the same
    file wherever the scenario is later run or dumped (the resolved ``scenario.toml`` of a results folder,
    a sweep's workers). A path set by ``--set`` or in a dict is relative to the current folder."""
    meta = raw.get("scenario")
    if isinstance(meta, dict) and isinstance(meta.get("observed"), str) and meta["observed"]:
        meta["observed"] = str((folder / meta["observed"]).resolve())


RESHAPING_KEYS = ("drop", "replace")
"""Top-level keys of an extending file that reshape its base before the merge (see :func:`_reshaped`)."""


def _reshaped(base: dict[str, Any], raw: Mapping[str, Any], reshape: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The base with what an extending file takes out of it:

    - ``drop = ["nationalities.Ethiopia", ...]``: these keys of the base are left out;
    - ``replace = ["nationalities", ...]``: these tables come from the extending file alone, whole, not
      merged key by key with the base's (a new crisis keeps the base's stages but has its own people).

    Each entry is a dotted key path (quoted parts as in TOML: ``nationalities."Sri Lanka"``). A dropped
    key must be in the base; a replaced table must be in the extending file.
    """
    issues = []
    base = copy.deepcopy(base)
    for key, entries in reshape.items():
        if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
            issues.append(Issue(key, "must be a list of dotted key paths (strings)", entries))
            continue
        for index, entry in enumerate(entries):
            parts = key_parts(entry)
            found, parent = lookup(base, parts[:-1])
            if key == "replace" and not isinstance(lookup(raw, parts)[1], Mapping):
                issues.append(Issue(f"{key}[{index}]", f"{entry} is not a table of this file, so there is "
                                    "nothing to replace the base's with", entry))
            elif key == "replace":
                if found and isinstance(parent, dict):
                    parent.pop(parts[-1], None)
            elif not found or not isinstance(parent, dict) or parts[-1] not in parent:
                siblings = [str(k) for k in parent] if found and isinstance(parent, dict) else []
                close = difflib.get_close_matches(parts[-1], siblings, n=1)
                hint = f"; did you mean {'.'.join([*parts[:-1], close[0]])}?" if close else ""
                issues.append(Issue(f"{key}[{index}]", f"{entry} is not in the base scenario{hint}", entry))
            else:
                del parent[parts[-1]]
                parent.pop(f"{parts[-1]}_source", None)  # its note goes with it
    if issues:
        raise ScenarioError(issues, path)
    return base


# --------------------------------------------------------------------------------------------- overrides


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key.path=value``; the value is parsed as a TOML value (a bare word stays a string)."""
    if "=" not in text:
        raise ScenarioError([Issue("--set", "must look like key.path=value", text)])
    key, _, value_text = text.partition("=")
    key = key.strip()
    if not key or any(not part.strip() for part in key_parts(key)):
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
        parts = key_parts(key)
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
        found, child = lookup(node, path)
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
    absolute_observed(merged, Path.cwd())
    cleaned, issues = extract_sources(merged)
    cleaned, range_issues, range_origin = extract_ranges(cleaned)
    issues += range_issues
    merged_defaults = _tuplify(merge_nationality_defaults(cleaned))
    prepared = normalise_network(merged_defaults)  # as the schema does: its errors then point at the keys
    try:
        scenario = Scenario.model_validate(prepared)
    except ValidationError as error:
        field_issues = drop_inherited(issues_from_validation(error, prepared), cleaned)
        raise ScenarioError(issues + field_issues + _cross_field_despite(merged_defaults, field_issues),
                            file) from None
    issues += cross_field_issues(scenario)
    if scenario.ranges:
        issues += range_value_issues(scenario.ranges, scenario_to_dict(scenario), range_origin)
    if issues:
        raise ScenarioError(issues, file)
    return scenario


def _cross_field_despite(prepared: dict[str, Any], field_issues: list[Issue]) -> list[Issue]:
    """The cross-field problems of a scenario that also has field errors, so that one pass reports both.

    The keys in error are dropped (their defaults stand in for them) and, if what is left validates, the
    cross-field rules run on it; what they find about a dropped key is left out (it is reported already).
    When a key cannot be dropped (a required one, or one inside a list), there is nothing to add."""
    repaired = copy.deepcopy(prepared)
    dropped = []
    for issue in field_issues:
        path = list(issue.loc)
        while path and not lookup(repaired, path)[0]:  # a rule's field may be unset: drop its table
            path.pop()
        parent = lookup(repaired, path[:-1])[1]
        if not path or not isinstance(parent, dict):
            return []
        del parent[path[-1]]
        dropped.append(".".join(map(str, path)))
    try:
        scenario = Scenario.model_validate(repaired)
    except ValidationError:
        return []
    return [issue for issue in cross_field_issues(scenario)
            if not any(issue.path == key or issue.path.startswith(key + ".") for key in dropped)]


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
    scenario = scenario_from_dict(raw, overrides, file=path)
    observed = scenario.scenario.observed
    if observed is not None and not Path(observed).is_file():
        raise ScenarioError([Issue("scenario.observed", "file not found (observed is relative to the scenario "
                                   "file that sets it)", observed)], path)
    return scenario


# -------------------------------------------------------------------------------------------- dumping


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as plain data (TOML-able: no None values, lists not tuples)."""
    data = plain(scenario.model_dump(by_alias=True, exclude_none=True))
    for table in ("sources", "ranges"):
        if not data.get(table):
            data.pop(table, None)
    for site in data.get("sites", {}).values():  # a site lists only the keys of its kind
        for key in KEYS_OF_KIND["shelter" if site.get("kind") == "holding" else "holding"]:
            site.pop(key, None)
    for stage in data.get("stages", {}).values():
        if stage.get("servers") == "consular":
            stage.pop("staff", None)  # the team's officers serve it: a staff count there is refused
    return data


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario as TOML text; loading it gives back an equal scenario."""
    return tomli_w.dumps(scenario_to_dict(scenario))
