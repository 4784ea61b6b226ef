"""The platform network: one virtual network whose subnet holds a private endpoint per service,
and the private DNS zones that make the services' public names resolve to those endpoints.

Every service below denies public network access unless the stack lists client IP ranges
(``allowedIpRanges``), so this network is how people, CI runners and peered networks reach the
platform. Zone names are Microsoft's per sub-resource (group id):
https://learn.microsoft.com/azure/private-link/private-endpoint-dns
A private endpoint's connection to a resource in the same subscription, requested by someone who
may manage that resource, is approved automatically:
https://learn.microsoft.com/azure/private-link/private-endpoint-overview#access-to-a-private-link-resource-using-approval-workflow
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import network, privatedns

from lakewharf.infra.common import TYPE_PREFIX, Context, child

# Private link sub-resource (group id) → the private DNS zones its records go in.
DNS_ZONES: dict[str, tuple[str, ...]] = {
    "blob": ("privatelink.blob.core.windows.net",),
    "dfs": ("privatelink.dfs.core.windows.net",),
    "file": ("privatelink.file.core.windows.net",),
    "vault": ("privatelink.vaultcore.azure.net",),
    "Sql": ("privatelink.sql.azuresynapse.net",),
    "SqlOnDemand": ("privatelink.sql.azuresynapse.net",),
    "Dev": ("privatelink.dev.azuresynapse.net",),
    "dataFactory": ("privatelink.datafactory.azure.net",),
    "portal": ("privatelink.adf.azure.com",),
    "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
    "registry": ("privatelink.azurecr.io",),
    # Azure Monitor Private Link Scope: https://learn.microsoft.com/azure/azure-monitor/logs/private-link-configure
    "azuremonitor": ("privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com",
                     "privatelink.ods.opinsights.azure.com", "privatelink.agentsvc.azure-automation.net",
                     "privatelink.blob.core.windows.net"),
}
PRIVATE_ENDPOINT_SUBNET = "snet-private-endpoints"


class Network(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Network", name, None, opts)
        self._ctx = ctx
        space = ctx.settings.vnet_address_space
        self.vnet = network.VirtualNetwork(
            "vnet", virtual_network_name=ctx.names.virtual_network, resource_group_name=ctx.resource_group_name,
            location=ctx.location, address_space={"address_prefixes": [space]}, tags=ctx.tags, opts=child(self),
        )
        self.subnet = network.Subnet(
            "vnet-subnet-private-endpoints", subnet_name=PRIVATE_ENDPOINT_SUBNET, virtual_network_name=self.vnet.name,
            resource_group_name=ctx.resource_group_name, address_prefix=space,
            # Nothing in this subnet talks to the internet: it holds private endpoints only.
            default_outbound_access=False, private_endpoint_network_policies="Enabled", opts=child(self),
        )
        self.zones: dict[str, privatedns.PrivateZone] = {}
        for zone in sorted({z for zones in DNS_ZONES.values() for z in zones}):
            self.zones[zone] = self._zone(zone)
        self.endpoints: dict[str, network.PrivateEndpoint] = {}
        self.register_outputs({"vnet": self.vnet.name})

    def _zone(self, zone: str) -> privatedns.PrivateZone:
        ctx = self._ctx
        slug = zone.removeprefix("privatelink.").replace(".", "-")
        resource = privatedns.PrivateZone(
            f"dns-{slug}", private_zone_name=zone, resource_group_name=ctx.resource_group_name, location="global",
            tags=ctx.tags, opts=child(self),
        )
        privatedns.VirtualNetworkLink(
            f"dns-{slug}-link", virtual_network_link_name=f"link-{ctx.names.virtual_network}",
            private_zone_name=resource.name, resource_group_name=ctx.resource_group_name, location="global",
            virtual_network={"id": self.vnet.id}, registration_enabled=False, tags=ctx.tags, opts=child(self),
        )
        return resource

    def private_endpoint(self, label: str, *, target_id: pulumi.Input[str], group_id: str, physical: str,
                         parent: pulumi.Resource) -> network.PrivateEndpoint:
        """A private endpoint to one sub-resource of ``target_id``, with its DNS records in our zones."""
        ctx = self._ctx
        name = f"pe-{physical}-{group_id.lower()}"[:64]
        endpoint = network.PrivateEndpoint(
            f"pe-{label}", private_endpoint_name=name, resource_group_name=ctx.resource_group_name,
            location=ctx.location, subnet={"id": self.subnet.id}, tags=ctx.tags,
            private_link_service_connections=[{"name": name, "private_link_service_id": target_id,
                                               "group_ids": [group_id]}],
            opts=child(parent),
        )
        configs: list[dict[str, Any]] = [{"name": z.removeprefix("privatelink.").replace(".", "-"),
                                          "private_dns_zone_id": self.zones[z].id} for z in DNS_ZONES[group_id]]
        network.PrivateDnsZoneGroup(
            f"pe-{label}-dns", private_dns_zone_group_name="default", private_endpoint_name=endpoint.name,
            resource_group_name=ctx.resource_group_name, private_dns_zone_configs=configs, opts=child(parent),
        )
        self.endpoints[label] = endpoint
        return endpoint


def public_access(ctx: Context) -> str:
    """``Enabled`` only when the stack lists client ranges (the firewalls then admit those alone)."""
    return "Enabled" if ctx.settings.public_access else "Disabled"


def storage_network_rules(ctx: Context, *, resource_ids: list[pulumi.Input[str]] | None = None) -> dict[str, Any]:
    """Default deny; trusted Azure services and the named resource instances through; client ranges if any.
    https://learn.microsoft.com/azure/storage/common/storage-network-security"""
    return {
        "default_action": "Deny",
        "bypass": "AzureServices",
        "ip_rules": [{"i_p_address_or_range": a, "action": "Allow"}
                     for r in ctx.settings.allowed_ip_ranges for a in r.addresses],
        "resource_access_rules": [{"tenant_id": ctx.tenant_id, "resource_id": i} for i in resource_ids or []],
    }


def resource_id(ctx: Context, provider_path: str) -> pulumi.Output[str]:
    """The ARM id a resource will have (names are derived, so it is known before the resource exists)."""
    return pulumi.Output.all(ctx.subscription_id, ctx.names.resource_group).apply(
        lambda a: f"/subscriptions/{a[0]}/resourceGroups/{a[1]}/providers/{provider_path}")
