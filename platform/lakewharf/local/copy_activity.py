"""The Copy activity, locally: source → rows checked one by one → Parquet in the lake.

Every reader hands over the rows it read with their values as read (``row_checks``); each row is
then kept, typed as the catalog says, or rejected with a reason naming its columns and written to
the copy's rejects path, as Data Factory's fault tolerance does (``enableSkipIncompatibleRow``).
The three counts are measured apart: ``rows_read`` by the reader (the source query's own result,
the CSV reader's records, the JSON file's lines, the Parquet footers), ``rows_written`` by the
Parquet writer, ``rows_rejected`` by the rejects writer — so ``read = written + rejected`` is a
check that can fail, not a definition.

- Databases run the generated query, translated to DuckDB, over the entity's table (see
  ``source_readers``); rows with a NULL watermark, which no incremental query selects, here or
  in Azure, are counted and reported as a warning.
- CSV is read once, typed, by DuckDB with ``store_rejects`` (a wrong column count or an
  unconvertible value is a reject with its line), with the dataset's delimiter, quote and header,
  streamed into the landing Parquet; its records are counted apart by ``csv_records``.
- JSON lines are read line by line: a malformed line or invalid UTF-8 is a reject with its line
  and byte offset, never the end of the copy.
- Event Hubs Capture files (Avro) are read with fastavro and land the columns the Copy's
  translator maps, as they are (``capture_files``): Body stays bytes, which the entity's landing
  view parses, here as in Azure; no event is rejected.

Nothing is read into memory whole: each reader's rows stream through the checks into the Parquet
writer (DuckDB spills past its memory limit), the contract is checked on the written file, and
the rejects are written in the same pass that counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakewharf.local.context import Measured, RunContext
from lakewharf.local.csv_records import csv_records
from lakewharf.local.duck import connect
from lakewharf.local.json_lines import read_json_lines
from lakewharf.local.row_checks import catalog_types, checked, column_types, duck_type
from lakewharf.local.source_readers import in_window, matching, raw_column
from lakewharf.local.source_systems import query_dialect, source_query
from lakewharf.model.catalog import Entity, Source
from lakewharf.model.lake import LOADED_AT, RUN_ID

_FILE_SOURCES = {"DelimitedTextSource", "JsonSource", "ParquetSource", "AvroSource"}
_NO_FILE = "NULL::VARCHAR AS __file, NULL::BIGINT AS __line"


class CopyFailed(RuntimeError):
    pass


@dataclass
class Read:
    """What a reader read: ``relation`` (a table name or a parenthesised SELECT) holds the catalog
    columns as read plus ``__file``/``__line``; it is read as often as the checks need, never kept."""

    relation: str
    rows_read: int
    raw: dict[str, str] | None = None  # catalog column → the column holding its value as stored
    record: bool = False  # the relation has ``__record``: the raw line, for reject files
    structural: str | None = None  # SELECT source_file, line, reason, record of rows the reader refused
    landed: tuple[str, ...] = ()  # columns landed as read, unchecked (the translator's); () = the catalog's


def run_copy(
    ctx: RunContext, name: str, props: dict[str, Any], inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]
) -> tuple[dict[str, Any], Measured]:
    source_ds, sink_ds = ctx.adf.dataset(inputs[0]), ctx.adf.dataset(outputs[0])
    if props["source"]["type"] == "BinarySource":  # files as they are (local/media_files.py)
        from lakewharf.local.media_files import run_binary_copy

        return run_binary_copy(ctx, props, sink_ds)
    entity = ctx.item_entity()
    if entity is None:
        raise CopyFailed(f"{ctx.target!r} (the item's target) is not a source entity of the catalog")
    source = ctx.catalog.sources[entity.source]
    extra = {c["name"]: c["value"] for c in props["source"].get("additionalColumns", [])}
    loaded_at, run_id = str(extra.get(LOADED_AT, "")).rstrip("Z")[:26], str(extra.get(RUN_ID, ""))
    con = connect(ctx.settings.state)
    measured = Measured()
    try:
        if props["source"]["type"] == "RestSource":  # a real HTTP API on 127.0.0.1 (local/rest_api.py)
            from lakewharf.local.rest_api import api_read

            read = api_read(con, ctx.sources.drop(source.name), entity, measured)
        elif props["source"]["type"] == "SqlDWSource":  # a files entity's metadata (local/media_files.py)
            from lakewharf.local.media_files import metadata_relation

            read = Read(*metadata_relation(ctx, con, str(props["source"].get("sqlReaderQuery", ""))))
        elif props["source"]["type"] in _FILE_SOURCES:
            read = _file_read(ctx, con, source, entity, props, source_ds.properties, measured, extra)
        else:
            read = _database_read(ctx, con, source, entity, source_ds.properties, props["source"], measured)
        if read.landed:  # what the translator maps, as read: no catalog column is landed to check
            kept, rejected, broken = f"SELECT * FROM {read.relation}", None, None
            columns = ", ".join(f'"{c}"' for c in read.landed)
        else:
            raw = read.raw or {}
            have, want = column_types(con, read.relation), catalog_types(con, entity)
            typed = frozenset(c.name for c in entity.columns if have.get(raw.get(c.name, c.name)) == want[c.name])
            kept, rejected, broken = checked(read.relation, entity, raw=read.raw, located=True, record=read.record,
                                             typed=typed, landed="landed")
            columns = ", ".join(f'"{c.name}"' for c in entity.columns)
        out = ctx.files.scratch() / "part.parquet"
        written = con.execute(
            f"COPY (SELECT {columns}, CAST($loaded_at AS TIMESTAMP) AS {LOADED_AT}, $run_id AS {RUN_ID} FROM ({kept})) "
            f"TO '{out}' (FORMAT PARQUET, COMPRESSION SNAPPY)",
            {"loaded_at": loaded_at, "run_id": run_id},
        ).fetchone()[0]
        if broken:
            con.execute(f"CREATE TEMP VIEW landed AS SELECT * FROM read_parquet('{out}')")
            _warn_broken(con, entity, broken, measured)
        refused = [q for q in (rejected, read.structural) if q]
        rejects = _write_rejects(ctx, con, props, entity, " UNION ALL ".join(refused)) if refused else 0
    finally:
        con.close()
    if written:  # Data Factory writes no file for an empty copy
        ctx.lake.ensure_filesystem(sink_ds.filesystem or "")
        ctx.lake.put_file(sink_ds.filesystem or "", f"{sink_ds.folder}/part-{run_id or name}.parquet", out)
    output = {"rowsRead": read.rows_read, "rowsCopied": written, "rowsSkipped": rejects,
              "filesWritten": int(written > 0)}
    measured.rows_read, measured.rows_written, measured.rows_rejected = read.rows_read, written, rejects
    if read.rows_read != written + rejects:
        raise CopyFailed(f"{entity.ref}: read {read.rows_read:,} rows but wrote {written:,} and rejected "
                         f"{rejects:,}: {read.rows_read - written - rejects:,} row(s) unaccounted for")
    return output, measured


def _warn_broken(con: Any, entity: Entity, broken: str, measured: Measured) -> None:
    """Rows that convert but break the column contract: copied, as Azure's Copy copies them, and said."""
    found = con.execute(broken).fetchall()
    if found:
        total = sum(int(n) for _, n in found)
        measured.warnings.append(
            f"{entity.ref}: {total:,} row(s) break the column contract ({found[0][0]}"
            f"{f'; and {len(found) - 1} other kind(s)' if len(found) > 1 else ''}); Azure's copy lands them too, "
            "and the first preparation reading them rejects NULLs in non-nullable or key columns (contract)")


def _count(con: Any, relation: str) -> int:
    return int(con.execute(f"SELECT COUNT(*) FROM {relation}").fetchone()[0])


def _database_read(ctx: RunContext, con: Any, source: Source, entity: Entity, dataset: dict[str, Any],
                   props: dict[str, Any], measured: Measured) -> Read:
    """The generated query's rows; its own count is rows read."""
    query = source_query(source, props)  # each kind names its query property (sqlReaderQuery, query…)
    if not query:
        schema = dataset.get("schema")
        query = f"SELECT * FROM {schema + '.' if schema else ''}{dataset.get('table')}"
    db = ctx.sources.database(source.name)
    db.expose(con, entity, source)
    if entity.load_mode == "incremental" and entity.watermark:
        unselectable = db.null_watermarks(con, entity, source)
        if unselectable:
            measured.warnings.append(
                f"{entity.ref}: {unselectable:,} row(s) have no {entity.watermark} (NULL watermark): no "
                "incremental copy selects them, here or in Azure")
    selected = db.query(con, query, query_dialect(source), every_column=True)
    stored = db.stores_raw
    relation = f"(SELECT *, {_NO_FILE} FROM ({selected}))"
    # The query's own result, counted by its own execution: the writer's count is measured apart.
    raw = {c.name: raw_column(c.name) for c in entity.columns} if stored else None
    return Read(relation, _count(con, relation), raw=raw)


def _csv_options(dataset: dict[str, Any]) -> dict[str, Any]:
    """The dataset's delimiter, quote and header, as the Copy reads the file."""
    return {"delim": dataset.get("columnDelimiter", ","), "quote": dataset.get("quoteChar", '"'),
            "escape": dataset.get("escapeChar", '"'), "header": bool(dataset.get("firstRowAsHeader", True))}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def _csv_records(paths: list[str], options: dict[str, Any]) -> int:
    """Records in the files, counted as Python's csv module counts them, apart from DuckDB's typed
    read: the number that rows written + rejected must add up to (blank lines are no records)."""
    count = 0
    for path in paths:
        rows = csv_records(path, options["delim"], options["quote"], options["escape"])
        count += max(0, rows - 1) if options["header"] else rows
    return count


def _csv_read(con: Any, paths: list[str], entity: Entity, dataset: dict[str, Any]) -> Read:
    options = _csv_options(dataset)
    shared = ", ".join(f"{k} = {_literal(v)}" for k, v in options.items())
    typed = {c.name: duck_type(c) for c in entity.columns}
    # No sniffing: the dataset says how the file is written, and a sniffer facing one huge line
    # refuses the whole file. Lines up to 16 MiB are read (a longer one is a reject).
    relation = (f"(SELECT * EXCLUDE (__file), __file, NULL::BIGINT AS __line FROM read_csv({paths!r}, "
                f"{shared}, columns = {typed!r}, auto_detect = false, max_line_size = {16 * 2**20}, "
                "store_rejects = true, filename = '__file'))")
    structural = ("SELECT any_value(s.file_path) AS source_file, e.line AS line, "
                  "left(string_agg(coalesce(e.column_name || ': ', '') || e.error_message, '; '), 500) AS reason, "
                  "left(any_value(e.csv_line), 2000) AS record "
                  "FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) "
                  "GROUP BY e.scan_id, e.file_id, e.line")
    # The structural rejects are known once the read has run: the query is run after the write.
    return Read(relation, _csv_records(paths, options), structural=structural)


def _file_read(ctx: RunContext, con: Any, source: Source, entity: Entity, props: dict[str, Any],
               dataset: dict[str, Any], measured: Measured, extra: dict[str, Any]) -> Read:
    store = props["source"]["storeSettings"]
    drop = ctx.sources.drop(source.name)
    folder, pattern = store.get("wildcardFolderPath", ""), store.get("wildcardFileName", "*")
    matched = matching(drop.files(), folder, pattern)
    if props["source"]["type"] == "AvroSource":  # capture files sit in partition and time folders below
        matched += matching(drop.files(), f"{folder}/*", pattern)
    chosen = [f for f in matched if in_window(f, store)]
    kind = props["source"]["type"]
    if kind == "AvroSource":  # Event Hubs Capture files (local/capture_files.py)
        from lakewharf.local.capture_files import mapped, read_capture

        if not chosen:
            _no_files(measured, entity, drop.where, matched)
        fields = mapped(props.get("translator"), set(extra))
        try:
            rows, records = read_capture([f.path for f in chosen], fields)
        except ValueError as exc:
            raise CopyFailed(f"{entity.ref}: {exc}") from None
        con.register("capture_rows", rows)
        return Read("capture_rows", records, landed=tuple(sink for _, sink in fields))
    if not chosen:
        _no_files(measured, entity, drop.where, matched)
        empty = ", ".join(f'CAST(NULL AS {duck_type(c)}) AS "{c.name}"' for c in entity.columns)
        relation = f"(SELECT {empty}, {_NO_FILE} LIMIT 0)"
        return Read(relation, _count(con, relation))
    paths = [f.path for f in chosen]
    if kind == "DelimitedTextSource":
        return _csv_read(con, paths, entity, dataset)
    if kind == "JsonSource":
        rows, refused, lines = read_json_lines(paths, entity, dataset.get("encodingName", "UTF-8"))
        con.register("json_rows", rows)
        con.register("json_refused", refused)
        return Read("json_rows", lines, record=True, structural="SELECT * FROM json_refused")
    count = con.execute(f"SELECT COALESCE(SUM(num_rows), 0) FROM parquet_file_metadata({paths!r})").fetchone()[0]
    return Read(f"(SELECT *, NULL::BIGINT AS __line FROM read_parquet({paths!r}, union_by_name = true, "
                "filename = '__file'))", int(count))


def _no_files(measured: Measured, entity: Entity, where: str, matched: list[Any]) -> None:
    outside = f", {len(matched)} matching file(s) modified outside the copy window" if matched else ""
    measured.warnings.append(f"{entity.ref}: 0 files read from {where}{outside}")


def _write_rejects(ctx: RunContext, con: Any, props: dict[str, Any], entity: Entity, query: str) -> int:
    """The rejected rows, written and counted by the one pass of the writer (no file without any)."""
    out = ctx.files.scratch() / "rejected.parquet"
    count = int(con.execute(f"COPY ({query}) TO '{out}' (FORMAT PARQUET)").fetchone()[0])
    if not count:
        out.unlink()
        return 0
    settings = props.get("redirectIncompatibleRowSettings")
    if not props.get("enableSkipIncompatibleRow") or not settings:
        first = con.execute(f"SELECT reason FROM read_parquet('{out}') LIMIT 1").fetchone()[0]
        raise CopyFailed(
            f"{count} row(s) of {entity.ref} break the catalog's column contract and the copy has no fault "
            f"tolerance configured; the first: {first}"
        )
    filesystem, _, folder = settings["path"].partition("/")
    ctx.lake.put_file(filesystem, f"{folder}/rejected-{ctx.run_id}.parquet", out)
    return count
