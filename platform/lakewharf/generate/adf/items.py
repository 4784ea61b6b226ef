"""The work items of the orchestrators: one JSON object per unit of work (a source entity to copy,
a dataset to prepare, a table to load, a model to train or score), holding everything its worker
pipeline needs as plain data: queries, column mappings, folders, the SQL batches to run.

An item's fields become the Execute Pipeline parameters of its worker (see workers_*), so a table
added to the catalog adds one object to a control file, never activities. Placeholders the
workers substitute at run time (Data Factory does not evaluate expressions inside data):

- ``{{old_watermark}}`` / ``{{new_watermark}}``: the watermark Lookups' results (ingest);
- ``{run_id}``: the orchestrator's run id; ``{lake_dfs_endpoint}``: the lake's endpoint (load).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakewharf.generate.adf.common import sql_literal, timespan
from lakewharf.generate.adf.datasets import split_table
from lakewharf.generate.adf.sql_dialects import (
    FILE_EPOCH,
    INITIAL_WATERMARK,
    select_sql,
    translator,
    watermark_kind,
)
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.preparations import script_path, split_batches
from lakewharf.generate.synapse.dataset_audits import audit_path
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Entity, Model, PipelineStep, Source
from lakewharf.sources.registry import api_kind, capture_kind, database_kind, family_of, kind_of

OLD, NEW = "{{old_watermark}}", "{{new_watermark}}"
UNSELECTABLE = "{{rows_without_watermark}}"  # the new-watermark Lookup's count of NULL watermarks
RUN_ID, LAKE_ENDPOINT = "{run_id}", "{lake_dfs_endpoint}"
LAKE_ENDPOINT_PLACEHOLDER = "https://lake-storage-account.dfs.core.windows.net"  # synapse.loading.LAKE_ENDPOINT
ML_ENDPOINT_SUFFIX = "{ml_endpoint_suffix}"


def load_script_path(table: str) -> str:
    return f"synapse/warehouse/load/{table}.sql"


def built_text(built: Mapping[str, Artifact], path: str, producer: str) -> str:
    artifact = built.get(path)
    if artifact is None:
        raise FileNotFoundError(f"the Data Factory generator embeds {path}, which {producer} should have "
                                "generated before it: run the generators in registry order")
    return artifact.content.decode("utf-8")


def _common(item: str, step: PipelineStep, target: str) -> dict[str, Any]:
    return {"item": item, "step": step.name, "kind": step.kind, "target": target,
            "timeout": timespan(step.timeout_minutes),
            "script_timeout": timespan(min(step.timeout_minutes, 24 * 60)), "retry": step.retry_count}


def step_entities(catalog: Catalog, step: PipelineStep) -> list[tuple[Source, Entity]]:
    source_name, _, entity_name = step.target.partition(".")
    source = catalog.sources[source_name]
    names = [entity_name] if entity_name else sorted(source.entities)
    return [(source, source.entities[n]) for n in names]


def worker_kind(catalog: Catalog, step: PipelineStep, entity: Entity | None = None, *, windowed: bool = False,
                salted: bool = False) -> str:
    """The worker pipeline (``wk_<kind>``) that runs one item of ``step``."""
    if step.kind == "ingest":
        assert entity is not None
        source = catalog.sources[entity.source]
        family = family_of(source)
        mode = "incremental" if entity.load_mode == "incremental" else "full"
        if mode == "incremental" and windowed and kind_of(source).incremental == "modified_time":
            mode = "window"
        return f"ingest_{family}_{mode}"
    if step.kind == "prepare":
        return "prepare_salted" if salted else "prepare"
    return step.kind


def _watermark_save(entity: Entity, value: str, unselectable: str | None = None) -> str:
    """Advance the entity's watermark; IF EXISTS / UPDATE / INSERT because Synapse dedicated pools
    have no @@ROWCOUNT. Database entities also record how many source rows have a NULL watermark
    (measured by the new-watermark Lookup): no incremental query selects them, so the count is
    where an engineer finds rows that never load."""
    table = ".".join(f"[{p}]" for p in naming.watermark_table().split("."))
    key = f"N'{sql_literal(entity.ref)}'"
    now = "CAST(GETUTCDATE() AS DATETIME2(3))"
    sets = f"[watermark_value] = N'{value}', [updated_at] = {now}"
    cols, values = "[entity], [watermark_value], [updated_at]", f"{key}, N'{value}', {now}"
    if unselectable is not None:
        sets, cols, values = (f"{sets}, [rows_without_watermark] = {unselectable}", f"{cols}, [rows_without_watermark]",
                              f"{values}, {unselectable}")
    return (f"IF EXISTS (SELECT 1 FROM {table} WHERE [entity] = {key})\n"
            f"    UPDATE {table} SET {sets} WHERE [entity] = {key};\n"
            f"ELSE\n"
            f"    INSERT INTO {table} ({cols}) VALUES ({values});")


def _watermark_read(entity: Entity, initial: str) -> str:
    table = ".".join(f"[{p}]" for p in naming.watermark_table().split("."))
    return (f"SELECT COALESCE(MAX([watermark_value]), N'{initial}') AS [watermark] "
            f"FROM {table} WHERE [entity] = N'{sql_literal(entity.ref)}'")


def ingest_item(catalog: Catalog, step: PipelineStep, source: Source, entity: Entity, windowed: bool) -> dict[str, Any]:
    item = _common(f"{step.name}__{entity.name}", step, entity.ref)
    landing = catalog.platform.zones[source.landing_zone].filesystem
    item |= {"secret": source.secret, "filesystem": landing, "folder": lake.landing_folder(source.name, entity.name),
             "translator": translator(source, entity), "rejects_path": f"{landing}/{lake.rejects_folder(entity.ref)}"}
    incremental = entity.load_mode == "incremental"
    db = database_kind(source.kind)
    if db is not None:
        assert entity.table is not None
        dialect = db.dialect
        schema, table = split_table(entity.table)
        select = select_sql(dialect, entity)
        item |= {"schema": schema or "", "table": table, "query": select,
                 **{name: str(source.options[name]) for name in db.connection_parameters}}
        if incremental:
            kind = watermark_kind(entity)
            assert entity.watermark is not None
            column = dialect.ident(entity.watermark)
            unselectable = (f"COALESCE(SUM(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END), 0) AS "
                            f"{dialect.alias('rows_without_watermark')}")
            item |= {
                "old_query": _watermark_read(entity, INITIAL_WATERMARK[kind]),
                "new_query": (f"SELECT COALESCE({dialect.as_text(f'MAX({column})', kind)}, {dialect.text(OLD)}) AS "
                              f"{dialect.alias('watermark')}, {unselectable} "
                              f"FROM {dialect.table(entity.table)}"),
                "query": (f"{select} WHERE {column} > {dialect.typed(OLD, kind)} "
                          f"AND {column} <= {dialect.typed(NEW, kind)}"),
                "save_script": _watermark_save(entity, NEW, UNSELECTABLE),
            }
        return item
    api = api_kind(family_of(source))
    if api is not None:
        return item | api.item(source, entity)
    own = kind_of(source).ingest_fields(source, entity, windowed)  # a kind with a worker of its own (files)
    if own is not None:
        if incremental and not windowed:
            own |= {"old_query": _watermark_read(entity, FILE_EPOCH), "save_script": _watermark_save(entity, NEW)}
        return item | own
    capture = capture_kind(family_of(source))
    assert entity.path is not None and (source.format is not None or capture is not None)
    if capture is not None:  # the hub's capture files in the landing container
        folder, file = capture.wildcards(source, entity)
    else:
        folder, file = entity.path.rsplit("/", 1) if "/" in entity.path else ("", entity.path)
    if incremental:  # a modified-time range selects the files: every dated folder may hold some
        folder = lake.any_day_path(folder)
    options = source.options
    item |= {"wildcard_folder": folder, "wildcard_file": file}
    if source.format == "csv":
        item |= {"delimiter": options.get("delimiter", ","), "header": bool(options.get("header", True)),
                 "encoding": options.get("encoding", "UTF-8"), "quote": options.get("quote", '"')}
    elif source.format == "jsonl":
        item["encoding"] = options.get("encoding", "UTF-8")
    if incremental and not windowed:
        item |= {"old_query": _watermark_read(entity, FILE_EPOCH), "save_script": _watermark_save(entity, NEW)}
    return item


def prepare_item(catalog: Catalog, step: PipelineStep, built: Mapping[str, Artifact], salted: bool) -> dict[str, Any]:
    dataset = catalog.datasets[step.target]
    path = script_path(dataset.name)
    text = built_text(built, path, "lakewharf.generate.preparations")
    item = _common(step.name, step, dataset.name)
    item |= {"filesystem": catalog.platform.zones[dataset.zone].filesystem,
             "folder": lake.dataset_folder(dataset.name), "rejects_folder": lake.rejects_folder(dataset.name),
             "script": path, "scripts": split_batches(text), "audits": []}
    audit = built.get(audit_path(dataset.name))
    if audit is not None:  # the dataset has tests: its worker runs them after the CETAS
        item["audits"] = [audit.content.decode("utf-8")]
    if salted:
        secret = catalog.platform.hash_salt_secret
        if not secret:
            raise ValueError(f"dataset {dataset.name} hashes columns but platform.yaml has no privacy.hash_salt_secret")
        item["salt_secret"] = secret
    return item


def load_item(step: PipelineStep, built: Mapping[str, Artifact]) -> dict[str, Any]:
    table = step.target
    path = load_script_path(table)
    text = built_text(built, path, "lakewharf.generate.synapse")
    procedure = naming.load_procedure_name(table)
    if LAKE_ENDPOINT_PLACEHOLDER not in text:
        raise ValueError(f"{path}: no COPY INTO source on {LAKE_ENDPOINT_PLACEHOLDER}: "
                         "cannot point it at the environment's lake")
    text = text.replace(LAKE_ENDPOINT_PLACEHOLDER, LAKE_ENDPOINT).replace("@{pipeline().RunId}", RUN_ID)
    batches = split_batches(text)
    if not any(form in text for form in (f"EXEC {procedure} ", f"EXEC [{procedure.replace('.', '].[')}]")):
        batches.append(f"EXEC {procedure} @run_id = N'{RUN_ID}';")  # COPY INTO staging, then the procedure
    return _common(step.name, step, table) | {"script": path, "scripts": batches}


def datastore_uri(zone: str, folder: str) -> str:
    """A lake folder as Azure ML addresses it: one datastore per zone, named after the zone (the
    same form as lakewharf.generate.aml.jobs.datastore_uri)."""
    return f"azureml://datastores/{zone}/paths/{folder}/"


def ml_item(catalog: Catalog, step: PipelineStep) -> dict[str, Any]:
    from lakewharf.generate.adf.common import json_text as compact_json
    from lakewharf.generate.adf.workers_work import SCORE_INPUT, SCORE_OUTPUT
    from lakewharf.model.naming import TRAINING_INPUT

    model: Model = catalog.models[step.target]
    platform = catalog.platform.name
    item = _common(step.name, step, model.name)
    if step.kind == "train":
        zone = catalog.datasets[model.dataset].zone
        body = {"properties": {
            "InputData": {TRAINING_INPUT: {"JobInputType": "UriFolder",
                                        "Uri": datastore_uri(zone, lake.dataset_folder(model.dataset))}},
            "properties": {"experimentName": naming.training_job_name(model.name)},
        }}
        return item | {"endpoint": naming.training_endpoint_name(platform, model.name), "body": compact_json(body),
                       "what": f"Train {model.name}"}
    scored = model.scoring.dataset
    zone = catalog.datasets[scored].zone
    output = model.scoring.output_zone
    body = {"properties": {
        "InputData": {SCORE_INPUT: {"JobInputType": "UriFolder",
                                    "Uri": datastore_uri(zone, lake.dataset_folder(scored))}},
        "OutputData": {SCORE_OUTPUT: {"JobOutputType": "UriFolder",
                                      "Uri": datastore_uri(output, f"{lake.SCORES}/{model.name}")}},
    }}
    clear = [{"filesystem": catalog.platform.zones[output].filesystem, "folder": lake.scores_folder(model.name, o)}
             for o in model.outputs]
    return item | {"endpoint": naming.batch_endpoint_name(platform, model.name), "body": compact_json(body),
                   "what": f"Score {model.name}", "clear": clear}
