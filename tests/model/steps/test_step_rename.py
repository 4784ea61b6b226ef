"""rename: same columns, same place, new names."""

from __future__ import annotations

from step_samples import AT, INPUT, error_of, no_tables, parse, privacy_agrees, run

from lakewharf.model.types import Privacy


def test_columns_keep_place_and_privacy() -> None:
    step = parse("rename", {"email": "email_hash"})
    out = step.columns(INPUT, no_tables)
    assert list(out) == ["customer_id", "email_hash", "city", "amount", "note", "updated_at"]
    assert out["email_hash"].privacy == Privacy.PERSONAL and out["email_hash"].name == "email_hash"
    assert step.privacy("email_hash", INPUT, no_tables) == Privacy.PERSONAL
    privacy_agrees(step, INPUT, {})


def test_collision() -> None:
    exc = error_of(parse("rename", {"email": "city"}))
    assert (exc.origin.path, exc.message) == ((*AT.path, "rename", "email"), "column 'city' already exists")


def test_sql() -> None:
    ran = run(parse("rename", {"city": "town"}), [{"customer_id": 1, "city": "Lyon"}])
    assert ran.rows[0]["town"] == "Lyon"
    assert "city AS town" in ran.sql
