"""Script and Lookup activities, locally.

A Script on the serverless SQL pool is a preparation or a dataset's audit: each ``CREATE EXTERNAL
TABLE … AS SELECT`` runs its SELECT on DuckDB, where every external table it reads (landing
entities, prepared datasets) is a view over that folder's Parquet files, and the result is
written as Parquet to the LOCATION in the zone. A landing entity whose kind brings its own
landing view (Event Hubs Capture: Body parsed into the catalog's columns) is read through that
generated view's own SELECT in build/, translated to DuckDB, its OPENROWSET reading the files.
An audit's SELECT returns its rows as the activity's result set. A Script on the dedicated pool
runs on the local warehouse; its COPY INTO reads the Parquet files from the lake. Lookups query
the warehouse or a source database.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from lakewharf.local.context import Measured, RunContext
from lakewharf.local.tsql_text import CopyInto, split_statements, strip_comments, unbracket
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Column

_CETAS = re.compile(r"CREATE\s+EXTERNAL\s+TABLE\s+([\[\]\w.]+)\s+WITH\s*\((.*?)\)\s*AS\s+(.*)$", re.S | re.I)


class ScriptFailed(RuntimeError):
    pass


_DROP_EXTERNAL = re.compile(r"IF\s+OBJECT_ID\(.*\)\s+IS\s+NOT\s+NULL\s+DROP\s+EXTERNAL\s+TABLE\b", re.S | re.I)


def serverless_statement(script: str) -> tuple[str, str, str] | None:
    """What the local serverless pool runs of one Script batch: ``None`` for the guard dropping an
    external table (external tables are views here, created afresh for every statement), else the
    (table, WITH options, SELECT) of its one CREATE EXTERNAL TABLE AS SELECT."""
    statements = split_statements(script)
    if len(statements) == 1 and _DROP_EXTERNAL.match(statements[0]):
        return None
    m = _CETAS.match(statements[0]) if len(statements) == 1 else None
    if not m:
        raise ScriptFailed(f"only CREATE EXTERNAL TABLE AS SELECT runs on the local serverless pool: {script[:100]}")
    table, options, select = m.groups()
    return table, options, select


def _external_tables(ctx: RunContext) -> dict[str, tuple[str, str, tuple[Column, ...], str | None]]:
    """Serverless table name → (filesystem, folder, declared columns, the generated view's path in
    build/ when the entity's kind brings its own landing view) for every landing entity and dataset."""
    from lakewharf.sources.registry import kind_of

    tables = {}
    for source in ctx.catalog.sources.values():
        for entity in source.entities.values():
            landing = naming.landing_table_name(source.name, entity.name)
            name = naming.serverless_table_name(source.landing_zone, landing)
            view = f"synapse/serverless/landing/{landing}.sql" if kind_of(source).landing_view(entity) else None
            tables[name.lower()] = (ctx.filesystem(source.landing_zone), lake.landing_folder(source.name, entity.name),
                                    entity.columns, view)
    for ds in ctx.catalog.datasets.values():
        tables[naming.serverless_table_name(ds.zone, ds.name).lower()] = (
            ctx.filesystem(ds.zone),
            lake.dataset_folder(ds.name),
            ds.columns,
            None,
        )
    return tables


def _serverless_schema(ctx: RunContext, select: str) -> Any:
    """Column types of the external tables ``select`` names, from the catalog's contracts (landing
    rows add their load time)."""
    from lakewharf.local.tsql_types import catalog_schema
    from lakewharf.model.lake import LOADED_AT

    tables: list[tuple[str, tuple[Column, ...], dict[str, str]]] = []
    for source in ctx.catalog.sources.values():
        for entity in source.entities.values():
            table = naming.landing_table_name(source.name, entity.name)
            tables.append((naming.serverless_table_name(source.landing_zone, table), entity.columns,
                           {LOADED_AT: "TIMESTAMP"}))
    tables += [(naming.serverless_table_name(ds.zone, ds.name), ds.columns, {}) for ds in ctx.catalog.datasets.values()]
    return catalog_schema(tables, within=select)


def _view_sql(con: Any, glob: str, declared: tuple[Column, ...]) -> str:
    """The files' columns, plus a typed NULL for each declared column no file has yet: a column
    added to a source reads as NULL from the files landed before it, as an external table with the
    column declared reads them in Synapse serverless."""
    from lakewharf.model.type_map import duckdb_type

    files = f"read_parquet('{glob}', union_by_name = true)"
    present = {row[0].lower() for row in con.execute(f"DESCRIBE SELECT * FROM {files}").fetchall()}
    added = [f", CAST(NULL AS {duckdb_type(c.type)}) AS {c.name}"
             for c in declared if c.name.lower() not in present]
    return f"SELECT *{''.join(added)} FROM {files}"


_CREATE_VIEW = re.compile(r"CREATE\s+VIEW\s+[\[\]\w.]+\s+AS\s+(.*)$", re.S | re.I)


def generated_view_select(script: str) -> str:
    """The SELECT of the one CREATE VIEW of a generated landing view script (its other batches are
    the USE and the guarded DROP)."""
    from lakewharf.local.tsql_text import batches

    found = [m.group(1) for b in batches(script) if (m := _CREATE_VIEW.match(b.strip()))]
    if len(found) != 1:
        raise ScriptFailed("a landing view script holds one CREATE VIEW … AS SELECT")
    return found[0]


def _rowset_files(ctx: RunContext, con: Any, rowset: Any) -> tuple[str, frozenset[str]]:
    """The local Parquet files an OPENROWSET reads: ``BULK '<folder>/**'`` under the zone its
    ``DATA_SOURCE`` (``eds_<zone>``) names, and the columns they hold."""
    zone = rowset.option("DATA_SOURCE").removeprefix("eds_")
    folder = rowset.bulk.removesuffix("**").rstrip("/")
    if zone not in ctx.catalog.platform.zones or any(c in folder for c in "*?["):
        raise ScriptFailed(f"OPENROWSET(BULK '{rowset.bulk}', DATA_SOURCE = '{rowset.option('DATA_SOURCE')}'): "
                           "only a zone's data source and a folder read with /** are read locally")
    glob = ctx.files.parquet_glob(ctx.filesystem(zone), folder)
    if glob is None:
        raise ScriptFailed(f"OPENROWSET(BULK '{rowset.bulk}'): no Parquet files under {zone}/{folder}/ yet")
    present = frozenset(row[0].lower() for row in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{glob}', union_by_name = true)").fetchall())
    return glob, present


def _generated_view(ctx: RunContext, con: Any, view: str) -> str:
    """The generated landing view's own SELECT (what Synapse runs), translated to DuckDB by the
    preparations' translator, its OPENROWSET reading the lake's local Parquet files."""
    from lakewharf.local.tsql_translate import to_duckdb

    path = ctx.build / view
    if not path.is_file():
        raise ScriptFailed(f"{view} is not in {ctx.build}: run wharf generate first")
    # The serverless database's collation is Latin1_General_100_BIN2_UTF8: case-sensitive, UTF-8.
    return to_duckdb(generated_view_select(path.read_text(encoding="utf-8")), case_insensitive=False,
                     translations=ctx.warehouse.translations, rowsets=lambda rowset: _rowset_files(ctx, con, rowset))


_THREAD = threading.local()


def _serverless_engine(ctx: RunContext) -> Any:
    """This thread's in-memory DuckDB for the serverless pool of this run, made once: opening a
    DuckDB costs 40-80 ms, a preparation runs two statements, and nothing but the views a
    statement (re)creates for the tables it names is kept between statements."""
    from lakewharf.local.duck import connect

    owner = getattr(_THREAD, "owner", None)
    if owner is not ctx.files:
        if owner is not None:
            _THREAD.con.close()
        _THREAD.con, _THREAD.owner = connect(ctx.settings.state), ctx.files
        _THREAD.con.execute("SET default_null_order = 'nulls_first_on_asc_last_on_desc'")  # T-SQL: NULL is smallest
    return _THREAD.con


def _serverless_connection(ctx: RunContext, select: str) -> Any:
    con = _serverless_engine(ctx)
    external = _external_tables(ctx)
    for schema, table in re.findall(r"\b(\w+)\.(\w+)\b", select.replace('"', "")):
        key = f"{schema}.{table}".lower()
        if key in external:
            filesystem, folder, declared, view = external[key]
            glob = ctx.files.parquet_glob(filesystem, folder)
            if glob is None:
                raise ScriptFailed(
                    f"{schema}.{table} has no data yet ({filesystem}/{folder}/ is empty): "
                    "run the pipeline that produces it first"
                )
            body = _view_sql(con, glob, declared) if view is None else _generated_view(ctx, con, view)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(f"CREATE OR REPLACE VIEW {schema}.{table} AS {body}")
    return con


def run_serverless(ctx: RunContext, scripts: list[str], params: dict[str, Any]) -> tuple[dict[str, Any], Measured]:
    from lakewharf.local.tsql_translate import to_duckdb

    measured = Measured(rows_written=0, rows_rejected=0)
    result_sets = []
    for script in scripts:
        if re.match(r"SELECT\b", strip_comments(script).strip(), re.I):  # a query: a dataset's audit
            result_sets.append(_serverless_query(ctx, script))
            continue
        cetas = serverless_statement(script)
        if cetas is None:
            continue
        table, options, select = cetas
        location = re.search(r"LOCATION\s*=\s*'([^']+)'", options, re.I)
        source = re.search(r"DATA_SOURCE\s*=\s*\[?(\w+)\]?", options, re.I)
        zone = (source.group(1) if source else "").removeprefix("eds_")
        if location is None or zone not in ctx.catalog.platform.zones:
            raise ScriptFailed(f"cannot place {table} in the lake (LOCATION / DATA_SOURCE)")
        # The serverless database's collation is Latin1_General_100_BIN2_UTF8: case-sensitive.
        sql = to_duckdb(select, schema=_serverless_schema(ctx, select), case_insensitive=False,
                        translations=ctx.warehouse.translations)
        con = _serverless_connection(ctx, sql)
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        out = ctx.files.scratch() / "part-00000.parquet"
        # streamed to Parquet by DuckDB, as CETAS streams to the lake
        rows = con.execute(f"COPY ({sql}) TO '{out}' (FORMAT PARQUET, COMPRESSION SNAPPY)", used or None).fetchone()[0]
        folder = location.group(1).strip("/")
        ctx.lake.delete_prefix(ctx.filesystem(zone), folder + "/")
        ctx.lake.put_file(ctx.filesystem(zone), f"{folder}/part-00000.parquet", out)
        if "__rejects_" in table:
            measured.rows_rejected = (measured.rows_rejected or 0) + rows
        else:
            measured.rows_written = (measured.rows_written or 0) + rows
    if result_sets:  # the Script activity's output for queries (Microsoft Learn, "Script activity")
        return {"resultSetCount": len(result_sets), "resultSets": result_sets}, measured
    return {"recordsAffected": measured.rows_written}, measured


def _serverless_query(ctx: RunContext, script: str) -> dict[str, Any]:
    """One SELECT on the local serverless pool, as a Script activity's result set: its rows as
    objects, values as JSON has them."""
    from lakewharf.local.tsql_translate import to_duckdb

    select = strip_comments(script).strip().rstrip(";")
    sql = to_duckdb(select, schema=_serverless_schema(ctx, select), case_insensitive=False,
                    translations=ctx.warehouse.translations)
    cursor = _serverless_connection(ctx, sql).execute(sql)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, (v if v is None or isinstance(v, int | float | str) else str(v) for v in row),
                     strict=True)) for row in cursor.fetchall()]
    return {"rowCount": len(rows), "rows": rows}


class LakeCopy:
    """COPY INTO for the local warehouse: the URL's path names the lake filesystem and folder.
    The DuckDB interpreter may leave the copy pending (``tsql_staging``): it then asks where the
    files are and says how many rows it checked, which count as read, as a loaded copy's do."""

    def __init__(self, ctx: RunContext, counter: Measured) -> None:
        self.ctx, self.counter = ctx, counter

    def locate(self, c: CopyInto) -> str:
        path = re.sub(r"^[a-z]+://[^/]+/", "", c.location).strip("/")
        filesystem, _, folder = path.partition("/")
        glob = self.ctx.files.parquet_glob(filesystem, folder)
        if glob is None:
            raise ScriptFailed(f"COPY INTO {c.table}: no Parquet files under {filesystem}/{folder}/")
        return glob

    def counted(self, c: CopyInto, rows: int) -> None:
        self.counter.rows_read = (self.counter.rows_read or 0) + rows

    def __call__(self, c: CopyInto) -> int:
        copied = self.ctx.warehouse.load_parquet(c.table, c.columns, self.locate(c))
        self.counted(c, copied)
        return copied


def run_warehouse(ctx: RunContext, scripts: list[str], counter: Measured,
                  params: dict[str, Any] | None = None) -> dict[str, Any]:
    named = _named_tables(ctx, scripts)
    before = ctx.warehouse.tables(named)
    for script in scripts:
        ctx.warehouse.execute(script, params)
    after = ctx.warehouse.tables(named)
    changed = {t: after[t] - before.get(t, 0) for t in after if not t.startswith(("stg.", "etl."))}
    counter.rows_written = sum(v for v in changed.values() if v > 0)
    return {"recordsAffected": counter.rows_written}


_EXEC = re.compile(r"\bEXEC(?:UTE)?\s+([\[\]\w.]+)", re.I)
_QUALIFIED = re.compile(r"\[?(\w+)\]?\s*\.\s*\[?(\w+)\]?")


def _named_tables(ctx: RunContext, scripts: list[str]) -> set[str] | None:
    """The tables (``schema.table``, lower case) the scripts and the procedures they execute
    name, the only ones they can change; None (count every table) when a procedure's text is not
    in build/. Counting only these keeps a load's row count its own while other items run, and a
    load from reading every table of the warehouse twice."""
    texts, called = [strip_comments(s) for s in scripts], set()
    for text in texts:  # grows while procedures calling procedures are found
        for name in (unbracket(n).lower() for n in _EXEC.findall(text)):
            if name in called:
                continue
            path = ctx.build / "synapse" / "warehouse" / "procedures" / f"{name}.sql"
            if not path.is_file():
                return None
            called.add(name)
            texts.append(strip_comments(path.read_text(encoding="utf-8")))
    return {f"{a}.{b}".lower() for text in texts for a, b in _QUALIFIED.findall(text)}


def run_lookup(ctx: RunContext, props: dict[str, Any], dataset: dict[str, Any]) -> tuple[dict[str, Any], Measured]:
    import duckdb

    from lakewharf.local.source_systems import query_dialect, source_query

    source = props["source"]
    query = source.get("sqlReaderQuery") or source.get("query")
    if source["type"] == "JsonSource":  # an orchestrator's control file: its items
        found = ctx.adf.dataset(dataset)
        path = f"{(found.folder or '').strip('/')}/{found.file}"
        records = json.loads(ctx.lake.read(found.filesystem or "", path))
        return {"count": len(records), "value": records}, Measured(rows_read=len(records))
    if source["type"] == "SqlDWSource":
        columns, rows = ctx.warehouse.query(query)
    else:
        entity = ctx.item_entity()
        if entity is None:
            raise ScriptFailed(f"lookup for an unknown source entity {ctx.target!r}")
        system = ctx.catalog.sources[entity.source]
        db = ctx.sources.database(system.name)
        with duckdb.connect() as con:
            db.expose(con, entity, system)
            cursor = con.execute(db.query(con, source_query(system, source) or "", query_dialect(system)))
            columns, rows = [d[0] for d in cursor.description], cursor.fetchall()
    records = [
        dict(
            zip(
                columns,
                (str(v) if v is not None and not isinstance(v, int | float | str) else v for v in row),
                strict=True,
            )
        )
        for row in rows
    ]
    if props.get("firstRowOnly", True):
        return {"firstRow": records[0] if records else {}}, Measured(rows_read=len(records))
    return {"count": len(records), "value": records}, Measured(rows_read=len(records))
