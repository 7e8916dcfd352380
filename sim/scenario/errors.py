"""Problems found in a scenario or sweep file, and how they are shown: ``FILE: key.path: message (got VALUE)``."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Issue", "ScenarioError", "format_value", "format_path", "lookup"]


@dataclass(frozen=True)
class Issue:
    """One problem in an input file: where (dotted key path), what, and the offending value."""

    path: str
    message: str
    value: Any = None
    has_value: bool = True
    loc: tuple[str | int, ...] = field(default=(), compare=False, repr=False)  # parsed path

    def format(self, file: str | None = None) -> str:
        where = f"{file}: " if file else ""
        key = f"{self.path}: " if self.path else ""
        got = f" (got {format_value(self.value)})" if self.has_value else ""
        return f"{where}{key}{self.message}{got}"


class ScenarioError(ValueError):
    """A scenario (or sweep) file is invalid; carries every :class:`Issue` found."""

    def __init__(self, issues: Iterable[Issue], file: str | os.PathLike[str] | None = None) -> None:
        self.issues = list(issues)
        self.file = str(file) if file is not None else None
        super().__init__("\n".join(issue.format(self.file) for issue in self.issues))


def format_value(value: Any) -> str:
    """Show a value as it would be written in TOML, shortened if long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, Mapping | list | tuple):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def lookup(raw: Any, path: Iterable[str | int]) -> tuple[bool, Any]:
    node = raw
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False, None
    return True, node


def format_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def key_parts(key: str) -> list[str]:
    """The parts of a dotted key path, read as TOML reads a dotted key: ``nationalities."Sri Lanka".connected``
    is three parts, the quotes dropped. A path TOML cannot read (a bare part with a space) is split on dots."""
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return [part.strip() for part in key.split(".")]
    parts = []
    while isinstance(node, dict) and len(node) == 1:
        (part, node), = node.items()
        parts.append(part)
    return parts


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` over ``base``: tables merge key by key; anything else replaces.

    A table with a ``dist`` key is a distribution and replaces the base's value wholesale, so that
    changing ``uniform`` to ``fixed`` does not leave a stray ``min`` behind.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping) and "dist" not in value:
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
