"""Run generated Data Factory pipelines locally.

Microsoft's data-factory-testing-framework walks each pipeline: it evaluates every expression and
decides, from ``dependsOn`` and the control activities (If, Until, Filter, SetVariable…), which
activity runs next. Each activity it hands over is executed here for real and its status and
output fed back with ``set_result``, so conditions, loops and failure paths behave as in Azure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.artifacts.adf_tree import plain
from lakewharf.local.context import LOCAL_STACK_SUFFIX, Measured, RunContext
from lakewharf.local.item_pool import Item, ItemPool, can_run_items_at_once, item_pool, parallel_items, workers
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
_LEVEL = re.compile(r"L(\d+)_")


def _execute(ctx: RunContext, activity: Any) -> tuple[dict[str, Any], Measured]:
    from lakewharf.local.copy_activity import run_copy
    from lakewharf.local.sql_activities import LakeCopy, run_lookup, run_serverless, run_warehouse
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
        ctx.warehouse.copy_into = LakeCopy(ctx, counter)
        return run_warehouse(ctx, texts, counter, {k.lstrip("@"): v for k, v in params.items()}), counter
    if kind == "Lookup":
        return run_lookup(ctx, props, props.get("dataset", {}))
    if kind == "Delete":
        dataset = ctx.adf.dataset(props["dataset"])
        removed = ctx.lake.delete_prefix(dataset.filesystem or "", (dataset.folder or "").strip("/") + "/")
        return {"filesDeleted": removed}, Measured()
    if kind == "WebActivity":
        return run_web(ctx, props)
    if kind == "GetMetadata":  # a source's files (local/media_files.py)
        from lakewharf.local.media_files import run_get_metadata

        return run_get_metadata(ctx, props)
    if kind == "Wait":
        return {}, Measured()  # nothing to wait for locally: the work ran synchronously
    raise NotImplementedError(f"activity type {kind} has no local executor")


def run_pipeline(
    ctx: RunContext, name: str, parameters: dict[str, Any], listener: Listener | None = None
) -> PipelineRun:
    """Walk one orchestrator with data-factory-testing-framework; each Execute Pipeline it yields
    runs its worker (another walk, with the parameters the framework evaluated for the item).

    The items of a level's parallel ForEach run at once, on as many threads as the machine has
    cores (see ``item_pool``); everything else runs here, one activity after another. Before an
    activity of a later level, the running items finish and their results are taken in the order
    the framework yielded them. As in Data Factory, a failed item does not stop the other items of
    its level; the levels after it (which wait for the level's ForEach to succeed) do not run, and
    the run fails naming it.
    """
    from lakewharf.verify.expression_engine import load_expression_engine

    load_expression_engine()
    from data_factory_testing_framework import TestFramework, TestFrameworkType

    adf_name = naming.pipeline_name(name)
    ctx.pipeline, ctx.run_id = adf_name, str(uuid.uuid4())
    started = time.perf_counter()
    run = PipelineRun(name, ctx.run_id, "Succeeded", 0.0)
    batches = parallel_items(ctx.adf.get("pipeline", adf_name).properties) if can_run_items_at_once(ctx) else {}
    size = min([workers(), *batches.values()]) if batches else 0
    with _framework_folder(ctx) as folder:
        def make() -> Any:
            return TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=str(folder),
                                 should_evaluate_child_pipelines=False)

        framework = make()
        with item_pool(make, size) if size > 1 else contextlib.nullcontext() as pool:
            _walk(ctx, framework, pool if size > 1 else None, batches, adf_name, name, parameters, run, listener)
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


def _walk(ctx: RunContext, framework: Any, pool: ItemPool | None, batches: dict[str, int], adf_name: str,
          name: str, parameters: dict[str, Any], run: PipelineRun, listener: Listener | None) -> None:
    from data_factory_testing_framework.exceptions import NoRemainingPipelineActivitiesMeetDependencyConditionsError
    from data_factory_testing_framework.state import DependencyCondition, RunParameter, RunParameterType

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
    inherited = [RunParameter(RunParameterType.System, k, v) for k, v in system.items()]
    inherited += [RunParameter(RunParameterType.Global, k, v) for k, v in _globals(ctx).items()]
    params = inherited + [RunParameter(RunParameterType.Pipeline, k, v) for k, v in parameters.items()]
    failed_level: int | None = None
    item_errors: list[str] = []
    running: list[Item] = []

    def settle() -> None:
        """Wait for the running items; take their results in the order they were started."""
        nonlocal failed_level
        for item in running:
            records, error = item.future.result()
            if item.context is not None:
                ctx.warehouse.translations.add(item.context.warehouse.translations)
            _record(run, records, listener)
            if error:
                failed_level = item.level if item.level is not None else 0
                item_errors.append(error)
        running.clear()

    try:
        for activity in framework.evaluate_pipeline(pipeline, params):
            level = activity_level(activity.name)
            if running and not (level is not None and level == running[0].level
                                and (activity.type == "Lookup" or activity.name in batches)):
                settle()  # what comes next may need the level's results (or the levels wait for it)
            if failed_level is not None and (level is None or level > failed_level):
                break  # it waits for the failed level's ForEach to succeed: Data Factory stops here
            if activity.type == "Fail":
                message = plain(activity.type_properties).get("message") or "failed"
                run.status, run.error = "Failed", str(message).strip()
                break
            if activity.type == "ExecutePipeline":
                worker = activity.type_properties["pipeline"]["referenceName"]
                values = {k: plain(v) for k, v in (activity.type_properties.get("parameters") or {}).items()}
                child = inherited + [RunParameter(RunParameterType.Pipeline, k, v) for k, v in values.items()]
                if pool is not None and activity.name in batches:
                    # The item's only activity in its ForEach: nothing in the walk reads its result, which
                    # is taken (and a failure acted on) when the level is settled.
                    running.append(pool.submit(ctx, functools.partial(_run_worker, pipeline=name, worker=worker,
                                                                      values=values, params=child), level))
                    activity.set_result(DependencyCondition.Succeeded, {})
                    continue
                records, error = _run_worker(ctx, framework, pipeline=name, worker=worker, values=values,
                                              params=child)
                _record(run, records, listener)
                if error:
                    activity.set_result(DependencyCondition.Failed, {"error": {"message": error}})
                    failed_level = level if level is not None else 0
                    item_errors.append(error)
                else:
                    activity.set_result(DependencyCondition.Succeeded, {})
                continue
            if activity.type in _CONTROL:
                continue  # evaluated by the framework
            record, error = _run_activity(ctx, activity, name, activity.name)
            if running:  # a Lookup of the running level: its line goes where a sequential run puts it
                running.append(Item.done(level, [record]))
            else:
                _record(run, [record], listener)
            if error:
                run.status, run.error = "Failed", run.error or error
    except NoRemainingPipelineActivitiesMeetDependencyConditionsError:
        # What is left waits on the success of an activity that failed: Data Factory ends the run
        # there, Failed. Stuck without a failure would be a generator bug: let it surface.
        if run.status != "Failed":
            raise
    finally:
        settle()
    if item_errors:
        run.status = "Failed"
        run.error = run.error or "; ".join(item_errors)


def _record(run: PipelineRun, records: list[ActivityRun], listener: Listener | None) -> None:
    run.activities += records
    for record in records if listener is not None else ():
        listener(record)  # type: ignore[misc]


def activity_level(name: str) -> int | None:
    """The dependency level of an orchestrator activity (``L03_load__items`` → 3), None outside levels."""
    match = _LEVEL.match(name)
    return int(match.group(1)) if match else None


def _run_activity(ctx: RunContext, activity: Any, pipeline: str, label: str) -> tuple[ActivityRun, str]:
    """Execute one activity for real and feed its result back to the framework."""
    from data_factory_testing_framework.state import DependencyCondition

    begin = time.perf_counter()
    try:
        output, measured = _execute(ctx, activity)
        activity.set_result(DependencyCondition.Succeeded, output)
        return ActivityRun(pipeline, label, activity.type, "Succeeded", time.perf_counter() - begin, measured), ""
    except Exception as exc:  # the activity failed: Data Factory's failure path takes over
        from lakewharf.local.tsql_local import ThrownError

        # A THROW reaches Data Factory as the SQL error's own text (a data test's message).
        message = f"SQL error {exc.number}: {exc}" if isinstance(exc, ThrownError) else f"{type(exc).__name__}: {exc}"
        activity.set_result(DependencyCondition.Failed, {"error": {"message": message}})
        seconds = time.perf_counter() - begin
        return ActivityRun(pipeline, label, activity.type, "Failed", seconds, Measured(), message), message


def _run_worker(ctx: RunContext, framework: Any, *, pipeline: str, worker: str, values: dict[str, Any],
                params: list[Any]) -> tuple[list[ActivityRun], str]:
    """Run one item's worker pipeline: its activity records and its error ("" when it succeeded).
    The report gets one line per item and activity (``<item>/<activity>``; a ForEach's repeated
    batches merged). ``ctx`` is the item's own when it runs on a thread."""
    from data_factory_testing_framework.exceptions import NoRemainingPipelineActivitiesMeetDependencyConditionsError

    item = str(values.get("item") or worker)
    ctx.target = str(values.get("target") or "")
    records: list[ActivityRun] = []
    error = ""
    try:
        for activity in framework.evaluate_pipeline(framework.get_pipeline_by_name(worker), params):
            if activity.type == "Fail":
                error = str(plain(activity.type_properties).get("message") or "failed").strip()
                break
            if activity.type in _CONTROL:
                continue
            record, failure = _run_activity(ctx, activity, pipeline, f"{item}/{activity.name}")
            if records and records[-1].activity == record.activity:
                _merge(records[-1], record)
            else:
                records.append(record)
            # On a failure the walk goes on, as in Data Factory: the activity's catch (a Fail naming the
            # item's step) comes next, or nothing when the activity was best-effort. Inside a ForEach
            # or Until the framework does not fail the container, so its catch is applied here.
            container = _containers(ctx, worker).get(activity.name)
            if failure and container is not None:
                error = (f"Step '{values.get('step')}' ({values.get('kind')} {values.get('target')}) of pipeline "
                         f"{values.get('pipeline')} failed in activity '{container}': {failure}")
                break
    except NoRemainingPipelineActivitiesMeetDependencyConditionsError:
        pass  # what is left are the catches of activities that did not fail: Data Factory skips them
    if error and records and records[-1].error and records[-1].error not in error:
        error = f"{error} {records[-1].error}"  # the framework does not expose activity('x').error
    ctx.target = ""
    return records, error


def _containers(ctx: RunContext, worker: str) -> dict[str, str]:
    """Activities nested in a caught ForEach or Until of ``worker`` → that container's name."""
    top = ctx.adf.get("pipeline", worker).properties["activities"]
    caught = {d["activity"] for a in top if a.get("type") == "Fail" for d in a.get("dependsOn", [])}
    return {inner["name"]: a["name"] for a in top if a["name"] in caught
            for inner in a.get("typeProperties", {}).get("activities", [])}


def _merge(into: ActivityRun, more: ActivityRun) -> None:
    into.seconds += more.seconds
    if more.status == "Failed":
        into.status, into.error = "Failed", more.error
    a, b = into.measured, more.measured
    for key in ("rows_read", "rows_written", "rows_rejected"):
        x, y = getattr(a, key), getattr(b, key)
        if y is not None:
            setattr(a, key, (x or 0) + y)
    a.notes += b.notes
    a.warnings += b.warnings
    a.trained = a.trained or b.trained


@contextlib.contextmanager
def _framework_folder(ctx: RunContext) -> Iterator[Path]:
    """The framework reads pipelines from a folder: every generated pipeline (the orchestrators and
    the workers they execute), plain expressions wrapped."""
    from lakewharf.verify.adf_flow import wrap_plain_expressions

    path = ctx.files.scratch()
    (path / "pipeline").mkdir()
    for pipeline in ctx.adf.of_kind("pipeline"):
        raw = {"name": pipeline.name, "properties": pipeline.properties}
        (path / "pipeline" / f"{pipeline.name}.json").write_text(json.dumps(wrap_plain_expressions(raw)))
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
    for key in ctx.adf.global_parameters if ctx.adf.factory_file else ():
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
