"""One Data Factory pipeline per pipelines.yaml entry: the steps' activity blocks wired by ``after``.

Wiring: a step's first activities depend (Succeeded) on the *exits* of the steps it runs after;
an exit is the failure gate behind a step's last activity, or that activity itself when it is
already a status check with its own Fail activity. Root steps wait for the upstream-pipeline
checks, if any. See activities_control for the failure handling.

Concurrency: a pipeline whose runs would write the same folders or watermarks (preparations,
loads, models, watermark chains) runs one at a time (``concurrency: 1``, later runs queue); only
tumbling-window pipelines that just copy files per window may run windows in parallel.
https://learn.microsoft.com/azure/data-factory/concepts-pipelines-activities#pipeline-json
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakewharf.generate.adf.activities_control import gate, upstream_block
from lakewharf.generate.adf.activities_ingest import Timing, ingest_block
from lakewharf.generate.adf.activities_ml import score_block, train_block
from lakewharf.generate.adf.activities_sql import load_block, prepare_block
from lakewharf.generate.adf.common import (
    ADF_MAX_ACTIVITIES,
    ADF_PIPELINE_BYTES_MAX,
    SUCCEEDED,
    StepBlock,
    json_text,
    string_params,
)
from lakewharf.generate.artifact import Artifact
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Pipeline, PipelineStep
from lakewharf.model.schedule import TumblingWindow

WINDOW_PARAMETERS = ("windowStart", "windowEnd")


def windowed(pipeline: Pipeline) -> bool:
    return isinstance(pipeline.schedule, TumblingWindow)


def trigger_dependencies(catalog: Catalog, pipeline: Pipeline) -> list[str]:
    """Upstream pipelines handled by a tumbling-window trigger dependency (both windowed)."""
    return [u for u in pipeline.after if windowed(pipeline) and windowed(catalog.pipelines[u])]


def _step_block(catalog: Catalog, step: PipelineStep, timing: Timing, built: Mapping[str, Artifact],
                salted: Mapping[str, bool]) -> StepBlock:
    if step.kind == "ingest":
        return ingest_block(catalog, step, timing)
    if step.kind == "prepare":
        return prepare_block(catalog, step, built, salted[step.target])
    if step.kind == "load":
        return load_block(step, built)
    if step.kind == "train":
        return train_block(catalog, step)
    if step.kind == "score":
        return score_block(catalog, step)
    raise ValueError(f"step {step.name}: unknown kind {step.kind!r}")


def _add_dependencies(activity: dict[str, Any], names: list[str]) -> None:
    existing = activity.setdefault("dependsOn", [])
    existing += [{"activity": n, "dependencyConditions": [SUCCEEDED]} for n in names]


def _count(activities: list[dict[str, Any]]) -> int:
    total = 0
    for a in activities:
        props = a.get("typeProperties", {})
        total += 1 + sum(_count(props.get(k) or []) for k in ("activities", "ifTrueActivities", "ifFalseActivities"))
    return total


def _concurrency(catalog: Catalog, pipeline: Pipeline) -> int:
    schedule = pipeline.schedule
    if isinstance(schedule, TumblingWindow) and all(
            s.kind == "ingest" and not catalog.sources[s.target.partition(".")[0]].is_database for s in pipeline.steps):
        return schedule.max_concurrency
    return 1


def pipeline_document(catalog: Catalog, pipeline: Pipeline, built: Mapping[str, Artifact],
                      salted: Mapping[str, bool]) -> dict[str, Any]:
    name = naming.pipeline_name(pipeline.name)
    activities: list[dict[str, Any]] = []
    variables: dict[str, Any] = {}
    by_name: dict[str, dict[str, Any]] = {}
    exits: dict[str, list[str]] = {}

    def add(block: StepBlock) -> None:
        activities.extend(block.activities)
        variables.update(block.variables)
        by_name.update({a["name"]: a for a in block.activities})

    upstream = {u: catalog.pipelines[u].schedule for u in pipeline.after
                if u not in trigger_dependencies(catalog, pipeline)}
    root_exits: list[str] = []
    if upstream:
        check = upstream_block(pipeline, upstream)
        add(check)
        root_exits = list(check.tails)

    timing = Timing(windowed(pipeline))
    for step in pipeline.steps:
        block = _step_block(catalog, step, timing, built, salted)
        add(block)
        waits_for = [e for s in step.after for e in exits[s]] if step.after else root_exits
        for head in block.heads:
            _add_dependencies(by_name[head], waits_for)
        exits[step.name] = []
        for tail in block.tails:
            if tail in block.checked:
                exits[step.name].append(tail)
            else:
                g = gate(tail, step, name)
                activities.append(g)
                exits[step.name].append(g["name"])

    count = _count(activities)
    if count > ADF_MAX_ACTIVITIES:
        raise ValueError(f"pipeline {pipeline.name}: {count} activities, above Data Factory's limit of "
                         f"{ADF_MAX_ACTIVITIES} per pipeline; split it in pipelines.yaml")
    properties: dict[str, Any] = {
        "description": pipeline.description or f"lakewharf pipeline {pipeline.name}",
        "activities": activities,
        "concurrency": _concurrency(catalog, pipeline),
        "annotations": ["lakewharf"],
        "folder": {"name": "lakewharf"},
    }
    if timing.windowed:
        properties["parameters"] = string_params(*WINDOW_PARAMETERS)
    if variables:
        properties["variables"] = dict(sorted(variables.items()))
    document = {"name": name, "properties": properties}
    size = len(json_text(document).encode("utf-8"))
    if size > ADF_PIPELINE_BYTES_MAX:
        raise ValueError(f"pipeline {pipeline.name}: {size} bytes of JSON, above Data Factory's limit of "
                         f"{ADF_PIPELINE_BYTES_MAX} bytes per pipeline; split it in pipelines.yaml")
    return document


def step_elements(catalog: Catalog, pipeline: Pipeline) -> tuple[str, ...]:
    kinds = {"ingest": "source", "prepare": "dataset", "train": "model", "score": "model", "load": "table"}
    elements = [f"pipeline:{pipeline.name}"]
    for step in pipeline.steps:
        target = step.target.partition(".")[0] if step.kind == "ingest" else step.target
        elements.append(f"{kinds[step.kind]}:{target}")
    return tuple(dict.fromkeys(elements))
