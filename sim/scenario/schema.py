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
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    start_date: dt.date | None = None
    horizon_days: float = Field(gt=0, le=MAX_HORIZON_DAYS)
    seed: int = Field(default=0, ge=0, lt=2**63)
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)


class Wave(Strict):
    """A mass release: ``count`` people arriving uniformly over ``spread_days`` from ``day``."""

    day: Days = Field(ge=0, le=MAX_HORIZON_DAYS)
    count: int = Field(ge=1, le=MAX_PEOPLE)
    spread_days: Days = Field(default=0.0, ge=0, le=MAX_HORIZON_DAYS)


class Arrivals(Strict):
    waves: tuple[Wave, ...] = ()
    rate_per_day: float = Field(default=0.0, ge=0, le=MAX_PEOPLE)
    rate_until_day: Days | None = Field(default=None, gt=0, le=MAX_HORIZON_DAYS)

    @model_validator(mode="after")
    def _has_a_source(self) -> Arrivals:
        if not self.waves and self.rate_per_day == 0:
            raise FieldIssue("waves", "at least one source of arrivals is needed: waves or rate_per_day > 0")
        return self


class Site(Strict):
    """A place where people wait: holding (before the crossing) or shelter (after it)."""

    capacity: int | None = Field(default=None, ge=1, le=MAX_PEOPLE)
    hazard_per_day: float = Field(default=0.0, ge=0, le=10)
    cost_per_person_day: float = Field(default=0.0, ge=0)


class Sites(Strict):
    holding: Site = Site()
    shelter: Site = Site()


class Crossing(Strict):
    daily_capacity: int | None = Field(default=None, ge=1, le=MAX_PEOPLE)
    admission: Literal["open", "travel_arranged"] = "open"


class Stage(Strict):
    """A step of the pipeline served by a pool of staff (or by the nationality's consular team)."""

    servers: ServerKind = "holding"
    staff: int | Literal["unlimited"] = 1
    duration: DistributionSpec = ZERO
    duration_with_database: OptionalDistributionSpec = None

    @model_validator(mode="after")
    def _staff_bounds(self) -> Stage:
        if isinstance(self.staff, int) and not 1 <= self.staff <= MAX_STAFF:
            raise FieldIssue("staff", f'must be between 1 and {MAX_STAFF}, or "unlimited"')
        return self


class IdentityStage(Stage):
    servers: ServerKind = "consular"
    records_delay: DistributionSpec = ZERO
    records_delay_with_database: DistributionSpec = ZERO


class CrossingStage(Stage):
    servers: ServerKind = "border"


class HealthStage(Stage):
    servers: ServerKind = "health"
    requires_consular_presence: bool = False


class ScreeningStage(Stage):
    servers: ServerKind = "screening"
    policy: str = "full"
    backlog_threshold: int | None = Field(default=None, ge=0, le=MAX_PEOPLE)

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

    kind: str = "staffed"
    options: dict[str, float | int | str | bool] = {}

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

    registration: Stage = Stage()
    identity: IdentityStage = IdentityStage()
    crossing: CrossingStage = CrossingStage()
    health: HealthStage = HealthStage()
    screening: ScreeningStage = ScreeningStage()
    documents: DocumentsStage = DocumentsStage()
    transport: TransportStage = TransportStage()


class Database(Strict):
    shared: bool = False
    remote_stages: tuple[str, ...] = ("identity", "health", "documents")

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

    mode: Literal["pre_agreed", "ad_hoc"] = "ad_hoc"
    officers: int = Field(default=1, ge=1, le=MAX_STAFF)
    deploy_delay: DistributionSpec = ZERO
    on_site_days: Days | None = Field(default=None, gt=0, le=MAX_HORIZON_DAYS)
    off_site_days: Days = Field(default=0.0, ge=0, le=MAX_HORIZON_DAYS)
    represented_by: str | None = Field(default=None, min_length=1)


class Funding(Strict):
    mode: Literal["safe_fund", "appeal"] = "safe_fund"
    appeal_delay: DistributionSpec = ZERO
    unfunded_share: Probability = Field(default=0.0, ge=0, le=1)


class Transport(Strict):
    """How people of one nationality get home once funded.

    ``charter``: a flight of ``seats`` leaves as soon as it is full, or once ``interval`` days have passed
    since the previous departure (or since the flight became available) with at least ``min_load`` ready;
    each flight is booked ``lead_time`` days before it is available; at most ``max_per_day`` per day.
    ``commercial``: each person flies individually ``booking_delay`` after being ready.
    ``overland``: a bus of ``seats`` leaves every ``interval`` days with whoever is ready.
    """

    mode: Literal["charter", "commercial", "overland"] = "commercial"
    seats: int | None = Field(default=None, ge=1, le=100_000)
    min_load: int = Field(default=1, ge=1, le=100_000)
    interval: Days | None = Field(default=None, gt=0, le=MAX_HORIZON_DAYS)
    lead_time: Days = Field(default=0.0, ge=0, le=MAX_HORIZON_DAYS)
    max_per_day: int | None = Field(default=None, ge=1, le=100_000)
    booking_delay: DistributionSpec = ZERO
    cost_per_seat: float = Field(default=0.0, ge=0)
    cost_per_trip: float = Field(default=0.0, ge=0)

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
    vulnerable: Probability = Field(default=0.0, ge=0, le=1)
    connected: bool | None = None
    consular: Consular = Consular()
    funding: Funding = Funding()
    transport: Transport = Transport()


class Nationality(NationalityDefaults):
    count: int | None = Field(default=None, ge=0, le=MAX_PEOPLE)
    share: Probability | None = Field(default=None, ge=0, le=1)


class Exposure(Strict):
    """Re-trafficking exposure: a transparent hazard model, never a prediction about people."""

    mode: Literal["sampled", "expected"] = "sampled"
    crowding_factor: float = Field(default=0.0, ge=0, le=1000)
    limbo_growth: float = Field(default=0.0, ge=0, le=1000)
    limbo_grace_days: Days = Field(default=30.0, ge=0, le=MAX_HORIZON_DAYS)
    after_return_screened: Probability = Field(default=0.0, ge=0, le=1)
    after_return_unscreened: Probability = Field(default=0.0, ge=0, le=1)


class Costs(Strict):
    per_officer_day: float = Field(default=0.0, ge=0)
    per_health_check: float = Field(default=0.0, ge=0)


class Scenario(Strict):
    """One repatriation operation, fully resolved (extends merged, defaults applied to nationalities)."""

    pipeline: tuple[str, ...] = DEFAULT_PIPELINE
    scenario: ScenarioMeta
    arrivals: Arrivals
    sites: Sites = Sites()
    crossing: Crossing = Crossing()
    stages: Stages = Stages()
    database: Database = Database()
    nationality_defaults: NationalityDefaults = NationalityDefaults()
    nationalities: dict[str, Nationality] = Field(min_length=1, max_length=1000)
    exposure: Exposure = Exposure()
    costs: Costs = Costs()
    sources: dict[str, str] = {}

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
