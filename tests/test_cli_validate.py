"""`repatsim validate` (and `run`'s validation) on bad input: exit 2, the key path, the value, nothing written."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest
import tomli_w

import sim
from sim.cli import main
from sim.scenario import ScenarioError, scenario_from_dict

DELETE = object()


def _edit(raw: dict, path: str, value) -> None:
    node = raw
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _bad_file(tmp_path: Path, tiny_text: str, edits: dict) -> Path:
    raw = tomllib.loads(tiny_text)
    for path, value in edits.items():
        _edit(raw, path, value)
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def _validate(capsys, *files: Path) -> tuple[int, str, str]:
    status = main(["validate", *map(str, files)])
    out, err = capsys.readouterr()
    return status, out, err


def _line_for(err: str, path: str) -> str:
    """The error line about ``path`` (format: FILE: key.path: message (got VALUE))."""
    lines = [line for line in err.splitlines() if f": {path}: " in line]
    assert lines, f"no error names {path!r}:\n{err}"
    return lines[0]


ROOT = Path(__file__).resolve().parents[1]
WAVE = {"day": 0, "count": 100, "spread_days": 5}
KZ_DELAY = "nationalities.Kazakhstan.consular.deploy_delay"

# id, edits to the tiny scenario, the key path the message must name, the value shown as "(got VALUE)" or None
BAD = [
    # wrong types
    ("string-for-int", {"scenario.replications": "10"}, "scenario.replications", '"10"'),
    ("yes-for-bool", {"database.shared": "yes"}, "database.shared", '"yes"'),
    ("string-for-bool", {"stages.health.requires_consular_presence": "true"},
     "stages.health.requires_consular_presence", '"true"'),
    ("float-for-int-count", {"nationalities.Kazakhstan.count": 60.0}, "nationalities.Kazakhstan.count", "60.0"),
    ("float-wave-count", {"arrivals.waves": [{**WAVE, "count": 100.5}]}, "arrivals.waves[0].count", "100.5"),
    ("float-officers", {"nationalities.Kazakhstan.consular.officers": 2.5},
     "nationalities.Kazakhstan.consular.officers", "2.5"),
    ("string-for-float", {"sites.holding.hazard_per_day": "0.001"}, "sites.holding.hazard_per_day", '"0.001"'),
    ("string-start-date", {"scenario.start_date": "2025-02-12"}, "scenario.start_date", '"2025-02-12"'),
    ("number-for-name", {"scenario.name": 5}, "scenario.name", "5"),
    ("bad-enum", {"crossing.admission": "closed"}, "crossing.admission", '"closed"'),
    ("bad-server-kind", {"stages.health.servers": "doctors"}, "stages.health.servers", '"doctors"'),
    # negative or zero where positive is required
    ("horizon-zero", {"scenario.horizon_days": 0}, "scenario.horizon_days", "0"),
    ("horizon-negative", {"scenario.horizon_days": -5}, "scenario.horizon_days", "-5"),
    ("officers-zero", {"nationalities.Kazakhstan.consular.officers": 0},
     "nationalities.Kazakhstan.consular.officers", "0"),
    ("seats-zero", {"nationalities.Kyrgyzstan.transport.seats": 0}, "nationalities.Kyrgyzstan.transport.seats",
     "0"),
    ("capacity-zero", {"sites.holding.capacity": 0}, "sites.holding.capacity", "0"),
    ("capacity-negative", {"sites.shelter.capacity": -10}, "sites.shelter.capacity", "-10"),
    ("daily-capacity-zero", {"crossing.daily_capacity": 0}, "crossing.daily_capacity", "0"),
    ("staff-zero", {"stages.health.staff": 0}, "stages.health.staff", "0"),
    ("replications-zero", {"scenario.replications": 0}, "scenario.replications", "0"),
    ("negative-hazard", {"sites.holding.hazard_per_day": -0.1}, "sites.holding.hazard_per_day", "-0.1"),
    ("probability-above-one", {"nationalities.Kazakhstan.vulnerable": 1.5}, "nationalities.Kazakhstan.vulnerable",
     "1.5"),
    ("negative-cost", {"costs.per_officer_day": -1.0}, "costs.per_officer_day", "-1.0"),
    ("negative-duration", {"stages.registration.duration": {"dist": "fixed", "value": -1}},
     "stages.registration.duration.value", "-1"),
    ("negative-wave-day", {"arrivals.waves": [{**WAVE, "day": -1}]}, "arrivals.waves[0].day", "-1"),
    # unknown keys at every level
    ("unknown-top", {"horizon_days": 60}, "horizon_days", "60"),
    ("unknown-scenario", {"scenario.horizon": 60}, "scenario.horizon", "60"),
    ("unknown-arrivals", {"arrivals.rate": 5.0}, "arrivals.rate", "5.0"),
    ("unknown-wave", {"arrivals.waves": [WAVE, {**WAVE, "people": 3}]}, "arrivals.waves[1].people", "3"),
    ("site-without-kind", {"sites.camp": {"capacity": 5}}, "sites.camp.kind", None),
    ("site-of-no-kind", {"sites.camp": {"kind": "camp"}}, "sites.camp.kind", '"camp"'),
    ("overflow-at-a-holding-site", {"sites.holding.overflow": True}, "sites.holding.overflow", "true"),
    ("release-pace-at-a-shelter", {"sites.shelter.release_per_day": 50}, "sites.shelter.release_per_day", "50"),
    ("crossing-from-no-site", {"crossings.north": {"holding": "camp"}}, "crossings.north.holding", '"camp"'),
    ("crossing-into-a-holding-site", {"crossings.north": {"shelter": "holding"}}, "crossings.north.shelter",
     '"holding"'),
    ("wave-into-a-shelter", {"arrivals.waves": [{**WAVE, "site": "shelter"}]}, "arrivals.waves[0].site",
     '"shelter"'),
    ("unknown-routing", {"routing.policy": "fastest"}, "routing.policy", '"fastest"'),
    ("team-at-no-site", {"nationalities.Kazakhstan.consular.sites": ["camp"]},
     "nationalities.Kazakhstan.consular.sites[0]", '"camp"'),
    ("held-at-a-shelter", {"nationalities.Kazakhstan.holding_site": "shelter"},
     "nationalities.Kazakhstan.holding_site", '"shelter"'),
    ("unknown-holding", {"sites.holding.capcity": 500}, "sites.holding.capcity", "500"),
    ("unknown-crossing", {"crossing.capacity": 500}, "crossing.capacity", "500"),
    ("unknown-stage-table", {"stages.interview": {"staff": 2}}, "stages.interview", None),
    ("unknown-identity", {"stages.identity.record_delay": "2d"}, "stages.identity.record_delay", '"2d"'),
    ("unknown-distribution", {"stages.identity.duration.mean": "1h"}, "stages.identity.duration.mean", '"1h"'),
    ("unknown-database", {"database.share": True}, "database.share", "true"),
    ("unknown-defaults", {"nationality_defaults.vulnerability": 0.1}, "nationality_defaults.vulnerability",
     "0.1"),
    ("unknown-defaults-consular", {"nationality_defaults.consular.officer": 2},
     "nationality_defaults.consular.officer", "2"),
    ("unknown-nationality", {"nationalities.Kazakhstan.people": 60}, "nationalities.Kazakhstan.people", "60"),
    ("unknown-funding", {"nationalities.Kazakhstan.funding.delay": "21d"},
     "nationalities.Kazakhstan.funding.delay", '"21d"'),
    ("unknown-transport", {"nationalities.Kazakhstan.transport.seat": 20},
     "nationalities.Kazakhstan.transport.seat", "20"),
    ("unknown-exposure", {"exposure.hazard": 0.1}, "exposure.hazard", "0.1"),
    ("unknown-costs", {"costs.per_seat": 300.0}, "costs.per_seat", "300.0"),
    # duration units
    ("unit-3m", {f"{KZ_DELAY}.max": "3m"}, f"{KZ_DELAY}.max", '"3m"'),
    ("unit-2-days", {"stages.registration.duration": "2 days"}, "stages.registration.duration", '"2 days"'),
    ("unit-5y", {"nationalities.Kazakhstan.funding.appeal_delay": "5y"},
     "nationalities.Kazakhstan.funding.appeal_delay", '"5y"'),
    ("unit-in-interval", {"nationalities.Kyrgyzstan.transport.interval": "1 week"},
     "nationalities.Kyrgyzstan.transport.interval", '"1 week"'),
    # impossible distributions
    ("triangular-min-above-mode", {"stages.identity.records_delay": {"dist": "triangular", "min": "5d",
                                                                      "mode": "2d", "max": "14d"}},
     "stages.identity.records_delay.mode", '"2d"'),
    ("triangular-mode-above-max", {"stages.health.duration": {"dist": "triangular", "min": 1, "mode": 5, "max": 4}},
     "stages.health.duration.max", "4"),
    ("uniform-max-below-min", {KZ_DELAY: {"dist": "uniform", "min": "20d", "max": "10d"}}, f"{KZ_DELAY}.max",
     '"10d"'),
    ("lognormal-p90-equals-median", {"stages.identity.duration": {"dist": "lognormal", "median": "2h",
                                                                   "p90": "2h"}},
     "stages.identity.duration.p90", '"2h"'),
    ("lognormal-p90-below-median", {"stages.identity.duration": {"dist": "lognormal", "median": 2, "p90": 1}},
     "stages.identity.duration.p90", "1"),
    ("gamma-mean-zero", {"stages.screening.duration": {"dist": "gamma", "mean": 0, "cv": 0.5}},
     "stages.screening.duration.mean", "0"),
    ("gamma-mean-negative", {"stages.screening.duration": {"dist": "gamma", "mean": -1, "cv": 0.5}},
     "stages.screening.duration.mean", "-1"),
    ("empirical-empty", {"stages.documents.duration": {"dist": "empirical", "values": []}},
     "stages.documents.duration.values", "[]"),
    ("unknown-dist", {"stages.documents.duration": {"dist": "weibull", "scale": 1}}, "stages.documents.duration",
     None),
    ("table-without-dist", {"stages.identity.records_delay": {"min": "2d", "max": "5d"}},
     "stages.identity.records_delay", None),
    # represented_by
    ("represented-by-unknown", {"nationalities.Kyrgyzstan.consular.represented_by": "Uzbekistan"},
     "nationalities.Kyrgyzstan.consular.represented_by", '"Uzbekistan"'),
    ("represented-by-represented", {"nationalities.Tajikistan": {"count": 0, "consular": {
        "represented_by": "Kyrgyzstan"}}}, "nationalities.Tajikistan.consular.represented_by", '"Kyrgyzstan"'),
    ("represented-by-itself", {"nationalities.Kazakhstan.consular.represented_by": "Kazakhstan"},
     "nationalities.Kazakhstan.consular.represented_by", '"Kazakhstan"'),
    # pipeline
    ("pipeline-unknown-stage", {"pipeline": ["registration", "interview", "transport"]}, "pipeline[1]",
     '"interview"'),
    ("pipeline-repeated-stage", {"pipeline": ["registration", "identity", "registration", "crossing"]},
     "pipeline[2]", '"registration"'),
    ("travel-arranged-without-crossing", {"pipeline": ["registration", "identity", "transport"]},
     "crossing.admission", '"travel_arranged"'),
    # nationalities, counts and shares
    ("no-nationalities", {"nationalities": {}}, "nationalities", None),
    ("nationalities-missing", {"nationalities": DELETE}, "nationalities", None),
    ("shares-not-summing", {"nationalities.Kazakhstan.count": DELETE, "nationalities.Kazakhstan.share": 0.5,
                            "nationalities.Kyrgyzstan.count": DELETE, "nationalities.Kyrgyzstan.share": 0.4},
     "nationalities", "0.9"),
    ("counts-and-shares", {"nationalities.Kyrgyzstan.count": DELETE, "nationalities.Kyrgyzstan.share": 0.4},
     "nationalities.Kyrgyzstan.count", None),
    ("neither-count-nor-share", {"nationalities.Kazakhstan.count": DELETE, "nationalities.Kyrgyzstan.count": DELETE,
                                 "nationalities.Kyrgyzstan.share": 1.0}, "nationalities.Kazakhstan", None),
    ("counts-above-waves", {"nationalities.Kyrgyzstan.count": 41}, "nationalities", "101"),
    ("counts-below-waves", {"nationalities.Kyrgyzstan.count": 39}, "nationalities", "99"),
    ("poisson-with-counts", {"arrivals.rate_per_day": 2.0}, "arrivals.rate_per_day", "2.0"),
    ("no-arrivals", {"arrivals.waves": []}, "arrivals.waves", "[]"),
    ("wave-after-horizon", {"arrivals.waves": [{**WAVE, "day": 60}]}, "arrivals.waves[0].day", "60.0"),
    # absurd sizes
    ("wave-of-20-million", {"arrivals.waves": [{**WAVE, "count": 20_000_000}]}, "arrivals.waves[0].count",
     "20000000"),
    ("horizon-40000", {"scenario.horizon_days": 40000}, "scenario.horizon_days", "40000"),
    ("replications-1e9", {"scenario.replications": 10**9}, "scenario.replications", "1000000000"),
    ("stream-of-100-million", {"arrivals.waves": DELETE, "arrivals.rate_per_day": 2_000_000.0,
                               "nationalities.Kazakhstan.count": DELETE, "nationalities.Kazakhstan.share": 0.6,
                               "nationalities.Kyrgyzstan.count": DELETE, "nationalities.Kyrgyzstan.share": 0.4},
     "arrivals", None),
    # transport, screening
    ("charter-without-seats", {"nationalities.Kyrgyzstan.transport.seats": DELETE},
     "nationalities.Kyrgyzstan.transport.seats", None),
    ("charter-without-interval", {"nationalities.Kyrgyzstan.transport.interval": DELETE},
     "nationalities.Kyrgyzstan.transport.interval", None),
    ("min-load-above-seats", {"nationalities.Kyrgyzstan.transport.min_load": 21},
     "nationalities.Kyrgyzstan.transport.min_load", "21"),
    ("removed-screening-policy", {"stages.screening.policy": "backlog"}, "stages.screening.policy", '"backlog"'),
    ("max-stay-not-positive", {"sites.shelter.max_stay": 0}, "sites.shelter.max_stay", "0"),
    ("remote-crossing", {"database.remote_stages": ["identity", "crossing"]}, "database.remote_stages", None),
    # provenance
    ("source-for-unset-key", {"sites.holding.cost_per_person_day_source": "IOM budget"},
     "sites.holding.cost_per_person_day_source", '"IOM budget"'),
    ("source-not-a-string", {"sites.holding.capacity_source": 3}, "sites.holding.capacity_source", "3"),
    ("sources-naming-missing-key", {"sources": {"sites.holding.cost_per_day": "IOM"}},
     "sources.sites.holding.cost_per_day", '"IOM"'),
    ("sources-naming-unknown-nationality", {"sources": {"nationalities.Uzbekistan.count": "MFA"}},
     "sources.nationalities.Uzbekistan.count", '"MFA"'),
]


@pytest.mark.parametrize(("edits", "path", "shown"), [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_scenario_is_rejected(tmp_path, tiny_scenario_text, capsys, edits, path, shown):
    bad = _bad_file(tmp_path, tiny_scenario_text, edits)
    before = _listing(tmp_path)
    status, out, err = _validate(capsys, bad)
    assert status == 2
    assert out == ""  # no "ok"
    line = _line_for(err, path)
    assert line.startswith(f"{bad}: {path}: ")
    if shown is not None:
        assert f"(got {shown})" in line
    assert _listing(tmp_path) == before


def test_the_table_is_large_enough():
    assert len(BAD) >= 30 and len({row[0] for row in BAD}) == len(BAD)


def test_good_scenario_is_ok(tmp_path, tiny_scenario_text, write_toml, capsys):
    good = write_toml(tmp_path, "good.toml", tiny_scenario_text)
    before = _listing(tmp_path)
    status, out, err = _validate(capsys, good)
    assert (status, out.strip(), err) == (0, f"ok: {good}", "")
    assert _listing(tmp_path) == before


BY_ID = {row[0]: row[1:] for row in BAD}


@pytest.mark.parametrize("case", ["string-for-int", "horizon-zero", "unknown-distribution", "unit-3m"])
def test_bad_scenario_via_subprocess(tmp_path, tiny_scenario_text, case):
    edits, path, shown = BY_ID[case]
    bad = _bad_file(tmp_path, tiny_scenario_text, edits)
    before = _listing(tmp_path)
    result = subprocess.run([sys.executable, "-m", "sim", "validate", str(bad)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    line = _line_for(result.stderr, path)
    assert f"(got {shown})" in line
    assert _listing(tmp_path) == before


def test_allowed_keys_and_values_are_named(tmp_path, tiny_scenario_text, capsys):
    bad = _bad_file(tmp_path, tiny_scenario_text, {"sites.holding.capcity": 500, "crossing.admission": "closed"})
    _, _, err = _validate(capsys, bad)
    assert "capacity" in _line_for(err, "sites.holding.capcity").split("unknown key", 1)[1]
    admission = _line_for(err, "crossing.admission")
    assert "open" in admission and "travel_arranged" in admission


# ------------------------------------------------------------------------------------- malformed TOML


@pytest.mark.parametrize(("text", "line"), [
    ('[scenario]\nname = "x"\nhorizon_days = \n', 3),
    ('[scenario]\nname = "x\n', 2),
    ("[scenario]\nname = 'x'\n\n\n[scenario]\n", 5),  # a table defined twice
    ("a = 1\nb = [1, 2\nc = 3\n", 3),
])
def test_malformed_toml_names_the_line(tmp_path, write_toml, capsys, text, line):
    bad = write_toml(tmp_path, "broken.toml", text)
    before = _listing(tmp_path)
    status, _, err = _validate(capsys, bad)
    assert status == 2
    assert str(bad) in err and "line" in err
    assert f"line {line}" in err
    assert _listing(tmp_path) == before


def test_malformed_toml_at_end_of_file_names_the_line(tmp_path, write_toml, capsys):
    bad = write_toml(tmp_path, "broken.toml", 'a = 1\nb = [1, 2\n')
    status, _, err = _validate(capsys, bad)
    assert status == 2
    assert "line 3" in err or "line 2" in err


def test_missing_file(tmp_path, capsys):
    status, _, err = _validate(capsys, tmp_path / "nowhere.toml")
    assert status == 2 and "nowhere.toml" in err and "not found" in err
    assert _listing(tmp_path) == []


# ------------------------------------------------------------------------------------------- extends


def test_missing_extends_target(tmp_path, write_toml, capsys):
    child = write_toml(tmp_path, "child.toml", 'extends = "base.toml"\n[scenario]\nseed = 1\n')
    before = _listing(tmp_path)
    status, _, err = _validate(capsys, child)
    assert status == 2
    line = _line_for(err, "extends")
    assert "base.toml" in line and "not found" in line
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("files", [
    {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'},
    {"a.toml": 'extends = "a.toml"\n'},
])
def test_extends_cycle(tmp_path, write_toml, capsys, files):
    for name, text in files.items():
        write_toml(tmp_path, name, text)
    before = _listing(tmp_path)
    status, _, err = _validate(capsys, tmp_path / "a.toml")
    assert status == 2
    assert "cycle" in _line_for(err, "extends")
    assert _listing(tmp_path) == before


def test_error_in_extended_base_is_reported(tmp_path, tiny_scenario_text, write_toml, capsys):
    write_toml(tmp_path, "base.toml", tiny_scenario_text.replace("daily_capacity = 50", "daily_capacity = -50"))
    child = write_toml(tmp_path, "child.toml", 'extends = "base.toml"\n[scenario]\nseed = 1\n')
    status, _, err = _validate(capsys, child)
    assert status == 2 and "(got -50)" in _line_for(err, "crossing.daily_capacity")


# ------------------------------------------------------------------------------------------ many errors


def test_three_errors_three_lines(tmp_path, tiny_scenario_text, capsys):
    bad = _bad_file(tmp_path, tiny_scenario_text, {
        "scenario.replications": "10",
        "sites.holding.capcity": 500,
        f"{KZ_DELAY}.max": "3m",
    })
    status, _, err = _validate(capsys, bad)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{bad}: ") for line in lines)
    for path in ("scenario.replications", "sites.holding.capcity", f"{KZ_DELAY}.max"):
        _line_for(err, path)


def test_three_cross_field_errors_three_lines(tmp_path, tiny_scenario_text, capsys):
    bad = _bad_file(tmp_path, tiny_scenario_text, {
        "nationalities.Kyrgyzstan.count": 41,
        "nationalities.Kyrgyzstan.consular.represented_by": "Uzbekistan",
        "pipeline": ["registration", "crossing", "crossing", "transport"],
    })
    status, _, err = _validate(capsys, bad)
    assert status == 2
    assert len(err.strip().splitlines()) == 3


def test_every_file_is_checked(tmp_path, tiny_scenario_text, write_toml, capsys):
    good = write_toml(tmp_path, "good.toml", tiny_scenario_text)
    bad1 = write_toml(tmp_path, "bad1.toml", tiny_scenario_text.replace("seed = 7", 'seed = "7"'))
    bad2 = write_toml(tmp_path, "bad2.toml", tiny_scenario_text.replace("horizon_days = 60", "horizon_days = 0"))
    status, out, err = _validate(capsys, bad1, good, bad2)
    assert status == 2
    assert out.strip() == f"ok: {good}"
    assert f"{bad1}: scenario.seed: " in err and f"{bad2}: scenario.horizon_days: " in err


# --------------------------------------------------------------------------------------- capacity warnings

ONE_TEAM = """\
pipeline = ["identity"]
[scenario]
name = "one team"
horizon_days = 100
[arrivals]
waves = [ { day = 0, count = 1000, spread_days = 10 } ]
[stages.identity]
servers = "consular"
duration = "1d"
[nationalities.Kazakhstan]
count = 1000
consular = { officers = OFFICERS }
"""


def test_capacity_warning_is_shown_but_valid(tmp_path, write_toml, capsys):
    file = write_toml(tmp_path, "slow.toml", ONE_TEAM.replace("OFFICERS", "1"))
    status, out, err = _validate(capsys, file)
    assert status == 0 and out.strip() == f"ok: {file}"
    (warning,) = [line for line in err.strip().splitlines() if ": stages." in line]
    assert warning.startswith(f"warning: {file}: stages.identity")
    assert "1.0" in warning and "10.0" in warning  # 1 officer / 1 day vs 1000 people / 100 days


def test_no_capacity_warning_when_provisioned(tmp_path, write_toml, capsys):
    file = write_toml(tmp_path, "fast.toml", ONE_TEAM.replace("OFFICERS", "100"))  # the wave's 100/day
    status, out, err = _validate(capsys, file)
    assert (status, out) == (0, f"ok: {file}\n")
    assert ": stages." not in err  # (the outputs it leaves at zero are warned about: see below)


def test_a_scenario_that_sets_nothing_measurable_says_which_outputs_will_be_empty(tmp_path, write_toml, capsys):
    bare = write_toml(tmp_path, "bare.toml", """\
[scenario]
name = "bare"
horizon_days = 30
[arrivals]
waves = [ { day = 0, count = 100 } ]
[nationalities.A]
share = 0.5
[nationalities.B]
share = 0.5
""")
    status, out, err = _validate(capsys, bare)
    assert (status, out) == (0, f"ok: {bare}\n")
    # (its ad hoc teams take the mode's default deploy delay, so the waits are not all zero)
    assert "every cost output will be 0" in _line_for(err, "costs")
    assert "every re-trafficking output will be 0" in _line_for(err, "exposure")
    (tmp_path / "observed").mkdir(exist_ok=True)  # the figures the baseline names, beside it
    for observed in (ROOT / "scenarios" / "observed").glob("*.csv"):
        (tmp_path / "observed" / observed.name).write_bytes(observed.read_bytes())
    full = write_toml(tmp_path, "full.toml", (ROOT / "scenarios" / "myanmar_thailand_2025.toml").read_text())
    status, _, full_err = _validate(capsys, full)  # the baseline sets all three
    assert status == 0 and full_err and "will be 0" not in full_err  # capacity warnings only


# ------------------------------------------------------------------------------------ run: nothing written


@pytest.fixture
def stub_experiment(monkeypatch):
    """Stands in for sim.experiment: any call to it is recorded and creates the output folder."""
    calls = []

    def run_to_folder(scenarios, *, out, **kwargs):
        calls.append(out)
        Path(out).mkdir(parents=True)
        return Path(out)

    stub = types.ModuleType("sim.experiment")
    stub.run_to_folder = run_to_folder
    monkeypatch.setitem(sys.modules, "sim.experiment", stub)
    monkeypatch.setattr(sim, "experiment", stub, raising=False)
    return calls


@pytest.mark.parametrize("case", ["yes-for-bool", "horizon-negative", "unknown-wave", "uniform-max-below-min",
                                  "represented-by-represented", "counts-below-waves", "wave-of-20-million",
                                  "source-for-unset-key"])
def test_run_on_bad_file_writes_nothing(tmp_path, tiny_scenario_text, capsys, stub_experiment, case):
    edits, path, _ = BY_ID[case]
    bad = _bad_file(tmp_path, tiny_scenario_text, edits)
    before = _listing(tmp_path)
    status = main(["run", str(bad), "-o", str(tmp_path / "out"), "-q", "--no-plots"])
    err = capsys.readouterr().err
    assert status == 2
    _line_for(err, path)
    assert stub_experiment == []
    assert not (tmp_path / "out").exists()
    assert _listing(tmp_path) == before


def test_run_with_bad_override_writes_nothing(tmp_path, tiny_scenario_text, write_toml, capsys, stub_experiment):
    good = write_toml(tmp_path, "f.toml", tiny_scenario_text)
    before = _listing(tmp_path)
    status = main(["run", str(good), "--set", "database.shared=yes", "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == 2
    assert '(got "yes")' in _line_for(err, "database.shared")
    assert stub_experiment == [] and _listing(tmp_path) == before


@pytest.mark.parametrize("override", ["database.shared", "scenario.name.x=1", "nationalities.Kazakhstan.count=1.5",
                                      "scenario.horizon_days=2 days"])
def test_run_with_malformed_override_writes_nothing(tmp_path, tiny_scenario_text, write_toml, capsys,
                                                    stub_experiment, override):
    good = write_toml(tmp_path, "f.toml", tiny_scenario_text)
    before = _listing(tmp_path)
    status = main(["run", str(good), "--set", override, "-o", str(tmp_path / "out"), "-q"])
    assert status == 2
    assert capsys.readouterr().err
    assert stub_experiment == [] and _listing(tmp_path) == before


def test_compare_with_one_bad_file_writes_nothing(tmp_path, tiny_scenario_text, write_toml, capsys,
                                                  stub_experiment):
    good = write_toml(tmp_path, "a.toml", tiny_scenario_text)
    bad = write_toml(tmp_path, "b.toml", tiny_scenario_text.replace("officers = 3", "officers = -3"))
    before = _listing(tmp_path)
    status = main(["compare", str(good), str(bad), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == 2
    assert "b.toml" in err and "nationality_defaults.consular.officers" in err and "a.toml" not in err
    assert stub_experiment == [] and _listing(tmp_path) == before


def test_run_stub_is_reached_for_a_good_file(tmp_path, tiny_scenario_text, write_toml, capsys, stub_experiment):
    """Guards the tests above: with a valid file, run does call the experiment (so 'not called' means something)."""
    good = write_toml(tmp_path, "f.toml", tiny_scenario_text)
    status = main(["run", str(good), "-o", str(tmp_path / "out"), "-q", "--no-plots"])
    capsys.readouterr()
    assert status == 0 and stub_experiment == [tmp_path / "out"]


def test_real_run_with_bad_override_exits_2_and_writes_nothing(tmp_path, tiny_scenario_text, write_toml):
    good = write_toml(tmp_path, "f.toml", tiny_scenario_text)
    before = _listing(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(good), "--set", "database.shared=yes", "-o", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert '(got "yes")' in _line_for(result.stderr, "database.shared")
    assert not (tmp_path / "out").exists() and _listing(tmp_path) == before


def test_bad_input_exits_2_even_if_the_experiment_cannot_be_imported(tmp_path, tiny_scenario_text, capsys,
                                                                      monkeypatch):
    monkeypatch.setitem(sys.modules, "sim.experiment", None)  # makes `from sim import experiment` fail
    monkeypatch.delattr(sim, "experiment", raising=False)
    bad = _bad_file(tmp_path, tiny_scenario_text, {"database.shared": "yes"})
    status = main(["run", str(bad), "-o", str(tmp_path / "out"), "-q"])
    assert status == 2
    assert '(got "yes")' in _line_for(capsys.readouterr().err, "database.shared")


# ------------------------------------------------------------------------------ names, quoting, Ctrl-C


def test_a_misspelt_nationality_in_a_variant_is_named_with_the_closest_one(tmp_path, tiny_scenario_text,
                                                                          write_toml, capsys):
    write_toml(tmp_path, "base.toml", tiny_scenario_text)
    child = write_toml(tmp_path, "child.toml",
                       'extends = "base.toml"\n[nationalities.Kazakstan.consular]\nofficers = 4\n')
    status, _, err = _validate(capsys, child)
    line = _line_for(err, "nationalities.Kazakstan")
    assert status == 2
    assert "Kazakstan is not a nationality of this scenario" in line and "did you mean Kazakhstan?" in line
    assert "counts or shares" not in err  # not the misleading rule about counts


def test_a_misspelt_nationality_in_set_is_named_with_the_closest_one(tiny_scenario_text):
    raw = tomllib.loads(tiny_scenario_text)
    with pytest.raises(ScenarioError) as raised:
        scenario_from_dict(raw, ["nationalities.Kyrgystan.connected=true"])
    assert "did you mean Kyrgyzstan?" in str(raised.value)


def test_quoted_keys_in_set_are_read_as_toml_reads_them(tiny_scenario_text):
    raw = tomllib.loads(tiny_scenario_text.replace("[nationalities.Kyrgyzstan]", '[nationalities."Sri Lanka"]'))
    scenario = scenario_from_dict(raw, ['nationalities."Sri Lanka".connected=true',
                                        "nationalities.'Sri Lanka'.vulnerable=0.5"])
    assert set(scenario.nationalities) == {"Kazakhstan", "Sri Lanka"}
    assert scenario.nationalities["Sri Lanka"].connected is True
    assert scenario.nationalities["Sri Lanka"].vulnerable == 0.5


def test_ctrl_c_exits_130_and_leaves_no_results_folder(tmp_path, tiny_scenario_text, write_toml, monkeypatch,
                                                       capsys):
    import sim.experiment

    scenario = write_toml(tmp_path, "tiny.toml", tiny_scenario_text)
    real_run_one = sim.experiment.run_one

    def interrupted_at_the_second(scenario, seed, replication, keep_tables=True):
        if replication == 1:
            raise KeyboardInterrupt
        return real_run_one(scenario, seed, replication, keep_tables)

    monkeypatch.setattr(sim.experiment, "run_one", interrupted_at_the_second)
    out = tmp_path / "out"
    status = main(["run", str(scenario), "-r", "3", "-q", "--no-plots", "-o", str(out)])
    assert status == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["tiny.toml"]


def test_field_and_cross_field_errors_come_in_one_pass(tmp_path, tiny_scenario_text, write_toml, capsys):
    text = (tiny_scenario_text
            .replace('consular = { represented_by = "Kazakhstan" }', 'consular = { represented_by = "Kazahkstan" }')
            .replace("daily_capacity = 50", 'daily_capacity = "50"'))
    status, _, err = _validate(capsys, write_toml(tmp_path, "two.toml", text))
    assert status == 2
    assert "must be a whole number" in _line_for(err, "crossing.daily_capacity")  # a field error
    assert "must name a nationality" in _line_for(err, "nationalities.Kyrgyzstan.consular.represented_by")
    assert len(err.strip().splitlines()) == 2


def test_an_error_says_what_its_key_means_in_the_references_words(tmp_path, tiny_scenario_text, write_toml,
                                                                  capsys):
    from sim.scenario.schema import Consular, Crossing

    text = tiny_scenario_text.replace("daily_capacity = 50", 'daily_capacity = "50"').replace(
        "officers = 2,", "officers = 0,")
    status, _, err = _validate(capsys, write_toml(tmp_path, "bad.toml", text))
    assert status == 2
    assert f"[daily_capacity: {Crossing.model_fields['daily_capacity'].description}]" in _line_for(
        err, "crossing.daily_capacity")
    assert f"[officers: {Consular.model_fields['officers'].description}]" in _line_for(
        err, "nationalities.Kazakhstan.consular.officers")


def test_a_team_missing_from_a_site_of_its_people_is_warned(tmp_path, tiny_scenario_text, capsys):
    """Kazakhstan's team (serving Kyrgyzstan too) works only at holding and the shelter, while half the
    people are released into a second camp where identity needs an officer and the crossing needs the
    team (travel_arranged): validate warns, naming the site and the stages, and still accepts the file;
    listing the camp too silences it."""
    network = {"sites.camp": {"kind": "holding", "capacity": 300},
               "crossings.ford": {"holding": "camp", "shelter": "shelter"},
               "crossings.bridge": {"holding": "holding", "shelter": "shelter"},
               "arrivals.waves": [{"day": 0, "count": 50, "spread_days": 5},
                                  {"day": 0, "count": 50, "spread_days": 5, "site": "camp"}]}
    missing = _bad_file(tmp_path, tiny_scenario_text,
                        {**network, "nationalities.Kazakhstan.consular.sites": ["holding", "shelter"]})
    status, _, err = _validate(capsys, missing)
    assert status == 0
    (warning,) = [line for line in err.splitlines() if "consular.sites" in line]
    assert "nationalities.Kazakhstan.consular.sites: the team never works at camp" in warning
    assert "(identity, crossing)" in warning
    covered = _bad_file(tmp_path, tiny_scenario_text,
                        {**network, "nationalities.Kazakhstan.consular.sites": ["holding", "camp", "shelter"]})
    status, _, err = _validate(capsys, covered)
    assert status == 0 and "consular.sites" not in err


def test_a_release_pace_below_the_releases_is_warned(tmp_path, tiny_scenario_text, capsys):
    """The tiny scenario's 100 people come in one wave over 5 days (20 a day) into holding: a release pace
    of 5 a day warns (naming the key and the 20 a day), and a pace of 50 does not."""
    slow = _bad_file(tmp_path, tiny_scenario_text, {"sites.holding.release_per_day": 5})
    status, _, err = _validate(capsys, slow)
    assert status == 0
    (warning,) = [line for line in err.splitlines() if "release_per_day" in line]
    assert "sites.holding.release_per_day: releases at most 5.0 people/day" in warning and "20.0/day" in warning
    fast = _bad_file(tmp_path, tiny_scenario_text, {"sites.holding.release_per_day": 50})
    status, _, err = _validate(capsys, fast)
    assert status == 0 and "release_per_day" not in err
