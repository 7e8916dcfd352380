"""Reading a results folder (run, compare or sweep): its manifest, scenarios and tables, read on demand.

Files only, never the model: a results folder copied to a machine without the model can be plotted.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.report.plots.breakdown import Breakdown, breakdown_from_metrics, breakdown_from_tables
from sim.report.plots.sites import Network, long_occupancy, network_of
from sim.results.record import read_record

DEFAULT_CURRENCY = "USD"
"""The currency of costs when a scenario file does not name one (the schema's default)."""


@dataclass
class ScenarioResult:
    """One scenario's stored outputs (a run folder), read lazily."""

    name: str
    folder: Path
    config: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    sha256: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def start_date(self) -> dt.date | None:
        value = self.config.get("scenario", {}).get("start_date")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return None
        return None

    @property
    def horizon(self) -> float | None:
        value = self.config.get("scenario", {}).get("horizon_days")
        return float(value) if isinstance(value, int | float) else None

    @property
    def pipeline(self) -> list[str] | None:
        value = self.config.get("pipeline")
        return list(value) if isinstance(value, list) else None

    def capacity(self, site: str) -> float | None:
        value = self.config.get("sites", {}).get(site, {}).get("capacity")
        return float(value) if isinstance(value, int | float) else None

    def _read(self, name: str, reader: Any) -> pd.DataFrame | None:
        if name not in self._cache:
            path = self.folder / name
            self._cache[name] = reader(path) if path.exists() else None
        return self._cache[name]

    def victims(self) -> pd.DataFrame | None:
        return self._read("victims.parquet", pd.read_parquet)

    def occupancy(self) -> pd.DataFrame | None:
        """occupancy.parquet in the long form (``replication, site, kind, day, people``); an old folder's
        wide table (``replication, day, holding, shelter``) is converted on reading."""
        return self._read("occupancy.parquet", lambda path: long_occupancy(pd.read_parquet(path)))

    def metrics_by_site(self) -> pd.DataFrame | None:
        """metrics_by_site.csv: per site and crossing (``site, kind, metric, mean, ci_low, ...``), if stored."""
        return self._read("metrics_by_site.csv", pd.read_csv)

    @property
    def network(self) -> Network:
        """The sites and crossings of the scenario file (an old one's single site pair and crossing too);
        with no sites in the file, those of the occupancy table."""
        if "network" not in self._cache:
            network = network_of(self.config)
            if not network.sites:
                network = network_of(self.config, self.occupancy())
            self._cache["network"] = network
        return self._cache["network"]

    def metrics(self) -> pd.DataFrame | None:
        return self._read("metrics.csv", pd.read_csv)

    def metrics_by_nationality(self) -> pd.DataFrame | None:
        return self._read("metrics_by_nationality.csv", pd.read_csv)

    def record(self) -> pd.DataFrame | None:
        """record.csv: the reported figures against the model (only when the scenario names them)."""
        return self._read("record.csv", read_record)

    def replications(self) -> pd.DataFrame | None:
        return self._read("replications.csv", pd.read_csv)

    def return_curve(self) -> pd.DataFrame | None:
        """return_curve.csv: the Kaplan-Meier share home by day since arrival (``nationality`` "all" first)."""
        return self._read("return_curve.csv", pd.read_csv)

    @property
    def currency(self) -> str:
        value = self.config.get("scenario", {}).get("currency")
        return str(value) if value else DEFAULT_CURRENCY

    def breakdown(self) -> Breakdown | None:
        """Where the time goes (:mod:`sim.report.plots.breakdown`): over everyone from the Parquet tables, else
        from metrics.csv; None when neither has stage times."""
        if "breakdown" not in self._cache:
            victims = self.victims()
            stages = self._read("stages.parquet", pd.read_parquet)
            result: Breakdown | None = None
            if victims is not None and stages is not None and len(stages):
                horizon = self.horizon if self.horizon is not None else float(
                    np.nanmax(stages[["queued", "started", "finished"]].to_numpy(dtype=float)))
                result = breakdown_from_tables(victims, stages, self.config, horizon, self.pipeline)
            elif (metrics := self.metrics()) is not None:
                result = breakdown_from_metrics(metrics, self.config, self.pipeline)
            self._cache["breakdown"] = result
        return self._cache["breakdown"]


@dataclass
class Results:
    """A results folder: its kind ("run", "compare" or "sweep"), manifest and scenarios in order."""

    root: Path
    kind: str
    manifest: dict[str, Any]
    scenarios: list[ScenarioResult]

    def table(self, name: str) -> pd.DataFrame | None:
        path = self.root / name
        return pd.read_csv(path) if path.exists() else None

    @property
    def cost_unit(self) -> str:
        """The currency of the costs (``[scenario] currency``, default USD): the first scenario's; a sweep
        reads it from its base scenario.toml."""
        if self.scenarios:
            return self.scenarios[0].currency
        value = _read_toml(self.root / "scenario.toml").get("scenario", {}).get("currency")
        return str(value) if value else DEFAULT_CURRENCY


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_results(results_dir: str | Path) -> Results:
    """Read a results folder's manifest and scenario list (data files are read on demand)."""
    root = Path(results_dir)
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    kind = manifest.get("kind")
    if kind not in ("run", "compare", "sweep"):
        if (root / "summary.csv").exists():
            kind = "sweep"
        elif (root / "comparison.csv").exists():
            kind = "compare"
        elif (root / "victims.parquet").exists() or (root / "metrics.csv").exists():
            kind = "run"
        else:
            raise FileNotFoundError(f"{root} is not a results folder: no manifest.json with a known kind")
    scenarios = []
    entries = manifest.get("scenarios") or ([{"folder": "."}] if kind == "run" else [])
    for entry in entries:
        folder = (root / entry.get("folder", ".")).resolve()
        config = _read_toml(folder / "scenario.toml")
        name = entry.get("name") or config.get("scenario", {}).get("name") or folder.name
        scenarios.append(ScenarioResult(name=str(name), folder=folder, config=config, file=entry.get("file"),
                                        sha256=entry.get("sha256")))
    return Results(root=root, kind=kind, manifest=manifest, scenarios=scenarios)
