"""`repatsim new`: a new crisis scenario from a few answers, that validates and runs as written."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

from sim import cli
from sim.model import run_replication
from sim.scenario import load_scenario, read_raw
from sim.scenario.loading import extract_sources

ANSWERS = ["new", "--nationalities", "Indonesia=400,Philippines=300,Kenya=150,Sri Lanka=100",
           "--pre-agreed", "Indonesia,Kenya", "--database", "Indonesia,Philippines", "--border-cap", "300",
           "--start", "2026-03-01"]


def leaves(node, path=()):
    for key, value in node.items():
        if isinstance(value, dict) and "dist" not in value:
            yield from leaves(value, (*path, key))
        else:
            yield ".".join((*path, key)), value


def test_the_file_has_the_answers_validates_and_runs(tmp_path, capsys):
    file = tmp_path / "new_crisis.toml"
    assert cli.main([ANSWERS[0], str(file), *ANSWERS[1:]]) == 0
    assert "repatsim run" in capsys.readouterr().out
    scenario = load_scenario(file)
    assert {n: v.count for n, v in scenario.nationalities.items()} == {
        "Indonesia": 400, "Philippines": 300, "Kenya": 150, "Sri Lanka": 100}
    assert sum(w.count for w in scenario.arrivals.waves) == 950
    assert [n for n, v in scenario.nationalities.items() if v.consular.mode == "pre_agreed"] == ["Indonesia", "Kenya"]
    assert [n for n in scenario.nationalities if scenario.is_connected(n)] == ["Indonesia", "Philippines"]
    assert scenario.crossing.daily_capacity == 300 and str(scenario.scenario.start_date) == "2026-03-01"
    result = run_replication(scenario, 0)
    victims = result.victims
    assert len(victims) == 950 and (victims["status"] == "returned").mean() > 0.9  # a sensible operation
    assert 1 < (victims["departed"] - victims["arrived"]).median() < 60


def test_every_number_and_duration_it_writes_says_where_it_comes_from(tmp_path):
    file = tmp_path / "crisis.toml"
    assert cli.main([ANSWERS[0], str(file), *ANSWERS[1:]]) == 0
    cleaned, issues = extract_sources(read_raw(file))
    assert issues == []
    sources = cleaned["sources"]
    for path, value in leaves(cleaned):
        if path.startswith(("scenario.", "sources")) or path == "pipeline" or isinstance(value, bool | str):
            continue
        assert path in sources, f"{path} = {value!r} has no *_source note"
        assert sources[path].startswith("assumption:")


def test_it_never_overwrites_and_refuses_bad_answers(tmp_path, capsys):
    file = tmp_path / "crisis.toml"
    file.write_text("keep me", encoding="utf-8")
    assert cli.main(["new", str(file), "--nationalities", "A=10"]) == 2
    assert file.read_text(encoding="utf-8") == "keep me"
    other = tmp_path / "other.toml"
    assert cli.main(["new", str(other), "--nationalities", "A=ten"]) == 2
    assert cli.main(["new", str(other), "--nationalities", "A=10", "--pre-agreed", "B"]) == 2
    err = capsys.readouterr().err
    assert "--nationalities" in err and "--pre-agreed" in err and not other.exists()


def test_in_a_terminal_it_asks(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["Kenya=120,Uganda=80", "Kenya", ""])
    args = cli.build_parser().parse_args(["new", str(tmp_path / "asked.toml")])
    assert isinstance(args, argparse.Namespace)
    assert cli._new(args, ask=lambda question: next(answers)) == 0
    scenario = load_scenario(tmp_path / "asked.toml")
    assert list(scenario.nationalities) == ["Kenya", "Uganda"]
    assert scenario.nationalities["Kenya"].consular.mode == "pre_agreed"
    assert tomllib.loads(Path(tmp_path / "asked.toml").read_text())["database"]["shared"] is False


def test_without_answers_and_without_a_terminal_it_says_what_is_needed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["new", str(tmp_path / "x.toml")]) == 2
    assert "--nationalities is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a bad date is refused by the parser (exit 2)
        cli.build_parser().parse_args(["new", "x.toml", "--start", "March"])
