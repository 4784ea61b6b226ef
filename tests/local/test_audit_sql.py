"""The generated audit procedures on the local warehouse: THROW as T-SQL has it, a planted
duplicate failing its test with the test's name and count, results kept in etl.test_results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from tests.local.test_warehouse import ROOT, Loader

from lakewharf.generate.generate_all import generate_all
from lakewharf.local.tsql_local import ThrownError
from lakewharf.local.warehouse import DuckDBWarehouse, WarehouseError
from lakewharf.project import load_catalog


@pytest.fixture
def loader(tmp_path: Path, scripts: dict[str, str]) -> Loader:
    return Loader(tmp_path, scripts)


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    return {a.path: a.content.decode() for a in generate_all(load_catalog(ROOT)) if a.path.startswith("synapse/")}


def _products(rows: list[tuple[int, str]]) -> pa.Table:
    return pa.table({
        "product_id": [r[0] for r in rows], "sku": [r[1] for r in rows], "name": [f"p{r[0]}" for r in rows],
        "category": ["hats"] * len(rows), "brand": ["Elm"] * len(rows), "list_price": [9.5] * len(rows),
        "active": [True] * len(rows)})


def test_throw_stops_the_batch_with_its_message(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "wh.duckdb")
    with pytest.raises(ThrownError, match=r"^boom 7$") as info:
        wh.execute("DECLARE @n BIGINT = 7;\nDECLARE @e NVARCHAR(100) = CONCAT(N'boom ', @n);\n"
                   "IF @e <> N''\n    THROW 50001, @e, 1;\nCREATE TABLE never (x INT);")
    assert info.value.number == 50001 and "never" not in wh.tables()
    # IF takes UNKNOWN as false: a NULL message variable throws nothing.
    wh.execute("DECLARE @e NVARCHAR(100) = NULL;\nIF @e <> N''\n    THROW 50000, N'no', 1;")
    with pytest.raises(WarehouseError, match="start at 50000"):
        wh.execute("THROW 1, N'too low', 1;")


def test_a_duplicate_sku_fails_the_dimension_audit(loader: Loader) -> None:
    loader.staged["stg.mart__dim_product"] = _products([(1, "SKU-1"), (2, "SKU-2"), (3, "SKU-2"), (4, "SKU-4")])
    with pytest.raises(ThrownError) as info:
        loader.load("dim_product", "run-1")
    assert str(info.value) == "data test dim_product.unique_sku failed: 1 failing row(s) in mart.dim_product."
    # The load itself committed before the audit ran; every test left its result.
    assert loader.rows("SELECT COUNT(*) FROM mart.dim_product WHERE product_id <> -1") == [(4,)]
    results = loader.rows("SELECT test_name, status, failing_rows, measured FROM etl.test_results "
                          "WHERE run_id = 'run-1' ORDER BY test_name")
    assert results == [
        ("dim_product.not_null_product_id_sku_name", "pass", 0, None),
        ("dim_product.row_count", "pass", 0, 4),  # the unknown member is not counted
        ("dim_product.unique_product_id", "pass", 0, None),
        ("dim_product.unique_sku", "fail", 1, None),
    ]


def test_a_row_count_change_is_measured_against_the_last_load(loader: Loader, scripts: dict[str, str]) -> None:
    customers = "synapse/warehouse/load/dim_customer.sql"
    assert "EXEC [etl].[audit_dim_customer]" in scripts[customers]

    def staged(n: int) -> pa.Table:
        return pa.table({
            "customer_id": list(range(1, n + 1)), "email_hash": [f"h{i}" for i in range(n)], "city": ["Lyon"] * n,
            "country": ["FR"] * n, "signup_date": [dt.date(2024, 1, 1)] * n, "loyalty_tier": ["gold"] * n,
            "birth_year": [1980] * n, "marketing_opt_in": [True] * n})

    loader.staged["stg.mart__dim_customer"] = staged(10)
    loader.load("dim_customer", "run-1")
    loader.staged["stg.mart__dim_customer"] = staged(14)  # +40%: within the sample's 50%
    loader.load("dim_customer", "run-2")
    loader.staged["stg.mart__dim_customer"] = staged(30)  # +114%
    with pytest.raises(ThrownError, match=r"dim_customer\.row_count failed: 30 rows in mart\.dim_customer, "
                                          r"expected at least 1, within 50% of the last load's\."):
        loader.load("dim_customer", "run-3")
    counted = loader.rows("SELECT run_id, status, measured FROM etl.test_results "
                          "WHERE test_name = 'dim_customer.row_count' ORDER BY run_id")
    assert counted == [("run-1", "pass", 10), ("run-2", "pass", 14), ("run-3", "fail", 30)]


def test_the_dataset_record_script_records_rows_and_throws_on_failed_errors(tmp_path: Path,
                                                                           scripts: dict[str, str]) -> None:
    """synapse/warehouse/dataset_tests.sql with the audit's rows as JSON, as the preparation worker
    passes them: every row recorded, the row count's change decided against the last run, one THROW
    naming the failed error tests; run again in the same session (a retried attempt) it still runs."""
    import json

    from lakewharf.generate.synapse.dataset_audits import RECORD_SCRIPT

    wh = DuckDBWarehouse(tmp_path / "wh.duckdb")
    wh.execute(scripts["synapse/warehouse/00_schemas.sql"])

    def row(name: str, severity: str, failing: int, measured: int | None = None,
            change: float | None = None) -> dict[str, object]:
        says = " rows in trusted.x, expected ..." if measured is not None else " failing row(s) in trusted.x."
        return {"test_name": f"x.{name}", "table_name": "trusted.x", "severity": severity, "failing_rows": failing,
                "measured": measured, "max_change_percent": change, "shown": measured, "says": says}

    first = [row("unique_id", "error", 0), row("not_null_id", "warn", 2), row("row_count", "error", 0, 10, 50.0)]
    wh.execute(scripts[RECORD_SCRIPT], {"run_id": "r1", "results": json.dumps(first)})
    second = [row("unique_id", "error", 3), row("not_null_id", "warn", 0), row("row_count", "error", 0, 20, 50.0)]
    for _ in range(2):  # the second attempt reuses the session: its temporary table is dropped first
        with pytest.raises(ThrownError) as info:
            wh.execute(scripts[RECORD_SCRIPT], {"run_id": "r2", "results": json.dumps(second)})
        assert str(info.value) == ("data test x.row_count failed: 20 rows in trusted.x, expected ... "
                                   "data test x.unique_id failed: 3 failing row(s) in trusted.x.")
    _, rows = wh.query("SELECT run_id, test_name, status, failing_rows, measured FROM etl.test_results "
                       "ORDER BY run_id, test_name, checked_at")
    assert rows[:3] == [("r1", "x.not_null_id", "warn", 2, None), ("r1", "x.row_count", "pass", 0, 10),
                        ("r1", "x.unique_id", "pass", 0, None)]
    assert rows[3:] == [("r2", "x.not_null_id", "pass", 0, None)] * 2 + [("r2", "x.row_count", "fail", 1, 20)] * 2 \
        + [("r2", "x.unique_id", "fail", 3, None)] * 2
