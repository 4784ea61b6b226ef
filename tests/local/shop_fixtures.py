"""A `wharf init` project whose shop source is bound to fixtures, so a test plants exactly the
rows it needs; and the `wharf run --json` / `wharf query --json` calls the data-test runs read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakewharf.cli.main import main

CUSTOMERS = [  # customer_id, name, email, country, signup_date, updated_at
    (1, "Ada", "ada@example.org", "FR", "2025-01-02", "2025-01-02 10:00:00"),
    (2, "Bo", "bo@example.org", "DE", "2025-01-03", "2025-01-03 10:00:00"),
    (3, "Cy", "cy@example.org", "NL", "2025-01-04", "2025-01-04 10:00:00"),
]


def shop_project(tmp_path: Path, customers: list[tuple[Any, ...]], orders: list[tuple[Any, ...]]) -> Path:
    root = tmp_path / "shop"
    assert main(["init", str(root)]) == 0
    (root / "local.yaml").write_text("sources:\n  shop: {fixtures: data/shop}\n", encoding="utf-8")
    (root / "data" / "shop").mkdir(parents=True)
    plant(root, customers, orders)
    return root


def plant(root: Path, customers: list[tuple[Any, ...]], orders: list[tuple[Any, ...]]) -> None:
    """(Re)write the shop's fixtures."""
    data = root / "data" / "shop"
    _csv(data / "customers.csv", "customer_id,name,email,country,signup_date,updated_at", customers)
    _csv(data / "orders.csv", "order_id,customer_id,order_date,amount,updated_at", orders)


def _csv(path: Path, header: str, rows: list[tuple[Any, ...]]) -> None:
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")


def run_json(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["--project", str(root), "run", "--json"])
    return code, json.loads(capsys.readouterr().out)


def query_json(root: Path, sql: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["--project", str(root), "query", sql, "--json"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["rows"]
    return rows
