"""Data tests → generated SQL: one audit procedure per table with tests, called by the table's load
script, so the Data Factory pipelines do not change at all; keys missing from a dimension with an
unknown member load as -1; a 120-table catalog with tests on every table stays within limits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from tests.generate.test_scale import _scale_catalog

from lakewharf.generate.generate_all import generate_all
from lakewharf.project import load_catalog
from lakewharf.verify.tsql import check_sql_text

if TYPE_CHECKING:
    from conftest import Project

W = "synapse/warehouse"


def _tree(root: Path) -> dict[str, str]:
    if not (root / "templates").exists():  # a copied sample: the checkout's templates
        (root / "templates").symlink_to(Path(__file__).resolve().parents[2] / "templates")
    return {a.path: a.content.decode() for a in generate_all(load_catalog(root))}


def _strip_tests(project: Project) -> None:
    for path in sorted((project.root / "catalog" / "warehouse").glob("*.yaml")):
        rel = path.relative_to(project.root).as_posix()
        project.modify(rel, lambda d: {k: v for k, v in d.items() if k not in ("tests", "unknown_member")})


def test_tests_add_no_activity_to_any_pipeline(project: Project, sample_root: Path) -> None:
    with_tests = _tree(sample_root)
    _strip_tests(project)
    without = _tree(project.root)
    pipelines = sorted(p for p in with_tests if p.startswith("adf/"))
    assert pipelines == sorted(p for p in without if p.startswith("adf/"))
    assert [p for p in pipelines if with_tests[p] != without[p]] == []
    # What changes is the load items' scripts: the audit call after the load procedure.
    items = json.loads(with_tests["control/pl_nightly/L05_load.json"])
    (fact,) = [i for i in items if i["target"] == "fact_sales"]
    assert fact["scripts"][-1].endswith("EXEC [etl].[audit_fact_sales] @run_id = N'{run_id}';")
    assert not any("audit_" in p for p in without)


def test_one_audit_per_table_with_tests_and_each_parses(sample_root: Path) -> None:
    tree = _tree(sample_root)
    audits = sorted(p for p in tree if re.search(r"/procedures/etl\.audit_", p))
    catalog = load_catalog(sample_root)
    assert audits == sorted(f"{W}/procedures/etl.audit_{t.name}.sql" for t in catalog.tables.values() if t.tests)
    for path in audits:
        assert check_sql_text(tree[path]) == [], path
        table = path.rsplit("audit_", 1)[1].removesuffix(".sql")
        assert tree[path].count("INSERT INTO [etl].[test_results]") == len(catalog.tables[table].tests)
    assert "CREATE TABLE [etl].[test_results]" in tree[f"{W}/00_schemas.sql"]


def test_only_error_tests_can_throw(project: Project) -> None:
    rel = "catalog/warehouse/dim_date.yaml"
    project.modify(rel, lambda d: d.update(tests=[{"unique": "date_key", "severity": "warn"},
                                                 {"row_count": {"max": 5000}, "severity": "warn"}]))
    text = _tree(project.root)[f"{W}/procedures/etl.audit_dim_date.sql"]
    assert "THROW 50000" not in text and text.count("N'warn' END") == 2
    assert "CASE WHEN @rows_2 > 5000 THEN 1 ELSE 0 END" in text
    assert check_sql_text(text) == []


def test_missing_dimension_keys_load_as_the_unknown_member(project: Project, sample_root: Path) -> None:
    procedure = _tree(sample_root)[f"{W}/procedures/etl.load_fact_sales.sql"]
    assert "COALESCE(u1.[customer_id], -1) AS [customer_id]" in procedure
    assert "LEFT JOIN [mart].[dim_customer] AS u1 ON u1.[customer_id] = d.[customer_id]" in procedure
    seed = _tree(sample_root)[f"{W}/tables/mart.dim_customer.sql"]
    assert "IF NOT EXISTS (SELECT 1 FROM [mart].[dim_customer] WHERE [customer_id] = -1)" in seed
    # Without the dimension's unknown member, the relationship is only tested, never mapped.
    project.modify("catalog/warehouse/dim_customer.yaml",
                   lambda d: {k: v for k, v in d.items() if k != "unknown_member"})
    tree = _tree(project.root)
    procedure = tree[f"{W}/procedures/etl.load_fact_sales.sql"]
    assert "LEFT JOIN [mart].[dim_customer]" not in procedure and "d.[customer_id]," in procedure
    assert "COALESCE(u1.[product_id], -1) AS [product_id]" in procedure
    assert "= -1)" not in tree[f"{W}/tables/mart.dim_customer.sql"]


def test_a_catalog_of_120_tables_with_tests_stays_within_data_factory_limits(tmp_path: Path) -> None:
    from bench.scale_bench import count_activities  # the benchmark's count: inner activities included

    project = _scale_catalog().write(120, tmp_path / "project")
    tables = sorted((project / "catalog" / "warehouse").glob("*.yaml"))
    for path in tables:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        key = data["load"]["keys"][0]
        data["unknown_member"] = True
        data["tests"] = [{"unique": key}, {"not_null": key}, {"row_count": {"min": 1, "max_change_percent": 20}}]
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    tree = _tree(project)  # load_catalog checks Data Factory's limits (generate/adf/catalog_limits.py)
    assert sum("/procedures/etl.audit_" in p for p in tree) == len(tables) == 120
    for path in (p for p in tree if p.startswith("adf/pipeline/")):
        assert count_activities(json.loads(tree[path])["properties"]["activities"]) <= 120, path
