"""Parallel speed-up of a compare, and the memory of a sweep's driver as the sweep grows.

- A 40-replication compare (baseline and one variant, 20 replications each) with ``--workers 2`` against
  ``--workers 1``: the speed-up (the 2 vCPUs of the reference machine share one physical core, so
  1.5-1.7x is near the ceiling).
- Peak resident memory (``ru_maxrss`` of the child process, as ``/usr/bin/time -v`` reports it) of
  ``repatsim sweep`` with 1,000 tasks against 100 tasks of a tiny scenario: the driver streams results
  to disk, so its memory must stay flat.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

TINY_SCENARIO = """
pipeline = ["registration", "identity", "transport"]
[scenario]
name = "tiny"
horizon_days = 30
[arrivals]
waves = [ { day = 0, count = 20, spread_days = 5 } ]
[stages.identity]
duration = { dist = "exponential", mean = "1h" }
[nationalities.A]
share = 1.0
"""


def compare_speedup(replications: int = 20) -> dict[str, float]:
    files = [str(SCENARIOS / "myanmar_thailand_2025.toml"), str(SCENARIOS / "pre_agreed_sops.toml")]
    seconds = {}
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sim", "compare", *files, "-r", str(replications), "--workers",
                            str(workers), "-o", f"{folder}/w{workers}", "--no-plots", "-q"], check=True,
                           capture_output=True)
            seconds[workers] = time.perf_counter() - start
    return {"compare_workers1_s": seconds[1], "compare_workers2_s": seconds[2],
            "speedup_workers2": seconds[1] / seconds[2]}


def _peak_rss_kib(command: list[str]) -> int:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss


def sweep_memory(small: int = 100, large: int = 1000) -> dict[str, float]:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "tiny.toml"
        base.write_text(TINY_SCENARIO)
        for tasks in (small, large):
            sweep = Path(folder) / f"sweep{tasks}.toml"
            sweep.write_text(f'base = "tiny.toml"\nreplications = 1\ndesign = "lhs"\nsamples = {tasks}\nseed = 3\n'
                             '[parameters]\n"nationalities.A.vulnerable" = { low = 0.0, high = 1.0 }\n')
            results[tasks] = _peak_rss_kib([sys.executable, "-m", "sim", "sweep", str(sweep), "-o",
                                            f"{folder}/out{tasks}", "--no-plots", "-q", "--chunk-size", "1"])
    return {f"sweep_driver_rss_mib_{small}": results[small] / 1024,
            f"sweep_driver_rss_mib_{large}": results[large] / 1024,
            "rss_ratio": results[large] / results[small]}


if __name__ == "__main__":
    print(compare_speedup())
    print(sweep_memory())
