"""Figures 1 and 2 in instructions rather than seconds: free of a shared machine's noise (not in make bench).

``python benchmarks/instructions.py [mmc|camp]`` runs, under valgrind's callgrind, three processes per
queue: the textbook SimPy program, ``repatsim run`` of the same queue, and neither (the same start-up and
warm-up alone). Each side's count less the third is its run's; the figure is their ratio. It takes about
ten minutes for M/M/c (valgrind runs Python some 50 times slower) and one for the camp.

``python benchmarks/instructions.py --side QUEUE SIDE`` is one such process (what valgrind runs).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import textbook

SIDES = ("none", "repatsim", "textbook")


def one_side(queue: str, side: str) -> None:
    """Start-up, a small warm-up run of both programs, then the measured run of ``side`` (none: nothing)."""
    raw, small = ((textbook.mmc_scenario(), textbook.mmc_scenario(2_000)) if queue == "mmc"
                  else (textbook.camp_scenario(), textbook.camp_scenario(500)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, scenario in (("small", small), ("full", raw)):
            (folder / f"{name}.toml").write_text(textbook.tomli_w.dumps(scenario), encoding="utf-8")
        textbook.repatsim_run(folder / "small.toml", folder / "warm")
        textbook.textbook_mmc(2_000) if queue == "mmc" else textbook.textbook_camp(500)
        if side == "repatsim":
            textbook.repatsim_run(folder / "full.toml", folder / "out")
        elif side == "textbook":
            textbook.textbook_mmc() if queue == "mmc" else textbook.textbook_camp()


def instructions(queue: str, side: str) -> int:
    """Instructions of one side's process, counted by callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                        __file__, "--side", queue, side], check=True, capture_output=True)
        match = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        assert match, "no summary line in callgrind's output"
        return int(match.group(1))


def measure(queue: str) -> dict[str, float]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(SIDES, pool.map(lambda side: instructions(queue, side), SIDES)))
    ours, theirs = counts["repatsim"] - counts["none"], counts["textbook"] - counts["none"]
    return {"repatsim_G": ours / 1e9, "textbook_G": theirs / 1e9, "ratio": ours / theirs}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--side"]:
        one_side(sys.argv[2], sys.argv[3])
    else:
        for queue in sys.argv[1:] or ["camp", "mmc"]:
            print(queue, measure(queue))
