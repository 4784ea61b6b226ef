"""Run the program offline: Pulumi's mock runtime, with no CLI, no plugin, no Azure login.

``RecordingMocks`` is the one mocks class (``wharf plan`` and ``tests/infra`` both use it). It
records every resource as the provider would receive it (type token, logical name, inputs as
wire values: camelCase keys, numbers as floats) and answers like Azure would: physical names,
ARM ids, endpoints, managed identity principal ids, and ``getClientConfig``. In preview mode it
returns only the inputs, so computed outputs stay unknown, as in ``pulumi preview``.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from lakewharf.artifacts.adf_tree import AdfTree, load_adf_tree
from lakewharf.infra.settings import NAMESPACE, load_settings, stack_file_config, stack_path

SUBSCRIPTION_ID = "00000000-0000-4000-8000-00000000c0de"  # fabricated, never a real subscription
TENANT_ID = "00000000-0000-4000-8000-0000000070e7"
COMPUTED = "<computed>"
_SECRET_SIG = rpc._special_sig_key  # how the wire marks a secret: {sig: secret-sig, "value": …}
_SECRET = rpc._special_secret_sig

# Type token → ARM id below the resource group (placeholders are input names).
_ARM_PATHS = {
    "storage:StorageAccount": "Microsoft.Storage/storageAccounts/{accountName}",
    "storage:BlobContainer":
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
    "storage:ManagementPolicy": "Microsoft.Storage/storageAccounts/{accountName}/managementPolicies/default",
    "keyvault:Vault": "Microsoft.KeyVault/vaults/{vaultName}",
    "operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces/{workspaceName}",
    "applicationinsights:Component": "Microsoft.Insights/components/{resourceName}",
    "synapse:Workspace": "Microsoft.Synapse/workspaces/{workspaceName}",
    "synapse:SqlPool": "Microsoft.Synapse/workspaces/{workspaceName}/sqlPools/{sqlPoolName}",
    "synapse:IpFirewallRule": "Microsoft.Synapse/workspaces/{workspaceName}/firewallRules/{ruleName}",
    "synapse:WorkspaceAadAdmin": "Microsoft.Synapse/workspaces/{workspaceName}/administrators/activeDirectory",
    "datafactory:Factory": "Microsoft.DataFactory/factories/{factoryName}",
    "datafactory:LinkedService": "Microsoft.DataFactory/factories/{factoryName}/linkedservices/{linkedServiceName}",
    "datafactory:Dataset": "Microsoft.DataFactory/factories/{factoryName}/datasets/{datasetName}",
    "datafactory:Pipeline": "Microsoft.DataFactory/factories/{factoryName}/pipelines/{pipelineName}",
    "datafactory:Trigger": "Microsoft.DataFactory/factories/{factoryName}/triggers/{triggerName}",
    "machinelearningservices:Workspace": "Microsoft.MachineLearningServices/workspaces/{workspaceName}",
    "eventhub:Namespace": "Microsoft.EventHub/namespaces/{namespaceName}",
    "eventhub:EventHub": "Microsoft.EventHub/namespaces/{namespaceName}/eventhubs/{eventHubName}",
    "machinelearningservices:Compute":
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}",
    "machinelearningservices:BatchEndpoint":
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/batchEndpoints/{endpointName}",
    "machinelearningservices:Datastore":
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/datastores/{name}",
    "containerregistry:Registry": "Microsoft.ContainerRegistry/registries/{registryName}",
    "managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    "network:VirtualNetwork": "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    "network:Subnet": "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}",
    "network:PrivateEndpoint": "Microsoft.Network/privateEndpoints/{privateEndpointName}",
    "privatedns:PrivateZone": "Microsoft.Network/privateDnsZones/{privateZoneName}",
    "monitor:PrivateLinkScope": "Microsoft.Insights/privateLinkScopes/{scopeName}",
    "monitor:ActionGroup": "Microsoft.Insights/actionGroups/{actionGroupName}",
    "monitor:MetricAlert": "Microsoft.Insights/metricAlerts/{ruleName}",
    "datafactory:IntegrationRuntime":
        "Microsoft.DataFactory/factories/{factoryName}/integrationRuntimes/{integrationRuntimeName}",
}


def plain(value: Any) -> Any:
    """Wire values as JSON: secrets unwrapped to a marker, unknowns as ``<computed>``, 4.0 as 4."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) == _SECRET:
            return "[secret]"
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return COMPUTED
    return value


@dataclass
class Record:
    type: str  # Pulumi type token, e.g. azure-native:storage:StorageAccount
    name: str  # logical name
    inputs: dict[str, Any]
    custom: bool
    urn: str = ""
    parent: str = ""  # URN of the parent (a component) or ""
    dependencies: tuple[str, ...] = ()

    @property
    def short_type(self) -> str:
        return self.type.split(":", 1)[1] if self.type.startswith("azure-native:") else self.type


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, preview: bool = False) -> None:
        self.preview = preview
        self.records: list[Record] = []
        self._lock = threading.Lock()

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "azure-native:authorization:getClientConfig":
            return {"subscriptionId": SUBSCRIPTION_ID, "tenantId": TENANT_ID, "objectId": DEPLOYER_OBJECT_ID,
                    "clientId": _uuid("deployer-client")}
        raise NotImplementedError(f"RecordingMocks has no answer for {args.token}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        with self._lock:
            self.records.append(Record(args.typ, args.name, inputs, bool(args.custom)))
        if not args.custom:
            return "", {}
        short = args.typ.split(":", 1)[1] if args.typ.startswith("azure-native:") else args.typ
        physical = _physical_name(short, inputs, args.name)
        arm_id = self._arm_id(short, inputs, physical)
        if self.preview:  # ids and computed outputs (identity principal ids too) stay unknown
            return "", {**{k: v for k, v in inputs.items() if k != "identity"}, "name": physical}
        return arm_id, {**inputs, "name": physical, **_computed(short, inputs, physical, arm_id)}

    def attach(self, typ: str, name: str, urn: str, parent: str, dependencies: list[str]) -> None:
        with self._lock:
            for rec in reversed(self.records):
                if rec.type == typ and rec.name == name and not rec.urn:
                    rec.urn, rec.parent, rec.dependencies = urn, parent, tuple(dependencies)
                    return

    def _arm_id(self, short: str, inputs: Mapping[str, Any], physical: str) -> str:
        if short == "resources:ResourceGroup":
            return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{physical}"
        if short == "authorization:RoleAssignment":
            return f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{physical}"
        if short == "monitor:DiagnosticSetting":
            return f"{inputs.get('resourceUri')}/providers/Microsoft.Insights/diagnosticSettings/{physical}"
        path = _ARM_PATHS.get(short, f"{short.replace(':', '/')}/{physical}")
        rg = inputs.get("resourceGroupName", "rg")
        return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/" + path.format_map(
            _Default(inputs))


class _Default(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return COMPUTED


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Pulumi's mock monitor, also noting each resource's parent and dependencies."""

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.mocks.attach(request.type, request.name, response.urn, request.parent, list(request.dependencies))
        return response


def _uuid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lakewharf-mock:{seed}"))


DEPLOYER_OBJECT_ID = _uuid("deployer")  # getClientConfig's objectId: who runs `pulumi up`


_NAME_KEYS = ("accountName", "containerName", "vaultName", "workspaceName", "resourceName", "sqlPoolName", "ruleName",
              "factoryName", "linkedServiceName", "datasetName", "pipelineName", "triggerName", "computeName",
              "endpointName", "registryName", "privateZoneName", "privateEndpointName", "virtualNetworkName",
              "scopeName", "deploymentName", "resourceGroupName", "roleAssignmentName", "managementPolicyName")


def _physical_name(short: str, inputs: Mapping[str, Any], logical: str) -> str:
    # Children name themselves last: a container's accountName is its parent's name.
    own = {"storage:BlobContainer": "containerName", "synapse:SqlPool": "sqlPoolName",
           "synapse:IpFirewallRule": "ruleName", "datafactory:LinkedService": "linkedServiceName",
           "datafactory:Dataset": "datasetName", "datafactory:Pipeline": "pipelineName",
           "datafactory:Trigger": "triggerName", "machinelearningservices:Compute": "computeName",
           "machinelearningservices:BatchEndpoint": "endpointName", "machinelearningservices:Datastore": "name",
           "storage:ManagementPolicy": "managementPolicyName", "monitor:DiagnosticSetting": "name",
           "network:Subnet": "subnetName", "network:PrivateDnsZoneGroup": "privateDnsZoneGroupName",
           "privatedns:VirtualNetworkLink": "virtualNetworkLinkName",
           "datafactory:IntegrationRuntime": "integrationRuntimeName",
           "datafactory:ManagedPrivateEndpoint": "managedPrivateEndpointName",
           "monitor:PrivateLinkScopedResource": "name", "monitor:ActionGroup": "actionGroupName",
           "monitor:MetricAlert": "ruleName", "storage:BlobServiceProperties": "blobServicesName",
           "synapse:SqlPoolTransparentDataEncryption": "transparentDataEncryptionName",
           "eventhub:Namespace": "namespaceName", "eventhub:EventHub": "eventHubName",
           "synapse:WorkspaceAadAdmin": None}.get(short, "")
    if own is None:
        return "activeDirectory"
    if own:
        return str(inputs.get(own, logical))
    return str(next((inputs[k] for k in _NAME_KEYS if k in inputs), logical))


def _computed(short: str, inputs: Mapping[str, Any], name: str, arm_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    identity = inputs.get("identity")
    if isinstance(identity, dict):
        out["identity"] = dict(identity)
        if "SystemAssigned" in str(identity.get("type", "")):
            out["identity"].update(principalId=_uuid(f"principal:{arm_id}"), tenantId=TENANT_ID)
        if isinstance(identity.get("userAssignedIdentities"), list):  # sent as a list, returned as a map
            out["identity"]["userAssignedIdentities"] = {
                i: {"principalId": _uuid(f"principal:{i}"), "clientId": _uuid(f"client:{i}")}
                for i in identity["userAssignedIdentities"]}
    if short == "storage:StorageAccount":
        out["primaryEndpoints"] = {s: f"https://{name}.{s}.core.windows.net/" for s in ("blob", "dfs", "file", "queue",
                                                                                        "table", "web")}
    elif short == "keyvault:Vault":
        out["properties"] = {**inputs.get("properties", {}), "vaultUri": f"https://{name}.vault.azure.net/"}
    elif short == "synapse:Workspace":
        out["connectivityEndpoints"] = {"sql": f"{name}.sql.azuresynapse.net",
                                        "sqlOnDemand": f"{name}-ondemand.sql.azuresynapse.net",
                                        "dev": f"https://{name}.dev.azuresynapse.net"}
    elif short == "managedidentity:UserAssignedIdentity":
        out.update(principalId=_uuid(f"principal:{arm_id}"), clientId=_uuid(f"client:{arm_id}"), tenantId=TENANT_ID)
    elif short == "operationalinsights:Workspace":
        out["customerId"] = _uuid(f"customer:{arm_id}")
    elif short == "applicationinsights:Component":
        key = _uuid(f"ikey:{arm_id}")
        out.update(instrumentationKey=key, appId=_uuid(f"app:{arm_id}"))
    elif short == "machinelearningservices:Workspace":
        out.update(workspaceId=_uuid(f"ws:{arm_id}"),
                   discoveryUrl=f"https://{inputs.get('location')}.api.azureml.ms/discovery")
    elif short == "machinelearningservices:BatchEndpoint":
        out["properties"] = {**inputs.get("properties", {}),
                             "scoringUri": f"https://{name}.{inputs.get('location')}.inference.ml.azure.com/jobs"}
    return out


# --- the harness -------------------------------------------------------------------------------


@dataclass
class OfflineRun:
    stack: str
    preview: bool
    records: list[Record]
    outputs: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    adf: AdfTree | None = None
    adf_sources: dict[str, str] = field(default_factory=dict)  # logical ADF resource → build/adf file
    _by_urn: dict[str, Record] | None = field(default=None, repr=False)

    @property
    def resources(self) -> list[Record]:
        """Custom resources only (what Azure would hold), by component, type and name: registration
        order depends on when outputs resolve, this order does not."""
        return sorted((r for r in self.records if r.custom),
                      key=lambda r: (self.component_of(r), r.type, r.name))

    @property
    def components(self) -> list[Record]:
        return sorted((r for r in self.records if not r.custom), key=lambda r: r.name)

    def of_type(self, short: str) -> list[Record]:
        return [r for r in self.resources if r.short_type == short]

    def one(self, short: str, name: str) -> Record:
        found = [r for r in self.of_type(short) if r.name == name]
        assert len(found) == 1, f"{len(found)} {short} named {name}"
        return found[0]

    def component_of(self, record: Record) -> str:
        """Logical name of the component a resource belongs to (``""`` at the top level)."""
        if self._by_urn is None:
            self._by_urn = {r.urn: r for r in self.records}
        parents = self._by_urn
        parent = parents.get(record.parent)
        while parent is not None and parent.custom:
            parent = parents.get(parent.parent)
        return parent.name if parent is not None else ""


def stack_config(root: Path, stack: str) -> dict[str, str]:
    """The stack file's config as the Pulumi engine hands it to a program (strings); checked first,
    so a bad file fails here with located errors."""
    path = stack_path(root, stack)
    load_settings(root, stack)
    return stack_file_config(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def use_mocks(config: Mapping[str, str], stack: str, *, preview: bool = False) -> RecordingMocks:
    """Point the Pulumi runtime at fresh ``RecordingMocks`` with ``config`` as the stack config."""
    pulumi.runtime.set_all_config(dict(config))
    mocks = RecordingMocks(preview)
    pulumi.runtime.set_mocks(mocks, project=NAMESPACE, stack=stack, preview=preview, monitor=RecordingMonitor(mocks))
    return mocks


def resolve_adf(root: Path, catalog: Any, adf_dir: Path | None, warnings: list[str]) -> AdfTree | None:
    """``build/adf`` if it exists; otherwise generate into a temporary folder (plan only)."""
    if adf_dir is not None:
        return load_adf_tree(adf_dir, label_root=adf_dir.parent.parent)
    if (root / "build" / "adf").is_dir():
        return load_adf_tree(root / "build" / "adf", label_root=root)
    from lakewharf.errors import CatalogInvalid
    from lakewharf.generate.generate_all import generate_all
    from lakewharf.generate.writer import write_tree

    with tempfile.TemporaryDirectory(prefix="wharf-plan-") as tmp:
        try:
            write_tree(Path(tmp) / "build", generate_all(catalog))
        except CatalogInvalid as exc:
            first = exc.errors[0]
            warnings.append(f"build/adf is missing and generating it failed ({first.file}: {first.message}): the "
                            "factory is planned without linked services, datasets, pipelines or triggers")
            return None
        generated = Path(tmp) / "build" / "adf"
        if not generated.is_dir():
            warnings.append("build/adf is missing and the generators produce no Data Factory files yet: "
                            "the factory is planned without linked services, datasets, pipelines or triggers")
            return None
        warnings.append("build/adf is missing: planned from a temporary `wharf generate`; `pulumi up` deploys only "
                        "reviewed files, so run `wharf generate` and review build/ first")
        return load_adf_tree(generated, label_root=Path(tmp))


def run_offline(root: Path, stack: str = "dev", *, preview: bool = False,
                overrides: Mapping[str, Any] | None = None, adf_dir: Path | None = None) -> OfflineRun:
    """Run the program for ``stack`` under ``RecordingMocks`` and return what it declared."""
    from lakewharf.infra.program import build_platform
    from lakewharf.project import load_catalog

    settings = load_settings(root, stack, overrides)  # located errors: Pulumi.<stack>.yaml:LINE
    config = stack_file_config(yaml.safe_load(stack_path(root, stack).read_text(encoding="utf-8")) or {})
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config.update(stack_file_config({"config": {full: value}}))
    catalog = load_catalog(root)
    warnings: list[str] = []
    adf = resolve_adf(root, catalog, adf_dir, warnings)

    mocks = use_mocks(config, stack, preview=preview)
    outputs: dict[str, Any] = {}
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def declare() -> pulumi.Output[Any]:
        platform = build_platform(settings, catalog, adf)
        holder["platform"] = platform
        return pulumi.Output.all(*[pulumi.Output.from_input(v).apply(lambda x, k=k: outputs.__setitem__(k, x))
                                   for k, v in platform.outputs.items()])

    declare()
    platform = holder["platform"]
    resolved = {k: plain(outputs.get(k, COMPUTED)) for k in platform.outputs}
    return OfflineRun(stack, preview, mocks.records, resolved, warnings + platform.warnings, adf,
                      dict(platform.factory.sources))
