"""The sample source systems: databases per SQL source, drop containers for files and logs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.compute as pc

from lakewharf.catalog.api import load_catalog
from lakewharf.local.lake import FolderLake
from lakewharf.local.sample_data import Volumes, generate
from lakewharf.local.settings import LocalSettings
from lakewharf.local.sources import seed, source_database

ROOT = Path(__file__).resolve().parents[2]


def test_sample_data_is_deterministic_and_dirty() -> None:
    small = Volumes(customers=300, products=40, orders=1500, page_views=2000)
    a, b = generate(small), generate(small)
    assert a.tables["orders.order_lines"].equals(b.tables["orders.order_lines"])
    customers = a.tables["crm.customers"]
    assert customers.num_rows > 300  # newer duplicates of some customers
    assert pc.count_distinct(customers["customer_id"]).as_py() == 300
    assert customers["country"].null_count > 0 and customers["signup_date"].null_count > 0
    assert pc.max(a.tables["orders.order_lines"]["quantity"]).as_py() == 9999  # outliers
    assert b"n/a" in a.product_csv  # a price the copy cannot convert
    assert "test" in a.tables["orders.orders"]["status"].to_pylist()


def test_seed_creates_source_databases_and_drops(tmp_path: Path) -> None:
    catalog = load_catalog(ROOT)
    settings = LocalSettings(root=tmp_path)
    lake = FolderLake(settings.lake_folder)
    data = generate(Volumes(customers=200, products=30, orders=800, page_views=1500))
    report = seed(catalog, settings, lake, data)
    assert report.skipped == []
    with duckdb.connect(str(source_database(settings, "crm"))) as con:
        assert con.execute("SELECT COUNT(*) FROM dbo.customers").fetchone()[0] == report.tables["crm.customers"]
    with duckdb.connect(str(source_database(settings, "orders"))) as con:
        assert con.execute("SELECT COUNT(*) FROM public.order_lines").fetchone()[0] > 800
    assert lake.list("drop-products") == ["products/products_20251231.csv"]
    assert all(p.startswith("events/2025/") and p.endswith(".jsonl") for p in lake.list("drop-clickstream"))
    again = seed(catalog, settings, lake, data)  # re-seeding replaces, never appends
    assert again.tables == report.tables
