"""Bad rows are rejected one at a time, with a reason, and the rest of the copy lands; the three
counts of a copy are measured apart, so their sum is a check that can fail."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import pytest
from own_data import make_project

from lakewharf.cli.main import main
from lakewharf.local import copy_activity

pytestmark = pytest.mark.integration

EVENTS = """kind: log
format: jsonl
connection: {secret: events-container-url}
entities:
  clicks:
    path: "clicks/{yyyy}/{MM}/{dd}/*.jsonl"
    load: {mode: incremental, watermark: at}
    columns:
      click_id: {type: string(36), nullable: false, primary_key: true}
      at: {type: timestamp, nullable: false}
      item: {type: int}
"""


def _project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "tools", customers=30, tickets=40, items=12)
    (root / "catalog/sources/events.yaml").write_text(EVENTS)
    pipelines = root / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text().replace("      land_files: {ingest: store_files}\n",
                                                       "      land_files: {ingest: store_files}\n"
                                                       "      land_events: {ingest: events}\n"))
    (root / "local.yaml").write_text((root / "local.yaml").read_text() + "  events: {folder: data/events}\n")
    day = root / "data/events/clicks/2025/06/01"
    day.mkdir(parents=True)
    lines = [b'{"click_id": "a", "at": "2025-06-01T10:00:00Z", "item": 1}',
             b'{"click_id": "b", "at": "2025-06-01T10:01:00Z", "item": 2',  # malformed: no closing brace
             b'{"click_id": "c\xff\xfe", "at": "2025-06-01T10:02:00Z"}',  # invalid UTF-8
             b'[1, 2, 3]',  # JSON, but not an object
             b'{"click_id": "d", "at": "not a time", "item": 4}',  # a value of the wrong type
             b'{"click_id": "e", "at": "2025-06-01T10:04:00Z", "item": 5, "extra": true}',
             b'']
    (day / "part-0000.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    items = root / "data/drops/items/item_2025.csv"
    items.write_text(items.read_text()
                     + '90,"Too many",tools,1.00,surplus\n'
                     + '91,"' + "X" * 10_000_000 + '",tools,2.00\n'
                     + '92,"Fine after the big one",garden,3.00\n')
    return root


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = _project(tmp_path_factory.mktemp("rejects"))
    main(["--project", str(root), "run", "--report", str(root / "r.json")])
    return root, json.loads((root / "r.json").read_text())


def _copy(report: dict, name: str) -> dict:
    return next(a for a in report["activities"] if a["activity"] == name)


def _rejects(root: Path, entity: str) -> list[tuple]:
    files = sorted((root / ".wharf/lake/landing/_rejects").glob(f"{entity}/**/*.parquet"))
    with duckdb.connect() as con:
        return con.execute(f"SELECT line, reason, record FROM read_parquet({[str(f) for f in files]!r}) "
                           "ORDER BY line").fetchall()


def test_each_broken_json_line_is_a_reject_and_the_rest_lands(ran) -> None:
    root, report = ran
    copy = _copy(report, "land_events__clicks/copy")
    assert copy["status"] == "Succeeded"
    assert (copy["rows_read"], copy["rows_written"], copy["rows_rejected"]) == (6, 2, 4)
    rejects = _rejects(root, "events.clicks")
    assert [r[0] for r in rejects] == [2, 3, 4, 5]
    assert "malformed JSON" in rejects[0][1]
    assert "invalid UTF-8 at byte" in rejects[1][1]
    assert "not an object" in rejects[2][1]
    assert rejects[3][1] == "at: not a time is not timestamp"


def test_csv_rows_with_a_wrong_column_count_or_a_huge_field_are_handled_row_by_row(ran) -> None:
    root, report = ran
    copy = _copy(report, "land_files__item/copy")
    assert copy["status"] == "Succeeded"
    # 12 items + a row with a surplus column + the 10 MB name + one after it.
    assert (copy["rows_read"], copy["rows_written"], copy["rows_rejected"]) == (15, 14, 1)
    reasons = [r[1] for r in _rejects(root, "store_files.item")]
    assert all(reason for reason in reasons) and max(len(r) for r in reasons) <= 500
    assert any("Expected Number of Columns" in r for r in reasons)
    # The 10 MB value converts: Azure's copy lands it too, so it lands, with a warning on the contract.
    assert any("store_files.item: 1 row(s) break the column contract (i_name: 10000000 characters, more than "
               "string(100))" in w for w in report["warnings"])


def test_rows_with_a_null_watermark_are_counted_and_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path / "tools", customers=10, tickets=10, items=4)
    db = sqlite3.connect(root / "data/ops.sqlite")
    db.execute("UPDATE customer SET updated_at = NULL WHERE c_customer_sk IN (3, 4)")
    db.commit()
    db.close()
    main(["--project", str(root), "run", "--report", str(root / "r.json")])
    report = json.loads((root / "r.json").read_text())
    assert any("ops.customer: 2 row(s) have no updated_at (NULL watermark)" in w for w in report["warnings"])
    assert _copy(report, "land_ops__customer/copy")["rows_read"] == 8  # the query cannot select them
    # Measured as in Azure too: the generated new-watermark Lookup counts them, the worker records it.
    assert _copy(report, "land_ops__customer/new_watermark")["status"] == "Succeeded"
    with duckdb.connect(str(root / ".wharf/warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT rows_without_watermark FROM etl.watermarks WHERE entity = 'ops.customer'"
                           ).fetchall() == [(2,)]


def test_the_conservation_check_fails_when_a_row_goes_missing(tmp_path: Path, monkeypatch, capsys) -> None:
    root = make_project(tmp_path / "tools", customers=10, tickets=10, items=4)
    real = copy_activity.checked

    def leaky(*args, **kwargs):  # a bug that drops one kept row on the way to the writer
        kept, rejected, broken = real(*args, **kwargs)
        return f"SELECT * FROM ({kept}) OFFSET 1", rejected, broken

    monkeypatch.setattr(copy_activity, "checked", leaky)
    main(["--project", str(root), "run", "--report", str(root / "r.json")])
    report = json.loads((root / "r.json").read_text())
    failed = _copy(report, "land_ops__customer/copy")
    assert failed["status"] == "Failed" and "1 row(s) unaccounted for" in failed["error"]
