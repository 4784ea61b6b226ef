"""Data tests run locally by ``wharf run``: a `wharf init` project whose shop source is bound to
fixtures, so each test plants exactly the rows it needs. The audit procedures are the generated
ones, interpreted on DuckDB (THROW included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.local.shop_fixtures import CUSTOMERS, query_json, run_json, shop_project

pytestmark = pytest.mark.integration
ORDERS = [  # order_id, customer_id, order_date, amount, updated_at; customer 99 does not exist
    (10, 1, "2025-02-01", "12.50", "2025-02-01 09:00:00"),
    (11, 2, "2025-02-02", "20.00", "2025-02-02 09:00:00"),
    (12, 99, "2025-02-03", "5.00", "2025-02-03 09:00:00"),
]


def _project(tmp_path: Path, customers: list[tuple[Any, ...]]) -> Path:
    root = shop_project(tmp_path, customers, ORDERS)
    dim = root / "catalog" / "warehouse" / "dim_customer.yaml"
    dim.write_text(dim.read_text(encoding="utf-8") + "  - unique: email_hash\n", encoding="utf-8")
    return root


def test_a_planted_duplicate_fails_its_unique_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twin = (4, "Di", "bo@example.org", "BE", "2025-01-05", "2025-01-05 10:00:00")  # Bo's e-mail again
    root = _project(tmp_path, [*CUSTOMERS, twin])
    code, report = run_json(root, capsys)
    assert code == 1 and not report["succeeded"]
    nightly = next(p for p in report["pipelines"] if p["pipeline"] == "nightly")
    message = "data test dim_customer.unique_email_hash failed: 1 failing row(s) in mart.dim_customer."
    assert nightly["status"] == "Failed" and message in nightly["error"], nightly["error"]
    tests = {t["test_name"]: t for t in report["data_tests"]}
    failed = tests["dim_customer.unique_email_hash"]
    assert (failed["severity"], failed["status"], failed["failing_rows"]) == ("error", "fail", 1)
    assert tests["dim_customer.unique_customer_id"]["status"] == "pass"
    assert not any(name.startswith("fact_orders.") for name in tests)  # the fact load waits on the dimension
    recorded = query_json(root, "SELECT test_name, status, failing_rows FROM etl.test_results WHERE status = 'fail'",
                      capsys)
    assert recorded == [{"test_name": "dim_customer.unique_email_hash", "status": "fail", "failing_rows": 1}]


def test_a_warning_is_recorded_and_the_run_succeeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, CUSTOMERS)
    code, report = run_json(root, capsys)
    assert code == 0 and report["succeeded"], report["pipelines"]
    tests = {t["test_name"]: t for t in report["data_tests"]}
    warned = tests["fact_orders.orders_on_unknown_customer"]
    assert (warned["severity"], warned["status"], warned["failing_rows"]) == ("warn", "warn", 1)
    # The order of customer 99 points at the unknown member, so the relationship holds.
    assert tests["fact_orders.relationships_customer_id_to_dim_customer"]["status"] == "pass"
    fact = query_json(root, "SELECT customer_id FROM mart.fact_orders WHERE order_id = 12", capsys)
    assert fact == [{"customer_id": -1}]
    assert query_json(root, "SELECT COUNT(*) AS n FROM mart.dim_customer WHERE customer_id = -1", capsys) == [{"n": 1}]
    rows = query_json(root, "SELECT test_name, severity, status, failing_rows FROM etl.test_results "
                        "WHERE status <> 'pass'", capsys)
    assert rows == [{"test_name": "fact_orders.orders_on_unknown_customer", "severity": "warn", "status": "warn",
                     "failing_rows": 1}]
    # A second run measures again: one more result row per test, the row count compared with the last.
    code, again = run_json(root, capsys)
    assert code == 0 and len(again["data_tests"]) == len(report["data_tests"])
    counts = query_json(root, "SELECT measured FROM etl.test_results WHERE test_name = 'fact_orders.row_count'", capsys)
    assert counts == [{"measured": 3}, {"measured": 3}]
