"""The scenario schema: frozen, strict pydantic models of every key of a scenario file.

Model time is in days. Strict mode means no silent coercion: ``"10"`` is not 10 and ``"yes"`` is not
True. Unknown keys are errors at every level. Cross-field rules that need the whole scenario
(``represented_by`` targets, counts vs shares, pipeline vs admission rule) live in
:mod:`sim.scenario`, which also reads files, merges ``extends`` and applies dotted overrides.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from sim.scenario.crossing import CapacityChange, Closure, Crossing  # noqa: F401  (re-exported)
from sim.scenario.distributions import ZERO, DistributionSpec, FieldIssue, OptionalDistributionSpec
from sim.scenario.nationality import (  # noqa: F401  (re-exported)
    CONSULAR_MODE_DEFAULTS,
    Consular,
    Funding,
    Nationality,
    NationalityDefaults,
    Transport,
)
from sim.scenario.registry import (
    BUILTIN_SCREENING_POLICIES,
    BUILTIN_STAGE_KINDS,
    screening_policy_names,
    stage_kind_names,
)
from sim.scenario.sites import (  # noqa: F401  (re-exported)
    KEYS_OF_KIND,
    SITE_KINDS,
    ReleaseChange,
    Routing,
    Site,
    normalise_network,
)
from sim.scenario.strict import (  # noqa: F401  (re-exported: part of the schema's names)
    MAX_HORIZON_DAYS,
    MAX_PEOPLE,
    MAX_REPLICATIONS,
    MAX_STAFF,
    Probability,
    Strict,
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

ServerKind = Literal["consular", "holding", "shelter", "health", "screening", "border"]


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
    currency: str = Field(
        default="USD", min_length=1, max_length=12,
        description="The currency every cost of the scenario is in (a code such as USD, EUR, THB); the report "
                    "prints costs in it.")
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
    site: str | None = Field(
        default=None, min_length=1,
        description="The holding site the wave's people are released into (default: the first holding site).")


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
    site: str | None = Field(
        default=None, min_length=1,
        description="The holding site the Poisson stream's people arrive at (default: the first holding site).")

    @model_validator(mode="after")
    def _has_a_source(self) -> Arrivals:
        if not self.waves and self.rate_per_day == 0:
            raise FieldIssue("waves", "at least one source of arrivals is needed: waves or rate_per_day > 0")
        return self


class Stage(Strict):
    """A step of the pipeline served by a pool of staff (or by the nationality's consular team)."""

    servers: ServerKind = Field(
        default="holding",
        description="Who serves the stage: a staff pool of the site or agency, or the person's consular team.")
    staff: int | Literal["unlimited"] = Field(
        default=1,
        description="How many people the stage serves at once (or unlimited); not for consular stages, whose "
                    "nationality's team serves them.")
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
        if self.servers == "consular" and "staff" in self.model_fields_set:
            raise FieldIssue("staff", "a consular stage is served by each nationality's own team: set "
                             "[nationality_defaults.consular] officers (or a nationality's) instead")
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

    @model_validator(mode="after")
    def _in_person(self) -> CrossingStage:
        if self.duration_with_database is not None:
            raise FieldIssue("duration_with_database", "the border check is made in person: the shared database "
                             "does not change it (set duration)")
        return self


class HealthStage(Stage):
    servers: ServerKind = "health"
    requires_consular_presence: bool = Field(
        default=False,
        description="Whether a home-country official must be on site for the check (the 2025 Thai rule).")


class ScreeningStage(Stage):
    servers: ServerKind = "screening"
    policy: str = Field(
        default="full",
        description="Who is queued for screening: full (everyone), rapid (no one), or a registered policy; "
                    "the shelter's max_stay moves on whoever is not screened in time.")

    @model_validator(mode="after")
    def _known_policy(self) -> ScreeningStage:
        if self.policy not in BUILTIN_SCREENING_POLICIES and self.policy not in screening_policy_names():
            raise FieldIssue("policy", "is not a screening policy; allowed: " + ", ".join(screening_policy_names()))
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
    home_desk_delay: DistributionSpec = Field(
        default=ZERO,
        description="Days from a connected nationality's first arrival until its home desk works the remote "
                    "stages (drawn per nationality).")
    home_desk_officers: int | None = Field(
        default=None, ge=1, le=MAX_STAFF,
        description="Officers at each connected nationality's home desk, apart from its deployed team "
                    "(none: as many as the nationality's consular team).")

    @model_validator(mode="after")
    def _remote_capable(self) -> Database:
        for stage in self.remote_stages:
            if stage in IN_PERSON_STAGES:
                raise FieldIssue("remote_stages", f"{stage!r} cannot run remotely (people take it in person); "
                                 "any other stage of the pipeline can")
        if len(set(self.remote_stages)) != len(self.remote_stages):
            raise FieldIssue("remote_stages", "lists a stage more than once")
        return self


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
    vulnerable_risk_factor: float = Field(
        default=1.0, ge=0, le=100,
        description="How many times a vulnerable person's after-return risk is the others' (capped at 1).")


class Reintegration(Strict):
    """Referral of identified victims to reintegration support at home (through the NRM)."""

    referred_share: Probability = Field(
        default=0.0, ge=0, le=1,
        description="The share of screened returnees referred to reintegration support.")
    risk_reduction: Probability = Field(
        default=0.0, ge=0, le=1,
        description="How much support lowers a referred person's after-return risk (0.4: by 40%).")
    cost_per_person: float = Field(default=0.0, ge=0, description="Cost of supporting one referred person.")


class Costs(Strict):
    per_officer_day: float = Field(
        default=0.0, ge=0,
        description="Cost of one consular officer for one day on site (home-desk officers too).")
    per_health_check: float = Field(default=0.0, ge=0, description="Cost of one health check.")
    per_screening_team_day: float = Field(
        default=0.0, ge=0,
        description="Cost of one screening (MDT) team for one day of the operation (the screening stage's staff).")
    database_setup: float = Field(
        default=0.0, ge=0,
        description="One-off cost of the shared database, when any nationality is connected.")
    database_per_case: float = Field(
        default=0.0, ge=0, description="Cost of one connected person's case in the shared database.")
    safe_fund_admin_share: Probability = Field(
        default=0.0, ge=0, le=1,
        description="Administration of a safe fund, as a share of the transport it pays for.")


class Scenario(Strict):
    """One repatriation operation, fully resolved (extends merged, defaults applied to nationalities)."""

    pipeline: tuple[str, ...] = Field(
        default=DEFAULT_PIPELINE,
        description="The stages each person goes through, in order (built-in names or [stages.NAME] of this file).")
    scenario: ScenarioMeta = Field(description="The scenario's name, horizon, seed and replications.")
    arrivals: Arrivals = Field(description="Who arrives when: waves and/or a Poisson stream.")
    sites: dict[str, Site] = Field(
        default={"holding": Site(kind="holding"), "shelter": Site(kind="shelter")}, max_length=1000,
        description="The sites by name: holding sites (before a crossing) and shelters (after one).")
    crossing: Crossing = Field(
        default=Crossing(),
        description="What every crossing takes unless it sets its own; the one crossing when there is no "
                    "[crossings] table.")
    crossings: dict[str, Crossing] = Field(
        default={}, max_length=1000,
        description="The crossings by name, each from a holding site to a shelter (resolved over [crossing]).")
    routing: Routing = Field(default=Routing(), description="Which crossing people take when several serve a site.")
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
    reintegration: Reintegration = Field(
        default=Reintegration(),
        description="Referral of screened returnees to reintegration support, and what it does to their risk.")
    costs: Costs = Field(default=Costs(), description="Costs that are not per site or per seat.")
    sources: dict[str, str] = Field(
        default={},
        description="Where each number comes from, by dotted key path (KEY_source notes land here).")
    ranges: dict[str, tuple[int | float, int | float]] = Field(
        default={},
        description="How far each assumed number might be off: [low, high] by dotted key path (KEY_range siblings "
                    "land here, durations in days); repatsim compare --robustness varies each in turn.")

    @model_validator(mode="before")
    @classmethod
    def _network(cls, data: object) -> object:
        """Every site with its kind, every crossing with both ends (:func:`normalise_network`)."""
        return normalise_network(data) if isinstance(data, dict) else data

    @property
    def name(self) -> str:
        return self.scenario.name

    def sites_of_kind(self, kind: str) -> list[str]:
        """The names of the sites of one kind (holding or shelter), in the order of the file."""
        return [name for name, site in self.sites.items() if site.kind == kind]

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
