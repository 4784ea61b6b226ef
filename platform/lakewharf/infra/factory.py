"""Data Factory: the factory, its global parameters, and the reviewed ``build/adf`` objects.

Each generated object is deployed with the ``properties`` object of its JSON file passed through
unchanged, as camelCase dicts exactly as Data Factory's own JSON has them. pulumi-azure-native
does not translate snake_case keys inside polymorphic properties (activities, dataset and
linked service type properties), and raw camelCase dicts are sent to the provider as they are,
so the deployed definition is byte-for-byte the reviewed one (the tests compare them).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_azure_native import datafactory

from lakewharf.artifacts.adf_tree import PIPELINE_ARGS, AdfObject, AdfTree, AdfTreeError
from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.factory_network import Target, managed_network
from lakewharf.infra.network import Network


class Factory(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, tree: AdfTree | None,
                 global_values: Mapping[str, pulumi.Input[str]], net: Network, targets: list[Target],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Factory", name, None, opts)
        self.factory_name = ctx.names.factory
        self.warnings: list[str] = []
        self.factory = datafactory.Factory(
            "data-factory", factory_name=self.factory_name, resource_group_name=ctx.resource_group_name,
            location=ctx.location, tags=ctx.tags, identity={"type": "SystemAssigned"},
            global_parameters=self._global_parameters(tree, global_values),
            # Reached over its private endpoints only; runs its activities in the managed network.
            public_network_access="Disabled", opts=child(self),
        )
        for group in ("dataFactory", "portal"):  # the factory's API, and Data Factory Studio
            net.private_endpoint(f"factory-{group.lower()}", target_id=self.factory.id, group_id=group,
                                 physical=self.factory_name, parent=self)
        self.runtime, self.managed_network = managed_network(ctx, self.factory, targets, self)
        self.principal_id: pulumi.Output[str] = self.factory.identity.principal_id
        self.objects: dict[tuple[str, str], pulumi.CustomResource] = {}
        self.sources: dict[str, str] = {}  # logical resource name → build/adf file it was deployed from
        self.self_hosted_runtimes: list[str] = []
        for obj in tree.objects if tree else ():
            self.objects[obj.key] = self._deploy(ctx, obj)
        self.url: pulumi.Output[str] = self.factory.id.apply(
            lambda i: "https://adf.azure.com/en/home?factory=" + urllib.parse.quote(i or "", safe=""))
        self.register_outputs({"factory": self.factory.name, "url": self.url})

    def _global_parameters(self, tree: AdfTree | None,
                           values: Mapping[str, pulumi.Input[str]]) -> dict[str, dict[str, Any]]:
        """The parameters the generator declares, filled with the deployed endpoints.
        https://learn.microsoft.com/azure/data-factory/author-global-parameters"""
        declared = tree.global_parameters if tree else {k: {"type": "String"} for k in values}
        out: dict[str, dict[str, Any]] = {}
        for pname, spec in declared.items():
            if pname in values:
                out[pname] = {"type": spec.get("type", "String"), "value": values[pname]}
            elif spec.get("value") not in (None, ""):
                out[pname] = {"type": spec.get("type", "String"), "value": spec["value"]}
                self.warnings.append(f"global parameter {pname!r} keeps its generated value: the program has no "
                                     "deployed endpoint for it")
            else:
                where = tree.factory_file if tree else "factory"
                raise AdfTreeError(f"{where}: global parameter {pname!r} is declared by the generator but the "
                                   "program cannot fill it (known: " + ", ".join(sorted(values)) + ")")
        return out

    def _deploy(self, ctx: Context, obj: AdfObject) -> pulumi.CustomResource:
        # References become depends_on: linked services → datasets → pipelines → triggers.
        deps = [self.runtime, *(self.objects[ref] for ref in obj.references if ref in self.objects)]
        common = {"factory_name": self.factory.name, "resource_group_name": ctx.resource_group_name}
        opts = child(self, depends_on=deps)
        logical = f"adf-{obj.kind}-{obj.name}"
        self.sources[logical] = obj.path
        if obj.kind == "integrationRuntime":
            # A self-hosted runtime (type SelfHosted): the generated JSON as ARM takes it; its nodes
            # register with the auth key the stack prints (docs/deploy.md).
            # https://learn.microsoft.com/azure/data-factory/create-self-hosted-integration-runtime
            self.self_hosted_runtimes.append(obj.name)
            return datafactory.IntegrationRuntime(logical, integration_runtime_name=obj.name, properties=obj.properties,
                                                  opts=opts, **common)
        if obj.kind == "linkedService":
            return datafactory.LinkedService(logical, linked_service_name=obj.name, properties=obj.properties,
                                             opts=opts, **common)
        if obj.kind == "dataset":
            return datafactory.Dataset(logical, dataset_name=obj.name, properties=obj.properties, opts=opts, **common)
        if obj.kind == "pipeline":
            # Pipeline takes its properties flattened into arguments (see adf_tree.PIPELINE_ARGS).
            args = {PIPELINE_ARGS[k]: v for k, v in obj.properties.items()}
            return datafactory.Pipeline(logical, pipeline_name=obj.name, opts=opts, **common, **args)
        # Triggers are created stopped (runtimeState is read-only in ARM); start them after
        # deployment: https://learn.microsoft.com/azure/data-factory/continuous-integration-delivery#updating-active-triggers
        return datafactory.Trigger(logical, trigger_name=obj.name, properties=obj.properties, opts=opts, **common)
