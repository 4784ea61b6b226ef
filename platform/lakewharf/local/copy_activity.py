"""The Copy activity, locally: source → typed rows → Parquet in the lake, streamed by DuckDB.

Database sources run their (generated) query on the source's DuckDB database, translated from
the engine's dialect. File sources are converted to the catalog types; a row with a value that
does not convert is skipped and written to the configured rejects path, as Data Factory's fault
tolerance does (``enableSkipIncompatibleRow``), so rows read = copied + rejected. CSV files are
read once, typed, with DuckDB's ``store_rejects`` recording the lines that fail.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from lakewharf.local.context import Measured, RunContext
from lakewharf.local.duck import connect
from lakewharf.local.sources import DIALECTS, drop_container, source_database
from lakewharf.model.catalog import Entity

_FILE_SOURCES = {"DelimitedTextSource", "JsonSource", "ParquetSource"}


class CopyFailed(RuntimeError):
    pass


def _type(column: Any) -> str:
    from lakewharf.generate.preparation_sql import sql_type

    return sql_type(column.type).sql("duckdb")


def run_copy(
    ctx: RunContext, name: str, props: dict[str, Any], inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]
) -> tuple[dict[str, Any], Measured]:
    source_ds, sink_ds = ctx.adf.dataset(inputs[0]), ctx.adf.dataset(outputs[0])
    entity = ctx.entity_for_dataset(source_ds.name)
    if entity is None:
        raise CopyFailed(f"{source_ds.name} is not a source entity of the catalog")
    source = ctx.catalog.sources[entity.source]
    extra = {c["name"]: c["value"] for c in props["source"].get("additionalColumns", [])}
    loaded_at, run_id = str(extra.get("_loaded_at", "")).rstrip("Z")[:26], str(extra.get("_run_id", ""))
    con = connect(ctx.settings.state)
    rejected = 0
    try:
        rejects = None
        if props["source"]["type"] in _FILE_SOURCES:
            rows, rejects = _file_rows(ctx, con, source.name, entity, props)
        else:
            rows = _database_rows(ctx, con, source.name, source.kind, source_ds.properties, props["source"])
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
    return output, Measured(written + rejected, written, rejected)


def _database_rows(
    ctx: RunContext, con: Any, source: str, kind: str, dataset: dict[str, Any], props: dict[str, Any]
) -> str:
    from lakewharf.local.tsql_translate import source_query_to_duckdb

    # SQL Server sources say sqlReaderQuery, PostgreSQL ones query.
    query = props.get("sqlReaderQuery") or props.get("query")
    if not query:
        schema = dataset.get("schema")
        query = f"SELECT * FROM {schema + '.' if schema else ''}{dataset.get('table')}"
    con.execute(f"ATTACH '{source_database(ctx.settings, source)}' AS src (READ_ONLY)")
    con.execute("USE src")
    return source_query_to_duckdb(query, DIALECTS[kind])


def _matching_files(ctx: RunContext, source: str, props: dict[str, Any]) -> list[str]:
    store = props["source"]["storeSettings"]
    folder, pattern = store.get("wildcardFolderPath", ""), store.get("wildcardFileName", "*")
    return [
        n
        for n in ctx.lake.list(drop_container(source))
        if fnmatch.fnmatch(n.rsplit("/", 1)[0] if "/" in n else "", folder)
        and fnmatch.fnmatch(n.rsplit("/", 1)[-1], pattern)
    ]


def _file_rows(ctx: RunContext, con: Any, source: str, entity: Entity, props: dict[str, Any]) -> tuple[str, str | None]:
    """(SELECT of the typed, convertible rows of the matching files, SELECT of the rejected ones).

    For CSV the rejects query reads what DuckDB recorded while the first query ran.
    """
    names = _matching_files(ctx, source, props)
    if not names:
        return "SELECT " + ", ".join(
            f'CAST(NULL AS {_type(c)}) AS "{c.name}"' for c in entity.columns
        ) + " LIMIT 0", None
    local = ctx.files.folder(drop_container(source), "")
    paths = [str(local / n) for n in names]
    kind = props["source"]["type"]
    if kind == "DelimitedTextSource":
        typed = {c.name: _type(c) for c in entity.columns}
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
    text = {c.name: f"NULLIF(TRIM(CAST(\"{c.name}\" AS VARCHAR)), '')" for c in entity.columns}
    bad = " OR ".join(
        f"({text[c.name]} IS NOT NULL AND TRY_CAST({text[c.name]} AS {_type(c)}) IS NULL)" for c in entity.columns
    )
    con.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM {reader}")
    rows = (
        "SELECT "
        + ", ".join(f'TRY_CAST({text[c.name]} AS {_type(c)}) AS "{c.name}"' for c in entity.columns)
        + f" FROM raw WHERE NOT ({bad})"
    )
    return rows, f"SELECT * FROM raw WHERE {bad}"


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
