"""Storage accounts, their blob service and containers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakewharf.infra.policy.rules import Problems, expect, get, items, known, rule

ACCOUNT = "azure-native:storage:StorageAccount"


@rule("LW-ST-1", "Storage accepts HTTPS only", ACCOUNT, mcsb="DP-3", checkov="CKV_AZURE_3")
def https_only(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "enableHttpsTrafficOnly", True, "plain HTTP exposes data and tokens in transit")


@rule("LW-ST-2", "Storage requires TLS 1.2", ACCOUNT, mcsb="DP-3", checkov="CKV_AZURE_44")
def tls(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "minimumTlsVersion", "TLS1_2", "TLS 1.0 and 1.1 have known weaknesses")


@rule("LW-ST-3", "No anonymous blob access", ACCOUNT, mcsb="NS-2", checkov="CKV2_AZURE_47")
def no_anonymous(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "allowBlobPublicAccess", False, "anyone with the URL could read a public container")


@rule("LW-ST-4", "Storage refuses shared keys", ACCOUNT, mcsb="IM-1", checkov="CKV2_AZURE_40")
def no_shared_key(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "allowSharedKeyAccess", False, "account keys and SAS bypass Entra ID and RBAC")


@rule("LW-ST-5", "Storage network rules deny by default, trusted Azure services through", ACCOUNT,
      mcsb="NS-2", checkov="CKV_AZURE_35")
def default_deny(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "networkRuleSet.defaultAction", "Deny", "without rules every network may connect")
    bypass = get(p, "networkRuleSet.bypass")
    if known(bypass) and "AzureServices" not in str(bypass or ""):
        yield "networkRuleSet.bypass", "must include AzureServices (CKV_AZURE_36): trusted services need it"


@rule("LW-ST-6", "Storage takes no public traffic, or only from listed client ranges", ACCOUNT,
      mcsb="NS-2", checkov="CKV_AZURE_59")
def public_network(p: Mapping[str, Any]) -> Problems:
    access = get(p, "publicNetworkAccess")
    if access == "Disabled" or not known(access):
        return
    if access != "Enabled":
        yield "publicNetworkAccess", f"is {access!r}: set Disabled (private endpoints only)"
    elif get(p, "networkRuleSet.defaultAction") != "Deny" or not items(get(p, "networkRuleSet.ipRules")):
        yield "publicNetworkAccess", "is Enabled without default-deny IP rules: the account is open to the internet"


@rule("LW-ST-7", "Storage encrypts twice at rest (infrastructure encryption)", ACCOUNT, mcsb="DP-4", checkov=None)
def infrastructure_encryption(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "encryption.requireInfrastructureEncryption", True, "can only be chosen at creation")


@rule("LW-ST-8", "Containers are private", "azure-native:storage:BlobContainer", mcsb="NS-2", checkov="CKV_AZURE_34")
def private_container(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "publicAccess", "None", "a public container is readable without sign-in")


@rule("LW-ST-9", "Deleted blobs and containers stay recoverable (soft delete)",
      "azure-native:storage:BlobServiceProperties", mcsb="BR-1", checkov="CKV2_AZURE_38")
def soft_delete(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "deleteRetentionPolicy.enabled", True, "a deleted blob is otherwise gone at once")
    yield from expect(p, "containerDeleteRetentionPolicy.enabled", True, "a deleted container takes every file")
