"""Batch scoring: one batch endpoint per model and its model deployment running score.py.

Shapes follow the Azure ML CLI v2 schemas batchEndpoint and modelBatchDeployment (``type: model``),
checked with azure-ai-ml's loaders in the tests:
https://learn.microsoft.com/azure/machine-learning/reference-yaml-endpoint-batch
https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-batch

``output_action: summary_only``: score.py writes the typed Parquet outputs itself (several per
recommender) under the job's output folder; ``append_row`` would collect returned rows into one
CSV file, untyped. ``error_threshold: 0`` fails the job on the first failed mini-batch (after its
retries): a partial score table loaded into the warehouse is worse than a failed, retried run.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.aml.environment import SCHEMA_BASE, environment_ref
from lakewharf.generate.aml.jobs import compute_ref, datastore_uri, training_data_uri
from lakewharf.generate.aml.spec import spec_path
from lakewharf.generate.artifact import Artifact, yaml_artifact
from lakewharf.model.catalog import Catalog, Model
from lakewharf.model.lake import SCORES
from lakewharf.model.naming import batch_endpoint_name, deployment_name, registered_model_name

RETRIES = 3
MINI_BATCH_TIMEOUT_SECONDS = 600


def scoring_output_uri(model: Model) -> str:
    """Where an invocation should send the job output: score.py adds ``<output>/`` below it, which
    makes ``scores/<model>/<output>`` (lake.scores_folder) in the scoring output zone."""
    return datastore_uri(model.scoring.output_zone, f"{SCORES}/{model.name}")


def endpoint(catalog: Catalog, model: Model) -> dict[str, Any]:
    return {
        "$schema": f"{SCHEMA_BASE}/batchEndpoint.schema.json",
        "name": batch_endpoint_name(catalog.platform.name, model.name),
        "description": (f"Batch scoring for {model.name}. Invoke with input {training_data_uri(catalog, model)} "
                        f"and output path {scoring_output_uri(model)}"),
        "auth_mode": "aad_token",
        "defaults": {"deployment_name": deployment_name(model.name)},
    }


def deployment(catalog: Catalog, model: Model) -> dict[str, Any]:
    scoring = model.scoring
    return {
        "$schema": f"{SCHEMA_BASE}/modelBatchDeployment.schema.json",
        "name": deployment_name(model.name),
        "endpoint_name": batch_endpoint_name(catalog.platform.name, model.name),
        "type": "model",
        "description": f"Scores {model.name} with score.py into the {', '.join(model.outputs)} output(s).",
        "tags": {"lakewharf_model": model.name, "task": model.task},
        "model": f"azureml:{registered_model_name(model.name)}@latest",
        "code_configuration": {"code": "./src", "scoring_script": "score.py"},
        "environment": environment_ref(catalog),
        "compute": compute_ref(scoring.compute),
        "resources": {"instance_count": scoring.instance_count},
        "settings": {
            "max_concurrency_per_instance": 1,  # one scikit-learn process per node uses all its cores
            "mini_batch_size": scoring.mini_batch_size,
            "output_action": "summary_only",
            "retry_settings": {"max_retries": RETRIES, "timeout": MINI_BATCH_TIMEOUT_SECONDS},
            "error_threshold": 0,
            "logging_level": "info",
            # The contract to write: automated ML models (MLflow) do not carry lakewharf's spec.
            "environment_variables": {"LAKEWHARF_SPEC": spec_path(model.name)},
        },
    }


def artifacts(catalog: Catalog, model: Model) -> list[Artifact]:
    elements = (f"model:{model.name}",)
    return [
        yaml_artifact(f"aml/endpoint_{model.name}.yml", endpoint(catalog, model), elements),
        yaml_artifact(f"aml/deployment_{model.name}.yml", deployment(catalog, model), elements),
    ]
