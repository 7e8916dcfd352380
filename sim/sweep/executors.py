"""Where sweep tasks run: in this process, in local worker processes, or on a Dask cluster.

Each executor takes a lazy iterator of :class:`~sim.sweep.tasks.TaskSpec` and a ``store`` callback, keeps
a bounded window of tasks in flight (the driver's memory stays flat however many tasks there are) and
hands every :class:`~sim.sweep.tasks.TaskResult` to ``store`` as soon as it arrives. A task that raises
comes back as an error record. A local worker process that dies breaks the pool: the tasks in flight
are then run again one at a time, and a task that kills its worker ``max_attempts`` times is recorded
as failed. On Dask the scheduler retries (``retries=max_attempts - 1``).
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.results.storage import exit_with_driver
from sim.sweep.tasks import TaskResult, TaskSpec, execute_task, task_failure

MAX_ATTEMPTS = 3  # a task whose worker process dies this many times (run alone) is recorded as failed
WINDOW_PER_WORKER = 3  # tasks in flight per worker: keeps workers busy, keeps the driver's memory flat


def run_in_process(pending: Iterator[TaskSpec], store: Callable[[TaskResult], None]) -> None:
    """One task after another in this process (``workers=1``): no pickling, easiest to debug."""
    for spec in pending:
        store(execute_task(spec))


def _pool_context() -> Any:
    """forkserver (fast, and safe with the driver's threads) where there is one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.sweep"])
        return context
    return multiprocessing.get_context("spawn")


def run_in_pool(pending: Iterator[TaskSpec], workers: int, store: Callable[[TaskResult], None],
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
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=exit_with_driver,
                                   initargs=(os.getpid(),))
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
                        store(task_failure(spec, f"WorkerDied: the worker process died {max_attempts} times "
                                             "running this task (killed, out of memory or crashed)",
                                       "".join(traceback.format_exception(error))))
                        return True
                suspects.append(spec)
                return True
            store(task_failure(spec, f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error))))
            return False

        try:
            while True:
                try:
                    if suspects:
                        if not inflight:
                            spec = suspects.popleft()
                            inflight[pool.submit(execute_task, spec)] = (spec, True)
                    else:
                        while len(inflight) < window and (upcoming := next(pending, None)) is not None:
                            spec = upcoming
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


def connect_dask(scheduler: str) -> Any:
    try:
        from dask.distributed import Client
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: pip install 'repatsim[dask]'") from None
    return Client(scheduler, timeout="30s")


def run_on_dask(pending: Iterator[TaskSpec], client: Any, store: Callable[[TaskResult], None],
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
            result = task_failure(spec, f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error)))
        future.release()
        store(result)
        while len(inflight) < window and submit():
            pass
