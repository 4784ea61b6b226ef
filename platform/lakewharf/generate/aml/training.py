"""Training as a batch endpoint: a pipeline component deployment that Data Factory invokes.

Data Factory's Azure ML activity only runs v1 published pipelines; for v2, Microsoft operationalizes
training as a pipeline component deployed on a batch endpoint and invoked like a scoring endpoint:
https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-training-pipeline
The generated Data Factory train step (generate/adf/workers_work.py) invokes
``naming.training_endpoint_name`` (e.g. ``retail-train-churn``) with one uri_folder input,
``training_data`` (the model dataset's lake folder), and the experiment name ``train_<model>``.
Per model:

- ``train_<model>_step.yml`` (commandComponent): the command of ``train_<model>.yml``, built by
  ``jobs.command_job`` and turned into a component: its inputs become declarations whose defaults
  are the job's values (seed, test fraction, hyper-parameters), ``training_data`` has no default.
- ``train_<model>_mltable.yml`` (automated ML models only, commandComponent): writes the MLTable
  automated ML needs for the folder it is given (src/mltable.py), because the endpoint's input is a
  uri_folder and automated ML only reads MLTable. Microsoft's pipeline examples do the same (a
  command step with an ``mltable`` output feeding the ``automl`` node).
- ``train_<model>_component.yml`` (pipelineComponent): input ``training_data``; one ``train`` step
  (or ``to_mltable`` → ``train``, the ``jobs.automl_job`` settings as an automl node) on the
  model's training compute.
- ``endpoint_train_<model>.yml`` (batchEndpoint) and ``deployment_train_<model>.yml``
  (batchDeployment with ``type: pipeline``, Microsoft's documented form; azure-ai-ml loads it with
  ``load_pipeline_component_batch_deployment``).

Registration: the step's model output carries ``name: <model>`` (registered_model_name), Azure ML's
documented way to register a child job's output as a named asset, a new version per run:
https://learn.microsoft.com/azure/machine-learning/how-to-manage-inputs-outputs-pipeline#register-output-as-named-asset
The scoring deployment uses it as ``@latest``. The pipeline declares no outputs (the invocation
passes none; hello-batch in azureml-examples has none either).

Components are versioned assets and a version's content cannot change, so ``version`` is a digest
of what the component runs: its own YAML, the code folder (``aml/src``), the environment files and,
for the pipeline, its steps' YAML.
A changed script or spec registers a new version instead of failing with a version conflict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from lakewharf.generate.aml import jobs
from lakewharf.generate.aml.environment import CONDA_FILE, ENVIRONMENT_FILE, SCHEMA_BASE, environment_ref
from lakewharf.generate.aml.spec import spec_path
from lakewharf.generate.artifact import Artifact, yaml_artifact
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Model
from lakewharf.model.naming import TRAINING_INPUT  # what Data Factory's train step sends

MLTABLE_SCRIPT = "mltable.py"
_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def training_deployment_name(model: str) -> str:
    return naming.deployment_name(naming.training_job_name(model))


def pipeline_component_path(model: str) -> str:
    return f"aml/train_{model}_component.yml"


def step_component_path(model: str) -> str:
    return f"aml/train_{model}_step.yml"


def mltable_component_path(model: str) -> str:
    return f"aml/train_{model}_mltable.yml"


def code_digest(built: Iterable[Artifact]) -> str:
    """What every component's run depends on besides its own YAML: the code folder and environment."""
    digest = hashlib.sha256()
    for artifact in sorted(built, key=lambda a: a.path):
        if artifact.path.startswith("aml/src/") or artifact.path in (ENVIRONMENT_FILE, CONDA_FILE):
            digest.update(artifact.path.encode() + b"\0" + artifact.content + b"\0")
    return digest.hexdigest()


def _versioned(component: dict[str, Any], code: str) -> dict[str, Any]:
    """``component`` with ``version`` (after ``name``): a digest of its content and ``code``."""
    body = yaml_artifact("-", component, ()).content
    version = hashlib.sha256(code.encode() + body).hexdigest()[:12]
    out: dict[str, Any] = {}
    for key, value in component.items():
        out[key] = value
        if key == "name":
            out["version"] = version
    return out


def _declaration(name: str, value: Any) -> dict[str, Any]:
    """A command job input (a value) as a component input (a type and a default)."""
    if isinstance(value, dict):  # a data input: keep its type and mode, not the job's path
        return {k: v for k, v in value.items() if k != "path"}
    for python_type, azure_type in _TYPES:
        if isinstance(value, python_type):
            return {"type": azure_type, "default": value}
    raise TypeError(f"input {name}: cannot declare a {type(value).__name__} as an Azure ML component input")


def step_component(catalog: Catalog, model: Model, code: str) -> dict[str, Any]:
    """``train_<model>.yml``'s command as a command component (no compute, no registration: the
    pipeline step sets both)."""
    job = jobs.command_job(catalog, model)
    inputs = {name: _declaration(name, value) for name, value in job["inputs"].items()}
    inputs[TRAINING_INPUT]["description"] = "The model dataset's lake folder (Parquet)."
    return _versioned({
        "$schema": f"{SCHEMA_BASE}/commandComponent.schema.json",
        "type": "command",
        "name": naming.training_job_name(model.name),
        "display_name": job["display_name"],
        "description": job["description"],
        "tags": job["tags"],
        "code": job["code"],
        "command": job["command"],
        "environment": job["environment"],
        "inputs": inputs,
        "outputs": {name: {"type": output["type"]} for name, output in job["outputs"].items()},
    }, code)


def mltable_component(catalog: Catalog, model: Model, code: str) -> dict[str, Any]:
    return _versioned({
        "$schema": f"{SCHEMA_BASE}/commandComponent.schema.json",
        "type": "command",
        "name": f"{naming.training_job_name(model.name)}_mltable",
        "display_name": f"{naming.training_job_name(model.name)}_mltable",
        "description": f"The MLTable automated ML reads for {model.name}: the folder's Parquet files, "
                       "features and label only (src/mltable.py).",
        "tags": {"lakewharf_model": model.name, "dataset": model.dataset},
        "code": "./src",
        "command": (f"python {MLTABLE_SCRIPT} --spec {spec_path(model.name)} "
                    f"--data ${{{{inputs.{TRAINING_INPUT}}}}} --table ${{{{outputs.table}}}}\n"),
        "environment": environment_ref(catalog),
        # direct: the step gets the folder's URI, which the MLTable points at (nothing is copied).
        "inputs": {TRAINING_INPUT: {"type": "uri_folder", "mode": "direct"}},
        "outputs": {"table": {"type": "mltable"}},
    }, code)


def _parent_input() -> str:
    return f"${{{{parent.inputs.{TRAINING_INPUT}}}}}"


def _command_steps(catalog: Catalog, model: Model) -> dict[str, Any]:
    job = jobs.command_job(catalog, model)
    return {"train": {
        "type": "command",
        "component": "./" + step_component_path(model.name).removeprefix("aml/"),
        "compute": job["compute"],
        "inputs": {TRAINING_INPUT: _parent_input()},
        "outputs": job["outputs"],  # {model: {type: custom_model, name: <registered model name>}}
    }}


def _automl_steps(catalog: Catalog, model: Model) -> dict[str, Any]:
    job = jobs.automl_job(catalog, model)
    node = {k: v for k, v in job.items() if k not in ("$schema", "experiment_name")}
    node["training_data"] = "${{parent.jobs.to_mltable.outputs.table}}"
    return {
        "to_mltable": {
            "type": "command",
            "component": "./" + mltable_component_path(model.name).removeprefix("aml/"),
            "compute": job["compute"],
            "inputs": {TRAINING_INPUT: _parent_input()},
        },
        "train": node,  # outputs: {best_model: {type: mlflow_model, name: <registered model name>}}
    }


def pipeline_component(catalog: Catalog, model: Model, code: str) -> dict[str, Any]:
    automl = model.training.automl is not None
    how = "automated ML" if automl else f"{model.training.algorithm} with train.py"
    return _versioned({
        "$schema": f"{SCHEMA_BASE}/pipelineComponent.schema.json",
        "type": "pipeline",
        "name": f"{naming.training_job_name(model.name)}_pipeline",
        "display_name": naming.training_job_name(model.name),
        "description": (f"Train {model.name} ({model.task}, {how}) on the given folder and register it as "
                        f"model {naming.registered_model_name(model.name)}. Deployed on batch endpoint "
                        f"{naming.training_endpoint_name(catalog.platform.name, model.name)}."),
        "tags": {"lakewharf_model": model.name, "dataset": model.dataset, "task": model.task},
        "inputs": {TRAINING_INPUT: {
            "type": "uri_folder",
            "description": f"The {model.dataset} folder, e.g. {jobs.training_data_uri(catalog, model)}",
        }},
        "jobs": _automl_steps(catalog, model) if automl else _command_steps(catalog, model),
    }, code)


def endpoint(catalog: Catalog, model: Model) -> dict[str, Any]:
    return {
        "$schema": f"{SCHEMA_BASE}/batchEndpoint.schema.json",
        "name": naming.training_endpoint_name(catalog.platform.name, model.name),
        "description": (f"Training of {model.name}. Invoke with input {TRAINING_INPUT} = "
                        f"{jobs.training_data_uri(catalog, model)}; registers model "
                        f"{naming.registered_model_name(model.name)}."),
        "auth_mode": "aad_token",
        "defaults": {"deployment_name": training_deployment_name(model.name)},
    }


def deployment(catalog: Catalog, model: Model) -> dict[str, Any]:
    compute = jobs.compute_ref(model.training.compute).removeprefix("azureml:")
    return {
        # Microsoft's reference and examples use the batchDeployment schema with `type: pipeline`:
        # https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-batch
        "$schema": f"{SCHEMA_BASE}/batchDeployment.schema.json",
        "name": training_deployment_name(model.name),
        "endpoint_name": naming.training_endpoint_name(catalog.platform.name, model.name),
        "type": "pipeline",
        "description": f"Trains {model.name} with {pipeline_component_path(model.name).removeprefix('aml/')}.",
        "tags": {"lakewharf_model": model.name, "task": model.task},
        "component": "./" + pipeline_component_path(model.name).removeprefix("aml/"),
        "settings": {
            "default_compute": compute,  # a bare name, as in Microsoft's examples (settings pass as is)
            "continue_on_step_failure": False,  # a failed step fails the job, and the Data Factory run
        },
    }


def artifacts(catalog: Catalog, model: Model, code: str) -> list[Artifact]:
    """``code``: ``code_digest`` of the code folder and environment artifacts already generated."""
    elements = (f"model:{model.name}", f"dataset:{model.dataset}")
    if model.training.automl is None:
        steps = [yaml_artifact(step_component_path(model.name), step_component(catalog, model, code), elements)]
    else:
        steps = [yaml_artifact(mltable_component_path(model.name), mltable_component(catalog, model, code),
                               elements)]
    # The pipeline's version also follows its steps' (a step's command can change on its own).
    code = hashlib.sha256(code.encode() + b"".join(step.content for step in steps)).hexdigest()
    return [
        *steps,
        yaml_artifact(pipeline_component_path(model.name), pipeline_component(catalog, model, code), elements),
        yaml_artifact(f"aml/endpoint_train_{model.name}.yml", endpoint(catalog, model), (f"model:{model.name}",)),
        yaml_artifact(f"aml/deployment_train_{model.name}.yml", deployment(catalog, model), (f"model:{model.name}",)),
    ]
