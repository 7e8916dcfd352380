"""A person's journey through the pipeline: one SimPy process per person.

A person arrives in **holding**; goes through the stages of ``pipeline`` in order; crosses the border
into the **shelter** at the ``crossing`` stage (stages before it happen in holding, after it in the
shelter); departs when the last stage ends (with no ``transport`` stage, at once). In every queue the
vulnerable go first, then first come first served, never pre-empting a service already started.

What each stage does is its **kind** (:mod:`sim.model.stages`): a generator function that the journey
runs with ``yield from``. A person lost to re-trafficking during the run (sampled exposure) is
interrupted (``process.interrupt("lost")``) wherever they are: the ``with`` block they are in gives back
the server or the queue place they hold, and they leave their site.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from itertools import repeat
from typing import Any

import simpy

from sim.model.recorder import LOST, RETURNED
from sim.scenario.distributions import Sampler

HOLDING, SHELTER = 0, 1

Steps = Generator[simpy.Event, Any, None]
"""What a process body, or a part of one run with ``yield from``, is: a generator of SimPy events."""

NO_TIME: Sampler = repeat(0.0).__next__
"""A duration of zero days (what a stage's unset durations draw)."""


def _everyone(*_args: Any) -> bool:
    return True


class NationalityContext:
    """What a person needs of their nationality, in one object: the consular team, the funding, the
    departures (None: commercial flights), the booking delay (every mode), the nationality's index,
    whether it is connected to the shared database and its home desk (None: no remote work)."""

    __slots__ = ("team", "funding", "departures", "booking_delay", "index", "connected", "home_desk", "stages")

    def __init__(self, team: Any, funding: Any, departures: Any, booking_delay: Sampler, index: int,
                 connected: bool, home_desk: Any = None) -> None:
        self.team = team
        self.funding = funding
        self.departures = departures
        self.booking_delay = booking_delay
        self.index = index
        self.connected = connected
        self.home_desk = home_desk
        self.stages: list[Any] = []  # the pipeline's stages its people go through (set by the world)


class Person:
    """One released person: who they are and where they are. Their process is :func:`journey`."""

    __slots__ = ("victim", "context", "vulnerable", "unfunded", "site", "place", "process", "lost", "shelter_place",
                 "crossing")

    def __init__(self, victim: int, context: NationalityContext, vulnerable: bool, unfunded: bool,
                 site: Any) -> None:
        self.victim = victim  # the victim id: the person's row in every table
        self.context = context
        self.vulnerable = vulnerable
        self.unfunded = unfunded  # no ticket money of their own (an appeal's unfunded share)
        self.site = site  # where the person is: their holding site, then a shelter
        self.crossing: Any = None  # the crossing they chose (a CrossingPoint), once ready to cross
        self.place = -1  # the person's index in the site's list of members, while the site keeps one
        self.process: simpy.Process | None = None
        self.lost = False  # an interrupt for a loss is on its way
        self.shelter_place: Any = None  # their request for a place in the shelter (held until departure)


class StagePlan:
    """How one stage of the pipeline runs, fixed before the run: its kind (the code), where it happens,
    who serves it, how long it takes, and the recorder's columns of its stamps (days)."""

    def __init__(self, name: str, index: int, site: int, run: Callable[..., Steps]) -> None:
        self.name = name
        self.index = index
        self.site = site  # HOLDING or SHELTER
        self.run = run  # the stage kind: a generator function (world, person, stage)
        self.config: Any = None  # the stage's settings in the scenario
        self.consular = False  # served by the person's consular team
        self.pools: dict[int, Any] = {}  # by site index: the stage's staff there (none: no one to wait for)
        self.team_gated = False  # the pool has one group per team, open while the team is on site
        self.ungated_group = 0  # the pool's group for people who need no team on site
        self.remote = False  # listed in database.remote_stages
        self.duration = NO_TIME
        self.duration_remote = NO_TIME  # what the service takes when it runs remotely
        self.records = NO_TIME
        self.records_db = NO_TIME
        self.has_records = False  # identity: a records delay that is not always zero
        self.policy: Callable[..., bool] = _everyone  # screening: who is queued for screening
        # per site and nationality (their indexes): the pool that serves its people there (None: no one to
        # wait for), the group of their queue in it, the duration of their service, and the home desk a
        # remote service waits for
        self.service: list[list[tuple[Any, int, Sampler, Any]]] = []
        self.skipped: list[bool] = []  # per nationality: whether its people skip the stage
        # the recorder's columns of this stage: one float per victim (see World._plan_stages)
        self.queued: Any = None
        self.started: Any = None
        self.finished: Any = None


class DelayedStart(simpy.Process):
    """A process whose first step is taken ``delay`` days from now, not at once.

    ``env.process(generator)`` starts a generator with an event scheduled now; a person released at day 12
    would need a timeout until then as well (two events). Here the start event itself (``start``) is
    scheduled at the later time: one event. Until then the process exists but has not run a line, as any
    process before its start event. The start has normal priority: at one instant it comes after the
    events scheduled earlier for that instant, as a timeout would.
    """

    def __init__(self, env: simpy.Environment, generator: Steps, delay: float) -> None:
        # as simpy.Process.__init__ (which inlines simpy.Event.__init__), with the start scheduled later
        self.env = env
        self.callbacks = []
        self._generator = generator
        self._target = self.start = _Start(env, self, delay)


class _Start(simpy.events.Initialize):
    """The start event of a :class:`DelayedStart` (SimPy's ``Initialize``, scheduled later)."""

    def __init__(self, env: simpy.Environment, process: simpy.Process, delay: float) -> None:
        self.env = env
        self.callbacks = [process._resume]
        self._value = None
        self._ok = True
        env.schedule(self, simpy.events.NORMAL, delay)


def journey(world: Any, person: Person) -> Steps:
    """The process of one person: arrive in holding, go through every stage (but those their nationality
    skips), go home; or be lost on the way (a loss interrupts the person wherever they are)."""
    world.arrive(person)
    try:
        for stage in person.context.stages:  # the pipeline, less the stages the nationality skips
            yield from stage.run(world, person, stage)
        world.depart(person, RETURNED)
    except simpy.Interrupt:
        world.depart(person, LOST)
