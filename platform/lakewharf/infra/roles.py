"""The built-in Azure roles lakewharf assigns, and nothing broader.

Role definition ids are the same GUIDs in every subscription; an assignment names one as
``/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}``.
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
No Owner, Contributor or User Access Administrator: the security-baseline tests check that every
assignment uses a role from this table.
"""

from __future__ import annotations

BLOB_READER = "Storage Blob Data Reader"
BLOB_CONTRIBUTOR = "Storage Blob Data Contributor"
SECRETS_USER = "Key Vault Secrets User"
SECRETS_OFFICER = "Key Vault Secrets Officer"
ML_DATA_SCIENTIST = "AzureML Data Scientist"

ROLE_DEFINITIONS: dict[str, str] = {
    # https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage
    BLOB_READER: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",  # read and list blobs
    BLOB_CONTRIBUTOR: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # read, write, delete blobs
    # https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security
    SECRETS_USER: "4633458b-17de-408a-b874-0445c86b69e6",  # read secret contents
    SECRETS_OFFICER: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",  # set secrets (not keys, not access)
    # https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning
    ML_DATA_SCIENTIST: "f6c7c914-8db3-469d-8ca1-694a8f32e121",  # run jobs, invoke endpoints; not manage the workspace
}


def role_definition_id(subscription_id: str, role: str) -> str:
    guid = ROLE_DEFINITIONS[role]
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def role_name(definition_id: str) -> str | None:
    """The table's name for a role definition id (any scope prefix), or None for a foreign role."""
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return next((name for name, g in ROLE_DEFINITIONS.items() if g == guid), None)
