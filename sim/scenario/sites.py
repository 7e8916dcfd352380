"""The network of a scenario: named sites (holding camps and shelters), the crossings between them, and the
rule that picks a crossing when several serve one holding site.

Model time is in days. Part of the schema (:mod:`sim.scenario.schema` re-exports every name).

The one-site scenarios are the simplest network: ``[sites.holding]`` and ``[sites.shelter]`` (a site
named ``holding`` or ``shelter`` has that kind unless it says otherwise) and one crossing between them.
``[crossing]`` holds the settings every crossing takes unless its own ``[crossings.NAME]`` table sets
them (as ``[nationality_defaults]`` does for nationalities); with no ``[crossings]`` at all, it is the one
crossing, named ``crossing``. :func:`normalise_network` writes all of this out before validation, so the
validated scenario (and the resolved ``scenario.toml``) always lists every site with its kind and every
crossing with both ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.scenario.crossing import check_changes
from sim.scenario.distributions import FieldIssue
from sim.scenario.errors import deep_merge
from sim.scenario.strict import MAX_HORIZON_DAYS, MAX_PEOPLE, Strict
from sim.scenario.units import Days

SiteKind = Literal["holding", "shelter"]
SITE_KINDS: tuple[str, ...] = ("holding", "shelter")
KEYS_OF_KIND = {"holding": ("release_per_day", "release_changes"), "shelter": ("overflow", "max_stay")}
"""The keys only a site of one kind has."""
DEFAULT_CROSSING = "crossing"
"""The name of the one crossing of a scenario with no ``[crossings]`` tables."""


class ReleaseChange(Strict):
    """From ``day`` on, the holding site releases at most ``per_day`` people a day."""

    day: Days = Field(gt=0, le=MAX_HORIZON_DAYS, description="The day the new pace starts (days from day 0).")
    per_day: int = Field(ge=0, le=MAX_PEOPLE, description="People the site may release per day from then.")


class Site(Strict):
    """A place where people wait: a holding site (before a crossing) or a shelter (after it)."""

    kind: SiteKind | None = Field(
        default=None,
        description="holding (people wait there before a crossing) or shelter (after it); a site named "
                    "holding or shelter has that kind by default.")
    capacity: int | None = Field(
        default=None, ge=1, le=MAX_PEOPLE,
        description="Places at the site; people beyond it are overcrowded (crowding raises the hazard).")
    hazard_per_day: float = Field(
        default=0.0, ge=0, le=10,
        description="Daily hazard of being re-trafficked or absconding while at the site (an assumption).")
    cost_per_person_day: float = Field(default=0.0, ge=0, description="Cost of one person at the site for one day.")
    release_per_day: int | None = Field(
        default=None, ge=0, le=MAX_PEOPLE,
        description="Holding site: at most this many people leave it for a crossing per day (the pace at "
                    "which the group holding them hands them over; none: no limit).")
    release_changes: tuple[ReleaseChange, ...] = Field(
        default=(),
        description="Holding site: later changes of release_per_day, in order of day: a list of tables with "
                    "day and per_day.")
    overflow: bool = Field(
        default=False,
        description="Shelter: whether a crossing may admit people beyond the shelter's capacity (counted as "
                    "overcrowding); false: people wait in holding until a place is free.")
    max_stay: Days | None = Field(
        default=None, gt=0, le=MAX_HORIZON_DAYS,
        description="Shelter: the onward-travel limit, in days from the crossing: whoever is not screened by "
                    "then moves on unscreened (none: no limit).")

    @model_validator(mode="after")
    def _keys_of_its_kind(self) -> Site:
        given = self.model_fields_set
        if self.kind is None:
            raise FieldIssue("kind", "is required: holding or shelter")
        wrong = KEYS_OF_KIND["shelter" if self.kind == "holding" else "holding"]
        for key in wrong:  # a key of the other kind, set to anything but its default
            if key in given and getattr(self, key) != Site.model_fields[key].default:
                other = "shelter" if self.kind == "holding" else "holding site"
                raise FieldIssue(key, f"only a {other} has {key} (this site's kind is {self.kind})")
        check_changes("release_changes", [change.day for change in self.release_changes], "release_per_day",
                      self.release_per_day is not None)
        return self


class Routing(Strict):
    """Which crossing a person takes when several serve their holding site."""

    policy: Literal["nearest", "shortest_queue"] = Field(
        default="nearest",
        description="nearest: the crossing with the least travel_days (the first listed on a tie), whatever "
                    "its queue; shortest_queue: the one with the least expected wait, travel_days + the "
                    "people ahead over its daily capacity (or the rest of a closure to the person's "
                    "nationality, if longer), fixed when the person is ready to cross.")


def _site_kind(name: str, table: Any) -> Any:
    if isinstance(table, Mapping) and "kind" not in table and name in SITE_KINDS:
        return {"kind": name, **table}
    return table


def normalise_network(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario with its network written out: every site with its kind (a site named holding or
    shelter takes that kind), a default ``holding`` or ``shelter`` site when none of that kind is named,
    and every crossing merged over ``[crossing]`` (the one crossing, ``crossing``, when there is no
    ``[crossings]`` table), with its ``holding`` and ``shelter`` filled in when the network has only one
    site of that kind. Anything malformed is left as it is, for validation to report."""
    data = dict(raw)
    sites = data.get("sites", {})
    if not isinstance(sites, Mapping):
        return data
    sites = {name: _site_kind(name, table) for name, table in sites.items()}
    kinds = [table.get("kind") if isinstance(table, Mapping) else None for table in sites.values()]
    for kind in SITE_KINDS:
        if kind not in kinds and kind not in sites:
            sites[kind] = {"kind": kind}
    data["sites"] = sites
    names_of = {kind: [name for name, table in sites.items()
                       if isinstance(table, Mapping) and table.get("kind") == kind] for kind in SITE_KINDS}

    defaults = data.get("crossing", {})
    crossings = data.get("crossings") or {DEFAULT_CROSSING: {}}
    if not isinstance(defaults, Mapping) or not isinstance(crossings, Mapping):
        return data
    merged = {}
    for name, table in crossings.items():
        if not isinstance(table, Mapping):
            merged[name] = table
            continue
        crossing = deep_merge(defaults, table)
        for kind in SITE_KINDS:
            if kind not in crossing and len(names_of[kind]) == 1:
                crossing[kind] = names_of[kind][0]
        merged[name] = crossing
    data["crossings"] = merged
    return data


def network_issues(scenario: Any) -> list[tuple[str, str, Any]]:
    """The network's cross-field problems, as (key path, message, value): names that are not sites of the
    right kind, holding sites no crossing leaves from, nationalities sent to a shelter they cannot reach."""
    issues: list[tuple[str, str, Any]] = []
    sites = scenario.sites
    names_of = {kind: [name for name, site in sites.items() if site.kind == kind] for kind in SITE_KINDS}

    def check(path: str, name: Any, kind: str) -> bool:
        if name is None:
            return True
        if name not in names_of[kind]:
            issues.append((path, f"names no {kind} site; the {kind} sites are: {', '.join(names_of[kind])}", name))
            return False
        return True

    for name, crossing in scenario.crossings.items():
        for kind in SITE_KINDS:
            if getattr(crossing, kind) is None:
                issues.append((f"crossings.{name}.{kind}",
                               f"is required when there are several {kind} sites: one of "
                               f"{', '.join(names_of[kind])}", None))
            else:
                check(f"crossings.{name}.{kind}", getattr(crossing, kind), kind)
    for index, wave in enumerate(scenario.arrivals.waves):
        check(f"arrivals.waves[{index}].site", wave.site, "holding")
    check("arrivals.site", scenario.arrivals.site, "holding")
    served = {crossing.holding for crossing in scenario.crossings.values()}
    if "crossing" in scenario.pipeline:
        for name in names_of["holding"]:
            if name not in served and name in holding_sites_used(scenario):
                issues.append((f"sites.{name}", "people are held here but no crossing leaves from it "
                               "(add [crossings.NAME] with holding = this site)", None))
    for nationality, config in scenario.nationalities.items():
        path = f"nationalities.{nationality}"
        check(f"{path}.holding_site", config.holding_site, "holding")
        if check(f"{path}.shelter_site", config.shelter_site, "shelter") and config.shelter_site is not None:
            held = [config.holding_site] if config.holding_site else holding_sites_used(scenario)
            for site in held:
                if not any(c.holding == site and c.shelter == config.shelter_site
                           for c in scenario.crossings.values()):
                    issues.append((f"{path}.shelter_site", f"no crossing leads there from {site}",
                                   config.shelter_site))
        for index, site in enumerate(config.consular.sites):
            if site not in sites:
                issues.append((f"{path}.consular.sites[{index}]", f"names no site; the sites are: {', '.join(sites)}",
                               site))
        if config.consular.deployment == "split" and config.consular.officers < len(
                config.consular.sites or sites):
            issues.append((f"{path}.consular.officers", "a split team needs at least one officer per site",
                           config.consular.officers))
    return issues


def holding_sites_used(scenario: Any) -> list[str]:
    """The holding sites people arrive at: the waves', the stream's, the nationalities' own (the first
    holding site for whatever names none)."""
    first = next(name for name, site in scenario.sites.items() if site.kind == "holding")
    used = [wave.site or first for wave in scenario.arrivals.waves]
    if scenario.arrivals.rate_per_day > 0:
        used.append(scenario.arrivals.site or first)
    every_one_assigned = all(n.holding_site for n in scenario.nationalities.values())
    if every_one_assigned:
        used = []
    used += [n.holding_site for n in scenario.nationalities.values() if n.holding_site]
    return list(dict.fromkeys(used))


def team_site_warnings(scenario: Any) -> list[str]:
    """Warnings for teams that never work at a site where their people need them (an officer's stage, a
    health check needing an official, a crossing under travel_arranged): those people wait there until the
    horizon. Only teams that list their ``consular.sites`` can miss one."""
    pipeline = list(scenario.pipeline)
    crossing_at = pipeline.index("crossing") if "crossing" in pipeline else len(pipeline)
    warnings = []
    for team, config in scenario.nationalities.items():
        if config.consular.represented_by is not None or not config.consular.sites:
            continue
        served = [n for n in scenario.nationalities if scenario.team_of(n) == team]
        remote_for_all = set(scenario.database.remote_stages) if all(
            scenario.is_connected(n) for n in served) else set()

        held = list(dict.fromkeys(site for n in served for site in (
            [scenario.nationalities[n].holding_site] if scenario.nationalities[n].holding_site
            else holding_sites_used(scenario))))
        routes = [c for c in scenario.crossings.values() if c.holding in held]
        needed = {site: _needing_team(scenario, pipeline[:crossing_at], remote_for_all) + (
            ["crossing"] if any(c.holding == site and c.admission == "travel_arranged" for c in routes) else [])
            for site in held}
        after = _needing_team(scenario, pipeline[crossing_at + 1:], remote_for_all)
        for crossing in routes:
            needed.setdefault(str(crossing.shelter), after)
        for site, stages in needed.items():
            if stages and site not in config.consular.sites:
                warnings.append(f"nationalities.{team}.consular.sites: the team never works at {site}, where its "
                                f"people need it ({', '.join(stages)}): they will wait there until the horizon")
    return warnings


def _needing_team(scenario: Any, stages: list[str], remote: set[str]) -> list[str]:
    """The stages of ``stages`` that need the person's team where the person is (not made remote)."""
    return [s for s in stages if s != "transport" and s not in remote and (
        scenario.stage_config(s).servers == "consular"
        or getattr(scenario.stage_config(s), "requires_consular_presence", False))]
