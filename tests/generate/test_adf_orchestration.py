"""Orchestrators, workers and control files: a pipeline's size does not grow with its tables, and
Data Factory's limits are located catalog errors in validate."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lakewharf.generate.adf.catalog_limits import check_adf_limits
from lakewharf.generate.adf.factory import factory_documents
from lakewharf.generate.adf.limits import MAX_ACTIVITIES, count_activities
from lakewharf.generate.generate_all import generate_all
from lakewharf.model.catalog import Catalog
from lakewharf.project import load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_nightly_is_levels_of_lookup_and_foreach_into_workers(catalog: Catalog) -> None:
    docs = factory_documents(catalog)
    nightly = docs.orchestrators["nightly"]["properties"]["activities"]
    assert [a["type"] for a in nightly[:2]] == ["Lookup", "ForEach"]
    run = nightly[1]["typeProperties"]["activities"][0]
    assert run["type"] == "ExecutePipeline" and run["typeProperties"]["waitOnCompletion"] is True
    assert run["typeProperties"]["pipeline"]["referenceName"].startswith("wk_ingest_")
    assert all(a["typeProperties"]["batchCount"] == 20 for a in nightly if a["type"] == "ForEach")
    assert count_activities(nightly) <= MAX_ACTIVITIES
    assert {"wk_load", "wk_prepare", "wk_prepare_salted", "wk_train", "wk_score"} <= {
        d["name"] for d in docs.workers.values()}


def test_control_files_hold_one_sorted_item_per_unit_of_work(catalog: Catalog) -> None:
    control = {a.path: json.loads(a.content) for a in generate_all(catalog) if a.path.startswith("control/")}
    loads = [i["target"] for path, items in control.items() if path.startswith("control/pl_nightly/")
             and "_load" in path for i in items]
    assert sorted(loads) == sorted(s.target for s in catalog.pipelines["nightly"].steps if s.kind == "load")
    for items in control.values():
        assert [i["item"] for i in items] == sorted(i["item"] for i in items)
    load = next(i for items in control.values() for i in items if i["target"] == "dim_customer")
    assert any("{lake_dfs_endpoint}" in b for b in load["scripts"]) and any("{run_id}" in b for b in load["scripts"])


def test_more_tables_add_items_not_activities(catalog: Catalog) -> None:
    nightly = catalog.pipelines["nightly"]
    extra = tuple(dataclasses.replace(s, name=f"{s.name}_{i}") for i in range(40) for s in nightly.steps
                  if s.kind == "load" and not s.after)
    longer = dataclasses.replace(nightly, steps=nightly.steps + extra)
    bigger = dataclasses.replace(catalog, pipelines={**catalog.pipelines, "nightly": longer})
    before = factory_documents(catalog).orchestrators["nightly"]
    after = factory_documents(bigger)
    assert count_activities(after.orchestrators["nightly"]["properties"]["activities"]) <= count_activities(
        before["properties"]["activities"]) + 2  # at most one new level/kind group
    assert not after.breaches()


def test_batch_count_above_50_is_a_located_error(catalog: Catalog) -> None:
    nightly = dataclasses.replace(catalog.pipelines["nightly"], batch_count=51)
    errors = check_adf_limits(dataclasses.replace(catalog, pipelines={**catalog.pipelines, "nightly": nightly}))
    assert len(errors) == 1
    error = errors[0]
    assert error.file.endswith("pipelines.yaml") and error.line > 0
    assert "batchCount 51" in error.message and "between 1 and 50" in error.hint
