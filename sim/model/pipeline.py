"""The victim's journey through the pipeline, as one process per person.

A person arrives in **holding**; goes through the stages of ``pipeline`` in order; crosses the border
into the **shelter** at the ``crossing`` stage (stages before it happen in holding, after it in the
shelter); departs when the last stage ends (with no ``transport`` stage, at once). In every queue the
vulnerable go first, then first come first served, never pre-empting a service already started.

Stages (each records when the person joined its queue, started and finished):

- a staffed stage (registration, documents, any stage): wait for a server of its pool (``staff``), or
  for an officer of the person's consular team when ``servers = "consular"``; the officer must be on
  site unless the shared database makes the stage remote for a connected nationality;
- ``identity``: as above, then the records round trip (``records_delay``) without holding the officer;
- ``crossing``: under ``travel_arranged``, wait until the nationality is funded and the person's team is
  on site; then a border check under the daily cap; then move from holding to the shelter;
- ``health``: with ``requires_consular_presence``, the check starts only while the team is on site;
- ``screening``: ``full`` screens everyone, ``rapid`` no one, ``backlog`` skips it while the site holds
  more than ``backlog_threshold`` people (a skipped stage has queued = started = finished);
- ``transport``: wait for funding (people with no ticket money wait until the horizon), then for a seat.

A person lost to re-trafficking during the run (sampled exposure) is interrupted wherever they are,
gives back a server or a queue place, and leaves their site.

The journey (:class:`Journey`) is the model's hot path, written as a state machine: one small object per
person that schedules itself to wait a service or a delay, waits in a queue until the queue wakes it, and
hangs a callback on an event only where many wait on one thing (funding, the horizon). What the person
holds (a queue place, a server, a seat) lives in its slots, so that a loss can give it back. It was a
generator per person until the scaling benchmark showed the cost of its memory in a crowded camp (see
``benchmarks/README.md``); the order of events and of random draws did not change.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

from sim.distributions import Sampler
from sim.model.consular import ON_SITE_GROUP, REMOTE_GROUP
from sim.model.engine import NORMAL, URGENT, _Marker
from sim.model.pools import VULNERABLE_RANK_SHIFT, ServerPool
from sim.recorder import LOST, RETURNED

HOLDING, SHELTER = 0, 1

# what kind of stage a plan is (its own rules below)
STAFFED, IDENTITY, CROSSING, HEALTH, SCREENING, TRANSPORT = range(6)
KINDS = {"identity": IDENTITY, "crossing": CROSSING, "health": HEALTH, "screening": SCREENING,
         "transport": TRANSPORT}

# what a person holds while waiting (Journey.hold), to give back if they are lost there
NOTHING, QUEUED, SERVING, BOARDING = range(4)


class StagePlan:
    """How one stage runs, fixed before the run."""

    __slots__ = ("name", "index", "site", "kind", "consular", "pool", "team_gated", "ungated_group", "remote",
                 "duration", "duration_db", "duration_remote", "records", "records_db", "has_records", "presence",
                 "policy", "threshold", "queued", "started", "finished", "next")

    def __init__(self, name: str, index: int, site: int) -> None:
        self.name = name
        self.index = index
        self.site = site
        self.kind = KINDS.get(name, STAFFED)
        self.consular = False
        self.pool: ServerPool | None = None
        self.team_gated = False  # the pool has one group per team, open while the team is on site
        self.ungated_group = 0  # the pool's group for people who need no team on site
        self.remote = False  # listed in database.remote_stages
        self.duration: Sampler | None = None
        self.duration_db: Sampler | None = None
        self.duration_remote: Sampler | None = None  # what a remote service takes (see World._plan_stages)
        self.records: Sampler | None = None
        self.records_db: Sampler | None = None
        self.has_records = False  # identity: a records delay that is not always zero
        self.presence = False
        self.policy: str = "full"
        self.threshold = 0
        # the recorder's columns of this stage (one float per victim), as memoryviews (see World._plan_stages)
        self.queued: memoryview | None = None
        self.started: memoryview | None = None
        self.finished: memoryview | None = None
        self.next: StagePlan | None = None  # the stage after this one (None after the last)


class NationalityContext:
    """What a journey needs of the person's nationality, in one object: the consular team, the funding,
    the departures (None: commercial flights, booked with ``booking_delay``), the nationality's index and
    whether it is connected to the shared database."""

    __slots__ = ("team", "funding", "departures", "booking_delay", "index", "connected")

    def __init__(self, team: Any, funding: Any, departures: Any, booking_delay: Sampler, index: int,
                 connected: bool) -> None:
        self.team = team
        self.funding = funding
        self.departures = departures
        self.booking_delay = booking_delay
        self.index = index
        self.connected = connected


Continuation = Callable[["Journey"], None]
"""A method of :class:`Journey` that goes on from where the person waited."""
Resume = tuple[Continuation]
"""A journey's ``callbacks`` while its own timer or wake-up is pending: the one continuation to call."""


class _Waiting:
    """The callback a journey leaves on an event it waits for (funding, the horizon): it resumes the
    journey at ``then``. An interrupt detaches it in O(1) (``journey = None``) instead of searching the
    event's list of callbacks, which thousands of people may share."""

    __slots__ = ("journey", "then")

    def __init__(self, journey: Journey, then: Continuation) -> None:
        self.journey: Journey | None = journey
        self.then = then

    def __call__(self, event: Any) -> None:
        journey = self.journey
        if journey is not None:
            journey.target = None
            self.then(journey)


class Journey:
    """One person's way through the pipeline: a process of the model, written as a state machine.

    It is its own event, as a :class:`~sim.model.process.Runner` is: to wait a delay it puts itself in
    the schedule, with as ``callbacks`` the shared one-tuple of the method that continues from there (the
    engine calls it with the journey when the entry is processed); to wait in a queue it leaves itself
    there with that tuple in ``target``, and the queue's :meth:`wake` schedules it. What the person
    holds (``hold``: a place in ``pool``'s queue, one of its servers, or a seat of ``pool`` when that is
    the nationality's departures; ``key``: the request's) sits in its slots, so that a loss
    (:meth:`interrupt`) can give it back wherever the person is.

    A state machine rather than a generator per person for memory's sake: tens of thousands of people
    wait at once in a crowded camp, and each resumption reads the person back from memory. A journey is
    one object of 12 slots (128 bytes); a generator with its frame and runner took about 450. The
    order of events, of sequence numbers and of random draws is exactly the generator's, step for step:
    its outputs were compared exactly with the generator's when it replaced it (hundreds of scenarios,
    tens of thousands of runs with forced losses), and ``tests/test_engine.py`` runs whole replications
    on the model's event loop and on SimPy's and compares them.

    ``world``, ``plan``, ``site`` and ``context`` are typed ``Any``: the hot path reads their attributes
    without the None checks their declared types would ask for (a plan's columns are None until the world
    sets them, before any journey starts).
    """

    # the order of the slots is the order in memory: ``place`` comes early, next to the reference count (see
    # sim.model.sites: a person leaving a site moves the last one in to their place)
    __slots__ = ("world", "victim", "plan", "hold", "pool", "place", "key", "site", "context", "rank",
                 "callbacks", "target")

    _ok = True  # as an event (its own timer), it never fails
    _value = None

    def __init__(self, world: Any, victim: int) -> None:
        self.world = world
        self.victim = victim
        self.plan: Any = world.plan_head  # the stage in progress (a sentinel before the first)
        self.hold = NOTHING
        self.pool: Any = None
        self.key = 0
        self.site: Any = world.sites[HOLDING]  # where the person is (None once the journey has ended)
        self.place = -1  # the person's index in the site's list of members, while the site keeps one
        self.context: Any = world.nationality_context[world.nationality[victim]]
        # added to a sequence number: vulnerable first, then first come first served
        self.rank = 0 if world.vulnerable[victim] else VULNERABLE_RANK_SHIFT
        self.callbacks: Resume | tuple[()] | None = None  # not None: its own timer or wake-up is pending
        # what it waits for: itself (its timer or wake-up is pending), a _Waiting (an event), the callbacks a
        # queue's wake-up will continue with (a tuple: it waits in a queue), or None
        self.target: Any = None

    # -- the protocol of processes (queues, losses, the end of the run) ------------------------------
    @property
    def is_alive(self) -> bool:
        """Whether the journey has not ended yet."""
        return self.site is not None

    @property
    def wake_pending(self) -> bool:
        """Whether :meth:`wake` was called and the journey has not resumed yet."""
        return self.callbacks is not None

    def wake(self) -> None:
        """Resume a journey left in a queue, now, after the events already due now (a queue calls it when
        it grants the server or the seat; possibly before the journey has finished leaving itself there)."""
        then = self.target
        if self.callbacks is not None or then.__class__ is not tuple:
            raise RuntimeError("the journey is not waiting in a queue")
        self.callbacks = then
        self.target = self
        self.world.env.schedule(self, NORMAL)

    def interrupt(self, cause: Any = None) -> None:
        """Lose the person, at an urgent event now (as ``simpy.Process.interrupt``, which also refuses a
        process that has ended)."""
        if self.site is None:
            raise RuntimeError(f"the journey of person {self.victim} has ended and cannot be interrupted")
        event = _Marker()
        event.callbacks.append(self._interrupted)
        event._value = cause
        self.world.env.schedule(event, URGENT)

    def _interrupted(self, _event: Any) -> None:
        if self.site is None:
            return
        target = self.target
        if target is self:
            self.callbacks = ()  # its pending timer or wake-up resumes nothing (and clears when processed)
        elif target.__class__ is _Waiting:
            target.journey = None  # its callback on the event resumes nothing
        self.target = None
        # lost: give back what the person holds, wherever they are
        hold = self.hold
        if hold == SERVING:
            self.pool.release()
        elif hold != NOTHING:  # a place in a pool's queue or a departure's: both withdraw it the same way
            self.pool.cancel(self)
        self._leave(LOST)

    def close(self) -> None:
        """End here: forget everything (at the end of the run, a journey still waiting holds the world,
        which holds it; the journey is over once ``site`` is None). ``callbacks`` stays as it is: a timer
        entry still in the schedule resumes nothing once the run is over."""
        self.world = self.plan = self.pool = self.site = self.context = self.target = None

    # -- waiting ---------------------------------------------------------------------------------------
    def _sleep(self, days: float, then: Resume) -> None:
        """Wait ``days`` (> 0), then continue with ``then``: the journey schedules itself. It never has an
        entry pending here (it is running, and a journey never continues after a loss, the only thing that
        leaves a stale entry behind), so ``callbacks`` is free."""
        env = self.world.env
        now = env._now
        time = now + days
        if now < time < env._boundary:  # inlined from engine.schedule_at
            if env._pending.setdefault(time, self) is self:
                heappush(env._queue, time)
            else:
                env._tie(time, self)
        else:
            env._defer(time, self)
        self.callbacks = then
        self.target = self

    def _wait_for(self, event: Any, then: Continuation) -> bool:
        """Wait for ``event``, then continue with ``then``; False if it was processed already (continue at
        once, as a SimPy process does)."""
        if event.callbacks is None:
            return False
        waiting = self.target = _Waiting(self, then)
        event.callbacks.append(waiting)
        return True

    # -- the journey -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Arrive (call once, at the instant of arrival) and go as far as the first wait."""
        world, victim = self.world, self.victim
        world.recorder.arrived[victim] = world.env._now
        self.site.enter(self)
        context = self.context
        if not context.team.mobilised:
            context.team.first_arrival()
        if not context.funding.funded:
            context.funding.first_arrival()
        self._next_stage()

    def _next_stage(self) -> None:
        """Go through the stages from the one after ``plan`` until one makes the person wait, or depart."""
        world, victim = self.world, self.victim
        env = world.env
        plan = self.plan
        while True:
            plan = self.plan = plan.next
            if plan is None:
                self._leave(RETURNED)
                return
            now = env._now
            plan.queued[victim] = now
            kind = plan.kind
            if kind == SCREENING and (plan.policy == "rapid" or (
                    plan.policy == "backlog" and world.sites[plan.site].count > plan.threshold)):
                plan.started[victim] = now  # skipped
                plan.finished[victim] = now
                continue
            if kind == TRANSPORT or (kind == CROSSING and world.travel_arranged):
                if not self.context.funding.funded and self._wait_for(self.context.funding.event,
                                                                      Journey._funded):
                    return
                if world.unfunded[victim] and self._wait_for(world.never, Journey._ticketed):
                    return  # no ticket money: waits until the horizon
            if self._begin(plan):
                return

    def _funded(self) -> None:
        """The nationality's tickets are funded (after an appeal): go on with the stage, unless the person
        has no ticket money of their own."""
        if self.world.unfunded[self.victim] and self._wait_for(self.world.never, Journey._ticketed):
            return
        self._ticketed()

    def _ticketed(self) -> None:
        """After ``world.never``: never reached in the model (that event never fires; the person waits until
        the horizon), kept so that the journey follows the generator it replaced, branch for branch."""
        if not self._begin(self.plan):
            self._next_stage()

    def _begin(self, plan: Any) -> bool:
        """Start the stage's service, queue or delay; True if the person now waits, False if the stage is
        over already (the caller goes on to the next)."""
        victim = self.victim
        if plan.kind == TRANSPORT:
            plan.started[victim] = self.world.env._now
            context = self.context
            pool = self.pool = context.departures
            if pool is None:  # a commercial flight: a booking delay of one's own
                self.world.commercial_passengers[context.index] += 1
                days = context.booking_delay()
                if days > 0:
                    self._sleep(days, _AFTER_TRIP)
                    return True
            else:
                self.key = next(self.world.keys) + self.rank
                self.target = _AFTER_BOARDING  # waits in the queue (no timer of its own pending)
                pool.board(self)
                self.hold = BOARDING
                return True  # until the departure that takes this person
            plan.finished[victim] = self.world.env._now
            return False

        # a server of the stage's pool (or an officer of the person's team), then the service
        remote = plan.remote and self.context.connected
        if plan.consular:
            pool = self.pool = self.context.team.pool
            group = REMOTE_GROUP if remote else ON_SITE_GROUP
        else:
            pool = self.pool = plan.pool
            group = self.context.team.index if plan.team_gated and not remote else plan.ungated_group
        if pool is None:  # no one to wait for
            plan.started[victim] = self.world.env._now
            days = (plan.duration_remote if remote else plan.duration)()
            if days > 0:
                self._sleep(days, _AFTER_UNSTAFFED)
                return True
            return self._served(plan)
        self.key = next(self.world.keys) + self.rank
        self.target = _AFTER_GRANT  # waits in the queue (no timer of its own pending)
        if not pool.request(group, self):
            self.hold = QUEUED
            return True  # until the pool grants the server
        self.target = None
        return self._serve(plan)

    def _serve(self, plan: Any) -> bool:
        """The server is granted: the service starts now."""
        plan.started[self.victim] = self.world.env._now
        self.hold = SERVING
        days = (plan.duration_remote if plan.remote and self.context.connected else plan.duration)()
        if days > 0:
            self._sleep(days, _AFTER_SERVICE)
            return True
        self.hold = NOTHING
        self.pool.release()
        return self._served(plan)

    def _served(self, plan: Any) -> bool:
        """The service is over: the records round trip, or the move across the border; True if the person
        now waits."""
        if plan.kind == IDENTITY and plan.has_records:  # the records round trip, officer free
            days = (plan.records_db if self.context.connected else plan.records)()
            if days > 0:
                self._sleep(days, _AFTER_RECORDS)
                return True
        elif plan.kind == CROSSING:
            victim, world = self.victim, self.world
            self.site.leave(self)
            self.site = world.sites[SHELTER]
            self.site.enter(self)
            world.recorder.crossed[victim] = world.env._now
            world.recorder.crossing_order.append(victim)
        self._finished(plan)
        return False

    def _finished(self, plan: Any) -> None:
        plan.finished[self.victim] = self.world.env._now
        if plan.kind == HEALTH:
            self.world.health_checks += 1
        elif plan.kind == SCREENING:
            self.world.recorder.screened[self.victim] = True

    # continuations after a timer or a queue's wake-up (the engine calls them with the journey alone;
    # _funded and _ticketed above continue after an event)
    def _granted(self) -> None:
        if not self._serve(self.plan):
            self._next_stage()

    def _service_over(self) -> None:
        self.hold = NOTHING
        self.pool.release()
        if not self._served(self.plan):
            self._next_stage()

    def _unstaffed_over(self) -> None:
        if not self._served(self.plan):
            self._next_stage()

    def _records_back(self) -> None:
        self._finished(self.plan)
        self._next_stage()

    def _boarded(self) -> None:
        self.hold = NOTHING
        self.plan.finished[self.victim] = self.world.env._now
        self._next_stage()

    def _trip_booked(self) -> None:
        self.plan.finished[self.victim] = self.world.env._now
        self._next_stage()

    def _leave(self, status: int) -> None:
        """Depart (returned) or disappear (lost): leave the site, stamp the departure."""
        world, victim = self.world, self.victim
        self.site.leave(self)
        recorder = world.recorder
        recorder.departed[victim] = world.env._now
        recorder.departure_order.append(victim)
        recorder.status[victim] = status
        world.processes[victim] = None
        self.close()  # a lost person's place may stay in a queue until it reaches the head: hold nothing


# the callbacks of a journey whose own entry is in the schedule (shared by all journeys)
_AFTER_GRANT = (Journey._granted,)
_AFTER_SERVICE = (Journey._service_over,)
_AFTER_UNSTAFFED = (Journey._unstaffed_over,)
_AFTER_RECORDS = (Journey._records_back,)
_AFTER_BOARDING = (Journey._boarded,)
_AFTER_TRIP = (Journey._trip_booked,)
