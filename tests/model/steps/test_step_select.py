"""select: keep columns, in the order given."""

from __future__ import annotations

from step_samples import AT, INPUT, T0, error_of, no_tables, parse, run


def test_columns_in_order() -> None:
    out = parse("select", ["email", "customer_id"]).columns(INPUT, no_tables)
    assert out == {"email": INPUT["email"], "customer_id": INPUT["customer_id"]}
    assert list(out) == ["email", "customer_id"]


def test_unknown_column_is_reported_at_its_place() -> None:
    exc = error_of(parse("select", ["email", "town"]))
    assert (exc.origin.path, exc.message) == ((*AT.path, "select", 1), "unknown column 'town'")


def test_sql_keeps_the_load_time_for_later_steps() -> None:
    ran = run(parse("select", ["city", "customer_id"]), [{"customer_id": 1, "city": "Lyon", "_loaded_at": T0}],
              loaded_at=True)
    assert ran.rows == [{"city": "Lyon", "customer_id": 1}]
    assert "SELECT\n    city,\n    customer_id,\n    _loaded_at\n  FROM s0" in ran.sql
