"""After the run: each person's risk after return and what their repatriation cost, item by item.

**After-return risk** (a stated assumption, never a prediction about a person). A person's risk of being
re-trafficked after going home is their nationality's ``after_return_screened`` or
``after_return_unscreened`` (the exposure's unless the nationality sets its own), times
``vulnerable_risk_factor`` if they are vulnerable (capped at 1), times ``1 - risk_reduction`` if they
were referred to reintegration support. Referral needs screening: a screened person who goes home is
referred when their uniform draw of stream ``reintegration.referral`` is below ``referred_share`` (one
draw per person, so compared scenarios refer the same people when they screen them). People still
waiting at the horizon carry the risk they would take home as they stand (screened or not, never
referred): their limbo is not over, so it is a lower bound.

**Costs.** Every cost item is split over the people it was spent on, so that the costs of a nationality
(who pays) are a sum over its people, and every item's total is the sum over everyone:

- ``holding``, ``shelter``: the person's days there times the site's cost per person-day;
- ``officers``: a team's officer-days on site, shared equally by the people of the nationalities it serves;
- ``standby``: a team's ``standby_cost``, shared likewise;
- ``transport``: what a nationality's seats, trips and tickets cost, shared by its people who went home;
- ``safe_fund_admin``: ``safe_fund_admin_share`` of the transport cost of a safe-fund nationality;
- ``health_checks``: one check per person checked;
- ``screening``: the screening teams' days over the operation (first arrival to the last departure, or
  the horizon), shared by the people screened;
- ``database``: the set-up (shared by every connected person), one case per connected person, and the
  home desks' officer-days, from the desk's start until its nationality's people are all done (shared
  by them);
- ``reintegration``: the support of each referred person.

An item spent on no one (teams with no people, screening that screened nobody) is counted in its total
but in no nationality (``unattributed``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.recorder import RETURNED, WAITING

COST_ITEMS = ("holding", "shelter", "officers", "standby", "transport", "safe_fund_admin", "health_checks",
              "screening", "database", "reintegration")


def referrals(world: Any, screened: np.ndarray, returned: np.ndarray) -> np.ndarray:
    """Who was referred to reintegration support: screened returnees, each with ``referred_share``."""
    share = world.scenario.reintegration.referred_share
    draws = world.streams["reintegration.referral"].random(len(world.people))
    return screened & returned & (draws < share)


def after_return_risk(world: Any, screened: np.ndarray, referred: np.ndarray) -> np.ndarray:
    """Each person's probability of re-trafficking after return, as they stand (see the module docstring)."""
    scenario, people = world.scenario, world.people
    exposure = scenario.exposure
    by_nationality = np.array([[
        exposure.after_return_unscreened if n.after_return_unscreened is None else n.after_return_unscreened,
        exposure.after_return_screened if n.after_return_screened is None else n.after_return_screened,
    ] for n in (scenario.nationalities[name] for name in world.names)]).reshape(-1, 2)
    risk = by_nationality[people.nationality, screened.astype(np.intp)] if len(people) else np.zeros(0)
    risk = np.where(people.vulnerable, np.minimum(risk * exposure.vulnerable_risk_factor, 1.0), risk)
    return np.where(referred, risk * (1.0 - scenario.reintegration.risk_reduction), risk)


def operation_end(world: Any) -> float:
    """When the operation is over: the last departure or loss, if everyone has left and no more can come;
    else the horizon."""
    return work_end(world, np.ones(len(world.people), dtype=bool))


def _share(amount: float, members: np.ndarray) -> tuple[np.ndarray, float]:
    """``amount`` split equally over the people in the mask ``members``; (per person, unattributed)."""
    count = int(members.sum())
    if count == 0:
        return np.zeros(len(members)), amount
    return np.where(members, amount / count, 0.0), 0.0


def person_costs(world: Any, site_days: dict[str, np.ndarray], screened: np.ndarray, referred: np.ndarray,
                 health_checked: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Each cost item per person, and what of each item was spent on no one (see the module docstring)."""
    scenario, people, recorder = world.scenario, world.people, world.recorder
    costs, count = scenario.costs, len(people)
    nationality = people.nationality
    items = {item: np.zeros(count) for item in COST_ITEMS}
    unattributed = dict.fromkeys(COST_ITEMS, 0.0)

    def add(item: str, amount: float, members: np.ndarray) -> None:
        per_person, rest = _share(amount, members)
        items[item] += per_person
        unattributed[item] += rest

    site_cost = np.array([site.cost_per_person_day for site in scenario.sites.values()] + [0.0])
    items["holding"] = site_days["holding"] * site_cost[recorder.holding_site]
    items["shelter"] = site_days["shelter"] * site_cost[recorder.shelter_site]  # -1 (not crossed): no cost

    team_index = {name: index for index, name in enumerate(world.names)}
    for name in world.teams:
        served = np.isin(nationality, [team_index[n] for n in world.names if scenario.team_of(n) == name])
        add("officers", officer_days_of(world, name) * costs.per_officer_day, served)
        add("standby", scenario.nationalities[name].consular.standby_cost, served)

    returned = recorder.status == RETURNED
    for index, name in enumerate(world.names):
        config = scenario.nationalities[name]
        mine = nationality == index
        departures, transport = world.departures[index], config.transport
        if departures is None:
            spent = world.commercial_passengers[index] * transport.cost_per_seat
        else:
            spent = departures.passengers * transport.cost_per_seat + departures.trips * transport.cost_per_trip
        add("transport", spent, mine & returned)
        if config.funding.mode == "safe_fund":
            add("safe_fund_admin", spent * costs.safe_fund_admin_share, mine & returned)
        desk = world.home_desks[index]
        if desk is not None and desk.active_from < np.inf:  # staffed until its people are all done
            desk_days = max(0.0, work_end(world, mine) - desk.active_from) * desk.officers
            add("database", desk_days * costs.per_officer_day, mine)

    items["health_checks"] = np.where(health_checked, costs.per_health_check, 0.0)
    screening = scenario.stages.screening
    if "screening" in scenario.pipeline and isinstance(screening.staff, int) and count:
        plan = world.stages[world.stage_index["screening"]]
        teams = screening.staff * max(1, len(plan.pools))  # its staff at each site where it is done
        team_days = teams * max(0.0, operation_end(world) - float(np.nanmin(recorder.arrived)))
        add("screening", team_days * costs.per_screening_team_day, screened)
    connected = np.array(world.connected, dtype=bool)[nationality] if count else np.zeros(0, dtype=bool)
    if connected.any() or (any(world.connected) and count == 0):
        add("database", costs.database_setup, connected)
        items["database"] += np.where(connected, costs.database_per_case, 0.0)
    items["reintegration"] = np.where(referred, scenario.reintegration.cost_per_person, 0.0)
    return items, unattributed


def work_end(world: Any, people: np.ndarray) -> float:
    """When the work for some people (a boolean mask over victims) is over: the last departure or loss
    among them, if all are done and no more can come (no Poisson stream); else the horizon. 0 when
    there is no one and no one can come."""
    horizon, streaming = world.scenario.horizon_days, world.scenario.arrivals.rate_per_day > 0
    if not people.any():
        return horizon if streaming else 0.0
    if streaming or (world.recorder.status[people] == WAITING).any():
        return horizon
    return float(np.nanmax(world.recorder.departed[people]))


def team_end_day(world: Any, team: str) -> float:
    """When a team's work is over (:func:`work_end` of the people it serves): officer-days are paid
    until then."""
    served = [i for i, n in enumerate(world.names) if world.scenario.team_of(n) == team]
    return work_end(world, np.isin(world.people.nationality, served))


def officer_days_of(world: Any, name: str) -> float:
    """Officer-days of team ``name`` on site, until its work is over (:func:`team_end_day`)."""
    team, end = world.teams[name], team_end_day(world, name)
    return sum(max(0.0, min(stop, end, world.scenario.horizon_days) - start) * team.officers
               for start, stop in team.intervals)


def officer_days(world: Any) -> float:
    """Officer-days on site of every team."""
    return sum(officer_days_of(world, name) for name in world.teams)
