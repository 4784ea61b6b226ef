"""Triggers: a schedule trigger per cron pipeline, a tumbling-window trigger per windowed one.

Schedule triggers take a recurrence, not cron text: frequency Hour (every hour of the day), Day,
Week (days of the week) or Month (days of the month), with the cron's minute and hour lists in
``schedule``. Outside UTC, ``startTime`` is local time without the ``Z``:
https://learn.microsoft.com/azure/data-factory/how-to-create-schedule-trigger#schema-overview
Tumbling-window triggers pass the window to the pipeline as ``windowStart`` / ``windowEnd`` and
can depend on another tumbling-window trigger (``after:`` between two windowed pipelines):
https://learn.microsoft.com/azure/data-factory/how-to-create-tumbling-window-trigger
https://learn.microsoft.com/azure/data-factory/tumbling-window-trigger-dependency
Triggers are published ``Started``.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.common import expr
from lakewharf.generate.adf.orchestrator import WINDOW_PARAMETERS, trigger_dependencies
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Pipeline
from lakewharf.model.schedule import Cron, TumblingWindow

# Schedule triggers do not back-fill, so any past start works; a constant keeps files deterministic.
SCHEDULE_START = "2024-01-01T00:00:00"


def recurrence(cron: Cron) -> dict[str, Any]:
    schedule: dict[str, Any] = {"minutes": list(cron.minutes)}
    if cron.month_days is not None:
        frequency = "Month"
        schedule |= {"hours": list(cron.hours), "monthDays": list(cron.month_days)}
    elif cron.week_days is not None:
        frequency = "Week"
        schedule |= {"hours": list(cron.hours), "weekDays": list(cron.week_days)}
    elif len(cron.hours) == 24:
        frequency = "Hour"
    else:
        frequency = "Day"
        schedule["hours"] = list(cron.hours)
    utc = cron.timezone.upper() == "UTC"
    return {"frequency": frequency, "interval": 1, "startTime": SCHEDULE_START + ("Z" if utc else ""),
            "timeZone": cron.timezone, "schedule": schedule}


def _hhmmss(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    clock = f"{rest // 60:02d}:{rest % 60:02d}:00"
    return f"{days}.{clock}" if days else clock


def _pipeline_ref(pipeline: Pipeline) -> dict[str, Any]:
    return {"referenceName": naming.pipeline_name(pipeline.name), "type": "PipelineReference"}


def schedule_trigger(pipeline: Pipeline, cron: Cron) -> dict[str, Any]:
    return {
        "name": naming.trigger_name(pipeline.name),
        "properties": {
            "type": "ScheduleTrigger",
            "description": f"Runs {naming.pipeline_name(pipeline.name)} on cron '{cron.expression}' ({cron.timezone}).",
            "runtimeState": "Started",
            "annotations": ["lakewharf"],
            "pipelines": [{"pipelineReference": _pipeline_ref(pipeline), "parameters": {}}],
            "typeProperties": {"recurrence": recurrence(cron)},
        },
    }


def tumbling_window_trigger(catalog: Catalog, pipeline: Pipeline, window: TumblingWindow) -> dict[str, Any]:
    retries = [s.retry_count for s in pipeline.steps] or [0]
    intervals = [s.retry_interval_seconds for s in pipeline.steps] or [30]
    depends = [{"type": "TumblingWindowTriggerDependencyReference",
                "referenceTrigger": {"referenceName": naming.trigger_name(u), "type": "TriggerReference"}}
               for u in trigger_dependencies(catalog, pipeline)]
    outputs = {"windowStart": "windowStartTime", "windowEnd": "windowEndTime"}
    type_properties: dict[str, Any] = {
        "frequency": window.frequency.capitalize(),
        "interval": window.interval,
        "startTime": window.start,
        "delay": _hhmmss(window.delay_minutes),
        "maxConcurrency": window.max_concurrency,
        # A failed window is re-run as often as its steps would retry (re-running a window is safe:
        # it copies the same modified-time range again).
        "retryPolicy": {"count": max(retries), "intervalInSeconds": max(30, max(intervals))},
    }
    if depends:
        type_properties["dependsOn"] = depends
    return {
        "name": naming.trigger_name(pipeline.name),
        "properties": {
            "type": "TumblingWindowTrigger",
            "description": f"Runs {naming.pipeline_name(pipeline.name)} every {window.interval} {window.frequency}(s).",
            "runtimeState": "Started",
            "annotations": ["lakewharf"],
            "pipeline": {
                "pipelineReference": _pipeline_ref(pipeline),
                "parameters": {p: expr(f"@trigger().outputs.{outputs[p]}") for p in WINDOW_PARAMETERS},
            },
            "typeProperties": type_properties,
        },
    }


def artifacts(catalog: Catalog) -> list[Artifact]:
    out = []
    for name in sorted(catalog.pipelines):
        pipeline = catalog.pipelines[name]
        schedule = pipeline.schedule
        if isinstance(schedule, Cron):
            doc = schedule_trigger(pipeline, schedule)
        elif isinstance(schedule, TumblingWindow):
            doc = tumbling_window_trigger(catalog, pipeline, schedule)
        else:
            continue  # no schedule: runs when started by hand or by another system
        out.append(json_artifact(f"adf/trigger/{doc['name']}.json", doc, (f"pipeline:{name}",)))
    return out
