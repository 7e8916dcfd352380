"""``make bench``: every benchmark figure as a ratio measured in this run, against its target.

Ratios cancel out the speed of the (noisy, shared) machine. Absolute figures are printed for context.
See ``benchmarks/README.md`` for what each figure measures and how to reproduce it by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline  # noqa: E402
import engine_floor  # noqa: E402
import scaling  # noqa: E402


def line(name: str, value: float, target: str, ok: bool, unit: str = "") -> str:
    return f"{'PASS' if ok else 'MISS'}  {name:<48} {value:10.3f}{unit:<3} target {target}"


def main() -> int:
    print("repatsim benchmarks (medians; ratios measured in the same run; CPU seconds unless noted)\n")
    floor = engine_floor.measure()
    print(f"      M/M/c, {floor['people']:,} people, {floor['repeats']} repeats: model "
          f"{floor['model_us_per_person']:.2f} us/person, bare heapq {floor['heapq_us_per_person']:.2f} us/person")
    print(line("1. engine floor: model / bare heapq loop", floor["ratio"], "<= 5x", floor["ratio"] <= 5, "x"))
    base = baseline.measure()
    print(f"      baseline: {base['people']} people, {base['people_per_second']:,.0f} people/s on one core "
          f"({base['base_runs']} runs); 10x people: {base['scaled_10x_seconds']:.2f} s ({base['big_runs']} runs)")
    print(line("2. baseline seconds per replication", base["seconds_per_replication"], "<= 0.3 s",
               base["seconds_per_replication"] <= 0.3, "s"))
    print(line("3a. 10x the people: time ratio", base["scaling_ratio_10x"], "<= 11x",
               base["scaling_ratio_10x"] <= 11, "x"))
    print(f"      (10x ratio in user time alone: {base['scaling_ratio_10x_user']:.2f}x; of the fastest runs: "
          f"{base['scaling_ratio_10x_fastest']:.2f}x; minor page faults per run: "
          f"{base['page_faults_per_run']:,.0f} at 1x, {base['page_faults_per_run_10x']:,.0f} at 10x)")
    print(f"      (the model alone, no per-stage table or metrics: {base['model_seconds_per_replication']:.3f} s "
          f"per replication, {base['model_scaled_10x_seconds']:.2f} s at 10x, "
          f"ratio {base['model_scaling_ratio_10x']:.2f}x)")
    speed = scaling.compare_speedup()
    print(f"      compare 2 x 20 replications, wall clock ({speed['repeats']} pairs): "
          f"{speed['compare_workers1_s']:.1f} s with 1 worker, {speed['compare_workers2_s']:.1f} s with 2")
    print(line("3b. compare speed-up with --workers 2", speed["speedup_workers2"], ">= 1.5x",
               speed["speedup_workers2"] >= 1.5, "x"))
    memory = scaling.sweep_memory()
    print(f"      sweep driver peak RSS ({memory['repeats']} runs each): "
          f"{memory['sweep_driver_rss_mib_100']:.0f} MiB (100 tasks), "
          f"{memory['sweep_driver_rss_mib_1000']:.0f} MiB (1,000 tasks)")
    print(line("4. sweep driver memory 1,000 / 100 tasks", memory["rss_ratio"], "<= 1.2x",
               memory["rss_ratio"] <= 1.2, "x"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
