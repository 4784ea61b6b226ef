"""derive: a new column from an expression; it is as private as what it reads unless stated."""

from __future__ import annotations

from step_samples import AT, INPUT, error_of, no_tables, parse, run

from lakewharf.model.steps.derive import Derived
from lakewharf.model.types import DataType, Privacy


def test_parse() -> None:
    step = parse("derive", {"domain": {"expr": "RIGHT(email, 5)", "type": "string(5)"}})
    assert step.derived == {"domain": Derived("RIGHT(email, 5)", "string(5)")}


def test_columns_add_the_derived_column_last() -> None:
    step = parse("derive", {"double": {"expr": "amount * 2", "type": "decimal(12,2)"}})
    out = step.columns(INPUT, no_tables)
    assert list(out) == [*INPUT, "double"]
    assert out["double"].type == DataType("decimal", precision=12, scale=2)
    assert out["double"].origin.path == (*AT.path, "derive", "double")


def test_privacy_is_the_most_private_column_read() -> None:
    step = parse("derive", {"tag": {"expr": "CONCAT(city, email, note)", "type": "string"},
                            "town": {"expr": "UPPER(city)", "type": "string"}})
    assert step.privacy("tag", INPUT, no_tables) == Privacy.SENSITIVE
    assert step.privacy("town", INPUT, no_tables) == Privacy.NONE
    assert step.privacy("email", INPUT, no_tables) == Privacy.PERSONAL  # carried, not derived


def test_stated_privacy_wins() -> None:
    step = parse("derive", {"domain": {"expr": "RIGHT(email, 5)", "type": "string(5)", "privacy": "none"}})
    assert step.columns(INPUT, no_tables)["domain"].privacy == Privacy.NONE


def test_mistakes() -> None:
    exists = error_of(parse("derive", {"city": {"expr": "UPPER(city)", "type": "string"}}))
    assert (exists.origin.path, exists.message, exists.key) == ((*AT.path, "derive", "city"),
                                                               "column 'city' already exists", True)
    unknown = error_of(parse("derive", {"x": {"expr": "town || city", "type": "string"}}))
    assert (unknown.origin.path, unknown.message) == ((*AT.path, "derive", "x", "expr"), "unknown column 'town'")
    bad_type = error_of(parse("derive", {"x": {"expr": "city", "type": "text"}}))
    assert bad_type.origin.path == (*AT.path, "derive", "x", "type")


def test_sql_computes_and_casts() -> None:
    ran = run(parse("derive", {"double": {"expr": "amount * 2", "type": "decimal(12,2)"}}),
              [{"customer_id": 1, "amount": 1.25}])
    assert float(ran.rows[0]["double"]) == 2.5
    assert "CAST(amount * 2 AS DECIMAL(12, 2)) AS double" in ran.sql
