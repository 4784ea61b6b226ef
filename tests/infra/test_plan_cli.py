"""``wharf plan``: the offline preview of ``pulumi up``, as a tree and as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from infra_samples import REPO_ROOT, write_adf_tree

from lakewharf.cli.main import main

if TYPE_CHECKING:
    from conftest import Project


@pytest.fixture
def deployable(project: Project) -> Project:
    """A sample project with its stack files and a reviewed build/adf."""
    for stack in ("dev", "prod"):
        shutil.copy(REPO_ROOT / f"Pulumi.{stack}.yaml", project.root)
    write_adf_tree(project.root)
    return project


def _plan(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), "plan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_lists_every_resource_with_provider_inputs(deployable: Project,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _plan(capsys, deployable.root, "--json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    resources = doc["resources"]
    assert len(resources) == 153
    assert doc["policy"] == {"rules": 30, "violations": []}  # the baseline holds
    assert all(set(r) >= {"type", "name", "inputs"} for r in resources)
    lake = next(r for r in resources if r["name"] == "lake-account")
    assert lake["type"] == "azure-native:storage:StorageAccount"
    assert lake["inputs"]["isHnsEnabled"] is True and lake["inputs"]["minimumTlsVersion"] == "TLS1_2"  # camelCase
    pool = next(r for r in resources if r["type"] == "azure-native:synapse:SqlPool")
    assert pool["inputs"]["sku"] == {"name": "DW100c"}
    pipeline = next(r for r in resources if r["type"] == "azure-native:datafactory:Pipeline")
    assert pipeline["inputs"]["activities"][0]["typeProperties"]["firstRowOnly"] is True
    assert doc["outputs"]["factory_url"].startswith("https://adf.azure.com/")
    assert not deployable.path("build/manifest.json").exists()


def test_plan_stack_option_selects_the_stack_file(deployable: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _plan(capsys, deployable.root, "--stack", "prod", "--json")
    assert code == 0
    pool = next(r for r in json.loads(out)["resources"] if r["type"] == "azure-native:synapse:SqlPool")
    assert pool["inputs"]["sku"] == {"name": "DW500c"}


def test_plan_tree_groups_by_component_and_counts_by_type(deployable: Project,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _plan(capsys, deployable.root)
    assert code == 0, err
    assert "would create 153 resources in stack dev" in out
    for component in ("lake", "security", "monitoring", "warehouse", "factory", "ml"):
        assert f"{component} lakewharf:infra:" in out
    assert "resources by type" in out and "azure-native:authorization:RoleAssignment" in out
    assert "purge protection on" in out and "hierarchical namespace on" in out
    # The artifact each Data Factory resource carries.
    assert "build/adf/pipeline/ingest_customers.json" in out and "5 activities" in out
    assert "build/adf/linkedService/ls_adls.json" in out
    assert "pii-hash-salt" in out


def test_plan_unknown_stack_fails_clearly(deployable: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _plan(capsys, deployable.root, "--stack", "qa")
    assert code == 1
    assert "no stack file Pulumi.qa.yaml" in err and "dev, prod" in err


def test_plan_without_build_adf_writes_nothing_and_warns(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPO_ROOT / "Pulumi.dev.yaml", project.root)
    before = project.snapshot()
    code, out, err = _plan(capsys, project.root, "--json")
    assert code == 0, err
    assert project.snapshot() == before  # nothing generated into the project
    warnings = json.loads(out)["warnings"]
    assert any("build/adf is missing" in w for w in warnings)


def test_plan_with_a_broken_build_adf_names_the_file(deployable: Project, capsys: pytest.CaptureFixture[str]) -> None:
    (deployable.root / "build" / "adf" / "dataset" / "ds_raw_parquet.json").unlink()
    code, _, err = _plan(capsys, deployable.root)
    assert code == 1
    assert "wharf plan: build/adf/pipeline/ingest_customers.json: refers to dataset 'ds_raw_parquet'" in err
    assert "Traceback" not in err and "internal error" not in err
