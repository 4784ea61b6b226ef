"""lakewharf.local.synthetic: deterministic source data shaped by any catalog's column contracts."""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import io
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakewharf.generate.preparation_sql import sql_type
from lakewharf.local.synthetic import EntityData, GenerateOptions, generate_source_data
from lakewharf.local.synthetic_files import BAD_TEXT
from lakewharf.model.catalog import Catalog, Column, Entity, Source
from lakewharf.model.types import DataType, Privacy
from lakewharf.project import load_catalog
from lakewharf.sources import is_database

ROOT = Path(__file__).resolve().parents[2]
START, DAYS = dt.date(2025, 1, 1), 365
END = START + dt.timedelta(days=DAYS)
CLEAN = GenerateOptions(rows=300, dirty_rate=0)
DIRTY = GenerateOptions(rows=300, dirty_rate=0.05)

# A catalog of our own: a string key, composite keys (one counted, one of two references), decimal(18,4),
# every portable type, a reference across sources into a wider integer, csv with ';', and parquet.
OWN_SOURCES = {
    "shop": """
kind: postgresql
connection: {secret: shop-pg}
entities:
  accounts:
    table: public.accounts
    load: {mode: full}
    columns:
      account_id: {type: string(12), nullable: false, primary_key: true}
      name: {type: string(40), privacy: personal}
      email: {type: string(60), privacy: personal}
      country: {type: string(3)}
      postcode: {type: string(10), privacy: personal}
      opened_on: {type: date, nullable: false}
      tier: {type: string(8)}
      is_active: {type: boolean, nullable: false}
      avatar: {type: binary(4)}
  stores:
    table: public.stores
    load: {mode: full}
    columns:
      country: {type: string(2), nullable: false, primary_key: true}
      store_no: {type: smallint, nullable: false, primary_key: true}
      store_name: {type: string(30), nullable: false}
      city: {type: string(40)}
  payments:
    table: public.payments
    load: {mode: incremental, watermark: paid_at}
    columns:
      payment_id: {type: bigint, nullable: false, primary_key: true}
      account_id: {type: string(12), nullable: false}
      customer_id: {type: int}
      payment_batch_id: {type: int, nullable: false}
      amount: {type: "decimal(18,4)", nullable: false}
      fee: {type: "decimal(5,2)"}
      quantity: {type: smallint}
      ratio: {type: float}
      score: {type: double}
      big_counter: {type: bigint}
      note: {type: string(5)}
      channel: {type: string(10)}
      paid_on: {type: date}
      paid_at: {type: timestamp, nullable: false}
      client_ip: {type: string(15), privacy: personal}
""",
    "billing": """
kind: sqlserver
connection: {secret: billing-sql}
entities:
  customers:
    table: dbo.customers
    load: {mode: full}
    columns:
      customer_id: {type: bigint, nullable: false, primary_key: true}
      full_name: {type: string(60), privacy: personal}
      date_of_birth: {type: date, privacy: personal}
      phone: {type: string(20), privacy: personal}
  basket_items:
    table: dbo.basket_items
    load: {mode: full}
    columns:
      customer_id: {type: bigint, nullable: false, primary_key: true}
      account_id: {type: string(12), nullable: false, primary_key: true}
      added_at: {type: timestamp}
""",
    "drops": """
kind: file_drop
format: csv
options: {delimiter: ";", header: true, quote: '"', encoding: UTF-8}
connection: {secret: drops-url}
entities:
  rates:
    path: "rates/{yyyy}/{MM}/{dd}/rates_*.csv"
    load: {mode: incremental, watermark: updated_at}
    columns:
      rate_id: {type: int, nullable: false, primary_key: true}
      product_name: {type: string(30), nullable: false}
      price: {type: "decimal(18,4)", nullable: false}
      discount_pct: {type: double}
      valid_from: {type: date}
      active: {type: boolean}
      user_agent: {type: string}
      updated_at: {type: timestamp, nullable: false}
""",
    "exports": """
kind: file_drop
format: parquet
connection: {secret: exports-url}
entities:
  snapshots:
    path: "snapshots/snapshot_*.parquet"
    load: {mode: full}
    columns:
      snapshot_id: {type: int, nullable: false, primary_key: true}
      account_id: {type: string(12), nullable: false}
      balance: {type: "decimal(12,2)"}
      taken_at: {type: timestamp, nullable: false}
""",
}
PIPELINES = """
pipelines:
  nightly:
    schedule: {cron: "0 1 * * *"}
    steps: {land_shop: {ingest: shop}, land_billing: {ingest: billing}, land_drops: {ingest: drops},
            land_exports: {ingest: exports}}
"""
ARROW = {"boolean": pa.bool_(), "smallint": pa.int16(), "int": pa.int32(), "bigint": pa.int64(),
         "float": pa.float32(), "double": pa.float64(), "string": pa.string(), "binary": pa.binary(),
         "date": pa.date32(), "timestamp": pa.timestamp("us")}


def all_entities(catalog: Catalog) -> list[Entity]:
    return [e for s in catalog.sources.values() for e in s.entities.values()]


def generate(catalog: Catalog, options: GenerateOptions) -> dict[str, EntityData]:
    return generate_source_data(catalog, all_entities(catalog), options)


def col(data: dict[str, EntityData], ref: str, column: str) -> list:
    return data[ref].table.column(column).to_pylist()


def pk_of(entity: Entity) -> list[str]:
    return [c.name for c in entity.columns if c.primary_key]


def key_rows(table: pa.Table, keys: list[str]) -> list[tuple]:
    return list(zip(*(table.column(k).to_pylist() for k in keys), strict=True))


def write_files(data: EntityData, folder: Path) -> list[str]:
    paths = []
    for name, content in sorted(data.files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        paths.append(str(path))
    return paths


def duck_types(entity: Entity) -> dict[str, str]:
    return {c.name: sql_type(c.type).sql("duckdb") for c in entity.columns}


@pytest.fixture(scope="module")
def sample() -> Catalog:
    return load_catalog(ROOT)


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("own_catalog")
    (root / "catalog" / "sources").mkdir(parents=True)
    (root / "catalog" / "platform.yaml").write_text((ROOT / "catalog" / "platform.yaml").read_text())
    for name, text in OWN_SOURCES.items():
        (root / "catalog" / "sources" / f"{name}.yaml").write_text(text)
    (root / "pipelines.yaml").write_text(PIPELINES)
    return load_catalog(root)


@pytest.fixture(scope="module")
def sample_clean(sample: Catalog) -> dict[str, EntityData]:
    return generate(sample, CLEAN)


@pytest.fixture(scope="module")
def sample_dirty(sample: Catalog) -> dict[str, EntityData]:
    return generate(sample, DIRTY)


@pytest.fixture(scope="module")
def own_clean(own: Catalog) -> dict[str, EntityData]:
    return generate(own, CLEAN)


@pytest.fixture(scope="module")
def own_dirty(own: Catalog) -> dict[str, EntityData]:
    return generate(own, DIRTY)


def test_arrow_types_nullability_and_order_follow_the_contract(own: Catalog, own_dirty: dict[str, EntityData]):
    seen = set()
    for e in all_entities(own):
        schema = own_dirty[e.ref].table.schema
        assert schema.names == [c.name for c in e.columns]
        for c in e.columns:
            want = pa.decimal128(c.type.precision, c.type.scale) if c.type.base == "decimal" else ARROW[c.type.base]
            assert schema.field(c.name).type == want, f"{e.ref}.{c.name}"
            assert schema.field(c.name).nullable == c.nullable
            seen.add(c.type.base)
    assert seen == set(ARROW) | {"decimal"}  # the catalog exercises every portable type


def test_values_fit_string_lengths_and_decimal_precision(own_dirty, sample_dirty, own, sample):
    for catalog, data in ((own, own_dirty), (sample, sample_dirty)):
        for e in all_entities(catalog):
            table = data[e.ref].table
            table.validate(full=True)
            for c in e.columns:
                values = [v for v in table.column(c.name).to_pylist() if v is not None]
                if c.type.base in ("string", "binary") and c.type.length is not None:
                    assert max(map(len, values)) <= c.type.length, f"{e.ref}.{c.name}"
                if c.type.base == "string":
                    assert all(v and v == v.strip() for v in values)  # never empty (CSV NULL) nor padded
                if c.type.base == "decimal":
                    p, s = c.type.precision, c.type.scale
                    assert all(v.as_tuple().exponent == -s and abs(v) < Decimal(10) ** (p - s) for v in values)
    assert max(len(v) for v in col(own_dirty, "shop.payments", "note") if v) == 5  # cut to string(5)
    assert any(v.as_tuple().exponent == -4 and v % 1 for v in col(own_dirty, "shop.payments", "amount"))


def test_non_nullable_columns_never_hold_null_and_nullable_ones_get_missing_values(own, sample):
    options = GenerateOptions(rows=200, dirty_rate=0.3)
    for catalog in (own, sample):
        data = generate(catalog, options)
        for e in all_entities(catalog):
            table = data[e.ref].table
            for c in e.columns:
                nulls = table.column(c.name).null_count
                if not c.nullable or c.primary_key:
                    assert nulls == 0, f"{e.ref}.{c.name}"
                else:
                    assert nulls > 0, f"{e.ref}.{c.name}"
            assert data[e.ref].dirty["missing"] == sum(table.column(c.name).null_count for c in e.columns)


def test_no_dirt_at_dirty_rate_zero(own, own_clean, sample, sample_clean):
    for catalog, data in ((own, own_clean), (sample, sample_clean)):
        for e in all_entities(catalog):
            d = data[e.ref]
            assert d.dirty == {"missing": 0, "outliers": 0, "duplicates": 0, "bad_types": 0}
            assert all(d.table.column(c.name).null_count == 0 for c in e.columns)
            keys = key_rows(d.table, pk_of(e))
            assert len(set(keys)) == len(keys)
            assert not any(bad.encode() in content for content in d.files.values() for bad in BAD_TEXT)
    assert max(col(sample_clean, "orders.order_lines", "quantity")) <= 50


def test_primary_keys_are_unique_sequences_or_ids(own_clean, own_dirty, sample_clean, sample_dirty, own, sample):
    assert col(sample_clean, "crm.customers", "customer_id") == list(range(1, 301))
    assert col(own_clean, "shop.payments", "payment_id") == list(range(1, 901))
    assert all(re.fullmatch(r"A\d{6}", v) for v in col(own_clean, "shop.accounts", "account_id"))
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert all(re.fullmatch(uuid, v) for v in col(sample_clean, "clickstream.page_views", "event_id"))
    stores = key_rows(own_clean["shop.stores"].table, ["country", "store_no"])
    assert len(set(stores)) == len(stores) and max(n for _, n in stores) > 1  # counted within each country
    lines = key_rows(sample_clean["orders.order_lines"].table, ["order_id", "line_no"])
    assert len(set(lines)) == len(lines) == 900
    for catalog, data in ((own, own_dirty), (sample, sample_dirty)):
        for e in all_entities(catalog):
            keys = key_rows(data[e.ref].table, pk_of(e))
            assert data[e.ref].dirty["duplicates"] == len(keys) - len(set(keys)) > 0, e.ref


def test_references_take_the_referenced_keys_so_joins_work(sample_dirty, own_dirty, sample_clean, own_clean):
    def subset(data, ref, column, target, key):
        values = {v for v in col(data, ref, column) if v is not None}
        assert values and values <= set(col(data, target, key)), f"{ref}.{column}"

    for data in (sample_dirty, sample_clean):
        subset(data, "orders.orders", "customer_id", "crm.customers", "customer_id")
        subset(data, "orders.order_lines", "order_id", "orders.orders", "order_id")
        subset(data, "orders.order_lines", "product_id", "products.products", "product_id")  # bad rows excluded
        subset(data, "clickstream.page_views", "customer_id", "crm.customers", "customer_id")
        subset(data, "clickstream.page_views", "product_id", "products.products", "product_id")
    for data in (own_dirty, own_clean):
        subset(data, "shop.payments", "account_id", "shop.accounts", "account_id")  # string keys
        subset(data, "shop.payments", "customer_id", "billing.customers", "customer_id")  # int → bigint keys
        subset(data, "billing.basket_items", "customer_id", "billing.customers", "customer_id")
        subset(data, "billing.basket_items", "account_id", "shop.accounts", "account_id")
        subset(data, "exports.snapshots", "account_id", "shop.accounts", "account_id")  # parquet → database
    assert own_clean["shop.payments"].table.schema.field("customer_id").type == pa.int32()
    batches = col(own_clean, "shop.payments", "payment_batch_id")  # names a payment_batch nobody has
    assert all(isinstance(v, int) and v >= 1 for v in batches)
    rows = {ref: d.table.num_rows for ref, d in sample_clean.items()}
    assert rows == {"crm.customers": 300, "products.products": 300, "orders.orders": 900,
                    "orders.order_lines": 900, "clickstream.page_views": 900}
    order = list(sample_clean)
    assert order.index("crm.customers") < order.index("orders.orders") < order.index("orders.order_lines")
    assert order.index("products.products") < order.index("orders.order_lines")


def test_an_entity_generated_alone_equals_the_full_run(sample, sample_dirty):
    alone = generate_source_data(sample, [sample.entity("orders.order_lines")], DIRTY)
    assert list(alone) == ["orders.order_lines"]
    assert alone["orders.order_lines"].table.equals(sample_dirty["orders.order_lines"].table)


def test_watermarks_rise_over_the_days_and_duplicates_are_later(sample, own, sample_dirty, own_dirty):
    checked = 0
    for catalog, data in ((sample, sample_dirty), (own, own_dirty)):
        for e in all_entities(catalog):
            if e.load_mode != "incremental":
                continue
            marks = col(data, e.ref, e.watermark)
            assert marks == sorted(marks), e.ref  # later rows are later
            days = {m.date() if isinstance(m, dt.datetime) else m for m in marks}
            assert min(days) >= START and max(days) < END and len(days) > 150, e.ref
            versions: dict[tuple, list] = {}
            for key, mark in zip(key_rows(data[e.ref].table, pk_of(e)), marks, strict=True):
                versions.setdefault(key, []).append(mark)
            newer = [v for v in versions.values() if len(v) > 1]
            assert newer and all(v[-1] - v[0] >= dt.timedelta(days=1) for v in newer), e.ref
            checked += 1
    assert checked == 6


def test_dates_lie_in_the_span_and_births_18_to_80_years_before(sample, own, sample_dirty, own_dirty):
    for catalog, data in ((sample, sample_dirty), (own, own_dirty)):
        for e in all_entities(catalog):
            for c in e.columns:
                if c.type.base not in ("date", "timestamp"):
                    continue
                days = {v.date() if isinstance(v, dt.datetime) else v for v in col(data, e.ref, c.name) if v}
                if "birth" in c.name:
                    assert min(days) >= dt.date(1945, 1, 1) and max(days) <= dt.date(2007, 1, 1)
                    assert max(days) - min(days) > dt.timedelta(days=30 * 365)
                else:
                    assert min(days) >= START and max(days) < END, f"{e.ref}.{c.name}"
    opened = col(own_dirty, "shop.accounts", "opened_on")
    assert Counter(opened).most_common(1)[0][1] < 10  # no pile-up of early rows on the first day


def test_personal_and_categorical_columns_look_real(sample_clean, own_clean):
    customers = sample_clean["crm.customers"].table.to_pylist()
    for row in customers:
        assert row["email"] == f"{row['first_name'].lower()}.{row['last_name'].lower()}{row['customer_id']}@example.com"
        assert re.fullmatch(r"\+33 6 \d{8}", row["phone"])
        assert re.fullmatch(r"[A-Z]{2}", row["country"]) and row["city"][0].isupper()
    assert len({r["first_name"] for r in customers}) > 10 and len({r["city"] for r in customers}) > 5
    for ip in col(sample_clean, "clickstream.page_views", "ip_address"):
        octets = ip.split(".")
        assert octets[0] == "10" and len(octets) == 4 and all(0 <= int(o) <= 255 for o in octets)
    assert set(col(sample_clean, "orders.orders", "status")) <= {"shipped", "placed", "returned", "cancelled"}
    assert set(col(sample_clean, "crm.customers", "loyalty_tier")) <= {"none", "silver", "gold", "platinum"}
    assert len(set(col(sample_clean, "orders.orders", "channel"))) <= 4
    assert all(re.fullmatch(r"Product \d+", v) for v in col(sample_clean, "products.products", "name"))
    assert all(re.fullmatch(r"Product \d+", v) for v in col(own_clean, "drops.rates", "product_name"))
    person = r"[A-Z][a-z]+ [A-Z][a-z]+"
    assert all(re.fullmatch(person, v) for v in col(own_clean, "shop.accounts", "name"))  # name + personal
    assert all(re.fullmatch(person, v) for v in col(own_clean, "billing.customers", "full_name"))
    assert all(re.fullmatch(r"[A-Z]{3}", v) for v in col(own_clean, "shop.accounts", "country"))  # string(3)
    assert all(re.fullmatch(r"[0-9A-Z]{5}", v) for v in col(own_clean, "shop.accounts", "postcode"))
    assert all(re.fullmatch(r"[A-Z][a-z]+ \d+", v) for v in col(own_clean, "shop.stores", "store_name"))


def test_numbers_are_plausible_and_outliers_far_out_but_in_range(sample_clean, sample_dirty, own_clean):
    lines = sample_clean["orders.order_lines"].table
    assert min(lines.column("quantity").to_pylist()) >= 1
    prices = lines.column("unit_price").to_pylist()
    assert min(prices) > 0 and max(prices) < 5000
    assert set(lines.column("discount").to_pylist()) <= {Decimal(d) for d in (0, 5, 10, 15, 20, 25)}
    assert all(0 <= v <= 1 for v in col(own_clean, "shop.payments", "ratio"))
    dirty = sample_dirty["orders.order_lines"]
    table = dirty.table
    far = sum(v is not None and v >= 9999 for v in table.column("quantity").to_pylist())
    far += sum(v is not None and v >= 9999 for v in table.column("unit_price").to_pylist())
    far += sum(v is not None and v >= Decimal("999") for v in table.column("discount").to_pylist())
    assert far == dirty.dirty["outliers"] > 0
    assert Decimal("999.99") in table.column("discount").to_pylist()  # the most decimal(5,2) holds


def test_bad_types_are_in_the_files_only(sample, sample_dirty, tmp_path):
    products = sample_dirty["products.products"]
    entity = sample.entity("products.products")
    paths = write_files(products, tmp_path / "products")
    con = duckdb.connect()
    rows = con.sql(f"SELECT * FROM read_csv({paths!r}, header = true, columns = {duck_types(entity)!r}, "
                   "store_rejects = true)").fetchall()
    rejected = con.sql("SELECT count(DISTINCT (file_id, line)) FROM reject_errors").fetchone()[0]
    assert rejected == products.dirty["bad_types"] > 0
    assert rows == [tuple(r.values()) for r in products.table.to_pylist()]

    views = sample_dirty["clickstream.page_views"]
    entity = sample.entity("clickstream.page_views")
    paths = write_files(views, tmp_path / "views")
    text = {c.name: "VARCHAR" for c in entity.columns}
    raw = f"read_json({paths!r}, format = 'newline_delimited', columns = {text!r})"
    cast = ", ".join(f"TRY_CAST({c.name} AS {t}) AS {c.name}" for c, t in zip(
        entity.columns, duck_types(entity).values(), strict=True))
    bad = " OR ".join(f"({c.name} IS NOT NULL AND TRY_CAST({c.name} AS {t}) IS NULL)"
                      for c, t in zip(entity.columns, duck_types(entity).values(), strict=True))
    assert con.sql(f"SELECT count(*) FROM {raw} WHERE {bad}").fetchone()[0] == views.dirty["bad_types"] > 0
    good = con.sql(f"SELECT {cast} FROM {raw} WHERE NOT ({bad})").fetchall()
    assert good == [tuple(r.values()) for r in views.table.to_pylist()]


def test_clean_files_read_back_with_the_catalog_types(own, own_clean, sample, sample_clean, tmp_path):
    con = duckdb.connect()
    rates, entity = own_clean["drops.rates"], own.entity("drops.rates")
    paths = write_files(rates, tmp_path / "rates")
    read = con.sql(f"SELECT * FROM read_csv({paths!r}, delim = ';', header = true, "
                   f"columns = {duck_types(entity)!r})").fetchall()
    assert read == [tuple(r.values()) for r in rates.table.to_pylist()]
    views, entity = sample_clean["clickstream.page_views"], sample.entity("clickstream.page_views")
    paths = write_files(views, tmp_path / "views")
    read = con.sql(f"SELECT * FROM read_json({paths!r}, format = 'newline_delimited', "
                   f"columns = {duck_types(entity)!r})").fetchall()
    assert read == [tuple(r.values()) for r in views.table.to_pylist()]
    first = next(iter(views.files.values())).decode().splitlines()[0]
    assert re.search(r'"event_time":"2025-01-01T\d\d:\d\d:\d\dZ"', first)


def test_files_are_laid_out_so_the_glob_matches(sample, own, sample_dirty, own_dirty):
    for catalog, data in ((sample, sample_dirty), (own, own_dirty)):
        for e in all_entities(catalog):
            source = catalog.sources[e.source]
            if is_database(source):
                assert data[e.ref].files == {}
                continue
            glob = e.path.replace("{yyyy}", "[0-9]" * 4).replace("{MM}", "[0-1][0-9]").replace("{dd}", "[0-3][0-9]")
            assert data[e.ref].files and all(fnmatch.fnmatch(p, glob) for p in data[e.ref].files), e.ref
    assert list(sample_dirty["products.products"].files) == ["products/products_20251231.csv"]
    views = sample_dirty["clickstream.page_views"].files
    assert "events/2025/01/02/part-0000.jsonl" in views and len(views) > 300
    for path, content in views.items():  # a day's file holds that day's rows (a bad-type one has no time)
        stamps = re.findall(rb'"event_time":"(\d{4})-(\d\d)-(\d\d)T', content)
        assert {tuple(s.decode() for s in t) for t in stamps} <= {tuple(path.split("/")[1:4])}
    page_views = sample_dirty["clickstream.page_views"]
    assert sum(content.count(b"\n") for content in views.values()) == (
        page_views.table.num_rows + page_views.dirty["bad_types"])
    rates = own_dirty["drops.rates"].files
    assert next(iter(rates.values())).decode().splitlines()[0] == (
        "rate_id;product_name;price;discount_pct;valid_from;active;user_agent;updated_at")
    assert all(re.fullmatch(r"rates/2025/\d\d/\d\d/rates_part-0000\.csv", p) for p in rates)
    (path, content), = own_dirty["exports.snapshots"].files.items()
    assert path == "snapshots/snapshot_20251231.parquet"
    assert pq.read_table(io.BytesIO(content)).equals(own_dirty["exports.snapshots"].table)


def test_csv_options_header_and_quote_are_honoured(own):
    source = own.sources["drops"]
    changed = replace(source, options={"delimiter": ";", "header": False, "quote": "'"})
    catalog = replace(own, sources={**own.sources, "drops": changed})
    data = generate_source_data(catalog, [changed.entities["rates"]], CLEAN)["drops.rates"]
    first = data.files[min(data.files)].decode().splitlines()[0]
    assert first.startswith("1;Product 1;") and ";'Mozilla/5.0 (" in first  # no header; ';' inside is quoted


def test_same_input_gives_the_same_bytes_and_seeds_differ(own):
    first, again = generate(own, DIRTY), generate(own, DIRTY)
    other = generate(own, replace(DIRTY, seed=7))
    for ref in first:
        assert first[ref].table.equals(again[ref].table) and first[ref].files == again[ref].files
        assert first[ref].dirty == again[ref].dirty
    assert not first["shop.accounts"].table.equals(other["shop.accounts"].table)
    assert first["drops.rates"].files != other["drops.rates"].files


def _digest(catalog: Catalog) -> str:
    digest = hashlib.sha256()
    for ref, d in generate(catalog, DIRTY).items():
        sink = pa.BufferOutputStream()
        pq.write_table(d.table, sink)
        digest.update(ref.encode() + sink.getvalue().to_pybytes())
        for name, content in sorted(d.files.items()):
            digest.update(name.encode() + content)
    return digest.hexdigest()


def test_same_bytes_in_another_process_whatever_its_hash_seed(own):
    # Seeds derive from zlib.crc32 of names, never hash(): str hashes change with PYTHONHASHSEED.
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); from pathlib import Path; "
              "from lakewharf.project import load_catalog; import test_synthetic as t; "
              f"print(t._digest(load_catalog(Path({str(own.root)!r}))))")
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == _digest(own)


def test_adding_a_column_changes_no_other_values(sample, sample_dirty):
    source = sample.sources["crm"]
    entity = source.entities["customers"]
    added = (Column("nickname", DataType.parse("string(30)")), Column("loyalty_points", DataType.parse("int")))
    wider = replace(entity, columns=entity.columns[:3] + added + entity.columns[3:])
    catalog = replace(sample, sources={**sample.sources, "crm": replace(source, entities={"customers": wider})})
    data = generate(catalog, DIRTY)
    assert data["crm.customers"].dirty["outliers"] > 0  # the new numeric column got its own dirt
    for ref, before in sample_dirty.items():
        for name in before.table.column_names:
            assert data[ref].table.column(name).equals(before.table.column(name)), f"{ref}.{name}"
        assert data[ref].files == before.files


def test_zero_rows_give_empty_typed_tables(own):
    data = generate(own, replace(CLEAN, rows=0))
    assert all(d.table.num_rows == 0 for d in data.values())
    assert list(data["exports.snapshots"].files) == ["snapshots/snapshot_20251231.parquet"]
    assert data["drops.rates"].files == {}  # a day-partitioned drop with no days


def _wide_catalog(sample: Catalog, entities_per_source: int = 20) -> Catalog:
    """100 entities over four databases and a csv drop, each referencing the previous one."""
    types = ("int", "string(40)", "decimal(12,2)", "double", "date", "timestamp", "boolean", "smallint", "bigint")
    names = ("quantity", "city", "amount", "score", "signup_date", "created_at", "active", "rating", "views")
    sources = {}
    for s, (kind, fmt) in enumerate([("sqlserver", None), ("postgresql", None), ("sqlserver", None),
                                     ("postgresql", None), ("file_drop", "csv")]):
        entities = {}
        for i in range(entities_per_source):
            name = f"things{s}_{i}"
            columns = [Column(f"{name}_id", DataType.parse("int"), nullable=False, primary_key=True)]
            if i:
                columns.append(Column(f"things{s}_{i - 1}_id", DataType.parse("int"), nullable=False))
            columns += [Column(n, DataType.parse(t)) for n, t in zip(names, types, strict=True)]
            columns.append(Column("email", DataType.parse("string(80)"), privacy=Privacy.PERSONAL))
            entities[name] = Entity(f"src{s}", name, None if fmt else f"dbo.{name}", f"{name}/*.csv" if fmt else None,
                                    "incremental", "created_at", tuple(columns))
        sources[f"src{s}"] = Source(f"src{s}", kind, fmt, {}, "secret", None, "landing", entities)
    return replace(sample, sources=sources)


def test_a_hundred_entities_of_a_thousand_rows_take_seconds(sample):
    catalog = _wide_catalog(sample)
    entities = all_entities(catalog)
    assert len(entities) == 100
    began = time.perf_counter()
    data = generate_source_data(catalog, entities, GenerateOptions(rows=1000))
    took = time.perf_counter() - began
    assert len(data) == 100 and sum(d.table.num_rows for d in data.values()) > 250_000
    assert took < 15, f"{took:.1f}s"
