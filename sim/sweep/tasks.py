"""A sweep task: one design point and a chunk of its replications, what it is, how it runs, what it returns.

Replication ``r`` of every point runs on the random streams of ``(seed, r)`` (common random numbers), so a
task's result depends only on what it is, never on the executor, the worker count or the order tasks
finish in. Its identity (:func:`task_key`) is the SHA-256 of the resolved scenario's TOML text (via its
hash), the point id, the seed, the replications and :func:`code_fingerprint`: the package version plus a
hash of the modules that compute results (:data:`RESULT_CODE`), so an edited model never reuses old
numbers. :func:`execute_task` runs in a worker (any process) and returns the task's Parquet files as
bytes; the driver writes them. A worker running other code than the driver refuses its tasks.
"""

from __future__ import annotations

import hashlib
import json
import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim import __version__
from sim.experiment import run_one
from sim.results.storage import parquet_bytes
from sim.scenario import Scenario
from sim.sweep.design import Point


@dataclass(frozen=True)
class TaskSpec:
    """What a worker needs to run one task."""

    key: str
    point_id: int
    replications: tuple[int, ...]
    seed: int
    scenario: Scenario
    keep_victims: bool = False
    runner: Callable[..., Any] = run_one
    code: str | None = None  # the driver's code_fingerprint(); a worker running other code refuses the task
    observed: pd.DataFrame | None = None  # reported figures: each replication's model values join its metrics


@dataclass
class TaskResult:
    """What comes back: the task's Parquet files as bytes (built in the worker), or the error that ended it."""

    key: str
    point_id: int
    replications: tuple[int, ...]
    metrics: bytes | None = None
    victims: bytes | None = None
    error: str | None = None
    traceback: str | None = None
    failed_replication: int | None = None


# the code a replication's numbers depend on (not the report, the cli, nor the sweep package: those run
# replications, store and summarise them; the scenario itself enters the task key through its hash)
RESULT_CODE = ("model", "scenario", "experiment.py", "results/metrics.py", "results/record.py")


def _fingerprint() -> str:
    root = Path(__file__).resolve().parents[1]  # the sim package
    digest = hashlib.sha256(__version__.encode("utf-8"))
    for name in RESULT_CODE:
        path = root / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(root).as_posix().encode("utf-8") + b"\0" + file.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:12]}"


CODE_FINGERPRINT = _fingerprint()  # taken at import, when the modules it hashes were loaded


def code_fingerprint() -> str:
    """The package version and a hash of the modules that compute results (catches edits between versions)."""
    return CODE_FINGERPRINT


def task_key(point: Point, seed: int, replications: Sequence[int], observed: str | None = None) -> str:
    """The identity of a task: resolved scenario (hash of its TOML text), point, seed, replications, code, and
    the reported figures' :func:`observed_key` when the sweep scores its points against a record."""
    fields = {"scenario_sha256": point.scenario_hash, "point_id": point.point_id, "seed": seed,
              "replications": list(replications), "version": code_fingerprint()}
    if observed is not None:
        fields["observed_sha256"] = observed
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()


def observed_key(observed: pd.DataFrame | None) -> str | None:
    """The hash of the reported figures (their content, not where the file is), or None without any."""
    if observed is None:
        return None
    return hashlib.sha256(observed.to_csv(index=False).encode("utf-8")).hexdigest()


def replication_chunks(replications: int, size: int) -> list[tuple[int, ...]]:
    """Replications ``0 .. replications - 1`` in consecutive chunks of ``size`` (the last may be shorter)."""
    return [tuple(range(i, min(i + size, replications))) for i in range(0, replications, size)]


def metrics_table(point_id: int, replications: Sequence[int], rows: Sequence[Mapping[str, float]]) -> pa.Table:
    """``point_id`` and ``replication`` (int64), then one float64 column per metric."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {"point_id": pa.array([point_id] * len(rows), pa.int64()),
               "replication": pa.array(list(replications), pa.int64())}
    for name in names:
        columns[name] = pa.array([float(row.get(name, math.nan)) for row in rows], pa.float64())
    return pa.table(columns)


def execute_task(spec: TaskSpec) -> TaskResult:
    """Run a task's replications (in whatever process this is); an exception becomes an error record."""
    if spec.code is not None and spec.code != code_fingerprint():
        return TaskResult(spec.key, spec.point_id, spec.replications, failed_replication=spec.replications[0],
                          error=f"VersionMismatch: this worker runs repatsim {code_fingerprint()}, the driver "
                                f"{spec.code}; install the same version everywhere", traceback="")
    rows, victims = [], []
    extra = {"observed": spec.observed} if spec.observed is not None else {}  # runners without it still work
    for replication in spec.replications:
        try:
            output = spec.runner(spec.scenario, spec.seed, replication, keep_tables=spec.keep_victims, **extra)
        except Exception as error:  # noqa: BLE001 - recorded with its traceback; the sweep goes on
            return TaskResult(spec.key, spec.point_id, spec.replications, error=f"{type(error).__name__}: {error}",
                              traceback=traceback.format_exc(), failed_replication=replication)
        rows.append(output.metrics)
        if spec.keep_victims and output.result is not None:
            table = output.result.victims.copy()
            if "replication" not in table:
                table.insert(0, "replication", replication)
            table.insert(0, "point_id", spec.point_id)
            victims.append(table)
    victims_bytes = None
    if victims:
        frame = pd.concat(victims, ignore_index=True)
        victims_bytes = parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False))
    return TaskResult(spec.key, spec.point_id, spec.replications,
                      metrics=parquet_bytes(metrics_table(spec.point_id, spec.replications, rows)),
                      victims=victims_bytes)


def task_failure(spec: TaskSpec, error: str, trace: str) -> TaskResult:
    """The error record of a task that never returned (its worker died, or the executor raised)."""
    return TaskResult(spec.key, spec.point_id, spec.replications, error=error, traceback=trace,
                      failed_replication=spec.replications[0])
