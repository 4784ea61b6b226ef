"""The Copy activity, locally: source → typed rows → Parquet in the lake, streamed by DuckDB.

Database sources run their (generated) query on the source's DuckDB database, translated from
the engine's dialect. File sources are converted to the catalog types; a row with a value that
does not convert is skipped and written to the configured rejects path, as Data Factory's fault
tolerance does (``enableSkipIncompatibleRow``), so rows read = copied + rejected. CSV files are
read once, typed, with DuckDB's ``store_rejects`` recording the lines that fail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lakewharf.local.context import Measured, RunContext
from lakewharf.local.duck import connect
from lakewharf.local.source_readers import duck_type, matching, typed_rows
from lakewharf.local.source_systems import DIALECTS
from lakewharf.model.catalog import Entity, Source

_FILE_SOURCES = {"DelimitedTextSource", "JsonSource", "ParquetSource"}


class CopyFailed(RuntimeError):
    pass


def run_copy(
    ctx: RunContext, name: str, props: dict[str, Any], inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]
) -> tuple[dict[str, Any], Measured]:
    source_ds, sink_ds = ctx.adf.dataset(inputs[0]), ctx.adf.dataset(outputs[0])
    entity = ctx.item_entity()
    if entity is None:
        raise CopyFailed(f"{ctx.target!r} (the item's target) is not a source entity of the catalog")
    source = ctx.catalog.sources[entity.source]
    extra = {c["name"]: c["value"] for c in props["source"].get("additionalColumns", [])}
    loaded_at, run_id = str(extra.get("_loaded_at", "")).rstrip("Z")[:26], str(extra.get("_run_id", ""))
    con = connect(ctx.settings.state)
    rejected = 0
    measured = Measured()
    try:
        if props["source"]["type"] in _FILE_SOURCES:
            rows, rejects = _file_rows(ctx, con, source, entity, props, measured)
        else:
            rows, rejects = _database_rows(ctx, con, source, entity, source_ds.properties, props["source"])
        columns = ", ".join(f'"{c.name}"' for c in entity.columns)
        out = ctx.files.scratch() / "part.parquet"
        written = con.execute(
            f"COPY (SELECT {columns}, CAST($loaded_at AS TIMESTAMP) AS _loaded_at, $run_id AS _run_id FROM ({rows})) "
            f"TO '{out}' (FORMAT PARQUET, COMPRESSION SNAPPY)",
            {"loaded_at": loaded_at, "run_id": run_id},
        ).fetchone()[0]
        if rejects is not None:
            rejected = _write_rejects(ctx, con, props, entity, rejects)
    finally:
        con.close()
    if written:  # Data Factory writes no file for an empty copy
        ctx.lake.ensure_filesystem(sink_ds.filesystem or "")
        ctx.lake.put_file(sink_ds.filesystem or "", f"{sink_ds.folder}/part-{run_id or name}.parquet", out)
    output = {
        "rowsRead": written + rejected,
        "rowsCopied": written,
        "rowsSkipped": rejected,
        "filesWritten": int(written > 0),
    }
    measured.rows_read, measured.rows_written, measured.rows_rejected = written + rejected, written, rejected
    return output, measured


def _database_rows(ctx: RunContext, con: Any, source: Source, entity: Entity, dataset: dict[str, Any],
                   props: dict[str, Any]) -> tuple[str, str | None]:
    """(SELECT of the generated query on the source, SELECT of the stored rows that do not convert)."""
    # SQL Server sources say sqlReaderQuery, PostgreSQL ones query.
    query = props.get("sqlReaderQuery") or props.get("query")
    if not query:
        schema = dataset.get("schema")
        query = f"SELECT * FROM {schema + '.' if schema else ''}{dataset.get('table')}"
    db = ctx.sources.database(source.name)
    rejects = db.expose(con, entity, source)
    return db.query(con, query, DIALECTS[source.kind]), rejects


def _in_window(modified: dt.datetime | None, store: dict[str, Any]) -> bool:
    """Data Factory selects a file when modifiedDatetimeStart <= last modified < modifiedDatetimeEnd
    (https://learn.microsoft.com/azure/data-factory/connector-azure-blob-storage#copy-activity-properties)."""
    start, end = _when(store.get("modifiedDatetimeStart")), _when(store.get("modifiedDatetimeEnd"))
    if modified is None:
        return True  # lakewharf's own drop: its files are as new as the seed
    return (start is None or modified >= start) and (end is None or modified < end)


def _when(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)


def _file_rows(ctx: RunContext, con: Any, source: Source, entity: Entity, props: dict[str, Any],
               measured: Measured) -> tuple[str, str | None]:
    """(SELECT of the typed, convertible rows of the matching files, SELECT of the rejected ones).

    For CSV the rejects query reads what DuckDB recorded while the first query ran.
    """
    store = props["source"]["storeSettings"]
    drop = ctx.sources.drop(source.name)
    matched = matching(drop.files(), store.get("wildcardFolderPath", ""), store.get("wildcardFileName", "*"))
    chosen = [f for f in matched if _in_window(f.modified, store)]
    if not chosen:
        outside = f", {len(matched)} matching file(s) modified outside the copy window" if matched else ""
        measured.warnings.append(f"{entity.ref}: 0 files read from {drop.where}{outside}")
        return "SELECT " + ", ".join(
            f'CAST(NULL AS {duck_type(c)}) AS "{c.name}"' for c in entity.columns
        ) + " LIMIT 0", None
    paths = [f.path for f in chosen]
    kind = props["source"]["type"]
    if kind == "DelimitedTextSource":
        typed = {c.name: duck_type(c) for c in entity.columns}
        rows = f"SELECT * FROM read_csv({paths!r}, header = true, columns = {typed!r}, store_rejects = true)"
        rejects = (
            "SELECT line, any_value(csv_line) AS csv_line, string_agg(column_name || ': ' || error_message, "
            "'; ') AS reason FROM reject_errors GROUP BY file_id, line"
        )
        return rows, rejects
    reader = (
        f"read_json({paths!r}, format = 'newline_delimited', columns = "
        f"{ {c.name: 'VARCHAR' for c in entity.columns}!r})"
        if kind == "JsonSource"
        else f"read_parquet({paths!r}, union_by_name = true)"
    )
    con.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM {reader}")
    return typed_rows("raw", entity)


def _write_rejects(ctx: RunContext, con: Any, props: dict[str, Any], entity: Entity, query: str) -> int:
    count = con.execute(f"SELECT COUNT(*) FROM ({query})").fetchone()[0]
    if not count:
        return 0
    settings = props.get("redirectIncompatibleRowSettings")
    if not props.get("enableSkipIncompatibleRow") or not settings:
        raise CopyFailed(
            f"{count} row(s) of {entity.ref} do not convert to the catalog types and the copy has no "
            "fault tolerance configured"
        )
    out = ctx.files.scratch() / "rejected.parquet"
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT PARQUET)")
    filesystem, _, folder = settings["path"].partition("/")
    ctx.lake.put_file(filesystem, f"{folder}/rejected-{ctx.run_id}.parquet", out)
    return int(count)
