"""The border crossing's table of a scenario: its daily capacity, how it changes, closures, the admission rule.

Model time is in days. Part of the schema (:mod:`sim.scenario.schema` re-exports every name)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.distributions import FieldIssue
from sim.scenario.strict import MAX_HORIZON_DAYS, MAX_PEOPLE, Strict
from sim.scenario.units import Days


class CapacityChange(Strict):
    """From ``day`` on, the crossing's daily capacity is ``daily_capacity``."""

    day: Days = Field(gt=0, le=MAX_HORIZON_DAYS, description="The day the new capacity starts (days from day 0).")
    daily_capacity: int = Field(ge=0, le=MAX_PEOPLE, description="Border checks that may start per day from then.")


class Closure(Strict):
    """The crossing is closed from ``from_day`` until ``until_day`` to the listed nationalities (all but
    those in ``open_to`` when ``nationalities`` is empty): their people wait in holding."""

    from_day: Days = Field(ge=0, le=MAX_HORIZON_DAYS, description="The day the closure starts (days from day 0).")
    until_day: Days = Field(gt=0, le=MAX_HORIZON_DAYS, description="The day the crossing reopens to them.")
    nationalities: tuple[str, ...] = Field(
        default=(), description="Who the closure applies to (empty: everyone not in open_to).")
    open_to: tuple[str, ...] = Field(
        default=(), description="Who may still cross during the closure (with nationalities empty).")

    @model_validator(mode="after")
    def _window(self) -> Closure:
        if self.until_day <= self.from_day:
            raise FieldIssue("until_day", "must be after from_day")
        if self.nationalities and self.open_to:
            raise FieldIssue("open_to", "name either the nationalities it applies to or those it spares, not both")
        return self


class Crossing(Strict):
    """A border crossing from a holding site into a shelter. ``[crossing]`` holds what every crossing takes
    unless its own ``[crossings.NAME]`` table says otherwise (and is the one crossing when there is none)."""

    holding: str | None = Field(
        default=None, min_length=1,
        description="The holding site people leave from (default: the only holding site).")
    shelter: str | None = Field(
        default=None, min_length=1,
        description="The shelter people cross into (default: the only shelter).")
    staff: Annotated[int, Field(ge=1, le=MAX_PEOPLE)] | Literal["unlimited"] | None = Field(
        default=None,
        description="Border staff at this crossing (default: [stages.crossing] staff).")
    travel_days: Days = Field(
        default=0.0, ge=0, le=MAX_HORIZON_DAYS,
        description="Days from the holding site to the crossing (the nearest rule takes the least).")
    daily_capacity: int | None = Field(
        default=None, ge=1, le=MAX_PEOPLE,
        description="At most this many border checks start per model day at the crossing (none: no cap).")
    capacity_changes: tuple[CapacityChange, ...] = Field(
        default=(),
        description="Later changes of the daily capacity, in order of day: a list of tables with day and "
                    "daily_capacity (0 closes the crossing; a handover pace that picks up).")
    admission: Literal["open", "travel_arranged"] = Field(
        default="open",
        description="Who may cross: open (anyone processed) or travel_arranged (team on site, travel funded).")
    closures: tuple[Closure, ...] = Field(
        default=(),
        description="Windows when the crossing is closed to some nationalities: a list of tables with "
                    "from_day, until_day and nationalities or open_to.")

    @model_validator(mode="after")
    def _changes_in_order(self) -> Crossing:
        check_changes("capacity_changes", [change.day for change in self.capacity_changes],
                      "daily_capacity", self.daily_capacity is not None)
        return self


def check_changes(field: str, days: list[float], base: str, has_base: bool) -> None:
    """A schedule of changes of a daily limit (``field``, the days of its changes) must be in order of day,
    one change a day, and change a limit that is set (``base``)."""
    if days != sorted(set(days)):
        raise FieldIssue(field, "must be in order of day, one change a day")
    if days and not has_base:
        raise FieldIssue(field, f"needs a {base} to change from")
