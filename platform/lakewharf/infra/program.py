"""The program: stack settings + catalog + ``build/adf`` → the components, wired together.

``infra/__main__.py`` calls ``main``; ``wharf plan`` and the tests call ``build_platform`` under
mocks. Order matters only where one area needs another's outputs: the lake before Synapse (its
default filesystem), Synapse and Azure ML before the factory (their endpoints become global
parameters), and every identity before the role assignments that name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi_azure_native import authorization, resources

from lakewharf.artifacts.adf_tree import AdfTree, AdfTreeError, load_adf_tree
from lakewharf.infra import access
from lakewharf.infra.alerts import FACTORY, ML_WORKSPACE, SQL_POOL, Alerts, webhook_urls
from lakewharf.infra.common import Context, assign_role, stack_tags
from lakewharf.infra.control import ControlFiles
from lakewharf.infra.factory import Factory
from lakewharf.infra.factory_network import Target
from lakewharf.infra.lake import Lake
from lakewharf.infra.ml import MachineLearning
from lakewharf.infra.monitoring import Monitoring
from lakewharf.infra.names import Names, default_suffix
from lakewharf.infra.network import Network
from lakewharf.infra.security import Security
from lakewharf.infra.settings import StackConfigError, StackSettings, load_settings, settings_from_pulumi_config
from lakewharf.infra.streams import Streams, capture_sources
from lakewharf.infra.warehouse import Warehouse, post_deploy_sql
from lakewharf.model.catalog import Catalog
from lakewharf.model.lake import CONTROL_FILESYSTEM


def stack_names(settings: StackSettings, catalog: Catalog) -> Names:
    prefix = settings.name_prefix or catalog.platform.name
    suffix = settings.name_suffix or default_suffix(prefix, settings.environment, settings.location)
    return Names(prefix, settings.environment, suffix)


@dataclass
class Platform:
    """Everything the program declared, and the stack outputs users need."""

    network: Network
    lake: Lake
    security: Security
    monitoring: Monitoring
    warehouse: Warehouse
    ml: MachineLearning
    factory: Factory
    control: ControlFiles
    alerts: Alerts
    grants: list[access.Grant]
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    streams: Streams | None = None  # event_hub sources: namespaces and hubs with Capture into landing


def _no_slash(url: str | None) -> str:
    return (url or "").rstrip("/")


def build_platform(settings: StackSettings, catalog: Catalog, adf: AdfTree | None) -> Platform:
    settings.check_catalog(catalog)
    webhooks = webhook_urls(settings)  # secrets from the engine's config, checked before any resource
    names = stack_names(settings, catalog)
    client = authorization.get_client_config_output()
    rg = resources.ResourceGroup("resource-group", resource_group_name=names.resource_group,
                                 location=settings.location, tags=stack_tags(settings, catalog.platform.name))
    ctx = Context(catalog.platform.name, names, settings, rg.name, client.subscription_id, client.tenant_id)
    net = Network("network", ctx)
    monitoring = Monitoring("monitoring", ctx, net)
    lake = Lake("lake", ctx, catalog.platform, net)
    streams = Streams("streams", ctx, catalog, lake) if capture_sources(catalog) else None
    security = Security("security", ctx, access.secret_names(catalog), net)
    warehouse = Warehouse("warehouse", ctx, lake, net, collation=catalog.platform.warehouse_collation)
    ml = MachineLearning("ml", ctx, catalog, net, app_insights_id=monitoring.app_insights.id,
                         lake_account_name=lake.account.name, lake_account_id=lake.account.id)
    # What the factory's managed network reaches, one managed private endpoint each.
    targets = [Target("lake-dfs", lake.account.id, "dfs"), Target("lake-blob", lake.account.id, "blob"),
               Target("synapse-sql", warehouse.workspace.id, "Sql"),
               Target("synapse-sqlondemand", warehouse.workspace.id, "SqlOnDemand"),
               Target("key-vault", security.vault.id, "vault"),
               Target("ml-workspace", ml.workspace.id, "amlworkspace")]
    # Global parameter values as the generator documents them (generate/adf): endpoints without a
    # trailing slash, SQL endpoints as host names.
    factory = Factory("factory", ctx, adf, {
        "lake_dfs_endpoint": lake.dfs_endpoint.apply(_no_slash),
        "synapse_dedicated_endpoint": warehouse.dedicated_endpoint,
        "synapse_serverless_endpoint": warehouse.serverless_endpoint,
        "synapse_dedicated_database": warehouse.pool.name,
        "key_vault_url": security.vault_url.apply(_no_slash),
        "ml_subscription_id": ctx.subscription_id,
        "ml_resource_group": rg.name,
        "ml_workspace": ml.workspace.name,
        "ml_region": settings.location,
        "ml_endpoint_suffix": names.endpoint_suffix,
        "factory_subscription_id": ctx.subscription_id,
        "factory_resource_group": rg.name,
    }, net, targets)

    principals: dict[str, pulumi.Input[str]] = {
        access.DEPLOYER: client.object_id,
        access.FACTORY: factory.principal_id, access.SYNAPSE: warehouse.principal_id, access.ML: ml.principal_id,
        access.ADMINS: settings.admin_group_object_id,
        **{f"group:{role}": oid for role, oid in settings.role_object_ids.items()},
    }
    grants = access.grants(catalog)
    deployer_grants: list[pulumi.Resource] = []
    for grant in grants:
        if grant.scope == access.VAULT:
            scope, owner = security.vault.id, security
        elif grant.scope == access.ML_WORKSPACE:
            scope, owner = ml.workspace.id, ml
        elif grant.scope.startswith(f"{access.ML_ENDPOINT}:"):
            scope, owner = ml.endpoints[grant.scope.split(":", 1)[1]].id, ml
        elif grant.scope.startswith(f"{access.ML_TRAINING_ENDPOINT}:"):
            scope, owner = ml.training_endpoints[grant.scope.split(":", 1)[1]].id, ml
        else:
            scope, owner = lake.filesystem_id(grant.scope), lake
        assignment = assign_role(ctx, grant, principal_id=principals[grant.principal], scope=scope, parent=owner)
        if grant.principal == access.DEPLOYER:
            deployer_grants.append(assignment)
    control = ControlFiles("control-files", list(adf.control_files) if adf else [], endpoint=lake.dfs_endpoint,
                           filesystem=CONTROL_FILESYSTEM,
                           depends_on=[lake.control_filesystem, *deployer_grants])

    monitoring.send_diagnostics("lake-blob", lake.account.id.apply(lambda i: f"{i}/blobServices/default"),
                                metric_category="Transaction")
    monitoring.send_diagnostics("key-vault", security.vault.id)
    monitoring.send_diagnostics("synapse-workspace", warehouse.workspace.id)
    monitoring.send_diagnostics("synapse-sql-pool", warehouse.pool.id)
    monitoring.send_diagnostics("data-factory", factory.factory.id, dedicated_tables=True)
    alerts = Alerts("alerts", ctx, {FACTORY: factory.factory.id, SQL_POOL: warehouse.pool.id,
                                    ML_WORKSPACE: ml.workspace.id}, webhooks)

    platform = Platform(net, lake, security, monitoring, warehouse, ml, factory, control, alerts, grants,
                        warnings=list(factory.warnings), streams=streams)
    platform.outputs = {
        "resource_group": rg.name,
        "location": settings.location,
        "lake_account": lake.account.name,
        "lake_dfs_endpoint": lake.dfs_endpoint,
        "lake_filesystems": {z.name: z.filesystem for z in catalog.platform.zones.values()},
        "key_vault": security.vault_name,
        "key_vault_url": security.vault_url,
        "key_vault_secrets_to_set": security.secret_names,
        "key_vault_secret_commands": security.secret_commands,
        "synapse_workspace": warehouse.workspace.name,
        "synapse_dedicated_endpoint": warehouse.dedicated_endpoint,
        "synapse_serverless_endpoint": warehouse.serverless_endpoint,
        "synapse_sql_pool": warehouse.pool.name,
        "synapse_principal_id": warehouse.principal_id,
        "synapse_studio_url": warehouse.workspace.id.apply(lambda i: f"https://web.azuresynapse.net?workspace={i}"),
        "factory_name": factory.factory.name,
        "factory_url": factory.url,
        "factory_principal_id": factory.principal_id,
        "control_files": len(control.files),
        "ml_workspace": ml.workspace.name,
        "ml_studio_url": ml.studio_url,
        "ml_batch_endpoints": {m: e.name for m, e in ml.endpoints.items()},
        "ml_training_endpoints": {m: e.name for m, e in ml.training_endpoints.items()},
        "ml_deployment_commands": ml.deployment_commands,
        "ml_compute_clusters": sorted(ml.computes),
        "ml_data_identity_principal_id": ml.principal_id,
        "log_analytics_workspace": monitoring.workspace.name,
        "app_insights": monitoring.app_insights.name,
        "alert_action_group": alerts.action_group.name if alerts.action_group else None,
        "alert_rules": {what: rule.name for what, rule in alerts.rules.items()},
        "post_deploy_sql": post_deploy_sql(factory.factory_name, warehouse.pool_name, settings.admin_group_name),
    }
    if streams is not None:  # where producers send: one namespace per event_hub source
        platform.outputs["event_hub_namespaces"] = {n: ns.name for n, ns in streams.namespaces.items()}
    if factory.self_hosted_runtimes:  # sources with runtime: self_hosted — the step to register its nodes
        platform.outputs["self_hosted_runtime_registration"] = rg.name.apply(lambda group: [
            f"az datafactory integration-runtime list-auth-key --factory-name {factory.factory_name} "
            f"--resource-group {group} --integration-runtime-name {name}  # paste a key into the runtime installer"
            for name in factory.self_hosted_runtimes])
    return platform


def load_inputs(root: Path, adf_dir: Path | None = None) -> tuple[StackSettings, Catalog, AdfTree]:
    """Settings from stack config, the checked catalog, and the reviewed ``build/adf`` tree."""
    from lakewharf.project import load_catalog

    # The stack file, read located (Pulumi.<stack>.yaml:LINE in errors); pulumi.Config only for a stack
    # that keeps its settings elsewhere.
    stack = pulumi.get_stack()
    has_file = (root / f"Pulumi.{stack}.yaml").is_file()
    settings = load_settings(root, stack) if has_file else settings_from_pulumi_config()
    catalog = load_catalog(root)
    return settings, catalog, load_adf_tree(adf_dir or root / "build" / "adf", label_root=root)


def main(root: Path) -> Platform:
    """Entry point of ``infra/__main__.py``: declare everything and export the stack outputs."""
    from lakewharf.errors import CatalogInvalid

    try:
        settings, catalog, adf = load_inputs(root)
        platform = build_platform(settings, catalog, adf)
    except CatalogInvalid as exc:
        lines = [f"{e.file}:{e.line}:{e.column}: {e.json_path}: {e.message}" for e in exc.errors]
        raise pulumi.RunError("the catalog is invalid (see `wharf validate`):\n" + "\n".join(lines)) from None
    except (StackConfigError, AdfTreeError) as exc:
        raise pulumi.RunError(str(exc)) from None
    for warning in platform.warnings:
        pulumi.log.warn(warning)
    for key, value in platform.outputs.items():
        pulumi.export(key, value)
    return platform
