"""Validation of a merged scenario: pydantic's errors in the file's own words, and the cross-field rules.

Every problem is reported (not only the first), each with its key path and the value found.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.scenario.distributions import DIST_CLASSES, DIST_NAMES, FieldIssue
from sim.scenario.errors import Issue, format_path, lookup
from sim.scenario.schema import MAX_PEOPLE, STAGE_NAMES, Scenario, Stage
from sim.scenario.sites import network_issues

__all__ = ["cross_field_issues", "drop_inherited", "issues_from_validation"]


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
        found, node = lookup(raw, cleaned)
        if isinstance(part, int):
            if found and isinstance(node, list | tuple):
                cleaned.append(part)
            continue
        if found and isinstance(node, Mapping) and part in node:
            cleaned.append(part)  # a key present in the input, even "Timor-Leste"
        elif found and isinstance(node, Mapping) and "[" not in part and "-" not in part and part not in DIST_NAMES:
            cleaned.append(part)  # a missing schema key
    return cleaned


def _friendly(error: Mapping[str, Any], loc: list[str | int], raw: Mapping[str, Any]) -> tuple[list[str | int], str]:
    kind = error["type"]
    message = error["msg"]
    if kind == "extra_forbidden":
        table = lookup(raw, loc[:-1])[1]
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
    return index > 0 and loc[index - 1] in ("nationalities", "sources", "sites", "crossings")


def meaning_of(loc: list[str | int]) -> str | None:
    """What the key at ``loc`` means, from its field's description in the schema (None if unknown)."""
    names: list[str | int] = [p for p in loc if isinstance(p, str) and not _is_free_key(loc, p)]
    owner = _model_at(Scenario, names[:-1]) if names else None
    if owner is None:
        return None
    return next((base.model_fields[names[-1]].description for base in owner.__mro__
                 if isinstance(base, type) and issubclass(base, BaseModel) and names[-1] in base.model_fields
                 and base.model_fields[names[-1]].description), None)


def issues_from_validation(error: ValidationError, raw: Mapping[str, Any]) -> list[Issue]:
    issues = []
    for item in error.errors():
        loc = _clean_loc(item["loc"], raw)
        loc, message = _friendly(item, loc, raw)
        meaning = meaning_of(loc) if item["type"] != "extra_forbidden" else None
        if meaning:  # the reference's words for the key, so the fix is clear without leaving the terminal
            message += f" [{loc[-1]}: {meaning}]"
        found, value = lookup(raw, loc)
        issues.append(Issue(format_path(loc), message, value if found else None, has_value=found, loc=tuple(loc)))
    return issues


def drop_inherited(issues: list[Issue], cleaned: Mapping[str, Any]) -> list[Issue]:
    """An error in [nationality_defaults] (or [crossing]) is reported once, not again under each nationality
    (or crossing) inheriting it."""
    inherited = {"nationalities": "nationality_defaults", "crossings": "crossing"}
    from_defaults = {(i.loc[0], i.loc[1:]) for i in issues if i.loc[:1] in (("nationality_defaults",), ("crossing",))}
    kept = []
    for issue in issues:
        loc = issue.loc
        if (loc[:1] and loc[0] in inherited and (inherited[str(loc[0])], loc[2:]) in from_defaults
                and not lookup(cleaned, list(loc))[0]):
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
    if "crossing" not in scenario.pipeline:  # reported where it is set: [crossing], or a crossing's own table
        arranged = [name for name, crossing in scenario.crossings.items() if crossing.admission == "travel_arranged"]
        for path in (["crossing.admission"] if scenario.crossing.admission == "travel_arranged" else []) + [
                f"crossings.{name}.admission" for name in arranged if scenario.crossing.admission != "travel_arranged"]:
            issues.append(Issue(path, 'needs a "crossing" stage in the pipeline', "travel_arranged"))
    issues += [Issue(path, message, value) for path, message, value in network_issues(scenario)]

    if "crossing" in scenario.pipeline and scenario.stages.crossing.servers != "border":
        issues.append(Issue("stages.crossing.servers", 'the border check is done by border staff under the daily '
                            'cap; allowed: "border"', scenario.stages.crossing.servers))
    issues += _staff_issues(scenario)

    reported: set[tuple[str, str]] = set()  # a closure inherited from [crossing] is reported once, there
    for crossing_name, crossing in scenario.crossings.items():
        for index, closure in enumerate(crossing.closures):
            inherited = closure in scenario.crossing.closures
            where = "crossing" if inherited else f"crossings.{crossing_name}"
            for field in ("nationalities", "open_to"):
                for position, name in enumerate(getattr(closure, field)):
                    path = f"{where}.closures[{index}].{field}[{position}]"
                    if name not in nationalities and (path, name) not in reported:
                        reported.add((path, name))
                        close = difflib.get_close_matches(name, list(nationalities), n=1)
                        hint = f"; did you mean {close[0]}?" if close else ""
                        issues.append(Issue(path, f"is not a nationality of this scenario{hint}", name))
    for name, nationality in nationalities.items():
        for index, stage in enumerate(nationality.skip_stages):
            if stage not in scenario.pipeline or stage in ("crossing", "transport"):
                issues.append(Issue(f"nationalities.{name}.skip_stages[{index}]", "is not a stage of the pipeline "
                                    "that can be skipped; allowed: " + ", ".join(
                                        s for s in scenario.pipeline if s not in ("crossing", "transport")), stage))
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
    # a nationality with neither a count nor a share, named like one that has them, is a misspelling (in a
    # variant's table or a --set path): say so, instead of asking for a count it should not have
    sized = [n for n in nationalities if n in with_count or n in with_share]
    misspelt = {}
    for name in nationalities:
        if name not in sized:
            close = difflib.get_close_matches(name, sized, n=1, cutoff=0.6)
            if close:
                misspelt[name] = close[0]
    for name, meant in misspelt.items():
        issues.append(Issue(f"nationalities.{name}", f"{name} is not a nationality of this scenario (it has no "
                            f"count or share); did you mean {meant}?", name))
    nationalities = {n: v for n, v in nationalities.items() if n not in misspelt}
    with_share = [n for n in with_share if n not in misspelt]
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


def _staff_issues(scenario: Scenario) -> list[Issue]:
    """Stages of the pipeline that name the same kind of ``servers`` share its staff: they must state the same
    number, and only the crossing may be served by border staff. A ``duration_with_database`` is used only
    where the database makes the stage remote."""
    issues: list[Issue] = []
    first: dict[str, tuple[str, object]] = {}
    remote = set(scenario.database.remote_stages)
    for name in scenario.pipeline:
        config = getattr(scenario.stages, name, None)  # an unknown stage is reported elsewhere
        if name == "transport" or not isinstance(config, Stage):
            continue
        kind = config.servers
        if kind == "consular":
            pass
        elif kind == "border" and name != "crossing":
            issues.append(Issue(f"stages.{name}.servers", "border staff run only the crossing; allowed: "
                                '"consular", "holding", "shelter", "health", "screening"', kind))
        elif kind in first and first[kind][1] != config.staff:
            other, staff = first[kind]
            issues.append(Issue(f"stages.{name}.staff", f"stages {other} and {name} share the {kind} staff "
                                f"(servers = \"{kind}\"), so they must state the same staff ({other} has "
                                f"{staff})", config.staff))
        else:
            first.setdefault(kind, (name, config.staff))
        if getattr(config, "duration_with_database", None) is not None and name not in remote and name != "crossing":
            issues.append(Issue(f"stages.{name}.duration_with_database", "is used only for a stage the database "
                                "makes remote; add the stage to database.remote_stages or remove this key",
                                "set"))
    return issues
