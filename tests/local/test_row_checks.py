"""The row checks in SQL: a value already in its catalog type is kept as it is, every other value is
converted once, a row is rejected with the reasons of its columns, the contract is checked on what
landed — and the result does not depend on which columns were read typed."""

from __future__ import annotations

import duckdb
import pytest

from lakewharf.local.row_checks import catalog_types, checked, column_types
from lakewharf.model.catalog import Column, Entity
from lakewharf.model.types import DataType

ENTITY = Entity("shop", "items", None, "items/*.csv", "full", None, (
    Column("id", DataType.parse("bigint"), nullable=False, primary_key=True),
    Column("price", DataType.parse("decimal(10,2)")),
    Column("name", DataType.parse("string(5)")),
    Column("day", DataType.parse("date")),
))
ROWS = """SELECT * FROM (VALUES
    (1::BIGINT, '1.50', 'pen', '2025-01-02', 'f.csv', 2),
    (2::BIGINT, 'n/a', 'ink', '2025-01-02', 'f.csv', 3),
    (NULL::BIGINT, ' 3 ', 'a very long name', NULL, 'f.csv', 4),
    (4::BIGINT, '', 'cup', 'soon', 'f.csv', 5)
) AS t(id, price, name, day, __file, __line)"""


@pytest.fixture
def con():
    with duckdb.connect() as c:
        c.execute(f"CREATE TABLE read_rows AS {ROWS}")
        yield c


def _run(con, typed: frozenset[str]) -> tuple[list, list, list]:
    kept, rejected, broken = checked("read_rows", ENTITY, located=True, typed=typed)
    con.execute(f"CREATE OR REPLACE TABLE landed AS {kept}")
    assert rejected is not None and broken is not None
    return (con.execute("SELECT * FROM landed ORDER BY id NULLS LAST").fetchall(),
            con.execute(f"SELECT line, reason FROM ({rejected}) ORDER BY line").fetchall(),
            con.execute(broken).fetchall())


def test_rejects_reasons_and_contract_breaks(con) -> None:
    import datetime as dt
    from decimal import Decimal

    kept, rejected, broken = _run(con, frozenset())
    assert kept == [(1, Decimal("1.50"), "pen", dt.date(2025, 1, 2)), (None, Decimal("3.00"), "a very long name", None)]
    assert rejected == [(3, "price: n/a is not decimal(10,2)"), (5, "day: soon is not date")]
    assert broken == [("id: missing in a non-nullable column; name: 16 characters, more than string(5)", 1)]


def test_a_column_read_in_its_type_is_kept_as_read_with_the_same_result(con) -> None:
    have, want = column_types(con, "read_rows"), catalog_types(con, ENTITY)
    typed = frozenset(c.name for c in ENTITY.columns if have[c.name] == want[c.name])
    assert typed == {"id", "name"}  # BIGINT and VARCHAR (a string(5) is a VARCHAR in DuckDB)
    assert _run(con, typed) == _run(con, frozenset())


def test_a_relation_of_typed_columns_only_has_no_reject_query(con) -> None:
    kept, rejected, _ = checked("read_rows", ENTITY, typed=frozenset(c.name for c in ENTITY.columns))
    assert rejected is None and "TRY_CAST" not in kept
