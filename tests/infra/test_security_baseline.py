"""The security baseline, one named test per rule, on both example stacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from infra_samples import secret_findings, write_adf_tree

from lakewharf.infra import roles
from lakewharf.infra.mocks import DEPLOYER_OBJECT_ID, OfflineRun

STACKS = ["dev", "prod"]


@pytest.fixture(params=STACKS)
def run(request: pytest.FixtureRequest) -> OfflineRun:
    return request.getfixturevalue(request.param)


def _accounts(run: OfflineRun) -> list[dict[str, Any]]:
    accounts = [r.inputs for r in run.of_type("storage:StorageAccount")]
    assert len(accounts) == 2  # the lake and the Azure ML workspace's storage
    return accounts


# --- storage ---------------------------------------------------------------------------------------

def test_baseline_storage_lake_has_hierarchical_namespace(run: OfflineRun) -> None:
    assert run.one("storage:StorageAccount", "lake-account").inputs["isHnsEnabled"] is True


def test_baseline_storage_https_only(run: OfflineRun) -> None:
    assert all(a["enableHttpsTrafficOnly"] is True for a in _accounts(run))


def test_baseline_storage_minimum_tls_1_2(run: OfflineRun) -> None:
    assert all(a["minimumTlsVersion"] == "TLS1_2" for a in _accounts(run))


def test_baseline_storage_no_public_blob_access(run: OfflineRun) -> None:
    assert all(a["allowBlobPublicAccess"] is False for a in _accounts(run))
    assert all(c.inputs["publicAccess"] == "None" for c in run.of_type("storage:BlobContainer"))


def test_baseline_storage_infrastructure_encryption(run: OfflineRun) -> None:
    assert all(a["encryption"]["requireInfrastructureEncryption"] is True for a in _accounts(run))


def test_baseline_storage_lake_is_entra_only(run: OfflineRun) -> None:
    lake = run.one("storage:StorageAccount", "lake-account").inputs
    assert lake["allowSharedKeyAccess"] is False and lake["defaultToOAuthAuthentication"] is True


# --- Synapse ---------------------------------------------------------------------------------------

def _rules(run: OfflineRun) -> dict[str, tuple[str, str]]:
    return {r.inputs["ruleName"]: (r.inputs["startIpAddress"], r.inputs["endIpAddress"])
            for r in run.of_type("synapse:IpFirewallRule")}


def test_baseline_synapse_firewall_has_no_allow_all_rule(run: OfflineRun) -> None:
    assert ("0.0.0.0", "255.255.255.255") not in _rules(run).values()


def test_baseline_synapse_firewall_rules_come_only_from_config(dev: OfflineRun, prod: OfflineRun) -> None:
    assert _rules(dev) == {"office": ("203.0.113.0", "203.0.113.255"),
                           "AllowAllWindowsAzureIps": ("0.0.0.0", "0.0.0.0")}
    assert _rules(prod) == {"ops-vpn": ("198.51.100.16", "198.51.100.31"),
                            "AllowAllWindowsAzureIps": ("0.0.0.0", "0.0.0.0")}


def test_baseline_synapse_firewall_is_closed_without_config(run_dev: Any) -> None:
    closed = run_dev(allowedIpRanges={}, synapseAllowAzureServices=False)
    assert closed.of_type("synapse:IpFirewallRule") == []


def test_baseline_synapse_allow_all_only_when_configured(run_dev: Any) -> None:
    opened = run_dev(allowedIpRanges={"everyone": "0.0.0.0/0"})
    assert _rules(opened)["everyone"] == ("0.0.0.0", "255.255.255.255")


def test_baseline_synapse_entra_only_with_admin_group_from_config(run: OfflineRun) -> None:
    ws = run.one("synapse:Workspace", "synapse-workspace").inputs
    assert ws["azureADOnlyAuthentication"] is True
    assert "sqlAdministratorLoginPassword" not in ws and "sqlAdministratorLogin" not in ws
    assert ws["identity"] == {"type": "SystemAssigned"}
    admin = run.one("synapse:WorkspaceAadAdmin", "synapse-entra-admin").inputs
    assert admin["administratorType"] == "ActiveDirectory"
    assert admin["sid"].endswith("ad") and admin["login"].endswith("-admins")


# --- Key Vault -------------------------------------------------------------------------------------

def test_baseline_key_vault_rbac_soft_delete_purge_protection(run: OfflineRun) -> None:
    vaults = run.of_type("keyvault:Vault")
    assert len(vaults) == 2  # the platform's and the Azure ML workspace's
    for v in vaults:
        p = v.inputs["properties"]
        assert p["enableRbacAuthorization"] is True, v.name
        assert p["enableSoftDelete"] is True, v.name
        assert p["enablePurgeProtection"] is True, v.name
        assert 7 <= p["softDeleteRetentionInDays"] <= 90
        assert "accessPolicies" not in p


# --- identities ------------------------------------------------------------------------------------

def _grants(run: OfflineRun) -> set[tuple[str, str, str]]:
    """(principal label, role, scope tail) for every role assignment."""
    ids = {run.outputs["factory_principal_id"]: "factory", run.outputs["synapse_principal_id"]: "synapse",
           run.outputs["ml_data_identity_principal_id"]: "ml", DEPLOYER_OBJECT_ID: "deployer"}
    out = set()
    for r in run.of_type("authorization:RoleAssignment"):
        i = r.inputs
        who = ids.get(i["principalId"], f"group:{i['principalId']}")
        out.add((who, roles.role_name(i["roleDefinitionId"]), "/".join(i["scope"].split("/")[-2:])))
    return out


def test_baseline_identities_least_privilege(run: OfflineRun) -> None:
    grants = _grants(run)
    # Only roles from the one table; nothing at account, resource group or subscription scope.
    assert all(role in roles.ROLE_DEFINITIONS for _, role, _ in grants)
    for r in run.of_type("authorization:RoleAssignment"):
        scope = r.inputs["scope"]
        assert "/containers/" in scope or scope.split("/providers/")[-1].count("/") == 2, scope
    services = {g for g in grants if not g[0].startswith("group:")}
    c, rd = roles.BLOB_CONTRIBUTOR, roles.BLOB_READER
    assert services == {
        ("factory", c, "containers/landing"), ("factory", c, "containers/development"),
        ("factory", c, "containers/trusted"), ("factory", c, "containers/restricted"),
        ("factory", roles.SECRETS_USER, f"vaults/{run.outputs['key_vault']}"),
        ("factory", roles.ML_DATA_SCIENTIST, f"workspaces/{run.outputs['ml_workspace']}"),
        ("synapse", rd, "containers/landing"), ("synapse", c, "containers/development"),
        ("synapse", c, "containers/trusted"), ("synapse", c, "containers/restricted"),
        ("synapse", c, "containers/synapse"),
        ("ml", rd, "containers/development"), ("ml", c, "containers/trusted"),
        ("factory", rd, "containers/wharf-control"), ("deployer", c, "containers/wharf-control"),
    }
    people = {g for g in grants if g[0].startswith("group:")}
    assert {role for _, role, _ in people} == {rd, roles.SECRETS_OFFICER}


# --- secrets ---------------------------------------------------------------------------------------

def test_baseline_no_secret_value_in_any_input(run: OfflineRun) -> None:
    assert secret_findings(run) == []


def test_the_secret_scan_catches_a_secret_in_a_generated_file(tmp_path: Path, run_dev: Any) -> None:
    leaky = {"name": "ls_leaky", "properties": {"type": "AzureSqlDatabase", "typeProperties": {
        "connectionString": "Server=tcp:x.database.windows.net;Database=d;User ID=u;Password=hunter2;"}}}
    run = run_dev(adf_dir=write_adf_tree(tmp_path, extra={"linkedService/ls_leaky.json": leaky}))
    assert any("ls_leaky" in f and "password" in f for f in secret_findings(run))
