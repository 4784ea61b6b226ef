"""Event Hubs Capture files, copied locally as Azure's Copy copies them (``sources.event_hub``).

The Copy's translator maps Avro fields to landed columns: the capture's ``SequenceNumber``,
``Offset``, ``EnqueuedTimeUtc`` and ``Body`` as they are (long, text, text, bytes), plus the
``_loaded_at``/``_run_id`` additional columns every ingest adds. The local Copy lands exactly
those columns, read with fastavro; nothing in ``Body`` is parsed here. The entity's generated
landing view turns Body into the catalog's columns, and the local serverless pool runs that view's
own SQL over these files (``sql_activities``, translated to DuckDB by ``tsql_translate``).
Every record read is written, none rejected (Azure's Copy of these columns rejects none): rows
read = Avro records, rows written = Parquet rows, counted apart.
"""

from __future__ import annotations

from typing import Any

# Avro primitive types as Arrow types (https://avro.apache.org/docs/1.11.1/specification/#primitive-types),
# as Data Factory writes them to Parquet (https://learn.microsoft.com/azure/data-factory/format-avro#data-type-support).
_ARROW = {"long": "int64", "int": "int32", "string": "string", "bytes": "binary", "double": "float64",
          "float": "float32", "boolean": "bool"}


def mapped(translator: Any, additional: set[str]) -> list[tuple[str, str]]:
    """(Avro field, landed column) of the Copy's translator, the additional columns left out."""
    mappings = translator.get("mappings", []) if isinstance(translator, dict) else []
    return [(m["source"]["name"], m["sink"]["name"]) for m in mappings if m["source"]["name"] not in additional]


def _arrow_type(avro: Any) -> str:
    kinds = [k for k in (avro if isinstance(avro, list) else [avro]) if k != "null"]
    if len(kinds) != 1 or not isinstance(kinds[0], str) or kinds[0] not in _ARROW:
        raise ValueError(f"Avro type {avro!r} is not copied locally (only primitive types are)")
    return _ARROW[kinds[0]]


def read_capture(paths: list[str], fields: list[tuple[str, str]]) -> tuple[Any, int]:
    """(pyarrow table of the mapped fields under their landed names, plus ``__file``/``__line``;
    records read)."""
    import fastavro
    import pyarrow

    values: dict[str, list[Any]] = {field: [] for field, _ in fields}
    types: dict[str, str] = {}
    files: list[str] = []
    lines: list[int] = []
    for path in paths:
        with open(path, "rb") as handle:
            reader = fastavro.reader(handle)
            schema = {f["name"]: f["type"] for f in (reader.writer_schema or {}).get("fields", [])}
            for field, _ in fields:
                if field not in schema:
                    raise ValueError(f"{path}: the capture file has no field {field!r} that the Copy maps")
                types.setdefault(field, _arrow_type(schema[field]))
            for number, record in enumerate(reader, start=1):
                for field in values:
                    values[field].append(record.get(field))  # type: ignore[union-attr]
                files.append(path)
                lines.append(number)
    columns = {sink: pyarrow.array(values[field], getattr(pyarrow, types.get(field, "string"))())
               for field, sink in fields}
    table = pyarrow.table({**columns, "__file": pyarrow.array(files, pyarrow.string()),
                           "__line": pyarrow.array(lines, pyarrow.int64())})
    return table, len(lines)
