"""Parameter sweeps: every (design point, chunk of replications) as a task, resumable, local or on Dask.

The design (grid or Latin hypercube) and its validation live in :mod:`sim.sweep_design`. Here:

- A **task** is one design point and a chunk of its replications. Replication ``r`` of every point runs
  on the random streams of ``(seed, r)`` (common random numbers), so a task's result depends only on
  what it is, never on the executor, the worker count or the order tasks finish in.
- Its identity is the SHA-256 of (the resolved scenario's TOML text, via its hash; point id; seed;
  replications; package version plus a hash of the modules that compute results, so an edited model
  never reuses old numbers); its result is ``tasks/<identity>.parquet`` (rows ``point_id,
  replication`` + one column per metric), built in the worker and written atomically by the driver as
  soon as it arrives. With ``keep_victims`` the victims table goes to ``victims/<identity>.parquet``
  (written first). A worker running other code than the driver refuses its tasks (recorded failures).
- **Resuming** is re-running the same command: tasks whose file exists are skipped, stale temporary
  files are removed. Files of an earlier version of the sweep that the current design does not use are
  moved to ``unused/`` (and moved back should the design come back to them), so ``tasks/*.parquet`` is
  always exactly the current design. ``.lock`` (the driver's pid) keeps two sweeps out of one folder.
- **Scale**: the driver keeps a bounded window of tasks in flight and holds no results: memory stays
  flat as tasks grow. ``summary.csv`` is built at the end by reading the task files point by point.
- **Failures**: a task that raises is recorded (``failures.csv``, with the traceback) and the others go
  on; the command exits 1 at the end. A worker process that dies is retried, alone, a bounded number of
  times.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import socket
import sys
import tempfile
import time
import traceback
import types
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from sim import __version__
from sim.experiment import run_one
from sim.metrics import HEADLINE_METRICS, t_interval
from sim.scenario import Scenario, dump_scenario
from sim.storage import (
    FILE_MODE,
    UnsafeOutputError,
    atomic_write_bytes,
    atomic_write_text,
    manifest,
    now_iso,
    safe_name,
    text_sha256,
    write_csv,
    write_json,
)
from sim.sweep_design import Point, Sweep, cell, load_sweep, sensitivity_table, sweep_from_dict

__all__ = ["SweepLockedError", "SweepOutcome", "load_sweep", "run_sweep", "run_sweep_command", "sweep",
           "sweep_from_dict"]

DEFAULT_CHUNK = 5  # replications per task; fixed (not from the worker count) so task identities are stable
MAX_ATTEMPTS = 3  # a task whose worker process dies this many times (run alone) is recorded as failed
WINDOW_PER_WORKER = 3  # tasks in flight per worker: keeps workers busy, keeps the driver's memory flat
FAILURE_COLUMNS = ["task", "point_id", "replication", "error", "traceback"]
OWN_NAMES = {".lock", "manifest.json", "sweep.toml", "scenario.toml", "points.csv", "summary.csv",
             "sensitivity.csv", "failures.csv", "tasks", "victims", "unused", "plots", "report.html"}


class SweepLockedError(UnsafeOutputError):
    """Another sweep is writing into the same output folder."""


# ------------------------------------------------------------------------------------------------ tasks


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


# the modules a replication's numbers depend on (not plots, report, cli, sweep)
RESULT_CODE = ("model", "distributions.py", "experiment.py", "metrics.py", "recorder.py", "scenario.py",
               "schema.py", "streams.py", "units.py")


def _fingerprint() -> str:
    root = Path(__file__).resolve().parent
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


def task_key(point: Point, seed: int, replications: Sequence[int]) -> str:
    """The identity of a task: resolved scenario (hash of its TOML text), point, seed, replications, code."""
    ident = json.dumps({"scenario_sha256": point.scenario_hash, "point_id": point.point_id, "seed": seed,
                        "replications": list(replications), "version": code_fingerprint()}, sort_keys=True)
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()


def replication_chunks(replications: int, size: int) -> list[tuple[int, ...]]:
    return [tuple(range(i, min(i + size, replications))) for i in range(0, replications, size)]


def _parquet_bytes(table: pa.Table) -> bytes:
    """Parquet bytes that depend only on the data (as :func:`sim.storage.write_parquet` writes them)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


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
    for replication in spec.replications:
        try:
            output = spec.runner(spec.scenario, spec.seed, replication, keep_tables=spec.keep_victims)
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
        victims_bytes = _parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False))
    return TaskResult(spec.key, spec.point_id, spec.replications,
                      metrics=_parquet_bytes(metrics_table(spec.point_id, spec.replications, rows)),
                      victims=victims_bytes)


def _failure(spec: TaskSpec, error: str, trace: str) -> TaskResult:
    return TaskResult(spec.key, spec.point_id, spec.replications, error=error, traceback=trace,
                      failed_replication=spec.replications[0])


# -------------------------------------------------------------------------------------------- executors


def _run_in_process(pending: Iterator[TaskSpec], store: Callable[[TaskResult], None]) -> None:
    for spec in pending:
        store(execute_task(spec))


def _pool_context() -> Any:
    """forkserver (fast, and safe with the driver's threads) where there is one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.sweep"])
        return context
    return multiprocessing.get_context("spawn")


def _run_in_pool(pending: Iterator[TaskSpec], workers: int, store: Callable[[TaskResult], None],
                 max_attempts: int, note: Callable[[str], None]) -> None:
    """Local worker processes with a bounded window of tasks in flight.

    When a worker process dies the pool breaks and every task in flight fails with it; those tasks are
    then run again one at a time in a fresh pool, so a death is charged to the task that caused it.
    """
    window = WINDOW_PER_WORKER * workers
    context = _pool_context()
    suspects: deque[TaskSpec] = deque()
    deaths: dict[str, int] = {}
    while True:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        inflight: dict[Future, tuple[TaskSpec, bool]] = {}
        broken = False

        def settle(future: Future, spec: TaskSpec, alone: bool) -> bool:
            """Handle a finished future; True when it shows the pool broke."""
            error = future.exception()
            if error is None:
                deaths.pop(spec.key, None)
                store(future.result())
                return False
            if isinstance(error, BrokenProcessPool):
                if alone:
                    deaths[spec.key] = deaths.get(spec.key, 0) + 1
                    if deaths[spec.key] >= max_attempts:
                        deaths.pop(spec.key)
                        store(_failure(spec, f"WorkerDied: the worker process died {max_attempts} times "
                                             "running this task (killed, out of memory or crashed)",
                                       "".join(traceback.format_exception(error))))
                        return True
                suspects.append(spec)
                return True
            store(_failure(spec, f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error))))
            return False

        try:
            while True:
                try:
                    if suspects:
                        if not inflight:
                            spec = suspects.popleft()
                            inflight[pool.submit(execute_task, spec)] = (spec, True)
                    else:
                        while len(inflight) < window and (spec := next(pending, None)) is not None:
                            inflight[pool.submit(execute_task, spec)] = (spec, False)
                except BrokenProcessPool:
                    suspects.appendleft(spec)
                    broken = True
                if not inflight:
                    break
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    spec, alone = inflight.pop(future)
                    broken = settle(future, spec, alone) or broken
                if broken:
                    wait(inflight)  # the rest fail with the pool (or finished just before)
                    for future, (spec, alone) in inflight.items():
                        settle(future, spec, alone)
                    inflight.clear()
                    break
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
        if not broken:
            return
        note(f"a worker process died; restarting the pool and re-running {len(suspects)} task(s) one at a time")


def _connect(scheduler: str) -> Any:
    try:
        from dask.distributed import Client
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: pip install 'repatsim[dask]'") from None
    return Client(scheduler, timeout="30s")


def _run_on_dask(pending: Iterator[TaskSpec], client: Any, store: Callable[[TaskResult], None],
                 max_attempts: int) -> None:
    """The same tasks on a Dask cluster; results come back to the driver, which writes them."""
    from dask.distributed import as_completed

    threads = sum(client.nthreads().values()) or 1
    window = max(8, WINDOW_PER_WORKER * threads)
    inflight: dict[str, TaskSpec] = {}
    completed = as_completed()

    def submit() -> bool:
        spec = next(pending, None)
        if spec is None:
            return False
        future = client.submit(execute_task, spec, pure=False, retries=max_attempts - 1,
                               key=f"repatsim-sweep-p{spec.point_id}-r{spec.replications[0]}-{uuid.uuid4().hex[:8]}")
        inflight[future.key] = spec
        completed.add(future)
        return True

    while len(inflight) < window and submit():
        pass
    for future in completed:
        spec = inflight.pop(future.key)
        try:
            result = future.result()
        except Exception as error:  # noqa: BLE001 - e.g. KilledWorker once the scheduler gives up
            result = _failure(spec, f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error)))
        future.release()
        store(result)
        while len(inflight) < window and submit():
            pass


# ------------------------------------------------------------------------------------------ the folder


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
                if pid is not None and host == socket.gethostname() and not _alive(pid):
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child nobody has waited for yet is a zombie: gone for our purposes
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _check_out(out: Path) -> None:
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


def _remove_temp_files(out: Path) -> int:
    removed = 0
    for folder in (out, out / "tasks", out / "victims"):
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class _LineStream:
    """The progress bar for logs (not a terminal): each refresh on its own line, no carriage returns."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "").rstrip()
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def _progress_bar(total: int, initial: int, enabled: bool) -> tqdm:
    stream = sys.stderr
    terminal = stream.isatty()
    try:
        sized = terminal and os.get_terminal_size(stream.fileno()).columns > 0
    except (OSError, ValueError):
        sized = False
    return tqdm(total=total, initial=initial, desc="sweep", unit="rep", disable=not enabled,
                file=stream if terminal else _LineStream(stream), mininterval=0.5 if terminal else 30.0,
                miniters=1, dynamic_ncols=sized, ncols=None if sized or not terminal else 100,
                nrows=None if sized else 24, ascii=not terminal, smoothing=0.1)


@dataclass
class SweepOutcome:
    """What a sweep did: where its files are and how its tasks went."""

    out: Path
    points: int
    tasks: int
    reused: int
    ran: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def summary_path(self) -> Path:
        return self.out / "summary.csv"


# ----------------------------------------------------------------------------------------------- driver


def run_sweep(sweep: Sweep, out: str | os.PathLike, workers: int = 1, scheduler: str | None = None,
              client: Any = None, keep_victims: bool = False, chunk_size: int | None = None,
              progress: bool = False, plots: bool = False, max_attempts: int = MAX_ATTEMPTS,
              note: Callable[[str], None] | None = None, _runner: Callable[..., Any] | None = None) -> SweepOutcome:
    """Run (or resume) a validated sweep into ``out``; see the module docstring for the layout.

    Args:
        workers: local worker processes (1 runs in this process).
        scheduler: a Dask scheduler address (``tcp://host:8786``); ``client``: a Dask client to use.
        chunk_size: replications per task (default: 5, or fewer if the sweep has fewer).
    """
    say = note or (lambda text: print(text, file=sys.stderr))
    out = Path(out)
    chunk = chunk_size or min(DEFAULT_CHUNK, sweep.replications)
    _check_out(out)
    own_client = client is None and scheduler is not None
    if own_client:
        client = _connect(scheduler)  # type: ignore[arg-type]
    started, clock = now_iso(), time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    lock = SweepLock(out)
    try:
        lock.acquire(say)
    except BaseException:
        if own_client:
            client.close()
        raise
    try:
        return _run_locked(sweep, out, chunk, workers, client, keep_victims, progress, plots, max_attempts, say,
                           _runner if _runner is not None else run_one, started, clock)
    finally:
        lock.release()
        if own_client:
            client.close()


def _manifest(sweep: Sweep, **fields: Any) -> dict[str, Any]:
    return manifest(
        "sweep", base=os.path.normpath(sweep.base_file), base_name=sweep.base_scenario.name,
        base_sha256=text_sha256(dump_scenario(sweep.base_scenario)),
        sweep_file=str(sweep.file) if sweep.file else None, sweep_sha256=text_sha256(sweep.text),
        design=sweep.design, samples=sweep.samples, seed=sweep.seed, replications=sweep.replications,
        parameters={p.path: p.describe() for p in sweep.parameters}, points=len(sweep.points), **fields)


def _run_locked(sweep: Sweep, out: Path, chunk: int, workers: int, client: Any, keep_victims: bool, progress: bool,
                plots: bool, max_attempts: int, say: Callable[[str], None], runner: Callable[..., Any],
                started: str, clock: float) -> SweepOutcome:
    tasks_dir, victims_dir, unused = out / "tasks", out / "victims", out / "unused"
    tasks_dir.mkdir(exist_ok=True)
    if keep_victims:
        victims_dir.mkdir(exist_ok=True)
    removed = _remove_temp_files(out)
    if removed:
        say(f"removed {removed} unfinished temporary file(s) of an interrupted run")
    chunks = replication_chunks(sweep.replications, chunk)
    executor = (f"dask {getattr(client, 'scheduler', None) and client.scheduler.address}" if client is not None
                else f"{workers} local process(es)" if workers > 1 else "this process")
    common = dict(chunk_size=chunk, tasks=len(sweep.points) * len(chunks), executor=executor, code=code_fingerprint(),
                  keep_victims=keep_victims, started=started)
    atomic_write_text(out / "sweep.toml", sweep.text)
    atomic_write_text(out / "scenario.toml", dump_scenario(sweep.base_scenario))
    atomic_write_text(out / "points.csv", sweep.points_frame().to_csv(index=False))
    write_json(_manifest(sweep, status="running", **common), out / "manifest.json")

    # which tasks are done; files from other designs are set aside, files set aside earlier come back
    current: set[str] = set()
    done_tasks = done_reps = 0
    for point in sweep.points:
        for reps in chunks:
            key = task_key(point, sweep.seed, reps)
            current.add(key)
            if _is_done(out, key, keep_victims, restore=True):
                done_tasks += 1
                done_reps += len(reps)
    for folder in (tasks_dir, victims_dir):
        stray = [p for p in folder.glob("*.parquet") if p.stem not in current]
        for path in stray:
            (unused / folder.name).mkdir(parents=True, exist_ok=True)
            os.replace(path, unused / folder.name / path.name)
        if stray:
            say(f"moved {len(stray)} {folder.name} file(s) of an earlier version of this sweep to {unused}")
    del current

    total_tasks = len(sweep.points) * len(chunks)
    say(f"sweep: {len(sweep.points)} points x {sweep.replications} replications in {total_tasks} tasks of up to "
        f"{chunk}; {done_tasks} already done, {total_tasks - done_tasks} to run on {executor}")

    failures: list[dict[str, Any]] = []
    ran = 0
    bar = _progress_bar(len(sweep.points) * sweep.replications, done_reps, progress)

    def store(result: TaskResult) -> None:
        nonlocal ran
        if result.error is not None:
            failures.append({"task": result.key, "point_id": result.point_id,
                             "replication": result.failed_replication, "error": result.error,
                             "traceback": result.traceback})
            if len(failures) <= 10:
                bar.write(f"task failed: point {result.point_id}, replication {result.failed_replication}: "
                          f"{result.error}" + (" (further failures not shown)" if len(failures) == 10 else ""),
                          file=sys.stderr)
            bar.set_postfix(failed=len(failures), refresh=False)
        else:
            if result.victims is not None:
                atomic_write_bytes(victims_dir / f"{result.key}.parquet", result.victims)
            atomic_write_bytes(tasks_dir / f"{result.key}.parquet", result.metrics)  # type: ignore[arg-type]
            ran += 1
        bar.update(len(result.replications))

    pending = _pending(sweep, out, chunks, keep_victims, runner)
    try:
        if client is not None:
            _run_on_dask(pending, client, store, max_attempts)
        elif workers > 1:
            _run_in_pool(pending, workers, store, max_attempts, lambda text: bar.write(text, file=sys.stderr))
        else:
            _run_in_process(pending, store)
    except KeyboardInterrupt:
        bar.close()
        say(f"interrupted: {ran} task(s) of this run are stored; re-run the same command to resume")
        raise
    finally:
        bar.close()

    summary_means = write_summary(sweep, out, chunks)
    if sweep.design == "lhs":
        values = pd.DataFrame([p.values for p in sweep.points], columns=sweep.parameter_names)
        write_csv(sensitivity_table(values, summary_means), out / "sensitivity.csv")
    else:
        (out / "sensitivity.csv").unlink(missing_ok=True)
    if failures:
        write_csv(pd.DataFrame(failures, columns=FAILURE_COLUMNS), out / "failures.csv")
    else:
        (out / "failures.csv").unlink(missing_ok=True)
    outcome = SweepOutcome(out, len(sweep.points), total_tasks, done_tasks, ran, failures,
                           time.monotonic() - clock)
    write_json(_manifest(sweep, status="failed" if failures else "complete", tasks_reused=done_tasks,
                         tasks_run=ran, failures=len(failures), finished=now_iso(), **common), out / "manifest.json")
    if plots:
        _draw(out, say)
    return outcome


def _is_done(out: Path, key: str, keep_victims: bool, restore: bool = False) -> bool:
    name = f"{key}.parquet"
    needed = ["tasks", "victims"] if keep_victims else ["tasks"]
    if restore:
        for folder in needed:
            aside = out / "unused" / folder / name
            if aside.exists() and not (out / folder / name).exists():
                os.replace(aside, out / folder / name)
    return all((out / folder / name).exists() for folder in needed)


def _pending(sweep: Sweep, out: Path, chunks: list[tuple[int, ...]], keep_victims: bool,
             runner: Callable[..., Any]) -> Iterator[TaskSpec]:
    """The tasks still to run, built lazily (one scenario per point at a time)."""
    for point in sweep.points:
        scenario = None
        for reps in chunks:
            key = task_key(point, sweep.seed, reps)
            if _is_done(out, key, keep_victims):
                continue
            scenario = scenario or sweep.scenario(point)
            yield TaskSpec(key, point.point_id, reps, sweep.seed, scenario, keep_victims, runner, code_fingerprint())


def write_summary(sweep: Sweep, out: Path, chunks: list[tuple[int, ...]]) -> pd.DataFrame:
    """summary.csv, streamed point by point from the task files; returns the headline means per point."""
    params = sweep.parameter_names
    columns = ["point_id", *params, "metric", "mean", "ci_low", "ci_high", "n"]
    known: list[str] = []
    means = []
    fd, tmp = tempfile.mkstemp(prefix=".summary.csv.", suffix=".tmp", dir=out)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(pd.DataFrame(columns=columns).to_csv(index=False))
            for point in sweep.points:
                files = [str(path) for reps in chunks
                         if (path := out / "tasks" / f"{task_key(point, sweep.seed, reps)}.parquet").exists()]
                rows, point_means = [], {}
                if files:
                    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default").to_pandas()
                    metrics = [c for c in table.columns if c not in ("point_id", "replication")]
                    known = known or metrics
                    for metric in metrics:
                        mean, low, high, n = t_interval(table[metric].to_numpy(dtype=float))
                        rows.append((metric, mean, low, high, n))
                        point_means[metric] = mean
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
    return pd.DataFrame(means, columns=list(HEADLINE_METRICS))


def _metric_names(tasks_dir: Path) -> list[str]:
    for path in tasks_dir.glob("*.parquet"):
        return [c for c in pq.read_schema(path).names if c not in ("point_id", "replication")]
    return []


def _draw(out: Path, say: Callable[[str], None]) -> None:
    try:
        from sim.plots import draw_plots
        from sim.report import write_report

        figures = draw_plots(out)
        report = write_report(out)
    except Exception as error:  # noqa: BLE001 - plots are a bonus; the results are already stored
        warnings.warn(f"plots/report not drawn: {type(error).__name__}: {error}", RuntimeWarning, stacklevel=2)
        say(f"warning: plots/report not drawn: {type(error).__name__}: {error}")
        return
    say(f"Plots:   {out / 'plots'} ({len(figures)} figures)")
    say(f"Report:  {report}")


# -------------------------------------------------------------------------------------------- front ends


def _as_sweep(path_or_spec: Sweep | Mapping[str, Any] | str | os.PathLike) -> Sweep:
    if isinstance(path_or_spec, Sweep):
        return path_or_spec
    if isinstance(path_or_spec, Mapping):
        return sweep_from_dict(path_or_spec)
    return load_sweep(path_or_spec)


def default_out(spec: Sweep) -> Path:
    """``results/<sweep file name>`` (or ``results/sweep-<base name>`` for a sweep given as a dict)."""
    if spec.file is not None:
        return Path("results") / safe_name(spec.file.stem)
    return Path("results") / f"sweep-{safe_name(spec.base_file.stem)}"


def sweep(path_or_spec: Sweep | Mapping[str, Any] | str | os.PathLike, out: str | os.PathLike | None = None, *,
          workers: int = 1, scheduler: str | None = None, client: Any = None, keep_victims: bool = False,
          chunk_size: int | None = None, progress: bool = False, plots: bool = False,
          _runner: Callable[..., Any] | None = None) -> pd.DataFrame:
    """Run (or resume) a parameter sweep and return ``summary.csv`` as a DataFrame.

    ``path_or_spec`` is a sweep file, or a dict of the same keys (``base`` relative to the current
    folder). The folder used is in ``summary.attrs["out"]``; failed tasks (if any) are in
    ``summary.attrs["failures"]`` and ``OUT/failures.csv``, with a warning.

    Example:
        >>> summary = sim.sweep("scenarios/sweeps/consular_capacity.toml", "results/cc", workers=4)  # doctest: +SKIP
        >>> summary[summary.metric == "wait_days_p50"]  # doctest: +SKIP
    """
    spec = _as_sweep(path_or_spec)
    folder = Path(out) if out is not None else default_out(spec)
    outcome = run_sweep(spec, folder, workers=workers, scheduler=scheduler, client=client,
                        keep_victims=keep_victims, chunk_size=chunk_size, progress=progress, plots=plots,
                        note=(lambda text: print(text, file=sys.stderr)) if progress else (lambda text: None),
                        _runner=_runner)
    summary = pd.read_csv(outcome.summary_path)
    summary.attrs["out"] = str(folder)
    summary.attrs["failures"] = outcome.failures
    if outcome.failures:
        warnings.warn(f"{len(outcome.failures)} sweep task(s) failed; see {folder / 'failures.csv'}", RuntimeWarning,
                      stacklevel=2)
    return summary


def run_sweep_command(path: str | os.PathLike, out: str | os.PathLike | None = None, workers: int = 1,
                      scheduler: str | None = None, keep_victims: bool = False, chunk_size: int | None = None,
                      progress: bool = True, plots: bool = True) -> int:
    """``repatsim sweep``: validate, run or resume, print where the results are; the exit status.

    A bad sweep file raises :class:`~sim.scenario.ScenarioError` (exit 2, nothing written).
    """
    spec = load_sweep(path)
    folder = Path(out) if out is not None else default_out(spec)
    if scheduler is not None:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            print("error: --scheduler needs Dask: pip install 'repatsim[dask]'", file=sys.stderr)
            return 1
    outcome = run_sweep(spec, folder, workers=workers, scheduler=scheduler, keep_victims=keep_victims,
                        chunk_size=chunk_size, progress=progress, plots=plots)
    print(_headline_table(outcome.summary_path, spec))
    print(f"\n{outcome.points} points, {outcome.tasks} tasks: {outcome.ran} run, {outcome.reused} reused, "
          f"{len(outcome.failures)} failed ({_duration(outcome.seconds)}).")
    print(f"Results: {folder} (summary.csv, points.csv, tasks/*.parquet"
          + (", sensitivity.csv" if spec.design == "lhs" else "") + ")")
    if outcome.failures:
        print(f"\n{len(outcome.failures)} task(s) failed (details and tracebacks in {folder / 'failures.csv'}):",
              file=sys.stderr)
        for failure in outcome.failures[:20]:
            print(f"  point {failure['point_id']}, replication {failure['replication']}: {failure['error']}",
                  file=sys.stderr)
        if len(outcome.failures) > 20:
            print(f"  ... and {len(outcome.failures) - 20} more", file=sys.stderr)
        print("Re-run the same command to retry them (finished tasks are kept).", file=sys.stderr)
        return 1
    return 0


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


def _headline_table(summary_path: Path, spec: Sweep, max_points: int = 24) -> str:
    """The first points' headline means, for the terminal."""
    if len(spec.points) > max_points:
        return f"\n{len(spec.points)} points: see {summary_path}"
    summary = pd.read_csv(summary_path)
    shown = [m for m in ("wait_days_p50", "expected_retrafficked_total", "cost_total") if m in set(summary["metric"])]
    if not shown:
        return ""
    wide = summary[summary["metric"].isin(shown)].pivot(index="point_id", columns="metric", values="mean")
    points = spec.points_frame().set_index("point_id").drop(columns="scenario_hash")
    table = points.join(wide[shown]).reset_index()
    formats = {m: (lambda v: f"{v:,.1f}") for m in shown}
    return "\nMean per design point:\n" + table.to_string(index=False, formatters=formats)


class _CallableModule(types.ModuleType):
    """``sim.sweep`` is both this module and the function: ``sim.sweep("file.toml")`` runs a sweep."""

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
