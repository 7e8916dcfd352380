"""Sweeps on Dask: the same task files as local processes, on an in-process and a multi-process cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import sim
from sim.sweep import run_sweep_command

distributed = pytest.importorskip("dask.distributed")

from test_sweep import LHS, tiny_text  # noqa: E402 - after the skip


@pytest.fixture
def lhs_file(tmp_path: Path, tiny_scenario_text: str, write_toml: Callable[..., Path]) -> Path:
    write_toml(tmp_path, "tiny.toml", tiny_text(tiny_scenario_text))
    return write_toml(tmp_path, "lhs.toml", LHS)


def files(out: Path) -> dict[str, bytes]:
    names = ["summary.csv", "points.csv", "sensitivity.csv"]
    return {**{p.name: p.read_bytes() for p in sorted((out / "tasks").glob("*.parquet"))},
            **{n: (out / n).read_bytes() for n in names}}


def test_in_process_cluster_gives_the_local_results(lhs_file: Path, tmp_path: Path) -> None:
    sim.sweep(lhs_file, tmp_path / "local", workers=1, chunk_size=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) \
            as cluster:
        status = run_sweep_command(lhs_file, out=tmp_path / "dask", scheduler=cluster.scheduler_address,
                                   chunk_size=1, progress=False, plots=False)
    assert status == 0
    assert files(tmp_path / "dask") == files(tmp_path / "local")
    assert len(list((tmp_path / "dask" / "tasks").glob("*.parquet"))) == 20


def test_worker_processes_give_the_local_results(lhs_file: Path, tmp_path: Path) -> None:
    sim.sweep(lhs_file, tmp_path / "local", workers=2, chunk_size=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        summary = sim.sweep(lhs_file, tmp_path / "dask", client=client, chunk_size=2)
    assert files(tmp_path / "dask") == files(tmp_path / "local")
    # two replications per point (a metric undefined in every replication, such as the share home by day 60
    # under a shorter horizon, has n = 0)
    assert set(summary.loc[summary["mean"].notna(), "n"]) == {2}
