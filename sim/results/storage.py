"""Files: atomic writes, Parquet tables, results folders that replace old ones whole, manifests.

Every file is written to a temporary name in its final folder, flushed and fsynced, then renamed over
the target (``os.replace``): a reader never sees half a file, and an interrupted run leaves no torn
output. A results folder is assembled in a hidden sibling folder and swapped into place at the end,
so a new run never mixes with an old one.
"""

from __future__ import annotations

import functools

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__

DEPENDENCIES = ("simpy", "numpy", "pandas", "scipy", "pydantic", "pyarrow", "matplotlib", "tqdm", "tomli-w")


def safe_name(name: str) -> str:
    """A folder name from a scenario name: lower case letters, digits, ``-`` and ``_`` only.

    No path separator, no ``..``, never empty: "../../etc/Kazakhstan surge" -> "etc-kazakhstan-surge".
    """
    slug = re.sub(r"[^a-z0-9_]+", "-", name.lower()).strip("-_")
    slug = re.sub(r"-{2,}", "-", slug)
    return slug[:80] or "scenario"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()
FOLDER_MODE = 0o777 & ~_umask()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp makes files private; results are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as Parquet, zstd-compressed (level 1: about a third faster than the default level 3, for
    files a few percent larger); the bytes depend only on the data (no timestamps).

    Only text and categorical columns are dictionary-encoded: on columns of times (a float per person,
    nearly all distinct) a dictionary is built, found useless and dropped, which took most of the writing
    time of a large table and made the file larger."""
    dictionary = [field.name for field in table.schema
                  if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
                  or pa.types.is_dictionary(field.type)]
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=1, use_dictionary=dictionary)
    return sink.getvalue().to_pybytes()


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame to Parquet atomically (see :func:`parquet_bytes`)."""
    atomic_write_bytes(path, parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False)))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_write_text(path, frame.to_csv(index=False, float_format="%.10g"))


def write_json(data: Mapping[str, Any], path: Path) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def git_commit() -> str | None:
    """The commit of the repatsim source tree, if it is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, timeout=5,
                             capture_output=True, text=True, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@functools.cache
def dependency_versions() -> dict[str, str | None]:
    """The installed version of each dependency (read once per process: reading package metadata takes
    about 40 ms, as long as a small run)."""
    versions: dict[str, str | None] = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def manifest(kind: str, **fields: Any) -> dict[str, Any]:
    """What every results folder records about how it was made."""
    return {"kind": kind, "version": __version__, "git_commit": git_commit(),
            "python": platform.python_version(), "dependencies": dict(dependency_versions()), **fields}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class UnsafeOutputError(ValueError):
    """The chosen output folder cannot be used without risking someone's files."""


class FolderSwap:
    """Build a results folder aside, then swap it into place.

    ``out`` must be new, empty, or an earlier repatsim results folder (it has a ``manifest.json``):
    anything else is refused, so a typo in ``-o`` never deletes someone's files.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        if self.out.exists():
            if not self.out.is_dir():
                raise UnsafeOutputError(f"{self.out} exists and is not a folder")
            if any(self.out.iterdir()) and not (self.out / "manifest.json").is_file():
                raise UnsafeOutputError(f"{self.out} is not empty and is not a repatsim results folder; "
                                      "choose another --out")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.out.parent.glob(f".{self.out.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.work = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        os.chmod(self.work, FOLDER_MODE)

    def commit(self) -> Path:
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}.tmp-old-{os.getpid()}"
            os.replace(self.out, old)
        os.replace(self.work, self.out)
        _fsync_dir(self.out.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out

    def abort(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


# ------------------------------------------------------------------------------- worker processes


def exit_with_driver(driver: int) -> None:
    """Worker-process initializer: the worker exits as soon as its driver (process ``driver``) is gone.

    A driver that is killed (SIGKILL included) cannot shut its pool down, and its workers would otherwise
    go on computing for no one (under forkserver they are not even the driver's children). A daemon
    thread checks every half second that the driver is still there (not gone, not a zombie)."""

    def watch() -> None:
        while process_alive(driver):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-driver", daemon=True).start()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running: it exists, and is not a zombie (a killed process that its parent
    has not reaped yet is gone for every purpose here)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): the signal check above is all there is
