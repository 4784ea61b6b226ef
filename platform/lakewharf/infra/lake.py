"""The lake: one ADLS Gen2 account, a filesystem per catalog zone, retention from the catalog."""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi_azure_native import storage

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.settings import StackConfigError
from lakewharf.model.catalog import Platform
from lakewharf.model.lake import CONTROL_FILESYSTEM

# The storage security baseline, shared with the Azure ML workspace's own account:
# https://learn.microsoft.com/azure/storage/common/security-recommendations
SECURE_STORAGE: dict[str, Any] = {
    "kind": "StorageV2",
    "enable_https_traffic_only": True,  # https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer
    "minimum_tls_version": "TLS1_2",  # https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version
    "allow_blob_public_access": False,  # https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent
    "allow_cross_tenant_replication": False,
    # Double encryption at rest (service + infrastructure); can only be chosen at creation:
    # https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable
    "encryption": {
        "key_source": "Microsoft.Storage",
        "require_infrastructure_encryption": True,
        "services": {"blob": {"enabled": True, "key_type": "Account"},
                     "file": {"enabled": True, "key_type": "Account"}},
    },
}


def secure_account(name: str, ctx: Context, *, account_name: str, hierarchical: bool, sku: str,
                   parent: pulumi.Resource, **extra: Any) -> storage.StorageAccount:
    return storage.StorageAccount(
        name, account_name=account_name, resource_group_name=ctx.resource_group_name, location=ctx.location,
        sku={"name": sku}, is_hns_enabled=hierarchical, tags=ctx.tags, opts=child(parent),
        **SECURE_STORAGE, **extra,
    )


def lifecycle_rules(platform: Platform) -> list[dict[str, Any]]:
    """One delete rule per zone with ``retention_days``, matched by the filesystem's prefix.
    https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-overview"""
    rules = []
    for zone in platform.zones.values():
        if zone.retention_days is None:
            continue
        rules.append({
            # Rule names: alphanumeric only.
            "name": "expire" + re.sub(r"[^A-Za-z0-9]", "", zone.filesystem),
            "enabled": True,
            "type": "Lifecycle",
            "definition": {
                "filters": {"blob_types": ["blockBlob"], "prefix_match": [f"{zone.filesystem}/"]},
                "actions": {"base_blob": {"delete": {"days_after_modification_greater_than": zone.retention_days}}},
            },
        })
    return rules


class Lake(pulumi.ComponentResource):
    """ADLS Gen2 (hierarchical namespace), Entra-only access, zone filesystems, lifecycle rules.

    Role assignments on the filesystems are added by the program (``grant``) once the managed
    identities that receive them exist.
    """

    def __init__(self, name: str, ctx: Context, platform: Platform, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Lake", name, None, opts)
        reserved = ctx.names.synapse_filesystem
        if any(z.filesystem == reserved for z in platform.zones.values()):
            raise StackConfigError([f"zone filesystem {reserved!r} is reserved for the Synapse workspace's own "
                                    "filesystem: rename the zone's filesystem in catalog/platform.yaml"])
        self.account = secure_account(
            "lake-account", ctx, account_name=ctx.names.lake_account, hierarchical=True,
            sku=ctx.settings.storage_sku, parent=self, access_tier="Hot",
            # Entra ID only: no account keys or SAS for anyone, so every read is an RBAC decision.
            # https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
            allow_shared_key_access=False, default_to_o_auth_authentication=True,
        )
        self.filesystems: dict[str, storage.BlobContainer] = {}
        for zone in platform.zones.values():
            self.filesystems[zone.name] = self._filesystem(f"lake-fs-{zone.name}", ctx, zone.filesystem)
        self.synapse_filesystem = self._filesystem("lake-fs-synapse", ctx, reserved)
        # The orchestrators' item lists (infra/control.py); not a zone, so no catalog role reads it.
        self.control_filesystem = self._filesystem("lake-fs-control", ctx, CONTROL_FILESYSTEM)
        rules = lifecycle_rules(platform)
        self.lifecycle = storage.ManagementPolicy(
            "lake-lifecycle", account_name=self.account.name, resource_group_name=ctx.resource_group_name,
            management_policy_name="default",  # the one policy an account has
            policy={"rules": rules}, opts=child(self),
        ) if rules else None
        self.dfs_endpoint: pulumi.Output[str] = self.account.primary_endpoints.dfs
        self.register_outputs({"account": self.account.name, "dfs_endpoint": self.dfs_endpoint})

    def _filesystem(self, name: str, ctx: Context, filesystem: str) -> storage.BlobContainer:
        return storage.BlobContainer(
            name, container_name=filesystem, account_name=self.account.name,
            resource_group_name=ctx.resource_group_name, public_access="None", opts=child(self),
        )

    def filesystem_id(self, scope: str) -> pulumi.Output[str]:
        """ARM id of the container behind a grant scope: ``zone:<zone>``, ``filesystem:synapse`` or
        ``filesystem:control``."""
        if scope == "filesystem:synapse":
            return self.synapse_filesystem.id
        if scope == "filesystem:control":
            return self.control_filesystem.id
        return self.filesystems[scope.split(":", 1)[1]].id
