"""The privacy check on the data: leaks of every kind of value are caught, common values shared
by chance are not, and a team can acknowledge a finding with its reason."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from own_data import make_project

from lakewharf.cli.main import main

pytestmark = pytest.mark.integration

LEAKS = """description: Customers for a campaign tool, with three leaks declared as harmless.
zone: trusted
input: ops.customer
steps:
  - derive:
      contact: {expr: "LOWER(c_email)", type: string(120), privacy: none}
      year_of_birth: {expr: "c_birth_year", type: int, privacy: none}
      born: {expr: "c_birth_date", type: date, privacy: none}
  - select: [c_customer_sk, contact, year_of_birth, born]
"""


def _run(root: Path) -> dict:
    main(["--project", str(root), "run", "--report", str(root / "r.json")])
    return json.loads((root / "r.json").read_text())


def _with_birth_dates(root: Path) -> None:
    source = root / "catalog/sources/ops.yaml"
    source.write_text(source.read_text().replace(
        "      c_city: {type: string(60)}\n", "      c_city: {type: string(60)}\n"
        "      c_birth_date: {type: date, privacy: personal}\n"))
    db = sqlite3.connect(root / "data/ops.sqlite")
    db.execute("ALTER TABLE customer ADD COLUMN c_birth_date TEXT")
    db.execute("UPDATE customer SET c_birth_date = date(c_birth_year || '-01-01', '+' || (c_customer_sk * 7 % 365)"
               " || ' days')")
    # Common first names that are also the names of cities: shared by chance, identifying nobody.
    db.execute("UPDATE customer SET c_first_name = CASE c_customer_sk % 3 WHEN 0 THEN 'Jackson' WHEN 1 THEN "
               "'Madison' ELSE 'Franklin' END WHERE c_customer_sk <= 90")
    db.commit()
    db.close()


def test_an_honest_run_with_shared_common_values_is_green(tmp_path: Path) -> None:
    root = make_project(tmp_path / "tools")
    _with_birth_dates(root)
    report = _run(root)
    assert report["privacy_check"]["violations"] == [], report["privacy_check"]
    assert report["succeeded"]
    # The decades derived from birth years are birth years too (1950 …), but few: no finding.
    assert "table:mart.dim_store_customer" in report["privacy_check"]["checked"]


def test_planted_leaks_of_text_numbers_and_dates_are_caught(tmp_path: Path) -> None:
    root = make_project(tmp_path / "tools")
    _with_birth_dates(root)
    (root / "catalog/datasets/campaign.yaml").write_text(LEAKS)
    pipelines = root / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text() + "      campaign: {prepare: campaign, after: [land_ops]}\n")
    report = _run(root)
    violations = report["privacy_check"]["violations"]
    assert not report["succeeded"]
    for column, source in (("contact", "ops.customer.c_email"), ("year_of_birth", "ops.customer.c_birth_year"),
                           ("born", "ops.customer.c_birth_date")):
        assert any(f"dataset campaign.{column} in zone trusted holds" in v and source in v for v in violations), (
            column, violations)
    # Acknowledged with a reason: listed as allowed, and no longer fails the run.
    platform = root / "catalog/platform.yaml"
    platform.write_text(platform.read_text() + "privacy_check:\n  allow:\n" + "".join(
        f"    - {{column: campaign.{c}, because: a test of the acknowledgement path}}\n"
        for c in ("contact", "year_of_birth", "born")))
    report = _run(root)
    assert report["privacy_check"]["violations"] == []
    assert len(report["privacy_check"]["allowed"]) == 3
    assert all("allowed: a test of the acknowledgement path" in a for a in report["privacy_check"]["allowed"])
