"""Ranges of assumed numbers (``KEY_range``, ``[ranges]``) and ``repatsim compare --robustness``."""

from __future__ import annotations

import contextlib
import io
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.decisions.robustness import plan_robustness
from sim.decisions.sentences import End, judge, variant_paragraph
from sim.results.metrics import HEADLINE_METRICS
from sim.scenario import ScenarioError, dump_scenario, load_scenario, scenario_from_dict, scenario_to_dict
from sim.scenario.errors import key_parts, lookup

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


# --------------------------------------------------------------------------------------------- sentences


def _end(key: str, end: str, value: float, base_value: float, mean: float, half: float = 0.1) -> End:
    return End(key, end, value, base_value, mean, mean - half, mean + half)


def test_a_difference_of_one_sign_everywhere_holds():
    key = "sites.holding.hazard_per_day"
    verdict = judge("limbo_days_mean", -5.0, -6.0, -4.0, [_end(key, "low", 1e-4, 5e-4, -4.0),
                                                          _end(key, "high", 1e-3, 5e-4, -6.0)])
    assert verdict.status == "holds"
    assert verdict.sentence("Shared database") == ("Shared database cuts mean days in limbo under every assumption "
                                                   "tested.")


def test_a_sign_change_names_the_assumption_and_where_it_crosses_zero():
    # +2 at the baseline value 0.15, -3 at 0.05: the line through them crosses zero at 0.15 - 0.1 * 2/5 = 0.11
    ends = [_end("exposure.after_return_unscreened", "low", 0.05, 0.15, -3.0),
            _end("exposure.after_return_unscreened", "high", 0.25, 0.15, 6.0)]
    verdict = judge("expected_retrafficked", 2.0, 1.5, 2.5, ends)
    assert verdict.status == "changes sign"
    assert verdict.clause == ("raises expected re-trafficking under the baseline assumptions, but its effect changes "
                              "sign when the after-return risk of unscreened people (exposure.after_return_unscreened) "
                              "is below about 0.11")


def test_a_reversal_within_noise_may_change_sign_and_weak_ends_hold_in_direction():
    ends = [_end("crossing.daily_capacity", "low", 200, 500, 0.5, half=1.0),
            _end("crossing.daily_capacity", "high", 500, 500, -2.0)]
    assert judge("cost_total", -2.0, -2.5, -1.5, ends).status == "may change sign"
    ends[0] = _end("crossing.daily_capacity", "low", 200, 500, -0.5, half=1.0)
    verdict = judge("cost_total", -2.0, -2.5, -1.5, ends)
    assert verdict.status == "holds in direction"
    assert "within noise under the crossing's daily capacity (crossing.daily_capacity) at its low end" in verdict.clause


def test_no_clear_effect_at_the_baseline_says_where_the_assumptions_give_one():
    ends = [_end("exposure.after_return_unscreened", "low", 0.05, 0.15, -40.0, half=5),
            _end("exposure.after_return_unscreened", "high", 0.25, 0.15, 41.0, half=5),
            _end("sites.holding.hazard_per_day", "high", 0.001, 0.0005, -18.0, half=5),
            _end("crossing.daily_capacity", "low", 200, 500, 2.0, half=5)]
    verdict = judge("expected_retrafficked", 0.3, -9.0, 9.6, ends)
    assert verdict.status == "changes sign"
    assert verdict.clause == (
        "has no clear effect on expected re-trafficking under the baseline assumptions, but raises it when the "
        "after-return risk of unscreened people (exposure.after_return_unscreened) is at its high end (0.25), and "
        "cuts it when the after-return risk of unscreened people (exposure.after_return_unscreened) is at its low end "
        "(0.05) or when the daily hazard in holding (sites.holding.hazard_per_day) is at its high end (0.001)")
    assert judge("expected_retrafficked", 0.3, -9.0, 9.6, ends[1:2]).status == "depends on the assumptions"


def test_nothing_significant_is_no_clear_effect_and_no_value_is_not_defined():
    nan = float("nan")
    assert judge("still_waiting", 0.1, -1, 1, [_end("k", "low", 0, 1, 0.2, half=1)]).status == "no clear effect"
    assert judge("home_by_day_60_share", nan, nan, nan, [_end("k", "low", 0, 1, nan)]).status == "not defined"


def test_a_paragraph_groups_what_holds_by_verb():
    holds_down = judge("limbo_days_mean", -5, -6, -4, [])
    holds_up = judge("cost_total", 5, 4, 6, [])
    none = judge("still_waiting", 0, -1, 1, [])
    text = variant_paragraph("Variant", [("limbo_days_mean", holds_down), ("limbo_days_p90", holds_down),
                                         ("cost_total", holds_up), ("still_waiting", none)])
    assert text == ("Variant cuts mean days in limbo and the days in limbo of the slowest 10%, and raises the total "
                    "cost under every assumption tested; it has no clear effect on the number still waiting at the "
                    "horizon under any assumption tested.")


# ---------------------------------------------------------------------------------------------- the runs

RANGED = {"hazard_per_day = 0.001": "hazard_per_day = 0.001\nhazard_per_day_range = [0.0002, 0.004]",
          "[stages.screening]\npolicy = \"full\"\nstaff = 2": "[stages.screening]\npolicy = \"full\"\nstaff = 2\n"
                                                            "staff_range = [1, 3]"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    from conftest import TINY_SCENARIO

    folder = tmp_path_factory.mktemp("robustness")
    text = TINY_SCENARIO
    for old, new in RANGED.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "base.toml").write_text(text, encoding="utf-8")
    (folder / "variant.toml").write_text('extends = "base.toml"\n[scenario]\nname = "More screening"\n'
                                         "[stages.screening]\nstaff = 6\n[database]\nshared = true\n",
                                         encoding="utf-8")
    return folder / "base.toml", folder / "variant.toml"


@pytest.fixture(scope="module")
def robust(pair) -> tuple[int, str, Path]:
    out = pair[0].parent / "out"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["compare", str(pair[0]), str(pair[1]), "-r", "3", "--robustness", "-o", str(out), "-q"])
    return status, buffer.getvalue(), out


def test_compare_robustness_writes_the_table_the_verdicts_and_a_tornado_per_headline_difference(robust):
    status, _, out = robust
    assert status == 0
    table = pd.read_csv(out / "robustness" / "robustness.csv")
    assert len(table) == (1 + 2 * 2) * len(HEADLINE_METRICS)  # the baseline, then two ranges at two ends
    assert set(table["end"]) == {"base", "low", "high"}
    assert set(table[table["metric"] == "limbo_days_mean"]["n"]) == {3}
    summary = pd.read_csv(out / "robustness" / "robustness_summary.csv")
    assert list(summary["metric"]) == list(HEADLINE_METRICS)
    assert summary["sentence"].str.startswith("More screening ").all()
    assert len(list((out / "robustness").glob("tornado_more-screening_*.png"))) == len(HEADLINE_METRICS)


def test_the_baseline_row_is_the_comparisons_own_difference(robust):
    _, _, out = robust
    table = pd.read_csv(out / "robustness" / "robustness.csv")
    comparison = pd.read_csv(out / "comparison.csv").set_index(["metric", "scenario"])
    base = table[table["end"] == "base"].set_index("metric")
    assert base.loc["limbo_days_mean", "diff_mean"] == pytest.approx(
        comparison.loc[("limbo_days_mean", "More screening"), "diff_mean"])


def test_the_same_assumption_moves_in_both_worlds_but_a_policy_lever_is_held(robust):
    _, _, out = robust
    table = pd.read_csv(out / "robustness" / "robustness.csv")
    hazard = table[table["key"] == "sites.holding.hazard_per_day"]
    staff = table[table["key"] == "stages.screening.staff"]
    assert set(hazard["scenario_setting"]) == {"same"}
    assert set(staff["scenario_setting"]) == {"held at its own value, 6"}
    high = hazard[(hazard["end"] == "high") & (hazard["metric"] == "expected_retrafficked")].iloc[0]
    base = table[(table["end"] == "base") & (table["metric"] == "expected_retrafficked")].iloc[0]
    assert high["reference_mean"] > base["reference_mean"]  # a higher hazard in the reference's world too


def test_the_sentences_are_printed_and_the_report_has_the_section(robust):
    status, printed, out = robust
    assert "Robustness: 2 ranged assumptions of the reference" in printed
    assert "More screening cuts" in printed and "under every assumption tested" in printed
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="robustness"' in html and "Tornado charts, one per headline difference (9)" in html
    assert json.loads((out / "manifest.json").read_text())["robustness"]["settings"] == 4


def test_robustness_needs_ranges_and_a_comparison(tmp_path, tiny_scenario_text, write_toml, pair, capsys):
    plain = write_toml(tmp_path, "plain.toml", tiny_scenario_text)
    assert main(["compare", str(plain), str(pair[1]), "--robustness", "-o", str(tmp_path / "a"), "-q"]) == 2
    assert "gives no ranges: add KEY_range = [low, high]" in capsys.readouterr().err
    assert main(["compare", str(pair[0]), "--robustness", "-o", str(tmp_path / "b"), "-q"]) == 2
    assert "--robustness: needs a comparison" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_range_end_a_scenario_refuses_exits_2_before_anything_runs(tmp_path, tiny_scenario_text, write_toml, capsys):
    text = tiny_scenario_text.replace("crowding_factor = 0.5", "crowding_factor = 0.5\nafter_return_unscreened = 0.1"
                                      "\nafter_return_unscreened_range = [0.05, 1.5]")
    base = write_toml(tmp_path, "base.toml", text)
    variant = write_toml(tmp_path, "v.toml", 'extends = "base.toml"\n[scenario]\nname = "v"\n')
    assert main(["compare", str(base), str(variant), "--robustness", "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "ranges.exposure.after_return_unscreened: at its high end (1.5)" in err
    assert not (tmp_path / "out").exists()


def test_a_variant_with_a_range_of_its_own_takes_its_own_ends(pair, tmp_path):
    own = tmp_path / "own.toml"
    own.write_text(f'extends = "{pair[0]}"\n[scenario]\nname = "own"\n[stages.screening]\nstaff = 6\n'
                   "staff_range = [5, 8]\n", encoding="utf-8")
    plan = plan_robustness([pair[0], own], [load_scenario(pair[0]), load_scenario(own)], [])
    staff = [s for s in plan.settings if s.key == "stages.screening.staff"]
    assert [s.used[1] for s in staff] == ["own range: 5", "own range: 8"]
    assert [s.scenarios[1].stages.screening.staff for s in staff] == [5, 8]
    assert [s.scenarios[0].stages.screening.staff for s in staff] == [1, 3]


# ------------------------------------------------------------------------------------- the baseline's ranges

DEMO = [ROOT / "scenarios" / f for f in ("myanmar_thailand_2025.toml", "pre_agreed_sops.toml", "shared_database.toml",
                                         "safe_fund.toml", "rapid_response_nrm.toml", "all_recommendations.toml")]


def test_the_baselines_assumptions_carry_ranges_that_hold_their_values():
    baseline = load_scenario(DEMO[0])
    resolved = scenario_to_dict(baseline)
    assert len(baseline.ranges) >= 10
    for key, (low, high) in baseline.ranges.items():
        found, value = lookup(resolved, key_parts(key))
        assert found and low <= value <= high, key
    assert "exposure.after_return_unscreened" in baseline.ranges and "sites.bgf_camp.release_per_day" in baseline.ranges


def test_every_range_end_builds_in_the_demo_scenarios():
    files = [DEMO[0], DEMO[2], DEMO[3]]  # the baseline, the shared database, the safe fund
    scenarios = [load_scenario(f) for f in files]
    plan = plan_robustness(files, scenarios, [])
    assert len(plan.settings) == 2 * len(scenarios[0].ranges)
    assert all(u == "same" for s in plan.settings for u in s.used[:2])  # the database changes no ranged key
    safe_fund = [s.used[2] for s in plan.settings if s.key.endswith("unfunded_share")]
    assert safe_fund and all(u.startswith("held at its own value, 0.0") for u in safe_fund)  # its policy
