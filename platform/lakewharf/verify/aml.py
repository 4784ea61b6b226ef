"""Check Azure ML v2 YAML with azure-ai-ml's own loaders (the ones ``az ml ... create`` uses).

Each ``*.yml`` / ``*.yaml`` is dispatched on its ``$schema`` URL (generators always write one;
a ``type`` is the fallback) to the matching ``load_*``. The loaders run the SDK's marshmallow
schemas, which reject unknown fields, missing required fields, bad enum values and local paths
(``code:``, ``conda_file:``) that do not exist. On top of that:

- jobs: ``load_job(f)._to_job()._validate()`` raises when ``command`` uses ``${{inputs.x}}`` for
  an input the job does not declare; the SDK does not look at ``${{outputs.x}}``, so we do;
- components: ``_validate()`` returns a result naming bad ``${{inputs/outputs.x}}`` bindings;
- batch deployments: today's ``type: model`` form needs ``load_model_batch_deployment`` (the
  top-level ``load_batch_deployment`` still uses the old schema and rejects ``settings:``).

Measured: ``import azure.ai.ml`` ~0.7-1 s once; each load 1-10 ms.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import yaml

from lakewharf.verify import Problem, quiet_loggers

# Stem of the $schema file name (".../latest/commandJob.schema.json") -> loader in
# azure.ai.ml.entities._load_functions.
SCHEMA_LOADERS: dict[str, str] = {
    "commandJob": "load_job",
    "pipelineJob": "load_job",
    "sweepJob": "load_job",
    "sparkJob": "load_job",
    "autoMLJob": "load_job",
    "commandComponent": "load_component",
    "pipelineComponent": "load_component",
    "sparkComponent": "load_component",
    "parallelComponent": "load_component",
    "environment": "load_environment",
    "model": "load_model",
    "data": "load_data",
    "batchEndpoint": "load_batch_endpoint",
    "batchDeployment": "load_batch_deployment",
    "modelBatchDeployment": "load_model_batch_deployment",
    "pipelineComponentBatchDeployment": "load_pipeline_component_batch_deployment",
    "managedOnlineEndpoint": "load_online_endpoint",
    "kubernetesOnlineEndpoint": "load_online_endpoint",
    "managedOnlineDeployment": "load_online_deployment",
    "kubernetesOnlineDeployment": "load_online_deployment",
    "schedule": "load_schedule",
    "amlCompute": "load_compute",
    "computeInstance": "load_compute",
}
_JOB_TYPES = {"command", "pipeline", "sweep", "spark", "automl"}
_SCHEMA_STEM = re.compile(r"/([A-Za-z]+)\.schema\.json$")
_OUTPUT_REF = re.compile(r"\$\{\{\s*outputs\.([\w.-]+)\s*\}\}")
_PARENT_REF = re.compile(r"\$\{\{\s*parent\.(inputs|outputs|jobs)\.([\w-]+)[^}]*\}\}")


def check_aml_tree(aml_dir: Path) -> list[Problem]:
    """Load every Azure ML YAML file under ``aml_dir`` (recursively) with azure-ai-ml."""
    problems: list[Problem] = []
    files = sorted({*aml_dir.rglob("*.yml"), *aml_dir.rglob("*.yaml")})
    # azure-ai-ml 1.35 on marshmallow 3.2x emits thousands of deprecation warnings per load.
    with warnings.catch_warnings(), quiet_loggers("azure.ai.ml", "azure.ai.ml._utils._experimental"):
        warnings.simplefilter("ignore")
        from azure.ai.ml.entities import _load_functions

        for path in files:
            rel = path.relative_to(aml_dir).as_posix()
            problems += [Problem(rel, message) for message in _check_file(path, _load_functions)]
    return problems


def _check_file(path: Path, load_functions: Any) -> list[str]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"not valid YAML: {exc}"]
    if not isinstance(doc, dict):
        return ["expected a YAML mapping"]
    loader_name = _pick_loader(doc)
    if loader_name is None:
        if _is_companion_file(doc):
            return []
        return [f"cannot tell which azure-ai-ml loader applies ($schema {doc.get('$schema')!r}, "
                f"type {doc.get('type')!r})"]
    loader = getattr(load_functions, loader_name)
    try:
        entity = loader(source=path)
        return _validate(entity, doc, loader_name)
    except Exception as exc:  # marshmallow ValidationError, azure ValidationException, OSError
        return _messages(exc)


def _pick_loader(doc: dict[str, Any]) -> str | None:
    match = _SCHEMA_STEM.search(str(doc.get("$schema", "")))
    kind = match.group(1) if match else None
    doc_type = str(doc.get("type", "")).lower()
    if kind == "batchDeployment" or (kind is None and "endpoint_name" in doc):
        # Today's batch deployments carry `type: model` / `type: pipeline`; the legacy schema
        # behind load_batch_deployment does not know `settings:` and would reject them.
        if doc_type == "model":
            return "load_model_batch_deployment"
        if doc_type == "pipeline":
            return "load_pipeline_component_batch_deployment"
    if kind is not None:
        return SCHEMA_LOADERS.get(kind)
    if doc_type in _JOB_TYPES:
        # Components are versioned assets; jobs are not.
        return "load_component" if "version" in doc else "load_job"
    return None


def _is_companion_file(doc: dict[str, Any]) -> bool:
    """Conda specs next to environments: not Azure ML entities, checked via their environment."""
    return "$schema" not in doc and "dependencies" in doc and "type" not in doc


def _validate(entity: Any, doc: dict[str, Any], loader_name: str) -> list[str]:
    messages: list[str] = []
    if loader_name == "load_job":
        declared = set((doc.get("outputs") or {}).keys())
        for name in _OUTPUT_REF.findall(str(doc.get("command", ""))):
            if name not in declared:
                messages.append(f"command: references ${{{{outputs.{name}}}}} but outputs does not declare it")
        messages += _parent_bindings(doc)
        job = entity._to_job() if hasattr(entity, "_to_job") else entity
        try:  # CommandJob raises ValidationException; PipelineJob returns a result
            if hasattr(job, "_validate"):
                messages += _result_messages(job._validate())
            else:  # AutoML jobs have no _validate; building the REST payload checks them instead
                job._to_rest_object()
        except Exception as exc:
            messages += _messages(exc)
    elif loader_name == "load_component":
        messages += _parent_bindings(doc) + _result_messages(entity._validate())
    return messages


def _parent_bindings(doc: dict[str, Any]) -> list[str]:
    """``${{parent.inputs.x}}`` / ``${{parent.jobs.step...}}`` in a pipeline job must name something
    declared: PipelineJob._validate() lets dangling bindings through (the service rejects them)."""
    declared = {key: set((doc.get(key) or {}).keys()) for key in ("inputs", "outputs", "jobs")}
    messages: list[str] = []
    for step, body in (doc.get("jobs") or {}).items():
        for kind, name in _PARENT_REF.findall(json.dumps(body)):
            if name not in declared[kind]:
                messages.append(f"jobs.{step}: ${{{{parent.{kind}.{name}}}}} is not declared in {kind}")
    return messages


def _result_messages(result: Any) -> list[str]:
    if result is None or getattr(result, "passed", True):
        return []
    return [f"{path}: {message}" for path, message in sorted(result.error_messages.items())]


def _messages(exc: Exception) -> list[str]:
    """Field-named messages out of azure-ai-ml's nested marshmallow errors."""
    from marshmallow import ValidationError

    if isinstance(exc, ValidationError):
        found: list[str] = []
        for text in _strings(exc.messages):
            found += _flatten_error_text(text, "")
        if not found and isinstance(exc.messages, dict):
            found = _flatten(exc.messages, "")
        return _first_per_field(found) or [" ".join(str(exc).split())]
    return [f"{type(exc).__name__}: {' '.join(str(exc).split())}"]


def _first_per_field(messages: list[str]) -> list[str]:
    """Union fields (``code:`` is a path, URL, git or azureml: ref) explain every alternative; the
    first is the one that matters for generated YAML."""
    firsts: dict[str, str] = {}
    counts: dict[str, int] = {}
    for message in messages:
        field = message.split(": ", 1)[0]
        firsts.setdefault(field, message)
        counts[field] = counts.get(field, 0) + 1
    return [m if counts[f] == 1 else f"{m} (+{counts[f] - 1} alternatives rejected)" for f, m in firsts.items()]


def _strings(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, list):
        return [s for m in messages for s in _strings(m)]
    return []


def _flatten_error_text(text: str, prefix: str) -> list[str]:
    """azure-ai-ml wraps errors as 'Validation for XSchema failed:\\n\\n {json} ...' (nested)."""
    start = text.find("{")
    try:
        data, _ = json.JSONDecoder().raw_decode(text, start) if start >= 0 else (None, 0)
    except ValueError:
        data = None
    if data is None:
        return _flatten(text, prefix)
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        found: list[str] = []
        for err in data["errors"]:
            path = err.get("path") if isinstance(err, dict) else None
            sub = _join(prefix, "" if path in (None, "*") else str(path))
            found += _flatten_error_text(str(err.get("message", "")), sub) if isinstance(err, dict) else []
        return found
    return _flatten(data, prefix)


def _flatten(data: Any, prefix: str) -> list[str]:
    if isinstance(data, dict):
        return [m for key, value in data.items()
                for m in _flatten(value, prefix if key == "_schema" else _join(prefix, str(key)))]
    if isinstance(data, list):
        return [m for value in data for m in _flatten(value, prefix)]
    text = " ".join(str(data).split())
    return [f"{prefix}: {text}" if prefix else text]


def _join(prefix: str, key: str) -> str:
    if not key:
        return prefix
    return f"{prefix}.{key}" if prefix else key
