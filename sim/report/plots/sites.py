"""The sites and crossings of a scenario (its network) and the long occupancy table, read from stored files.

A scenario has named sites of two kinds, ``holding`` (camps before the border) and ``shelter`` (after it),
and named crossings, each from one holding site to one shelter. Results folders written before the model
became a network hold ``[sites.holding]``/``[sites.shelter]`` with no ``kind`` and one ``[crossing]`` table,
and a WIDE occupancy table (``replication, day, holding, shelter``): both are read here as the one-site
network they describe (sites named holding and shelter, one crossing named "crossing"), so that old
folders still plot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

HOLDING, SHELTER = "holding", "shelter"
KINDS = (HOLDING, SHELTER)
LONG_COLUMNS = ("replication", "site", "kind", "day", "people")
"""The columns of the long occupancy table (one row per site and instant)."""


@dataclass(frozen=True)
class Site:
    """A named site: its kind (holding or shelter), capacity (None: no limit) and, for a holding site, its
    first daily release pace (None: no limit)."""

    name: str
    kind: str
    capacity: float | None = None
    release_per_day: float | None = None


@dataclass(frozen=True)
class Crossing:
    """A named crossing from a holding site to a shelter, with its daily capacity (None: no cap)."""

    name: str
    holding: str
    shelter: str
    daily_capacity: float | None = None


@dataclass(frozen=True)
class Network:
    """A scenario's sites (in the order of its file) and crossings."""

    sites: tuple[Site, ...] = ()
    crossings: tuple[Crossing, ...] = ()

    def of_kind(self, kind: str) -> list[Site]:
        """The sites of one kind, in file order."""
        return [s for s in self.sites if s.kind == kind]

    def site(self, name: str) -> Site | None:
        """The site of this name, or None."""
        return next((s for s in self.sites if s.name == name), None)

    @property
    def ordered_sites(self) -> list[Site]:
        """Holding sites first, then shelters (each in file order): the order of panels and rows."""
        return self.of_kind(HOLDING) + self.of_kind(SHELTER)

    def signature(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]]:
        """What makes two networks the same drawing: site names and kinds, crossing names and links."""
        return (tuple((s.name, s.kind) for s in self.sites),
                tuple((c.name, c.holding, c.shelter) for c in self.crossings))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def network_of(config: Mapping[str, Any], occupancy: pd.DataFrame | None = None) -> Network:
    """The network of a resolved scenario file (``scenario.toml`` as a dict).

    A site without ``kind`` is taken by its name (holding/shelter), else by the crossings that name it
    (holding otherwise). An old ``[crossing]`` table is one crossing named "crossing" from the only holding
    site to the only shelter. With no ``[sites]`` at all, the sites are those of the long occupancy table
    (if given), or holding and shelter when the file has an old ``[crossing]`` table.
    """
    sites_value, crossings_value = config.get("sites"), config.get("crossings")
    raw_sites: Mapping[Any, Any] = sites_value if isinstance(sites_value, Mapping) else {}
    raw_crossings: Mapping[Any, Any] = crossings_value if isinstance(crossings_value, Mapping) else {}
    as_shelter = {str(c.get("shelter")) for c in raw_crossings.values() if isinstance(c, Mapping)}
    sites: list[Site] = []
    for name, table in raw_sites.items():
        table = table if isinstance(table, Mapping) else {}
        kind = table.get("kind")
        if kind not in KINDS:
            kind = name if name in KINDS else (SHELTER if name in as_shelter else HOLDING)
        sites.append(Site(str(name), str(kind), _number(table.get("capacity")), _number(table.get("release_per_day"))))
    if not sites and occupancy is not None and len(occupancy):
        long = long_occupancy(occupancy)
        pairs = long[["site", "kind"]].drop_duplicates()
        sites = [Site(str(s), str(k)) for s, k in zip(pairs["site"], pairs["kind"])]
    if not sites and isinstance(config.get("crossing"), Mapping):
        sites = [Site(HOLDING, HOLDING), Site(SHELTER, SHELTER)]
    crossings = [Crossing(str(name), str(c.get("holding")), str(c.get("shelter")),
                          _number(c.get("daily_capacity")))
                 for name, c in raw_crossings.items() if isinstance(c, Mapping)]
    old = config.get("crossing")
    holding = [s.name for s in sites if s.kind == HOLDING]
    shelters = [s.name for s in sites if s.kind == SHELTER]
    if not crossings and isinstance(old, Mapping) and len(holding) == 1 and len(shelters) == 1:
        crossings = [Crossing("crossing", holding[0], shelters[0], _number(old.get("daily_capacity")))]
    return Network(tuple(sites), tuple(crossings))


def is_long(occupancy: pd.DataFrame) -> bool:
    """Whether an occupancy table is in the long form (a ``site`` column) rather than the old wide one."""
    return "site" in occupancy.columns


def long_occupancy(occupancy: pd.DataFrame) -> pd.DataFrame:
    """The occupancy table in the long form: ``replication, site, kind, day, people``.

    A long table is returned as it is (``kind`` filled from the site's name if missing). A wide one
    (``replication, day, holding, shelter``) becomes one block of rows per site, holding first, each block
    keeping the wide table's row order (so that of rows at the same instant the last written still wins).
    """
    if is_long(occupancy):
        if "kind" not in occupancy.columns:
            kinds = occupancy["site"].map(lambda s: s if s in KINDS else HOLDING)
            occupancy = occupancy.assign(kind=kinds)
        return occupancy
    frames = []
    for site in KINDS:
        if site not in occupancy.columns:
            continue
        frames.append(pd.DataFrame({
            "replication": occupancy["replication"].to_numpy(dtype="int32"),
            "site": site, "kind": site,
            "day": occupancy["day"].to_numpy(dtype=float),
            "people": occupancy[site].to_numpy(dtype="int64")}))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            LONG_COLUMNS, ("int32", "object", "object", "float64", "int64"))})
    long = pd.concat(frames, ignore_index=True)
    order = np.lexsort((np.arange(len(long)), long["site"].map({s: i for i, s in enumerate(KINDS)}),
                        long["replication"].to_numpy()))
    return long.iloc[order].reset_index(drop=True)


def site_occupancy(occupancy: pd.DataFrame, site: str) -> pd.DataFrame:
    """One site's change log, ``replication, day, people`` (empty when the site is not in the table)."""
    long = long_occupancy(occupancy)
    rows = long[long["site"].astype(str) == site]
    return rows[["replication", "day", "people"]]
