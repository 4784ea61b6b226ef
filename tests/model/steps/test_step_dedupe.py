"""dedupe: one row per key, the newest by ``latest_by``, else by load time."""

from __future__ import annotations

import datetime as dt

from step_samples import AT, INPUT, T0, error_of, no_tables, parse, run

from lakewharf.model.steps.dedupe import Dedupe

DAY = dt.timedelta(days=1)


def test_parse() -> None:
    assert parse("dedupe", {"keys": ["customer_id"], "latest_by": "updated_at"}) == Dedupe(
        keys=("customer_id",), latest_by="updated_at")
    assert parse("dedupe", {"keys": ["customer_id"]}).latest_by is None


def test_columns_are_the_input() -> None:
    step = parse("dedupe", {"keys": ["customer_id"], "latest_by": "updated_at"})
    assert step.columns(INPUT, no_tables) == INPUT
    assert step.privacy("email", INPUT, no_tables) == INPUT["email"].privacy


def test_unknown_key_is_reported_at_the_key() -> None:
    exc = error_of(parse("dedupe", {"keys": ["customer_id", "city_id"]}))
    assert exc.origin.path == (*AT.path, "dedupe", "keys", 1)
    assert exc.message == "unknown column 'city_id'"
    assert exc.hint.startswith("columns here: customer_id, email")


def test_unknown_latest_by() -> None:
    exc = error_of(parse("dedupe", {"keys": ["customer_id"], "latest_by": "changed"}))
    assert exc.origin.path == (*AT.path, "dedupe", "latest_by")


def test_sql_keeps_the_latest_row_of_each_key() -> None:
    rows = [{"customer_id": 1, "city": "Lyon", "updated_at": T0},
            {"customer_id": 1, "city": "Paris", "updated_at": T0 + DAY},
            {"customer_id": 2, "city": "Nice", "updated_at": T0}]
    ran = run(parse("dedupe", {"keys": ["customer_id"], "latest_by": "updated_at"}), rows)
    assert sorted((r["customer_id"], r["city"]) for r in ran.rows) == [(1, "Paris"), (2, "Nice")]
    assert ran.rejects == {}


def test_sql_without_latest_by_keeps_the_latest_load() -> None:
    rows = [{"customer_id": 1, "city": "Lyon", "_loaded_at": T0 + DAY},
            {"customer_id": 1, "city": "Paris", "_loaded_at": T0}]
    ran = run(parse("dedupe", {"keys": ["customer_id"]}), rows, loaded_at=True)
    assert [r["city"] for r in ran.rows] == ["Lyon"]
    assert "ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY _loaded_at DESC)" in ran.sql
