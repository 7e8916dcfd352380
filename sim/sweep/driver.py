"""Parameter sweeps: every (design point, chunk of replications) as a task, resumable, local or on Dask.

This module is the front (:func:`sweep`, ``repatsim sweep``) and the driver. The rest of a sweep lives in:

- :mod:`sim.sweep.design`: the design (grid or Latin hypercube) and its validation;
- :mod:`sim.sweep.tasks`: a task, its identity, and running it in a worker;
- :mod:`sim.sweep.executors`: where tasks run (this process, local processes, Dask);
- :mod:`sim.sweep.storage`: the folder's lock, which tasks are done, and ``summary.csv``.

In short:

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

import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.experiment import run_one
from sim.results.record import observations_of
from sim.results.storage import (
    atomic_write_bytes,
    atomic_write_text,
    manifest,
    now_iso,
    safe_name,
    text_sha256,
    write_csv,
    write_json,
)
from sim.scenario import dump_scenario
from sim.sweep.design import Sweep, load_sweep, sweep_from_dict
from sim.sweep.executors import MAX_ATTEMPTS, connect_dask, run_in_pool, run_in_process, run_on_dask
from sim.sweep.sensitivity import sensitivity_table
from sim.sweep.storage import SweepLock, SweepLockedError, check_out_folder, is_done, remove_temp_files, write_summary
from sim.sweep.tasks import TaskResult, TaskSpec, code_fingerprint, observed_key, replication_chunks, task_key
from sim.sweep.tasks import execute_task as execute_task  # re-exported: defined here before the split

__all__ = ["SweepLockedError", "SweepOutcome", "load_sweep", "run_sweep", "run_sweep_command", "sweep",
           "sweep_from_dict"]

DEFAULT_CHUNK = 5  # replications per task; fixed (not from the worker count) so task identities are stable
FAILURE_COLUMNS = ["task", "point_id", "replication", "error", "traceback"]


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
    observed = observations_of(sweep.base_scenario)  # a bad observed file stops the sweep before it writes
    check_out_folder(out)
    own_client = client is None and scheduler is not None
    if own_client:
        client = connect_dask(scheduler)  # type: ignore[arg-type]
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
                           _runner if _runner is not None else run_one, started, clock, observed)
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
                started: str, clock: float, observed: pd.DataFrame | None = None) -> SweepOutcome:
    tasks_dir, victims_dir, unused = out / "tasks", out / "victims", out / "unused"
    tasks_dir.mkdir(exist_ok=True)
    if keep_victims:
        victims_dir.mkdir(exist_ok=True)
    removed = remove_temp_files(out)
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
    record = observed_key(observed)
    for point in sweep.points:
        for reps in chunks:
            key = task_key(point, sweep.seed, reps, record)
            current.add(key)
            if is_done(out, key, keep_victims, restore=True):
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

    pending = _pending(sweep, out, chunks, keep_victims, runner, observed)
    try:
        if client is not None:
            run_on_dask(pending, client, store, max_attempts)
        elif workers > 1:
            run_in_pool(pending, workers, store, max_attempts, lambda text: bar.write(text, file=sys.stderr))
        else:
            run_in_process(pending, store)
    except KeyboardInterrupt:
        bar.close()
        say(f"interrupted: {ran} task(s) of this run are stored; re-run the same command to resume")
        raise
    finally:
        bar.close()

    summary_means = write_summary(sweep, out, chunks, observed)
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


def _pending(sweep: Sweep, out: Path, chunks: list[tuple[int, ...]], keep_victims: bool,
             runner: Callable[..., Any], observed: pd.DataFrame | None = None) -> Iterator[TaskSpec]:
    """The tasks still to run, built lazily (one scenario per point at a time)."""
    record = observed_key(observed)
    for point in sweep.points:
        scenario = None
        for reps in chunks:
            key = task_key(point, sweep.seed, reps, record)
            if is_done(out, key, keep_victims):
                continue
            scenario = scenario or sweep.scenario(point)
            yield TaskSpec(key, point.point_id, reps, sweep.seed, scenario, keep_victims, runner, code_fingerprint(),
                           observed)


def _draw(out: Path, say: Callable[[str], None]) -> None:
    try:
        from sim.report import write_report
        from sim.report.plots import draw_plots

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
          + (", sensitivity.csv" if spec.design == "lhs" else "")
          + (", record_points.csv: the points ranked against the record" if (folder / "record_points.csv").exists()
             else "") + ")")
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
    shown = [m for m in ("wait_days_p50", "expected_retrafficked", "cost_total") if m in set(summary["metric"])]
    if not shown:
        return ""
    wide = summary[summary["metric"].isin(shown)].pivot(index="point_id", columns="metric", values="mean")
    points = spec.points_frame().set_index("point_id").drop(columns="scenario_hash")
    table = points.join(wide[shown]).reset_index()
    formats = {m: (lambda v: f"{v:,.1f}") for m in shown}
    return "\nMean per design point:\n" + table.to_string(index=False, formatters=formats)
