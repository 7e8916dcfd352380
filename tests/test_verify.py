"""``repatsim verify``: the closed forms it shares with the test suite, its cases and the command.

The cases run at ``--quick`` size (what a fresh install runs), each in a few seconds; the long runs of the
same reductions are tests/test_model_queueing.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import verify
from sim.cli import main
from sim.verify.cases import Case, Check
from sim.verify.theory import (
    erlang_c,
    erlang_c_wait,
    lindley_waits,
    min_servers_for_wait,
    priority_waits,
    reference_starts,
    within_tolerance,
)

QUICK_CASES = verify.cases(quick=True)


def test_erlang_c_of_one_server_is_the_utilisation_and_its_wait_is_mm1s():
    assert math.isclose(erlang_c(1, 0.7), 0.7)
    assert math.isclose(erlang_c_wait(1, 16.8, 24.0), 0.7 / (24.0 - 16.8))


def test_erlang_c_of_two_servers_matches_the_textbook_closed_form():
    a = 1.2  # C(2, a) = a^2 / (2 + a) for two servers
    assert math.isclose(erlang_c(2, a), a * a / (2 + a))


def test_an_unstable_queue_waits_for_ever_and_erlang_c_refuses_it():
    assert erlang_c_wait(2, 48.0, 24.0) == math.inf
    with pytest.raises(ValueError):
        erlang_c(2, 2.0)


def test_the_fewest_servers_for_a_wait_is_the_first_that_meets_it():
    lam, mu = 100.0, 24.0
    target = 0.5 * (erlang_c_wait(5, lam, mu) + erlang_c_wait(6, lam, mu))
    assert min_servers_for_wait(lam, mu, target) == 6
    assert erlang_c_wait(5, lam, mu) > target >= erlang_c_wait(6, lam, mu)


def test_priority_classes_conserve_the_fcfs_wait():
    rates, servers, mu = [12.0, 45.6], 3, 24.0
    waits = priority_waits(servers, rates, mu)
    assert waits[0] < waits[1]
    weighted = (rates[0] * waits[0] + rates[1] * waits[1]) / sum(rates)
    assert math.isclose(weighted, erlang_c_wait(servers, sum(rates), mu))


def test_the_reference_queue_with_one_server_is_lindleys_recursion():
    rng = np.random.default_rng(1)
    arrivals = np.cumsum(rng.exponential(1.0, 500))
    services = rng.exponential(0.8, 500)
    assert np.allclose(reference_starts(arrivals, services, 1) - arrivals, lindley_waits(arrivals, services))


def test_the_reference_queue_serves_a_higher_class_first_but_never_interrupts():
    arrivals = np.array([0.0, 0.1, 0.2])
    services = np.array([1.0, 1.0, 1.0])
    starts = reference_starts(arrivals, services, 1, np.array([1, 1, 0]))
    assert list(starts) == [0.0, 2.0, 1.0]  # the third (higher class) jumps the second, not the first


def test_the_acceptance_rule_has_a_relative_floor_and_three_standard_errors():
    assert within_tolerance(1.029, 0.0, 1.0) and not within_tolerance(1.031, 0.0, 1.0)
    assert within_tolerance(1.29, 0.1, 1.0) and not within_tolerance(1.31, 0.1, 1.0)


@pytest.mark.parametrize("case", QUICK_CASES, ids=[c.name for c in QUICK_CASES])
def test_each_quick_case_passes(case: Case):
    checks = case.run(1.0)
    assert checks and all(c.case == case.name for c in checks)
    failed = [c for c in checks if not c.passed]
    assert failed == [], verify.format_checks(failed)
    assert all(c.method != "skipped" for c in checks)  # the checkout has the baseline for Little's law


def test_the_checks_name_the_reductions_the_issue_asks_for():
    names = " | ".join(c.name for c in QUICK_CASES)
    assert names.count("M/M/") >= 4 and "priority" in names and "tandem" in names and "Little" in names
    assert {"M/M/1", "M/M/4", "M/M/10"} <= {c.name.split(",")[0] for c in QUICK_CASES}


def _tiny(passed: bool) -> list[Case]:
    check = Check("tiny M/M/1", "mean wait in queue (hours)", "batch means", 2.3, 2.1, 2.5, 2.33, passed, "rule")
    return [Case("tiny M/M/1", lambda scale: [check])]


def test_the_command_prints_model_against_theory_and_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(verify, "cases", lambda quick, baseline: _tiny(True))
    assert main(["verify", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "model [95% CI]" in out and "2.3 [2.1, 2.5]" in out and "pass" in out
    assert "1 of 1 checks passed." in out


def test_the_command_exits_1_on_a_failure_and_names_it(monkeypatch, capsys):
    monkeypatch.setattr(verify, "cases", lambda quick, baseline: _tiny(False))
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "FAILED: tiny M/M/1: mean wait in queue (hours) (batch means)" in out


def test_a_missing_baseline_file_is_bad_input(tmp_path, capsys):
    assert main(["verify", "--quick", "--baseline", str(tmp_path / "none.toml")]) == 2
    assert "--baseline: file not found" in capsys.readouterr().err


def test_without_the_baseline_littles_law_is_skipped_not_failed(tmp_path):
    case = verify.cases(quick=True, baseline=tmp_path / "none.toml")[-1]
    checks = case.run(1.0)
    assert [c.method for c in checks] == ["skipped"] and "skipped" in verify.summary_line(checks)
