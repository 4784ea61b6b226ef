"""Run generated Data Factory pipelines locally.

Microsoft's data-factory-testing-framework walks each pipeline: it evaluates every expression and
decides, from ``dependsOn`` and the control activities (If, Until, Filter, SetVariable…), which
activity runs next. Each activity it hands over is executed here for real and its status and
output fed back with ``set_result``, so conditions, loops and failure paths behave as in Azure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.local.adf_tree import plain
from lakewharf.local.context import LOCAL_STACK_SUFFIX, Measured, RunContext
from lakewharf.model import naming


@dataclass
class ActivityRun:
    pipeline: str
    activity: str
    type: str
    status: str
    seconds: float
    measured: Measured
    error: str = ""


@dataclass
class PipelineRun:
    pipeline: str
    run_id: str
    status: str  # Succeeded | Failed | Skipped
    seconds: float
    error: str = ""
    activities: list[ActivityRun] = field(default_factory=list)


Listener = Callable[[ActivityRun], None]
_CONTROL = {"SetVariable", "AppendVariable", "Filter", "IfCondition", "Until", "ForEach", "Switch"}


def _execute(ctx: RunContext, activity: Any) -> tuple[dict[str, Any], Measured]:
    from lakewharf.local.copy_activity import run_copy
    from lakewharf.local.sql_activities import copy_into_handler, run_lookup, run_serverless, run_warehouse
    from lakewharf.local.web_activity import run_web

    kind = activity.type
    props = plain(activity.type_properties)
    if kind == "Copy":
        return run_copy(
            ctx,
            activity.name,
            props,
            plain(activity.all_properties.get("inputs", [])),
            plain(activity.all_properties.get("outputs", [])),
        )
    if kind == "Script":
        service = activity.all_properties["linkedServiceName"]["referenceName"]
        texts = [s["text"] for s in props.get("scripts", [])]
        params = {p["name"]: p.get("value") for p in props.get("parameters", []) or []}
        params |= {p["name"]: p.get("value") for s in props.get("scripts", []) for p in s.get("parameters", []) or []}
        if service == naming.LS_SYNAPSE_SERVERLESS:
            return run_serverless(ctx, texts, {k.lstrip("@"): v for k, v in params.items()})
        counter = Measured()
        ctx.warehouse.copy_into = copy_into_handler(ctx, counter)
        return run_warehouse(ctx, texts, counter), counter
    if kind == "Lookup":
        return run_lookup(ctx, props, props.get("dataset", {}))
    if kind == "Delete":
        dataset = ctx.adf.dataset(props["dataset"])
        removed = ctx.lake.delete_prefix(dataset.filesystem or "", (dataset.folder or "").strip("/") + "/")
        return {"filesDeleted": removed}, Measured()
    if kind == "WebActivity":
        return run_web(ctx, props)
    if kind == "Wait":
        return {}, Measured()  # nothing to wait for locally: the work ran synchronously
    raise NotImplementedError(f"activity type {kind} has no local executor")


def run_pipeline(
    ctx: RunContext, name: str, parameters: dict[str, Any], listener: Listener | None = None
) -> PipelineRun:
    from lakewharf.verify.adf_flow import wrap_plain_expressions
    from lakewharf.verify.expression_engine import load_expression_engine

    load_expression_engine()
    from data_factory_testing_framework import TestFramework, TestFrameworkType
    from data_factory_testing_framework.exceptions import NoRemainingPipelineActivitiesMeetDependencyConditionsError
    from data_factory_testing_framework.state import DependencyCondition, RunParameter, RunParameterType

    adf_name = naming.pipeline_name(name)
    raw = json.loads((ctx.adf.root / "pipeline" / f"{adf_name}.json").read_text(encoding="utf-8"))
    ctx.pipeline, ctx.run_id = adf_name, str(uuid.uuid4())
    started = time.perf_counter()
    run = PipelineRun(name, ctx.run_id, "Succeeded", 0.0)
    with _framework_folder(ctx, adf_name, wrap_plain_expressions(raw)) as folder:
        framework = TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=str(folder))
        pipeline = framework.get_pipeline_by_name(adf_name)
    system = {
        "RunId": ctx.run_id,
        "TriggerTime": ctx.trigger_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "TriggerType": "Manual",
        "TriggerName": "wharf-run",
        "DataFactory": f"local-{ctx.catalog.platform.name}",
        "Pipeline": adf_name,
        "GroupId": ctx.run_id,
        "TriggerId": "local",
    }
    params = [RunParameter(RunParameterType.System, k, v) for k, v in system.items()]
    params += [RunParameter(RunParameterType.Global, k, v) for k, v in _globals(ctx).items()]
    params += [RunParameter(RunParameterType.Pipeline, k, v) for k, v in parameters.items()]
    try:
        for activity in framework.evaluate_pipeline(pipeline, params):
            if activity.type == "Fail":
                message = str(plain(activity.type_properties).get("message") or "failed").strip()
                # The framework does not expose activity('x').error, which the message quotes: add the cause.
                cause = next((a.error for a in run.activities if a.error), "")
                if cause and cause not in message:
                    message = f"{message} {cause}"
                run.status, run.error = "Failed", message
                break
            if activity.type in _CONTROL:
                continue  # evaluated by the framework
            begin = time.perf_counter()
            try:
                output, measured = _execute(ctx, activity)
                activity.set_result(DependencyCondition.Succeeded, output)
                seconds = time.perf_counter() - begin
                record = ActivityRun(name, activity.name, activity.type, "Succeeded", seconds, measured)
            except Exception as exc:  # the activity failed: Data Factory's failure path takes over
                message = f"{type(exc).__name__}: {exc}"
                activity.set_result(DependencyCondition.Failed, {"error": {"message": message}})
                record = ActivityRun(
                    name, activity.name, activity.type, "Failed", time.perf_counter() - begin, Measured(), message
                )
                run.status, run.error = "Failed", run.error or message
            run.activities.append(record)
            if listener is not None:
                listener(record)
    except NoRemainingPipelineActivitiesMeetDependencyConditionsError:
        # What is left waits on the success of an activity that failed: Data Factory ends the run
        # there, Failed. Stuck without a failure would be a generator bug: let it surface.
        if run.status != "Failed":
            raise
    run.seconds = time.perf_counter() - started
    ctx.history.append(
        {
            "pipelineName": adf_name,
            "runId": ctx.run_id,
            "status": run.status,
            "runStart": ctx.trigger_time.strftime("%Y-%m-%dT%H:%M:%S"),
            **({"windowEnd": parameters["windowEnd"]} if "windowEnd" in parameters else {}),
        }
    )
    return run


@contextlib.contextmanager
def _framework_folder(ctx: RunContext, name: str, raw: dict[str, Any]) -> Iterator[Path]:
    """The framework reads pipelines from a folder: give it this one pipeline, plain expressions wrapped."""
    path = ctx.files.scratch()
    (path / "pipeline").mkdir()
    (path / "pipeline" / f"{name}.json").write_text(json.dumps(raw))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _globals(ctx: RunContext) -> dict[str, str]:
    """Global parameter values for the local stand-ins (never used to reach Azure)."""
    values = {
        "lake_dfs_endpoint": "https://local-lake.dfs.core.windows.net",
        "ml_region": "local",
        "ml_endpoint_suffix": LOCAL_STACK_SUFFIX,
        "key_vault_url": "https://local-vault.vault.azure.net",
    }
    for path in sorted((ctx.adf.root / "factory").glob("*.json")):
        declared = json.loads(path.read_text(encoding="utf-8"))["properties"].get("globalParameters", {})
        for key in declared:
            values.setdefault(key, f"local-{key}")
    return values


def window(ctx: RunContext, pipeline: str, start: str) -> dict[str, str]:
    """A tumbling-window pipeline run locally covers what no successful run covered yet: from the
    end of the last window that succeeded (else the trigger's start) up to now — so a rerun copies
    no file twice, as the trigger would not run a window twice."""
    name = naming.pipeline_name(pipeline)
    ends = [h["windowEnd"] for h in ctx.history
            if h.get("pipelineName") == name and h.get("status") == "Succeeded" and h.get("windowEnd")]
    return {"windowStart": max([start, *ends]), "windowEnd": ctx.trigger_time.strftime("%Y-%m-%dT%H:%M:%SZ")}


def utc_now() -> dt.datetime:
    """Now, in whole seconds rounded up: Data Factory's times are whole seconds here, and a file
    written just before the run (in the same second) must fall before its trigger time."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=0) + dt.timedelta(seconds=1 if now.microsecond else 0)
