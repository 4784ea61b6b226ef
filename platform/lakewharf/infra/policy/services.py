"""Key Vault, Data Factory, the container registry and Application Insights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakewharf.infra.policy.rules import Problems, expect, get, items, known, rule

VAULT = "azure-native:keyvault:Vault"
FACTORY = "azure-native:datafactory:Factory"
REGISTRY = "azure-native:containerregistry:Registry"
APP_INSIGHTS = "azure-native:applicationinsights:Component"


def _closed_or_listed(p: Mapping[str, Any], access_path: str, action_path: str, rules_path: str) -> Problems:
    """Public access Disabled, or Enabled only behind a default deny with listed client ranges."""
    access = get(p, access_path)
    if access == "Disabled" or not known(access):
        return
    if access != "Enabled":
        yield access_path, f"is {access!r}: set Disabled (private endpoint only)"
    elif get(p, action_path) != "Deny" or not items(get(p, rules_path)):
        yield access_path, "is Enabled without default-deny IP rules: open to the internet"


@rule("LW-KV-1", "Key Vault uses Azure RBAC, soft delete and purge protection", VAULT, mcsb="DP-8",
      checkov="CKV_AZURE_110")
def vault_recoverable(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "properties.enableRbacAuthorization", True, "access policies bypass role assignments")
    yield from expect(p, "properties.enableSoftDelete", True, "deleted secrets must stay recoverable (CKV_AZURE_111)")
    yield from expect(p, "properties.enablePurgeProtection", True, "nobody may purge secrets early (CKV_AZURE_42)")


@rule("LW-KV-2", "Key Vault network ACLs deny by default", VAULT, mcsb="NS-2", checkov="CKV_AZURE_109")
def vault_default_deny(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "properties.networkAcls.defaultAction", "Deny", "every network could reach the vault")


@rule("LW-KV-3", "Key Vault takes no public traffic, or only from listed client ranges", VAULT, mcsb="NS-2",
      checkov="CKV_AZURE_189")
def vault_public(p: Mapping[str, Any]) -> Problems:
    yield from _closed_or_listed(p, "properties.publicNetworkAccess", "properties.networkAcls.defaultAction",
                                 "properties.networkAcls.ipRules")


@rule("LW-ADF-1", "Data Factory takes no public traffic", FACTORY, mcsb="NS-2", checkov="CKV_AZURE_104")
def factory_private(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "publicNetworkAccess", "Disabled", "reach it through its private endpoints")


@rule("LW-ADF-2", "Data Factory's Azure integration runtime runs in the managed virtual network",
      "azure-native:datafactory:IntegrationRuntime", mcsb="NS-2", checkov=None)
def runtime_in_managed_vnet(p: Mapping[str, Any]) -> Problems:
    if get(p, "properties.type") == "Managed" and get(p, "properties.managedVirtualNetwork.referenceName") is None:
        yield ("properties.managedVirtualNetwork",
               "missing: outside the managed network the runtime uses public endpoints")


@rule("LW-CR-1", "Container registry has no admin user or anonymous pull", REGISTRY, mcsb="IM-1",
      checkov="CKV_AZURE_137")
def registry_auth(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "adminUserEnabled", False, "the admin user is a shared password")
    if get(p, "anonymousPullEnabled") is True:
        yield "anonymousPullEnabled", "is true: anyone could pull images (CKV_AZURE_138)"


@rule("LW-CR-2", "Container registry takes no public traffic, or only from listed client ranges", REGISTRY,
      mcsb="NS-2", checkov="CKV_AZURE_139")
def registry_public(p: Mapping[str, Any]) -> Problems:
    yield from _closed_or_listed(p, "publicNetworkAccess", "networkRuleSet.defaultAction", "networkRuleSet.ipRules")


@rule("LW-AI-1", "Application Insights ingests and answers queries over private link only", APP_INSIGHTS,
      mcsb="NS-2", checkov=None)
def insights_private(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "publicNetworkAccessForIngestion", "Disabled", "anyone with the key could send telemetry")
    yield from expect(p, "publicNetworkAccessForQuery", "Disabled", "telemetry holds request data")


@rule("LW-AI-2", "Application Insights accepts Entra-authenticated telemetry only", APP_INSIGHTS, mcsb="IM-1",
      checkov=None)
def insights_local_auth(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "disableLocalAuth", True, "the instrumentation key is a shared secret")
