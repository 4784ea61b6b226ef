"""Linked services and the factory's global parameters.

Every linked service is parameterized instead of holding an environment's endpoint: the dataset
or activity that references it passes the factory's global parameter of the same name. All linked
service types accept parameters (``@{linkedService().name}``):
https://learn.microsoft.com/azure/data-factory/parameterize-linked-services

- ``ls_lake``: ADLS Gen2 (AzureBlobFS) with no credential in typeProperties, which makes Data
  Factory use its system-assigned managed identity:
  https://learn.microsoft.com/azure/data-factory/connector-azure-data-lake-storage#managed-identity
- ``ls_key_vault``: the vault every secret reference points at.
- ``ls_synapse_pool`` / ``ls_synapse_serverless``: the Azure Synapse Analytics connector
  (AzureSqlDW, recommended version) with ``SystemAssignedManagedIdentity``; the serverless one uses
  the workspace's ``-ondemand`` endpoint and the lakehouse database.
  https://learn.microsoft.com/azure/data-factory/connector-azure-sql-data-warehouse
- one per source *kind*, not per source (``ls_src_sqlserver``, ``ls_src_postgresql``,
  ``ls_src_blob``): each kind module in ``lakewharf.sources`` declares its type and properties
  (SQL Server and PostgreSQL take the whole connection string from Key Vault; file drops and logs
  share Azure Blob Storage with the container's SAS URL, ``sasUri``, from Key Vault). The Key
  Vault secret *name* is itself a linked-service parameter (``secret_name``), which each worker
  item fills with its source's secret, so a factory holds one source linked service per kind
  whatever the number of sources:
  https://learn.microsoft.com/azure/data-factory/store-credentials-in-key-vault
  https://learn.microsoft.com/azure/data-factory/parameterize-linked-services
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.common import GLOBAL_PARAMETERS, ls_ref, string_params
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Source
from lakewharf.sources.registry import SELF_HOSTED_RUNTIME, linked_service_kind, split_family
from lakewharf.sources.registry import linked_service_key as _linked_service_key

KV = "key_vault_url"
LAKE = "lake_dfs_endpoint"
POOL = ("synapse_dedicated_endpoint", "synapse_dedicated_database")
SERVERLESS = ("synapse_serverless_endpoint",)

# Linked service -> the global parameters its references must pass (same names).
LINKED_SERVICE_PARAMETERS: dict[str, tuple[str, ...]] = {
    naming.LS_LAKE: (LAKE,),
    naming.LS_KEY_VAULT: (KV,),
    naming.LS_SYNAPSE_POOL: POOL,
    naming.LS_SYNAPSE_SERVERLESS: SERVERLESS,
}
SECRET = "secret_name"
SOURCE_PARAMETERS = (KV, SECRET)  # the vault and the source's secret in it


def _ls(name: str, type_: str, description: str, type_properties: dict[str, Any],
        parameters: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "type": type_,
            "description": description,
            "parameters": string_params(*parameters),
            "annotations": ["lakewharf"],
            "typeProperties": type_properties,
        },
    }


def _param(name: str) -> str:
    return "@{linkedService()." + name + "}"


def source_kind_key(source: Source) -> str:
    """The linked service / dataset family of a source (its kind's key: file kinds share ``blob``)."""
    return _linked_service_key(source)


def key_vault_secret(secret_name: str) -> dict[str, Any]:
    """A credential read from Key Vault at run time; the vault URL flows down as a parameter."""
    return {
        "type": "AzureKeyVaultSecret",
        "store": ls_ref(naming.LS_KEY_VAULT, {KV: _param(KV)}),
        "secretName": secret_name,
    }


def _synapse(name: str, description: str, server: str, database: str, params: tuple[str, ...]) -> dict[str, Any]:
    return _ls(name, "AzureSqlDW", description, {
        "server": server,
        "database": database,
        "encrypt": "mandatory",
        "trustServerCertificate": False,
        "authenticationType": "SystemAssignedManagedIdentity",
    }, params)


def platform_linked_services(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        _ls(naming.LS_LAKE, "AzureBlobFS", "The lake (ADLS Gen2) through the factory's managed identity.",
            {"url": _param(LAKE)}, (LAKE,)),
        _ls(naming.LS_KEY_VAULT, "AzureKeyVault", "Key Vault holding every source credential and the hash salt.",
            {"baseUrl": _param(KV)}, (KV,)),
        _synapse(naming.LS_SYNAPSE_POOL, "Synapse dedicated SQL pool (warehouse, watermarks).",
                 _param(POOL[0]), _param(POOL[1]), POOL),
        _synapse(naming.LS_SYNAPSE_SERVERLESS, "Synapse serverless SQL (preparations as CETAS).",
                 _param(SERVERLESS[0]), naming.SERVERLESS_DATABASE, SERVERLESS),
    ]


def source_linked_service(key: str) -> dict[str, Any]:
    """The linked service shared by the source kinds of one key (``sqlserver``, ``blob``…); a key
    ending ``_self_hosted`` connects through the self-hosted integration runtime (``connectVia``):
    https://learn.microsoft.com/azure/data-factory/create-self-hosted-integration-runtime"""
    kind = linked_service_kind(key)
    base = split_family(key)[0]
    type_, props = kind.linked_service_for(base, key_vault_secret(_param(SECRET)), _param)
    description = (f"Every {key} source; the credential is the Key Vault secret named by parameter secret_name."
                   if kind.reads_secret(base) else f"Every {key} source, reached with the factory's managed identity.")
    doc = _ls(naming.source_linked_service_name(key), type_, description, props,
              SOURCE_PARAMETERS + kind.connection_parameters)
    if split_family(key)[1]:
        doc["properties"]["connectVia"] = {"referenceName": SELF_HOSTED_RUNTIME, "type": "IntegrationRuntimeReference"}
    return doc


def self_hosted_runtime() -> dict[str, Any]:
    """The factory's self-hosted integration runtime; its nodes are installed in the company network
    and registered with the runtime's auth key (docs/deploy.md)."""
    return {"name": SELF_HOSTED_RUNTIME, "properties": {
        "type": "SelfHosted",
        "description": "Reaches on-premises sources (runtime: self_hosted); install a node and register it.",
    }}


def factory_document(catalog: Catalog) -> dict[str, Any]:
    """The factory's global parameters with empty values: the infra program sets them per
    environment. https://learn.microsoft.com/azure/data-factory/author-global-parameters"""
    return {
        "name": catalog.platform.name,
        "properties": {
            "globalParameters": {name: {"type": "String", "value": ""} for name in GLOBAL_PARAMETERS},
        },
    }


def artifacts(catalog: Catalog) -> list[Artifact]:
    platform = (f"platform:{catalog.platform.name}",)
    out = [json_artifact(f"adf/factory/{catalog.platform.name}.json", factory_document(catalog), platform)]
    out += [json_artifact(f"adf/linkedService/{doc['name']}.json", doc, platform)
            for doc in platform_linked_services(catalog)]
    kinds: dict[str, list[str]] = {}
    for name in sorted(catalog.sources):
        kinds.setdefault(source_kind_key(catalog.sources[name]), []).append(name)
    for kind, names in sorted(kinds.items()):
        doc = source_linked_service(kind)
        out.append(json_artifact(f"adf/linkedService/{doc['name']}.json", doc, tuple(f"source:{n}" for n in names)))
    hosted = sorted(n for n, s in catalog.sources.items() if s.runtime == "self_hosted")
    if hosted:
        out.append(json_artifact(f"adf/integrationRuntime/{SELF_HOSTED_RUNTIME}.json", self_hosted_runtime(),
                                 tuple(f"source:{n}" for n in hosted)))
    return out
