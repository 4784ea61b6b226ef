"""Activity runs walked from the generated Data Factory JSON, on the success path."""

from __future__ import annotations

from pathlib import Path

from lakewharf.cost.activity import factory_entities, pipeline_activities
from lakewharf.generate.generate_all import generate_all
from lakewharf.project import load_catalog


def _tree(root: Path) -> dict[str, bytes]:
    return {a.path: a.content for a in generate_all(load_catalog(root))}


def test_the_hourly_pipeline_runs_its_items_workers_and_batches(sample_root: Path) -> None:
    acts = pipeline_activities(_tree(sample_root), "pl_clickstream_hourly", lambda e: 60)
    # two levels (Lookup + ForEach each), one ingest item (Execute Pipeline + Copy; its Fail never runs),
    # one prepare item: Execute Pipeline, two Deletes, a ForEach over its 4 CETAS batches, and the
    # data_tests ForEach, which runs no Script for a dataset without tests
    assert acts.of_type("Lookup") == 2 and acts.of_type("ForEach") == 4
    assert acts.of_type("Copy", "ingest") == 1
    assert acts.of_type("Script", "prepare") == 4
    assert acts.of_type("Fail") == 0
    assert acts.total == 15


def test_an_ml_job_polls_once_per_wait_interval(sample_root: Path) -> None:
    tree = _tree(sample_root)
    short = pipeline_activities(tree, "pl_weekly_training", lambda e: 60)
    long = pipeline_activities(tree, "pl_weekly_training", lambda e: 3600)
    assert long.of_type("Wait") > short.of_type("Wait") > 0
    assert long.total > short.total


def test_factory_entities_count_pipelines_datasets_services_triggers(sample_root: Path) -> None:
    tree = _tree(sample_root)
    expected = sum(1 for p in tree if p.split("/")[:2][-1] in ("pipeline", "dataset", "linkedService", "trigger")
                   and p.startswith("adf/"))
    assert factory_entities(tree) == expected > 0
