"""Ranges of assumed numbers (``KEY_range``, ``[ranges]``) and ``repatsim compare --robustness``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, dump_scenario, load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------ the syntax


def _raw(tiny_scenario_text: str) -> dict:
    return tomllib.loads(tiny_scenario_text)


def test_siblings_and_the_table_land_in_ranges_by_dotted_path(tiny_scenario_text):
    raw = _raw(tiny_scenario_text)
    raw["exposure"]["crowding_factor_range"] = [0.2, 1.5]
    raw["stages"]["screening"]["duration"]["mean_range"] = ["30min", "2h"]
    raw["ranges"] = {"sites.holding.hazard_per_day": [0.0001, 0.01],
                     "nationalities.Kazakhstan.consular.officers": [1, 4]}
    scenario = scenario_from_dict(raw)
    assert scenario.ranges == {"exposure.crowding_factor": (0.2, 1.5),
                               "stages.screening.duration.mean": (30 * (1 / 1440), 2 * (1 / 24)),
                               "sites.holding.hazard_per_day": (0.0001, 0.01),
                               "nationalities.Kazakhstan.consular.officers": (1, 4)}
    assert scenario.exposure.crowding_factor == 0.5  # the value itself is untouched


def test_the_resolved_scenario_keeps_its_ranges_and_reads_back_equal(tiny_scenario_text):
    raw = _raw(tiny_scenario_text)
    raw["exposure"]["crowding_factor_range"] = [0.2, 1.5]
    raw["nationalities"]["Kyrgyzstan"]["transport"]["seats_range"] = [10, 30]
    scenario = scenario_from_dict(raw)
    text = dump_scenario(scenario)
    assert "[ranges]" in text and '"nationalities.Kyrgyzstan.transport.seats"' in text
    assert scenario_from_dict(tomllib.loads(text)) == scenario


def test_a_scenario_without_ranges_dumps_as_before(tiny_scenario_text):
    assert "ranges" not in dump_scenario(scenario_from_dict(_raw(tiny_scenario_text)))


def test_a_variant_inherits_its_bases_ranges_and_may_restate_one(tmp_path, tiny_scenario_text, write_toml):
    text = tiny_scenario_text.replace("crowding_factor = 0.5",
                                      "crowding_factor = 0.5\ncrowding_factor_range = [0.2, 1]")
    write_toml(tmp_path, "base.toml", text)
    variant = write_toml(tmp_path, "variant.toml", 'extends = "base.toml"\n[scenario]\nname = "v"\n'
                         '[ranges]\n"sites.holding.hazard_per_day" = [0.0005, 0.002]\n')
    assert load_scenario(variant).ranges == {"exposure.crowding_factor": (0.2, 1),
                                             "sites.holding.hazard_per_day": (0.0005, 0.002)}
    restated = write_toml(tmp_path, "restated.toml", 'extends = "base.toml"\n[scenario]\nname = "r"\n'
                          "[exposure]\ncrowding_factor_range = [0.4, 0.6]\n")
    assert load_scenario(restated).ranges == {"exposure.crowding_factor": (0.4, 0.6)}


def test_quoted_names_make_paths_that_set_reads_back(tiny_scenario_text):
    raw = _raw(tiny_scenario_text)
    raw["nationalities"]["Sri Lanka"] = raw["nationalities"].pop("Kyrgyzstan")
    raw["nationalities"]["Sri Lanka"]["transport"]["seats_range"] = [10, 30]
    scenario = scenario_from_dict(raw)
    assert list(scenario.ranges) == ['nationalities."Sri Lanka".transport.seats']
    assert scenario_from_dict(raw, {'nationalities."Sri Lanka".transport.seats': 10}).nationalities[
        "Sri Lanka"].transport.seats == 10


@pytest.mark.parametrize(("edit", "shown"), [
    (lambda r: r["exposure"].update(crowding_factor_range=[2, 1]),
     "exposure.crowding_factor_range: low must not be above high: write [low, high] (got [2, 1])"),
    (lambda r: r["exposure"].update(crowding_factor_range=[2]),
     "exposure.crowding_factor_range: must be [low, high]: two numbers"),
    (lambda r: r["exposure"].update(crowding_factor_range=["a", "b"]),
     "exposure.crowding_factor_range: must be [low, high]"),
    (lambda r: r["exposure"].update(limbo_growth_range=[0, 1]),
     "exposure.limbo_growth_range: is a range for exposure.limbo_growth, which is not set (got [0, 1])"),
    (lambda r: r.update(ranges={"stages.identity.duration": [0, 1]}),
     'ranges."stages.identity.duration": stages.identity.duration is not a number'),
    (lambda r: r["crossing"].update(admission_range=[0, 1]),
     'crossing.admission is not a number (it is "travel_arranged")'),
    (lambda r: r.update(ranges={"stages.registration.staff": [1.5, 3]}),
     "must be whole numbers, as stages.registration.staff is (got [1.5, 3])"),
    (lambda r: r.update(ranges={"stages.registration.nope": [1, 3]}),
     "names stages.registration.nope, which is not set in this scenario"),
    (lambda r: r["arrivals"]["waves"][0].update(count_range=[50, 150]),
     "arrivals.waves[0].count_range: a number inside a list cannot carry a range"),
], ids=["low>high", "one-end", "words", "unset", "distribution", "string", "whole", "unknown", "list"])
def test_a_bad_range_names_the_field_the_value_and_what_is_allowed(tiny_scenario_text, edit, shown):
    raw = _raw(tiny_scenario_text)
    edit(raw)
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(raw)
    assert shown in str(error.value)


def test_validate_exits_2_on_a_bad_range(tmp_path, tiny_scenario_text, write_toml, capsys):
    path = write_toml(tmp_path, "bad.toml", tiny_scenario_text.replace(
        "crowding_factor = 0.5", "crowding_factor = 0.5\ncrowding_factor_range = [1, 0.2]"))
    assert main(["validate", str(path)]) == 2
    assert "crowding_factor_range: low must not be above high" in capsys.readouterr().err
