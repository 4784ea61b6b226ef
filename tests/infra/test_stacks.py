"""Stack settings: dev and prod differ where users expect; bad settings fail before any resource."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path
from typing import Any

import pulumi
import pytest
from infra_samples import REPO_ROOT, write_adf_tree

from lakewharf.infra.mocks import COMPUTED, OfflineRun, plain, stack_config, use_mocks
from lakewharf.infra.names import Names
from lakewharf.infra.settings import KEYS, StackConfigError


def test_dev_and_prod_differ_where_expected(dev: OfflineRun, prod: OfflineRun) -> None:
    def pick(run: OfflineRun) -> dict[str, Any]:
        vault = run.one("keyvault:Vault", "key-vault").inputs["properties"]
        return {
            "pool": run.one("synapse:SqlPool", "synapse-sql-pool").inputs["sku"]["name"],
            "vault_retention": vault["softDeleteRetentionInDays"],
            "purge_protection": vault["enablePurgeProtection"],
            "firewall": sorted(r.inputs["ruleName"] for r in run.of_type("synapse:IpFirewallRule")),
            "managed_vnet": run.one("synapse:Workspace", "synapse-workspace").inputs.get("managedVirtualNetwork"),
            "lake_sku": run.one("storage:StorageAccount", "lake-account").inputs["sku"]["name"],
            "log_retention": run.one("operationalinsights:Workspace", "log-analytics").inputs["retentionInDays"],
        }

    assert pick(dev) == {"pool": "DW100c", "vault_retention": 7, "purge_protection": True,
                         "firewall": ["office"], "managed_vnet": "default",
                         "lake_sku": "Standard_LRS", "log_retention": 30}
    assert pick(prod) == {"pool": "DW500c", "vault_retention": 90, "purge_protection": True,
                          "firewall": [], "managed_vnet": "default",
                          "lake_sku": "Standard_ZRS", "log_retention": 90}
    assert dev.outputs["resource_group"] == "rg-retail-dev" and prod.outputs["resource_group"] == "rg-retail-prod"
    assert dev.outputs["lake_account"] != prod.outputs["lake_account"]
    # Batch endpoint names are region-unique: dev and prod may share a region only with distinct names.
    def endpoints(run: OfflineRun) -> set[str]:
        return {*run.outputs["ml_batch_endpoints"].values(), *run.outputs["ml_training_endpoints"].values()}

    assert len(endpoints(dev)) == 6 and not endpoints(dev) & endpoints(prod)
    assert len(dev.resources) == len(prod.resources) + 1  # dev's one client range is a Synapse firewall rule


def test_preview_with_unknown_outputs_does_not_crash(preview: OfflineRun, dev: OfflineRun) -> None:
    assert preview.preview and len(preview.resources) == len(dev.resources)
    assert preview.outputs["factory_principal_id"] == COMPUTED
    assert preview.outputs["factory_url"] == COMPUTED
    assert preview.outputs["lake_account"] == dev.outputs["lake_account"]  # derived names are known up front
    ra = plain(preview.one("authorization:RoleAssignment", "ra-landing-factory-blob-contributor").inputs)
    assert ra["principalId"] == COMPUTED  # unknown until the factory exists
    assert ra["scope"] == COMPUTED


def test_every_setting_is_documented_in_the_dev_stack_file() -> None:
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text()
    for key in KEYS:
        assert f"lakewharf:{key}:" in text, key
    assert set(stack_config(REPO_ROOT, "prod")) <= {f"lakewharf:{k}" for k in KEYS}


def test_missing_role_object_ids_fail_clearly(run_dev: Any) -> None:
    with pytest.raises(StackConfigError) as info:
        run_dev(roleObjectIds={"data_engineer": "00000000-0000-0000-0000-0000000000e1"})
    text = str(info.value)
    for role in ("data_scientist", "analyst", "crm_operator"):
        assert f"no Entra object id for catalog role {role!r}" in text


def test_service_roles_are_not_configured_by_object_id(run_dev: Any) -> None:
    ids = {"data_engineer": "00000000-0000-0000-0000-0000000000e1",
           "data_scientist": "00000000-0000-0000-0000-0000000000e2",
           "analyst": "00000000-0000-0000-0000-0000000000e3",
           "crm_operator": "00000000-0000-0000-0000-0000000000e4",
           "factory": "00000000-0000-0000-0000-0000000000f1"}
    with pytest.raises(StackConfigError, match="'factory' is a service role"):
        run_dev(roleObjectIds=ids)


def test_bad_settings_are_all_reported_at_once(run_dev: Any) -> None:
    with pytest.raises(StackConfigError) as info:
        run_dev(location=None, sqlPoolSku="DW123c", allowedIpRanges={"office": "300.1.2.3/24"},
                adminGroupObjectId="not-a-guid")
    problems = info.value.problems
    assert any("missing required field 'lakewharf:location'" in p for p in problems)
    assert any(e.hint == "pulumi config set lakewharf:location <value>" for e in info.value.errors)
    assert any("sqlPoolSku" in p for p in problems)
    assert any("allowedIpRanges.office" in p for p in problems)
    assert any("adminGroupObjectId" in p for p in problems)


def test_unknown_settings_are_rejected(run_dev: Any) -> None:
    with pytest.raises(StackConfigError, match="unknown field 'lakewharf:sqlPoolSize'"):
        run_dev(sqlPoolSize="DW100c")


@pytest.mark.parametrize("environment", ["dev", "prod", "stage6"])
def test_names_fit_azure_length_rules(environment: str) -> None:
    n = Names("abcdefghijkl", environment, "1a2b")  # longest prefix
    assert len(n.lake_account) <= 24 and n.lake_account.isalnum() and n.lake_account.islower()
    assert len(n.ml_storage) <= 24 and n.ml_storage.isalnum()
    assert 3 <= len(n.key_vault) <= 24 and 3 <= len(n.ml_key_vault) <= 24
    assert n.key_vault != n.ml_key_vault and n.lake_account != n.ml_storage
    assert len(n.synapse) <= 50 and len(n.factory) <= 63 and len(n.ml_workspace) <= 33
    assert len(n.container_registry) <= 50 and n.container_registry.isalnum()
    for name in (n.key_vault, n.ml_key_vault, n.synapse, n.factory):
        assert "--" not in name and name.endswith("1a2b")


def test_infra_main_runs_the_program(project: Any, fake_adf: Path) -> None:
    """infra/__main__.py (what `pulumi up` runs) under the same mocks: the thin entry point works."""
    root = project.root
    shutil.copytree(REPO_ROOT / "infra", root / "infra")
    shutil.copy(REPO_ROOT / "Pulumi.dev.yaml", root)
    write_adf_tree(root)
    mocks = use_mocks(stack_config(root, "dev"), "dev")

    @pulumi.runtime.test
    def run() -> None:
        runpy.run_path(str(root / "infra" / "__main__.py"), run_name="__main__")

    run()
    assert sum(1 for r in mocks.records if r.custom) == 153
    assert {r.inputs.get("containerName") for r in mocks.records if r.type.endswith("BlobContainer")} == {
        "landing", "development", "trusted", "restricted", "synapse", "wharf-control"}


def test_infra_main_reports_a_missing_build_adf(project: Any) -> None:
    root = project.root
    shutil.copytree(REPO_ROOT / "infra", root / "infra")
    shutil.copy(REPO_ROOT / "Pulumi.dev.yaml", root)
    use_mocks(stack_config(root, "dev"), "dev")
    with pytest.raises(pulumi.RunError, match="run `wharf generate`"):
        runpy.run_path(str(root / "infra" / "__main__.py"), run_name="__main__")
