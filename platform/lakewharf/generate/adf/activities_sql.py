"""Prepare and load steps: Script activities running exactly the reviewed Synapse files.

prepare (serverless SQL pool, CETAS):
1. ``get_salt`` (only if the preparation hashes): a Web activity reading the Key Vault secret with
   the factory's managed identity and ``secureOutput`` so the value never reaches the run logs;
   the Script that consumes it sets ``secureInput``, as the documentation asks:
   https://learn.microsoft.com/azure/data-factory/how-to-use-azure-key-vault-secrets-pipeline-activities
2. ``clear_folder`` (+ ``clear_rejects``): Delete activities emptying the dataset's folder and its
   ``_rejects/<dataset>`` folder, because CETAS refuses a non-empty target:
   https://learn.microsoft.com/azure/synapse-analytics/sql/develop-tables-cetas
   The next activity follows them on *Completion* (the documented best-effort pattern,
   https://learn.microsoft.com/azure/data-factory/tutorial-pipeline-failure-error-handling#best-effort-steps):
   on a first run the folder does not exist yet, and a Delete that failed for a real reason still
   fails the step, because CETAS then finds the folder not empty.
3. ``cetas``: a Script activity whose ``scripts`` are ``split_batches()`` of
   ``synapse/serverless/prepare/<dataset>.sql``, with the salt as the Script parameter ``salt``
   (the T-SQL ``@salt``) on the batches that use it.
   https://learn.microsoft.com/azure/data-factory/transform-data-using-script

load (dedicated SQL pool): one Script activity running the batches of
``synapse/warehouse/load/<table>.sql`` (TRUNCATE + COPY INTO the staging table, then
``EXEC etl.load_<table> @run_id = N'@{pipeline().RunId}'``). The file names the lake account with
the placeholder host ``lake-storage-account`` (see lakewharf.generate.synapse.loading); the
activity substitutes the whole endpoint with ``@{pipeline().globalParameters.lake_dfs_endpoint}``,
which the Script activity evaluates as string interpolation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakewharf.generate.adf.common import (
    ADF_EXPRESSION_MAX,
    COMPLETED,
    SUCCEEDED,
    StepBlock,
    activity_name,
    chain,
    dynamic,
    expr,
    gp_args,
    gp_in,
    ls_ref,
    policy,
    timespan,
)
from lakewharf.generate.adf.datasets import has_rejects, lake_ref, rejects_dataset_name
from lakewharf.generate.adf.linked_services import POOL, SERVERLESS
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.preparation_sql import SALT_PARAMETER
from lakewharf.generate.preparations import script_path, split_batches
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, PipelineStep

KEY_VAULT_API = "7.0"  # the version the Data Factory how-to uses for secret reads
KEY_VAULT_RESOURCE = "https://vault.azure.net"
LAKE_ENDPOINT_PLACEHOLDER = "https://lake-storage-account.dfs.core.windows.net"  # synapse.loading.LAKE_ENDPOINT


def load_script_path(table: str) -> str:
    return f"synapse/warehouse/load/{table}.sql"


def built_text(built: Mapping[str, Artifact], path: str, producer: str) -> str:
    artifact = built.get(path)
    if artifact is None:
        raise FileNotFoundError(f"the Data Factory generator embeds {path}, which {producer} should have "
                                "generated before it: run the generators in registry order")
    return artifact.content.decode("utf-8")


def _script_timeout(step: PipelineStep) -> str:
    return timespan(min(step.timeout_minutes, 24 * 60))


def _get_salt(name: str, step: PipelineStep, secret: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "WebActivity",
        "description": f"Read the hash salt (Key Vault secret {secret}); secure output keeps it out of logs.",
        "policy": policy(step, secure_output=True),
        "typeProperties": {
            "method": "GET",
            "url": expr(f"{gp_in('key_vault_url')}/secrets/{secret}?api-version={KEY_VAULT_API}"),
            "authentication": {"type": "MSI", "resource": KEY_VAULT_RESOURCE},
        },
    }


def delete_activity(name: str, step: PipelineStep, dataset: dict[str, Any], what: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Delete",
        "description": f"Empty {what} (best effort: the folder may not exist yet).",
        "policy": policy(step),
        "typeProperties": {
            "dataset": dataset,
            "enableLogging": False,
            "storeSettings": {"type": "AzureBlobFSReadSettings", "recursive": True},
        },
    }


def _check_plain(batch: str, path: str) -> str:
    # A plain string is literal in Data Factory unless it starts with @ or holds @{ interpolation.
    if batch.startswith("@") or "@{" in batch:
        raise ValueError(f"{path}: a batch starts with '@' or contains '@{{', which Data Factory would evaluate")
    return batch


def cetas_scripts(text: str, path: str, salt_from: str | None) -> list[dict[str, Any]]:
    scripts = []
    for batch in split_batches(text):
        block: dict[str, Any] = {"type": "NonQuery", "text": _check_plain(batch, path)}
        code = "\n".join(line for line in batch.splitlines() if not line.lstrip().startswith("--"))
        if salt_from and f"@{SALT_PARAMETER}" in code:
            block["parameters"] = [{"name": SALT_PARAMETER, "type": "String", "direction": "Input",
                                    "value": expr(f"@activity('{salt_from}').output.value")}]
        scripts.append(block)
    return scripts


def prepare_block(catalog: Catalog, step: PipelineStep, built: Mapping[str, Artifact], salted: bool) -> StepBlock:
    dataset = catalog.datasets[step.target]
    path = script_path(dataset.name)
    text = built_text(built, path, "lakewharf.generate.preparations")
    activities: list[dict[str, Any]] = []
    links: list[str] = []
    salt_name = None
    if salted:
        secret = catalog.platform.hash_salt_secret
        if not secret:
            raise ValueError(f"dataset {dataset.name} hashes columns but platform.yaml has no privacy.hash_salt_secret")
        salt_name = activity_name(step.name, "get_salt")
        activities.append(_get_salt(salt_name, step, secret))
        links.append(SUCCEEDED)
    activities.append(delete_activity(activity_name(step.name, "clear_folder"), step,
                              lake_ref(naming.zone_dataset_name(dataset.zone, dataset.name)),
                              f"{dataset.zone}/{dataset.name}/"))
    links.append(COMPLETED)
    if has_rejects(dataset.name, text):
        activities.append(delete_activity(activity_name(step.name, "clear_rejects"), step,
                                  lake_ref(rejects_dataset_name(dataset.zone), dataset=dataset.name),
                                  f"{dataset.zone}/_rejects/{dataset.name}/"))
        links.append(COMPLETED)
    activities.append({
        "name": activity_name(step.name, "cetas"),
        "type": "Script",
        "description": f"Prepare {dataset.name}: the batches of {path}.",
        "linkedServiceName": ls_ref(naming.LS_SYNAPSE_SERVERLESS, gp_args(*SERVERLESS)),
        "policy": policy(step, secure_input=salted),
        "typeProperties": {"scripts": cetas_scripts(text, path, salt_name),
                           "scriptBlockExecutionTimeout": _script_timeout(step)},
    })
    chain(activities, links)
    return StepBlock(activities, [activities[0]["name"]], [activities[-1]["name"]])


def load_batches(text: str, table: str, path: str) -> list[dict[str, Any]]:
    procedure = naming.load_procedure_name(table)
    call_present = any(form in text for form in (f"EXEC {procedure} ", f"EXEC [{procedure.replace('.', '].[')}]"))
    if LAKE_ENDPOINT_PLACEHOLDER not in text and "lake_dfs_endpoint" not in text:
        raise ValueError(f"{path}: no COPY INTO source on {LAKE_ENDPOINT_PLACEHOLDER} or the lake_dfs_endpoint "
                         "global parameter: cannot point it at the environment's lake")
    text = text.replace(LAKE_ENDPOINT_PLACEHOLDER, gp_in("lake_dfs_endpoint"))
    batches = split_batches(text)
    if not call_present:  # the documented contract: COPY INTO staging, then the table's load procedure
        batches.append(f"EXEC {procedure} @run_id = N'@{{pipeline().RunId}}';")
    scripts = []
    for batch in batches:
        text = dynamic(batch) if "@{" in batch else _check_plain(batch, path)
        if isinstance(text, dict) and len(text["value"]) > ADF_EXPRESSION_MAX:
            raise ValueError(f"{path}: a batch becomes an expression of {len(text['value'])} characters, above "
                             f"Data Factory's {ADF_EXPRESSION_MAX}-character limit")
        scripts.append({"type": "NonQuery", "text": text})
    return scripts


def load_block(step: PipelineStep, built: Mapping[str, Artifact]) -> StepBlock:
    table = step.target
    path = load_script_path(table)
    text = built_text(built, path, "lakewharf.generate.synapse")
    name = activity_name(step.name, "copy_and_load")
    activity = {
        "name": name,
        "type": "Script",
        "description": f"Load {table}: COPY INTO its staging table, then {naming.load_procedure_name(table)}.",
        "linkedServiceName": ls_ref(naming.LS_SYNAPSE_POOL, gp_args(*POOL)),
        "policy": policy(step),
        "typeProperties": {"scripts": load_batches(text, table, path),
                           "scriptBlockExecutionTimeout": _script_timeout(step)},
    }
    return StepBlock([activity], [name], [name])
