"""Worker processes do not outlive their driver: a `repatsim sweep` or `compare` killed with SIGKILL (which
it cannot catch) leaves no worker computing for no one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def descendants(pid: int) -> set[int]:
    """Every live (not zombie) process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("command", [
    ["sweep", "scenarios/sweeps/consular_capacity.toml", "--workers", "2", "--no-plots", "-q"],
    ["compare", "scenarios/myanmar_thailand_2025.toml", "scenarios/safe_fund.toml", "-r", "40", "--workers", "2",
     "--no-plots", "-q"],
], ids=["sweep", "compare"])
def test_workers_exit_when_their_driver_is_killed(tmp_path, command):
    driver = subprocess.Popen([sys.executable, "-m", "sim", *command, "-o", str(tmp_path / "out")], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.5)
            workers = descendants(driver.pid)
        assert len(workers) >= 2, "the workers never started"
        time.sleep(1.0)  # let them take tasks
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(pid) for pid in workers):
            time.sleep(0.2)
        assert not [pid for pid in workers if alive(pid)], "workers outlived their driver"
    finally:
        if driver.poll() is None:
            driver.kill()
        for pid in descendants(driver.pid):
            os.kill(pid, signal.SIGKILL)
