"""Plain words for the keys of a scenario file (dotted paths such as
``nationality_defaults.consular.officers``), for the titles and axes of sweep plots and the sweep's
tables: "Consular officers per team (every nationality)".

The words are built from the path: the setting's own words (:data:`LEAF_WORDS`, by its table and name)
and whose setting it is (a site, a stage, every nationality or one). The report cannot read the schema
(it reads stored files only); ``tests/test_plots.py`` checks that every key of the schema has words here.
"""

from __future__ import annotations

from sim.report.plots.labels import STAGE_LABELS

# (table, key) -> words; table "" matches any table, "stage" any [stages.NAME] table
LEAF_WORDS: dict[tuple[str, str], str] = {
    ("", "pipeline"): "Stages of the pipeline",
    ("scenario", "name"): "Scenario name",
    ("scenario", "description"): "Scenario description",
    ("scenario", "start_date"): "Date of day 0",
    ("scenario", "horizon_days"): "Days simulated",
    ("scenario", "seed"): "Random seed",
    ("scenario", "replications"): "Replications",
    ("scenario", "observed"): "Reported figures file",
    ("scenario", "currency"): "Currency of costs",
    ("", "ranges"): "Plausible ranges of the assumptions",
    ("waves", "day"): "Day a release starts",
    ("waves", "count"): "People released",
    ("waves", "spread_days"): "Days a release is spread over",
    ("arrivals", "waves"): "Mass releases",
    ("arrivals", "rate_per_day"): "Arrivals per day (steady stream)",
    ("arrivals", "rate_until_day"): "Last day of the steady stream",
    ("arrivals", "site"): "Holding site of the steady stream",
    ("waves", "site"): "Holding site a release goes to",
    ("site", "kind"): "kind (holding or shelter)",
    ("site", "release_per_day"): "people released per day",
    ("site", "release_changes"): "changes of the release pace",
    ("release_changes", "day"): "Day the release pace changes",
    ("release_changes", "per_day"): "People released per day from then",
    ("crossing", "holding"): "Holding site the border crossing leaves from",
    ("crossing", "shelter"): "Shelter the border crossing leads to",
    ("crossing", "staff"): "Border staff at the crossing",
    ("crossing", "travel_days"): "Days to reach the border crossing",
    ("routing", "policy"): "Which crossing people take (nearest or shortest queue)",
    ("nationality", "holding_site"): "Holding site of the nationality",
    ("nationality", "shelter_site"): "Shelter of the nationality",
    ("consular", "sites"): "Sites the consular team works at",
    ("consular", "deployment"): "How the consular team covers its sites",
    ("consular", "move_days"): "Days the consular team takes to move between sites",
    ("site", "capacity"): "capacity",
    ("site", "hazard_per_day"): "daily hazard of loss",
    ("site", "cost_per_person_day"): "cost per person-day",
    ("site", "overflow"): "may overflow",
    ("site", "max_stay"): "longest stay before onward travel",
    ("crossing", "daily_capacity"): "Border crossings per day",
    ("capacity_changes", "day"): "Day the border's capacity changes",
    ("capacity_changes", "daily_capacity"): "Border crossings per day from then",
    ("crossing", "capacity_changes"): "Changes of the border's capacity",
    ("crossing", "closures"): "Closures of the border",
    ("closures", "from_day"): "Day a closure of the border starts",
    ("closures", "until_day"): "Day the border reopens",
    ("closures", "nationalities"): "Nationalities the closure applies to",
    ("closures", "open_to"): "Nationalities the closure spares",
    ("crossing", "admission"): "Who may cross the border",
    ("stage", "servers"): "who serves",
    ("stage", "staff"): "staff",
    ("stage", "duration"): "service time",
    ("stage", "duration_with_database"): "service time with the shared database",
    ("stage", "records_delay"): "records round trip",
    ("stage", "records_delay_with_database"): "records round trip with the shared database",
    ("stage", "requires_consular_presence"): "needs a home official on site",
    ("stage", "policy"): "who is screened",
    ("stage", "kind"): "kind",
    ("stage", "params"): "settings",
    ("database", "shared"): "Shared electronic database",
    ("database", "remote_stages"): "Stages worked remotely with the database",
    ("database", "home_desk_delay"): "Days until the home desks work",
    ("database", "home_desk_officers"): "Officers at each home desk",
    ("nationality", "vulnerable"): "Share of vulnerable people",
    ("nationality", "connected"): "Connected to the shared database",
    ("nationality", "count"): "People",
    ("nationality", "share"): "Share of the arrivals",
    ("nationality", "skip_stages"): "Stages the nationality skips",
    ("nationality", "after_return_screened"): "Risk after return, screened",
    ("nationality", "after_return_unscreened"): "Risk after return, not screened",
    ("consular", "mode"): "Consular mode (ad hoc or pre-agreed)",
    ("consular", "officers"): "Consular officers per team",
    ("consular", "deploy_delay"): "Days until the consular team is deployed",
    ("consular", "guarantee_delay"): "Days until the return guarantee",
    ("consular", "standby_cost"): "Standby cost of the consular team",
    ("consular", "on_site_days"): "Days a consular team stays on site",
    ("consular", "off_site_days"): "Days between consular visits",
    ("consular", "represented_by"): "Represented by another country's team",
    ("funding", "mode"): "Funding of tickets (appeal or safe fund)",
    ("funding", "appeal_delay"): "Days to raise ticket money",
    ("funding", "unfunded_share"): "Share left without ticket money",
    ("transport", "mode"): "Transport home (commercial, charter or overland)",
    ("transport", "seats"): "Seats per flight or bus",
    ("transport", "min_load"): "Fewest people a flight or bus leaves with",
    ("transport", "interval"): "Longest wait of a part-full flight or bus",
    ("transport", "lead_time"): "Days to lay on the first flight or bus",
    ("transport", "max_per_day"): "Flights or buses per day",
    ("transport", "max_wait"): "Longest wait for a seat",
    ("transport", "booking_delay"): "Days to book the journey",
    ("transport", "cost_per_seat"): "Cost per seat",
    ("transport", "cost_per_trip"): "Cost per flight or bus",
    ("exposure", "mode"): "Exposure model (sampled or expected)",
    ("exposure", "crowding_factor"): "How much crowding raises the hazard",
    ("exposure", "limbo_growth"): "How much long waits raise the hazard",
    ("exposure", "limbo_grace_days"): "Days before long waits raise the hazard",
    ("exposure", "after_return_screened"): "Risk after return, screened",
    ("exposure", "after_return_unscreened"): "Risk after return, not screened",
    ("exposure", "vulnerable_risk_factor"): "Risk factor of vulnerable people",
    ("reintegration", "referred_share"): "Share of screened returnees referred to support",
    ("reintegration", "risk_reduction"): "How much support lowers the risk after return",
    ("reintegration", "cost_per_person"): "Cost of support per person",
    ("costs", "per_officer_day"): "Cost per consular officer-day",
    ("costs", "per_health_check"): "Cost per health check",
    ("costs", "per_screening_team_day"): "Cost per screening team-day",
    ("costs", "database_setup"): "Set-up cost of the shared database",
    ("costs", "database_per_case"): "Cost per case in the shared database",
    ("costs", "safe_fund_admin_share"): "Safe fund administration (share of transport)",
    ("", "sources"): "Sources",
}
SITE_WORDS = {"holding": "Holding site", "shelter": "Shelter"}


def _leaf(table: str, key: str) -> str | None:
    return LEAF_WORDS.get((table, key)) or LEAF_WORDS.get(("", key))


def parameter_label(path: str) -> str:
    """Words for a dotted key path; the path itself (dots and underscores as spaces) when it is not a known
    key."""
    words = parameter_words(path)
    return words if words else " ".join(p.replace("_", " ") for p in str(path).split(".")).capitalize()


def parameter_words(path: str) -> str | None:
    """Words for a dotted key path of a scenario file, or None when it is not a key this module knows."""
    parts = str(path).split(".")
    head = parts[0]
    fallback = None
    if head == "sites" and len(parts) >= 3:
        site = SITE_WORDS.get(parts[1], parts[1].replace("_", " ").capitalize())
        if len(parts) == 5 and parts[2] == "release_changes":
            words = _leaf("release_changes", parts[4])
            return f"{words} ({site}, change {int(parts[3]) + 1})" if words and parts[3].isdigit() else fallback
        words = _leaf("site", parts[2]) if len(parts) == 3 else None
        return f"{site} {words}" if words else fallback
    if head == "crossings" and len(parts) >= 3:  # a crossing of the network: the words of [crossing], named
        words = parameter_words(".".join(["crossing", *parts[2:]]))
        return f"{words} ({parts[1].replace('_', ' ')})" if words else fallback
    if head == "stages" and len(parts) == 3:
        words = _leaf("stage", parts[2])
        stage = STAGE_LABELS.get(parts[1], parts[1].replace("_", " ").capitalize())
        return f"{stage}: {words}" if words else fallback
    if head == "crossing" and len(parts) >= 3 and parts[1] in ("capacity_changes", "closures"):
        words = _leaf(parts[1], parts[-1])
        return f"{words} ({parts[1].replace('_', ' ')} {int(parts[2]) + 1})" if words and parts[2].isdigit() else words
    if head == "arrivals" and len(parts) >= 3 and parts[1] == "waves":
        words = _leaf("waves", parts[-1])
        return f"{words} (release {int(parts[2]) + 1})" if words and parts[2].isdigit() else words
    if head in ("nationality_defaults", "nationalities"):
        if head == "nationality_defaults":
            who, rest = "every nationality", parts[1:]
        else:
            who, rest = (parts[1] if len(parts) > 2 else "each nationality"), parts[2:]
            if len(parts) == 2:
                rest = parts[1:]
        if len(rest) == 2:
            words = _leaf(rest[0], rest[1])
        elif len(rest) == 1:
            words = _leaf("nationality", rest[0])
        else:
            words = None
        return f"{words} ({who})" if words else fallback
    if len(parts) == 2:
        return _leaf(head, parts[1]) or fallback
    if len(parts) == 1:
        return _leaf("", head) or fallback
    return fallback
