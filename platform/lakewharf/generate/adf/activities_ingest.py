"""Ingest steps: copy source entities into their dated landing folder as Parquet.

- Full loads: one Copy of the whole table or of the files matching the entity's path.
- Incremental database loads follow Microsoft's watermark pattern (Lookup the old watermark in
  the control table, Lookup the new one at the source, Copy the rows between them, advance the
  watermark): https://learn.microsoft.com/azure/data-factory/tutorial-incremental-copy-overview
  The control table is ``etl.watermarks`` in the dedicated pool (columns entity, watermark_value
  as ISO 8601 text, updated_at; created by the synapse generator's schemas script). Watermarks are
  compared as typed values: ISO text from ``CONVERT(..., 126)`` / ``to_char`` back to DATETIME2 /
  timestamp.
- Incremental file and log loads copy the files *modified* in a time range (``storeSettings``
  ``modifiedDatetimeStart``/``End``): the tumbling window when the pipeline has one, otherwise
  [last cut-off from the control table, trigger time).

Every row gets ``_loaded_at`` (trigger time, UTC) and ``_run_id`` through the Copy source's
``additionalColumns``; an explicit mapping writes exactly the catalog's columns, converting CSV
text to the catalog types, so the landing Parquet matches the typed landing views:
https://learn.microsoft.com/azure/data-factory/copy-activity-overview#add-additional-columns-during-copy
https://learn.microsoft.com/azure/data-factory/copy-activity-schema-and-type-mapping
"""

from __future__ import annotations

import posixpath
from typing import Any

from lakewharf.generate.adf.common import (
    StepBlock,
    activity_name,
    chain,
    ds_ref,
    dynamic,
    expr,
    gp_args,
    ls_ref,
    policy,
    sql_literal,
)
from lakewharf.generate.adf.datasets import DS_SYNAPSE_POOL, lake_ref, split_table
from lakewharf.generate.adf.linked_services import KV, POOL
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Column, Entity, PipelineStep, Source

LOADED_AT, RUN_ID = "_loaded_at", "_run_id"
_INTERIM = {"boolean": "Boolean", "smallint": "Int16", "int": "Int32", "bigint": "Int64", "float": "Single",
            "double": "Double", "decimal": "Decimal", "string": "String", "date": "DateTime",
            "timestamp": "DateTime", "binary": "Byte[]"}
_FILE_SOURCES = {"csv": ("DelimitedTextSource", "DelimitedTextReadSettings"),
                 "jsonl": ("JsonSource", "JsonReadSettings"), "parquet": ("ParquetSource", None)}
FILE_EPOCH = "1900-01-01T00:00:00Z"


class Timing:
    """Where a pipeline's time comes from: its tumbling window, or the trigger time."""

    def __init__(self, windowed: bool) -> None:
        self.windowed = windowed
        self.day = "pipeline().parameters.windowStart" if windowed else "pipeline().TriggerTime"


# --- SQL dialects of the watermark pattern ---------------------------------------------------


def _watermark_kind(entity: Entity) -> str:
    column = next(c for c in entity.columns if c.name == entity.watermark)
    base = column.type.base
    if base in ("timestamp", "date"):
        return base
    if base in ("smallint", "int", "bigint"):
        return "integer"
    raise ValueError(f"entity {entity.ref}: watermark column {column.name!r} is {column.type}; "
                     "use a timestamp, date or integer column")


_INITIAL = {"timestamp": "1900-01-01T00:00:00", "date": "1900-01-01", "integer": "-9223372036854775808"}


class Dialect:
    def __init__(self, kind: str) -> None:
        self.sqlserver = kind == "sqlserver"

    def ident(self, name: str) -> str:
        return f"[{name}]" if self.sqlserver else f'"{name}"'

    def table(self, table: str) -> str:
        schema, name = split_table(table)
        return ".".join(self.ident(p) for p in (schema, name) if p)

    def text(self, value: str) -> str:
        return f"N'{value}'" if self.sqlserver else f"'{value}'"

    def as_text(self, expression: str, kind: str) -> str:
        """MAX(column) as ISO 8601 (or decimal) text, so every dialect stores the same format."""
        if kind == "integer":
            return f"CAST({expression} AS NVARCHAR(33))" if self.sqlserver else f"CAST({expression} AS varchar)"
        if self.sqlserver:
            return f"CONVERT(NVARCHAR(33), {expression}, 126)"
        fmt = "YYYY-MM-DD" if kind == "date" else 'YYYY-MM-DD"T"HH24:MI:SS.US'
        return f"to_char({expression}, '{fmt}')"

    def typed(self, text: str, kind: str) -> str:
        if self.sqlserver:
            if kind == "integer":
                return f"CAST({self.text(text)} AS BIGINT)"
            return f"CONVERT({'DATE' if kind == 'date' else 'DATETIME2'}, {self.text(text)}, 126)"
        return f"CAST({self.text(text)} AS {'bigint' if kind == 'integer' else kind})"


def _select(dialect: Dialect, entity: Entity) -> str:
    assert entity.table is not None
    columns = ", ".join(dialect.ident(c.name) for c in entity.columns)
    return f"SELECT {columns} FROM {dialect.table(entity.table)}"


# --- activities ----------------------------------------------------------------------------


def _translator(source: Source, entity: Entity) -> dict[str, Any]:
    """Explicit mapping of the catalog's columns plus the two added ones (additional columns must
    be mapped explicitly once a mapping exists). Database and Parquet sources keep their native
    types; CSV text is converted to the catalog types; JSON is hierarchical, which the Copy's type
    conversion does not cover, so JSON fields keep the types the file has."""
    hierarchical = source.format == "jsonl"

    def mapping(column: Column) -> dict[str, Any]:
        sink: dict[str, str] = {"name": column.name}
        if source.format == "csv":
            sink["type"] = _INTERIM[column.type.base]
        return {"source": {"path": f"$['{column.name}']"} if hierarchical else {"name": column.name}, "sink": sink}

    mappings = [mapping(c) for c in entity.columns]
    loaded_at: dict[str, str] = {"name": LOADED_AT} if hierarchical else {"name": LOADED_AT, "type": "DateTime"}
    mappings += [{"source": {"name": LOADED_AT}, "sink": loaded_at},
                 {"source": {"name": RUN_ID}, "sink": {"name": RUN_ID}}]
    translator: dict[str, Any] = {"type": "TabularTranslator", "mappings": mappings}
    if not hierarchical:
        translator |= {"typeConversion": True,
                       "typeConversionSettings": {"allowDataTruncation": False, "treatBooleanAsNumber": False}}
    return translator


def _additional_columns() -> list[dict[str, Any]]:
    return [
        {"name": LOADED_AT, "value": expr("@formatDateTime(pipeline().TriggerTime, 'yyyy-MM-ddTHH:mm:ss.fffffffZ')")},
        {"name": RUN_ID, "value": expr("@pipeline().RunId")},
    ]


def _landing_folder(source: Source, entity: Entity, timing: Timing) -> dict[str, str]:
    parent = lake.landing_folder(source.name, entity.name)
    return expr(f"@concat('{parent}/', formatDateTime({timing.day}, 'yyyy/MM/dd'))")


def _copy(name: str, step: PipelineStep, source: Source, entity: Entity, timing: Timing,
          source_props: dict[str, Any], rejects_path: str | None = None) -> dict[str, Any]:
    sink_store: dict[str, Any] = {"type": "AzureBlobFSWriteSettings"}
    if not source.is_database:
        sink_store["copyBehavior"] = "FlattenHierarchy"  # unique generated names: no overwrite in a day folder
    return {
        "name": name,
        "type": "Copy",
        "description": f"Copy {entity.ref} ({entity.load_mode}) into its dated landing folder.",
        "policy": policy(step),
        "inputs": [ds_ref(naming.source_dataset_name(source.name, entity.name), gp_args(KV))],
        "outputs": [lake_ref(naming.landing_dataset_name(source.name, entity.name),
                             folder=_landing_folder(source, entity, timing))],
        "typeProperties": {
            "source": {**source_props, "additionalColumns": _additional_columns()},
            "sink": {"type": "ParquetSink", "storeSettings": sink_store,
                     "formatSettings": {"type": "ParquetWriteSettings"}},
            "enableStaging": False,
            "translator": _translator(source, entity),
            **_fault_tolerance(rejects_path),
        },
    }


def _fault_tolerance(rejects_path: str | None) -> dict[str, Any]:
    """File rows whose values do not convert to the catalog types are skipped and written to the
    landing zone's rejects folder instead of failing the copy, so rows read = copied + rejected.
    Database sources are typed at the source and get no such setting.
    https://learn.microsoft.com/azure/data-factory/copy-activity-fault-tolerance
    """
    if rejects_path is None:
        return {}
    return {
        "enableSkipIncompatibleRow": True,
        "redirectIncompatibleRowSettings": {
            "linkedServiceName": ls_ref(naming.LS_LAKE, gp_args("lake_dfs_endpoint")),
            "path": rejects_path,
        },
    }


def _db_source(source: Source, query: str | dict[str, str]) -> dict[str, Any]:
    if source.kind == "sqlserver":
        return {"type": "SqlServerSource", "sqlReaderQuery": query, "queryTimeout": "02:00:00"}
    return {"type": "AzurePostgreSqlSource", "query": query}


def _lookup(name: str, step: PipelineStep, dataset: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": "Lookup", "policy": policy(step),
            "typeProperties": {"source": source, "dataset": dataset, "firstRowOnly": True}}


def _old_watermark(name: str, step: PipelineStep, entity: Entity, initial: str) -> dict[str, Any]:
    table = naming.watermark_table()
    query = (f"SELECT COALESCE(MAX([watermark_value]), N'{initial}') AS [watermark] "
             f"FROM {'.'.join(f'[{p}]' for p in table.split('.'))} WHERE [entity] = N'{sql_literal(entity.ref)}'")
    return _lookup(name, step, ds_ref(DS_SYNAPSE_POOL, gp_args(*POOL)),
                   {"type": "SqlDWSource", "sqlReaderQuery": query, "queryTimeout": "00:10:00"})


def _save_watermark(name: str, step: PipelineStep, entity: Entity, value: str) -> dict[str, Any]:
    """Advance the entity's watermark; IF EXISTS / UPDATE / INSERT because Synapse dedicated pools
    have no @@ROWCOUNT. ``value`` is an interpolated expression producing ISO text."""
    table = ".".join(f"[{p}]" for p in naming.watermark_table().split("."))
    key = f"N'{sql_literal(entity.ref)}'"
    now = "CAST(GETUTCDATE() AS DATETIME2(3))"
    text = (f"IF EXISTS (SELECT 1 FROM {table} WHERE [entity] = {key})\n"
            f"    UPDATE {table} SET [watermark_value] = N'{value}', [updated_at] = {now} WHERE [entity] = {key};\n"
            f"ELSE\n"
            f"    INSERT INTO {table} ([entity], [watermark_value], [updated_at]) VALUES ({key}, N'{value}', {now});")
    return {
        "name": name,
        "type": "Script",
        "description": f"Advance the watermark of {entity.ref} in {naming.watermark_table()}.",
        "linkedServiceName": {"referenceName": naming.LS_SYNAPSE_POOL, "type": "LinkedServiceReference",
                              "parameters": gp_args(*POOL)},
        "policy": policy(step),
        "typeProperties": {"scripts": [{"type": "NonQuery", "text": dynamic(text)}],
                           "scriptBlockExecutionTimeout": "00:10:00"},
    }


def _output(activity: str, field: str = "watermark") -> str:
    return "@{activity('" + activity + "').output.firstRow." + field + "}"


def database_entity(prefix: str, step: PipelineStep, source: Source, entity: Entity, timing: Timing) -> list[dict]:
    dialect = Dialect(source.kind)
    select = _select(dialect, entity)
    copy_name = activity_name(prefix, "copy")
    if entity.load_mode != "incremental":
        return [_copy(copy_name, step, source, entity, timing, _db_source(source, select))]
    kind = _watermark_kind(entity)
    assert entity.watermark is not None and entity.table is not None
    old_name, new_name = activity_name(prefix, "old_watermark"), activity_name(prefix, "new_watermark")
    old, new = _output(old_name), _output(new_name)
    column = dialect.ident(entity.watermark)
    new_query = (f"SELECT COALESCE({dialect.as_text(f'MAX({column})', kind)}, {dialect.text(old)}) AS "
                 f"{dialect.ident('watermark')} FROM {dialect.table(entity.table)}")
    copy_query = (f"{select} WHERE {column} > {dialect.typed(old, kind)} "
                  f"AND {column} <= {dialect.typed(new, kind)}")
    source_dataset = ds_ref(naming.source_dataset_name(source.name, entity.name), gp_args(KV))
    return chain([
        _old_watermark(old_name, step, entity, _INITIAL[kind]),
        _lookup(new_name, step, source_dataset, _db_source(source, expr(new_query))),
        _copy(copy_name, step, source, entity, timing, _db_source(source, expr(copy_query))),
        _save_watermark(activity_name(prefix, "save_watermark"), step, entity, new),
    ])


def _wildcards(path: str, day: str | None) -> tuple[str, str]:
    """Entity path → (wildcardFolderPath, wildcardFileName). Date placeholders become the day of
    ``day`` (an expression) for full loads, or ``*`` when a modified-time range selects files."""
    folder, file = posixpath.split(path)
    for token, fmt in (("{yyyy}", "yyyy"), ("{MM}", "MM"), ("{dd}", "dd")):
        folder = folder.replace(token, "@{formatDateTime(" + day + ", '" + fmt + "')}" if day else "*")
    return folder, file


def file_entity(prefix: str, step: PipelineStep, source: Source, entity: Entity, timing: Timing,
                rejects_path: str) -> list[dict]:
    assert entity.path is not None and source.format is not None
    incremental = entity.load_mode == "incremental"
    folder, file = _wildcards(entity.path, None if incremental else timing.day)
    store: dict[str, Any] = {"type": "AzureBlobStorageReadSettings", "recursive": True,
                             "wildcardFolderPath": expr(folder) if "@{" in folder else folder,
                             "wildcardFileName": file}
    source_type, read_settings = _FILE_SOURCES[source.format]
    source_props: dict[str, Any] = {"type": source_type, "storeSettings": store}
    if read_settings:
        source_props["formatSettings"] = {"type": read_settings}
    copy_name = activity_name(prefix, "copy")
    if not incremental:
        return [_copy(copy_name, step, source, entity, timing, source_props, rejects_path)]
    if timing.windowed:  # the window is the range: re-running a window copies the same files
        store["modifiedDatetimeStart"] = expr("@pipeline().parameters.windowStart")
        store["modifiedDatetimeEnd"] = expr("@pipeline().parameters.windowEnd")
        return [_copy(copy_name, step, source, entity, timing, source_props, rejects_path)]
    old_name = activity_name(prefix, "old_watermark")
    store["modifiedDatetimeStart"] = expr(_output(old_name))
    store["modifiedDatetimeEnd"] = expr("@pipeline().TriggerTime")
    return chain([
        _old_watermark(old_name, step, entity, FILE_EPOCH),
        _copy(copy_name, step, source, entity, timing, source_props, rejects_path),
        _save_watermark(activity_name(prefix, "save_watermark"), step, entity, "@{pipeline().TriggerTime}"),
    ])


def ingest_block(catalog: Catalog, step: PipelineStep, timing: Timing) -> StepBlock:
    source_name, _, entity_name = step.target.partition(".")
    source = catalog.sources[source_name]
    names = [entity_name] if entity_name else sorted(source.entities)
    block = StepBlock([], [], [])
    for name in names:
        entity = source.entities[name]
        prefix = activity_name(step.name, name)
        if source.is_database:
            activities = database_entity(prefix, step, source, entity, timing)
        else:
            landing = catalog.platform.zones[source.landing_zone].filesystem
            rejects = f"{landing}/{lake.rejects_folder(entity.ref)}"
            activities = file_entity(prefix, step, source, entity, timing, rejects)
        block.activities += activities
        block.heads.append(activities[0]["name"])
        block.tails.append(activities[-1]["name"])
    return block
