"""The sample catalog yields the platform the issue describes: one resource per catalog element."""

from __future__ import annotations

import re
from pathlib import Path

from lakewharf.infra import roles
from lakewharf.infra.mocks import SUBSCRIPTION_ID, OfflineRun, RecordingMocks
from lakewharf.model import naming
from lakewharf.project import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO_ROOT)
ZONES = CATALOG.platform.zones


def test_components_group_the_resources(dev: OfflineRun) -> None:
    assert {c.type for c in dev.components} == {f"lakewharf:infra:{n}" for n in
                                                 ("Network", "Lake", "Security", "Monitoring", "Warehouse",
                                                  "Factory", "MachineLearning", "ControlFiles", "Alerts")}
    assert dev.component_of(dev.one("storage:StorageAccount", "lake-account")) == "lake"
    assert dev.component_of(dev.one("synapse:SqlPool", "synapse-sql-pool")) == "warehouse"
    assert dev.component_of(dev.one("resources:ResourceGroup", "resource-group")) == ""


def test_caf_names_and_tags(dev: OfflineRun) -> None:
    rg = dev.one("resources:ResourceGroup", "resource-group").inputs
    assert rg["resourceGroupName"] == "rg-retail-dev"
    assert rg["tags"] == {"environment": "dev", "owner": "data-platform-team@example.com", "cost-center": "CC-1042",
                          "platform": "retail", "managed-by": "pulumi-lakewharf"}
    lake = dev.one("storage:StorageAccount", "lake-account").inputs["accountName"]
    assert lake.startswith("stretaildev") and len(lake) <= 24 and lake.isalnum()
    assert dev.one("keyvault:Vault", "key-vault").inputs["vaultName"].startswith("kv-retail-dev-")
    assert dev.one("synapse:Workspace", "synapse-workspace").inputs["workspaceName"].startswith("syn-retail-dev-")
    assert dev.one("datafactory:Factory", "data-factory").inputs["factoryName"].startswith("adf-retail-dev-")
    assert dev.one("machinelearningservices:Workspace", "ml-workspace").inputs["workspaceName"] == "mlw-retail-dev"
    assert dev.one("operationalinsights:Workspace", "log-analytics").inputs["workspaceName"] == "log-retail-dev"
    assert dev.one("applicationinsights:Component", "app-insights").inputs["resourceName"] == "appi-retail-dev"
    registry = dev.one("containerregistry:Registry", "ml-container-registry").inputs["registryName"]
    assert registry.startswith("crretaildev")
    for r in dev.resources:
        if "tags" in r.inputs and r.short_type != "resources:ResourceGroup":
            assert r.inputs["tags"]["environment"] == "dev", r.name


def test_one_filesystem_per_zone_plus_the_synapse_workspace_filesystem(dev: OfflineRun) -> None:
    names = sorted(r.inputs["containerName"] for r in dev.of_type("storage:BlobContainer"))
    assert names == sorted([z.filesystem for z in ZONES.values()] + ["synapse", "wharf-control"])
    assert len(ZONES) == 4
    assert all(r.inputs["publicAccess"] == "None" for r in dev.of_type("storage:BlobContainer"))


def test_lifecycle_rules_delete_after_zone_retention(dev: OfflineRun) -> None:
    rules = dev.one("storage:ManagementPolicy", "lake-lifecycle").inputs["policy"]["rules"]
    got = {tuple(r["definition"]["filters"]["prefixMatch"]): r["definition"]["actions"]["baseBlob"]["delete"][
        "daysAfterModificationGreaterThan"] for r in rules}
    assert got == {(f"{z.filesystem}/",): z.retention_days for z in ZONES.values() if z.retention_days is not None}
    assert len(got) == 3  # landing keeps its files: incremental loads are its only history


GROUP_IDS = {"data_engineer": "00000000-0000-0000-0000-0000000000e1",
             "data_scientist": "00000000-0000-0000-0000-0000000000e2",
             "analyst": "00000000-0000-0000-0000-0000000000e3",
             "crm_operator": "00000000-0000-0000-0000-0000000000e4"}  # Pulumi.dev.yaml


def _container_assignments(run: OfflineRun) -> set[tuple[str, str, str, str]]:
    """(filesystem, role, principal id, principal type) of every role assignment on a container."""
    out = set()
    for r in run.of_type("authorization:RoleAssignment"):
        scope = r.inputs["scope"]
        if "/blobServices/default/containers/" in scope:
            out.add((scope.rsplit("/", 1)[1], roles.role_name(r.inputs["roleDefinitionId"]),
                     r.inputs["principalId"], r.inputs["principalType"]))
    return out


def test_role_assignments_per_zone_follow_the_catalog(dev: OfflineRun) -> None:
    """Readers → Storage Blob Data Reader, writers → Contributor, on the zone's container; groups by
    their object id from the stack, service roles by their managed identity."""
    principal = {**{k: (v, "Group") for k, v in GROUP_IDS.items()},
                 "factory": (dev.outputs["factory_principal_id"], "ServicePrincipal"),
                 "synapse": (dev.outputs["synapse_principal_id"], "ServicePrincipal"),
                 "ml": (dev.outputs["ml_data_identity_principal_id"], "ServicePrincipal")}
    expected = set()
    for zone in ZONES.values():
        for role in zone.writers:
            expected.add((zone.filesystem, roles.BLOB_CONTRIBUTOR, *principal[role]))
        for role in set(zone.readers) - set(zone.writers):
            expected.add((zone.filesystem, roles.BLOB_READER, *principal[role]))
    actual = _container_assignments(dev)
    assert expected <= actual
    # Beyond the catalog's lists only what an engine needs, derived from the catalog: here the
    # Synapse workspace's own filesystem (the catalog already lists synapse as a landing reader).
    extra = actual - expected
    assert ("synapse", roles.BLOB_CONTRIBUTOR, *principal["synapse"]) in extra
    # The control files: the factory reads them, whoever runs `pulumi up` writes them (a user here).
    assert ("wharf-control", roles.BLOB_READER, *principal["factory"]) in extra
    deployer = {x for x in extra if x[-1] != "ServicePrincipal"}
    assert [(fs, role, ptype) for fs, role, _, ptype in deployer] == [("wharf-control", roles.BLOB_CONTRIBUTOR, "User")]
    assert len(actual) == 21


def test_service_role_principals_are_the_managed_identities(dev: OfflineRun) -> None:
    ra = dev.one("authorization:RoleAssignment", "ra-landing-factory-blob-contributor").inputs
    assert ra["principalId"] == dev.outputs["factory_principal_id"]
    assert ra["principalType"] == "ServicePrincipal"
    ra = dev.one("authorization:RoleAssignment", "ra-trusted-ml-blob-contributor").inputs
    assert ra["principalId"] == dev.outputs["ml_data_identity_principal_id"]
    ra = dev.one("authorization:RoleAssignment", "ra-trusted-synapse-blob-contributor").inputs
    assert ra["principalType"] == "ServicePrincipal"
    assert ra["scope"].endswith("/blobServices/default/containers/trusted")
    assert ra["roleDefinitionId"] == (f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
                                      "roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe")


def test_azure_ml_compute_endpoints_and_datastores(dev: OfflineRun) -> None:
    [cluster] = dev.of_type("machinelearningservices:Compute")
    spec = CATALOG.platform.compute["cpu-cluster"]
    props = cluster.inputs["properties"]
    assert props["computeType"] == "AmlCompute"
    assert props["properties"]["vmSize"] == spec.size
    assert props["properties"]["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": spec.max_nodes,
                                                     "nodeIdleTimeBeforeScaleDown": "PT900S"}
    assert cluster.inputs["identity"]["type"] == "UserAssigned"
    endpoints = {r.name: r.inputs["endpointName"] for r in dev.of_type("machinelearningservices:BatchEndpoint")}
    scoring = sorted(v for k, v in endpoints.items() if not k.startswith("ml-endpoint-train-"))
    suffix = dev.outputs["ml_batch_endpoints"]["churn"].removeprefix("retail-churn-")
    assert re.fullmatch("[0-9a-f]{4}", suffix)  # naming.ENDPOINT_SUFFIX_LEN
    # Region-unique names: the stack suffix follows the catalog name (retail-churn-1a2b).
    assert scoring == sorted(f"{naming.batch_endpoint_name('retail', m)}-{suffix}" for m in CATALOG.models)
    assert len(scoring) == 3
    # The endpoints the generated Data Factory train steps invoke (a pipeline-component deployment each).
    training = sorted(v for k, v in endpoints.items() if k.startswith("ml-endpoint-train-"))
    assert training == sorted(f"{naming.training_endpoint_name('retail', m)}-{suffix}" for m in CATALOG.models)
    assert all(r.inputs["properties"]["authMode"] == "AADToken"
               for r in dev.of_type("machinelearningservices:BatchEndpoint"))
    stores = {r.inputs["name"]: r.inputs["properties"] for r in dev.of_type("machinelearningservices:Datastore")}
    assert set(stores) == set(ZONES)
    for zone, p in stores.items():
        assert p["datastoreType"] == "AzureDataLakeGen2"
        assert p["filesystem"] == ZONES[zone].filesystem
        assert p["credentials"] == {"credentialsType": "None"}  # identity-based access
        assert p["accountName"] == dev.outputs["lake_account"]


def test_azure_ml_workspace_has_its_own_associated_resources(dev: OfflineRun) -> None:
    ws = dev.one("machinelearningservices:Workspace", "ml-workspace").inputs
    ml_storage = dev.one("storage:StorageAccount", "ml-storage").inputs
    assert ml_storage["isHnsEnabled"] is False  # Azure ML workspace storage cannot be HNS
    assert ws["storageAccount"].endswith(f"/storageAccounts/{ml_storage['accountName']}")
    assert ws["keyVault"].endswith("/vaults/" + dev.one("keyvault:Vault", "ml-key-vault").inputs["vaultName"])
    assert ws["containerRegistry"].endswith("/registries/" + dev.one(
        "containerregistry:Registry", "ml-container-registry").inputs["registryName"])
    assert ws["applicationInsights"].endswith("/components/appi-retail-dev")
    assert ws["identity"] == {"type": "SystemAssigned"}


def test_monitoring_diagnostics_cover_lake_synapse_factory_and_vault(dev: OfflineRun) -> None:
    uris = {r.inputs["resourceUri"].split("/providers/", 1)[1] for r in dev.of_type("monitor:DiagnosticSetting")}
    assert any(u.startswith("Microsoft.Storage/storageAccounts/stretaildev") and u.endswith("/blobServices/default")
               for u in uris)
    assert any(u.startswith("Microsoft.Synapse/workspaces/") and "/sqlPools/" not in u for u in uris)
    assert any(u.startswith("Microsoft.DataFactory/factories/") for u in uris)
    assert any(u.startswith("Microsoft.KeyVault/vaults/kv-retail-dev") for u in uris)
    workspace_id = dev.one("operationalinsights:Workspace", "log-analytics")
    assert all(r.inputs["workspaceId"].endswith("/workspaces/" + workspace_id.inputs["workspaceName"])
               for r in dev.of_type("monitor:DiagnosticSetting"))
    appi = dev.one("applicationinsights:Component", "app-insights").inputs
    assert appi["workspaceResourceId"].endswith("/workspaces/log-retail-dev")


def test_key_vault_secret_names_are_exported_never_created(dev: OfflineRun) -> None:
    expected = sorted({s.secret for s in CATALOG.sources.values()} | {CATALOG.platform.hash_salt_secret})
    assert dev.outputs["key_vault_secrets_to_set"] == expected
    assert not [r for r in dev.resources if r.short_type.startswith("keyvault:Secret")]
    assert all(c.startswith("az keyvault secret set --vault-name kv-retail-dev-") for c in
               dev.outputs["key_vault_secret_commands"])


def test_stack_outputs(dev: OfflineRun) -> None:
    o = dev.outputs
    assert o["factory_url"].startswith("https://adf.azure.com/en/home?factory=%2Fsubscriptions%2F")
    assert o["ml_studio_url"].startswith("https://ml.azure.com/?wsid=/subscriptions/")
    assert o["lake_dfs_endpoint"] == f"https://{o['lake_account']}.dfs.core.windows.net/"
    assert o["synapse_dedicated_endpoint"] == f"{o['synapse_workspace']}.sql.azuresynapse.net"
    assert o["synapse_serverless_endpoint"] == f"{o['synapse_workspace']}-ondemand.sql.azuresynapse.net"
    suffix = o["ml_batch_endpoints"]["churn"].removeprefix("retail-churn-")
    assert o["ml_batch_endpoints"] == {m: f"retail-{m}-{suffix}" for m in CATALOG.models}
    assert o["ml_training_endpoints"] == {m: f"retail-train-{m}-{suffix}" for m in CATALOG.models}
    commands = o["ml_deployment_commands"]
    where = f"--resource-group {o['resource_group']} --workspace-name {o['ml_workspace']}"
    assert commands[0] == f"az ml environment create --file build/aml/environment.yml {where}"
    # Training deployments first: training registers the model the scoring deployments use.
    assert commands[1] == ("az ml batch-deployment create --file build/aml/deployment_train_churn.yml "
                           f"--endpoint-name retail-train-churn-{suffix} {where} --set-default")
    assert commands[-1] == ("az ml batch-deployment create --file build/aml/deployment_segmentation.yml "
                            f"--endpoint-name retail-segmentation-{suffix} {where} --set-default")
    assert len(commands) == 1 + 2 * len(CATALOG.models)
    assert f"CREATE USER [{o['factory_name']}] FROM EXTERNAL PROVIDER;" in o["post_deploy_sql"]


def test_the_mocks_answer_get_client_config_with_a_dict() -> None:
    from pulumi.runtime import MockCallArgs

    answer = RecordingMocks().call(MockCallArgs("azure-native:authorization:getClientConfig", {}, ""))
    assert isinstance(answer, dict) and answer["subscriptionId"] == SUBSCRIPTION_ID and answer["tenantId"]


def test_resource_totals(dev: OfflineRun) -> None:
    """The whole sample platform, counted (ADF objects: the 7 files of the fake build/adf)."""
    by_type: dict[str, int] = {}
    for r in dev.resources:
        by_type[r.short_type] = by_type.get(r.short_type, 0) + 1
    # 21 on containers, 2 on the vault, 6 on the batch endpoints (Data Factory invokes each, nothing else)
    assert by_type["authorization:RoleAssignment"] == 29
    assert by_type["storage:BlobContainer"] == 6
    assert by_type["machinelearningservices:BatchEndpoint"] == 3 + 3  # scoring + training
    assert by_type["machinelearningservices:Compute"] == 1
    # The network: a VNet and its subnet, 15 private DNS zones with their VNet links, 14 private
    # endpoints with their DNS zone groups, the Azure Monitor private link scope with its 2 members.
    assert by_type["network:PrivateEndpoint"] == by_type["network:PrivateDnsZoneGroup"] == 14
    assert by_type["privatedns:PrivateZone"] == by_type["privatedns:VirtualNetworkLink"] == 15
    # Data Factory's managed network: the network (an ARM deployment), its runtime, 6 managed private endpoints.
    assert by_type["datafactory:ManagedPrivateEndpoint"] == 6 and by_type["datafactory:IntegrationRuntime"] == 1
    # Alerts: one action group (the dev stack names an email receiver) and 4 metric alert rules.
    assert by_type["monitor:ActionGroup"] == 1 and by_type["monitor:MetricAlert"] == 4
    assert len(dev.resources) == 153
