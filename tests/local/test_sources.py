"""The sample source systems: databases per SQL source, drop containers for files and logs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest

from lakewharf.local.bindings import load_bindings
from lakewharf.local.lake import FolderLake
from lakewharf.local.sample_data import Volumes, generate
from lakewharf.local.settings import LocalSettings
from lakewharf.local.source_systems import seed_database
from lakewharf.local.sources import SeedError, materialize
from lakewharf.project import load_catalog

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
    settings = LocalSettings(root=tmp_path, sample_scale=0.1)
    lake = FolderLake(settings.lake_folder)
    bindings = load_bindings(catalog)  # the sample's local.yaml: {sample: retail} for every source
    report = materialize(catalog, settings, lake, bindings)
    assert report.skipped == [] and set(report.made) == set(catalog.sources)
    with duckdb.connect(str(seed_database(settings, "crm"))) as con:
        assert con.execute("SELECT COUNT(*) FROM dbo.customers").fetchone()[0] == report.tables["crm.customers"]
    with duckdb.connect(str(seed_database(settings, "orders"))) as con:
        assert con.execute("SELECT COUNT(*) FROM public.order_lines").fetchone()[0] > 800 * 0.1
    assert lake.list("drop-products") == ["products/products_20251231.csv"]
    assert all(p.startswith("events/2025/") and p.endswith(".jsonl") for p in lake.list("drop-clickstream"))
    assert materialize(catalog, settings, lake, bindings).made == {}  # nothing changed: nothing re-made
    again = materialize(catalog, settings, lake, bindings, reseed=True)  # re-seeding replaces, never appends
    assert again.tables == report.tables


def test_reseeding_a_drop_deletes_only_the_files_lakewharf_wrote(tmp_path: Path) -> None:
    catalog = load_catalog(ROOT)
    settings = LocalSettings(root=tmp_path, sample_scale=0.05)
    lake = FolderLake(settings.lake_folder)
    bindings = load_bindings(catalog)
    materialize(catalog, settings, lake, bindings)
    lake.write("drop-products", "products/mine.csv", b"a file someone put here by hand\n")
    materialize(catalog, settings, lake, bindings, reseed=True)
    assert lake.read("drop-products", "products/mine.csv") == b"a file someone put here by hand\n"


def test_a_database_lakewharf_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    catalog = load_catalog(ROOT)
    settings = LocalSettings(root=tmp_path, sample_scale=0.05)
    mine = seed_database(settings, "crm")
    mine.parent.mkdir(parents=True)
    with duckdb.connect(str(mine)) as con:
        con.execute("CREATE TABLE hand_loaded AS SELECT 42 AS answer")
    before = mine.read_bytes()
    with pytest.raises(SeedError, match="holds data lakewharf did not write"):
        materialize(catalog, settings, FolderLake(settings.lake_folder), load_bindings(catalog))
    assert mine.read_bytes() == before


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://etl:hunter2@localhost/shop", "postgresql://etl:***@localhost/shop"),
    ("postgresql://etl@localhost/shop?password=hunter2&sslmode=require",
     "postgresql://etl@localhost/shop?password=***&sslmode=require"),
    ("mssql+pyodbc:///?odbc_connect=Server=x;Password=hunter2;Database=d",
     "mssql+pyodbc:///?odbc_connect=Server=x;Password=***;Database=d"),
    ("mssql+pyodbc:///?odbc_connect=Server%3Dx%3BPWD%3Dhunter2%3BDatabase%3Dd",
     "mssql+pyodbc:///?odbc_connect=Server%3Dx%3BPWD%3D***%3BDatabase%3Dd"),
    ("duckdb:///passwords.db", "duckdb:///passwords.db"),
])
def test_a_bound_database_is_shown_without_its_password(url: str, shown: str) -> None:
    from lakewharf.local.bindings import redact

    assert redact(url) == shown
