"""Prepare, load, train and score workers.

prepare (serverless SQL pool, CETAS), one item per dataset:
1. ``get_salt`` (``wk_prepare_salted`` only): a Web activity reading the Key Vault secret with the
   factory's managed identity and ``secureOutput``; the Scripts that consume it set
   ``secureInput``: https://learn.microsoft.com/azure/data-factory/how-to-use-azure-key-vault-secrets-pipeline-activities
2. ``clear_folder`` / ``clear_rejects``: Delete activities emptying the dataset's folder and its
   ``_rejects/<dataset>`` folder, because CETAS refuses a non-empty target; the next activity
   follows them on *Completion* (best effort: on a first run the folders do not exist):
   https://learn.microsoft.com/azure/synapse-analytics/sql/develop-tables-cetas
3. ``run_batches``: a sequential ForEach over the item's batches (``split_batches()`` of
   ``synapse/serverless/prepare/<dataset>.sql``), one Script each, with the salt as the Script
   parameter ``salt`` (the T-SQL ``@salt``).
   https://learn.microsoft.com/azure/data-factory/transform-data-using-script
4. ``data_tests`` (a ForEach over the item's ``audits``: its audit, or none for a dataset without
   tests, which runs nothing): ``run_audit`` runs the
   dataset's audit SELECT on the serverless pool (``resultSets``), ``record_tests`` passes its rows
   as JSON to the dedicated pool, records them in ``etl.test_results`` and THROWs on failed
   error-severity tests (``lakewharf.generate.synapse.dataset_audits``).

load (dedicated SQL pool), one item per table: a sequential ForEach over the batches of
``synapse/warehouse/load/<table>.sql`` (TRUNCATE + COPY INTO staging, then ``EXEC
etl.load_<table> @run_id``), the placeholders ``{lake_dfs_endpoint}`` and ``{run_id}``
replaced by the global parameter and the orchestrator's run id.

train / score: Azure ML v2 batch endpoints over REST with the factory's managed identity, polled
by an Until loop (see the module notes of the ML generator for why a pipeline-component
deployment is the training path): https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-azure-data-factory
The invoke is not retried (a retried POST could start a second job). Scoring first empties the
score output folders (best effort), so a table load never reads yesterday's files.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.common import COMPLETED, depends, expr, gp, gp_in
from lakewharf.generate.adf.datasets import DS_LAKE_BINARY, lake_ref
from lakewharf.generate.adf.items import LAKE_ENDPOINT, RUN_ID
from lakewharf.generate.adf.linked_services import LAKE, POOL, SERVERLESS
from lakewharf.generate.adf.workers import p, pe, policy, script, worker
from lakewharf.model import naming

KEY_VAULT_API = "7.0"  # the version the Data Factory how-to uses for secret reads
KEY_VAULT_RESOURCE = "https://vault.azure.net"
ML_RESOURCE = "https://ml.azure.com"
POLL_SECONDS = 60
# Azure ML JobStatus values (REST API): loop while the job is in one of these ...
RUNNING = ("NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing",
           "CancelRequested", "Paused", "Unknown", "Scheduled")
# ... and fail the step if it ended in one of these (the only other terminal state is Completed).
FAILED = ("Failed", "Canceled", "NotResponding")
SCORE_OUTPUT = "score"  # model deployments ignore input/output names; "score" is the documented default
SCORE_INPUT = "input_data"
_FOLDER = {"filesystem": "String", "folder": "String"}


def _delete(name: str, filesystem: Any, folder: Any, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Delete",
        "description": description,
        "policy": policy(),
        "typeProperties": {
            "dataset": lake_ref(DS_LAKE_BINARY, filesystem, folder),
            "enableLogging": False,
            "storeSettings": {"type": "AzureBlobFSReadSettings", "recursive": True},
        },
    }


def _batches(name: str, inner: dict[str, Any], after: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "type": "ForEach",
        "description": "The item's T-SQL batches, in order.",
        "dependsOn": depends(after, COMPLETED),
        "typeProperties": {"items": pe("scripts"), "isSequential": True, "activities": [inner]},
    }


def prepare_worker(salted: bool) -> dict[str, Any]:
    activities: list[dict[str, Any]] = []
    cetas = script("cetas", naming.LS_SYNAPSE_SERVERLESS, SERVERLESS, expr("@item()"),
                   "One batch of the dataset's preparation script.", secure_input=salted)
    if salted:
        activities.append({
            "name": "get_salt",
            "type": "WebActivity",
            "description": "Read the hash salt from Key Vault; secure output keeps it out of logs.",
            "policy": policy(secure_output=True),
            "typeProperties": {
                "method": "GET",
                "url": expr(f"{gp_in('key_vault_url')}/secrets/@{{{p('salt_secret')}}}?api-version={KEY_VAULT_API}"),
                "authentication": {"type": "MSI", "resource": KEY_VAULT_RESOURCE},
            },
        })
        cetas["typeProperties"]["scripts"][0]["parameters"] = [
            {"name": naming.SALT_PARAMETER, "type": "String", "direction": "Input",
             "value": expr("@activity('get_salt').output.value")}]
    clear = _delete("clear_folder", pe("filesystem"), pe("folder"), "Empty the dataset's folder (best effort).")
    if salted:
        clear["dependsOn"] = depends(["get_salt"])
    rejects = _delete("clear_rejects", pe("filesystem"), pe("rejects_folder"),
                      "Empty the dataset's rejects folder (best effort).")
    rejects["dependsOn"] = depends(["clear_folder"], COMPLETED)
    activities += [clear, rejects, _batches("run_batches", cetas, ["clear_rejects"]), _tests()]
    params = _FOLDER | {"rejects_folder": "String", "script": "String", "scripts": "Array", "pipeline": "String",
                        "audits": "Array", "run_id": "String"}
    if salted:
        params["salt_secret"] = "String"
    kind = "prepare_salted" if salted else "prepare"
    return worker(kind, "Prepare one dataset (CETAS) on the serverless SQL pool (one item).", activities, params)


def _tests() -> dict[str, Any]:
    """The dataset's data tests after its CETAS: the audit SELECT on the serverless pool, then its
    rows (JSON) recorded in etl.test_results on the dedicated pool, whose script THROWs on failed
    error tests. The item's ``audits`` holds its audit, or nothing for a dataset without tests."""
    from lakewharf.generate.synapse.dataset_audits import RESULTS_PARAMETER, RUN_ID_PARAMETER, record_script

    run = script("run_audit", naming.LS_SYNAPSE_SERVERLESS, SERVERLESS, expr("@item()"),
                 "The dataset's audit: one row per data test (failing rows, severity).")
    run["typeProperties"]["scripts"][0]["type"] = "Query"  # its rows come back as resultSets
    record = script("record_tests", naming.LS_SYNAPSE_POOL, POOL, record_script(),
                    "Record the tests in etl.test_results; fail on failed error-severity tests.")
    record["dependsOn"] = depends(["run_audit"])
    record["typeProperties"]["scripts"][0]["parameters"] = [
        {"name": RUN_ID_PARAMETER, "type": "String", "direction": "Input", "value": pe("run_id")},
        {"name": RESULTS_PARAMETER, "type": "String", "direction": "Input",
         "value": expr("@string(activity('run_audit').output.resultSets[0].rows)")}]
    # A ForEach over none or one audit rather than an If: an If's branch cannot refer to a sibling's
    # output in data-factory-testing-framework 1.4 (it evaluates the branch before running it).
    return {
        "name": "data_tests",
        "type": "ForEach",
        "description": "The dataset's data tests, if it has any (no iteration without).",
        "dependsOn": depends(["run_batches"]),
        "typeProperties": {
            "items": pe("audits"),
            "isSequential": True,
            "activities": [run, record],
        },
    }


def load_worker() -> dict[str, Any]:
    text = expr(f"@replace(replace(item(), '{RUN_ID}', {p('run_id')}), '{LAKE_ENDPOINT}', {gp(LAKE)[1:]})")
    batch = script("load_batch", naming.LS_SYNAPSE_POOL, POOL, text, "One batch of the table's load script.")
    loop = _batches("copy_and_load", batch, [])
    del loop["dependsOn"]
    params = {"script": "String", "scripts": "Array", "pipeline": "String", "run_id": "String"}
    return worker("load", "Load one warehouse table: COPY INTO staging, then its load procedure (one item).",
                  [loop], params)


def _array(values: tuple[str, ...]) -> str:
    return "createArray(" + ", ".join(f"'{v}'" for v in values) + ")"


def _jobs_url() -> str:
    # The stack's endpoint suffix makes the region-unique host name (naming.batch_endpoint_name).
    return (f"https://@{{{p('endpoint')}}}-{gp_in('ml_endpoint_suffix')}.{gp_in('ml_region')}"
            ".inference.ml.azure.com/jobs")


def _studio_link(job: str) -> str:
    return ("https://ml.azure.com/runs/" + job + "?wsid=/subscriptions/" + gp_in("ml_subscription_id")
            + "/resourcegroups/" + gp_in("ml_resource_group") + "/workspaces/" + gp_in("ml_workspace"))


def ml_worker(kind: str) -> dict[str, Any]:
    """invoke → wait (Until) → check (If + Fail), and for scoring the clears before."""
    job = "@{last(split(activity('invoke').output.id, '/'))}"
    status = "variables('job_status')"
    auth = {"type": "MSI", "resource": ML_RESOURCE}
    activities: list[dict[str, Any]] = []
    if kind == "score":
        activities.append({
            "name": "clear_outputs", "type": "ForEach",
            "description": "Empty the score output folders (best effort).",
            "typeProperties": {"items": pe("clear"), "isSequential": True, "activities": [
                _delete("clear_output", expr("@item().filesystem"), expr("@item().folder"),
                        "Empty one score output folder.")]},
        })
    invoke = {
        "name": "invoke", "type": "WebActivity",
        "description": "Start a job on the item's batch endpoint.",
        "policy": policy(retry=False),
        "typeProperties": {"method": "POST", "url": expr(_jobs_url()), "headers": {"Content-Type": "application/json"},
                           "body": pe("body"), "authentication": auth},
    }
    if activities:
        invoke["dependsOn"] = depends(["clear_outputs"], COMPLETED)
    wait = {
        "name": "wait_for_job", "type": "Until",
        "description": f"Poll the job every {POLL_SECONDS} s until it leaves the running states.",
        "dependsOn": depends(["invoke"]),
        "typeProperties": {
            "expression": expr(f"@not(contains({_array(RUNNING)}, {status}))"),
            "timeout": pe("timeout"),  # the step's timeout_minutes bounds the whole job
            "activities": [
                {"name": "pause", "type": "Wait", "typeProperties": {"waitTimeInSeconds": POLL_SECONDS}},
                {"name": "get_job", "type": "WebActivity", "policy": policy(), "dependsOn": depends(["pause"]),
                 "typeProperties": {"method": "GET", "url": expr(_jobs_url() + "/" + job), "authentication": auth}},
                {"name": "set_status", "type": "SetVariable", "dependsOn": depends(["get_job"]),
                 "typeProperties": {"variableName": "job_status",
                                    "value": expr("@activity('get_job').output.properties.status")}},
            ],
        },
    }
    check = {
        "name": "check_job", "type": "IfCondition",
        "description": "Fail the run if the Azure ML job did not complete.",
        "dependsOn": depends(["wait_for_job"]),
        "typeProperties": {
            "expression": expr(f"@not(contains({_array(FAILED)}, {status}))"),
            "ifFalseActivities": [{"name": "job_failed", "type": "Fail", "typeProperties": {
                "message": expr(f"Step '@{{{p('step')}}}' of pipeline @{{{p('pipeline')}}}: @{{{p('what')}}}: "
                                f"Azure ML job {job} on batch endpoint @{{{p('endpoint')}}} ended @{{{status}}}. "
                                f"See {_studio_link(job)}"),
                "errorCode": "AzureMLJobFailed"}}],
        },
    }
    activities += [invoke, wait, check]
    params = {"endpoint": "String", "body": "String", "what": "String", "pipeline": "String"}
    if kind == "score":
        params["clear"] = "Array"
    what = "Train one model on its pipeline-component batch endpoint" if kind == "train" else "Score one model"
    return worker(kind, f"{what} (one item).", activities, params, {"job_status": {"type": "String"}})
