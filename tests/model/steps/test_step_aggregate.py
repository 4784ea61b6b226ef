"""aggregate: one row per group; a count reveals nothing, other measures what they summarise."""

from __future__ import annotations

from decimal import Decimal

from step_samples import AT, INPUT, column, error_of, no_tables, parse, run

from lakewharf.model.steps.aggregate import Measure
from lakewharf.model.types import Privacy

AGG = {"group_by": ["city"],
       "measures": {"customers": {"fn": "count"}, "emails": {"fn": "count_distinct", "column": "email"},
                    "total": {"fn": "sum", "column": "amount"}, "mean": {"fn": "avg", "column": "amount"},
                    "first_note": {"fn": "min", "column": "note"}, "ids": {"fn": "sum", "column": "customer_id"}}}


def test_parse() -> None:
    step = parse("aggregate", AGG)
    assert step.group_by == ("city",)
    assert step.measures["customers"] == Measure("count")
    assert not step.keeps_loaded_at


def test_columns_types() -> None:
    out = parse("aggregate", AGG).columns(INPUT, no_tables)
    assert list(out) == ["city", "customers", "emails", "total", "mean", "first_note", "ids"]
    assert {n: str(c.type) for n, c in out.items()} == {
        "city": "string(40)", "customers": "bigint", "emails": "bigint", "total": "decimal(38,2)",
        "mean": "double", "first_note": "string", "ids": "bigint"}
    assert not out["customers"].nullable and not out["emails"].nullable


def test_privacy() -> None:
    step, before = parse("aggregate", AGG), {**INPUT, "amount": column("amount", "decimal(10,2)", "personal")}
    privacy = {n: step.privacy(n, before, no_tables) for n in step.columns(before, no_tables)}
    assert privacy == {"city": Privacy.NONE, "customers": Privacy.NONE, "emails": Privacy.NONE,
                       "total": Privacy.PERSONAL, "mean": Privacy.PERSONAL, "first_note": Privacy.SENSITIVE,
                       "ids": Privacy.NONE}
    assert step.columns(before, no_tables)["first_note"].privacy == Privacy.SENSITIVE


def test_mistakes() -> None:
    def measure(m: dict[str, str], name: str = "m") -> dict[str, object]:
        return {"group_by": ["city"], "measures": {name: m}}

    assert error_of(parse("aggregate", measure({"fn": "sum"}))).message == "sum needs a column"
    assert error_of(parse("aggregate", measure({"fn": "avg", "column": "city"}))).message == (
        "avg needs a numeric column; city is string(40)")
    clash = error_of(parse("aggregate", measure({"fn": "count"}, "city")))
    assert (clash.origin.path, clash.key) == ((*AT.path, "aggregate", "measures", "city"), True)


def test_sql_groups() -> None:
    rows = [{"customer_id": 1, "city": "Lyon", "amount": 2}, {"customer_id": 2, "city": "Lyon", "amount": 3},
            {"customer_id": 3, "city": "Nice", "amount": 5}]
    step = parse("aggregate", {"group_by": ["city"], "measures": {"n": {"fn": "count"},
                                                                  "total": {"fn": "sum", "column": "amount"}}})
    ran = run(step, rows, loaded_at=True)
    totals = sorted((r["city"], r["n"], r["total"]) for r in ran.rows)
    assert totals == [("Lyon", 2, Decimal(5)), ("Nice", 1, Decimal(5))]
