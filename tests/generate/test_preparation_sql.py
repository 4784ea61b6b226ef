"""Compiled preparations run for real on DuckDB over small, deliberately dirty landing data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakewharf.generate.preparation_render import render
from lakewharf.generate.preparation_sql import compile_preparation, input_table, sql_type
from lakewharf.model.catalog import Catalog
from lakewharf.model.graph import topological_order
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 1, 10, 1, 0)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ROOT)


def _landing(con: duckdb.DuckDBPyConnection, catalog: Catalog, ref: str, rows: list[dict[str, Any]]) -> None:
    entity = catalog.entity(ref)
    assert entity is not None
    table = input_table(catalog, ref)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.db}")
    cols = [c.name for c in entity.columns] + ["_loaded_at"]
    types = [sql_type(c.type).sql("duckdb") for c in entity.columns] + ["TIMESTAMP"]
    con.execute(
        f"CREATE TABLE {table.db}.{table.name} ({', '.join(f'{c} {t}' for c, t in zip(cols, types, strict=True))})"
    )
    for row in rows:
        values = [row.get(c) for c in cols[:-1]] + [row.get("_loaded_at", T0)]
        con.execute(f"INSERT INTO {table.db}.{table.name} VALUES ({', '.join('?' * len(cols))})", values)


def _seed(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    customers = [
        {
            "customer_id": i,
            "first_name": f"F{i}",
            "last_name": f"L{i}",
            "email": f"c{i}@example.com",
            "phone": "555",
            "date_of_birth": dt.date(1980 + i, 1, 1),
            "city": "Lyon",
            "country": None if i == 3 else "FR",
            "signup_date": None if i == 5 else dt.date(2024, 1, i),
            "loyalty_tier": "gold",
            "marketing_opt_in": i % 2 == 0,
            "updated_at": T0,
        }
        for i in range(1, 7)
    ]
    customers.append({**customers[0], "city": "Paris", "updated_at": T0 + dt.timedelta(days=1)})  # newer duplicate
    _landing(con, catalog, "crm.customers", customers)
    _landing(
        con,
        catalog,
        "orders.orders",
        [
            {
                "order_id": o,
                "customer_id": 1 + o % 4,
                "order_date": dt.date(2025, 12, o),
                "status": "test" if o == 9 else "placed",
                "channel": None,
                "updated_at": T0,
            }
            for o in range(1, 10)
        ],
    )
    lines = [
        {
            "order_id": o,
            "line_no": 1,
            "product_id": 1 + o % 3,
            "quantity": 2,
            "unit_price": 10 + o,
            "discount": None,
            "updated_at": T0,
        }
        for o in range(1, 10)
    ]
    lines.append({"order_id": 1, "line_no": 2, "product_id": 1, "quantity": 9999, "unit_price": 10, "updated_at": T0})
    _landing(con, catalog, "orders.order_lines", lines)
    _landing(
        con,
        catalog,
        "products.products",
        [
            {
                "product_id": p,
                "sku": f"S{p}",
                "name": f"P{p}",
                "category": None if p == 2 else "shoes",
                "list_price": 20,
                "active": None,
            }
            for p in range(1, 4)
        ],
    )
    _landing(
        con,
        catalog,
        "clickstream.page_views",
        [
            {
                "event_id": f"e{i}",
                "session_id": f"s{i % 3}",
                "customer_id": None if i == 0 else 1 + i % 2,
                "event_time": T0 + dt.timedelta(minutes=i),
                "page_type": "product",
                "product_id": i % 3 or None,
                "ip_address": "10.0.0.1",
                "user_agent": "x",
            }
            for i in range(8)
        ],
    )


@pytest.fixture(scope="module")
def warehouse(catalog: Catalog) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    """Run every preparation in lineage order; return the connection and rejected-row counts."""
    con = duckdb.connect()
    _seed(con, catalog)
    rejected: dict[str, int] = {}
    for node in topological_order(catalog):
        kind, name = node.split(":", 1)
        if kind != "dataset":
            continue
        ds = catalog.datasets[name]
        compiled = compile_preparation(catalog, ds)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ds.zone}")
        salt = {"salt": "pepper"} if compiled.uses_salt else None
        con.execute(f"CREATE TABLE {ds.zone}.{name} AS {render(compiled.select, 'duckdb')}", salt)
        rejected[name] = sum(
            con.execute(f"SELECT COUNT(*) FROM ({render(q, 'duckdb')})").fetchone()[0] for _, q in compiled.rejects
        )
    return con, rejected


def test_every_preparation_runs_and_matches_its_contract(catalog: Catalog, warehouse: Any) -> None:
    con, _ = warehouse
    for ds in catalog.datasets.values():
        described = con.execute(f"DESCRIBE {ds.zone}.{ds.name}").fetchall()
        assert [row[0] for row in described] == [c.name for c in ds.columns], ds.name


def test_dedupe_keeps_the_latest_row(warehouse: Any) -> None:
    con, _ = warehouse
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM development.customers_clean").fetchone() == (
        5,
        5,
    )
    assert con.execute("SELECT city FROM development.customers_clean WHERE customer_id = 1").fetchone() == ("Paris",)


def test_personal_columns_are_hashed_or_dropped(warehouse: Any) -> None:
    con, _ = warehouse
    columns = {r[0] for r in con.execute("DESCRIBE development.customers_clean").fetchall()}
    assert not columns & {"first_name", "last_name", "phone", "date_of_birth"}
    for (email,) in con.execute("SELECT email FROM development.customers_clean").fetchall():
        assert re.fullmatch(r"[0-9a-f]{64}", email)
        assert "@" not in email


def test_missing_values_are_filled_or_rejected(warehouse: Any) -> None:
    con, rejected = warehouse
    assert con.execute("SELECT country FROM development.customers_clean WHERE customer_id = 3").fetchone() == ("ZZ",)
    assert rejected["customers_clean"] == 1  # customer 5 has no signup date


def test_rows_read_equal_rows_written_plus_rejected(warehouse: Any) -> None:
    con, rejected = warehouse
    written = con.execute("SELECT COUNT(*) FROM development.order_lines_clean").fetchone()[0]
    assert rejected["order_lines_clean"] >= 1  # the 9999-unit line is an outlier
    assert written + rejected["order_lines_clean"] == 10
    assert con.execute("SELECT COUNT(*) FROM development.order_lines_clean WHERE quantity > 500").fetchone() == (0,)


def test_filters_joins_and_aggregates(warehouse: Any) -> None:
    con, _ = warehouse
    assert con.execute("SELECT COUNT(*) FROM development.orders_clean WHERE status = 'test'").fetchone() == (0,)
    assert con.execute("SELECT COUNT(*) FROM development.orders_clean WHERE channel IS NULL").fetchone() == (0,)
    # product 2 has no category at the source; products_clean fills it before the join
    categories = dict(con.execute("SELECT DISTINCT product_id, category FROM development.order_lines_clean").fetchall())
    assert categories[2] == "unknown" and categories[1] == "shoes"
    sessions = con.execute("SELECT SUM(page_views) FROM development.sessions_daily").fetchone()[0]
    assert sessions == 7  # the anonymous event is filtered out
    contacts = con.execute("SELECT COUNT(*) FROM restricted.customer_contacts").fetchone()[0]
    assert contacts == 3  # opted-in customers 2, 4, 6


def test_sql_preparations_produce_features_per_customer(warehouse: Any) -> None:
    con, _ = warehouse
    assert con.execute("SELECT COUNT(*) FROM development.customer_features").fetchone()[0] == 5
    # The point-in-time training set: only customers who existed at the cutoff, label after it.
    # In this small world every order falls in the 90 days after the cutoff: no customer has history
    # before it (9999 days since the last order), and only customer 6, who never ordered, churned.
    rows = con.execute("SELECT customer_id, days_since_last_order, churned FROM development.churn_training "
                       "ORDER BY customer_id").fetchall()
    assert rows == [(1, 9999, 0), (2, 9999, 0), (3, 9999, 0), (4, 9999, 0), (6, 9999, 1)]


def test_salted_hash_differs_from_plain_sha256(warehouse: Any) -> None:
    con, _ = warehouse
    plain = con.execute("SELECT SHA256('c2@example.com')").fetchone()[0]
    hashed = con.execute("SELECT email FROM development.customers_clean WHERE customer_id = 2").fetchone()[0]
    assert hashed != plain
    assert hashed == con.execute("SELECT SHA256('pepperc2@example.com')").fetchone()[0]
