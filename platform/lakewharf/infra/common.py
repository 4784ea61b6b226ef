"""What every component shares: the deployment context, tags, and role assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from lakewharf.infra import roles
from lakewharf.infra.access import Grant, path_condition
from lakewharf.infra.names import Names
from lakewharf.infra.settings import StackSettings

TYPE_PREFIX = "lakewharf:infra"  # component type tokens: lakewharf:infra:Lake, …
_ROLE_SLUG = {
    roles.BLOB_READER: "blob-reader",
    roles.BLOB_CONTRIBUTOR: "blob-contributor",
    roles.SECRETS_USER: "secrets-user",
    roles.SECRETS_OFFICER: "secrets-officer",
    roles.ML_DATA_SCIENTIST: "ml-data-scientist",
}


@dataclass(frozen=True)
class Context:
    """Facts every component needs; built once by the program."""

    platform: str  # catalog platform name
    names: Names
    settings: StackSettings
    resource_group_name: pulumi.Output[str]
    subscription_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]

    @property
    def location(self) -> str:
        return self.settings.location

    @property
    def tags(self) -> dict[str, str]:
        return stack_tags(self.settings, self.platform)


def stack_tags(settings: StackSettings, platform: str) -> dict[str, str]:
    """Tags on every taggable resource (cost reports group by these)."""
    extra = {k: v for k, v in settings.tags.items() if k not in ("owner", "costCenter")}
    return {
        "environment": settings.environment,
        "owner": settings.tags["owner"],
        "cost-center": settings.tags["costCenter"],
        "platform": platform,
        "managed-by": "pulumi-lakewharf",
        **extra,
    }


def child(parent: pulumi.Resource, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, depends_on=depends_on or [])


def _principal_type(ctx: Context, grant: Grant) -> str:
    if grant.is_service:
        return "ServicePrincipal"
    if grant.principal.startswith("user:"):  # the deployer: a person or a CI service principal
        return ctx.settings.deployer_principal_type
    return "Group"


def assign_role(ctx: Context, grant: Grant, *, principal_id: pulumi.Input[str], scope: pulumi.Input[str],
                parent: pulumi.Resource) -> authorization.RoleAssignment:
    """One role assignment. Its name is a GUID derived from stack, scope, principal and role, so a
    re-run updates the same assignment instead of adding another."""
    principal = grant.principal.split(":", 1)[1]
    scope_slug = (grant.scope if grant.scope.startswith("ml_") else grant.scope.split(":", 1)[-1])
    scope_slug = scope_slug.replace(":", "-").replace("_", "-")
    limited = {"condition": path_condition(grant.paths), "condition_version": "2.0"} if grant.paths else {}
    guid = uuid.uuid5(uuid.NAMESPACE_URL,
                      f"lakewharf:{ctx.names.resource_group}:{grant.scope}:{grant.principal}:{grant.role}")
    return authorization.RoleAssignment(
        f"ra-{scope_slug}-{principal}-{_ROLE_SLUG[grant.role]}",
        role_assignment_name=str(guid),
        scope=scope,
        role_definition_id=ctx.subscription_id.apply(lambda sub: roles.role_definition_id(sub, grant.role)),
        principal_id=principal_id,
        # Declaring the type lets ARM accept a managed identity created moments ago (no replication
        # delay error): https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal
        principal_type=_principal_type(ctx, grant),
        description="; ".join(grant.reasons)[:1000],
        opts=child(parent),
        **limited,
    )
