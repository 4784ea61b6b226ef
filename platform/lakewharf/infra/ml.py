"""Azure Machine Learning: the workspace and what the catalog's models need to train and score.

The workspace gets its own storage account (flat namespace: Azure ML does not support a
hierarchical-namespace account as workspace storage), Key Vault and container registry, and
shares the platform's Application Insights.
https://learn.microsoft.com/azure/machine-learning/concept-workspace#associated-resources

Data access identity: jobs reach the lake through identity-based (credential-less) datastores,
one per zone, and a credential-less datastore is mounted with the *compute cluster's* managed
identity (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-batch-with-rest, and
how-to-authenticate-batch-endpoint). So the catalog's ``ml`` role is one user-assigned identity
attached to every cluster; the workspace's own system identity keeps only the access Azure ML
grants it on its associated resources, and gets nothing in the lake.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import containerregistry, machinelearningservices, managedidentity

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.lake import DEFAULT_SOFT_DELETE_DAYS, secure_account
from lakewharf.infra.network import Network, public_access
from lakewharf.infra.security import secure_vault
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog
from lakewharf.model.catalog import Compute as ComputeSpec

ml = machinelearningservices


class MachineLearning(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, catalog: Catalog, net: Network, *, app_insights_id: pulumi.Input[str],
                 lake_account_name: pulumi.Input[str], lake_account_id: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:MachineLearning", name, None, opts)
        self.workspace_name = ctx.names.ml_workspace
        # Azure ML reads its system datastores with identities (system_datastores_auth_mode below), so
        # the workspace account refuses shared keys like the lake does.
        self.storage = secure_account("ml-storage", ctx, net, account_name=ctx.names.ml_storage, hierarchical=False,
                                      sku="Standard_LRS", parent=self, endpoints=("blob", "file"),
                                      soft_delete_days=DEFAULT_SOFT_DELETE_DAYS)
        self.vault = secure_vault("ml-key-vault", ctx, net, vault_name=ctx.names.ml_key_vault, parent=self)
        # Premium: the tier with private endpoints and network rules.
        # https://learn.microsoft.com/azure/container-registry/container-registry-private-link
        self.registry = containerregistry.Registry(
            "ml-container-registry", registry_name=ctx.names.container_registry,
            resource_group_name=ctx.resource_group_name, location=ctx.location, sku={"name": "Premium"},
            # Pulls with Entra tokens only: https://learn.microsoft.com/azure/container-registry/container-registry-authentication
            admin_user_enabled=False, anonymous_pull_enabled=False,
            public_network_access=public_access(ctx), network_rule_bypass_options="AzureServices",
            network_rule_set={"default_action": "Deny", "ip_rules": [
                {"action": "Allow", "i_p_address_or_range": r.cidr} for r in ctx.settings.allowed_ip_ranges]},
            tags=ctx.tags, opts=child(self),
        )
        net.private_endpoint("ml-registry", target_id=self.registry.id, group_id="registry",
                             physical=ctx.names.container_registry, parent=self)
        self.identity = managedidentity.UserAssignedIdentity(
            "ml-data-identity", resource_name_=ctx.names.ml_identity, resource_group_name=ctx.resource_group_name,
            location=ctx.location, tags=ctx.tags, opts=child(self),
        )
        self.principal_id: pulumi.Output[str] = self.identity.principal_id
        self.workspace = ml.Workspace(
            "ml-workspace", workspace_name=self.workspace_name, resource_group_name=ctx.resource_group_name,
            location=ctx.location, tags=ctx.tags, friendly_name=f"{catalog.platform.name} ({ctx.settings.environment})",
            description=catalog.platform.description[:256], identity={"type": "SystemAssigned"},
            sku={"name": "Basic", "tier": "Basic"}, storage_account=self.storage.id, key_vault=self.vault.id,
            application_insights=app_insights_id, container_registry=self.registry.id,
            # No public endpoint (the workspace API has no IP allow-list here): studio and CLI reach it
            # through its private endpoint. High business impact: less diagnostic data leaves the workspace.
            # https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link
            public_network_access="Disabled", hbi_workspace=True,
            system_datastores_auth_mode="Identity",
            # Managed network: compute has no public IPs and reaches only approved destinations, here
            # the lake over private endpoints. https://learn.microsoft.com/azure/machine-learning/how-to-managed-network
            managed_network={"isolation_mode": "AllowOnlyApprovedOutbound", "outbound_rules": {
                f"lake-{sub}": {"type": "PrivateEndpoint", "category": "UserDefined",
                                "destination": {"service_resource_id": lake_account_id, "subresource_target": sub}}
                for sub in ("dfs", "blob")}},
            # The registry is private: images are built on the platform's own cluster, not ACR tasks.
            image_build_compute=next(iter(sorted(catalog.platform.compute)), None),
            opts=child(self),
        )
        net.private_endpoint("ml-workspace", target_id=self.workspace.id, group_id="amlworkspace",
                             physical=self.workspace_name, parent=self)
        self.computes = {c.name: self._compute(ctx, c) for c in catalog.platform.compute.values()}
        self.endpoints = {m: self._batch_endpoint(ctx, catalog, m) for m in catalog.models}
        self.training_endpoints = {m: self._batch_endpoint(ctx, catalog, m, training=True) for m in catalog.models}
        self.deployment_commands = deployment_commands(ctx, catalog, self.workspace_name)
        self.datastores = {z.name: self._datastore(ctx, z.name, z.filesystem, z.description, lake_account_name)
                           for z in catalog.platform.zones.values()}
        self.studio_url: pulumi.Output[str] = pulumi.Output.all(self.workspace.id, ctx.tenant_id).apply(
            lambda a: f"https://ml.azure.com/?wsid={a[0]}&tid={a[1]}")
        self.register_outputs({"workspace": self.workspace.name, "studio_url": self.studio_url})

    def _compute(self, ctx: Context, compute: ComputeSpec) -> ml.Compute:
        """A cluster that scales to zero when idle: no nodes, no cost between runs.
        https://learn.microsoft.com/azure/machine-learning/how-to-create-attach-compute-cluster"""
        return ml.Compute(
            f"ml-compute-{compute.name}", compute_name=compute.name, workspace_name=self.workspace.name,
            resource_group_name=ctx.resource_group_name, location=ctx.location, tags=ctx.tags,
            identity={"type": "UserAssigned", "user_assigned_identities": [self.identity.id]},
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                disable_local_auth=True,  # Entra ID and managed identities only
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=compute.size, vm_priority="Dedicated", os_type="Linux",
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=compute.min_nodes, max_node_count=compute.max_nodes,
                        node_idle_time_before_scale_down=f"PT{compute.idle_seconds_before_scaledown}S",
                    ),
                    remote_login_port_public_access="Disabled",  # no SSH into nodes
                    # No public IPs: the nodes live in the workspace's managed network.
                    enable_node_public_ip=False,
                ),
            ),
            opts=child(self),
        )

    def _batch_endpoint(self, ctx: Context, catalog: Catalog, model: str, *,
                        training: bool = False) -> ml.BatchEndpoint:
        """The endpoint only; its deployment is the generator's ``build/aml`` YAML, applied with the
        Azure ML CLI. Scoring: ``batch_endpoint_name(platform, model)``. Training runs as a
        pipeline-component deployment on ``training_endpoint_name(platform, model)``, the endpoint
        the generated Data Factory train step invokes (generate/adf/workers_work.py):
        https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-training-pipeline
        Both carry the stack's endpoint suffix: endpoint names are unique per region across all of Azure."""
        if training:
            catalog_name = naming.training_endpoint_name(catalog.platform.name, model)
        else:
            catalog_name = naming.batch_endpoint_name(catalog.platform.name, model)
        what = "Training" if training else "Batch scoring"
        return ml.BatchEndpoint(
            f"ml-endpoint-{'train-' if training else ''}{model}",
            endpoint_name=naming.deployed_endpoint_name(catalog_name, ctx.names.endpoint_suffix),
            workspace_name=self.workspace.name, resource_group_name=ctx.resource_group_name, location=ctx.location,
            tags=ctx.tags,
            properties={"auth_mode": "AADToken",
                        "description": f"{what} of model {model} ({catalog.models[model].task})"},
            opts=child(self),
        )

    def _datastore(self, ctx: Context, zone: str, filesystem: str, description: str,
                   lake_account_name: pulumi.Input[str]) -> ml.Datastore:
        """``azureml://datastores/<zone>/paths/...`` for jobs; no stored credential (identity-based).
        https://learn.microsoft.com/azure/machine-learning/how-to-datastore"""
        return ml.Datastore(
            f"ml-datastore-{zone}", name=zone, workspace_name=self.workspace.name,
            resource_group_name=ctx.resource_group_name,
            properties=ml.AzureDataLakeGen2DatastoreArgs(
                datastore_type="AzureDataLakeGen2", account_name=lake_account_name, filesystem=filesystem,
                endpoint="core.windows.net", protocol="https",
                credentials=ml.NoneDatastoreCredentialsArgs(credentials_type="None"),
                # Studio previews use the signed-in user's own access, not a shared identity.
                service_data_access_auth_identity="None",
                description=f"lakewharf zone {zone}: {description}"[:512],
            ),
            opts=child(self),
        )


def deployment_commands(ctx: Context, catalog: Catalog, workspace: str) -> list[str]:
    """Azure ML CLI commands that put ``build/aml`` on this stack's endpoints, in the order that works.

    The generated YAML names each endpoint as the catalog does; ``--endpoint-name`` gives the
    stack's suffixed name. The environment comes first, then the training deployments (training
    registers ``<model>``), and the scoring deployments once that model version exists:
    https://learn.microsoft.com/cli/azure/ml/batch-deployment
    """
    where = f"--resource-group {ctx.names.resource_group} --workspace-name {workspace}"
    commands = [f"az ml environment create --file build/aml/environment.yml {where}"]
    for training in (True, False):
        for model in sorted(catalog.models):
            if training:
                endpoint = naming.training_endpoint_name(catalog.platform.name, model)
                file = f"build/aml/deployment_train_{model}.yml"
            else:
                endpoint = naming.batch_endpoint_name(catalog.platform.name, model)
                file = f"build/aml/deployment_{model}.yml"
            commands.append(f"az ml batch-deployment create --file {file} "
                            f"--endpoint-name {naming.deployed_endpoint_name(endpoint, ctx.names.endpoint_suffix)} "
                            f"{where} --set-default")
    return commands
