"""Departures home by charter flight or bus, as events (no polling).

People who are funded and done with every other stage, and whose own ``booking_delay`` has passed (the
``transport`` stage kind waits for it), join their nationality's departure queue (vulnerable first, then
first come first served) and wait for a seat.

- ``charter``: a flight is booked whenever the people ready outnumber the seats of the flights already
  booked; it becomes available ``lead_time`` days later. An available flight leaves at once when it can
  be filled; otherwise it leaves ``interval`` days after the later of the previous departure and its
  own availability, provided at least ``min_load`` people are ready (else it waits for them). At most
  ``max_per_day`` flights leave per model day.
- ``overland``: buses run on a timetable, one every ``interval`` days counted from day 0, the first
  ``lead_time`` days after someone is first ready; each takes up to ``seats`` people who are ready,
  provided at least ``min_load`` are (else it does not run).
- ``max_wait`` (either mode; none by default): a vehicle that would leave part-full waits until the
  person ready longest (not counting people lost meanwhile) has been in the queue ``max_wait`` days: a
  flight's due time becomes the later of the above and that moment; a bus skips the timetabled slots
  before it. A full vehicle does not wait (a flight leaves when available, a bus at its slot), and
  ``min_load`` still holds.

Commercial flights need no shared vehicle and are handled in the pipeline (a per-person booking delay).

A person waits for a seat as for any SimPy resource::

    with departures.board(vulnerable) as seat:
        yield seat        # succeeded at the departure that takes this person

Leaving the block before the seat comes (a loss) withdraws the person from the queue. The vehicles are
scheduled by timeouts with callbacks, not by polling: a flight becoming available, the next bus of the
timetable, the next day when the day's flights are spent, the end of someone's ``max_wait``.

Each departure is logged as ``(time, load)`` in ``departure_log`` (days, people aboard).
"""

from __future__ import annotations

import math
from collections import deque
from types import TracebackType

import simpy

from sim.scenario.schema import Transport


class Boarding(simpy.Event):
    """A person waiting for a seat; succeeded at the departure that takes them."""

    def __init__(self, departures: Departures, vulnerable: bool) -> None:
        super().__init__(departures.env)
        self.departures = departures
        self.vulnerable = vulnerable
        self.withdrawn = False
        self.since = departures.env.now  # when the person joined the queue (days)
        departures._join(self)

    def __enter__(self) -> Boarding:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if exc_type is not GeneratorExit and not self.triggered and not self.withdrawn:
            self.withdrawn = True  # lost before the departure: dropped when the queue reaches them
            self.departures.n_ready -= 1


class Departures:
    """The departure queue and vehicles of one nationality."""

    def __init__(self, env: simpy.Environment, config: Transport, name: str) -> None:
        assert config.seats is not None and config.interval is not None
        self.env = env
        self.name = name
        self.mode = config.mode
        self.seats = config.seats
        self.min_load = config.min_load
        self.interval = config.interval
        self.lead_time = config.lead_time
        self.max_per_day = config.max_per_day
        self.max_wait = config.max_wait
        self._ready: tuple[deque[Boarding], deque[Boarding]] = (deque(), deque())  # vulnerable, others
        self.n_ready = 0  # people waiting for a seat (not withdrawn)
        self._booked = 0  # charter flights booked and not yet gone
        self._available: deque[float] = deque()  # availability times of flights ready to leave
        self._last_departure = -math.inf
        self._timer_at = math.nan
        self._first_ready = math.nan
        self._day = -1
        self._left_today = 0
        self.trips = 0
        self.passengers = 0
        self.departure_log: list[tuple[float, int]] = []

    def board(self, vulnerable: bool = False) -> Boarding:
        """Join the queue for a seat (the vulnerable first, then first come first served)."""
        return Boarding(self, vulnerable)

    def _join(self, boarding: Boarding) -> None:
        self._ready[0 if boarding.vulnerable else 1].append(boarding)
        self.n_ready += 1
        if math.isnan(self._first_ready):
            self._first_ready = self.env.now
        if self.mode == "charter":
            self._book()
        self._try_depart()

    # -- charter -----------------------------------------------------------------------------------
    def _book(self) -> None:
        while self._booked * self.seats < self.n_ready:
            self._booked += 1
            self.env.timeout(self.lead_time).callbacks.append(self._on_available)

    def _on_available(self, _event: object) -> None:
        self._available.append(self.env.now)
        self._try_depart()

    # -- both --------------------------------------------------------------------------------------
    def _try_depart(self) -> None:
        now = self.env.now
        while self.n_ready > 0:
            if self.max_per_day is not None:
                day = math.floor(now)
                if day != self._day:
                    self._day, self._left_today = day, 0
                if self._left_today >= self.max_per_day:
                    self._wake_at(float(day + 1))
                    return
            if self.mode == "charter":
                if not self._available:
                    return
                if self.n_ready >= self.seats:
                    self._depart(self.seats)
                    continue
                due = max(self._last_departure, self._available[0]) + self.interval
                if self.max_wait is not None:  # part-full: wait for the longest-waiting person's max_wait
                    due = max(due, self._oldest_since() + self.max_wait)
            else:
                start = self._first_ready + self.lead_time
                due = max(start, self._last_departure + self.interval, now)
                if self.max_wait is not None and self.n_ready < self.seats:  # part-full: skip slots until then
                    due = max(due, self._oldest_since() + self.max_wait)
                due = math.ceil(due / self.interval - 1e-9) * self.interval
            if now + 1e-12 < due:
                self._wake_at(due)
                return
            if self.n_ready < self.min_load:
                return  # wait for more people; the next boarding retries
            self._depart(min(self.seats, self.n_ready))
        if self.mode == "charter":
            self._book()

    def _oldest_since(self) -> float:
        """When the person ready longest joined the queue (people who withdrew are dropped here, as
        :meth:`_depart` would drop them)."""
        oldest = math.inf
        for queue in self._ready:
            while queue and queue[0].withdrawn:
                queue.popleft()
            if queue:
                oldest = min(oldest, queue[0].since)
        return oldest

    def _depart(self, count: int) -> None:
        vulnerable, others = self._ready
        boarded = 0
        while boarded < count:
            boarding = vulnerable.popleft() if vulnerable else others.popleft()
            if boarding.withdrawn:
                continue
            boarding.succeed()
            boarded += 1
        self.n_ready -= count
        self.trips += 1
        self.passengers += count
        self.departure_log.append((self.env.now, count))
        self._last_departure = self.env.now
        self._left_today += 1
        if self.mode == "charter":
            self._available.popleft()
            self._booked -= 1

    def _wake_at(self, time: float) -> None:
        if self._timer_at == time:
            return
        self._timer_at = time
        self.env.timeout(max(0.0, time - self.env.now)).callbacks.append(self._on_timer)

    def _on_timer(self, _event: object) -> None:
        self._timer_at = math.nan
        self._try_depart()
