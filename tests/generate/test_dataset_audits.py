"""Data tests on datasets → generated SQL and items: one serverless audit per dataset with tests
(sqlfluff-clean, deterministic), one shared record script, the audit text carried by the
dataset's prepare item (none without tests), and a preparation worker whose activities do not
depend on how many datasets have tests; 120 datasets with tests stay within Data Factory's limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from tests.generate.test_audits import _tree
from tests.generate.test_scale import _scale_catalog

from lakewharf.generate.synapse.dataset_audits import RECORD_SCRIPT, audit_path
from lakewharf.project import load_catalog
from lakewharf.verify.tsql import check_sql_text

if TYPE_CHECKING:
    from conftest import Project


def _prepare_items(tree: dict[str, str]) -> dict[str, dict[str, object]]:
    items = [i for p, text in tree.items() if p.startswith("control/") and "_prepare" in p for i in json.loads(text)]
    return {str(i["target"]): i for i in items}


def test_one_audit_per_dataset_with_tests_each_parses_and_rides_on_its_item(sample_root: Path) -> None:
    tree = _tree(sample_root)
    catalog = load_catalog(sample_root)
    with_tests = sorted(d.name for d in catalog.datasets.values() if d.tests)
    assert with_tests == ["customers_trusted", "products_trusted", "sales_trusted"]
    assert sorted(p for p in tree if p.startswith("synapse/serverless/audit/")) == [audit_path(n) for n in with_tests]
    for name in with_tests:
        text = tree[audit_path(name)]
        assert check_sql_text(text) == [], name
        assert text.count("UNION ALL") == len(catalog.datasets[name].tests) - 1
    assert check_sql_text(tree[RECORD_SCRIPT]) == []
    items = _prepare_items(tree)
    for name, item in items.items():
        assert item["audits"] == ([tree[audit_path(name)]] if name in with_tests else []), name


def test_a_datasets_relationship_reads_the_other_dataset_on_the_lake(sample_root: Path) -> None:
    audit = _tree(sample_root)[audit_path("sales_trusted")]
    assert ("NOT EXISTS (SELECT 1 FROM [trusted].[products_trusted] AS p "
            "WHERE p.[product_id] = c.[product_id])") in audit
    # row_count: counted once on the lake; the change vs. the last run is the record script's.
    assert "FROM (SELECT COUNT_BIG(*) AS [n] FROM [trusted].[sales_trusted]) AS c;" in audit
    assert "CAST(50 AS FLOAT) AS [max_change_percent]" in audit


def test_dataset_tests_add_no_activity_per_dataset(project: Project, sample_root: Path) -> None:
    with_tests = _tree(sample_root)
    for path in sorted((project.root / "catalog" / "datasets").glob("*.yaml")):
        rel = path.relative_to(project.root).as_posix()
        if "\ntests:\n" in path.read_text(encoding="utf-8"):  # (a dump would turn a join's on: into true:)
            project.modify(rel, lambda d: {k: v for k, v in d.items() if k != "tests"})
    without = _tree(project.root)
    pipelines = sorted(p for p in with_tests if p.startswith("adf/"))
    assert pipelines == sorted(p for p in without if p.startswith("adf/"))
    assert [p for p in pipelines if with_tests[p] != without[p]] == []  # the workers hold the fixed activities
    assert not any(p.startswith("synapse/serverless/audit/") or p == RECORD_SCRIPT for p in without)
    assert all(item["audits"] == [] for item in _prepare_items(without).values())


def test_a_catalog_of_120_datasets_with_tests_stays_within_data_factory_limits(tmp_path: Path) -> None:
    from bench.scale_bench import count_activities  # the benchmark's count: inner activities included

    project = _scale_catalog().write(120, tmp_path / "project")
    datasets = sorted((project / "catalog" / "datasets").glob("*.yaml"))
    for path in datasets:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["tests"] = [{"row_count": {"min": 1, "max_change_percent": 20}}]
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    tree = _tree(project)  # load_catalog checks Data Factory's limits (generate/adf/catalog_limits.py)
    assert sum(p.startswith("synapse/serverless/audit/") for p in tree) == len(datasets) >= 120
    for path in (p for p in tree if p.startswith("adf/pipeline/")):
        assert count_activities(json.loads(tree[path])["properties"]["activities"]) <= 120, path
    worker = json.loads(tree["adf/pipeline/wk_prepare.json"])
    # 5 without tests (2 clears, the batches loop, its cetas and catch) + the data_tests loop, its 2 Scripts, catch
    assert count_activities(worker["properties"]["activities"]) == 9


def test_the_cost_walk_counts_audit_scripts_only_for_datasets_with_tests(sample_root: Path) -> None:
    from lakewharf.cost.activity import pipeline_activities

    tree = {path: text.encode() for path, text in _tree(sample_root).items()}
    named = pipeline_activities(tree, "pl_nightly", lambda e: 60).named
    for dataset in ("customers_trusted", "products_trusted", "sales_trusted"):
        assert named[(f"prepare:{dataset}", "run_audit")] == named[(f"prepare:{dataset}", "record_tests")] == 1
    assert named[("prepare:orders_clean", "data_tests")] == 1  # the ForEach's own run: no Script
    assert named[("prepare:orders_clean", "run_audit")] == 0
