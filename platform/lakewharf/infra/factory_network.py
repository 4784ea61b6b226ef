"""Data Factory's managed virtual network: its integration runtime and managed private endpoints.

The factory denies public network access, and its Azure integration runtime runs inside a managed
virtual network, reaching the lake, Synapse, Key Vault and Azure ML only through managed private
endpoints. The runtime is ``AutoResolveIntegrationRuntime`` itself, put in the managed network, so
the reviewed linked services (which name no ``connectVia``) run there unchanged — the same shape
Data Factory's own ARM export has for a managed-network factory.
https://learn.microsoft.com/azure/data-factory/managed-virtual-network-private-endpoint

pulumi-azure-native 3.x has no resource for ``factories/managedVirtualNetworks``, so the network
(one empty ``default`` object) is created by a one-resource ARM deployment. Managed private
endpoints are created *pending*: each target's owner approves them (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import datafactory, resources

from lakewharf.infra.common import Context, child

MANAGED_VNET = "default"  # the only name Data Factory accepts
RUNTIME = "AutoResolveIntegrationRuntime"


@dataclass(frozen=True)
class Target:
    """One managed private endpoint: a resource id and its private link sub-resource."""

    label: str
    resource_id: pulumi.Input[str]
    group_id: str


def managed_network(ctx: Context, factory: datafactory.Factory, targets: list[Target],
                    parent: pulumi.Resource) -> tuple[datafactory.IntegrationRuntime, list[pulumi.CustomResource]]:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.DataFactory/factories/managedVirtualNetworks", "apiVersion": "2018-06-01",
                       "name": f"{ctx.names.factory}/{MANAGED_VNET}", "properties": {}}],
    }
    vnet = resources.Deployment(
        "adf-managed-vnet", deployment_name=f"{ctx.names.factory}-managed-vnet"[:64],
        resource_group_name=ctx.resource_group_name, properties={"mode": "Incremental", "template": template},
        opts=child(parent, depends_on=[factory]),
    )
    runtime = datafactory.IntegrationRuntime(
        "adf-runtime-managed-vnet", integration_runtime_name=RUNTIME, factory_name=factory.name,
        resource_group_name=ctx.resource_group_name,
        properties=datafactory.ManagedIntegrationRuntimeArgs(
            type="Managed", description="Azure integration runtime in the factory's managed virtual network",
            managed_virtual_network=datafactory.ManagedVirtualNetworkReferenceArgs(
                reference_name=MANAGED_VNET, type="ManagedVirtualNetworkReference"),
            compute_properties=datafactory.IntegrationRuntimeComputePropertiesArgs(location="AutoResolve"),
        ),
        opts=child(parent, depends_on=[vnet]),
    )
    endpoints: list[pulumi.CustomResource] = [vnet]
    for t in targets:
        endpoints.append(datafactory.ManagedPrivateEndpoint(
            f"adf-mpe-{t.label}", managed_private_endpoint_name=f"mpe-{t.label}",
            managed_virtual_network_name=MANAGED_VNET,
            factory_name=factory.name, resource_group_name=ctx.resource_group_name,
            properties=datafactory.ManagedPrivateEndpointArgs(private_link_resource_id=t.resource_id,
                                                              group_id=t.group_id),
            opts=child(parent, depends_on=[vnet]),
        ))
    return runtime, endpoints
