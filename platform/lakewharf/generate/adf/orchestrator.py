"""Orchestrators: one pipeline per pipelines.yaml entry that runs its steps' items by dependency
level, with ForEach → Execute Pipeline into the worker of each kind of work, so a pipeline's size
depends on its levels and kinds of work, never on its number of tables.

Per level ``n`` and worker kind ``k``: a Lookup reads the control file ``L<n>_<k>.json`` from the
lake, a ForEach (``batchCount`` from the pipeline's ``batch_count``, Data Factory allows 1–50)
runs an Execute Pipeline (``waitOnCompletion``) per item. The next level waits for every ForEach
of this one to succeed. A failed item fails its ForEach only after the level's other items ran,
and with them the pipeline, with the worker's message (step, target, activity, cause):
https://learn.microsoft.com/azure/data-factory/control-flow-for-each-activity
https://learn.microsoft.com/azure/data-factory/control-flow-lookup-activity

Why the items live in control files in the lake rather than inline in the orchestrator: an item
carries its SQL batches and column mappings (1–5 KB), so 1,000 tables inline would be megabytes,
far past Data Factory's 200 KB per pipeline. A Lookup returns at most 5,000 rows and 4 MB, so a
level's items are split into parts (``L<n>_<k>_p<j>``) of at most ``ITEMS_PER_FILE`` rows and
``BYTES_PER_FILE`` bytes, each with its own Lookup + ForEach. The files are generated under
``build/control/<pipeline>/``, one item per JSON object, sorted by item name and pretty-printed,
so a review (and ``wharf diff``) shows an added table as an added item; the infra program uploads
them to the ``wharf-control`` filesystem (they are deployed with the pipelines that read them).

Concurrency: a pipeline whose runs would write the same folders or watermarks runs one at a time
(``concurrency: 1``); only tumbling-window pipelines that just copy files per window may run
windows in parallel. https://learn.microsoft.com/azure/data-factory/concepts-pipelines-activities#pipeline-json
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakewharf.generate.adf.common import SUCCEEDED, depends, ds_ref, expr, gp, string_params
from lakewharf.generate.adf.datasets import DS_LAKE_JSON
from lakewharf.generate.adf.items import ingest_item, load_item, ml_item, prepare_item, step_entities, worker_kind
from lakewharf.generate.adf.linked_services import LAKE
from lakewharf.generate.adf.upstream import upstream_block
from lakewharf.generate.adf.workers import RUN_PARAMETERS, worker_name
from lakewharf.generate.artifact import Artifact, json_bytes
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Pipeline, PipelineStep
from lakewharf.model.lake import CONTROL_FILESYSTEM
from lakewharf.model.schedule import TumblingWindow
from lakewharf.sources.registry import kind_of

WINDOW_PARAMETERS = ("windowStart", "windowEnd")
ITEMS_PER_FILE = 5000  # Lookup returns at most 5,000 rows ...
BYTES_PER_FILE = 3 * 1024 * 1024  # ... and at most 4 MB: keep a margin for the Lookup's envelope
DEFAULT_BATCH_COUNT = 20  # Data Factory's own default for a parallel ForEach


def windowed(pipeline: Pipeline) -> bool:
    return isinstance(pipeline.schedule, TumblingWindow)


def trigger_dependencies(catalog: Catalog, pipeline: Pipeline) -> list[str]:
    """Upstream pipelines handled by a tumbling-window trigger dependency (both windowed)."""
    return [u for u in pipeline.after if windowed(pipeline) and windowed(catalog.pipelines[u])]


def step_levels(pipeline: Pipeline) -> dict[str, int]:
    """Level 1 for steps without ``after``, else one more than the deepest step they run after."""
    steps = {s.name: s for s in pipeline.steps}
    level: dict[str, int] = {}

    def visit(name: str) -> int:
        if name not in level:
            level[name] = 1 + max((visit(a) for a in steps[name].after if a in steps), default=0)
        return level[name]

    for name in steps:
        visit(name)
    return level


@dataclass(frozen=True)
class Work:
    """One item: the step, its entity for ingest steps, and the worker kind that runs it."""

    level: int
    kind: str
    item: str
    step: PipelineStep
    entity: str | None = None


def plan(catalog: Catalog, pipeline: Pipeline, salted: Mapping[str, bool]) -> list[Work]:
    """Every item of the pipeline, in (level, kind, item) order; cheap (no SQL is read)."""
    levels = step_levels(pipeline)
    out = []
    for step in pipeline.steps:
        if step.kind == "ingest":
            for _source, entity in step_entities(catalog, step):
                kind = worker_kind(catalog, step, entity, windowed=windowed(pipeline))
                out.append(Work(levels[step.name], kind, f"{step.name}__{entity.name}", step, entity.name))
        else:
            kind = worker_kind(catalog, step, salted=salted.get(step.target, False))
            out.append(Work(levels[step.name], kind, step.name, step))
    return sorted(out, key=lambda w: (w.level, w.kind, w.item))


def item_row(catalog: Catalog, pipeline: Pipeline, work: Work, built: Mapping[str, Artifact]) -> dict[str, Any]:
    step = work.step
    if step.kind == "ingest":
        source = catalog.sources[step.target.partition(".")[0]]
        assert work.entity is not None
        return ingest_item(catalog, step, source, source.entities[work.entity], windowed(pipeline))
    if step.kind == "prepare":
        return prepare_item(catalog, step, built, work.kind == "prepare_salted")
    if step.kind == "load":
        return load_item(step, built)
    return ml_item(catalog, step)


@dataclass(frozen=True)
class Group:
    """One control file: the items of one level and kind (or a part of them)."""

    name: str  # L01_prepare, L02_load_p2 ...
    level: int
    kind: str
    items: tuple[str, ...]
    rows: tuple[dict[str, Any], ...] = ()


def _size(row: dict[str, Any]) -> int:
    return len(json_bytes(row))


def groups(works: list[Work], rows: Mapping[str, dict[str, Any]] | None = None) -> list[Group]:
    """Items grouped by (level, kind), split into parts that one Lookup can return."""
    by_key: dict[tuple[int, str], list[Work]] = {}
    for w in works:
        by_key.setdefault((w.level, w.kind), []).append(w)
    out = []
    for (level, kind), members in sorted(by_key.items()):
        parts: list[list[Work]] = [[]]
        size = 0
        for w in members:
            grow = _size(rows[w.item]) if rows else 0
            if len(parts[-1]) >= ITEMS_PER_FILE or (parts[-1] and size + grow > BYTES_PER_FILE):
                parts.append([])
                size = 0
            parts[-1].append(w)
            size += grow
        for j, part in enumerate(parts, start=1):
            name = f"L{level:02d}_{kind}" + (f"_p{j}" if len(parts) > 1 else "")
            out.append(Group(name, level, kind, tuple(w.item for w in part),
                             tuple(rows[w.item] for w in part) if rows else ()))
    return out


def _run_value(name: str, pipeline: Pipeline) -> Any:
    day = "@pipeline().parameters.windowStart" if windowed(pipeline) else "@pipeline().TriggerTime"
    values = {"pipeline": naming.pipeline_name(pipeline.name), "run_id": expr("@pipeline().RunId"),
              "trigger_time": expr("@pipeline().TriggerTime"), "landing_time": expr(day),
              "window_start": expr("@pipeline().parameters.windowStart"),
              "window_end": expr("@pipeline().parameters.windowEnd")}
    return values[name]


def _level_block(pipeline: Pipeline, group: Group, worker_params: Mapping[str, Any], after: list[str],
                 batch_count: int) -> list[dict[str, Any]]:
    me = naming.pipeline_name(pipeline.name)
    lookup = f"{group.name}__items"
    parameters = {name: (_run_value(name, pipeline) if name in RUN_PARAMETERS else expr(f"@item().{name}"))
                  for name in sorted(worker_params)}
    return [
        {
            "name": lookup,
            "type": "Lookup",
            "description": f"The {len(group.items)} item(s) of level {group.level} run by {worker_name(group.kind)}.",
            "dependsOn": depends(after, SUCCEEDED),
            "policy": {"timeout": "0.00:10:00", "retry": 2, "retryIntervalInSeconds": 30,
                       "secureOutput": False, "secureInput": False},
            "typeProperties": {
                "source": {"type": "JsonSource",
                           "storeSettings": {"type": "AzureBlobFSReadSettings", "recursive": False},
                           "formatSettings": {"type": "JsonReadSettings"}},
                "dataset": ds_ref(DS_LAKE_JSON, {LAKE: expr(gp(LAKE)), "filesystem": CONTROL_FILESYSTEM,
                                                 "folder": me, "file": f"{group.name}.json"}),
                "firstRowOnly": False,
            },
        },
        {
            "name": group.name,
            "type": "ForEach",
            "description": f"Level {group.level}: run {worker_name(group.kind)} once per item, "
                           f"{batch_count} at a time.",
            "dependsOn": depends([lookup]),
            "typeProperties": {
                "items": expr(f"@activity('{lookup}').output.value"),
                "isSequential": False,
                "batchCount": batch_count,
                "activities": [{
                    "name": f"{group.name}__run",
                    "type": "ExecutePipeline",
                    "description": "One item; the worker fails with the item's step, target and cause.",
                    "typeProperties": {
                        "pipeline": {"referenceName": worker_name(group.kind), "type": "PipelineReference"},
                        "waitOnCompletion": True,
                        "parameters": parameters,
                    },
                }],
            },
        },
    ]


def concurrency(catalog: Catalog, pipeline: Pipeline) -> int:
    schedule = pipeline.schedule
    if isinstance(schedule, TumblingWindow) and all(
            s.kind == "ingest" and kind_of(catalog.sources[s.target.partition(".")[0]]).incremental == "modified_time"
            for s in pipeline.steps):
        return schedule.max_concurrency
    return 1


def orchestrator_document(catalog: Catalog, pipeline: Pipeline, level_groups: list[Group],
                          worker_params: Mapping[str, Mapping[str, Any]], batch_count: int) -> dict[str, Any]:
    activities: list[dict[str, Any]] = []
    upstream = {u: catalog.pipelines[u].schedule for u in pipeline.after
                if u not in trigger_dependencies(catalog, pipeline)}
    previous: list[str] = []
    if upstream:
        check = upstream_block(pipeline, upstream)
        activities += check.activities
        previous = list(check.tails)
    for level in sorted({g.level for g in level_groups}):
        these = [g for g in level_groups if g.level == level]
        for group in these:
            activities += _level_block(pipeline, group, worker_params[group.kind], previous, batch_count)
        previous = [g.name for g in these]
    properties: dict[str, Any] = {
        "description": pipeline.description or f"lakewharf pipeline {pipeline.name}",
        "activities": activities,
        "concurrency": concurrency(catalog, pipeline),
        "annotations": ["lakewharf"],
        "folder": {"name": "lakewharf"},
    }
    if windowed(pipeline):
        properties["parameters"] = string_params(*WINDOW_PARAMETERS)
    return {"name": naming.pipeline_name(pipeline.name), "properties": properties}


def step_elements(catalog: Catalog, pipeline: Pipeline) -> tuple[str, ...]:
    kinds = {"ingest": "source", "prepare": "dataset", "train": "model", "score": "model", "load": "table"}
    elements = [f"pipeline:{pipeline.name}"]
    for step in pipeline.steps:
        target = step.target.partition(".")[0] if step.kind == "ingest" else step.target
        elements.append(f"{kinds[step.kind]}:{target}")
    return tuple(dict.fromkeys(elements))
