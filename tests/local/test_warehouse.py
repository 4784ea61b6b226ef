"""The generated Synapse warehouse scripts run locally on DuckDB: DDL, procedures and loads."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakewharf.generate.generate_all import generate_all
from lakewharf.local.tsql_staging import NOTE as READ_THROUGH
from lakewharf.local.tsql_text import CopyInto, split_statements, strip_comments
from lakewharf.local.warehouse import DuckDBWarehouse, WarehouseError, read_only_select
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 1, 1, 2, 0)


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    return {a.path: a.content.decode() for a in generate_all(load_catalog(ROOT)) if a.path.startswith("synapse/")}


class Loader:
    """A warehouse with the generated DDL applied; staging rows come from ``staged``. With
    ``read_through``, COPY INTO reads them from a Parquet file as the local lake has them, and
    the interpreter may leave the copy pending (``tsql_staging``); otherwise they are inserted."""

    def __init__(self, tmp: Path, scripts: dict[str, str], *, read_through: bool = False) -> None:
        self.staged: dict[str, pa.Table] = {}
        self.scripts = scripts
        self.tmp = tmp
        self.wh = DuckDBWarehouse(tmp / "wh.duckdb", copy_into=LakeFiles(self) if read_through else self._copy)
        order = [
            "synapse/warehouse/00_schemas.sql",
            *sorted(p for p in scripts if "/tables/" in p or "/procedures/" in p),
        ]
        for path in order:
            self.wh.execute(scripts[path])

    def _copy(self, c: CopyInto) -> int:
        table = self.staged[c.table]
        self.wh.con.register("incoming", table)
        picked = ", ".join(f'"{table.column_names[p - 1]}"' for _, p in c.columns)
        self.wh.con.execute(
            f"INSERT INTO {c.table} ({', '.join(n for n, _ in c.columns)}) SELECT {picked} FROM incoming"
        )
        self.wh.con.unregister("incoming")
        return table.num_rows

    def read_through(self) -> int:
        return self.wh.translations.rewritten.get(READ_THROUGH, 0)

    def load(self, table: str, run_id: str) -> None:
        self.wh.execute(self.scripts[f"synapse/warehouse/load/{table}.sql"].replace("@{pipeline().RunId}", run_id))

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        return self.wh.query(sql)[1]


class LakeFiles:
    """COPY INTO from Parquet files, as the local run's handler (``sql_activities.LakeCopy``)."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def locate(self, c: CopyInto) -> str:
        path = self.loader.tmp / f"{c.table}.parquet"
        pq.write_table(self.loader.staged[c.table], path)
        return str(path)

    def counted(self, c: CopyInto, rows: int) -> None:
        assert rows == self.loader.staged[c.table].num_rows

    def __call__(self, c: CopyInto) -> int:
        return self.loader.wh.load_parquet(c.table, c.columns, self.locate(c))


@pytest.fixture(params=["as written", "read through"])
def loader(request: pytest.FixtureRequest, tmp_path: Path, scripts: dict[str, str]) -> Loader:
    """Each load test runs with COPY INTO as written and with it read through (``tsql_staging``):
    both must leave every table the same."""
    return Loader(tmp_path, scripts, read_through=request.param == "read through")


def _customers(rows: list[tuple[int, str, str]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "email_hash": [r[1] for r in rows],
            "city": [r[2] for r in rows],
            "country": ["FR"] * len(rows),
            "signup_date": [dt.date(2024, 1, 1)] * len(rows),
            "loyalty_tier": ["gold"] * len(rows),
            "birth_year": [1980] * len(rows),
            "marketing_opt_in": [True] * len(rows),
        }
    )


def test_every_table_and_procedure_is_created(loader: Loader) -> None:
    tables = loader.wh.tables()
    assert {
        "mart.dim_customer",
        "mart.fact_sales",
        "scores.customer_segments",
        "stg.mart__dim_customer",
        "etl.watermarks",
        "etl.load_log",
    } <= set(tables)
    procedures = loader.wh.interpreter.procedures
    assert sum(p.startswith("etl.load_") for p in procedures) == 11  # one per table
    assert sum(p.startswith("etl.audit_") for p in procedures) == 5  # one per table with data tests
    skipped = loader.wh.translations.skipped
    assert skipped["grants"] > 0 and skipped["dynamic data masking"] > 0 and skipped["sensitivity classification"] > 0


def test_ddl_is_idempotent(loader: Loader) -> None:
    before = loader.wh.tables()
    for path in sorted(p for p in loader.scripts if "/tables/" in p):
        loader.wh.execute(loader.scripts[path])
    assert loader.wh.tables() == before


def test_merge_keeps_the_latest_row_and_rerunning_changes_nothing(loader: Loader) -> None:
    loader.staged["stg.mart__dim_customer"] = _customers([(1, "a", "Lyon"), (2, "b", "Lyon"), (2, "b", "Paris")])
    loader.load("dim_customer", "run-1")
    first = loader.rows("SELECT * FROM mart.dim_customer WHERE customer_id <> -1 ORDER BY customer_id")
    assert len(first) == 2  # the latest of the two rows of customer 2
    loader.load("dim_customer", "run-2")
    assert loader.rows("SELECT * FROM mart.dim_customer WHERE customer_id <> -1 ORDER BY customer_id") == first
    assert loader.rows("SELECT COUNT(*) FROM stg.mart__dim_customer") == [(0,)]  # staging emptied
    assert [r[0] for r in loader.rows("SELECT run_id FROM etl.load_log ORDER BY run_id")] == ["run-1", "run-2"]
    assert loader.read_through() == (2 if isinstance(loader.wh.copy_into, LakeFiles) else 0)


def test_type_2_history_records_a_segment_move(loader: Loader) -> None:
    def segments(cluster_of_2: int, at: dt.datetime) -> pa.Table:
        return pa.table(
            {
                "customer_id": [1, 2],
                "cluster_id": [0, cluster_of_2],
                "distance": [0.5, 0.7],
                "model_version": ["3", "3"],
                "run_id": ["r", "r"],
                "scored_at": [at, at],
            }
        )

    loader.staged["stg.scores__customer_segments"] = segments(1, NOW)
    loader.load("customer_segments", "run-1")
    loader.staged["stg.scores__customer_segments"] = segments(4, NOW + dt.timedelta(days=1))
    loader.load("customer_segments", "run-2")
    history = loader.rows(
        "SELECT cluster_id, is_current FROM scores.customer_segments WHERE customer_id = 2 ORDER BY valid_from"
    )
    assert history == [(1, False), (4, True)]
    assert loader.rows("SELECT COUNT(*) FROM scores.customer_segments WHERE customer_id = 1") == [(1,)]


def test_merge_statement_on_a_hash_distributed_fact(loader: Loader) -> None:
    lines = pa.table(
        {
            "order_id": [7, 7],
            "line_no": [1, 2],
            "customer_id": [1, 1],
            "product_id": [5, 6],
            "order_date": [dt.date(2025, 1, 1)] * 2,
            "channel": ["web"] * 2,
            "status": ["placed"] * 2,
            "quantity": [1, 2],
            "unit_price": pa.array([1.5, 2.5]).cast(pa.decimal128(10, 2)),
            "discount": pa.array([0.0, 0.0]).cast(pa.decimal128(5, 2)),
            "net_amount": pa.array([1.5, 5.0]).cast(pa.decimal128(14, 2)),
        }
    )
    loader.staged["stg.mart__fact_sales"] = lines
    loader.load("fact_sales", "run-1")
    loader.staged["stg.mart__fact_sales"] = lines.set_column(6, "status", pa.array(["shipped", "shipped"]))
    loader.load("fact_sales", "run-2")
    assert loader.rows("SELECT status, COUNT(*) FROM mart.fact_sales GROUP BY status") == [("shipped", 2)]


def test_a_failing_load_rolls_back(loader: Loader, monkeypatch: pytest.MonkeyPatch) -> None:
    loader.staged["stg.mart__dim_customer"] = _customers([(1, "a", "Lyon")])
    loader.load("dim_customer", "run-1")
    procedure = loader.wh.interpreter.procedures["etl.load_dim_customer"]
    monkeypatch.setattr(
        procedure, "body", procedure.body.replace("INSERT INTO [etl].[load_log]", "INSERT INTO [etl].[no_such_table]")
    )
    loader.staged["stg.mart__dim_customer"] = _customers([(1, "a", "Paris"), (3, "c", "Lyon")])
    with pytest.raises(WarehouseError):
        loader.load("dim_customer", "run-2")
    assert loader.rows("SELECT customer_id, city FROM mart.dim_customer WHERE customer_id <> -1") == [(1, "Lyon")]


def test_statement_splitting_respects_strings_and_comments() -> None:
    sql = "SELECT ';' AS a; -- c;\n/* x; */ SELECT 'it''s' AS b;"
    assert split_statements(sql) == ("SELECT ';' AS a", "SELECT 'it''s' AS b")
    stripped = strip_comments(sql)
    assert "--" not in stripped and "/*" not in stripped and "c;" not in stripped
    assert stripped.index("SELECT 'it") == sql.index("SELECT 'it")  # every token keeps its offset


@pytest.mark.parametrize(("sql", "message"), [
    ("DELETE FROM mart.dim_customer", "give exactly one read-only SELECT (got a DELETE statement)"),
    ("SELECT 1; DROP TABLE x", "give exactly one read-only SELECT (got 2 statements)"),
    ("", "give exactly one read-only SELECT (got 0 statements)"),
    ("not sql at all (", "cannot parse the query"),
    ("SELECT 'abc FROM mart.fact_orders", "cannot parse the query"),  # an unclosed quote
])
def test_query_is_read_only(sql: str, message: str) -> None:
    with pytest.raises(WarehouseError, match=re.escape(message)):
        read_only_select(sql)


def test_query_translates_tsql(loader: Loader) -> None:
    read_only_select("SELECT TOP 3 customer_id FROM mart.dim_customer")
    assert loader.wh.query("SELECT TOP 3 customer_id FROM mart.dim_customer ORDER BY customer_id")[0] == ["customer_id"]


def test_tsql_string_concatenation_runs_on_duckdb() -> None:
    import duckdb

    from lakewharf.local.tsql_translate import to_duckdb

    # T-SQL joins text with +, DuckDB only adds numbers with it; NULL stays NULL as in T-SQL.
    sql = to_duckdb("SELECT first_name + ' ' + last_name AS name, ISNULL(city, '?') + '/' + country AS place, "
                    "CAST(id AS NVARCHAR(10)) + '-' + code AS ref, id + 1 AS next_id, "
                    "middle + ' ' + last_name AS missing "
                    "FROM (VALUES (7, 'Ada', 'Lovelace', NULL, 'GB', 'x', NULL)) "
                    "AS t(id, first_name, last_name, city, country, code, middle)")
    row = duckdb.connect().execute(sql).fetchone()
    assert row == ("Ada Lovelace", "?/GB", "7-x", 8, None)


def test_missing_read_only_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="run `wharf run` first"):
        DuckDBWarehouse(tmp_path / "none.duckdb", read_only=True)
