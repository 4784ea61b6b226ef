"""Train and score steps: Azure ML v2 batch endpoints invoked over REST, the way Microsoft documents
running batch endpoints from Data Factory (a Web activity with the factory's managed identity and
resource https://ml.azure.com, then an Until loop polling the job):
https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-azure-data-factory

Request body and job status (``properties.status``, polled at ``<scoring URI>/<job name>``):
https://learn.microsoft.com/azure/machine-learning/how-to-access-data-batch-endpoints-jobs?tabs=rest
https://learn.microsoft.com/azure/machine-learning/how-to-deploy-batch-with-rest

- score: invoke ``batch_endpoint_name(platform, model)`` (its default deployment,
  ``deployment_name(model)``) with the scoring dataset's folder as input and
  ``scores/<model>/`` in ``scoring.output_zone`` as the output folder; score.py writes
  ``<output>/part-*.parquet`` below it, i.e. exactly ``lake.scores_folder(model, output)``. The
  output folders are emptied first (best effort, like the CETAS targets), so a table load never
  reads yesterday's files next to today's.
- train: Data Factory's Azure ML activity only runs v1 published pipelines; for v2, Microsoft
  operationalizes training as a *pipeline component deployment* on a batch endpoint, invoked
  exactly like scoring: https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-training-pipeline
  lakewharf calls it ``training_endpoint_name(platform, model)`` (e.g. ``retail-train-churn``)
  with one data input ``training_data`` and the experiment name ``training_job_name(model)``;
  the component registers the model, which the scoring deployment uses as ``@latest``. (The
  alternative, a PUT on the ARM Jobs API, would need the code and environment asset ids in the
  request, i.e. a registration step outside the pipeline.)

Polling: the Until loop runs Wait → GET job → set a variable, until the status leaves the
documented non-terminal states; an If activity then fails the run (Fail activity, with a studio
link to the job) when the job ended Failed, Canceled or NotResponding. The invoke itself is not
retried (a retried POST could start a second job).

Endpoint host names are unique per region across Azure, so every URL appends the stack's 4-character suffix
(global parameter ``ml_endpoint_suffix``): ``https://retail-churn-1a2b.westeurope.inference...``.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.activities_sql import delete_activity
from lakewharf.generate.adf.common import (
    COMPLETED,
    StepBlock,
    activity_name,
    chain,
    depends,
    expr,
    gp_in,
    json_text,
    policy,
    timespan,
)
from lakewharf.generate.adf.datasets import lake_ref
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Model, PipelineStep

ML_RESOURCE = "https://ml.azure.com"
POLL_SECONDS = 60
# Azure ML JobStatus values (REST API): loop while the job is in one of these ...
RUNNING = ("NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing",
           "CancelRequested", "Paused", "Unknown", "Scheduled")
# ... and fail the step if it ended in one of these (the only other terminal state is Completed).
FAILED = ("Failed", "Canceled", "NotResponding")
SCORE_OUTPUT = "score"  # model deployments ignore input/output names; "score" is the documented default
SCORE_INPUT = "input_data"
TRAIN_INPUT = "training_data"


def datastore_uri(zone: str, folder: str) -> str:
    """A lake folder as Azure ML addresses it: one datastore per zone, named after the zone (the
    same form as lakewharf.generate.aml.jobs.datastore_uri)."""
    return f"azureml://datastores/{zone}/paths/{folder}/"


def scoring_output_folder(model: str) -> str:
    """``scores/<model>``: the parent of every lake.scores_folder(model, output)."""
    return f"{lake.SCORES}/{model}"


def _jobs_url(endpoint: str) -> str:
    # The stack's endpoint suffix makes the region-unique host name (naming.batch_endpoint_name).
    return f"https://{endpoint}-{gp_in('ml_endpoint_suffix')}.{gp_in('ml_region')}.inference.ml.azure.com/jobs"


def _array(values: tuple[str, ...]) -> str:
    return "createArray(" + ", ".join(f"'{v}'" for v in values) + ")"


def _studio_link(job: str) -> str:
    return ("https://ml.azure.com/runs/" + job + "?wsid=/subscriptions/" + gp_in("ml_subscription_id")
            + "/resourcegroups/" + gp_in("ml_resource_group") + "/workspaces/" + gp_in("ml_workspace"))


def _job_block(step: PipelineStep, endpoint: str, body: dict[str, Any], what: str) -> tuple[list[dict], dict]:
    """invoke → wait (Until) → check (If + Fail), and the status variable they share."""
    invoke = activity_name(step.name, "invoke")
    wait = activity_name(step.name, "wait_for_job")
    poll = activity_name(step.name, "get_job")
    variable = f"{step.name}_job_status"
    job = "@{last(split(activity('" + invoke + "').output.id, '/'))}"
    status = f"variables('{variable}')"
    web_auth = {"type": "MSI", "resource": ML_RESOURCE}
    activities = [
        {
            "name": invoke,
            "type": "WebActivity",
            "description": f"{what}: start a job on batch endpoint {endpoint}.",
            "policy": policy(step, retry=False),
            "typeProperties": {"method": "POST", "url": expr(_jobs_url(endpoint)),
                               "headers": {"Content-Type": "application/json"},
                               "body": json_text(body), "authentication": web_auth},
        },
        {
            "name": wait,
            "type": "Until",
            "description": f"Poll the job every {POLL_SECONDS} s until it leaves the running states.",
            "typeProperties": {
                "expression": expr(f"@not(contains({_array(RUNNING)}, {status}))"),
                "timeout": timespan(step.timeout_minutes),
                "activities": chain([
                    {"name": activity_name(step.name, "pause"), "type": "Wait",
                     "typeProperties": {"waitTimeInSeconds": POLL_SECONDS}},
                    {"name": poll, "type": "WebActivity", "policy": policy(step),
                     "typeProperties": {"method": "GET", "url": expr(_jobs_url(endpoint) + "/" + job),
                                        "authentication": web_auth}},
                    {"name": activity_name(step.name, "set_status"), "type": "SetVariable",
                     "typeProperties": {"variableName": variable,
                                        "value": expr(f"@activity('{poll}').output.properties.status")}},
                ]),
            },
        },
        {
            "name": activity_name(step.name, "check_job"),
            "type": "IfCondition",
            "description": "Fail the run if the Azure ML job did not complete.",
            "typeProperties": {
                "expression": expr(f"@not(contains({_array(FAILED)}, {status}))"),
                "ifFalseActivities": [{
                    "name": activity_name(step.name, "job_failed"),
                    "type": "Fail",
                    "typeProperties": {
                        "message": expr(f"{what}: Azure ML job {job} on batch endpoint {endpoint} ended "
                                        f"@{{{status}}}. See {_studio_link(job)}"),
                        "errorCode": "AzureMLJobFailed",
                    },
                }],
            },
        },
    ]
    chain(activities)
    return activities, {variable: {"type": "String"}}


def train_block(catalog: Catalog, step: PipelineStep) -> StepBlock:
    model = catalog.models[step.target]
    zone = catalog.datasets[model.dataset].zone
    body = {"properties": {
        "InputData": {TRAIN_INPUT: {"JobInputType": "UriFolder",
                                    "Uri": datastore_uri(zone, lake.dataset_folder(model.dataset))}},
        "properties": {"experimentName": naming.training_job_name(model.name)},
    }}
    activities, variables = _job_block(step, naming.training_endpoint_name(catalog.platform.name, model.name), body,
                                       f"Train {model.name}")
    return StepBlock(activities, [activities[0]["name"]], [activities[-1]["name"]],
                     checked={activities[-1]["name"]}, variables=variables)


def _clear_scores(step: PipelineStep, model: Model) -> list[dict[str, Any]]:
    return [delete_activity(activity_name(step.name, f"clear_{output}"), step,
                    lake_ref(naming.scores_dataset_name(model.name, output)),
                    f"{model.scoring.output_zone}/{lake.scores_folder(model.name, output)}/")
            for output in model.outputs]


def score_block(catalog: Catalog, step: PipelineStep) -> StepBlock:
    model = catalog.models[step.target]
    scored = model.scoring.dataset  # the training dataset unless the model names another
    zone = catalog.datasets[scored].zone
    output_uri = datastore_uri(model.scoring.output_zone, scoring_output_folder(model.name))
    body = {"properties": {
        "InputData": {SCORE_INPUT: {"JobInputType": "UriFolder",
                                    "Uri": datastore_uri(zone, lake.dataset_folder(scored))}},
        "OutputData": {SCORE_OUTPUT: {"JobOutputType": "UriFolder", "Uri": output_uri}},
    }}
    clears = _clear_scores(step, model)
    activities, variables = _job_block(step, naming.batch_endpoint_name(catalog.platform.name, model.name), body,
                                       f"Score {model.name}")
    # Every clear must have completed (best effort) before the job starts.
    activities[0]["dependsOn"] = depends([c["name"] for c in clears], COMPLETED)
    return StepBlock(clears + activities, [c["name"] for c in clears], [activities[-1]["name"]],
                     checked={activities[-1]["name"]}, variables=variables)
