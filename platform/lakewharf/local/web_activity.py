"""Web activities, locally: the three Azure services the generated pipelines call over REST.

- Key Vault ``…/secrets/<name>``: the hash salt. Locally it comes from ``WHARF_HASH_SALT`` or a
  fixed development value; local data is synthetic and the value is not a secret.
- Data Factory ``queryPipelineRuns``: answered from the runs recorded in ``.wharf/runs.json``.
- Azure ML batch endpoints ``https://<endpoint>-locl.<region>.inference.ml.azure.com/jobs``: the
  generated ``train.py``/``score.py`` run here on the lake's files (scikit-learn, the same code the
  deployments run), and the job is reported Completed or Failed when the pipeline polls it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from typing import Any
from urllib.parse import urlparse

from lakewharf.local.context import LOCAL_STACK_SUFFIX, Measured, RunContext
from lakewharf.model import lake, naming

LOCAL_SALT = "lakewharf-local-development-salt"


class WebCallFailed(RuntimeError):
    pass


def run_web(ctx: RunContext, props: dict[str, Any]) -> tuple[dict[str, Any], Measured]:
    url = str(props.get("url", ""))
    host = urlparse(url).hostname or ""
    if "/secrets/" in url:
        return {"value": os.environ.get("WHARF_HASH_SALT", LOCAL_SALT)}, Measured()
    if url.split("?")[0].endswith("/queryPipelineRuns"):
        return _pipeline_runs(ctx, props), Measured()
    if host.endswith(".inference.ml.azure.com") or ".inference.ml.azure.com" in url:
        endpoint = host.split(".")[0]
        if props.get("method", "GET").upper() == "POST":
            return _invoke(ctx, endpoint, json.loads(props.get("body") or "{}"))
        job = url.rstrip("/").rsplit("/", 1)[-1]
        return {"properties": {"status": ctx.ml_jobs.get(job, "Failed")}}, Measured()
    raise WebCallFailed(f"no local stand-in for the web call {props.get('method', 'GET')} {url}")


def _pipeline_runs(ctx: RunContext, props: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(props.get("body") or "{}")
    filters = {f["operand"]: f["values"] for f in body.get("filters", [])}
    runs = [
        r
        for r in ctx.history
        if r["pipelineName"] in filters.get("PipelineName", [r["pipelineName"]])
        and r["status"] in filters.get("Status", [r["status"]])
    ]
    return {"value": sorted(runs, key=lambda r: r["runStart"], reverse=True)}


def _datastore_folder(ctx: RunContext, uri: str) -> tuple[str, str]:
    m = re.match(r"azureml://datastores/([^/]+)/paths/(.*)$", uri)
    if not m or m.group(1) not in ctx.catalog.platform.zones:
        raise WebCallFailed(f"unknown Azure ML datastore in {uri}")
    return ctx.filesystem(m.group(1)), m.group(2).strip("/")


def _invoke(ctx: RunContext, endpoint: str, body: dict[str, Any]) -> tuple[dict[str, Any], Measured]:
    platform = ctx.catalog.platform.name
    inputs = body.get("properties", {}).get("InputData", {})
    outputs = body.get("properties", {}).get("OutputData", {})
    job = f"local-{uuid.uuid4().hex[:12]}"
    for model in ctx.catalog.models.values():
        training = naming.training_endpoint_name(platform, model.name)
        scoring = naming.batch_endpoint_name(platform, model.name)
        if endpoint == naming.deployed_endpoint_name(training, LOCAL_STACK_SUFFIX):
            measured = _train(ctx, model.name, _datastore_folder(ctx, next(iter(inputs.values()))["Uri"]))
            break
        if endpoint == naming.deployed_endpoint_name(scoring, LOCAL_STACK_SUFFIX):
            source = _datastore_folder(ctx, next(iter(inputs.values()))["Uri"])
            target = _datastore_folder(ctx, next(iter(outputs.values()))["Uri"])
            measured = _score(ctx, model.name, source, target, job)
            break
    else:
        raise WebCallFailed(f"batch endpoint {endpoint} belongs to no model of the catalog")
    ctx.ml_jobs[job] = "Completed"
    return {"id": f"/jobs/{job}", "name": job, "properties": {"status": "Completed"}}, measured


def _python(ctx: RunContext, script: str, *args: str) -> None:
    src = ctx.build / "aml" / "src"
    result = subprocess.run([sys.executable, script, *args], cwd=src, capture_output=True, text=True)
    if result.returncode != 0:
        # The exception line says what to fix (a hyperparameter typo, a missing column); the stack
        # above it is the generated script's own, one `python <script>` away for whoever needs it.
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise WebCallFailed(f"{script} failed: {lines[-1].strip() if lines else f'exit status {result.returncode}'}")


def _models_root(ctx: RunContext, model: str) -> Any:
    return ctx.settings.state / lake.model_folder(model)


def _train(ctx: RunContext, model: str, data: tuple[str, str]) -> Measured:
    root = _models_root(ctx, model)
    existing = [int(p.name) for p in root.glob("[0-9]*") if p.name.isdigit()]
    version = str(max(existing, default=0) + 1)
    folder = ctx.files.folder(*data)
    _python(ctx, "train.py", "--spec", f"specs/{model}.json", "--data", str(folder), "--model", str(root / version))
    ctx.model_versions[model] = version
    metrics_file = root / version / "metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else {}
    return Measured(notes=[f"model {model} version {version}"],
                    trained={"model": model, "version": int(version), "metrics": metrics})


def _score(ctx: RunContext, model: str, data: tuple[str, str], target: tuple[str, str], job: str) -> Measured:
    import pyarrow.parquet as pq

    root = _models_root(ctx, model)
    versions = sorted(int(p.name) for p in root.glob("[0-9]*") if p.name.isdigit())
    if not versions:
        raise WebCallFailed(f"model {model} has no trained version: run the pipeline that trains it first")
    out = ctx.files.scratch()
    _python(
        ctx,
        "score.py",
        "--model",
        str(root / str(versions[-1])),
        "--input",
        str(ctx.files.folder(*data)),
        "--output",
        str(out),
        "--run-id",
        job,
        "--model-version",
        str(versions[-1]),
        "--scored-at",
        ctx.trigger_time.isoformat(),
    )
    written = sum(pq.read_metadata(p).num_rows for p in out.rglob("*.parquet"))
    ctx.files.upload_folder(out, target[0], target[1])
    return Measured(rows_written=written, notes=[f"model {model} version {versions[-1]}"])
