"""The lake: one ADLS Gen2 account, a filesystem per catalog zone, retention from the catalog.

Both storage accounts (the lake and the Azure ML workspace's) share one baseline: HTTPS and TLS 1.2
only, no anonymous or shared-key access, default-deny network rules with trusted Azure services
through, private endpoints, and soft delete of blobs and containers.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi_azure_native import storage

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.network import Network, public_access, resource_id, storage_network_rules
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
    # Entra ID only: no account keys or SAS for anyone, so every read is an RBAC decision.
    # https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
    "allow_shared_key_access": False,
    "default_to_o_auth_authentication": True,
    "is_local_user_enabled": False,  # no SFTP/local users: https://learn.microsoft.com/azure/storage/blobs/secure-file-transfer-protocol-support
    "allowed_copy_scope": "PrivateLink",  # copies only from accounts reached over private link
    # Double encryption at rest (service + infrastructure); can only be chosen at creation:
    # https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable
    "encryption": {
        "key_source": "Microsoft.Storage",
        "require_infrastructure_encryption": True,
        "services": {"blob": {"enabled": True, "key_type": "Account"},
                     "file": {"enabled": True, "key_type": "Account"}},
    },
}


# Soft delete keeps a deleted blob or container recoverable for this many days when no zone says less.
DEFAULT_SOFT_DELETE_DAYS = 14


def secure_account(name: str, ctx: Context, net: Network, *, account_name: str, hierarchical: bool, sku: str,
                   parent: pulumi.Resource, endpoints: tuple[str, ...], soft_delete_days: int,
                   trusted_resources: list[pulumi.Input[str]] | None = None,
                   **extra: Any) -> storage.StorageAccount:
    """A storage account with the baseline, its blob data protection and its private endpoints."""
    account = storage.StorageAccount(
        name, account_name=account_name, resource_group_name=ctx.resource_group_name, location=ctx.location,
        sku={"name": sku}, is_hns_enabled=hierarchical, tags=ctx.tags, opts=child(parent),
        public_network_access=public_access(ctx),
        network_rule_set=storage_network_rules(ctx, resource_ids=trusted_resources),
        **SECURE_STORAGE, **extra,
    )
    # Soft delete for blobs and containers; versioning where the account allows it: Microsoft Learn's
    # feature table lists blob versioning as not supported with a hierarchical namespace.
    # https://learn.microsoft.com/azure/storage/blobs/data-protection-overview
    # https://learn.microsoft.com/azure/storage/blobs/storage-feature-support-in-storage-accounts
    retention = {"enabled": True, "days": soft_delete_days}
    storage.BlobServiceProperties(
        f"{name}-blob-service", account_name=account.name, resource_group_name=ctx.resource_group_name,
        blob_services_name="default", delete_retention_policy=retention,
        container_delete_retention_policy=retention, is_versioning_enabled=not hierarchical,
        opts=child(parent),
    )
    for group in endpoints:
        net.private_endpoint(f"{name}-{group}", target_id=account.id, group_id=group, physical=account_name,
                             parent=parent)
    return account


def soft_delete_days(platform: Platform) -> int:
    """Soft delete is one setting per account: the shortest zone retention, so no zone's deleted data
    outlives its retention by more than that (1-365 days, the service's range)."""
    days = [z.retention_days for z in platform.zones.values() if z.retention_days is not None]
    return max(1, min(365, min(days))) if days else DEFAULT_SOFT_DELETE_DAYS


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

    def __init__(self, name: str, ctx: Context, platform: Platform, net: Network,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Lake", name, None, opts)
        reserved = ctx.names.synapse_filesystem
        if any(z.filesystem == reserved for z in platform.zones.values()):
            raise StackConfigError([f"zone filesystem {reserved!r} is reserved for the Synapse workspace's own "
                                    "filesystem: rename the zone's filesystem in catalog/platform.yaml"])
        # Synapse serverless SQL reads the lake with the workspace identity: a resource instance rule
        # lets that one workspace through the firewall when public access is on (selected networks).
        # https://learn.microsoft.com/azure/storage/common/storage-network-security#grant-access-from-azure-resource-instances
        synapse_id = resource_id(ctx, f"Microsoft.Synapse/workspaces/{ctx.names.synapse}")
        self.account = secure_account(
            "lake-account", ctx, net, account_name=ctx.names.lake_account, hierarchical=True,
            sku=ctx.settings.storage_sku, parent=self, access_tier="Hot", endpoints=("dfs", "blob"),
            soft_delete_days=soft_delete_days(platform), trusted_resources=[synapse_id],
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
