"""filter: rows failing a T-SQL condition are dropped (they are not rejects)."""

from __future__ import annotations

from step_samples import AT, INPUT, error_of, no_tables, parse, run


def test_columns_unchanged() -> None:
    step = parse("filter", "city <> 'Lyon'")
    assert step.condition == "city <> 'Lyon'"
    assert step.columns(INPUT, no_tables) == INPUT


def test_unknown_column_and_bad_sql_are_reported_at_the_filter() -> None:
    exc = error_of(parse("filter", "town = 'Lyon'"))
    assert (exc.origin.path, exc.message) == ((*AT.path, "filter"), "unknown column 'town'")
    assert error_of(parse("filter", "city = = 'x'")).message.startswith("cannot parse SQL expression")
    assert error_of(parse("filter", "city <> 'x")).message.startswith("cannot parse SQL expression")  # unclosed


def test_sql_drops_failing_rows() -> None:
    rows = [{"customer_id": 1, "city": "Lyon"}, {"customer_id": 2, "city": "Nice"}]
    ran = run(parse("filter", "city <> 'Lyon'"), rows)
    assert [r["customer_id"] for r in ran.rows] == [2]
    assert ran.rejects == {}
