"""The model against the record: reported figures, the model's value of each, and a score.

An observed file (CSV) has the columns ``day,date,nationality,metric,value,low,high,source``, one reported
figure a row (see docs/outputs.md):

- ``day``: whole days since the scenario's day 0. A figure of day ``d`` is the state **at the end of day
  d**: a cumulative count "by day d" counts the stamps before ``d + 1`` (``time < d + 1``), a stock
  ("in holding on day d") is who is there at ``d + 1``, after every move of that day. The day must be
  inside the horizon (``d + 1 <= horizon_days``): the model says nothing beyond it.
- ``date``: an ISO date, or empty; with a scenario start date it must be day 0 plus ``day``.
- ``nationality``: a nationality of the scenario, or empty for the whole operation.
- ``metric``: ``returned_cumulative`` (went home by that day), ``crossed_cumulative`` (crossed into the
  shelter by that day), ``in_holding``, ``in_shelter``, ``waiting`` (arrived and not yet departed, returned
  or lost: holding + shelter).
- ``value``, ``low``, ``high``: numbers >= 0 with ``low <= value <= high``; an empty ``low`` or ``high``
  means the figure is exact at that end (it is taken as ``value``).
- ``source``: free text (the id of the source, say ``R4``).

For each figure, over the replications: the model's mean, its 90% band (5th to 95th percentile of the
replications), ``inside`` when the reported range ``[low, high]`` overlaps the band (a reported figure
with its own uncertainty is consistent with the model when the two ranges meet), and ``error_pct`` =
100 x (mean - value) / value (NaN when value is 0). The score: the share of figures inside the band,
the median absolute percentage error (``mape``: a median, so one wild figure does not rule it) and the
bias, the median signed error of the cumulative figures (positive: the model is ahead of the record,
people go home or cross earlier in the model than reported).

Pure functions of tables (numpy and pandas only, no plotting; the scenario is read by
:func:`observations_of` only, and imported for its type alone, so the report can use this module).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.scenario import Scenario

COLUMNS = ("day", "date", "nationality", "metric", "value", "low", "high", "source")
METRICS = ("returned_cumulative", "crossed_cumulative", "in_holding", "in_shelter", "waiting")
CUMULATIVE = ("returned_cumulative", "crossed_cumulative")
MODEL_COLUMNS = ("model_mean", "model_low", "model_high", "inside", "error_pct")
BAND = (5.0, 95.0)  # percentiles of the replications: the model's 90% band
MAX_PROBLEMS = 20  # problems listed before "and N more"


@dataclass(frozen=True)
class Problem:
    """One bad cell of an observed file: its line (1 = the header), column, what is wrong, the value."""

    line: int
    column: str
    message: str
    value: str | None = None

    def format(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        got = f" (got {json.dumps(self.value, ensure_ascii=False)})" if self.value is not None else ""
        return f"{where}: {self.message}{got}"


class ObservedError(ValueError):
    """An observed file cannot be used; carries every :class:`Problem` found (the CLI exits 2)."""

    def __init__(self, problems: Sequence[Problem], file: str | os.PathLike[str] | None = None) -> None:
        self.problems = list(problems)
        self.file = str(file) if file is not None else None
        prefix = f"{self.file}: " if self.file else ""
        lines = [prefix + p.format() for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"{prefix}and {len(self.problems) - MAX_PROBLEMS} more problems")
        super().__init__("\n".join(lines))


# ------------------------------------------------------------------------------------------- parsing


def _closest(value: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.5)
    return f"did you mean {close[0]}? " if close else ""


def _number(text: str, line: int, column: str, problems: list[Problem]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(line, column, "must be a number", text))
        return None
    if not math.isfinite(value) or value < 0:
        problems.append(Problem(line, column, "must be a finite number >= 0 (a count of people)", text))
        return None
    return value


def parse_observed(text: str, nationalities: Sequence[str], horizon_days: float,
                   start_date: dt.date | None = None, file: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The observed figures of a CSV text, checked against the scenario; raises :class:`ObservedError`
    naming the line, column and value of every problem. Returns the columns of :data:`COLUMNS` (``day``
    int, ``value``/``low``/``high`` float, the rest text; an empty nationality is ``""``)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [cell.strip() for cell in next(reader, [])]
    if sorted(header) != sorted(COLUMNS):
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS or header.count(c) > 1]
        details = "; ".join(filter(None, [f"missing: {', '.join(missing)}" if missing else "",
                                          f"not allowed: {', '.join(dict.fromkeys(extra))}" if extra else ""]))
        raise ObservedError([Problem(1, "", f"the columns must be exactly {','.join(COLUMNS)} ({details})",
                                     ",".join(header))], file)
    last_day = math.floor(horizon_days) - 1  # a figure of day d is the state at d + 1 <= horizon
    problems: list[Problem] = []
    rows = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(header):
            problems.append(Problem(line, "", f"has {len(cells)} fields; the header has {len(header)}"))
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells)}
        day = None
        if not re.fullmatch(r"[+-]?\d+", row["day"]):
            problems.append(Problem(line, "day", "must be a whole number of days since day 0", row["day"]))
        elif not 0 <= (day := int(row["day"])) <= last_day:
            problems.append(Problem(line, "day", f"must be between 0 and {last_day} (a figure of day d is the "
                                    f"end of that day, and the scenario runs {horizon_days:g} days)", row["day"]))
            day = None
        if row["date"]:
            try:
                date = dt.date.fromisoformat(row["date"])
            except ValueError:
                problems.append(Problem(line, "date", "must be an ISO date (YYYY-MM-DD) or empty", row["date"]))
            else:
                if start_date is not None and day is not None and (date - start_date).days != day:
                    problems.append(Problem(line, "date", f"is day {(date - start_date).days} of the scenario "
                                            f"(day 0 = {start_date.isoformat()}), but day says {day}",
                                            row["date"]))
        if row["nationality"] and row["nationality"] not in nationalities:
            problems.append(Problem(line, "nationality", "is not a nationality of the scenario; "
                                    f"{_closest(row['nationality'], nationalities)}allowed: "
                                    f"{', '.join(nationalities)}, or empty for the whole operation",
                                    row["nationality"]))
        if row["metric"] not in METRICS:
            problems.append(Problem(line, "metric", f"is not a metric; {_closest(row['metric'], METRICS)}"
                                    f"allowed: {', '.join(METRICS)}", row["metric"]))
        if not row["value"]:
            problems.append(Problem(line, "value", "is required"))
            value = None
        else:
            value = _number(row["value"], line, "value", problems)
        low = _number(row["low"], line, "low", problems) if row["low"] else value
        high = _number(row["high"], line, "high", problems) if row["high"] else value
        if value is not None and low is not None and low > value:
            problems.append(Problem(line, "low", f"must be <= value ({row['value']})", row["low"]))
        if value is not None and high is not None and high < value:
            problems.append(Problem(line, "high", f"must be >= value ({row['value']})", row["high"]))
        rows.append({**row, "day": day, "value": value, "low": low, "high": high})
    if not rows and not problems:
        problems.append(Problem(1, "", "has no figures (only a header)"))
    if problems:
        raise ObservedError(problems, file)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"day": "int64", "value": "float64", "low": "float64", "high": "float64"})


def read_observed(path: str | os.PathLike[str], nationalities: Sequence[str], horizon_days: float,
                  start_date: dt.date | None = None) -> pd.DataFrame:
    """:func:`parse_observed` of a file (UTF-8); a missing or unreadable file is an :class:`ObservedError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = "file not found" if isinstance(error, FileNotFoundError) else f"cannot read the file: {error}"
        raise ObservedError([Problem(0, "", reason)], path) from None
    return parse_observed(text, nationalities, horizon_days, start_date, path)


def observations_of(scenario: Scenario, path: str | os.PathLike[str] | None = None) -> pd.DataFrame | None:
    """The figures of ``path`` (default: the scenario's ``[scenario] observed``), checked against the scenario
    (its nationalities, horizon and start date); None when neither names a file."""
    path = path if path is not None else scenario.scenario.observed
    if path is None:
        return None
    return read_observed(path, list(scenario.nationalities), scenario.horizon_days, scenario.scenario.start_date)


# ------------------------------------------------------------------------------------ the model's side


def daily_curves(victims: pd.DataFrame, replications: Sequence[int] | np.ndarray, days: int,
                 nationality: str = "") -> dict[str, np.ndarray]:
    """Every metric at the end of each day ``0 .. days - 1``, per replication (rows, in the order of
    ``replications``) of the victims table (``nationality`` "" = everyone).

    Vectorised: a stamp ``t`` counts by the end of day ``d`` when ``t < d + 1``, i.e. ``floor(t) <= d``; the
    stamps are binned by (replication, floor(t)) with one ``bincount`` and summed along the days."""
    if nationality:
        victims = victims[victims["nationality"].to_numpy() == nationality]
    reps = np.asarray(replications)
    rep_index = np.searchsorted(reps, victims["replication"].to_numpy())
    crossed = victims["crossed"].to_numpy(dtype=float)
    departed = victims["departed"].to_numpy(dtype=float)
    from_holding = np.isnan(crossed)  # who leaves (returned or lost) without having crossed leaves holding

    def by_day(times: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            day = np.floor(times)
            keep = np.isfinite(day) & (day >= 0) & (day < days)
        if where is not None:
            keep &= where
        cells = rep_index[keep] * days + day[keep].astype(np.intp)
        return np.bincount(cells, minlength=len(reps) * days).reshape(len(reps), days).cumsum(axis=1)

    arrived = by_day(victims["arrived"].to_numpy(dtype=float))
    crossed_by = by_day(crossed)
    left_holding = by_day(departed, from_holding)
    left_shelter = by_day(departed, ~from_holding)
    return {
        "returned_cumulative": by_day(departed, victims["status"].to_numpy() == "returned"),
        "crossed_cumulative": crossed_by,
        "in_holding": arrived - crossed_by - left_holding,
        "in_shelter": crossed_by - left_shelter,
        "waiting": arrived - left_holding - left_shelter,
    }


def _replications(victims: pd.DataFrame, replications: Sequence[int] | None) -> np.ndarray:
    if replications is not None:
        return np.sort(np.asarray(list(replications)))
    return np.unique(victims["replication"].to_numpy())


def model_values(victims: pd.DataFrame, observations: pd.DataFrame,
                 replications: Sequence[int] | None = None) -> np.ndarray:
    """The model's value of every observed figure in every replication: an array replications x figures
    (replications sorted; default: those in the victims table)."""
    reps = _replications(victims, replications)
    out = np.full((len(reps), len(observations)), np.nan)
    if not len(observations):
        return out
    days = int(observations["day"].max()) + 1
    nationality = observations["nationality"].to_numpy()
    metric = observations["metric"].to_numpy()
    day = observations["day"].to_numpy()
    for panel in dict.fromkeys(nationality):  # a few panels: the victims are handled as arrays
        curves = daily_curves(victims, reps, days, panel)
        for name in dict.fromkeys(metric[nationality == panel]):
            rows = np.flatnonzero((nationality == panel) & (metric == name))
            out[:, rows] = curves[name][:, day[rows]]
    return out


def record_table(observations: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
    """record.csv: the observed figures with the model's mean, 90% band, ``inside`` and ``error_pct``
    (``values``: replications x figures, from :func:`model_values`)."""
    table = observations.loc[:, list(COLUMNS)].reset_index(drop=True)
    values = np.asarray(values, dtype=float).reshape(-1, len(table))
    if values.shape[0] == 0:
        mean = low = high = np.full(len(table), np.nan)
    else:
        mean = values.mean(axis=0)
        low, high = np.percentile(values, BAND, axis=0)
    observed = table["value"].to_numpy(dtype=float)
    table["model_mean"], table["model_low"], table["model_high"] = mean, low, high
    table["inside"] = (table["low"].to_numpy() <= high) & (table["high"].to_numpy() >= low)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["error_pct"] = np.where(observed > 0, 100.0 * (mean - observed) / observed, np.nan)
    return table


def score(table: pd.DataFrame) -> dict[str, float]:
    """The record's score: ``figures``, ``inside_share`` (share of figures whose range meets the band),
    ``mape`` (median absolute % error) and ``bias`` (median signed % error of the cumulative figures;
    positive = the model is ahead). NaN where there is nothing to take the median of."""
    error = table["error_pct"].to_numpy(dtype=float)
    cumulative = error[table["metric"].isin(CUMULATIVE).to_numpy() & np.isfinite(error)]
    finite = error[np.isfinite(error)]
    return {
        "figures": float(len(table)),
        "inside_share": float(table["inside"].astype(bool).mean()) if len(table) else math.nan,
        "mape": float(np.median(np.abs(finite))) if len(finite) else math.nan,
        "bias": float(np.median(cumulative)) if len(cumulative) else math.nan,
    }


def panels(table: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """The figure's panels: the whole operation ("") first, then each nationality with figures, each with
    the metrics observed in it (the whole operation's panel shows every observed metric when the record
    has no whole-operation figure)."""
    order = [n for n in dict.fromkeys(table["nationality"]) if n]
    whole = table[table["nationality"] == ""]
    out = [("", [m for m in METRICS if m in set((whole if len(whole) else table)["metric"])])]
    for name in order:
        observed = set(table.loc[table["nationality"] == name, "metric"])
        out.append((name, [m for m in METRICS if m in observed]))
    return out


def model_bands(victims: pd.DataFrame, table: pd.DataFrame, days: int,
                replications: Sequence[int] | None = None) -> pd.DataFrame:
    """The model's mean and 90% band over days ``0 .. days - 1`` for each panel and metric of
    :func:`panels`: columns ``nationality, metric, day, mean, low, high``."""
    reps = _replications(victims, replications)
    frames = []
    for nationality, metrics in panels(table):
        curves = daily_curves(victims, reps, days, nationality)
        for metric in metrics:
            values = curves[metric].astype(float)
            low, high = np.percentile(values, BAND, axis=0) if len(reps) else (np.nan, np.nan)
            frames.append(pd.DataFrame({"nationality": nationality, "metric": metric, "day": np.arange(days),
                                        "mean": values.mean(axis=0) if len(reps) else np.nan,
                                        "low": low, "high": high}))
    columns = ["nationality", "metric", "day", "mean", "low", "high"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def read_record(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A stored record.csv, with empty text cells as "" (not NaN)."""
    table = pd.read_csv(path, dtype={"date": str, "nationality": str, "metric": str, "source": str})
    for column in ("date", "nationality", "source"):
        table[column] = table[column].fillna("")
    table["inside"] = table["inside"].astype(str).str.lower() == "true"
    return table


# ---------------------------------------------------------------------------------------------- text


def _num(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:,.0f}"


def format_table(table: pd.DataFrame) -> str:
    """The record as a compact text table, one figure a line."""
    head = ("day", "nationality", "metric", "observed [low-high]", "model mean [90% band]", "inside", "error")
    rows = [head]
    for r in table.itertuples(index=False):
        seen = _num(r.value) + ("" if r.low == r.value == r.high else f" [{_num(r.low)}-{_num(r.high)}]")
        error = "–" if not math.isfinite(r.error_pct) else f"{r.error_pct:+.0f}%"
        rows.append((str(r.day), r.nationality or "all", r.metric, seen,
                     f"{_num(r.model_mean)} [{_num(r.model_low)}-{_num(r.model_high)}]",
                     "yes" if r.inside else "NO", error))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    right = {0, 3, 4, 6}
    return "\n".join("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows)


def format_score(result: dict[str, float], replications: int) -> str:
    """The score in plain words."""
    figures = int(result["figures"])
    inside = round(result["inside_share"] * figures) if figures else 0
    lines = [f"Score against {figures} reported figure{'s' if figures != 1 else ''} ({replications} replications):",
             f"  inside the model's 90% band: {inside} of {figures} ({result['inside_share']:.0%})"]
    mape, bias = result["mape"], result["bias"]
    lines.append("  median absolute error: " + ("–" if math.isnan(mape) else f"{mape:.1f}%"))
    if not math.isnan(bias):
        side = "ahead of" if bias > 0 else "behind" if bias < 0 else "level with"
        lines.append(f"  bias of the cumulative counts (median signed error): {bias:+.1f}% "
                     f"(the model is {side} the record)")
    return "\n".join(lines)
