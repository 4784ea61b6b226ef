"""The SQL and column mappings of ingest items (the worker pipelines copy with them).

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

from typing import Any

from lakewharf.model.catalog import Column, Entity, Source
from lakewharf.model.lake import LOADED_AT, RUN_ID
from lakewharf.sources.registry import api_kind, capture_kind, family_of
from lakewharf.sources.sql_dialect import SqlDialect

_INTERIM = {"boolean": "Boolean", "smallint": "Int16", "int": "Int32", "bigint": "Int64", "float": "Single",
            "double": "Double", "decimal": "Decimal", "string": "String", "date": "DateTime",
            "timestamp": "DateTime", "binary": "Byte[]"}
FILE_EPOCH = "1900-01-01T00:00:00Z"


# --- the watermark pattern (each database kind's SqlDialect spells it) --------------------------


def watermark_kind(entity: Entity) -> str:
    column = next(c for c in entity.columns if c.name == entity.watermark)
    base = column.type.base
    if base in ("timestamp", "date"):
        return base
    if base in ("smallint", "int", "bigint"):
        return "integer"
    raise ValueError(f"entity {entity.ref}: watermark column {column.name!r} is {column.type}; "
                     "use a timestamp, date or integer column")


INITIAL_WATERMARK = {"timestamp": "1900-01-01T00:00:00", "date": "1900-01-01", "integer": "-9223372036854775808"}


def select_sql(dialect: SqlDialect, entity: Entity) -> str:
    return dialect.select(entity)


# --- column mapping ---------------------------------------------------------------------


def translator(source: Source, entity: Entity) -> dict[str, Any]:
    """Explicit mapping of the catalog's columns plus the two added ones (additional columns must
    be mapped explicitly once a mapping exists). Database and Parquet sources keep their native
    types; CSV text is converted to the catalog types; JSON is hierarchical, which the Copy's type
    conversion does not cover, so JSON fields keep the types the file has."""
    capture = capture_kind(family_of(source))
    if capture is not None:  # the capture's columns as they are; the landing view parses Body
        return {"type": "TabularTranslator", "mappings": [
            *({"source": {"name": a}, "sink": {"name": b}} for a, b in capture.mapping()),
            {"source": {"name": LOADED_AT}, "sink": {"name": LOADED_AT, "type": "DateTime"}},
            {"source": {"name": RUN_ID}, "sink": {"name": RUN_ID}}]}
    api = api_kind(family_of(source))
    collection, paths = api.record_mapping(entity) if api else ("", {})  # an API's records and their fields
    hierarchical = source.format == "jsonl" or api is not None

    def mapping(column: Column) -> dict[str, Any]:
        sink: dict[str, str] = {"name": column.name}
        if source.format == "csv":
            sink["type"] = _INTERIM[column.type.base]
        path = paths.get(column.name, f"$['{column.name}']")
        return {"source": {"path": path} if hierarchical else {"name": column.name}, "sink": sink}

    mappings = [mapping(c) for c in entity.columns]
    loaded_at: dict[str, str] = {"name": LOADED_AT} if hierarchical else {"name": LOADED_AT, "type": "DateTime"}
    mappings += [{"source": {"name": LOADED_AT}, "sink": loaded_at},
                 {"source": {"name": RUN_ID}, "sink": {"name": RUN_ID}}]
    translator: dict[str, Any] = {"type": "TabularTranslator", "mappings": mappings}
    if collection:  # the array whose items are the rows; relative paths read inside each item
        translator["collectionReference"] = collection
    if not hierarchical:
        translator |= {"typeConversion": True,
                       "typeConversionSettings": {"allowDataTruncation": False, "treatBooleanAsNumber": False}}
    return translator
