"""A team's own platform with its own data (tests/local/own_project, bound in local.yaml):
SQLite, DuckDB, a CSV folder and fixtures, read in place and never changed."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import duckdb
import pytest
from own_data import make_project

from lakewharf.cli.main import main

pytestmark = pytest.mark.integration


def _files(root: Path) -> dict[str, bytes]:
    """Every file's bytes, but the project lock (lakewharf's own, taken before anything is checked)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "wharf.lock"}


def _query(root: Path, sql: str, capsys: pytest.CaptureFixture[str]) -> list[list]:
    capsys.readouterr()
    assert main(["--project", str(root), "query", sql, "--json"]) == 0
    return [list(r.values()) for r in json.loads(capsys.readouterr().out)["rows"]]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict]:
    root = make_project(tmp_path_factory.mktemp("own") / "tools")
    before = _files(root / "data")
    assert main(["--project", str(root), "run", "--report", str(root / "report.json")]) == 0
    return root, before, json.loads((root / "report.json").read_text())


def test_fact_table_equals_an_independent_query_on_the_source(ran, capsys) -> None:
    root, _, _ = ran
    db = sqlite3.connect(root / "data" / "ops.sqlite")
    # The catalog's rejects: returns (quantity 0 or less) are filtered out by sales_trusted.
    count, cents = db.execute("SELECT COUNT(*), SUM(CAST(ROUND(ss_net_paid * 100) AS INTEGER)) FROM store_sales "
                              "WHERE ss_quantity > 0").fetchone()
    db.close()
    [[rows, total]] = _query(root, "SELECT COUNT(*) AS n, SUM(ss_net_paid) AS total FROM mart.fact_store_sales",
                             capsys)
    assert rows == count
    assert round(float(total) * 100) == cents


def test_bad_rows_of_the_csv_drop_are_rejected_and_the_rest_lands(ran, capsys) -> None:
    root, _, report = ran
    copy = next(a for a in report["activities"] if a["activity"] == "land_files__item/copy")
    assert (copy["rows_read"], copy["rows_written"], copy["rows_rejected"]) == (80, 78, 2)
    assert _query(root, "SELECT COUNT(*) AS n FROM mart.dim_item", capsys) == [[78]]
    assert report["sources"] == {"ops": "database sqlite:///data/ops.sqlite",
                                 "store_files": f"folder {root / 'data' / 'drops'}"}


def test_the_users_files_are_read_in_place_and_never_changed(ran) -> None:
    root, before, _ = ran
    assert _files(root / "data") == before  # same files, same bytes: nothing written, nothing deleted
    assert not (root / ".wharf" / "sources" / "ops.duckdb").exists()  # no copy of a bound database


def test_a_column_added_to_a_bound_source_is_a_clear_error_and_changes_nothing(ran, capsys) -> None:
    root, before, _ = ran
    path = root / "catalog/sources/ops.yaml"
    original = path.read_text()
    path.write_text(original.replace("      c_city: {type: string(60)}\n",
                                     "      c_city: {type: string(60)}\n      c_loyalty: {type: string(20)}\n"))
    try:
        capsys.readouterr()
        assert main(["--project", str(root), "run"]) == 1
        err = capsys.readouterr().err
        assert "source ops, entity customer" in err and "c_loyalty" in err and "ops.sqlite" in err
        assert "Traceback" not in err
        assert _files(root / "data") == before
    finally:
        path.write_text(original)


def test_a_missing_table_names_source_entity_and_where_it_looked(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "tools", customers=20, tickets=20, items=5)
    db = sqlite3.connect(root / "data/ops.sqlite")
    db.execute("ALTER TABLE store_sales RENAME TO sales")
    db.commit()
    db.close()
    before = _files(root)
    assert main(["--project", str(root), "run"]) == 1
    err = capsys.readouterr().err
    assert "source ops, entity store_sales: no table dbo.store_sales" in err and "ops.sqlite" in err
    assert "main.sales" in err  # what the database does hold
    assert _files(root) == before  # nothing generated, seeded or written


def test_a_folder_without_a_matching_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "tools", customers=20, tickets=20, items=5)
    (root / "data/drops/items/item_2025.csv").rename(root / "data/drops/items/items.txt")
    assert main(["--project", str(root), "run"]) == 1
    err = capsys.readouterr().err
    assert "source store_files, entity item: no file in the folder" in err and "items/item_*.csv" in err


def test_a_copy_that_reads_no_file_in_its_window_is_a_warning(tmp_path: Path) -> None:
    root = make_project(tmp_path / "tools", customers=20, tickets=20, items=5)
    source = root / "catalog/sources/store_files.yaml"
    source.write_text(source.read_text().replace("load: {mode: full}",
                                                 "load: {mode: incremental, watermark: i_item_sk}"))
    future = 4_102_444_800  # 2100-01-01: modified after the copy window ends
    os.utime(root / "data/drops/items/item_2025.csv", (future, future))
    assert main(["--project", str(root), "run", "--report", str(root / "r.json")]) in (0, 1)
    report = json.loads((root / "r.json").read_text())
    assert any("store_files.item: 0 files read from the folder" in w and "outside the copy window" in w
               for w in report["warnings"]), report["warnings"]


def test_duckdb_and_fixture_bindings_give_the_same_warehouse(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "tools", customers=40, tickets=60, items=10)
    lite = root / "data/ops.sqlite"
    with duckdb.connect(str(root / "data/ops.duckdb")) as con:  # the same tables in a DuckDB file
        for table in ("customer", "store_sales"):
            rows = sqlite3.connect(lite).execute(f"SELECT * FROM {table}").fetchall()
            columns = [r[1] for r in sqlite3.connect(lite).execute(f"PRAGMA table_info({table})")]
            con.execute(f"CREATE TABLE {table} ({', '.join(c + ' VARCHAR' for c in columns)})")
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})",
                            [[None if v is None else str(v) for v in r] for r in rows])
            con.execute(f"COPY {table} TO '{root / 'data' / (table + '.csv')}' (HEADER)")
    fixtures = root / "data/fixtures"
    fixtures.mkdir()
    for table in ("customer", "store_sales"):
        (root / "data" / f"{table}.csv").rename(fixtures / f"{table}.csv")
    sql = "SELECT COUNT(*) AS n, SUM(ss_net_paid) AS total FROM mart.fact_store_sales"
    assert main(["--project", str(root), "run"]) == 0
    expected = _query(root, sql, capsys)
    for binding in ('{database: "duckdb:///data/ops.duckdb"}', "{fixtures: data/fixtures}"):
        (root / "local.yaml").write_text(f"sources:\n  ops: {binding}\n  store_files: {{folder: data/drops}}\n")
        (root / ".wharf/warehouse.duckdb").unlink()
        assert main(["--project", str(root), "run"]) == 0, binding
        assert _query(root, sql, capsys) == expected, binding
    assert (root / ".wharf/sources/ops.duckdb").is_file()  # fixtures are loaded into lakewharf's own copy


@pytest.mark.parametrize(("local", "message"), [
    ("sources:\n  opps: {fixtures: data}\n", "no source 'opps' in the catalog"),
    ("sources:\n  ops: {database: \"postgresql://me:secret@db/ops\"}\n", "the URL holds a password"),
    ("sources:\n  store_files: {database: \"sqlite:///data/ops.sqlite\"}\n", "a database binding serves SQL"),
    ("sources:\n  ops: {folder: data}\n", "a folder binding serves file and log sources"),
    ("sources:\n  ops: {database: \"sqlite:///data/none.sqlite\"}\n", "no SQLite file at"),
    ("sources:\n  ops: {folder: data, fixtures: data}\n", "$.sources.ops"),
    ("sources:\n  ops: {sample: retail}\n", "the retail sample has no data for ops.customer"),
])
def test_local_yaml_mistakes_are_located_errors(tmp_path: Path, capsys, local: str, message: str) -> None:
    root = make_project(tmp_path / "tools", customers=5, tickets=5, items=2)
    (root / "local.yaml").write_text(local)
    assert main(["--project", str(root), "run"]) == 1
    out = capsys.readouterr()
    assert "local.yaml:" in out.out + out.err and message in out.out + out.err
    assert not (root / "build").exists()  # stopped before anything was written


def test_binding_your_own_data_after_a_generated_run_replaces_the_generated_data(tmp_path: Path, capsys) -> None:
    # docs/first-platform.md's order: run on generated data first, then bind your own.
    root = make_project(tmp_path / "tools", customers=30, tickets=40, items=10)
    local = (root / "local.yaml").read_text()
    (root / "local.yaml").unlink()
    assert main(["--project", str(root), "run"]) == 0
    generated = _query(root, "SELECT COUNT(*) AS n FROM mart.fact_store_sales", capsys)
    (root / "local.yaml").write_text(local)
    assert main(["--project", str(root), "run", "--report", str(root / "r.json")]) == 0
    report = json.loads((root / "r.json").read_text())
    assert any("the local lake and warehouse were reset" in n and "ops:" in n for n in report["notices"])
    db = sqlite3.connect(root / "data/ops.sqlite")
    expected = db.execute("SELECT COUNT(*) FROM store_sales WHERE ss_quantity > 0").fetchone()[0]
    db.close()
    assert _query(root, "SELECT COUNT(*) AS n FROM mart.fact_store_sales", capsys) == [[expected]] != generated
