"""The warehouse: a Synapse workspace on the lake, its firewall, Entra admin and dedicated SQL pool."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import synapse

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.lake import Lake
from lakewharf.infra.network import Network
from lakewharf.model import naming

# The rule the portal calls "Allow Azure services and resources to access this workspace"
# (start = end = 0.0.0.0). It admits traffic from every tenant's Azure services, so lakewharf adds
# it only when the stack asks (synapseAllowAzureServices: true): Data Factory reaches Synapse
# through its managed private endpoints instead.
# https://learn.microsoft.com/azure/synapse-analytics/security/synapse-workspace-ip-firewall
AZURE_SERVICES_RULE = "AllowAllWindowsAzureIps"
# Private link sub-resources: dedicated SQL, serverless SQL, and the development endpoint Studio uses.
# https://learn.microsoft.com/azure/synapse-analytics/security/how-to-connect-to-workspace-with-private-links
PRIVATE_ENDPOINTS = ("Sql", "SqlOnDemand", "Dev")


class Warehouse(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, lake: Lake, net: Network, opts: pulumi.ResourceOptions | None = None, *,
                 collation: str = "SQL_Latin1_General_CP1_CI_AS") -> None:
        super().__init__(f"{TYPE_PREFIX}:Warehouse", name, None, opts)
        s = ctx.settings
        public = s.public_access or s.synapse_allow_azure_services
        self.workspace_name = ctx.names.synapse
        self.pool_name = ctx.names.sql_pool
        self.workspace = synapse.Workspace(
            "synapse-workspace", workspace_name=self.workspace_name, resource_group_name=ctx.resource_group_name,
            location=ctx.location, tags=ctx.tags,
            identity={"type": "SystemAssigned"},
            default_data_lake_storage={
                "account_url": lake.dfs_endpoint,
                "filesystem": ctx.names.synapse_filesystem,
                "resource_id": lake.account.id,
                "create_managed_private_endpoint": True,
            },
            # Microsoft Entra-only authentication: no SQL admin login or password exists to leak.
            # https://learn.microsoft.com/azure/synapse-analytics/sql/active-directory-authentication
            azure_ad_only_authentication=True,
            # Managed VNet (fixed at creation) with data exfiltration protection: outbound only through
            # managed private endpoints, and only to this tenant.
            # https://learn.microsoft.com/azure/synapse-analytics/security/synapse-workspace-managed-vnet
            # https://learn.microsoft.com/azure/synapse-analytics/security/workspace-data-exfiltration-protection
            managed_virtual_network="default",
            managed_virtual_network_settings={"prevent_data_exfiltration": True,
                                              "allowed_aad_tenant_ids_for_linking": []},
            # Firewall rules only matter with public access on, which client ranges ask for.
            public_network_access="Enabled" if public else "Disabled",
            opts=child(self, depends_on=[lake.synapse_filesystem]),
        )
        self.principal_id: pulumi.Output[str] = self.workspace.identity.principal_id
        self.entra_admin = synapse.WorkspaceAadAdmin(
            "synapse-entra-admin", workspace_name=self.workspace.name, resource_group_name=ctx.resource_group_name,
            administrator_type="ActiveDirectory", login=s.admin_group_name, sid=s.admin_group_object_id,
            tenant_id=ctx.tenant_id, opts=child(self),
        )
        for group in PRIVATE_ENDPOINTS:
            net.private_endpoint(f"synapse-{group.lower()}", target_id=self.workspace.id, group_id=group,
                                 physical=self.workspace_name, parent=self)
        # Firewall rules come from the stack file only; nothing is open by default.
        self.firewall_rules: list[synapse.IpFirewallRule] = []
        for r in s.allowed_ip_ranges:
            self.firewall_rules.append(synapse.IpFirewallRule(
                f"synapse-fw-{r.name}", rule_name=r.name, start_ip_address=r.start, end_ip_address=r.end,
                workspace_name=self.workspace.name, resource_group_name=ctx.resource_group_name, opts=child(self),
            ))
        if s.synapse_allow_azure_services:
            self.firewall_rules.append(synapse.IpFirewallRule(
                "synapse-fw-azure-services", rule_name=AZURE_SERVICES_RULE, start_ip_address="0.0.0.0",
                end_ip_address="0.0.0.0", workspace_name=self.workspace.name,
                resource_group_name=ctx.resource_group_name, opts=child(self),
            ))
        # Service level from the stack (DW100c for dev, larger for prod):
        # https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/what-is-a-data-warehouse-unit-dwu-cdwu
        self.pool = synapse.SqlPool(
            "synapse-sql-pool", sql_pool_name=self.pool_name, workspace_name=self.workspace.name,
            resource_group_name=ctx.resource_group_name, location=ctx.location, sku={"name": s.sql_pool_sku},
            create_mode="Default", collation=collation, tags=ctx.tags,  # the catalog's warehouse.collation
            opts=child(self, depends_on=self.firewall_rules),
        )
        # Transparent data encryption of the dedicated pool (on by default for new pools; declared so
        # the plan shows it and the policy pack can check it).
        # https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-encryption-tde
        self.tde = synapse.SqlPoolTransparentDataEncryption(
            "synapse-sql-pool-tde", transparent_data_encryption_name="current", sql_pool_name=self.pool.name,
            workspace_name=self.workspace.name, resource_group_name=ctx.resource_group_name, status="Enabled",
            opts=child(self),
        )
        endpoints = self.workspace.connectivity_endpoints
        self.dedicated_endpoint: pulumi.Output[str] = endpoints.apply(lambda e: (e or {}).get("sql", ""))
        self.serverless_endpoint: pulumi.Output[str] = endpoints.apply(lambda e: (e or {}).get("sqlOnDemand", ""))
        self.register_outputs({"workspace": self.workspace.name, "pool": self.pool.name})


def post_deploy_sql(factory_name: str, pool_name: str, admin_group: str) -> str:
    """The database users Pulumi cannot create: ARM has no API for principals inside a SQL pool.

    Run as a member of the Entra admin group after ``pulumi up``; the factory's managed identity
    signs in to both SQL endpoints with these users.
    https://learn.microsoft.com/azure/synapse-analytics/sql/active-directory-authentication#create-microsoft-entra-users
    """
    u = factory_name
    db = naming.SERVERLESS_DATABASE
    return f"""\
-- Run after `pulumi up`, signed in as a member of {admin_group} (the workspace's Entra admin).
-- 1) Dedicated SQL pool: connect to the dedicated endpoint, database {pool_name}.
CREATE USER [{u}] FROM EXTERNAL PROVIDER;
EXEC sp_addrolemember 'db_datareader', '{u}';
EXEC sp_addrolemember 'db_datawriter', '{u}';
EXEC sp_addrolemember 'db_ddladmin', '{u}';       -- staging tables, CREATE TABLE AS SELECT
GRANT EXECUTE TO [{u}];                            -- the generated etl.load_* procedures
GRANT ADMINISTER DATABASE BULK OPERATIONS TO [{u}]; -- COPY INTO from the lake
-- 2) Serverless SQL pool: connect to the serverless endpoint.
-- In master:
CREATE LOGIN [{u}] FROM EXTERNAL PROVIDER;
-- In database {db} (created by the generated serverless setup script):
CREATE USER [{u}] FROM LOGIN [{u}];
ALTER ROLE db_ddladmin ADD MEMBER [{u}];           -- CETAS creates external tables
ALTER ROLE db_datareader ADD MEMBER [{u}];
GRANT ADMINISTER DATABASE BULK OPERATIONS TO [{u}];
"""
