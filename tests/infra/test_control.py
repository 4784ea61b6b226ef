"""The orchestrators' control files reach the deployed lake: one file resource per generated
control file, written with Entra ID after the control filesystem and the deployer's grant exist."""

from __future__ import annotations

import pytest
from infra_samples import REPO_ROOT

from lakewharf.artifacts.adf_tree import read_control_files
from lakewharf.infra import control
from lakewharf.infra.mocks import OfflineRun, run_offline

GOLDEN = REPO_ROOT / "tests" / "golden"


@pytest.fixture(scope="module")
def planned() -> OfflineRun:
    return run_offline(REPO_ROOT, "dev", adf_dir=GOLDEN / "adf")


def _files(run: OfflineRun) -> list:
    return [r for r in run.resources if r.type == "pulumi-python:dynamic:Resource"]


def test_every_generated_control_file_is_one_lake_file(planned: OfflineRun) -> None:
    generated = read_control_files(GOLDEN / "control")
    assert len(generated) >= 10  # the sample's four orchestrators, per level and kind of work
    files = {r.inputs["path"]: r for r in _files(planned)}
    assert sorted(files) == [f.path for f in generated]
    for f in generated:
        inputs = files[f.path].inputs
        assert inputs["filesystem"] == "wharf-control"
        assert inputs["content"] == f.content and inputs["sha256"] == f.sha256
        assert inputs["endpoint"].startswith("https://") and ".dfs." in inputs["endpoint"]
    assert planned.outputs["control_files"] == len(generated)


def test_files_are_written_only_after_the_filesystem_and_the_deployer_grant(planned: OfflineRun) -> None:
    by_urn = {r.urn: r for r in planned.records}
    grant = planned.one("authorization:RoleAssignment", "ra-control-deployer-blob-contributor")
    assert grant.inputs["principalType"] == "User"  # Pulumi.dev.yaml: deployerPrincipalType
    for f in _files(planned):
        needs = {by_urn[d].name for d in f.dependencies if d in by_urn}
        assert {"lake-fs-control", "ra-control-deployer-blob-contributor"} <= needs, f.name
    reader = planned.one("authorization:RoleAssignment", "ra-control-factory-blob-reader")
    assert reader.inputs["principalId"] == planned.outputs["factory_principal_id"]


def test_a_ci_deployer_is_granted_as_a_service_principal() -> None:
    run = run_offline(REPO_ROOT, "prod", adf_dir=GOLDEN / "adf")
    grant = run.one("authorization:RoleAssignment", "ra-control-deployer-blob-contributor")
    assert grant.inputs["principalType"] == "ServicePrincipal"




def test_the_provider_replaces_a_moved_file_and_updates_changed_bytes() -> None:
    provider = control._LakeFileProvider()
    old = {"endpoint": "https://a.dfs.core.windows.net", "filesystem": "wharf-control", "path": "pl_x/L01_load.json",
           "sha256": "1"}
    same = provider.diff("id", old, dict(old))
    assert not same.changes
    edited = provider.diff("id", old, {**old, "sha256": "2"})
    assert edited.changes and not edited.replaces  # same file, new bytes: overwrite in place
    moved = provider.diff("id", old, {**old, "path": "pl_x/L02_load.json"})
    assert moved.changes and moved.replaces == ["path"]
