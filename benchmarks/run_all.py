"""``make bench``: every benchmark figure as a ratio measured in this run, against its target.

Ratios cancel out the speed of the (noisy, shared) machine. Absolute figures are printed for context.
See ``benchmarks/README.md`` for what each figure measures and how to reproduce it by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline  # noqa: E402
import scaling  # noqa: E402
import textbook  # noqa: E402


def line(name: str, value: float, target: str, ok: bool, unit: str = "") -> str:
    return f"{'PASS' if ok else 'MISS'}  {name:<52} {value:8.2f}{unit:<3} target {target}"


def main() -> int:
    print("repatsim benchmarks (medians; ratios measured in the same run; CPU seconds unless noted)\n")
    queues = textbook.measure()
    labels = (("mmc", "M/M/c, 200,000 people"), ("camp", "camp, 7,000 people, 4 stages"))
    for number, (queue, label) in enumerate(labels, start=1):
        figures = queues[queue]
        print(f"      {label}: repatsim run {figures['repatsim_s']:.2f} s, textbook SimPy "
              f"{figures['textbook_s']:.2f} s ({figures['rounds']} rounds)")
        print(line(f"{number}. {queue}: repatsim run / textbook SimPy program", figures["ratio"],
                   "<= 1.0x (aim 0.7x)", figures["ratio"] <= 1.0, "x"))
    base = baseline.measure()
    print(f"      baseline: {base['people']} people, {base['people_per_second']:,.0f} people/s on one core "
          f"({base['base_runs']} runs); 10x people: {base['scaled_10x_seconds']:.2f} s ({base['big_runs']} runs)")
    print(line("3. baseline seconds per replication", base["seconds_per_replication"], "<= 0.4 s",
               base["seconds_per_replication"] <= 0.4, "s"))
    print(line("4. 10x the people: time ratio", base["scaling_ratio_10x"], "<= 12x",
               base["scaling_ratio_10x"] <= 12, "x"))
    print(f"      (the model alone, no per-stage table or metrics: {base['model_seconds_per_replication']:.3f} s "
          f"per replication, ratio at 10x {base['model_scaling_ratio_10x']:.2f}x)")
    speed = scaling.compare_speedup()
    print(f"      compare 2 x 20 replications, wall clock ({speed['repeats']} pairs): "
          f"{speed['compare_workers1_s']:.1f} s with 1 worker, {speed['compare_workers2_s']:.1f} s with 2")
    print(line("5. compare speed-up with --workers 2", speed["speedup_workers2"], ">= 1.6x",
               speed["speedup_workers2"] >= 1.6, "x"))
    memory = scaling.sweep_memory()
    print(f"      sweep driver peak RSS ({memory['repeats']} runs each): "
          f"{memory['sweep_driver_rss_mib_100']:.0f} MiB (100 tasks), "
          f"{memory['sweep_driver_rss_mib_1000']:.0f} MiB (1,000 tasks)")
    print(line("6. sweep driver memory 1,000 / 100 tasks", memory["rss_ratio"], "<= 1.2x",
               memory["rss_ratio"] <= 1.2, "x"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
