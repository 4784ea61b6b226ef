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

from lakewharf.generate.adf.datasets import split_table
from lakewharf.model.catalog import Column, Entity, Source
from lakewharf.model.lake import LOADED_AT, RUN_ID

_INTERIM = {"boolean": "Boolean", "smallint": "Int16", "int": "Int32", "bigint": "Int64", "float": "Single",
            "double": "Double", "decimal": "Decimal", "string": "String", "date": "DateTime",
            "timestamp": "DateTime", "binary": "Byte[]"}
FILE_SOURCES = {"csv": ("DelimitedTextSource", "DelimitedTextReadSettings"),
                 "jsonl": ("JsonSource", "JsonReadSettings"), "parquet": ("ParquetSource", None)}
FILE_EPOCH = "1900-01-01T00:00:00Z"


# --- SQL dialects of the watermark pattern ---------------------------------------------------


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


def select_sql(dialect: Dialect, entity: Entity) -> str:
    assert entity.table is not None
    columns = ", ".join(dialect.ident(c.name) for c in entity.columns)
    return f"SELECT {columns} FROM {dialect.table(entity.table)}"


# --- column mapping ---------------------------------------------------------------------


def translator(source: Source, entity: Entity) -> dict[str, Any]:
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
