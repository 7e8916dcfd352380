"""The report's assumptions table lists what a scenario changes from the model's defaults."""

from __future__ import annotations

import json
from pathlib import Path

from sim.cli import main
from sim.scenario import non_default_keys, scenario_from_dict

MINIMAL = {
    "scenario": {"name": "M", "horizon_days": 10},
    "arrivals": {"waves": [{"day": 0, "count": 5}]},
    "nationalities": {"A": {"count": 5}},
}


def test_minimal_scenario_assumes_only_what_it_sets() -> None:
    keys = non_default_keys(scenario_from_dict(MINIMAL))
    assert sorted(keys) == sorted(["scenario.name", "scenario.horizon_days", "arrivals.waves",
                                   "nationalities.A.count"])


def test_changed_values_are_listed_and_values_equal_to_defaults_are_not() -> None:
    raw = {**MINIMAL, "crossing": {"daily_capacity": 500, "admission": "open"},
           "nationality_defaults": {"consular": {"officers": 3}}}
    keys = set(non_default_keys(scenario_from_dict(raw)))
    assert "crossing.daily_capacity" in keys
    assert "crossing.admission" not in keys  # written, but equal to the default
    assert {"nationality_defaults.consular.officers", "nationalities.A.consular.officers"} <= keys


def test_report_shows_assumptions_first(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('[scenario]\nname = "Assume"\nhorizon_days = 10\n[arrivals]\nwaves = [{ day = 0, count = 5 }]\n'
                        '[crossing]\ndaily_capacity = 123\ndaily_capacity_source = "R4: the bridge"\n'
                        '[nationalities.A]\ncount = 5\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-o", str(out), "-r", "2", "-q"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert "crossing.daily_capacity" in manifest["scenarios"][0]["non_default_keys"]
    html = (out / "report.html").read_text()
    folded = html.index("<details>")
    assert html.index("crossing.daily_capacity") < folded  # an assumption, shown up front
    assert "R4: the bridge" in html
    assert html.index("sites.holding.hazard_per_day") > folded  # a default, folded away
