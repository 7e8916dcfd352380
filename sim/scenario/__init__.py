"""Scenarios: the file format, its validation, and the frozen :class:`Scenario` everything else reads.

Owns the schema, loading with ``extends`` and overrides, error reporting, distributions, duration units
and the registry of stage kinds and policies. Imports no other part of ``sim`` (it is the bottom layer).
"""

from sim.scenario.checks import (
    capacity_warnings,
    empty_output_warnings,
    non_default_keys,
    scenario_warnings,
)
from sim.scenario.errors import Issue, ScenarioError, format_value
from sim.scenario.loading import (
    apply_overrides,
    dump_scenario,
    load_scenario,
    parse_override,
    read_raw,
    read_toml,
    scenario_from_dict,
    scenario_to_dict,
)
from sim.scenario.schema import Scenario
from sim.scenario.validation import cross_field_issues

__all__ = ["Issue", "Scenario", "ScenarioError", "apply_overrides", "capacity_warnings", "cross_field_issues",
           "dump_scenario", "empty_output_warnings", "format_value", "load_scenario", "non_default_keys",
           "parse_override", "read_raw", "read_toml", "scenario_from_dict", "scenario_to_dict", "scenario_warnings"]
