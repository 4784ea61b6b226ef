"""Who gets which role where: derived from the catalog, in plain Python (no pulumi here).

Two sources, merged into one least-privilege set:

1. **The catalog's zones** — ``readers`` get Storage Blob Data Reader and ``writers`` Storage
   Blob Data Contributor on the zone's filesystem (container), for people (Entra groups) and for
   the service roles ``factory``, ``synapse`` and ``ml`` (their managed identities).
2. **What each engine does with the catalog** — the managed identities also need access that
   the zone lists do not spell out, e.g. Synapse serverless reads the landing zone when it runs a
   preparation. These grants are derived from the datasets, models and tables, each with its
   reason, so ``wharf plan`` can say *why* an identity may touch a container.

Every data grant is scoped to one container, never to the storage account: a new zone (or the
Synapse workspace's own filesystem) is not readable by anyone who was not given it explicitly.
Narrower still where an identity writes only part of a container: Azure ML writes nothing but
its scores, so its Contributor grant carries a role assignment *condition* limiting it to the
``scores/<model>/`` folders (Azure ABAC, which works on hierarchical-namespace accounts). Why a
condition and not POSIX ACLs: setting ACLs is a data-plane call that needs a superuser (Storage
Blob Data Owner) reaching the lake, which is closed to the internet; a condition is part of the
role assignment, so ARM applies it and ``wharf plan`` shows it.
https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-examples
A Reader grant is dropped where the same principal holds unconditional Contributor on the same scope.
No identity gets a role at subscription or resource-group scope, nor Owner, Contributor or User
Access Administrator (tests/infra/test_security_baseline.py checks the plan).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lakewharf.infra import roles
from lakewharf.model import lake
from lakewharf.model.catalog import Catalog

ADMINS = "group:admins"
FACTORY = "identity:factory"
SYNAPSE = "identity:synapse"
ML = "identity:ml"
DEPLOYER = "user:deployer"  # whoever runs `pulumi up` (a user or a service principal): writes the control files
VAULT = "vault"
ML_WORKSPACE = "ml_workspace"
ML_ENDPOINT = "ml_endpoint"  # "ml_endpoint:<model>": the model's scoring batch endpoint
ML_TRAINING_ENDPOINT = "ml_training_endpoint"  # "ml_training_endpoint:<model>"
SYNAPSE_FILESYSTEM = "filesystem:synapse"
CONTROL_FILESYSTEM = "filesystem:control"


def zone_scope(zone: str) -> str:
    return f"zone:{zone}"


def role_principal(catalog: Catalog, role: str) -> str:
    """A catalog role as a principal key: its Entra group, or the managed identity it names."""
    return f"identity:{role}" if catalog.platform.roles[role].kind == "service" else f"group:{role}"


@dataclass(frozen=True)
class Grant:
    principal: str  # "group:<catalog role>", "group:admins" or "identity:factory|synapse|ml"
    role: str  # a name from roles.ROLE_DEFINITIONS
    scope: str  # "zone:<zone>", "filesystem:synapse|control", "vault", "ml_endpoint:<model>", …
    reasons: tuple[str, ...]
    paths: tuple[str, ...] = ()  # blob path prefixes the grant is limited to (a condition); () = all

    @property
    def is_service(self) -> bool:
        return self.principal.startswith("identity:")



def _catalog_grants(catalog: Catalog) -> list[Grant]:
    out = []
    for zone in catalog.platform.zones.values():
        for role in zone.writers:
            principal = role_principal(catalog, role)
            paths: tuple[str, ...] = ()
            if principal == ML:  # Azure ML writes nothing but scores: only their folders
                paths = tuple(f"{lake.SCORES}/{m.name}/" for m in catalog.models.values()
                              if m.scoring.output_zone == zone.name)
                if not paths:
                    continue
            out.append(Grant(principal, roles.BLOB_CONTRIBUTOR, zone_scope(zone.name),
                             (f"catalog: {role} writes zone {zone.name}",), paths=paths))
        for role in zone.readers:
            out.append(Grant(role_principal(catalog, role), roles.BLOB_READER, zone_scope(zone.name),
                             (f"catalog: {role} reads zone {zone.name}",)))
    return out


def _engine_grants(catalog: Catalog) -> list[Grant]:
    out = [
        # Synapse keeps workspace metadata in its default filesystem and needs Contributor there:
        # https://learn.microsoft.com/azure/synapse-analytics/security/how-to-grant-workspace-managed-identity-permissions
        Grant(SYNAPSE, roles.BLOB_CONTRIBUTOR, SYNAPSE_FILESYSTEM, ("workspace default filesystem",)),
        Grant(ADMINS, roles.SECRETS_OFFICER, VAULT, ("sets the source connection secrets",)),
    ]
    if catalog.pipelines:
        # Each orchestrator's Lookups read its item lists; `pulumi up` writes them with Entra ID.
        out.append(Grant(FACTORY, roles.BLOB_READER, CONTROL_FILESYSTEM, ("reads the orchestrators' control files",)))
        out.append(Grant(DEPLOYER, roles.BLOB_CONTRIBUTOR, CONTROL_FILESYSTEM,
                         ("pulumi up writes the orchestrators' control files",)))
    for source in catalog.sources.values():
        out.append(Grant(FACTORY, roles.BLOB_CONTRIBUTOR, zone_scope(source.landing_zone),
                         (f"copies source {source.name} into zone {source.landing_zone}",)))
    if catalog.sources or catalog.platform.hash_salt_secret:
        out.append(Grant(FACTORY, roles.SECRETS_USER, VAULT,
                         ("reads source connection secrets and the hash salt by name",)))
    for ds in catalog.datasets.values():
        # The pipeline empties a CETAS target folder before Synapse serverless writes it again.
        out.append(Grant(FACTORY, roles.BLOB_CONTRIBUTOR, zone_scope(ds.zone),
                         (f"clears the folder of preparation {ds.name}",)))
        out.append(Grant(SYNAPSE, roles.BLOB_CONTRIBUTOR, zone_scope(ds.zone),
                         (f"serverless SQL writes preparation {ds.name}",)))
        for ref in ds.inputs:
            zone = catalog.zone_of(ref)
            if zone is not None:
                out.append(Grant(SYNAPSE, roles.BLOB_READER, zone_scope(zone),
                                 (f"serverless SQL reads {ref} for preparation {ds.name}",)))
    for model in catalog.models.values():
        for dataset, does in ((model.dataset, "trains"), (model.scoring.dataset, "scores")):
            if dataset in catalog.datasets:
                out.append(Grant(ML, roles.BLOB_READER, zone_scope(catalog.datasets[dataset].zone),
                                 (f"{does} model {model.name} on {dataset}",)))
        out.append(Grant(ML, roles.BLOB_CONTRIBUTOR, zone_scope(model.scoring.output_zone),
                         (f"writes the scores of model {model.name} (only under {lake.SCORES}/{model.name}/)",),
                         paths=(f"{lake.SCORES}/{model.name}/",)))
        # Invoking a batch endpoint creates a job under the caller's identity; authorization is enforced
        # at the endpoint, so the grant sits on each endpoint, not the workspace. AzureML Data Scientist
        # is the narrowest built-in role with the invoke permissions.
        # https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-batch-endpoint
        out.append(Grant(FACTORY, roles.ML_DATA_SCIENTIST, f"{ML_ENDPOINT}:{model.name}",
                         (f"invokes the scoring endpoint of model {model.name}",)))
        out.append(Grant(FACTORY, roles.ML_DATA_SCIENTIST, f"{ML_TRAINING_ENDPOINT}:{model.name}",
                         (f"invokes the training endpoint of model {model.name}",)))
    for table in catalog.tables.values():
        if table.source_dataset in catalog.datasets:
            zone = catalog.datasets[table.source_dataset].zone
        elif table.source_model in catalog.models:
            zone = catalog.models[table.source_model].scoring.output_zone
        else:
            continue
        out.append(Grant(SYNAPSE, roles.BLOB_READER, zone_scope(zone),
                         (f"dedicated pool loads table {table.qualified_name}",)))
    return out


def grants(catalog: Catalog) -> list[Grant]:
    """The merged, de-duplicated grants, sorted by scope, principal and role. Grants of one role on one
    scope merge: their reasons join, and their path limits join unless one of them has none."""
    reasons: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    paths: dict[tuple[str, str, str], set[str] | None] = {}
    for g in _catalog_grants(catalog) + _engine_grants(catalog):
        key = (g.principal, g.scope, g.role)
        bucket = reasons[key]
        bucket.extend(r for r in g.reasons if r not in bucket)
        before = paths.get(key, set())
        paths[key] = None if before is None or not g.paths else before | set(g.paths)
    merged = []
    for (principal, scope, role), why in reasons.items():
        contributor = (principal, scope, roles.BLOB_CONTRIBUTOR)
        if role == roles.BLOB_READER and contributor in reasons and paths[contributor] is None:
            reasons[contributor].extend(r for r in why if r not in reasons[contributor])
            continue
        merged.append((principal, scope, role))
    return sorted((Grant(p, r, s, tuple(reasons[(p, s, r)]), tuple(sorted(paths[(p, s, r)] or ())))
                   for p, s, r in merged), key=lambda g: (g.scope, g.principal, g.role))


# Blob data actions a path condition limits (everything Storage Blob Data Contributor may do to a blob).
_LIMITED_ACTIONS = ("write", "add/action", "delete", "move/action")
_BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"


def path_condition(paths: tuple[str, ...]) -> str:
    """An Azure ABAC condition (version 2.0) allowing blob reads and writes only below ``paths``;
    listing stays allowed (names only). Syntax:
    https://learn.microsoft.com/azure/role-based-access-control/conditions-format"""
    not_actions = [f"!(ActionMatches{{'{_BLOBS}/{a}'}})" for a in _LIMITED_ACTIONS]
    not_actions.append(f"!(ActionMatches{{'{_BLOBS}/read'}} AND NOT SubOperationMatches{{'Blob.List'}})")
    allowed = [f"@Resource[{_BLOBS}:path] StringStartsWith '{p}'" for p in paths]
    return "(\n (\n  " + "\n  AND\n  ".join(not_actions) + "\n )\n OR\n (\n  " + "\n  OR\n  ".join(allowed) + \
        "\n )\n)"


def secret_names(catalog: Catalog) -> list[str]:
    """Key Vault secrets the platform reads by name: users set their values, never the program."""
    names = {s.secret for s in catalog.sources.values()}
    if catalog.platform.hash_salt_secret:
        names.add(catalog.platform.hash_salt_secret)
    return sorted(names)
