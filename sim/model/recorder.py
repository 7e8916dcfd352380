"""Flat records of one replication, filled in preallocated numpy arrays during the run.

The hot path writes one float per timestamp into arrays sized before the run (one row per victim, one
column array per stage); DataFrames are built once, after the run (:meth:`Recorder.stage_frame`,
:meth:`Recorder.occupancy_frame`). No pandas, logging or I/O happens while the simulation runs.

Occupancy changes only when someone arrives (into their holding site), crosses (from it into a shelter) or
departs (returned or lost, from where they are), and each of these moments is stamped on the person. The log
of occupancy changes is therefore rebuilt after the run from the stamps (:meth:`Recorder.occupancy_log`),
not written event by event. The run also lists who crossed and who departed, in the order it happened (one
append each, to compact arrays of C integers): arrivals come in order of victim id, so the log is a merge of
three sorted runs (:func:`_merge_rows`), with no sort of the whole log. The merge also tells where each
stamp went (:meth:`Recorder.log_rows`), so the exposure integrals look up a stay's ends without searching
the log.
"""

from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

WAITING, RETURNED, LOST = 0, 1, 2
STATUS_NAMES = np.array(["waiting", "returned", "lost"])


class Recorder:
    """Timestamps (days) of every victim, every stage and every change of site occupancy."""

    def __init__(self, people: int, stages: tuple[str, ...], sites: tuple[str, ...] = ("holding", "shelter"),
                 kinds: tuple[str, ...] = ("holding", "shelter")) -> None:
        self.people = people
        self.stages = stages
        self.sites, self.kinds = sites, kinds  # the network's sites, in the scenario's order, and their kinds
        # where each victim was held, the crossing they took and the shelter they crossed into (-1: not yet)
        self.holding_site = np.zeros(people, dtype=np.int16)
        self.crossing = np.full(people, -1, dtype=np.int16)
        self.shelter_site = np.full(people, -1, dtype=np.int16)
        # the victims table's stamps, one array each (the table takes them as they are)
        self.arrived = np.full(people, np.nan)
        self.crossed = np.full(people, np.nan)
        self.departed = np.full(people, np.nan)
        self.status = np.zeros(people, dtype=np.int8)
        self.screened = np.zeros(people, dtype=bool)
        # one row of stage stamps per victim (queued, started and finished of each stage, in pipeline order);
        # each column is a strided view. A person's stamps share a few cache lines, and the rows laid end
        # to end are the per-stage table's three columns, in its victim-major order, with no copy.
        stamps = self._stamps = np.full((people, 3 * len(stages)), np.nan)
        self.queued = [stamps[:, 3 * index] for index in range(len(stages))]
        self.started = [stamps[:, 1 + 3 * index] for index in range(len(stages))]
        self.finished = [stamps[:, 2 + 3 * index] for index in range(len(stages))]
        # victims in the order they crossed (time order), and in the order they departed or were lost: C
        # integers, not a list of int objects, which kept every id's object alive until the end of the run
        # and which the log's rebuild then read back from all over memory (at 10x the people, 80,000 of them)
        self.crossing_order: array[int] = array("q")
        self.departure_order: array[int] = array("q")
        self._occupancy: tuple[np.ndarray, np.ndarray] | None = None
        self._log_rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def occupancy_log(self) -> tuple[np.ndarray, np.ndarray]:
        """The change log: days, and the occupancy of every site from each day on (``counts[site]``, one row
        per site in the order of ``sites``, one column per day of the log).

        One row per change (a first row of zeros at day 0, then one per arrival, crossing and departure) in
        order of time; the last row of equal days holds the state after every change at that instant (rows
        before it at the same day have zero length: they count towards no integral or peak). Built once,
        after the run.
        """
        if self._occupancy is None:
            self._occupancy, self._log_rows = self._rebuild_occupancy()
        return self._occupancy

    def log_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each victim's rows in :meth:`occupancy_log`: of their arrival, crossing and departure (-1 where
        it did not happen). The row's day is the stamp itself, so a look-up of the log at that stamp needs
        no search."""
        self.occupancy_log()
        assert self._log_rows is not None
        return self._log_rows

    def _rebuild_occupancy(self) -> tuple[tuple[np.ndarray, np.ndarray],
                                          tuple[np.ndarray, np.ndarray, np.ndarray]]:
        arrivers = np.flatnonzero(~np.isnan(self.arrived))  # in order of victim id: in time order
        crossers = np.frombuffer(self.crossing_order, dtype=np.int64).astype(np.intp)
        leavers = np.frombuffer(self.departure_order, dtype=np.int64).astype(np.intp)
        runs = (self.arrived[arrivers], self.crossed[crossers], self.departed[leavers])
        rows = _merge_rows(runs)
        arrivals, crossings, departures = rows
        size = 1 + len(arrivers) + len(crossers) + len(leavers)
        day = np.zeros(size)
        for run, at in zip(runs, rows):
            day[at] = run
        # each change moves one person: +1 / -1 at a site (one row has one change: no two writes collide);
        # a row of changes per site, so that each site's counts are contiguous
        change = np.zeros((len(self.sites), size), dtype=np.int8)
        change[self.holding_site[arrivers], arrivals] = 1
        change[self.holding_site[crossers], crossings] = -1
        change[self.shelter_site[crossers], crossings] = 1
        left_from = np.where(np.isnan(self.crossed[leavers]), self.holding_site[leavers], self.shelter_site[leavers])
        change[left_from, departures] = -1
        per_victim = []
        for victims, at in zip((arrivers, crossers, leavers), rows):
            row = np.full(self.people, -1, dtype=np.intp)
            row[victims] = at
            per_victim.append(row)
        log = (day, np.cumsum(change, axis=1, dtype=np.int64))
        return log, (per_victim[0], per_victim[1], per_victim[2])

    def stage_frame(self, replication: int) -> pd.DataFrame:
        """One row per victim per stage (victim-major order). Its time columns are views of the recorder's
        stage stamps, not copies: build it once the run is over."""
        people, count = self.people, len(self.stages)
        stamps = self._stamps.reshape(people * count, 3)  # a view: the table's rows, in order
        return pd.DataFrame({
            "replication": np.full(people * count, replication, dtype=np.int32),
            "victim_id": np.repeat(np.arange(people, dtype=np.int32), count),
            # from the codes: categorising one string per row took most of the table's time
            "stage": pd.Categorical.from_codes(np.tile(np.arange(count, dtype=np.int8 if count < 128 else np.int32),
                                                       people), categories=self.stages),
            "queued": stamps[:, 0],
            "started": stamps[:, 1],
            "finished": stamps[:, 2],
        }, copy=False)

    def occupancy_frame(self, replication: int, horizon: float) -> pd.DataFrame:
        """A row per site at every change of its occupancy (the state after all changes at that instant)
        and on every whole day up to the horizon: ``replication, site, kind, day, people``, by site then day."""
        day, counts = self.occupancy_log()
        ends = np.flatnonzero(np.append(day[1:] != day[:-1], True))  # the last row of each instant
        instants = day[ends]
        grid = np.arange(0.0, np.floor(horizon) + 1.0)
        days, people, sizes = [], [], []
        for column in range(len(self.sites)):
            state = counts[column][ends]  # the site after each instant; kept where it changed (and the first)
            changed = np.append(True, state[1:] != state[:-1])
            site_day, site_people = instants[changed], state[changed]
            # whole days with no change of their own, merged into the (sorted, distinct) days of change
            index = np.searchsorted(site_day, grid, side="right") - 1
            extra = site_day[index] != grid
            at = np.searchsorted(site_day, grid[extra]) + np.arange(int(extra.sum()))  # their rows
            rows = len(site_day) + len(at)
            from_log = np.ones(rows, dtype=bool)
            from_log[at] = False
            all_days, all_people = np.empty(rows), np.empty(rows, dtype=np.int64)
            all_days[from_log], all_days[at] = site_day, grid[extra]
            all_people[from_log], all_people[at] = site_people, site_people[index[extra]]
            days.append(all_days)
            people.append(all_people)
            sizes.append(rows)
        site_codes = np.repeat(np.arange(len(self.sites), dtype=np.int16), sizes)
        kinds = ["holding", "shelter"]
        kind_codes = np.array([kinds.index(kind) for kind in self.kinds], dtype=np.int8)[site_codes]
        return pd.DataFrame({
            "replication": np.full(len(site_codes), replication, dtype=np.int32),
            # from the codes: categorising one string per row would take most of the table's time
            "site": pd.Categorical.from_codes(site_codes, categories=list(self.sites)),
            "kind": pd.Categorical.from_codes(kind_codes, categories=kinds),
            "day": np.concatenate(days),
            "people": np.concatenate(people),
        }, copy=False)


def _merge_rows(runs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The rows of each entry of ``runs`` (each in increasing order) in the log that merges them after a
    first row: the rows a stable sort of ``[0, *runs[0], *runs[1], ...]`` would give them (at equal days,
    earlier runs first). Each entry's row is its index in its run plus, for every other run, the number of
    that run's entries that go before it: a search of sorted keys in sorted runs, linear in practice, where
    a sort of the whole log would cost n log n. A run out of order (never, in a run of the model) is left to
    the stable sort."""
    if any(len(run) > 1 and not (run[1:] >= run[:-1]).all() for run in runs):
        order = np.argsort(np.concatenate([np.zeros(1), *runs]), kind="stable")
        rows = np.empty(len(order), dtype=np.intp)
        rows[order] = np.arange(len(order))
        bounds = np.cumsum([1] + [len(run) for run in runs])
        return tuple(rows[start:stop] for start, stop in zip(bounds[:-1], bounds[1:]))
    result = []
    for index, run in enumerate(runs):
        rows = np.arange(1, len(run) + 1, dtype=np.intp)
        for other_index, other in enumerate(runs):
            if other_index != index:
                # entries of an earlier run go first at equal days; of a later run, after
                rows += np.searchsorted(other, run, side="right" if other_index < index else "left")
        result.append(rows)
    return tuple(result)
