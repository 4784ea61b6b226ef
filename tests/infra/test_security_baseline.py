"""The security baseline, one named test per rule, on both example stacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from infra_samples import secret_findings, write_adf_tree

from lakewharf.infra import roles
from lakewharf.infra.mocks import DEPLOYER_OBJECT_ID, OfflineRun
from lakewharf.infra.settings import StackConfigError
from lakewharf.project import load_catalog

CATALOG = load_catalog(Path(__file__).resolve().parents[2])

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


def test_baseline_storage_accounts_are_entra_only(run: OfflineRun) -> None:
    for account in _accounts(run):  # the ML workspace's account too: Azure ML reads it with identities
        assert account["allowSharedKeyAccess"] is False and account["defaultToOAuthAuthentication"] is True
    assert run.one("machinelearningservices:Workspace", "ml-workspace").inputs["systemDatastoresAuthMode"] == "Identity"


def test_baseline_storage_network_default_deny_and_private_endpoints(dev: OfflineRun, prod: OfflineRun) -> None:
    for run in (dev, prod):
        for account in _accounts(run):
            rules = account["networkRuleSet"]
            assert rules["defaultAction"] == "Deny" and rules["bypass"] == "AzureServices"
    # prod lists no client range: no public network access at all; dev admits its one range only.
    assert {a["publicNetworkAccess"] for a in _accounts(prod)} == {"Disabled"}
    assert {a["publicNetworkAccess"] for a in _accounts(dev)} == {"Enabled"}
    assert all(a["networkRuleSet"]["ipRules"] == [{"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}]
               for a in _accounts(dev))
    groups = {(r.inputs["privateLinkServiceConnections"][0]["groupIds"][0], r.name) for r in
              prod.of_type("network:PrivateEndpoint")}
    assert {g for g, _ in groups} == {"dfs", "blob", "file", "vault", "Sql", "SqlOnDemand", "Dev", "dataFactory",
                                      "portal", "amlworkspace", "registry", "azuremonitor"}


def test_baseline_blob_soft_delete_per_zone_retention_and_versioning(run: OfflineRun) -> None:
    props = {r.name: r.inputs for r in run.of_type("storage:BlobServiceProperties")}
    shortest = min(z.retention_days for z in CATALOG.platform.zones.values() if z.retention_days)
    lake = props["lake-account-blob-service"]
    assert lake["deleteRetentionPolicy"] == lake["containerDeleteRetentionPolicy"] == {"enabled": True,
                                                                                       "days": shortest}
    # Versioning is not offered on hierarchical-namespace accounts; the ML account (flat) has it.
    assert lake["isVersioningEnabled"] is False and props["ml-storage-blob-service"]["isVersioningEnabled"] is True


# --- Synapse ---------------------------------------------------------------------------------------

def _rules(run: OfflineRun) -> dict[str, tuple[str, str]]:
    return {r.inputs["ruleName"]: (r.inputs["startIpAddress"], r.inputs["endIpAddress"])
            for r in run.of_type("synapse:IpFirewallRule")}


def test_baseline_synapse_firewall_has_no_allow_all_rule(run: OfflineRun) -> None:
    assert ("0.0.0.0", "255.255.255.255") not in _rules(run).values()


def test_baseline_synapse_firewall_rules_come_only_from_config(dev: OfflineRun, prod: OfflineRun) -> None:
    assert _rules(dev) == {"office": ("203.0.113.0", "203.0.113.255")}
    assert _rules(prod) == {}
    assert prod.one("synapse:Workspace", "synapse-workspace").inputs["publicNetworkAccess"] == "Disabled"


def test_baseline_synapse_firewall_is_closed_without_config(run_dev: Any) -> None:
    closed = run_dev(allowedIpRanges={}, synapseAllowAzureServices=False)
    assert closed.of_type("synapse:IpFirewallRule") == []
    assert closed.one("synapse:Workspace", "synapse-workspace").inputs["publicNetworkAccess"] == "Disabled"


def test_baseline_synapse_allow_all_is_refused(run_dev: Any) -> None:
    with pytest.raises(StackConfigError, match="opens the firewalls to every address on the internet"):
        run_dev(allowedIpRanges={"everyone": "0.0.0.0/0"})


def test_baseline_synapse_azure_services_rule_only_when_requested(run_dev: Any) -> None:
    with pytest.raises(StackConfigError, match="synapseAllowAzureServices: true"):
        run_dev(allowedIpRanges={"azure": "0.0.0.0/32"})
    requested = run_dev(synapseAllowAzureServices=True)
    assert _rules(requested)["AllowAllWindowsAzureIps"] == ("0.0.0.0", "0.0.0.0")


def test_baseline_synapse_managed_vnet_exfiltration_protection_and_tde(run: OfflineRun) -> None:
    ws = run.one("synapse:Workspace", "synapse-workspace").inputs
    assert ws["managedVirtualNetwork"] == "default"
    assert ws["managedVirtualNetworkSettings"]["preventDataExfiltration"] is True
    assert run.one("synapse:SqlPoolTransparentDataEncryption", "synapse-sql-pool-tde").inputs["status"] == "Enabled"


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


PRIVILEGED = {"Owner", "Contributor", "User Access Administrator"}


def test_baseline_identities_least_privilege(run: OfflineRun) -> None:
    grants = _grants(run)
    # Only roles from the one table; nothing at account, resource group or subscription scope.
    assert all(role in roles.ROLE_DEFINITIONS for _, role, _ in grants)
    for r in run.of_type("authorization:RoleAssignment"):
        scope = r.inputs["scope"]
        assert "/containers/" in scope or scope.split("/providers/")[-1].count("/") in (2, 4), scope
    services = {g for g in grants if not g[0].startswith("group:")}
    c, rd, ds = roles.BLOB_CONTRIBUTOR, roles.BLOB_READER, roles.ML_DATA_SCIENTIST
    endpoints = {*run.outputs["ml_batch_endpoints"].values(), *run.outputs["ml_training_endpoints"].values()}
    assert services == {
        ("factory", c, "containers/landing"), ("factory", c, "containers/development"),
        ("factory", c, "containers/trusted"), ("factory", c, "containers/restricted"),
        ("factory", roles.SECRETS_USER, f"vaults/{run.outputs['key_vault']}"),
        *{("factory", ds, f"batchEndpoints/{e}") for e in endpoints},  # invoke, on the endpoints only
        ("synapse", rd, "containers/landing"), ("synapse", c, "containers/development"),
        ("synapse", c, "containers/trusted"), ("synapse", c, "containers/restricted"),
        ("synapse", c, "containers/synapse"),
        ("ml", rd, "containers/development"), ("ml", c, "containers/trusted"),
        ("factory", rd, "containers/wharf-control"), ("deployer", c, "containers/wharf-control"),
    }
    people = {g for g in grants if g[0].startswith("group:")}
    assert {role for _, role, _ in people} == {rd, roles.SECRETS_OFFICER}


def test_no_identity_holds_owner_contributor_or_uaa_or_a_broad_scope(run: OfflineRun) -> None:
    """Exact role names: "Storage Blob Data Contributor" is a data role, "Contributor" the control-plane one."""
    from lakewharf.infra.policy.identity import PRIVILEGED as PRIVILEGED_GUIDS

    assert set(PRIVILEGED_GUIDS.values()) == PRIVILEGED
    for r in run.of_type("authorization:RoleAssignment"):
        guid = r.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        assert guid not in PRIVILEGED_GUIDS and roles.role_name(r.inputs["roleDefinitionId"]) not in PRIVILEGED, r.name
        tail = r.inputs["scope"].split("/")
        assert len(tail) > 5 and "providers" in tail, f"{r.name}: subscription or resource-group scope"
    assert roles.BLOB_CONTRIBUTOR in {roles.role_name(r.inputs["roleDefinitionId"])
                                      for r in run.of_type("authorization:RoleAssignment")}  # data role, allowed


def test_ml_writes_only_its_score_folders(run: OfflineRun) -> None:
    ra = run.one("authorization:RoleAssignment", "ra-trusted-ml-blob-contributor").inputs
    assert ra["conditionVersion"] == "2.0"
    for model in CATALOG.models:
        assert f"blobs:path] StringStartsWith 'scores/{model}/'" in ra["condition"]
    assert "writes the scores of model churn" in ra["description"]
    # Nobody else's grant is limited: the factory still clears score folders, Synapse loads them.
    assert "condition" not in run.one("authorization:RoleAssignment", "ra-trusted-factory-blob-contributor").inputs


# --- secrets ---------------------------------------------------------------------------------------

def test_baseline_no_secret_value_in_any_input(run: OfflineRun) -> None:
    assert secret_findings(run) == []


def test_the_secret_scan_catches_a_secret_in_a_generated_file(tmp_path: Path, run_dev: Any) -> None:
    leaky = {"name": "ls_leaky", "properties": {"type": "AzureSqlDatabase", "typeProperties": {
        "connectionString": "Server=tcp:x.database.windows.net;Database=d;User ID=u;Password=hunter2;"}}}
    run = run_dev(adf_dir=write_adf_tree(tmp_path, extra={"linkedService/ls_leaky.json": leaky}))
    assert any("ls_leaky" in f and "password" in f for f in secret_findings(run))
