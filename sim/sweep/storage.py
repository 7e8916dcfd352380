"""A sweep's folder on disk: who may write into it, which tasks are done, and ``summary.csv``.

- ``.lock`` holds the driver's pid and host and keeps two sweeps out of one folder; a lock whose
  process is gone is taken over.
- A folder is used only when it is new, empty or already a sweep folder, never someone else's files.
- A task is done when its ``tasks/<identity>.parquet`` (and, with victims kept, its
  ``victims/<identity>.parquet``) exists; files set aside in ``unused/`` come back when needed again.
- ``summary.csv`` is streamed point by point from the task files, so memory stays flat. When the base
  scenario names reported figures, each point is also scored against them (``record_inside_share``,
  ``record_mape``, ``record_bias`` rows, and ``record_points.csv``: the points ranked by their score).
"""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment import RECORD_PREFIX
from sim.results.metrics import HEADLINE_METRICS, metric_interval
from sim.results.record import record_table, score
from sim.results.storage import FILE_MODE, UnsafeOutputError, process_alive, write_csv
from sim.sweep.design import Sweep, cell
from sim.sweep.tasks import observed_key, task_key

OWN_NAMES = {".lock", "manifest.json", "sweep.toml", "scenario.toml", "points.csv", "summary.csv",
             "sensitivity.csv", "failures.csv", "tasks", "victims", "unused", "plots", "report.html",
             "record_points.csv"}
SCORES = ("record_inside_share", "record_mape", "record_bias")


class SweepLockedError(UnsafeOutputError):
    """Another sweep is writing into the same output folder."""


class SweepLock:
    """``OUT/.lock`` holding the driver's pid and host; a lock whose process is gone is taken over."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / ".lock"
        self.token = f"{os.getpid()}\n{socket.gethostname()}\n"

    def acquire(self, note: Callable[[str], None]) -> None:
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
            except FileExistsError:
                try:
                    text = self.path.read_text(encoding="utf-8")
                except FileNotFoundError:
                    continue
                pid_text, _, host = text.partition("\n")
                host = host.strip()
                pid = int(pid_text) if pid_text.strip().isdigit() else None
                if pid is not None and host == socket.gethostname() and not process_alive(pid):
                    note(f"taking over the stale lock of process {pid}, which is gone ({self.path})")
                    self.path.unlink(missing_ok=True)
                    continue
                who = f"process {pid} on {host}" if pid else "another process"
                raise SweepLockedError(f"{self.path.parent} is in use by another sweep ({who}); wait for it, "
                                       f"or if no sweep is running there, delete {self.path}") from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.token)
            return
        raise SweepLockedError(f"could not lock {self.path.parent}")

    def release(self) -> None:
        try:
            if self.path.read_text(encoding="utf-8") == self.token:
                self.path.unlink()
        except FileNotFoundError:
            pass


def check_out_folder(out: Path) -> None:
    """OUT must be new, empty, or a sweep folder (never someone else's files)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise UnsafeOutputError(f"{out} exists and is not a folder")
    names = {p.name for p in out.iterdir()}
    manifest_path = out / "manifest.json"
    if manifest_path.is_file():
        try:
            kind = json.loads(manifest_path.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if kind == "sweep":
            return
        raise UnsafeOutputError(f"{out} is a results folder of another kind ({kind!r}); choose another --out")
    strays = {n for n in names if n not in OWN_NAMES and not (n.startswith(".") and n.endswith(".tmp"))}
    if strays:
        raise UnsafeOutputError(f"{out} is not empty and is not a sweep folder; choose another --out")


def remove_temp_files(out: Path) -> int:
    removed = 0
    for folder in (out, out / "tasks", out / "victims"):
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def is_done(out: Path, key: str, keep_victims: bool, restore: bool = False) -> bool:
    name = f"{key}.parquet"
    needed = ["tasks", "victims"] if keep_victims else ["tasks"]
    if restore:
        for folder in needed:
            aside = out / "unused" / folder / name
            if aside.exists() and not (out / folder / name).exists():
                os.replace(aside, out / folder / name)
    return all((out / folder / name).exists() for folder in needed)


def _score_rows(table: pd.DataFrame, observed: pd.DataFrame | None) -> list[tuple[str, float, float, float, int]]:
    """A point's score against the reported figures, from its replications' ``record_obs_<i>`` columns (the
    model's value of figure ``i``): one row per score, the score in the ``mean`` column."""
    names = [f"{RECORD_PREFIX}{i}" for i in range(len(observed))] if observed is not None else []
    if observed is None or not all(name in table for name in names):
        return []
    result = score(record_table(observed, table[names].to_numpy(dtype=float)))
    values = (result["inside_share"], result["mape"], result["bias"])
    return [(name, value, math.nan, math.nan, len(table)) for name, value in zip(SCORES, values)]


def write_summary(sweep: Sweep, out: Path, chunks: list[tuple[int, ...]],
                  observed: pd.DataFrame | None = None) -> pd.DataFrame:
    """summary.csv, streamed point by point from the task files; returns the headline means per point.

    With ``observed`` (the base scenario's reported figures) each point also gets its score rows and
    ``record_points.csv`` ranks the points: most figures inside the model's band first, then the smallest
    median absolute error."""
    params = sweep.parameter_names
    columns = ["point_id", *params, "metric", "mean", "ci_low", "ci_high", "n"]
    known: list[str] = []
    means = []
    scores = []
    record = observed_key(observed)
    fd, tmp = tempfile.mkstemp(prefix=".summary.csv.", suffix=".tmp", dir=out)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(pd.DataFrame(columns=columns).to_csv(index=False))
            for point in sweep.points:
                files = [str(path) for reps in chunks
                         if (path := out / "tasks" / f"{task_key(point, sweep.seed, reps, record)}.parquet").exists()]
                rows, point_means = [], {}
                if files:
                    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default").to_pandas()
                    metrics = [c for c in table.columns if c not in ("point_id", "replication")
                               and not c.startswith(RECORD_PREFIX)]
                    known = known or metrics
                    for metric in metrics:
                        mean, low, high, n = metric_interval(table[metric].to_numpy(dtype=float), metric)
                        rows.append((metric, mean, low, high, n))
                        point_means[metric] = mean
                    rows += (point_scores := _score_rows(table, observed))
                    if point_scores:
                        scores.append({"point_id": point.point_id, **{p: cell(point.values[p]) for p in params},
                                       **{name: value for name, value, *_ in point_scores}})
                else:
                    known = known or _metric_names(out / "tasks")
                    rows = [(metric, math.nan, math.nan, math.nan, 0) for metric in known]
                means.append({m: point_means.get(m, math.nan) for m in HEADLINE_METRICS})
                if rows:
                    values = {p: cell(point.values[p]) for p in params}
                    frame = pd.DataFrame([{"point_id": point.point_id, **values, "metric": metric, "mean": mean,
                                           "ci_low": low, "ci_high": high, "n": n}
                                          for metric, mean, low, high, n in rows], columns=columns)
                    frame.to_csv(handle, index=False, header=False, float_format="%.10g")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out / "summary.csv")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if observed is not None:
        ranked = pd.DataFrame(scores, columns=["point_id", *params, *SCORES])
        ranked = ranked.sort_values(["record_inside_share", "record_mape"], ascending=[False, True], kind="stable",
                                    na_position="last")
        write_csv(ranked.assign(rank=range(1, len(ranked) + 1)), out / "record_points.csv")
    else:
        (out / "record_points.csv").unlink(missing_ok=True)
    return pd.DataFrame(means, columns=list(HEADLINE_METRICS))


def _metric_names(tasks_dir: Path) -> list[str]:
    for path in tasks_dir.glob("*.parquet"):
        return [c for c in pq.read_schema(path).names if c not in ("point_id", "replication")
                and not c.startswith(RECORD_PREFIX)]
    return []
