"""The README's Python example runs as written (from the repository root)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no Python example"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for code in blocks:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert "limbo_days_p50" in done.stdout


def test_readme_names_the_two_commands_and_the_makefile_has_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make demo", "make test"):
        assert command in readme
        assert re.search(rf"^{command.split()[1]}:", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_no_document_points_outside_the_project():
    """Users get the repository, nothing beside it: no document, scenario or source file may name a path
    outside it (an absolute path of the machine it was written on, or a relative one climbing out)."""
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if parts[0] in (".venv", ".git", "results", ".pytest_cache", ".ruff_cache", ".mypy_cache") \
                or path.suffix not in (".md", ".toml", ".py", ".csv", ".cfg", ".txt") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        markers = ("/work/", "../shared", "DESIGN.md") + (("../../",) if path.suffix in (".md", ".toml") else ())
        for marker in markers:
            if marker in text and path.name not in ("test_readme.py", "test_reference.py"):  # they test for it
                offenders.append(f"{path.relative_to(root)}: {marker}")
    assert offenders == []
