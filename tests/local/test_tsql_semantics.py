"""T-SQL semantics locally: the catalog's types drive the translation (the birth-decade derive of
tests/local/own_project), text lengths are enforced, and the serverless pool stays case-sensitive."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from own_data import make_project

from lakewharf.cli.main import main
from lakewharf.local.tsql_duckdb import translate
from lakewharf.local.tsql_types import catalog_schema
from lakewharf.local.warehouse import DuckDBWarehouse, WarehouseError
from lakewharf.model import type_map
from lakewharf.model.catalog import Column
from lakewharf.model.types import DataType, Privacy


@pytest.mark.integration
def test_birth_years_become_decades_in_a_catalog_preparation(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`(c_birth_year / 10) * 10` is integer arithmetic in T-SQL: decades, not birth years."""
    root = make_project(tmp_path / "tools")
    assert main(["--project", str(root), "run"]) == 0
    capsys.readouterr()
    assert main(["--project", str(root), "query", "SELECT c_customer_sk, c_birth_decade FROM mart.dim_store_customer",
                 "--json"]) == 0
    got = {r["c_customer_sk"]: r["c_birth_decade"] for r in json.loads(capsys.readouterr().out)["rows"]}
    with sqlite3.connect(root / "data" / "ops.sqlite") as db:
        want = {k: year // 10 * 10 for k, year in db.execute("SELECT c_customer_sk, c_birth_year FROM customer")}
    assert got == want
    assert all(decade % 10 == 0 for decade in got.values())


def _column(name: str, kind: str) -> Column:
    return Column(name=name, type=DataType.parse(kind), nullable=True, primary_key=False, privacy=Privacy.NONE,
                  description="")


def test_catalog_types_make_division_integer_in_a_preparation_select() -> None:
    schema = catalog_schema([("trusted.people", [_column("birth_year", "int"), _column("score", "decimal(5,2)")],
                              {"_loaded_at": "TIMESTAMP"})])
    sql = translate("SELECT (birth_year / 10) * 10 AS decade, score / 2 AS half FROM trusted.people",
                    schema=schema, case_insensitive=False)
    assert "//" in sql  # integer division, truncating toward zero
    assert "DECIMAL(" in sql  # decimal division keeps T-SQL's precision and scale


def test_serverless_text_compares_case_sensitively_but_ignores_trailing_spaces() -> None:
    import duckdb

    con = duckdb.connect()
    sql = translate("SELECT CASE WHEN 'abc' = 'ABC' THEN 1 ELSE 0 END, CASE WHEN 'ab' = 'ab  ' THEN 1 ELSE 0 END, "
                    "CHARINDEX('B', 'abc'), LEN('ab  ')", case_insensitive=False)
    assert con.execute(sql).fetchone() == (0, 1, 0, 2)


def test_a_longer_string_than_the_column_fails_naming_table_and_column(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    warehouse.execute("CREATE SCHEMA mart; CREATE TABLE mart.contact (email NVARCHAR(512) NULL);")
    warehouse.execute(f"INSERT INTO mart.contact (email) VALUES ('{'x' * 512}');")
    with pytest.raises(WarehouseError, match=r"String or binary data would be truncated in table 'contact', "
                                             r"column 'email'"):
        warehouse.execute(f"INSERT INTO mart.contact (email) VALUES ('{'x' * 10_000_000}');")
    assert warehouse.query("SELECT COUNT(*) FROM mart.contact")[1] == [(1,)]
    warehouse.close()


def test_a_declared_length_counts_characters_not_bytes_and_ignores_trailing_spaces(tmp_path: Path) -> None:
    """The length check decides on the byte count first: a value with more bytes than characters
    (é is two bytes in UTF-8) must still be measured in characters, trailing spaces not counted."""
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    warehouse.execute("CREATE SCHEMA mart; CREATE TABLE mart.code (c NVARCHAR(3) NULL);")
    for fits in ("ééé", "ab     ", "é      ", "abc"):
        warehouse.execute(f"INSERT INTO mart.code (c) VALUES (N'{fits}');")
    warehouse.execute("INSERT INTO mart.code (c) VALUES (NULL);")
    for longer in ("éééé", "abcd ", "ab é"):
        with pytest.raises(WarehouseError, match="would be truncated in table 'code', column 'c'"):
            warehouse.execute(f"INSERT INTO mart.code (c) VALUES (N'{longer}');")
    assert warehouse.query("SELECT COUNT(*) FROM mart.code")[1] == [(5,)]
    warehouse.close()


def test_untranslatable_constructs_are_refused_with_the_construct_named() -> None:
    from lakewharf.local.warehouse import WarehouseError as Refused

    with pytest.raises(Refused, match="CONVERT style 106"):
        translate("SELECT CONVERT(VARCHAR(12), CAST('2024-03-05' AS DATE), 106)")
    with pytest.raises(Refused, match="WITH TIES"):
        translate("SELECT TOP 1 WITH TIES a FROM t ORDER BY a")


def test_unknown_operand_types_are_listed_as_not_verified() -> None:
    notes: list[tuple[str, str]] = []
    translate("SELECT a / b FROM nowhere", note=lambda kind, what: notes.append((kind, what)))
    assert any("unknown type" in what for _, what in notes)


@pytest.mark.parametrize("kind", ["boolean", "smallint", "int", "bigint", "float", "double", "decimal(10,2)",
                                  "date", "timestamp", "string", "string(64)", "binary", "binary(16)"])
def test_one_type_map_serves_every_target(kind: str) -> None:
    import duckdb
    import pyarrow as pa

    t = DataType.parse(kind)
    duck = type_map.duckdb_type(t)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE x (c {duck})")  # DuckDB takes the spelling
    assert str(type_map.arrow_type(t)) == type_map.arrow_type_name(t)
    arrow_from_duck = con.execute("SELECT * FROM x").fetch_arrow_table().schema.field("c").type
    if t.base not in ("string", "binary"):  # DuckDB reads text/blob as (large) string/binary
        assert arrow_from_duck == type_map.arrow_type(t)
    else:
        assert pa.types.is_string(arrow_from_duck) or pa.types.is_binary(arrow_from_duck) or \
            pa.types.is_large_string(arrow_from_duck) or pa.types.is_large_binary(arrow_from_duck)
    assert type_map.synapse_type(t)


def test_the_warehouse_collation_is_stated_on_text_columns_of_the_ddl() -> None:
    from lakewharf.generate.generate_all import generate_all
    from lakewharf.project import load_catalog

    root = Path(__file__).resolve().parents[2]
    catalog = load_catalog(root)
    assert catalog.platform.warehouse_collation == type_map.DEFAULT_COLLATION
    ddl = next(a.content.decode() for a in generate_all(catalog) if a.path.startswith("synapse/warehouse/tables/"))
    assert f"COLLATE {type_map.DEFAULT_COLLATION}" in ddl
