"""docs/scenario-reference.md is what the schema says, and the schema says something about every key."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from sim.scenario.reference import TABLES, reference

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_reference_is_up_to_date():
    committed = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert committed == reference(), (
        "docs/scenario-reference.md is out of date: run  python -m sim.scenario.reference > docs/scenario-reference.md")


def test_every_key_of_every_table_has_a_meaning():
    missing = []
    for _, model, skip in TABLES:
        for name, field in model.model_fields.items():
            inherited = [base.model_fields[name].description for base in model.__mro__[1:]
                         if isinstance(base, type) and issubclass(base, BaseModel) and name in base.model_fields]
            if name not in skip and not (field.description or any(inherited)):
                missing.append(f"{model.__name__}.{name}")
    assert missing == []


def test_the_reference_covers_the_keys_planners_write():
    text = reference()
    for key in ("horizon_days", "spread_days", "daily_capacity", "requires_consular_presence", "max_stay",
                "kind", "remote_stages", "represented_by", "unfunded_share", "min_load", "crowding_factor",
                "per_officer_day", "connected", "share"):
        assert f"| `{key}` |" in text, key
    assert "`\"triangular\"` | `min`, `mode`, `max`" in text
    assert "../" not in text and "/work/" not in text  # it points nowhere outside the project
