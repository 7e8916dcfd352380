"""Scenario loading: durations, extends, overrides, round trips, robustness, capacity warnings."""

from __future__ import annotations

import copy
import datetime as dt
import math
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import (
    Scenario,
    ScenarioError,
    capacity_warnings,
    dump_scenario,
    load_scenario,
    scenario_from_dict,
)
from sim.scenario.distributions import Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform
from sim.scenario.units import parse_duration

MINUTE, HOUR = 1 / 1440, 1 / 24
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny_raw(tiny_scenario_text):
    return tomllib.loads(tiny_scenario_text)


def _set(data: dict, path: str, value) -> dict:
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return data


# ------------------------------------------------------------------------------------------ durations


@pytest.mark.parametrize(("text", "days"), [
    ("45min", 45 / 1440),
    ("6h", 0.25),
    ("2d", 2.0),
    ("1w", 7.0),
    ("90min", 1.5 / 24),
    ("0.5d", 0.5),
    ("1.5w", 10.5),
    ("36h", 1.5),
    ("0min", 0.0),
    (" 3 d ", 3.0),
])
def test_duration_strings_become_days(text, days):
    assert parse_duration(text) == pytest.approx(days, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("number", [0, 3, 0.5, 2.25, 10_000])
def test_duration_numbers_stay_days(number):
    assert parse_duration(number) == number


@pytest.mark.parametrize("text", ["3m", "2 days", "5y", "2D", "1.5hr", "h", "", "d2", "1d2h", "-1d", "1e3d",
                                  "two days", "3 mins", "45 minutes", "2dd"])
def test_bad_duration_strings_are_rejected(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_durations_are_rejected(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def test_durations_in_a_scenario_are_days(tiny_raw):
    s = scenario_from_dict(tiny_raw)
    assert s.stages.registration.duration == Fixed(value=10 * MINUTE)
    assert s.stages.identity.duration.median == pytest.approx(40 * MINUTE, rel=1e-12)
    assert s.stages.identity.duration.p90 == pytest.approx(2 * HOUR, rel=1e-12)
    rd = s.stages.identity.records_delay
    assert (rd.min, rd.mode, rd.max) == (2.0, 5.0, 14.0)
    assert s.stages.documents.duration.mean() == pytest.approx(30 * MINUTE, rel=1e-12)
    kz = s.nationalities["Kazakhstan"]
    assert (kz.consular.deploy_delay.min, kz.consular.deploy_delay.max) == (20.0, 45.0)
    assert kz.funding.appeal_delay == Fixed(value=21.0)
    assert s.nationalities["Kyrgyzstan"].transport.interval == 7.0


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("nationalities.Kazakhstan.consular.on_site_days", "2w", 14.0),
    ("nationalities.Kazakhstan.consular.off_site_days", "36h", 1.5),
    ("exposure.limbo_grace_days", "1w", 7.0),
    ("exposure.limbo_grace_days", 12, 12.0),
    ("arrivals.rate_until_day", "4w", 28.0),
])
def test_plain_duration_fields_accept_units(tiny_raw, path, value, expected):
    s = scenario_from_dict(_set(tiny_raw, path, value))
    node = s
    for part in path.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    assert node == pytest.approx(expected)


@pytest.mark.parametrize("text", ["3m", "2 days", "5y"])
def test_bad_units_in_a_scenario_name_the_key(tiny_raw, text):
    raw = _set(tiny_raw, "nationalities.Kazakhstan.consular.deploy_delay.max", text)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    assert [i.path for i in info.value.issues] == ["nationalities.Kazakhstan.consular.deploy_delay.max"]
    assert info.value.issues[0].value == text


# --------------------------------------------------------------------------------- defaults, semantics


def test_nationality_defaults_fill_nationalities(tiny_raw):
    s = scenario_from_dict(tiny_raw)
    kg = s.nationalities["Kyrgyzstan"]
    kz = s.nationalities["Kazakhstan"]
    assert kg.consular.officers == 3  # from [nationality_defaults.consular]
    assert kg.consular.deploy_delay == Uniform(dist="uniform", min=5.0, max=10.0)
    assert kg.consular.represented_by == "Kazakhstan"
    assert kz.consular.officers == 2  # its own value wins
    assert kz.consular.deploy_delay == Uniform(dist="uniform", min=20.0, max=45.0)
    assert s.team_of("Kyrgyzstan") == "Kazakhstan" and s.team_of("Kazakhstan") == "Kazakhstan"


def test_distribution_in_nationality_replaces_the_default_one(tiny_raw):
    raw = _set(tiny_raw, "nationalities.Kyrgyzstan.consular.deploy_delay", {"dist": "fixed", "value": "3d"})
    assert scenario_from_dict(raw).nationalities["Kyrgyzstan"].consular.deploy_delay == Fixed(value=3.0)
    raw = _set(tiny_raw, "nationalities.Kyrgyzstan.consular.deploy_delay", "12h")
    assert scenario_from_dict(raw).nationalities["Kyrgyzstan"].consular.deploy_delay == Fixed(value=0.5)


def test_defaults_of_the_design(tiny_raw):
    raw = {"scenario": {"name": "bare", "horizon_days": 10}, "arrivals": {"rate_per_day": 1.0},
           "nationalities": {"A": {"share": 1.0}}}
    s = scenario_from_dict(raw)
    assert s.pipeline == ("registration", "identity", "crossing", "health", "screening", "documents", "transport")
    assert s.scenario.seed == 0 and s.scenario.replications == 10 and s.scenario.description == ""
    assert s.sites["holding"].capacity is None and s.crossing.admission == "open"
    assert s.database.shared is False and s.database.remote_stages == ("identity", "health", "documents")
    assert s.stages.screening.policy == "full" and s.stages.health.requires_consular_presence is False
    assert s.exposure.mode == "sampled" and s.exposure.limbo_grace_days == 30
    assert s.nationalities["A"].funding.mode == "safe_fund"
    assert s.nationalities["A"].consular.officers == 1
    assert s.is_connected("A") is False


def test_connected_follows_the_database_unless_overridden(tiny_raw):
    _set(tiny_raw, "database.shared", True)
    _set(tiny_raw, "nationalities.Kyrgyzstan.connected", False)
    s = scenario_from_dict(tiny_raw)
    assert s.is_connected("Kazakhstan") is True
    assert s.is_connected("Kyrgyzstan") is False


def test_sources_are_gathered(tiny_raw, tmp_path, write_toml):
    _set(tiny_raw, "sites.holding.capacity_source", "UNODC 2025 brief, p. 3")
    _set(tiny_raw, "nationalities.Kazakhstan.count_source", "MFA statement")
    _set(tiny_raw, "stages.identity.duration.median_source", "interview with officer")
    _set(tiny_raw, "sources", {"crossing.daily_capacity": "Thai MoI"})
    s = scenario_from_dict(tiny_raw)
    assert s.sources == {
        "sites.holding.capacity": "UNODC 2025 brief, p. 3",
        "nationalities.Kazakhstan.count": "MFA statement",
        "stages.identity.duration.median": "interview with officer",
        "crossing.daily_capacity": "Thai MoI",
    }
    assert s.sites["holding"].capacity == 500


# -------------------------------------------------------------------------------------------- round trip


def test_dump_and_load_round_trip(tiny_raw, tmp_path, write_toml):
    _set(tiny_raw, "sites.holding.capacity_source", "UNODC")
    _set(tiny_raw, "sources", {"crossing.daily_capacity": "Thai MoI"})
    _set(tiny_raw, "stages.screening", {"policy": "rapid", "staff": "unlimited",
                                        "duration": {"dist": "empirical", "values": ["1h", "2h", 0.5]}})
    _set(tiny_raw, "sites.shelter", {"capacity": 40, "overflow": True, "max_stay": "12h"})
    _set(tiny_raw, "stages.health.duration_with_database", {"dist": "fixed", "value": "2min"})
    _set(tiny_raw, "nationalities.Kazakhstan.consular.on_site_days", "3w")
    _set(tiny_raw, "nationalities.Kazakhstan.consular.off_site_days", "1w")
    s = scenario_from_dict(tiny_raw)
    text = dump_scenario(s)
    path = write_toml(tmp_path, "resolved.toml", text)
    again = load_scenario(path)
    assert again == s
    assert isinstance(again, Scenario)
    assert again.scenario.start_date == dt.date(2025, 2, 12)
    assert again.sources["sites.holding.capacity"] == "UNODC"
    # and the dump is stable
    assert dump_scenario(again) == text


def test_round_trip_of_every_distribution_kind(tiny_raw, tmp_path, write_toml):
    kinds = {
        "registration": {"dist": "fixed", "value": "5min"},
        "identity": {"dist": "lognormal", "median": "40min", "p90": "2h"},
        "health": {"dist": "triangular", "min": "3min", "mode": "5min", "max": "10min"},
        "screening": {"dist": "gamma", "mean": "1h", "cv": 0.7},
        "documents": {"dist": "exponential", "mean": "30min"},
        "crossing": {"dist": "uniform", "min": "1min", "max": "9min"},
    }
    for stage, dist in kinds.items():
        _set(tiny_raw, f"stages.{stage}.duration", dist)
    s = scenario_from_dict(tiny_raw)
    assert isinstance(s.stages.crossing.duration, Uniform)
    assert isinstance(s.stages.documents.duration, Exponential)
    assert isinstance(s.stages.screening.duration, Gamma)
    text = dump_scenario(s)
    # the resolved file uses the keys a user writes (mean, not an internal field name)
    assert "mean_" not in text
    dumped = tomllib.loads(text)["stages"]
    assert dumped["documents"]["duration"] == {"dist": "exponential", "mean": pytest.approx(30 / 1440)}
    assert dumped["screening"]["duration"] == {"dist": "gamma", "mean": pytest.approx(1 / 24), "cv": 0.7}
    again = load_scenario(write_toml(tmp_path, "resolved.toml", text))
    assert again == s


# ------------------------------------------------------------------------------ extends and overrides

CHILD = """\
extends = "base.toml"

[scenario]
name = "Pre-agreed SOPs"

[database]
shared = true

[nationality_defaults.consular]
officers = 4

[nationalities.Kazakhstan.consular]
mode = "pre_agreed"
deploy_delay = { dist = "fixed", value = "2d" }
"""


def _flat_equivalent(tiny_text: str) -> str:
    """The child file above, written out by hand as one flat file."""
    text = tiny_text.replace('name = "tiny"', 'name = "Pre-agreed SOPs"')
    text = text.replace("[database]\nshared = false", "[database]\nshared = true")
    text = text.replace("mode = \"ad_hoc\"\nofficers = 3", "mode = \"ad_hoc\"\nofficers = 4")
    text = text.replace(
        'consular = { mode = "ad_hoc", officers = 2, deploy_delay = { dist = "uniform", min = "20d", max = "45d" } }',
        'consular = { mode = "pre_agreed", officers = 2, deploy_delay = "2d" }',
    )
    return text


def test_extends_equals_the_flat_file(tiny_scenario_text, tmp_path, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    child = load_scenario(write_toml(tmp_path, "child.toml", CHILD))
    flat_text = _flat_equivalent(tiny_scenario_text)
    assert flat_text.count("shared = true") == 1 and "officers = 4" in flat_text and "pre_agreed" in flat_text
    flat = load_scenario(write_toml(tmp_path, "flat.toml", flat_text))
    assert child == flat
    assert child.nationalities["Kazakhstan"].consular.deploy_delay == Fixed(value=2.0)
    assert child.nationalities["Kazakhstan"].consular.officers == 2
    assert child.nationalities["Kyrgyzstan"].consular.officers == 4
    assert child.database.shared is True


def test_extends_is_relative_to_the_extending_file(tiny_scenario_text, tmp_path, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    nested = write_toml(tmp_path / "variants" / "deep", "child.toml", CHILD.replace('"base.toml"', '"../../base.toml"'))
    assert load_scenario(nested) == load_scenario(write_toml(tmp_path, "child.toml", CHILD))


def test_extends_chain_of_three(tiny_scenario_text, tmp_path, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    write_toml(tmp_path, "middle.toml", 'extends = "base.toml"\n[crossing]\ndaily_capacity = 80\n')
    leaf = load_scenario(write_toml(tmp_path, "leaf.toml", 'extends = "middle.toml"\n[scenario]\nseed = 99\n'))
    assert leaf.crossing.daily_capacity == 80
    assert leaf.crossing.admission == "travel_arranged"  # kept from base
    assert leaf.scenario.seed == 99 and leaf.scenario.name == "tiny"


def test_overrides_python_and_cli_equal_flat_file(tiny_scenario_text, tmp_path, write_toml):
    base = write_toml(tmp_path, "base.toml", tiny_scenario_text)
    python = load_scenario(base, {
        "scenario.name": "Pre-agreed SOPs",
        "database.shared": True,
        "nationality_defaults.consular.officers": 4,
        "nationalities.Kazakhstan.consular.mode": "pre_agreed",
        "nationalities.Kazakhstan.consular.deploy_delay": {"dist": "fixed", "value": "2d"},
    })
    cli = load_scenario(base, [
        'scenario.name="Pre-agreed SOPs"',
        "database.shared=true",
        "nationality_defaults.consular.officers=4",
        "nationalities.Kazakhstan.consular.mode=pre_agreed",  # a bare word stays a string
        'nationalities.Kazakhstan.consular.deploy_delay={ dist = "fixed", value = "2d" }',
    ])
    flat = load_scenario(write_toml(tmp_path, "flat.toml", _flat_equivalent(tiny_scenario_text)))
    assert python == cli == flat


def test_overrides_apply_after_extends(tiny_scenario_text, tmp_path, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    child = write_toml(tmp_path, "child.toml", CHILD)
    s = load_scenario(child, ["database.shared=false", "nationalities.Kazakhstan.consular.deploy_delay.value=5"])
    assert s.database.shared is False
    assert s.nationalities["Kazakhstan"].consular.deploy_delay == Fixed(value=5.0)


def test_distribution_tables_replace_in_extends(tiny_scenario_text, tmp_path, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    child = write_toml(tmp_path, "child.toml", """\
extends = "base.toml"
[nationality_defaults.consular]
deploy_delay = { dist = "fixed", value = "3d" }
[stages.identity]
records_delay = { dist = "exponential", mean = "4d" }
""")
    s = load_scenario(child)  # a merged table would keep min/max next to value and fail
    assert s.nationality_defaults.consular.deploy_delay == Fixed(value=3.0)
    assert s.nationalities["Kyrgyzstan"].consular.deploy_delay == Fixed(value=3.0)
    assert s.stages.identity.records_delay == Exponential(dist="exponential", mean=4.0)


def test_a_table_without_dist_tweaks_the_base_distribution(tiny_scenario_text, tmp_path, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    child = write_toml(tmp_path, "child.toml", 'extends = "base.toml"\n[stages.identity.records_delay]\nmax = "20d"\n')
    assert load_scenario(child).stages.identity.records_delay == Triangular(
        dist="triangular", min=2.0, mode=5.0, max=20.0)


@pytest.mark.parametrize(("files", "start", "expected"), [
    ({"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'}, "a.toml", "cycle"),
    ({"a.toml": 'extends = "a.toml"\n'}, "a.toml", "cycle"),
    ({"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "c.toml"\n', "c.toml": 'extends = "b.toml"\n'},
     "a.toml", "cycle"),
    ({"a.toml": 'extends = "missing.toml"\n'}, "a.toml", "not found"),
    ({"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "gone.toml"\n'}, "a.toml", "not found"),
    ({"a.toml": "extends = 5\n"}, "a.toml", "file name"),
])
def test_bad_extends(tmp_path, write_toml, files, start, expected):
    for name, text in files.items():
        write_toml(tmp_path, name, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / start)
    assert info.value.issues[0].path == "extends"
    assert expected in str(info.value)


def test_extends_not_allowed_in_a_dict(tiny_raw):
    tiny_raw["extends"] = "base.toml"
    with pytest.raises(ScenarioError, match="extends"):
        scenario_from_dict(tiny_raw)


def test_overrides_do_not_mutate_the_input(tiny_raw):
    before = copy.deepcopy(tiny_raw)
    scenario_from_dict(tiny_raw, {"scenario.seed": 3, "nationalities.Kazakhstan.vulnerable": 0.5})
    assert tiny_raw == before


@pytest.mark.parametrize("override", ["no_equals_sign", "=3", "a..b=3", "scenario.name.x=1"])
def test_malformed_overrides(tiny_raw, override):
    with pytest.raises(ScenarioError):
        scenario_from_dict(tiny_raw, [override])


# ------------------------------------------------------------------------------------ every error


def test_every_error_is_reported(tiny_raw):
    _set(tiny_raw, "scenario.replications", "10")
    _set(tiny_raw, "sites.holding.bogus", 1)
    _set(tiny_raw, "stages.identity.records_delay", {"dist": "triangular", "min": 5, "mode": 2, "max": 9})
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert sorted(i.path for i in info.value.issues) == [
        "scenario.replications", "sites.holding.bogus", "stages.identity.records_delay.mode"]
    assert len(str(info.value).splitlines()) == 3


def test_every_cross_field_error_is_reported(tiny_raw):
    _set(tiny_raw, "nationalities.Kyrgyzstan.count", 41)
    _set(tiny_raw, "nationalities.Kyrgyzstan.consular.represented_by", "Uzbekistan")
    _set(tiny_raw, "pipeline", ["registration", "crossing", "registration", "transport"])
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert sorted(i.path for i in info.value.issues) == [
        "nationalities", "nationalities.Kyrgyzstan.consular.represented_by", "pipeline[2]"]


# ----------------------------------------------------------------------------- fixed bugs (regression tests)


@pytest.mark.parametrize(("edit", "path"), [
    (("nationalities.Timor-Leste", {"count": 0, "consular": {"officers": 0}}),
     "nationalities.Timor-Leste.consular.officers"),
    (("scenario.horizon-days", 5), "scenario.horizon-days"),
])
def test_keys_with_hyphens_keep_their_path(tiny_raw, edit, path):
    _set(tiny_raw, *edit)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert path in [i.path for i in info.value.issues]


def test_union_tags_do_not_leak_into_paths(tiny_raw):
    _set(tiny_raw, "stages.health.staff", "lots")
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert {i.path for i in info.value.issues} == {"stages.health.staff"}


def test_optional_distribution_reports_one_issue(tiny_raw):
    _set(tiny_raw, "stages.health.duration_with_database", {"dist": "uniform", "min": 3, "max": 1})
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert [(i.path, i.message) for i in info.value.issues] == [
        ("stages.health.duration_with_database.max", "must be >= min")]


@pytest.mark.parametrize(("value", "days"), [("2min", 2 / 1440), (0.5, 0.5)])
def test_scalar_duration_with_database_means_fixed(tiny_raw, value, days):
    _set(tiny_raw, "stages.health.duration_with_database", value)
    assert scenario_from_dict(tiny_raw).stages.health.duration_with_database == Fixed(value=days)


def test_unknown_key_in_distribution_lists_its_own_keys(tiny_raw):
    _set(tiny_raw, "stages.identity.records_delay.bogus", 1)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    (issue,) = info.value.issues
    assert issue.path == "stages.identity.records_delay.bogus"
    assert issue.message.endswith("allowed here: dist, max, min, mode")


@pytest.mark.parametrize("path", [
    "costs.per_officer_day",
    "costs.per_health_check",
    "sites.holding.cost_per_person_day",
    "nationalities.Kazakhstan.transport.cost_per_seat",
])
def test_infinite_costs_are_rejected(tiny_raw, path):
    _set(tiny_raw, path, math.inf)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert info.value.issues[0].path == path


def test_error_in_nationality_defaults_is_reported_once(tiny_raw):
    _set(tiny_raw, "nationality_defaults.consular.bogus", 1)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    assert [i.path for i in info.value.issues] == ["nationality_defaults.consular.bogus"]


def test_source_note_next_to_a_wave_count(tiny_raw):
    _set(tiny_raw, "arrivals.waves", [{"day": 0, "count": 100, "count_source": "UNODC", "spread_days": 5}])
    s = scenario_from_dict(tiny_raw)
    assert s.sources == {"arrivals.waves[0].count": "UNODC"} or s.sources == {"arrivals.waves.0.count": "UNODC"}


def test_source_note_in_a_nationality_name_with_a_dot(tiny_raw, tmp_path, write_toml):
    _set(tiny_raw, "nationalities", {**tiny_raw["nationalities"], "St. Lucia": {
        "count": 0, "count_source": "MFA", "consular": {"represented_by": "Kazakhstan"}}})
    s = scenario_from_dict(tiny_raw)
    assert s.sources == {"nationalities.St. Lucia.count": "MFA"}
    assert load_scenario(write_toml(tmp_path, "resolved.toml", dump_scenario(s))) == s


def test_missing_key_shows_no_value(tiny_raw):
    del tiny_raw["nationalities"]["Kyrgyzstan"]["transport"]["seats"]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_raw)
    (issue,) = info.value.issues
    assert issue.path == "nationalities.Kyrgyzstan.transport.seats"
    assert "(got" not in issue.format()


# ------------------------------------------------------------------------------- hypothesis robustness

SCALARS = (
    st.text(max_size=12)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.dates()
    | st.datetimes()
    | st.times()
    | st.sampled_from(["45min", "6h", "2d", "1w", "3m", "fixed", "uniform", "lognormal", "consular", "charter",
                       "travel_arranged", "Kazakhstan", "Kyrgyzstan", "identity", "crossing", "", "-1d"])
)
KEYS = st.text(max_size=8) | st.sampled_from([
    "dist", "value", "min", "max", "mode", "mean", "median", "p90", "cv", "values", "count", "share",
    "scenario", "arrivals", "waves", "nationalities", "consular", "represented_by", "officers", "transport",
    "seats", "interval", "funding", "sources", "extends_source", "count_source", "pipeline", "horizon_days",
])
TOMLISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)


def _paths(data, prefix=()):
    """Every key path of nested dicts/lists (lists addressed by index)."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated_scenarios(draw, text: str):
    raw = tomllib.loads(text)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(raw) if p]
        path = draw(st.sampled_from(paths))
        parent = raw
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "number"]))
        if action == "replace":
            parent[path[-1]] = draw(TOMLISH)
        elif action == "delete":
            if isinstance(parent, list):
                parent.pop(path[-1])
            else:
                del parent[path[-1]]
        elif action == "add":
            target = parent[path[-1]]
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(TOMLISH)
            elif isinstance(target, list):
                target.append(draw(TOMLISH))
        else:
            parent[path[-1]] = draw(st.integers(-5, 10**8) | st.floats(-1e3, 1e9) | st.sampled_from([0, 0.0, 1]))
    return raw


def _check(raw):
    try:
        result = scenario_from_dict(raw)
    except ScenarioError as error:
        assert error.issues
        text = str(error)  # formatting never fails
        assert text
        for issue in error.issues:
            assert isinstance(issue.path, str) and isinstance(issue.message, str)
        return
    assert isinstance(result, Scenario)
    # a valid result survives a TOML round trip unchanged
    assert scenario_from_dict(tomllib.loads(dump_scenario(result))) == result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(KEYS, TOMLISH, max_size=6))
def test_random_dicts_raise_only_scenario_error(raw):
    _check(raw)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_scenarios_raise_only_scenario_error(tiny_scenario_text, data):
    raw = data.draw(mutated_scenarios(tiny_scenario_text))
    tomli_w.dumps(raw)  # the strategy only makes TOML-able data
    _check(raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.lists(st.tuples(st.sampled_from([
    "scenario.seed", "scenario.horizon_days", "nationality_defaults.consular.officers",
    "nationalities.Kazakhstan.consular.deploy_delay", "stages.health.duration", "database.shared",
    "crossing.daily_capacity", "nationalities.Kyrgyzstan.transport.seats", "scenario", "pipeline",
]), SCALARS), max_size=3))
def test_random_python_overrides_raise_only_scenario_error(tiny_raw, overrides):
    raw = copy.deepcopy(tiny_raw)
    try:
        result = scenario_from_dict(raw, dict(overrides))
    except ScenarioError as error:
        assert error.issues and str(error)
        return
    assert isinstance(result, Scenario)


# --------------------------------------------------------------------------------- capacity warnings


def _one_team(officers: int, service: str | float, people: int = 1000, horizon: int = 100,
              spread: float = 10) -> dict:
    return {
        "pipeline": ["identity"],
        "scenario": {"name": "one team", "horizon_days": horizon},
        "arrivals": {"waves": [{"day": 0, "count": people, "spread_days": spread}]},
        "stages": {"identity": {"servers": "consular", "duration": service}},
        "nationalities": {"Kazakhstan": {"count": people, "consular": {"officers": officers}}},
    }


def test_understaffed_team_warns_with_both_rates():
    warnings = capacity_warnings(scenario_from_dict(_one_team(1, "1d")))
    assert len(warnings) == 1
    # 1 officer / 1 day per person = 1.0 people/day; 1000 people / 100 days = 10.0 people/day
    assert "identity" in warnings[0] and "Kazakhstan" in warnings[0]
    assert "1.0" in warnings[0] and "10.0" in warnings[0]


def test_well_provisioned_team_does_not_warn():
    # 1000 people released over 90 days: 11.1/day at the peak, 10/day over the horizon
    assert capacity_warnings(scenario_from_dict(_one_team(20, "1d", spread=90))) == []  # 20/day
    assert capacity_warnings(scenario_from_dict(_one_team(1, "2h", spread=90))) == []  # 12/day
    # released over 10 days (100/day): 100 officers keep up, 99 do not
    assert capacity_warnings(scenario_from_dict(_one_team(100, "1d"))) == []
    assert len(capacity_warnings(scenario_from_dict(_one_team(99, "1d")))) == 1


def test_a_wave_faster_than_the_border_warns_though_the_average_keeps_up():
    """3,000 people over 14 days at a crossing of 50 a day: 30/day over the 100-day horizon, but 214/day
    while the wave lasts, so about (214.3 - 50) x 14 = 2,300 people queue by day 14."""
    raw = {
        "pipeline": ["crossing"],
        "scenario": {"name": "surge", "horizon_days": 100},
        "arrivals": {"waves": [{"day": 0, "count": 3000, "spread_days": 14}]},
        "crossing": {"daily_capacity": 50},
        "stages": {"crossing": {"staff": 10, "duration": "5min"}},
        "nationalities": {"A": {"count": 3000}},
    }
    (warning,) = capacity_warnings(scenario_from_dict(raw))
    assert warning.startswith("stages.crossing: serves at most 50.0 people/day")
    assert "214.3/day from day 0 to day 14" in warning and "about 2,300 people" in warning
    raw["arrivals"]["waves"][0]["spread_days"] = 70  # 42.9/day: the border keeps up
    assert capacity_warnings(scenario_from_dict(raw)) == []


def test_tiny_scenario_does_not_warn(tiny_raw):
    assert capacity_warnings(scenario_from_dict(tiny_raw)) == []


def test_represented_people_load_the_representing_team():
    raw = _one_team(8, "1d")
    raw["nationalities"] = {"Kazakhstan": {"count": 600, "consular": {"officers": 8}},
                            "Kyrgyzstan": {"count": 400, "consular": {"represented_by": "Kazakhstan"}}}
    # alone, Kazakhstan brings 6/day (< 8/day); with Kyrgyzstan the team faces 10/day (> 8/day)
    warnings = capacity_warnings(scenario_from_dict(raw))
    assert len(warnings) == 1 and "Kazakhstan" in warnings[0] and "8.0" in warnings[0] and "10.0" in warnings[0]


def test_crossing_daily_cap_warns():
    raw = _one_team(50, "1d")
    raw["pipeline"] = ["crossing"]
    raw["crossing"] = {"daily_capacity": 4}
    warnings = capacity_warnings(scenario_from_dict(raw))
    assert len(warnings) == 1 and "crossing" in warnings[0] and "4.0" in warnings[0] and "10.0" in warnings[0]


def test_shared_staff_pool_warns_by_share():
    raw = _one_team(1, "1d")
    raw["pipeline"] = ["health"]
    raw["stages"] = {"health": {"servers": "health", "staff": 3, "duration": "12h"}}  # 6/day < 10/day
    warnings = capacity_warnings(scenario_from_dict(raw))
    assert len(warnings) == 1 and "6.0" in warnings[0] and "10.0" in warnings[0]


def test_consular_stages_share_one_team():
    raw = _one_team(1, "0.6d", people=100)  # 1/day arrive; each stage alone could do 1/0.6 = 1.7/day
    raw["pipeline"] = ["identity", "documents"]
    raw["stages"]["documents"] = {"servers": "consular", "duration": "0.6d"}
    # together one person takes 1.2 officer-days: the team does 0.83/day < 1/day
    warnings = capacity_warnings(scenario_from_dict(raw))
    assert any("Kazakhstan" in w for w in warnings)


def test_lognormal_mean_is_used_for_capacity():
    # median 1d, p90 = e^1.2816 d -> sigma 1 -> mean e^0.5 = 1.65 d: 10 officers serve 6.1/day < 10/day,
    # though by the median they would serve 10/day.
    raw = _one_team(10, {"dist": "lognormal", "median": 1.0, "p90": math.exp(1.2815515655446004)})
    warnings = capacity_warnings(scenario_from_dict(raw))
    assert len(warnings) == 1 and "6.1" in warnings[0]


def test_lognormal_spec_in_scenario():
    raw = _one_team(10, {"dist": "lognormal", "median": "1d", "p90": "3d"})
    s = scenario_from_dict(raw)
    assert isinstance(s.stages.identity.duration, Lognormal)


# ------------------------------------------------------------------------------ reshaping with extends


def test_a_variant_replaces_the_whole_nationalities_table(tmp_path, write_toml):
    """A new crisis on the 2025 operation's settings: its own people, everything else from the base."""
    (tmp_path / "observed").mkdir(exist_ok=True)  # the figures the baseline names, beside it
    for observed in (ROOT / "scenarios" / "observed").glob("*.csv"):
        (tmp_path / "observed" / observed.name).write_bytes(observed.read_bytes())
    base = write_toml(tmp_path, "base.toml", (ROOT / "scenarios" / "myanmar_thailand_2025.toml").read_text())
    variant = write_toml(tmp_path, "new.toml", f"""\
extends = "{base.name}"
replace = ["nationalities", "arrivals"]
[scenario]
name = "a new crisis"
[arrivals]
waves = [ {{ day = 0, count = 700, spread_days = 10 }} ]
[nationalities.Indonesia]
count = 400
[nationalities.Kenya]
count = 300
consular = {{ mode = "pre_agreed", officers = 2, deploy_delay = "3d" }}
""")
    scenario = load_scenario(variant)
    baseline = load_scenario(base)
    assert list(scenario.nationalities) == ["Indonesia", "Kenya"]
    assert scenario.nationalities["Kenya"].consular.officers == 2
    # the base's defaults still fill in what the new nationalities leave unset
    assert scenario.nationalities["Indonesia"].funding == baseline.nationality_defaults.funding
    assert scenario.stages == baseline.stages and scenario.crossing == baseline.crossing
    assert sum(w.count for w in scenario.arrivals.waves) == 700


def test_a_variant_drops_keys_of_its_base(tmp_path, tiny_scenario_text, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    variant = write_toml(tmp_path, "fewer.toml", """\
extends = "base.toml"
drop = ["nationalities.Kyrgyzstan", "sites.shelter"]
[arrivals]
waves = [ { day = 0, count = 60, spread_days = 5 } ]
""")
    scenario = load_scenario(variant)
    assert list(scenario.nationalities) == ["Kazakhstan"]
    assert scenario.sites["shelter"].capacity is None  # back to the default


def test_reshaping_names_what_it_cannot_find(tmp_path, tiny_scenario_text, write_toml):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    variant = write_toml(tmp_path, "typo.toml", """\
extends = "base.toml"
drop = ["nationalities.Kyrgystan"]
replace = ["arrivals"]
""")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(variant)
    message = str(raised.value)
    assert "drop[0]: nationalities.Kyrgystan is not in the base scenario; did you mean nationalities.Kyrgyzstan?" \
        in message
    assert "replace[0]: arrivals is not a table of this file" in message
    alone = write_toml(tmp_path, "alone.toml", 'drop = ["sites.shelter"]\n' + tiny_scenario_text)
    with pytest.raises(ScenarioError, match="only a file with extends can drop"):
        load_scenario(alone)
