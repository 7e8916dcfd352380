"""Parallel speed-up of a compare, and the memory of a sweep's driver as the sweep grows.

- A 40-replication compare (baseline and one variant, 20 replications each) with ``--workers 2`` against
  ``--workers 1``, in wall-clock seconds of the whole command (``repatsim compare``, a fresh process each):
  the speed-up (the 2 vCPUs of the reference machine share one physical core, so 1.5-1.7x is near the
  ceiling). The two commands run in turn, ``repeats`` times; the figure is the median of the pairs' ratios.
- Peak resident memory (``ru_maxrss`` of the child process, as ``/usr/bin/time -v`` reports it as "Maximum
  resident set size") of ``repatsim sweep`` with 1,000 tasks against 100 tasks of a tiny scenario: the
  driver streams results to disk, so its memory must stay flat. Each size runs ``repeats`` times; the
  figure is the ratio of the medians.
"""

from __future__ import annotations

import statistics
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


def compare_speedup(replications: int = 20, repeats: int = 3) -> dict[str, float]:
    files = [str(SCENARIOS / "myanmar_thailand_2025.toml"), str(SCENARIOS / "pre_agreed_sops.toml")]
    seconds: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(repeats):
            for workers in (1, 2):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "sim", "compare", *files, "-r", str(replications),
                                "--workers", str(workers), "-o", f"{folder}/w{workers}-{repeat}", "--no-plots",
                                "-q"], check=True, capture_output=True)
                seconds[workers].append(time.perf_counter() - start)
    ratios = [one / two for one, two in zip(seconds[1], seconds[2])]
    return {"compare_workers1_s": statistics.median(seconds[1]), "compare_workers2_s": statistics.median(seconds[2]),
            "speedup_workers2": statistics.median(ratios), "repeats": repeats}


# Runs the command as its own child and prints that child's peak RSS (KiB). Linux carries a process's peak
# RSS across exec(), and a child started by (v)fork starts from its parent's: measured directly from a
# large parent (``make bench`` has run the baseline in-process by then, about 280 MiB), every sweep would
# read as at least that large, and a driver growing below that size would go unseen. Started from this
# small launcher, the command's peak is its own.
_LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _peak_rss_kib(command: list[str]) -> int:
    """Peak resident set size of ``command`` (KiB), measured from a small launcher process."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed: {done.stderr[-2000:]}")
    return int(done.stdout.split()[-1])


def sweep_memory(small: int = 100, large: int = 1000, repeats: int = 2) -> dict[str, float]:
    results: dict[int, list[int]] = {small: [], large: []}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "tiny.toml"
        base.write_text(TINY_SCENARIO)
        for repeat in range(repeats):
            for tasks in (small, large):
                sweep = Path(folder) / f"sweep{tasks}.toml"
                sweep.write_text(f'base = "tiny.toml"\nreplications = 1\ndesign = "lhs"\nsamples = {tasks}\n'
                                 'seed = 3\n[parameters]\n"nationalities.A.vulnerable" = { low = 0.0, high = 1.0 }\n')
                results[tasks].append(_peak_rss_kib([sys.executable, "-m", "sim", "sweep", str(sweep), "-o",
                                                     f"{folder}/out{tasks}-{repeat}", "--no-plots", "-q",
                                                     "--chunk-size", "1"]))
    rss = {tasks: statistics.median(values) for tasks, values in results.items()}
    return {f"sweep_driver_rss_mib_{small}": rss[small] / 1024,
            f"sweep_driver_rss_mib_{large}": rss[large] / 1024,
            "rss_ratio": rss[large] / rss[small], "repeats": repeats}


if __name__ == "__main__":
    print(compare_speedup())
    print(sweep_memory())
