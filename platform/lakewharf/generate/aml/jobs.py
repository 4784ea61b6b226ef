"""Training jobs: a command job running the generic train.py, or an automated ML job.

Shapes follow the Azure ML CLI v2 schemas (commandJob / autoMLJob, checked with azure-ai-ml's
loaders in the tests):
https://learn.microsoft.com/azure/machine-learning/reference-yaml-job-command
https://learn.microsoft.com/azure/machine-learning/reference-automated-ml-tabular (tabular AutoML)

Data is read where the lake keeps it: one Azure ML datastore per zone, named after the zone, so a
dataset's folder is ``azureml://datastores/<zone>/paths/<folder>/``. The job does not set ``name``:
job names are unique per workspace, so a fixed one would fail the second weekly run;
``display_name`` and ``experiment_name`` carry lakewharf's training job name instead.
The trained model is registered by naming the output (``outputs.<x>.name``): Azure ML registers the
output folder as a new version of that model when the job completes.
"""

from __future__ import annotations

import re
from typing import Any

from lakewharf.errors import CatalogInvalid
from lakewharf.generate.aml.environment import SCHEMA_BASE, environment_ref
from lakewharf.generate.aml.spec import spec_path
from lakewharf.generate.artifact import Artifact, yaml_artifact
from lakewharf.model.catalog import Catalog, Model
from lakewharf.model.lake import dataset_folder
from lakewharf.model.naming import registered_model_name, training_job_name

_INPUT_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# Automated ML's primary metrics (azure.ai.ml ClassificationPrimaryMetrics / RegressionPrimaryMetrics,
# in the snake_case the YAML takes).
PRIMARY_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("auc_weighted", "accuracy", "norm_macro_recall", "average_precision_score_weighted",
                       "precision_score_weighted"),
    "regression": ("spearman_correlation", "normalized_root_mean_squared_error", "r2_score",
                   "normalized_mean_absolute_error"),
}


def datastore_uri(zone: str, folder: str) -> str:
    """A lake folder as Azure ML addresses it (datastore per zone, named after the zone)."""
    return f"azureml://datastores/{zone}/paths/{folder}/"


def training_data_uri(catalog: Catalog, model: Model) -> str:
    return datastore_uri(catalog.datasets[model.dataset].zone, dataset_folder(model.dataset))


def compute_ref(name: str) -> str:
    return f"azureml:{name}"


def _tags(model: Model) -> dict[str, str]:
    return {"lakewharf_model": model.name, "dataset": model.dataset, "task": model.task,
            "algorithm": model.training.algorithm or "automl", "seed": str(model.training.seed)}


def command_job(catalog: Catalog, model: Model) -> dict[str, Any]:
    training = model.training
    inputs: dict[str, Any] = {
        "training_data": {"type": "uri_folder", "path": training_data_uri(catalog, model), "mode": "ro_mount"},
        "seed": training.seed,
        "test_fraction": training.test_fraction,
    }
    args = [
        f"--spec {spec_path(model.name)}",
        "--data ${{inputs.training_data}}",
        "--model ${{outputs.model}}",
        "--seed ${{inputs.seed}}",
        "--test-fraction ${{inputs.test_fraction}}",
    ]
    for name, value in sorted(training.hyperparameters.items()):
        if value is None:
            continue  # the spec holds it; Azure ML inputs cannot be null
        if not _INPUT_NAME.match(name):
            where = model.origin.at("training", "hyperparameters", name)
            raise CatalogInvalid([where.error(f"hyper-parameter {name!r} cannot be passed to an Azure ML job",
                                              "use lower-case letters, digits and underscores", key=True)])
        inputs[f"hp_{name}"] = value
        arg = f"{name}=${{{{inputs.hp_{name}}}}}"
        args.append(f'--hp "{arg}"' if isinstance(value, str) else f"--hp {arg}")
    command = "python train.py \\\n" + " \\\n".join(f"  {a}" for a in args) + "\n"
    return {
        "$schema": f"{SCHEMA_BASE}/commandJob.schema.json",
        "type": "command",
        "display_name": training_job_name(model.name),
        "experiment_name": training_job_name(model.name),
        "description": f"Train {model.name} ({model.task}, {training.algorithm}) on {model.dataset}.",
        "tags": _tags(model),
        "code": "./src",
        "command": command,
        "inputs": inputs,
        "outputs": {"model": {"type": "custom_model", "name": registered_model_name(model.name)}},
        "environment": environment_ref(catalog),
        "compute": compute_ref(training.compute),
    }


def primary_metric(model: Model) -> str:
    """The catalog's primary metric in Azure ML's snake_case ('AUC_weighted' → 'auc_weighted')."""
    assert model.training.automl is not None
    raw = str(model.training.automl["primary_metric"])
    metric = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", raw).lower()
    allowed = PRIMARY_METRICS[model.task]
    if metric not in allowed:
        where = model.origin.at("training", "automl", "primary_metric")
        raise CatalogInvalid([where.error(f"automated ML {model.task} has no primary metric {raw!r}",
                                          f"use one of: {', '.join(allowed)}")])
    return metric


def mltable_path(model: Model) -> str:
    return f"aml/mltable/{model.name}/MLTable"


def mltable(catalog: Catalog, model: Model) -> dict[str, Any]:
    """Automated ML reads tables as MLTable: the dataset's Parquet files, only features and label
    (so keys and other columns never become features)."""
    assert model.label is not None
    return {
        "$schema": f"{SCHEMA_BASE}/MLTable.schema.json",
        "type": "mltable",
        "paths": [{"pattern": training_data_uri(catalog, model) + "*.parquet"}],
        "transformations": ["read_parquet", {"keep_columns": [*model.features, model.label]}],
    }


def automl_job(catalog: Catalog, model: Model) -> dict[str, Any]:
    assert model.training.automl is not None and model.label is not None
    automl = model.training.automl
    limits = {k: automl[k] for k in ("max_trials", "timeout_minutes") if automl.get(k) is not None}
    job: dict[str, Any] = {
        "$schema": f"{SCHEMA_BASE}/autoMLJob.schema.json",
        "type": "automl",
        "task": model.task,
        "display_name": training_job_name(model.name),
        "experiment_name": training_job_name(model.name),
        "description": f"Automated ML {model.task} for {model.name} on {model.dataset} "
                       f"(seed {model.training.seed} is recorded as a tag: automated ML takes none).",
        "tags": _tags(model),
        "compute": compute_ref(model.training.compute),
        "primary_metric": primary_metric(model),
        "target_column_name": model.label,
        "training_data": {"type": "mltable", "path": f"./mltable/{model.name}"},
        # The best model is scored on this held-out share after the search (like test_fraction).
        "test_data_size": model.training.test_fraction,
        "featurization": {"mode": "auto"},
    }
    if limits:
        job["limits"] = limits
    job["outputs"] = {"best_model": {"type": "mlflow_model", "name": registered_model_name(model.name)}}
    return job


def artifacts(catalog: Catalog, model: Model) -> list[Artifact]:
    elements = (f"model:{model.name}", f"dataset:{model.dataset}")
    path = f"aml/train_{model.name}.yml"
    if model.training.automl is None:
        return [yaml_artifact(path, command_job(catalog, model), elements)]
    return [
        yaml_artifact(path, automl_job(catalog, model), elements),
        yaml_artifact(mltable_path(model), mltable(catalog, model), elements),
    ]
