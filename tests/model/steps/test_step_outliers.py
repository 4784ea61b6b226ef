"""outliers: values outside fixed or spread-based bounds are rejected or clipped to them."""

from __future__ import annotations

from step_samples import AT, INPUT, column, columns, error_of, no_tables, parse, run

from lakewharf.model.steps.outliers import Bounds

RAW = columns(column("id", "int", nullable=False), column("qty", "int"), column("price", "double"))


def test_parse() -> None:
    step = parse("outliers", {"qty": {"min": 1, "max": 5}, "price": {"iqr": 3, "action": "clip"}})
    assert step.rules == {"qty": Bounds(min=1, max=5), "price": Bounds(iqr=3, action="clip")}


def test_columns_unchanged_and_numeric_only() -> None:
    assert parse("outliers", {"qty": {"min": 1}}).columns(RAW, no_tables) == RAW
    exc = error_of(parse("outliers", {"city": {"max": 3}}), INPUT)
    assert exc.message == "outlier filters need a numeric column; city is string(40)"
    assert exc.origin.path == (*AT.path, "outliers", "city")


def test_sql_rejects_outside_fixed_bounds() -> None:
    rows = [{"id": i, "qty": q, "price": 1.0} for i, q in enumerate([0, 1, 5, 6])]
    ran = run(parse("outliers", {"qty": {"min": 1, "max": 5}}), rows, RAW)
    assert sorted(r["qty"] for r in ran.rows) == [1, 5]
    assert sorted(r["qty"] for r in ran.rejects["0_outliers"]) == [0, 6]
    assert {r["_reject_reason"] for r in ran.rejects["0_outliers"]} == {"outlier:qty"}


def test_sql_clips_to_bounds_and_keeps_the_rows() -> None:
    rows = [{"id": i, "qty": q, "price": 1.0} for i, q in enumerate([0, 3, 9])]
    ran = run(parse("outliers", {"qty": {"min": 1, "max": 5, "action": "clip"}}), rows, RAW)
    assert sorted(r["qty"] for r in ran.rows) == [1, 3, 5]
    assert ran.rejects == {}


def test_sql_iqr_and_zscore_bounds_are_computed_over_the_input() -> None:
    rows = [{"id": i, "qty": 1, "price": p} for i, p in enumerate([10.0, 11.0, 12.0, 13.0, 1000.0])]
    ran = run(parse("outliers", {"price": {"iqr": 1.5}}), rows, RAW)
    assert [r["price"] for r in ran.rejects["0_outliers"]] == [1000.0]
    ran = run(parse("outliers", {"price": {"zscore": 1}}), rows, RAW)
    assert [r["price"] for r in ran.rejects["0_outliers"]] == [1000.0]
