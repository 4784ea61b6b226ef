"""Key Vault: the source connection secrets, referenced by name and never given a value here."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import keyvault

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.network import Network, public_access


def secure_vault(name: str, ctx: Context, net: Network, *, vault_name: str, parent: pulumi.Resource) -> keyvault.Vault:
    """A vault with the baseline lakewharf requires of every vault (also the Azure ML one)."""
    vault = keyvault.Vault(
        name, vault_name=vault_name, resource_group_name=ctx.resource_group_name, location=ctx.location,
        tags=ctx.tags,
        properties={
            "tenant_id": ctx.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            # Azure RBAC instead of access policies: the same role assignments as everything else.
            # https://learn.microsoft.com/azure/key-vault/general/rbac-guide
            "enable_rbac_authorization": True,
            # Deleted secrets stay recoverable for the retention period, and purge protection
            # stops anyone (even an owner) from purging them early. Purge protection cannot be
            # switched off once on. https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
            "enable_soft_delete": True,
            "soft_delete_retention_in_days": ctx.settings.key_vault_retention_days,
            "enable_purge_protection": True,
            # Private endpoint only, unless the stack lists client ranges; trusted services (Data
            # Factory's Key Vault linked service, Azure ML) get through the default deny.
            # https://learn.microsoft.com/azure/key-vault/general/network-security
            "public_network_access": public_access(ctx),
            "network_acls": {"bypass": "AzureServices", "default_action": "Deny",
                             "ip_rules": [{"value": r.cidr} for r in ctx.settings.allowed_ip_ranges]},
        },
        opts=child(parent),
    )
    net.private_endpoint(name, target_id=vault.id, group_id="vault", physical=vault_name, parent=parent)
    return vault


class Security(pulumi.ComponentResource):
    """The platform Key Vault, and the list of secret names users must set in it."""

    def __init__(self, name: str, ctx: Context, secret_names: list[str], net: Network,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Security", name, None, opts)
        self.vault = secure_vault("key-vault", ctx, net, vault_name=ctx.names.key_vault, parent=self)
        self.vault_name = ctx.names.key_vault
        self.vault_url: pulumi.Output[str] = self.vault.properties.vault_uri
        self.secret_names = list(secret_names)
        # Values are typed by a person, read from a file so they stay out of shell history.
        self.secret_commands = [
            f"az keyvault secret set --vault-name {self.vault_name} --name {s} --file <file holding the value>"
            for s in self.secret_names
        ]
        self.register_outputs({"vault": self.vault.name, "secret_names": self.secret_names})
