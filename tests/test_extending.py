"""``docs/extending.md`` works as written: a stage of the scenario's own, a new stage kind, a new policy.

The page's Python block is run as an extension module; its TOML blocks are scenario fragments. The
expected times are worked out by hand from fixed durations.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import numpy as np
import pytest
from model_helpers import scenario_dict, stage

from sim.model import run_replication
from sim.scenario import ScenarioError, scenario_from_dict
from sim.scenario.registry import STAGE_KINDS, screening_policy, stage_kind

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", PAGE, flags=re.S)
TOML = re.findall(r"```toml\n(.*?)```", PAGE, flags=re.S)


@pytest.fixture(scope="module")
def extension() -> types.ModuleType:
    """The page's extension module, imported once (its decorators register the kind and the policy)."""
    assert len(PYTHON) == 1
    if "interpreted" in STAGE_KINDS:  # imported already by another test of this process
        return sys.modules["doc_extension"]
    module = types.ModuleType("doc_extension")
    exec(compile(PYTHON[0], "docs/extending.md", "exec"), module.__dict__)  # noqa: S102 - our own page
    sys.modules["doc_extension"] = module
    return module


def five_people(pipeline: list[str], stages: dict, vulnerable: float = 0.0) -> dict:
    """Five people released at day 0 (none vulnerable unless asked), one team on site."""
    nationalities = {"A": {"count": 5, "vulnerable": vulnerable, "consular": {"mode": "pre_agreed", "officers": 1}}}
    return scenario_dict(pipeline, nationalities, waves=[{"day": 0.0, "count": 5}], stages=stages, horizon=30.0)


def test_a_stage_without_code_is_a_staffed_desk():
    fragment = tomllib.loads(TOML[0])
    assert fragment["stages"]["interview"]["kind"] == "staffed"
    assert "interview" in fragment["pipeline"]
    scenario_from_dict({**five_people(fragment["pipeline"], {}), **fragment})  # the page's fragment validates
    stages = {"interview": {"kind": "staffed", "servers": "holding", "staff": 2, "duration": 1.0}}
    result = run_replication(scenario_from_dict(five_people(["interview"], stages)), 0)
    rows = stage(result, "interview")
    # two desks, one day each, five people at day 0: starts 0, 0, 1, 1, 2
    assert sorted(rows["started"]) == [0.0, 0.0, 1.0, 1.0, 2.0]
    assert sorted(rows["finished"]) == [1.0, 1.0, 2.0, 2.0, 3.0]
    assert (result.victims["status"] == "returned").all()


def test_the_interpreted_interview_waits_for_one_of_the_shared_interpreters(extension):
    fragment = tomllib.loads(TOML[1])
    interview = {**fragment["stages"]["interview"], "duration": 1.0}
    assert interview["kind"] == "interpreted" and interview["options"] == {"interpreters": 2}
    assert interview["staff"] == 4  # more staff than interpreters: the interpreters are the bottleneck
    scenario = scenario_from_dict(five_people(["interview"], {"interview": interview}))
    result = run_replication(scenario, 0)
    rows = stage(result, "interview")
    # two interpreters, one day each: starts 0, 0, 1, 1, 2 (four staff alone would start four at 0)
    assert sorted(rows["queued"]) == [0.0] * 5
    assert sorted(rows["started"]) == [0.0, 0.0, 1.0, 1.0, 2.0]
    assert sorted(rows["finished"]) == [1.0, 1.0, 2.0, 2.0, 3.0]


def test_a_loss_during_the_interpreted_interview_gives_the_interpreter_back(extension):
    interview = {"kind": "interpreted", "servers": "holding", "staff": 4, "duration": 5.0,
                 "options": {"interpreters": 1}}
    data = five_people(["interview"], {"interview": interview})
    data["sites"] = {"holding": {"hazard_per_day": 0.5}}
    data["scenario"]["horizon_days"] = 200.0
    result = run_replication(scenario_from_dict(data), 0)
    rows = stage(result, "interview")
    victims = result.victims.set_index("victim_id").sort_index()
    lost = victims["status"] == "lost"
    assert lost.any()  # a hazard of 0.5 a day over 5-day interviews: someone is lost
    # one interpreter: interviews never overlap, and a loss frees the interpreter for the next person
    intervals = sorted(
        (start, min(end, victims.loc[v, "departed"]))
        for v, start, end in zip(rows.index, rows["started"], rows["finished"].fillna(np.inf))
        if not np.isnan(start))
    for (_, end), (next_start, _) in zip(intervals, intervals[1:]):
        assert next_start >= end
    assert ((victims["status"] == "returned") | lost).all()  # nobody left waiting for a freed interpreter


def test_the_new_screening_policy_screens_the_vulnerable_only(extension):
    fragment = tomllib.loads(TOML[1])
    screening = {**fragment["stages"]["screening"], "staff": 2, "duration": 0.1}
    assert screening["policy"] == "vulnerable_only"
    result = run_replication(scenario_from_dict(five_people(["screening"], {"screening": screening}, 0.5)), 0)
    victims = result.victims
    assert 0 < victims["vulnerable"].sum() < 5  # the check below has both kinds of people
    assert (victims["screened"] == victims["vulnerable"]).all()


def test_a_kind_or_policy_that_is_not_registered_is_refused_with_the_allowed_names():
    stages = {"interview": {"kind": "no_such_kind"}, "screening": {"policy": "no_such_policy"}}
    with pytest.raises(ScenarioError) as raised:
        scenario_from_dict(five_people(["interview", "screening"], stages))
    message = str(raised.value)
    assert "stages.interview.kind" in message and "staffed" in message
    assert "stages.screening.policy" in message and "full" in message


def test_an_undeclared_stage_and_an_unused_declared_one_are_errors():
    stages = {"intervew": {"kind": "staffed"}}
    with pytest.raises(ScenarioError) as raised:
        scenario_from_dict(five_people(["registration", "interview"], stages))
    message = str(raised.value)
    assert "pipeline[1]" in message and "is not a stage" in message
    assert "stages.intervew" in message and "not in the pipeline" in message


def test_a_name_is_registered_once_unless_replaced():
    @stage_kind("twice_registered")
    def first(world, person, stage):
        yield world.env.timeout(0)

    with pytest.raises(ValueError, match="registered already"):
        @stage_kind("twice_registered")
        def second(world, person, stage):
            yield world.env.timeout(0)

    with pytest.raises(ValueError, match="letters, digits"):
        screening_policy("no spaces")


def test_the_command_line_imports_the_extensions_named_in_the_environment(tmp_path):
    (tmp_path / "my_extensions.py").write_text(PYTHON[0], encoding="utf-8")
    fragment = tomllib.loads(TOML[1])
    scenario = five_people(["interview", "screening"], {**fragment["stages"]})
    import tomli_w

    (tmp_path / "scenario.toml").write_text(tomli_w.dumps(scenario), encoding="utf-8")
    repatsim = [sys.executable, "-m", "sim"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop("REPATSIM_EXTENSIONS", None)
    without = subprocess.run([*repatsim, "validate", "scenario.toml"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert without.returncode == 2 and "interpreted" in without.stdout + without.stderr
    with_it = subprocess.run([*repatsim, "run", "scenario.toml", "-r", "1", "--no-plots", "-q", "-o", "out"],
                             cwd=tmp_path, env={**env, "REPATSIM_EXTENSIONS": "my_extensions"},
                             capture_output=True, text=True, timeout=300)
    assert with_it.returncode == 0, with_it.stderr
    assert (tmp_path / "out" / "stages.parquet").exists()
    missing = subprocess.run([*repatsim, "validate", "scenario.toml"], cwd=tmp_path,
                             env={**env, "REPATSIM_EXTENSIONS": "no_such_module"},
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no_such_module" in missing.stderr
