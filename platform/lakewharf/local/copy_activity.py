"""The Copy activity, locally: source → typed rows → Parquet in the lake.

Database sources run their (generated) query on the source's DuckDB database, translated from
the engine's dialect. File sources are read as text and converted to the catalog types; a row with
a value that does not convert is skipped and written to the configured rejects path, as Data
Factory's fault tolerance does (``enableSkipIncompatibleRow``), so rows read = copied + rejected.
"""

from __future__ import annotations

import fnmatch
import io
from typing import Any

from lakewharf.local.context import Measured, RunContext
from lakewharf.local.sources import DIALECTS, drop_container, source_database
from lakewharf.model.catalog import Entity

_FILE_SOURCES = {"DelimitedTextSource", "JsonSource", "ParquetSource"}


class CopyFailed(RuntimeError):
    pass


def run_copy(
    ctx: RunContext, name: str, props: dict[str, Any], inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]
) -> tuple[dict[str, Any], Measured]:
    import duckdb

    source_ds, sink_ds = ctx.adf.dataset(inputs[0]), ctx.adf.dataset(outputs[0])
    entity = ctx.entity_for_dataset(source_ds.name)
    if entity is None:
        raise CopyFailed(f"{source_ds.name} is not a source entity of the catalog")
    source = ctx.catalog.sources[entity.source]
    con = duckdb.connect()
    extra = {c["name"]: c["value"] for c in props["source"].get("additionalColumns", [])}
    if props["source"]["type"] in _FILE_SOURCES:
        read, rejected = _read_files(ctx, con, source.name, entity, props)
    else:
        from lakewharf.local.tsql_translate import source_query_to_duckdb

        source_props = props["source"]  # SQL Server sources say sqlReaderQuery, PostgreSQL ones query
        query = source_props.get("sqlReaderQuery") or source_props.get("query")
        if not query:
            schema = source_ds.properties.get("schema")
            query = f"SELECT * FROM {schema + '.' if schema else ''}{source_ds.properties.get('table')}"
        con.execute(f"ATTACH '{source_database(ctx.settings, source.name)}' AS src (READ_ONLY)")
        con.execute("USE src")
        con.execute(f"CREATE TEMP TABLE copied AS {source_query_to_duckdb(query, DIALECTS[source.kind])}")
        read, rejected = con.execute("SELECT COUNT(*) FROM copied").fetchone()[0], 0
    columns = ", ".join(f'"{c.name}"' for c in entity.columns)
    loaded_at, run_id = str(extra.get("_loaded_at", "")).rstrip("Z"), str(extra.get("_run_id", ""))
    table = con.execute(
        f"SELECT {columns}, CAST(? AS TIMESTAMP) AS _loaded_at, ? AS _run_id FROM copied", [loaded_at[:26], run_id]
    ).fetch_arrow_table()
    written = table.num_rows
    if written:  # Data Factory writes no file for an empty copy
        _write_parquet(ctx, sink_ds.filesystem or "", f"{sink_ds.folder}/part-{run_id or name}.parquet", table)
    con.close()
    output = {
        "rowsRead": read + rejected,
        "rowsCopied": written,
        "rowsSkipped": rejected,
        "filesWritten": int(written > 0),
    }
    return output, Measured(read + rejected, written, rejected)


def _write_parquet(ctx: RunContext, filesystem: str, path: str, table: Any) -> None:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    ctx.lake.ensure_filesystem(filesystem)
    ctx.lake.write(filesystem, path, buffer.getvalue())


def _matching_files(ctx: RunContext, source: str, props: dict[str, Any]) -> list[str]:
    store = props["source"]["storeSettings"]
    folder, pattern = store.get("wildcardFolderPath", ""), store.get("wildcardFileName", "*")
    names = ctx.lake.list(drop_container(source))
    return [
        n
        for n in names
        if fnmatch.fnmatch(n.rsplit("/", 1)[0] if "/" in n else "", folder)
        and fnmatch.fnmatch(n.rsplit("/", 1)[-1], pattern)
    ]


def _read_files(ctx: RunContext, con: Any, source: str, entity: Entity, props: dict[str, Any]) -> tuple[int, int]:
    """Load matching files as text into ``raw``, keep convertible rows in ``copied``; (kept, rejected)."""
    from lakewharf.generate.preparation_sql import sql_type

    names = _matching_files(ctx, source, props)
    local = ctx.files.folder(drop_container(source), "")
    paths = [str(local / n) for n in names]
    text_columns = {c.name: "VARCHAR" for c in entity.columns}
    if not paths:
        con.execute(
            "CREATE TEMP TABLE copied AS SELECT "
            + ", ".join(f'CAST(NULL AS {sql_type(c.type).sql("duckdb")}) AS "{c.name}"' for c in entity.columns)
            + " LIMIT 0"
        )
        return 0, 0
    if props["source"]["type"] == "DelimitedTextSource":
        reader = f"read_csv({paths!r}, header=true, columns={text_columns!r}, all_varchar=true)"
    elif props["source"]["type"] == "JsonSource":
        reader = f"read_json({paths!r}, format='newline_delimited', columns={text_columns!r})"
    else:
        reader = f"read_parquet({paths!r}, union_by_name=true)"
    con.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM {reader}")
    converted = ", ".join(
        f'TRY_CAST(NULLIF(TRIM(CAST("{c.name}" AS VARCHAR)), \'\') AS {sql_type(c.type).sql("duckdb")}) AS "{c.name}"'
        for c in entity.columns
    )
    failed = " OR ".join(
        f"(NULLIF(TRIM(CAST(\"{c.name}\" AS VARCHAR)), '') IS NOT NULL AND TRY_CAST(TRIM(CAST("
        f'"{c.name}" AS VARCHAR)) AS {sql_type(c.type).sql("duckdb")}) IS NULL)'
        for c in entity.columns
    )
    con.execute(f"CREATE TEMP TABLE copied AS SELECT {converted} FROM raw WHERE NOT ({failed})")
    rejected = con.execute(f"SELECT * FROM raw WHERE {failed}").fetch_arrow_table()
    if rejected.num_rows:
        settings = props.get("redirectIncompatibleRowSettings")
        if not props.get("enableSkipIncompatibleRow") or not settings:
            raise CopyFailed(
                f"{rejected.num_rows} row(s) of {entity.ref} do not convert to the catalog types and "
                "the copy has no fault tolerance configured"
            )
        filesystem, _, folder = settings["path"].partition("/")
        _write_parquet(ctx, filesystem, f"{folder}/rejected-{ctx.run_id}.parquet", rejected)
    kept = con.execute("SELECT COUNT(*) FROM copied").fetchone()[0]
    return kept, rejected.num_rows
