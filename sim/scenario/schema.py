"""The scenario schema: frozen, strict pydantic models of every key of a scenario file.

Model time is in days. Strict mode means no silent coercion: ``"10"`` is not 10 and ``"yes"`` is not
True. Unknown keys are errors at every level. Cross-field rules that need the whole scenario
(``represented_by`` targets, counts vs shares, pipeline vs admission rule) live in
:mod:`sim.scenario`, which also reads files, merges ``extends`` and applies dotted overrides.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.scenario.distributions import ZERO, DistributionSpec, FieldIssue, OptionalDistributionSpec
from sim.scenario.registry import (
    BUILTIN_SCREENING_POLICIES,
    BUILTIN_STAGE_KINDS,
    screening_policy_names,
    stage_kind_names,
)
from sim.scenario.units import Days

STAGE_NAMES: tuple[str, ...] = ("registration", "identity", "crossing", "health", "screening", "documents",
                                "transport")
"""The built-in stages: each has its own table under ``[stages]``; other stages are declared there too."""
DEFAULT_PIPELINE = STAGE_NAMES
BUILTIN_STAGE_KIND = {"registration": "staffed", "identity": "identity", "crossing": "crossing",
                      "health": "health", "screening": "screening", "documents": "staffed",
                      "transport": "transport"}
"""The kind (the code, see :mod:`sim.scenario.registry`) that runs each built-in stage."""
SERVER_KINDS = ("consular", "holding", "shelter", "health", "screening", "border")
IN_PERSON_STAGES = ("crossing", "transport")
"""Stages the shared database cannot make remote: people cross the border and board in person."""

MAX_PEOPLE = 10_000_000
MAX_HORIZON_DAYS = 36_525  # 100 years
MAX_REPLICATIONS = 100_000
MAX_STAFF = 100_000

ServerKind = Literal["consular", "holding", "shelter", "health", "screening", "border"]
Probability = float


class Strict(BaseModel):
    """Base of every scenario table: strict types, unknown keys forbidden, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class ScenarioMeta(Strict):
    name: str = Field(
        min_length=1, max_length=200,
        description="The scenario's name, shown in tables, plots and the report.")
    description: str = Field(
        default="",
        description="What the scenario represents, in a sentence or two (shown in the report).")
    start_date: dt.date | None = Field(
        default=None,
        description="The calendar date of day 0 (TOML date), used to label days in the report.")
    horizon_days: float = Field(
        gt=0, le=MAX_HORIZON_DAYS,
        description="How long the operation is simulated, in days; people not home by then are 'waiting'.")
    seed: int = Field(
        default=0, ge=0, lt=2**63,
        description="Base seed of the random streams; the same seed gives the same results.")
    replications: int = Field(
        default=10, ge=1, le=MAX_REPLICATIONS,
        description="Replications run when the command line does not say (-r).")
    observed: str | None = Field(
        default=None, min_length=1,
        description="A CSV file of reported figures to score the model against (repatsim record), relative to "
                    "the file that sets it; held as an absolute path once loaded. See docs/outputs.md.")


class Wave(Strict):
    """A mass release: ``count`` people arriving uniformly over ``spread_days`` from ``day``."""

    day: Days = Field(ge=0, le=MAX_HORIZON_DAYS, description="The day the release starts (days from day 0).")
    count: int = Field(ge=1, le=MAX_PEOPLE, description="How many people the wave releases.")
    spread_days: Days = Field(
        default=0.0, ge=0, le=MAX_HORIZON_DAYS,
        description="Over how many days the wave's people arrive, uniformly (0: all at once).")


class Arrivals(Strict):
    waves: tuple[Wave, ...] = Field(
        default=(),
        description="Mass releases: a list of tables with day, count and spread_days.")
    rate_per_day: float = Field(
        default=0.0, ge=0, le=MAX_PEOPLE,
        description="A Poisson stream of arrivals beside (or instead of) the waves, people per day.")
    rate_until_day: Days | None = Field(
        default=None, gt=0, le=MAX_HORIZON_DAYS,
        description="The day the Poisson stream stops (default: the horizon).")

    @model_validator(mode="after")
    def _has_a_source(self) -> Arrivals:
        if not self.waves and self.rate_per_day == 0:
            raise FieldIssue("waves", "at least one source of arrivals is needed: waves or rate_per_day > 0")
        return self


class Site(Strict):
    """A place where people wait: holding (before the crossing) or shelter (after it)."""

    capacity: int | None = Field(
        default=None, ge=1, le=MAX_PEOPLE,
        description="Places at the site; people beyond it are overcrowded (crowding raises the hazard).")
    hazard_per_day: float = Field(
        default=0.0, ge=0, le=10,
        description="Daily hazard of being re-trafficked or absconding while at the site (an assumption).")
    cost_per_person_day: float = Field(default=0.0, ge=0, description="Cost of one person at the site for one day.")


class Sites(Strict):
    holding: Site = Field(
        default=Site(),
        description="Where people wait before the crossing (the Myanmar side in 2025).")
    shelter: Site = Field(default=Site(), description="Where people wait after the crossing, until they travel home.")


class Crossing(Strict):
    daily_capacity: int | None = Field(
        default=None, ge=1, le=MAX_PEOPLE,
        description="At most this many border checks start per model day (none: no cap).")
    admission: Literal["open", "travel_arranged"] = Field(
        default="open",
        description="Who may cross: open (anyone processed) or travel_arranged (team on site, travel funded).")


class Stage(Strict):
    """A step of the pipeline served by a pool of staff (or by the nationality's consular team)."""

    servers: ServerKind = Field(
        default="holding",
        description="Who serves the stage: a staff pool of the site or agency, or the person's consular team.")
    staff: int | Literal["unlimited"] = Field(
        default=1,
        description="How many people the stage serves at once (or unlimited); ignored for consular stages.")
    duration: DistributionSpec = Field(
        default=ZERO,
        description="How long one service takes, per person (a duration or a distribution of days).")
    duration_with_database: OptionalDistributionSpec = Field(
        default=None,
        description="The service's duration for a connected nationality when the database is shared.")

    @model_validator(mode="after")
    def _staff_bounds(self) -> Stage:
        if isinstance(self.staff, int) and not 1 <= self.staff <= MAX_STAFF:
            raise FieldIssue("staff", f'must be between 1 and {MAX_STAFF}, or "unlimited"')
        return self


class IdentityStage(Stage):
    servers: ServerKind = "consular"
    records_delay: DistributionSpec = Field(
        default=ZERO,
        description="The records round trip with the home authorities after the interview (officer free).")
    records_delay_with_database: DistributionSpec = Field(
        default=ZERO,
        description="The records round trip when the nationality is connected to the shared database.")


class CrossingStage(Stage):
    servers: ServerKind = "border"


class HealthStage(Stage):
    servers: ServerKind = "health"
    requires_consular_presence: bool = Field(
        default=False,
        description="Whether a home-country official must be on site for the check (the 2025 Thai rule).")


class ScreeningStage(Stage):
    servers: ServerKind = "screening"
    policy: str = Field(
        default="full",
        description="Who is screened: full (everyone), rapid (no one), backlog, or a registered policy.")
    backlog_threshold: int | None = Field(
        default=None, ge=0, le=MAX_PEOPLE,
        description="With policy backlog: screening is skipped while the site holds more people than this.")

    @model_validator(mode="after")
    def _threshold_for_backlog(self) -> ScreeningStage:
        if self.policy not in BUILTIN_SCREENING_POLICIES and self.policy not in screening_policy_names():
            raise FieldIssue("policy", "is not a screening policy; allowed: " + ", ".join(screening_policy_names()))
        if self.policy == "backlog" and self.backlog_threshold is None:
            raise FieldIssue("backlog_threshold", 'is required when policy = "backlog"')
        return self


class DocumentsStage(Stage):
    servers: ServerKind = "consular"


class TransportStage(Strict):
    """Transport is configured per nationality (``[nationalities.X.transport]``); nothing to set here."""


class CustomStage(Stage):
    """A stage of the scenario's own, declared as ``[stages.<name>]`` and listed in ``pipeline``.

    ``kind`` names the code that runs it (:mod:`sim.scenario.registry`): ``staffed`` (wait for one of ``staff``
    servers, be served for ``duration``) or a kind an extension registered, which may read settings of
    its own from ``options``.
    """

    kind: str = Field(
        default="staffed",
        description="The code that runs the stage: staffed, or a stage kind an extension registered.")
    options: dict[str, float | int | str | bool] = Field(
        default={},
        description="Settings of the stage's own, read by its kind's code (see docs/extending.md).")

    @model_validator(mode="after")
    def _known_kind(self) -> CustomStage:
        if self.kind not in BUILTIN_STAGE_KINDS and self.kind not in stage_kind_names():
            raise FieldIssue("kind", "is not a stage kind; allowed: " + ", ".join(stage_kind_names()))
        return self


class Stages(Strict):
    """The built-in stages' settings, plus any stage of the scenario's own (``[stages.<name>]``, a
    :class:`CustomStage`)."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, CustomStage] = Field(init=False)  # type: ignore[assignment]

    registration: Stage = Field(default=Stage(), description="Registration of each arrival by holding staff.")
    identity: IdentityStage = Field(
        default=IdentityStage(),
        description="Identity verification by a consular officer, then a records round trip.")
    crossing: CrossingStage = Field(
        default=CrossingStage(),
        description="The border check, under the daily cap and the admission rule.")
    health: HealthStage = Field(default=HealthStage(), description="The health check by host-country health staff.")
    screening: ScreeningStage = Field(
        default=ScreeningStage(),
        description="Victim identification and referral (NRM) by multidisciplinary teams.")
    documents: DocumentsStage = Field(
        default=DocumentsStage(),
        description="Emergency travel documents issued by consular officers.")
    transport: TransportStage = Field(
        default=TransportStage(),
        description="Waiting for funding and a seat home (configured per nationality).")


class Database(Strict):
    shared: bool = Field(
        default=False,
        description="Whether a shared electronic database links the nationalities (per-nationality connected "
                    "overrides it).")
    remote_stages: tuple[str, ...] = Field(
        default=("identity", "health", "documents"),
        description="Stages a connected nationality's officers can work on remotely, not on site.")

    @model_validator(mode="after")
    def _remote_capable(self) -> Database:
        for stage in self.remote_stages:
            if stage in IN_PERSON_STAGES:
                raise FieldIssue("remote_stages", f"{stage!r} cannot run remotely (people take it in person); "
                                 "any other stage of the pipeline can")
        if len(set(self.remote_stages)) != len(self.remote_stages):
            raise FieldIssue("remote_stages", "lists a stage more than once")
        return self


class Consular(Strict):
    """A nationality's consular team: who deploys, how fast, for how long at a time."""

    mode: Literal["pre_agreed", "ad_hoc"] = Field(
        default="ad_hoc",
        description="pre_agreed (an SOP/MoU rapid-response team) or ad_hoc (mobilised after the crisis starts).")
    officers: int = Field(
        default=1, ge=1, le=MAX_STAFF,
        description="The team's size: how many people its officers serve at once.")
    deploy_delay: DistributionSpec = Field(
        default=ZERO,
        description="Days from the nationality's first arrival until the team is on site.")
    on_site_days: Days | None = Field(
        default=None, gt=0, le=MAX_HORIZON_DAYS,
        description="With rotations: days on site at a time (none: the team stays).")
    off_site_days: Days = Field(
        default=0.0, ge=0, le=MAX_HORIZON_DAYS,
        description="With rotations: days away between stays on site.")
    represented_by: str | None = Field(
        default=None, min_length=1,
        description="Another nationality whose team serves this one (a country with no mission in the region).")


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

    ``charter``: a flight of ``seats`` leaves as soon as it is full, or once ``interval`` days have passed
    since the previous departure (or since the flight became available) with at least ``min_load`` ready;
    each flight is booked ``lead_time`` days before it is available; at most ``max_per_day`` per day.
    ``commercial``: each person flies individually ``booking_delay`` after being ready.
    ``overland``: a bus of ``seats`` leaves every ``interval`` days with whoever is ready.
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
    booking_delay: DistributionSpec = Field(
        default=ZERO,
        description="Commercial: days from being ready until the person's own flight.")
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


class Nationality(NationalityDefaults):
    count: int | None = Field(
        default=None, ge=0, le=MAX_PEOPLE,
        description="How many of the waves' people are of this nationality (all nationalities or none).")
    share: Probability | None = Field(
        default=None, ge=0, le=1,
        description="The nationality's share of arrivals, when counts are not given (shares add up to 1).")


class Exposure(Strict):
    """Re-trafficking exposure: a transparent hazard model, never a prediction about people."""

    mode: Literal["sampled", "expected"] = Field(
        default="sampled",
        description="sampled (losses happen during the run) or expected (only expected losses are reported).")
    crowding_factor: float = Field(
        default=0.0, ge=0, le=1000,
        description="How much overcrowding raises the hazard: 1 + factor x (occupancy / capacity - 1).")
    limbo_growth: float = Field(
        default=0.0, ge=0, le=1000,
        description="How much the hazard grows per 30 days of waiting beyond the grace period.")
    limbo_grace_days: Days = Field(
        default=30.0, ge=0, le=MAX_HORIZON_DAYS,
        description="Days of waiting before the hazard starts to grow.")
    after_return_screened: Probability = Field(
        default=0.0, ge=0, le=1,
        description="Probability of re-trafficking after return for a screened person (an assumption).")
    after_return_unscreened: Probability = Field(
        default=0.0, ge=0, le=1,
        description="Probability of re-trafficking after return for an unscreened person (an assumption).")


class Costs(Strict):
    per_officer_day: float = Field(default=0.0, ge=0, description="Cost of one consular officer for one day on site.")
    per_health_check: float = Field(default=0.0, ge=0, description="Cost of one health check.")


class Scenario(Strict):
    """One repatriation operation, fully resolved (extends merged, defaults applied to nationalities)."""

    pipeline: tuple[str, ...] = Field(
        default=DEFAULT_PIPELINE,
        description="The stages each person goes through, in order (built-in names or [stages.NAME] of this file).")
    scenario: ScenarioMeta = Field(description="The scenario's name, horizon, seed and replications.")
    arrivals: Arrivals = Field(description="Who arrives when: waves and/or a Poisson stream.")
    sites: Sites = Field(default=Sites(), description="The holding site and the shelter.")
    crossing: Crossing = Field(default=Crossing(), description="The border: its daily cap and admission rule.")
    stages: Stages = Field(default=Stages(), description="Settings of each stage of the pipeline.")
    database: Database = Field(default=Database(), description="The shared electronic database.")
    nationality_defaults: NationalityDefaults = Field(
        default=NationalityDefaults(),
        description="Settings every nationality takes unless it sets its own.")
    nationalities: dict[str, Nationality] = Field(
        min_length=1, max_length=1000,
        description="One table per nationality: its count or share and its own settings.")
    exposure: Exposure = Field(
        default=Exposure(),
        description="The re-trafficking exposure model (stated assumptions, not predictions).")
    costs: Costs = Field(default=Costs(), description="Costs that are not per site or per seat.")
    sources: dict[str, str] = Field(
        default={},
        description="Where each number comes from, by dotted key path (KEY_source notes land here).")

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def horizon_days(self) -> float:
        return self.scenario.horizon_days

    def team_of(self, nationality: str) -> str:
        """The nationality whose consular team serves ``nationality`` (itself unless represented)."""
        return self.nationalities[nationality].consular.represented_by or nationality

    def is_connected(self, nationality: str) -> bool:
        """Whether the nationality's records use the shared database."""
        connected = self.nationalities[nationality].connected
        return self.database.shared if connected is None else connected

    def stage_config(self, stage: str) -> Stage | TransportStage:
        """The settings of a stage of the pipeline (a built-in one or one of the scenario's own)."""
        return getattr(self.stages, stage)

    def stage_kind(self, stage: str) -> str:
        """The kind of code that runs ``stage`` (see :mod:`sim.scenario.registry`)."""
        if stage in BUILTIN_STAGE_KIND:
            return BUILTIN_STAGE_KIND[stage]
        config = self.stage_config(stage)
        assert isinstance(config, CustomStage)
        return config.kind
