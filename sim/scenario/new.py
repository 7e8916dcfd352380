"""A new crisis scenario from a few answers: a complete, commented, standalone TOML file (``repatsim new``).

Every value the file holds is written out (no ``extends``), with a ``*_source`` note saying it is an
assumption and where the default comes from (the 2025 Myawaddy/Mae Sot operation's scenario), so that a
planner sees what to replace with local knowledge. The text is checked by loading it before it is
returned: what ``repatsim new`` writes validates and runs as written.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Mapping, Sequence

from sim.scenario.errors import Issue, ScenarioError
from sim.scenario.loading import scenario_from_dict

DEFAULT = "assumption: default, as in the 2025 Mae Sot baseline"


def parse_counts(text: str) -> dict[str, int]:
    """``"Indonesia=400,Philippines=300"`` -> {"Indonesia": 400, "Philippines": 300}."""
    counts: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name or not number.strip().isdigit() or int(number) < 1:
            raise ScenarioError([Issue("--nationalities", "must look like Name=count,Name=count (whole counts >= 1)",
                                       item)])
        if name in counts:
            raise ScenarioError([Issue("--nationalities", "names a nationality twice", name)])
        counts[name] = int(number)
    return counts


def _check_names(option: str, names: Sequence[str], known: Mapping[str, int]) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ScenarioError([Issue(option, "names nationalities not in --nationalities; known: " + ", ".join(known),
                                   ", ".join(unknown))])


def _quoted(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


def new_scenario(name: str, counts: Mapping[str, int], pre_agreed: Sequence[str] = (),
                 database: Sequence[str] = (), border_cap: int = 500, start: dt.date | None = None,
                 release_days: float = 14.0, horizon_days: float = 120.0) -> str:
    """The TOML text of a new scenario: ``counts`` people per nationality released over ``release_days``;
    the nationalities in ``pre_agreed`` have pre-agreed consular teams, those in ``database`` use the
    shared database; the border takes ``border_cap`` people a day."""
    _check_names("--pre-agreed", pre_agreed, counts)
    _check_names("--database", database, counts)
    total = sum(counts.values())
    lines = [
        f"# {name}: written by `repatsim new`. Every value is an assumption until you replace it with what you",
        "# know; each *_source note says where the default comes from. Reference: docs/scenario-reference.md.",
        'pipeline = ["registration", "identity", "crossing", "health", "screening", "documents", "transport"]',
        "",
        "[scenario]",
        f"name = {json.dumps(name)}",
        f"horizon_days = {horizon_days:g}",
        "seed = 1",
        "replications = 20",
    ]
    if start is not None:
        lines.append(f"start_date = {start.isoformat()}")
    lines += [
        "",
        "[arrivals]  # one release of everyone over the first days",
        f"waves = [ {{ day = 0, count = {total}, spread_days = {release_days:g} }} ]",
        'waves_source = "assumption: everyone given to repatsim new, released over --release-days"',
        "",
        "[sites.holding]  # where people wait before the crossing",
        f"capacity = {max(total, 100)}",
        f'capacity_source = "{DEFAULT}: room for everyone released"',
        "hazard_per_day = 0.0005",
        f'hazard_per_day_source = "{DEFAULT}"',
        "cost_per_person_day = 4.0",
        f'cost_per_person_day_source = "{DEFAULT}"',
        "",
        "[sites.shelter]  # where people wait after the crossing",
        "capacity = 200",
        f'capacity_source = "{DEFAULT}"',
        "hazard_per_day = 0.0001",
        f'hazard_per_day_source = "{DEFAULT}"',
        "cost_per_person_day = 10.0",
        f'cost_per_person_day_source = "{DEFAULT}"',
        "",
        "[crossing]",
        f"daily_capacity = {border_cap}",
        'daily_capacity_source = "assumption: given to repatsim new (--border-cap)"',
        'admission = "travel_arranged"  # cross only with the team on site and travel funded',
        f'admission_source = "{DEFAULT}"',
        "",
        "[stages.registration]",
        'servers = "holding"',
        "staff = 6",
        f'staff_source = "{DEFAULT}"',
        'duration = { dist = "triangular", min = "2min", mode = "5min", max = "10min" }',
        f'duration_source = "{DEFAULT}"',
        "",
        "[stages.identity]  # a consular officer's interview, then the records round trip",
        'servers = "consular"',
        'duration = { dist = "lognormal", median = "35min", p90 = "90min" }',
        f'duration_source = "{DEFAULT}"',
        'duration_with_database = { dist = "lognormal", median = "15min", p90 = "40min" }',
        f'duration_with_database_source = "{DEFAULT}"',
        'records_delay = { dist = "triangular", min = "2d", mode = "5d", max = "21d" }',
        f'records_delay_source = "{DEFAULT}"',
        'records_delay_with_database = { dist = "uniform", min = "2h", max = "1d" }',
        f'records_delay_with_database_source = "{DEFAULT}"',
        "",
        "[stages.crossing]",
        'servers = "border"',
        "staff = 6",
        f'staff_source = "{DEFAULT}"',
        'duration = "5min"',
        f'duration_source = "{DEFAULT}"',
        "",
        "[stages.health]",
        'servers = "health"',
        "staff = 6",
        f'staff_source = "{DEFAULT}"',
        'duration = { dist = "triangular", min = "3min", mode = "5min", max = "15min" }',
        f'duration_source = "{DEFAULT}"',
        "requires_consular_presence = true",
        f'requires_consular_presence_source = "{DEFAULT}"',
        "",
        "[stages.screening]  # victim identification (NRM) by multidisciplinary teams",
        'servers = "screening"',
        "staff = 8",
        f'staff_source = "{DEFAULT}"',
        'duration = { dist = "triangular", min = "30min", mode = "45min", max = "90min" }',
        f'duration_source = "{DEFAULT}"',
        'policy = "full"',
        'policy_source = "assumption: everyone is screened"',
        "",
        "[stages.documents]  # emergency travel documents",
        'servers = "consular"',
        'duration = { dist = "triangular", min = "15min", mode = "30min", max = "2h" }',
        f'duration_source = "{DEFAULT}"',
        "",
        "[database]",
        "shared = false  # nationalities listed with --database are connected below",
        'shared_source = "assumption: no database unless given to repatsim new (--database)"',
        "",
        "[nationality_defaults]",
        "vulnerable = 0.05",
        f'vulnerable_source = "{DEFAULT}"',
        "",
        "[nationality_defaults.consular]  # an ad hoc team, mobilised after the crisis starts",
        'mode = "ad_hoc"',
        "officers = 3",
        f'officers_source = "{DEFAULT}"',
        f'mode_source = "{DEFAULT}"',
        'deploy_delay = { dist = "triangular", min = "7d", mode = "21d", max = "35d" }',
        f'deploy_delay_source = "{DEFAULT}"',
        "",
        "[nationality_defaults.funding]  # tickets wait for an appeal",
        'mode = "appeal"',
        f'mode_source = "{DEFAULT}"',
        'appeal_delay = { dist = "uniform", min = "7d", max = "21d" }',
        f'appeal_delay_source = "{DEFAULT}"',
        "",
        "[nationality_defaults.transport]",
        'mode = "commercial"',
        f'mode_source = "{DEFAULT}"',
        'booking_delay = { dist = "uniform", min = "6h", max = "1d" }',
        f'booking_delay_source = "{DEFAULT}"',
        "cost_per_seat = 800.0",
        f'cost_per_seat_source = "{DEFAULT}"',
    ]
    for nationality, count in counts.items():
        key = _quoted(nationality)
        lines += ["", f"[nationalities.{key}]", f"count = {count}",
                  'count_source = "assumption: given to repatsim new (--nationalities)"']
        if nationality in database:
            lines += ["connected = true", 'connected_source = "assumption: given to repatsim new (--database)"']
        if nationality in pre_agreed:
            lines += ["", f"[nationalities.{key}.consular]  # pre-agreed SOPs: a team in days",
                      'mode = "pre_agreed"', 'mode_source = "assumption: given to repatsim new (--pre-agreed)"',
                      "officers = 6",
                      'officers_source = "assumption: a pre-agreed rapid-response team (given to --pre-agreed)"',
                      'deploy_delay = { dist = "uniform", min = "1d", max = "4d" }',
                      'deploy_delay_source = "assumption: a pre-agreed team deploys within days, as China\'s did in '
                      '2025"']
    lines += [
        "",
        "[exposure]  # re-trafficking exposure: stated assumptions, not predictions",
        'mode = "sampled"',
        "crowding_factor = 1.0",
        f'crowding_factor_source = "{DEFAULT}"',
        "limbo_growth = 1.0",
        f'limbo_growth_source = "{DEFAULT}"',
        "limbo_grace_days = 30",
        f'limbo_grace_days_source = "{DEFAULT}"',
        "after_return_screened = 0.05",
        f'after_return_screened_source = "{DEFAULT}"',
        "after_return_unscreened = 0.15",
        f'after_return_unscreened_source = "{DEFAULT}"',
        "",
        "[costs]",
        "per_officer_day = 250.0",
        f'per_officer_day_source = "{DEFAULT}"',
        "per_health_check = 20.0",
        f'per_health_check_source = "{DEFAULT}"',
        "",
    ]
    text = "\n".join(lines)
    scenario_from_dict(tomllib.loads(text))  # what is written validates as written
    return text
