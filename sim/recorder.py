"""Flat records of one replication, filled in preallocated numpy arrays during the run.

The hot path writes one float per timestamp into arrays sized before the run (one row per victim,
one column array per stage, one row per occupancy change); DataFrames are built once, after the run, by
:meth:`Recorder.frames`. No pandas, logging or I/O happens while the simulation runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WAITING, RETURNED, LOST = 0, 1, 2
STATUS_NAMES = np.array(["waiting", "returned", "lost"])


class Recorder:
    """Timestamps (days) of every victim, every stage and every change of site occupancy."""

    def __init__(self, people: int, stages: tuple[str, ...]) -> None:
        self.people = people
        self.stages = stages
        nan = np.full(people, np.nan)
        self.arrived = nan.copy()
        self.crossed = nan.copy()
        self.departed = nan.copy()
        self.status = np.zeros(people, dtype=np.int8)
        self.screened = np.zeros(people, dtype=bool)
        self.queued = [nan.copy() for _ in stages]
        self.started = [nan.copy() for _ in stages]
        self.finished = [nan.copy() for _ in stages]
        size = 3 * people + 2
        self.occupancy_day = np.empty(size)
        self.occupancy_holding = np.empty(size, dtype=np.int64)
        self.occupancy_shelter = np.empty(size, dtype=np.int64)
        self.occupancy_rows = 0
        self.log_occupancy(0.0, 0, 0)

    def log_occupancy(self, day: float, holding: int, shelter: int) -> None:
        row = self.occupancy_rows
        self.occupancy_day[row] = day
        self.occupancy_holding[row] = holding
        self.occupancy_shelter[row] = shelter
        self.occupancy_rows = row + 1

    def occupancy_log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The change log: days and the occupancy of holding and shelter from each day on."""
        rows = self.occupancy_rows
        return self.occupancy_day[:rows], self.occupancy_holding[:rows], self.occupancy_shelter[:rows]

    def stage_frame(self, replication: int) -> pd.DataFrame:
        """One row per victim per stage (victim-major order)."""
        people, count = self.people, len(self.stages)
        return pd.DataFrame({
            "replication": np.full(people * count, replication, dtype=np.int32),
            "victim_id": np.repeat(np.arange(people, dtype=np.int32), count),
            "stage": pd.Categorical(np.tile(np.array(self.stages, dtype=object), people), categories=self.stages),
            "queued": np.column_stack(self.queued).ravel() if count else np.empty(0),
            "started": np.column_stack(self.started).ravel() if count else np.empty(0),
            "finished": np.column_stack(self.finished).ravel() if count else np.empty(0),
        })

    def occupancy_frame(self, replication: int, horizon: float) -> pd.DataFrame:
        """Every change of occupancy plus every whole day up to the horizon."""
        day, holding, shelter = self.occupancy_log()
        # keep the last entry of equal times: the state after all changes at that instant
        last = np.append(day[1:] != day[:-1], True)
        day, holding, shelter = day[last], holding[last], shelter[last]
        grid = np.arange(0.0, np.floor(horizon) + 1.0)
        index = np.searchsorted(day, grid, side="right") - 1
        all_days = np.concatenate((day, grid))
        order = np.argsort(all_days, kind="stable")
        all_holding = np.concatenate((holding, holding[index]))[order]
        all_shelter = np.concatenate((shelter, shelter[index]))[order]
        all_days = all_days[order]
        keep = np.append(all_days[1:] != all_days[:-1], True)
        return pd.DataFrame({
            "replication": np.full(int(keep.sum()), replication, dtype=np.int32),
            "day": all_days[keep],
            "holding": all_holding[keep],
            "shelter": all_shelter[keep],
        })
