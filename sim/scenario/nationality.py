"""The per-nationality tables of a scenario: consular team, funding, transport (and their defaults).

Model time is in days. Part of the schema (:mod:`sim.scenario.schema` re-exports every name)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.distributions import ZERO, DistributionSpec, FieldIssue
from sim.scenario.strict import MAX_HORIZON_DAYS, MAX_PEOPLE, MAX_STAFF, Probability, Strict
from sim.scenario.units import Days

CONSULAR_MODE_DEFAULTS: dict[str, dict[str, object]] = {
    "ad_hoc": {
        "deploy_delay": {"dist": "triangular", "min": 7.0, "mode": 21.0, "max": 35.0},
        "guarantee_delay": {"dist": "triangular", "min": 1.0, "mode": 3.0, "max": 7.0},
        "standby_cost": 0.0,
    },
    "pre_agreed": {
        "deploy_delay": {"dist": "uniform", "min": 0.0, "max": 3.0},
        "guarantee_delay": 0.0,
        "standby_cost": 25_000.0,
    },
}
"""What ``consular.mode`` means when a scenario does not set these keys itself (docs/scenario-reference.md
lists them). ad_hoc: a team mobilised after the crisis starts, from an embassy in the region (7-35 days,
most likely 21), which must then negotiate the return guarantee and paperwork case by case (1-7 days,
most likely 3: an assumption); no standing cost. pre_agreed: an SOP team on standby, on site within 3
days, with MoU templates that make the guarantee immediate; its retainer and training cost USD 25,000
per team for the operation (an assumption). Both stay on site once there unless ``on_site_days`` says
they rotate."""


class Consular(Strict):
    """A nationality's consular team: who deploys, how fast, for how long at a time."""

    mode: Literal["pre_agreed", "ad_hoc"] = Field(
        default="ad_hoc",
        description="pre_agreed (an SOP/MoU rapid-response team) or ad_hoc (mobilised after the crisis "
                    "starts); sets the defaults of deploy_delay, guarantee_delay and standby_cost.")
    officers: int = Field(
        default=1, ge=1, le=MAX_STAFF,
        description="The team's size: how many people its officers serve at once.")
    deploy_delay: DistributionSpec = Field(
        default=ZERO,
        description="Days from the nationality's first arrival until the team is on site "
                    "(default by mode: ad_hoc 7-35, most likely 21; pre_agreed 0-3).")
    guarantee_delay: DistributionSpec = Field(
        default=ZERO,
        description="Days from the team's first arrival on site until the host accepts its return "
                    "guarantee and its people may cross (default by mode: ad_hoc 1-7, most likely 3; "
                    "pre_agreed 0, an MoU template).")
    standby_cost: float = Field(
        default=0.0, ge=0,
        description="Retainer and training of the team for the operation, whether it deploys or not "
                    "(default by mode: ad_hoc 0; pre_agreed 25,000).")
    on_site_days: Days | None = Field(
        default=None, gt=0, le=MAX_HORIZON_DAYS,
        description="With rotations: days on site at a time (none: the team stays).")
    off_site_days: Days = Field(
        default=0.0, ge=0, le=MAX_HORIZON_DAYS,
        description="With rotations: days away between stays on site.")
    represented_by: str | None = Field(
        default=None, min_length=1,
        description="Another nationality whose team serves this one (a country with no mission in the region).")
    sites: tuple[str, ...] = Field(
        default=(),
        description="The sites the team works at, in order of priority (default: every site).")
    deployment: Literal["together", "split", "one_at_a_time"] = Field(
        default="together",
        description="together: the team serves all its sites as one (sites close together); split: its "
                    "officers are shared out over its sites (the first ones get the remainder); one_at_a_time: "
                    "the whole team at one site, starting at the first, moving when no one there waits for it "
                    "to the site where most of its people wait.")
    move_days: Days = Field(
        default=0.0, ge=0, le=MAX_HORIZON_DAYS,
        description="one_at_a_time: days the team takes to move between sites (serving no one meanwhile).")

    @model_validator(mode="before")
    @classmethod
    def _mode_defaults(cls, data: object) -> object:
        """Keys the scenario leaves out take the defaults of the team's mode (CONSULAR_MODE_DEFAULTS)."""
        if isinstance(data, dict):
            mode = data.get("mode", "ad_hoc")
            defaults = CONSULAR_MODE_DEFAULTS.get(mode) if isinstance(mode, str) else None
            if defaults:
                data = {**defaults, **data}
        return data


class Funding(Strict):
    mode: Literal["safe_fund", "appeal"] = Field(
        default="safe_fund",
        description="safe_fund (money ready on day 0) or appeal (tickets wait for an appeal to succeed).")
    appeal_delay: DistributionSpec = Field(
        default=ZERO,
        description="Days from the nationality's first arrival until the appeal is funded.")
    unfunded_share: Probability = Field(
        default=0.0, ge=0, le=1,
        description="Under an appeal: the share of people with no ticket money at all (they stay waiting).")


class Transport(Strict):
    """How people of one nationality get home once funded.

    A person is ready ``booking_delay`` days after being funded and done with every other stage.
    ``charter``: a flight of ``seats`` leaves as soon as it is full, or once ``interval`` days have passed
    since the previous departure (or since the flight became available) with at least ``min_load`` ready;
    each flight is booked ``lead_time`` days before it is available; at most ``max_per_day`` per day.
    ``commercial``: each person flies individually when ready.
    ``overland``: a bus of ``seats`` leaves every ``interval`` days with whoever is ready.
    With ``max_wait``, a part-full flight or bus leaves only once someone ready has waited that long.
    """

    mode: Literal["charter", "commercial", "overland"] = Field(
        default="commercial",
        description="charter (flights), commercial (each person booked alone) or overland (buses).")
    seats: int | None = Field(
        default=None, ge=1, le=100_000,
        description="Seats per flight or bus (charter and overland).")
    min_load: int = Field(default=1, ge=1, le=100_000, description="The fewest people a vehicle leaves with.")
    interval: Days | None = Field(
        default=None, gt=0, le=MAX_HORIZON_DAYS,
        description="Days between departures (charter: after the last one; overland: a timetable from day 0).")
    lead_time: Days = Field(
        default=0.0, ge=0, le=MAX_HORIZON_DAYS,
        description="Days to book a charter flight, or before the first bus runs.")
    max_per_day: int | None = Field(
        default=None, ge=1, le=100_000,
        description="At most this many departures per day (none: no limit).")
    max_wait: Days | None = Field(
        default=None, ge=0, le=MAX_HORIZON_DAYS,
        description="Charter and overland: days a part-full vehicle waits, counted from when the person ready "
                    "longest joined the queue for a seat; a full one does not wait (none: no such wait).")
    booking_delay: DistributionSpec = Field(
        default=ZERO,
        description="Days from being funded and done with every other stage until the person's own flight "
                    "(commercial) or until they join the queue for a charter flight or bus.")
    cost_per_seat: float = Field(default=0.0, ge=0, description="Cost of one seat (or one commercial ticket).")
    cost_per_trip: float = Field(default=0.0, ge=0, description="Cost of one flight or bus, whatever its load.")

    @model_validator(mode="after")
    def _vehicle_fields(self) -> Transport:
        if self.mode in ("charter", "overland"):
            if self.seats is None:
                raise FieldIssue("seats", f'is required when mode = "{self.mode}"')
            if self.interval is None:
                raise FieldIssue("interval", f'is required when mode = "{self.mode}"')
            if self.min_load > self.seats:
                raise FieldIssue("min_load", "must be <= seats")
        elif self.max_wait is not None:
            raise FieldIssue("max_wait", 'applies to charter and overland only (mode = "commercial" has no vehicle)')
        return self


class NationalityDefaults(Strict):
    vulnerable: Probability = Field(
        default=0.0, ge=0, le=1,
        description="Probability that a person is vulnerable (a minor, or needing care): served first.")
    connected: bool | None = Field(
        default=None,
        description="Whether the nationality uses the shared database (default: database.shared).")
    consular: Consular = Field(default=Consular(), description="The nationality's consular team.")
    funding: Funding = Field(default=Funding(), description="How the nationality's tickets are paid for.")
    transport: Transport = Field(default=Transport(), description="How the nationality's people travel home.")
    holding_site: str | None = Field(
        default=None, min_length=1,
        description="The holding site the nationality's people are held at, whichever release brings them "
                    "(default: the site of their wave or stream).")
    shelter_site: str | None = Field(
        default=None, min_length=1,
        description="The shelter the nationality's people cross into: only crossings into it are open to "
                    "them (default: any).")
    skip_stages: tuple[str, ...] = Field(
        default=(),
        description="Stages of the pipeline this nationality's people do not go through (not crossing or "
                    "transport): e.g. screening for a country that screened its own nationals beforehand.")
    after_return_screened: Probability | None = Field(
        default=None, ge=0, le=1,
        description="The nationality's after-return risk for a screened person (default: the exposure's).")
    after_return_unscreened: Probability | None = Field(
        default=None, ge=0, le=1,
        description="The nationality's after-return risk for an unscreened person (default: the exposure's).")


class Nationality(NationalityDefaults):
    count: int | None = Field(
        default=None, ge=0, le=MAX_PEOPLE,
        description="How many of the waves' people are of this nationality (all nationalities or none).")
    share: Probability | None = Field(
        default=None, ge=0, le=1,
        description="The nationality's share of arrivals, when counts are not given (shares add up to 1).")
