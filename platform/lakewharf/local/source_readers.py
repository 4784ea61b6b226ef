"""Reading a source system locally: a database the Copy and Lookup activities query, or a file drop.

Each reader puts the entity's table, typed by the catalog's column contract, into the DuckDB
connection the activity runs in, under the table name the generated query uses (``dbo.customers``),
so the generated query itself — translated to DuckDB — selects the rows, with the watermark
semantics of a typed engine:

- a DuckDB file (lakewharf's own seed, or the user's) is attached read-only;
- a SQLite file is opened read-only (``mode=ro``); SQLite has no schemas, so ``dbo.customers``
  is found as ``customers``; its values are dynamically typed, so each one is converted to the
  catalog type and a row that does not convert is rejected, as a typed source would never hold it;
- PostgreSQL and SQL Server run the generated query natively, through SQLAlchemy and the user's
  driver.

A file drop lists its files with their modified times, so the copy window
(``modifiedDatetimeStart``/``End``) selects what Data Factory would.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lakewharf.local.bindings import BindingError, database_path, engine_of, expand_env, redact
from lakewharf.local.row_checks import converted
from lakewharf.model.catalog import Entity, Source
from lakewharf.model.lake import any_day_path
from lakewharf.sources.base import DatabaseKind
from lakewharf.sources.registry import database_kind, kind_of


def database_kind_of(source: Source) -> DatabaseKind:
    kind = database_kind(source.kind)
    assert kind is not None, f"{source.name} is not a database source"
    return kind


def qualified_table(entity: Entity, source: Source) -> tuple[str, str]:
    """(schema, table) of a database entity, with the engine's default schema when omitted."""
    assert entity.table is not None
    if "." in entity.table:
        schema, _, table = entity.table.partition(".")
        return schema, table
    return database_kind_of(source).default_schema, entity.table


class SourceDatabase(Protocol):
    where: str  # for messages: the URL (password hidden) or the file
    stores_raw: bool  # exposed views carry each value as stored (raw_column), beside the typed one

    def tables(self) -> dict[str, list[str]]: ...  # "schema.table" (lower case) → column names
    def expose(self, con: Any, entity: Entity, source: Source) -> None: ...
    def query(self, con: Any, query: str, dialect: str, *, every_column: bool = False) -> str: ...
    def null_watermarks(self, con: Any, entity: Entity, source: Source) -> int: ...


def raw_column(name: str) -> str:
    """Where an exposed view keeps a value as stored, beside its typed column."""
    return f"__raw_{name}"


def _view(con: Any, entity: Entity, source: Source, stored: str) -> None:
    """``schema.table`` as the generated query names it: each column typed by the catalog (what
    the query's watermark filter compares) and as stored (what a reject reason quotes)."""
    schema, table = qualified_table(entity, source)
    columns = ", ".join(f'{converted(c, f"s.{chr(34)}{c.name}{chr(34)}")} AS "{c.name}", '
                        f's."{c.name}" AS "{raw_column(c.name)}"' for c in entity.columns)
    con.execute(f'CREATE SCHEMA IF NOT EXISTS memory."{schema}"')
    con.execute(f'CREATE OR REPLACE VIEW memory."{schema}"."{table}" AS SELECT {columns} FROM {stored} AS s')


def _translated(query: str, dialect: str, every_column: bool) -> str:
    """The generated query for DuckDB; with ``every_column`` its select list becomes ``*`` so the
    stored values travel with the typed ones (the filter and the source stay the generated ones)."""
    import sqlglot
    from sqlglot import exp

    from lakewharf.local.tsql_translate import source_query_to_duckdb

    sql = source_query_to_duckdb(query, dialect)
    if not every_column:
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert isinstance(tree, exp.Select)
    return tree.select(exp.Star(), append=False).sql("duckdb")


def _find(tables: dict[str, list[str]], schema: str, table: str) -> str | None:
    """The stored table for ``schema.table``: exact, else the one table of that name in any schema."""
    exact = f"{schema}.{table}".lower()
    if exact in tables:
        return exact
    named = [t for t in tables if t.rsplit(".", 1)[-1] == table.lower()]
    return named[0] if len(named) == 1 else None


def _missing(db: SourceDatabase, entity: Entity, source: Source) -> str | None:
    """Why the entity cannot be read from ``db`` (no table, a declared column absent), or None.
    Data Factory's copy would fail on either; locally it is said before anything runs."""
    schema, table = qualified_table(entity, source)
    tables = db.tables()
    found = _find(tables, schema, table)
    if found is None:
        have = ", ".join(sorted(tables)[:12]) or "no tables at all"
        return (f"source {source.name}, entity {entity.name}: no table {schema}.{table} in {db.where} "
                f"(it holds {have})")
    present = {c.lower() for c in tables[found]}
    absent = [c.name for c in entity.columns if c.name.lower() not in present]
    if absent:
        return (f"source {source.name}, entity {entity.name}: table {found} in {db.where} has no column "
                f"{', '.join(absent)} that the catalog declares (add it to the table, or remove it from "
                f"catalog/sources/{source.name}.yaml)")
    return None


def _null_watermarks(con: Any, entity: Entity, source: Source) -> int:
    schema, table = qualified_table(entity, source)
    return int(con.execute(f'SELECT COUNT(*) FROM memory."{schema}"."{table}" '
                           f'WHERE "{raw_column(entity.watermark or "")}" IS NULL').fetchone()[0])


class DuckDBFile:
    stores_raw = True  # exposed views carry each value as stored

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"the DuckDB file {path}"

    def _attach(self, con: Any) -> None:
        if "src" not in {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}:
            con.execute(f"ATTACH '{self.path}' AS src (READ_ONLY)")

    def tables(self) -> dict[str, list[str]]:
        import duckdb

        with duckdb.connect(str(self.path), read_only=True) as con:
            rows = con.execute("SELECT schema_name, table_name, column_name FROM duckdb_columns()").fetchall()
        out: dict[str, list[str]] = {}
        for schema, table, column in rows:
            out.setdefault(f"{schema}.{table}".lower(), []).append(column)
        return out

    def expose(self, con: Any, entity: Entity, source: Source) -> None:
        schema, table = qualified_table(entity, source)
        found = _find(self.tables(), schema, table)
        if found is None:
            raise BindingError(_missing(self, entity, source) or f"no table {schema}.{table}")
        self._attach(con)
        stored_schema, stored_table = found.split(".", 1)
        _view(con, entity, source, f'src."{stored_schema}"."{stored_table}"')

    def query(self, con: Any, query: str, dialect: str, *, every_column: bool = False) -> str:
        return _translated(query, dialect, every_column)

    def null_watermarks(self, con: Any, entity: Entity, source: Source) -> int:
        return _null_watermarks(con, entity, source)


class SQLiteFile:
    stores_raw = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"the SQLite file {path}"

    def _connect(self) -> Any:
        import sqlite3

        # mode=ro: SQLite opens the file for reading only and never creates a journal beside it.
        return sqlite3.connect(f"file:{self.path.as_posix()}?mode=ro", uri=True)

    def tables(self) -> dict[str, list[str]]:
        con = self._connect()
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
            return {f"main.{n}".lower(): [r[1] for r in con.execute(f'PRAGMA table_info("{n}")')] for n in names}
        finally:
            con.close()

    def expose(self, con: Any, entity: Entity, source: Source) -> None:
        import pyarrow as pa

        schema, table = qualified_table(entity, source)
        found = _find(self.tables(), schema, table)
        if found is None:
            raise BindingError(_missing(self, entity, source) or f"no table {table}")
        stored = found.split(".", 1)[1]
        lite = self._connect()
        try:
            actual = {r[1].lower(): r[1] for r in lite.execute(f'PRAGMA table_info("{stored}")')}
            names = [actual[c.name.lower()] for c in entity.columns]
            rows = lite.execute(f"SELECT {', '.join(chr(34) + n + chr(34) for n in names)} FROM \"{stored}\"")
            values = list(zip(*rows.fetchall(), strict=False)) or [() for _ in names]
        finally:
            lite.close()
        arrays = {}
        for c, column in zip(entity.columns, values, strict=True):
            binary = c.type.base == "binary"
            arrays[c.name] = pa.array(
                [None if v is None else (v if binary and isinstance(v, bytes) else _text(v)) for v in column],
                type=pa.binary() if binary else pa.string(),
            )
        raw_name = f"_raw_{schema}_{table}"
        con.register(raw_name, pa.table(arrays))
        _view(con, entity, source, raw_name)

    def query(self, con: Any, query: str, dialect: str, *, every_column: bool = False) -> str:
        return _translated(query, dialect, every_column)

    def null_watermarks(self, con: Any, entity: Entity, source: Source) -> int:
        return _null_watermarks(con, entity, source)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 2**53 else repr(value)
    return str(value)


class ServerDatabase:
    """PostgreSQL or SQL Server through SQLAlchemy: the generated query runs on the real engine."""

    stores_raw = False  # the server's driver hands typed values

    def __init__(self, source: str, url: str) -> None:
        self.source, self.url = source, url
        self.where = f"the database {redact(url)}"
        self._engine: Any = None

    def _connect(self) -> Any:
        if self._engine is None:
            import sqlalchemy

            try:
                self._engine = sqlalchemy.create_engine(expand_env(self.url, self.source))
            except ModuleNotFoundError as exc:
                raise BindingError(
                    f"source {self.source}: the driver for {redact(self.url)} is not installed ({exc.name})",
                    "pip install 'psycopg[binary]' for PostgreSQL, pyodbc and an ODBC driver for SQL Server",
                ) from None
        try:
            return self._engine.connect()
        except Exception as exc:  # the driver's own error: unreachable host, login failed…
            raise BindingError(f"source {self.source}: cannot connect to {redact(self.url)}: "
                               f"{str(exc).splitlines()[0][:300]}") from None

    def tables(self) -> dict[str, list[str]]:
        import sqlalchemy

        with self._connect() as con:
            inspector = sqlalchemy.inspect(con)
            out: dict[str, list[str]] = {}
            for schema in inspector.get_schema_names():
                for table in inspector.get_table_names(schema=schema):
                    out[f"{schema}.{table}".lower()] = [c["name"] for c in inspector.get_columns(table, schema)]
            return out

    def expose(self, con: Any, entity: Entity, source: Source) -> None:
        return None  # the query runs on the server itself

    def null_watermarks(self, con: Any, entity: Entity, source: Source) -> int:
        import sqlalchemy

        schema, table = qualified_table(entity, source)
        ident = database_kind_of(source).dialect.ident
        with self._connect() as server:
            sql = (f"SELECT COUNT(*) FROM {ident(schema)}.{ident(table)} "
                   f"WHERE {ident(entity.watermark or '')} IS NULL")
            return int(server.execute(sqlalchemy.text(sql)).scalar() or 0)

    def query(self, con: Any, query: str, dialect: str, *, every_column: bool = False) -> str:
        import pyarrow as pa

        with self._connect() as server:
            result = server.exec_driver_sql(query)
            names = list(result.keys())
            rows = result.fetchall()
        table = pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})
        con.register("_server_rows", table)
        return "SELECT * FROM _server_rows"


def open_database(root: Path, source: str, url: str) -> SourceDatabase:
    engine = engine_of(url)
    if engine == "sqlite":
        return SQLiteFile(database_path(root, url))
    if engine == "duckdb":
        return DuckDBFile(database_path(root, url))
    return ServerDatabase(source, url)


def check_database(db: SourceDatabase, source: Source) -> list[str]:
    """Every entity's table and declared columns, before a run changes anything."""
    return [m for e in source.entities.values() if (m := _missing(db, e, source))]


@dataclass(frozen=True)
class DropFile:
    name: str  # relative to the drop, with /
    path: str  # where DuckDB reads it
    modified: dt.datetime | None  # UTC; None where the backend does not say


class FileDrop(Protocol):
    where: str

    def files(self) -> list[DropFile]: ...


class FolderDrop:
    """A user's folder, read in place: nothing is ever written into it or deleted from it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = f"the folder {folder}"

    def files(self) -> list[DropFile]:
        out = []
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and not any(p.startswith(".") for p in path.relative_to(self.folder).parts):
                modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
                out.append(DropFile(path.relative_to(self.folder).as_posix(), str(path), modified))
        return out


def glob_of(entity: Entity) -> tuple[str, str]:
    """(folder pattern, file pattern) of an entity path; date placeholders match any folder."""
    assert entity.path is not None
    folder, file = posixpath.split(entity.path)
    return any_day_path(folder), file


def matching(files: list[DropFile], folder: str, pattern: str) -> list[DropFile]:
    """Data Factory's wildcardFolderPath / wildcardFileName match, with ``recursive`` off below the folder."""
    return [f for f in files
            if fnmatch.fnmatchcase(posixpath.dirname(f.name), folder) and fnmatch.fnmatchcase(
                posixpath.basename(f.name), pattern)]


def in_window(f: DropFile, store: dict[str, Any]) -> bool:
    """Data Factory selects a file when modifiedDatetimeStart <= last modified < modifiedDatetimeEnd
    (https://learn.microsoft.com/azure/data-factory/connector-azure-blob-storage#copy-activity-properties),
    in the Copy and in Get Metadata alike. A drop whose backend gives no modified time (Azurite's
    container, read through a local copy) is lakewharf's own: its files are as new as the seed."""
    if f.modified is None:
        return True
    start, end = _utc(store.get("modifiedDatetimeStart")), _utc(store.get("modifiedDatetimeEnd"))
    return (start is None or f.modified >= start) and (end is None or f.modified < end)


def _utc(value: Any) -> dt.datetime | None:
    """An ISO 8601 time of a pipeline expression as naive UTC (how drop files' times are held)."""
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)


def check_drop(drop: FileDrop, source: Source) -> list[str]:
    files = drop.files()
    problems = []
    for entity in source.entities.values():
        folder, pattern = kind_of(source).local_glob(entity, source) or glob_of(entity)
        if not matching(files, folder, pattern):
            problems.append(f"source {source.name}, entity {entity.name}: no file in {drop.where} matches "
                            f"{entity.path} (looked for {posixpath.join(folder, pattern)})")
    return problems
