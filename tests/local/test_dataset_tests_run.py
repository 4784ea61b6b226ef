"""Data tests on datasets, run locally by ``wharf run``: the preparation worker's audit SELECT on
the local serverless pool (DuckDB over the lake), its rows recorded in etl.test_results by the
generated dedicated-pool script (OPENJSON and THROW interpreted on DuckDB). A `wharf init` project
whose shop source is bound to fixtures, so each test plants exactly the rows it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.local.shop_fixtures import CUSTOMERS, plant, query_json, run_json, shop_project

pytestmark = pytest.mark.integration
ORDERS = [  # order_id, customer_id, order_date, amount, updated_at
    (10, 1, "2025-02-01", "12.50", "2025-02-01 09:00:00"),
    (11, 2, "2025-02-02", "20.00", "2025-02-02 09:00:00"),
    (12, 3, "2025-02-03", "5.00", "2025-02-03 09:00:00"),
]


def _add_tests(root: Path, dataset: str, lines: str) -> None:
    path = root / "catalog" / "datasets" / f"{dataset}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + lines if "\ntests:\n" in text else text + "tests:\n" + lines, encoding="utf-8")


def test_a_planted_duplicate_fails_the_datasets_unique_test(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    twin = (4, "Di", "bo@example.org", "BE", "2025-01-05", "2025-01-05 10:00:00")  # Bo's e-mail again
    root = shop_project(tmp_path, [*CUSTOMERS, twin], ORDERS)
    _add_tests(root, "customers_trusted", "  - unique: email_hash\n")
    code, report = run_json(root, capsys)
    assert code == 1 and not report["succeeded"]
    nightly = next(p for p in report["pipelines"] if p["pipeline"] == "nightly")
    message = ("data test customers_trusted.unique_email_hash failed: 1 failing row(s) in "
               "trusted.customers_trusted.")
    assert nightly["status"] == "Failed" and message in nightly["error"], nightly["error"]
    assert "failed in activity 'data_tests'" in nightly["error"]
    tests = {t["test_name"]: t for t in report["data_tests"]}
    failed = tests["customers_trusted.unique_email_hash"]
    assert (failed["table_name"], failed["severity"], failed["status"], failed["failing_rows"]) == (
        "trusted.customers_trusted", "error", "fail", 1)
    assert tests["customers_trusted.unique_customer_id"]["status"] == "pass"  # the scaffold's own test
    assert not any(name.startswith("dim_customer.") for name in tests)  # the load waits on the dataset
    recorded = query_json(root, "SELECT test_name, status, failing_rows FROM etl.test_results WHERE status = 'fail'",
                      capsys)
    assert recorded == [{"test_name": "customers_trusted.unique_email_hash", "status": "fail", "failing_rows": 1}]
    # A dataset without tests (orders_trusted) runs no audit: its item never enters the data_tests loop.
    audits = [a["activity"] for a in report["activities"] if a["activity"].endswith(("/run_audit", "/record_tests"))]
    assert audits == ["customers/run_audit", "customers/record_tests"], audits


def test_warnings_and_row_count_change_against_the_last_run(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = shop_project(tmp_path, CUSTOMERS, ORDERS)
    _add_tests(root, "orders_trusted", "  - not_null: order_date\n    severity: warn\n"
                                       "  - row_count: {min: 1, max_change_percent: 50}\n"
                                       "  - freshness: {column: order_date, max_age_hours: 24}\n    severity: warn\n"
                                       "  - name: big_orders\n    severity: warn\n"
                                       "    sql: SELECT order_id FROM trusted.orders_trusted WHERE amount > 15\n")
    _add_tests(root, "customers_trusted", "  - accepted_values: {column: country, values: [FR, DE]}\n"
                                          "    severity: warn\n")
    code, report = run_json(root, capsys)
    assert code == 0 and report["succeeded"], report["pipelines"]
    tests = {t["test_name"]: t for t in report["data_tests"]}
    assert tests["orders_trusted.row_count"]["status"] == "pass"
    assert tests["orders_trusted.not_null_order_date"]["status"] == "pass"
    warned = {name: t["failing_rows"] for name, t in tests.items() if t["status"] == "warn"}
    assert warned == {"orders_trusted.freshness_order_date": 1, "orders_trusted.big_orders": 1,
                      "customers_trusted.accepted_values_country": 1}  # the 2025 orders; order 11; NL
    # Twice the orders: +100 % against the last run's 3 rows fails the change check.
    more = [(20 + i, 1, "2025-02-04", "7.00", "2025-02-04 09:00:00") for i in range(3)]
    plant(root, CUSTOMERS, [*ORDERS, *more])
    code, again = run_json(root, capsys)
    assert code == 1
    nightly = next(p for p in again["pipelines"] if p["pipeline"] == "nightly")
    assert ("data test orders_trusted.row_count failed: 6 rows in trusted.orders_trusted, expected at least 1, "
            "within 50% of the last load's.") in nightly["error"], nightly["error"]
    counts = query_json(root, "SELECT measured, status FROM etl.test_results "
                        "WHERE test_name = 'orders_trusted.row_count' ORDER BY checked_at", capsys)
    assert counts == [{"measured": 3, "status": "pass"}, {"measured": 6, "status": "fail"}]
