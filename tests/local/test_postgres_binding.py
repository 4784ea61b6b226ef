"""A PostgreSQL source bound in local.yaml: the generated query runs on a real server, through the
user's driver (psycopg), and a missing driver is a clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from postgres_server import binaries, free_port, postgres

from lakewharf.cli.main import main
from lakewharf.local.sample_data import Volumes, generate

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (Debian's postgresql)")]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with postgres(tmp_path_factory.mktemp("pg"), free_port()) as address:
        yield address


def _load(address: str) -> dict[str, int]:
    """The sample's orders system, in a real PostgreSQL database ``shop``."""
    import psycopg

    data = generate(Volumes(customers=120, products=30, orders=600, page_views=200))
    with psycopg.connect(f"postgresql://wharf@{address}/postgres", autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS shop")
        con.execute("CREATE DATABASE shop")
    counts = {}
    with psycopg.connect(f"postgresql://wharf@{address}/shop") as con:
        con.execute("CREATE TABLE orders (order_id bigint PRIMARY KEY, customer_id int NOT NULL, order_date date "
                    "NOT NULL, status varchar(20) NOT NULL, channel varchar(20), updated_at timestamp NOT NULL)")
        con.execute("CREATE TABLE order_lines (order_id bigint, line_no int, product_id int NOT NULL, quantity int "
                    "NOT NULL, unit_price numeric(10,2) NOT NULL, discount numeric(5,2), updated_at timestamp "
                    "NOT NULL, PRIMARY KEY (order_id, line_no))")
        for name in ("orders", "order_lines"):
            table = data.tables[f"orders.{name}"]
            with con.cursor().copy(f"COPY {name} ({', '.join(table.column_names)}) FROM STDIN") as copy:
                for row in table.to_pylist():
                    copy.write_row(list(row.values()))
            counts[name] = table.num_rows
    return counts


def _project(tmp_path: Path, binding: str) -> Path:
    root = tmp_path / "project"
    for name in ("catalog", "templates"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "pipelines.yaml", root / "pipelines.yaml")
    (root / "local.yaml").write_text(
        "sources:\n  crm: {sample: retail}\n  products: {sample: retail}\n  clickstream: {sample: retail}\n"
        f"  orders: {{database: \"{binding}\"}}\n")
    return root


def test_a_postgresql_source_is_read_through_its_driver(server: str, tmp_path: Path, monkeypatch) -> None:
    counts = _load(server)
    root = _project(tmp_path, f"postgresql+psycopg://wharf@{server}/shop")
    monkeypatch.setenv("WHARF_SAMPLE_SCALE", "0.06")
    assert main(["--project", str(root), "run", "clickstream_hourly", "nightly", "--report", str(root / "r.json")]) == 0
    report = json.loads((root / "r.json").read_text())
    copied = {a["activity"]: a["rows_read"] for a in report["activities"] if a["type"] == "Copy"}
    assert copied["land_orders__orders/copy"] == counts["orders"]
    assert copied["land_orders__order_lines/copy"] == counts["order_lines"]
    assert report["sources"]["orders"] == f"database postgresql+psycopg://wharf@{server}/shop"
    # The watermark advanced on the server's own values: a second run copies nothing new.
    assert main(["--project", str(root), "run", "clickstream_hourly", "nightly",
                 "--report", str(root / "r2.json")]) == 0
    again = json.loads((root / "r2.json").read_text())
    assert {a["activity"]: a["rows_read"] for a in again["activities"]
            if a["type"] == "Copy" and "orders" in a["activity"]} == {
        "land_orders__order_lines/copy": 0, "land_orders__orders/copy": 0}


def test_a_missing_driver_is_named(server: str, tmp_path: Path, capsys) -> None:
    try:
        import pg8000  # noqa: F401
        pytest.skip("pg8000 is installed here")
    except ImportError:
        pass
    root = _project(tmp_path, f"postgresql+pg8000://wharf@{server}/shop")
    assert main(["--project", str(root), "run", "nightly"]) == 1
    err = capsys.readouterr().err
    assert "the driver for postgresql+pg8000://wharf@" in err and "(pg8000)" in err and "Traceback" not in err


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, capsys) -> None:
    root = _project(tmp_path, f"postgresql+psycopg://wharf@127.0.0.1:{free_port()}/shop")
    assert main(["--project", str(root), "run", "nightly"]) == 1
    err = capsys.readouterr().err
    assert "source orders: cannot connect to postgresql+psycopg://wharf@127.0.0.1" in err
