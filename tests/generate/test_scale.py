"""The scale benchmark's synthetic catalog (bench/scale_catalog.py) is a valid project, its factory
does not grow with its tables, and the shortcuts taken for speed answer what the slow path would."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from lakewharf.generate.generate_all import generate_all
from lakewharf.generate.preparation_sql import compile_preparation
from lakewharf.generate.preparations import uses_salt
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]


def _scale_catalog():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("scale_catalog", ROOT / "bench" / "scale_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scale_trees(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, bytes]]:
    writer = _scale_catalog()
    trees = {}
    for n in (30, 90):
        project = writer.write(n, tmp_path_factory.mktemp(f"scale{n}") / "project")
        trees[n] = {a.path: a.content for a in generate_all(load_catalog(project))}
    return trees


def test_factory_entities_do_not_grow_with_tables(scale_trees: dict[int, dict[str, bytes]]) -> None:
    def adf(tree: dict[str, bytes]) -> list[str]:
        return sorted(p for p in tree if p.startswith("adf/"))

    assert adf(scale_trees[30]) == adf(scale_trees[90])
    orchestrator = json.loads(scale_trees[90]["adf/pipeline/pl_nightly.json"])
    assert len(orchestrator["properties"]["activities"]) < 40
    items = sum(len(json.loads(c)) for p, c in scale_trees[90].items() if p.startswith("control/"))
    assert items == 90 * 3  # land, prepare and load each table


def test_every_dataset_is_cleaned_into_trusted_and_loaded(scale_trees: dict[int, dict[str, bytes]]) -> None:
    tree = scale_trees[90]
    assert sum(p.startswith("synapse/serverless/prepare/") for p in tree) == 90
    assert sum(p.startswith("synapse/warehouse/load/") for p in tree) == 90


@pytest.mark.parametrize("project", ["repo", "scale"])
def test_uses_salt_agrees_with_the_compiled_preparation(project: str, tmp_path: Path) -> None:
    root = ROOT if project == "repo" else _scale_catalog().write(40, tmp_path / "p")
    catalog = load_catalog(root)
    answers = {name: uses_salt(catalog, ds) for name, ds in catalog.datasets.items()}
    assert answers == {name: compile_preparation(catalog, ds).uses_salt for name, ds in catalog.datasets.items()}
    assert any(answers.values()) and not all(answers.values())


def test_the_salted_worker_passes_the_parameter_the_preparation_sql_reads(
        scale_trees: dict[int, dict[str, bytes]]) -> None:
    """The salt's name is spelled once (model.naming): the Script activity of the salted prepare
    worker passes exactly the parameters the hashing preparation SQL reads."""
    tree = scale_trees[30]

    def scripts(node: object) -> list[dict]:
        if isinstance(node, dict):
            found = [node] if node.get("type") == "Script" else []
            return found + [s for v in node.values() for s in scripts(v)]
        return [s for v in node for s in scripts(v)] if isinstance(node, list) else []

    worker = json.loads(tree["adf/pipeline/wk_prepare_salted.json"])
    passed = {p["name"] for a in scripts(worker) if a["name"] == "cetas" for s in a["typeProperties"]["scripts"]
              for p in s.get("parameters", [])}  # (record_tests passes the dataset tests' own)
    hashing = [c.decode() for p, c in tree.items() if p.startswith("synapse/serverless/prepare/") and b"HASHBYTES" in c]
    assert passed and hashing
    assert all(f"@{name}" in text for name in passed for text in hashing)
