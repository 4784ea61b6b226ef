"""Role assignments: least privilege (MCSB PA-7)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lakewharf.infra.policy.rules import Problems, get, known, rule

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
# Built-in roles that manage resources or access itself: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
PRIVILEGED = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
_BROAD_SCOPE = re.compile(r"^/subscriptions/[^/]+(/resourceGroups/[^/]+)?/?$", re.IGNORECASE)


@rule("LW-IAM-1", "No Owner, Contributor or User Access Administrator grants", ASSIGNMENT, mcsb="PA-7",
      checkov="CKV_AZURE_39")
def no_privileged_role(p: Mapping[str, Any]) -> Problems:
    definition = get(p, "roleDefinitionId")
    if known(definition) and isinstance(definition, str):
        name = PRIVILEGED.get(definition.rstrip("/").rsplit("/", 1)[-1].lower())
        if name:
            yield "roleDefinitionId", f"grants {name}: use the narrowest data or service role instead"


@rule("LW-IAM-2", "No role at subscription or resource-group scope", ASSIGNMENT, mcsb="PA-7", checkov=None)
def no_broad_scope(p: Mapping[str, Any]) -> Problems:
    scope = get(p, "scope")
    if known(scope) and isinstance(scope, str) and _BROAD_SCOPE.match(scope):
        yield "scope", f"{scope} covers every resource below it: assign on the one resource that needs it"
