"""cast: a column changes type; values that do not convert are rejected, NULL stays NULL."""

from __future__ import annotations

import pytest
from step_samples import AT, column, columns, error_of, no_tables, parse, run

from lakewharf.model.steps.sqltree import sql_type
from lakewharf.model.types import DataType, Privacy

RAW = columns(column("id", "int", nullable=False), column("qty", "string(10)", "personal"))


def test_columns_change_type_only() -> None:
    out = parse("cast", {"qty": "decimal(10,2)"}).columns(RAW, no_tables)
    assert list(out) == ["id", "qty"]
    assert out["qty"].type == DataType("decimal", precision=10, scale=2)
    assert out["qty"].privacy == Privacy.PERSONAL  # a number can be as personal as its text


def test_bad_type_and_unknown_column() -> None:
    bad = error_of(parse("cast", {"qty": "decimal(50,2)"}), RAW)
    assert bad.origin.path == (*AT.path, "cast", "qty")
    assert "decimal(50,2)" in bad.message
    assert error_of(parse("cast", {"amount": "int"}), RAW).message == "unknown column 'amount'"


def test_sql_rejects_what_does_not_convert() -> None:
    rows = [{"id": 1, "qty": "2.5"}, {"id": 2, "qty": "many"}, {"id": 3, "qty": None}]
    ran = run(parse("cast", {"qty": "decimal(10,2)"}), rows, RAW)
    assert sorted((r["id"], None if r["qty"] is None else float(r["qty"])) for r in ran.rows) == [(1, 2.5), (3, None)]
    assert ran.rejects == {"0_cast": [{"id": 2, "qty": "many", "_reject_reason": "cast:qty"}]}


@pytest.mark.parametrize("spelling", ["boolean", "smallint", "int", "bigint", "float", "double", "date", "timestamp",
                                      "string", "string(64)", "binary", "binary(16)", "decimal(12,2)", "decimal(38,0)"])
def test_a_cast_type_is_a_fresh_copy_of_the_parsed_one(spelling: str) -> None:
    from lakewharf.model import type_map
    from lakewharf.model.steps.sqltree import _parsed_type

    t = DataType.parse(spelling)
    built, copied = sql_type(t), _parsed_type(type_map.portable_sql_type(t)).copy()
    assert built == copied and built is not sql_type(t)
    assert all(built.sql(d) == copied.sql(d) for d in ("tsql", "duckdb"))
    assert all(child.parent is node for node in built.walk() for child in node.iter_expressions())
