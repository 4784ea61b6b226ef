"""The warehouse, locally: DuckDB by default, SQL Server when ``WHARF_SQLSERVER`` is set.

Generated SQL is Synapse T-SQL. SQL Server runs most of it as written; DuckDB gets it translated
by sqlglot, after the Synapse-only clauses that have no local meaning are removed (see
``tsql_local``). Every translation is recorded so the run report can say what was rewritten and
what could not be verified locally (dynamic data masking, grants, distribution).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lakewharf.errors import WharfError

if TYPE_CHECKING:
    from lakewharf.local.tsql_text import CopyInto


class WarehouseError(WharfError, RuntimeError):
    """A user-facing warehouse problem (bad SQL, unreachable server)."""


@dataclass
class Translations:
    """What local execution changed or skipped, for the run report."""

    rewritten: dict[str, int] = field(default_factory=dict)  # what → how many statements
    skipped: dict[str, int] = field(default_factory=dict)

    def note(self, kind: str, what: str, count: int = 1) -> None:
        bucket = self.rewritten if kind == "rewritten" else self.skipped
        bucket[what] = bucket.get(what, 0) + count

    def add(self, other: Translations) -> None:
        for what, count in other.rewritten.items():
            self.note("rewritten", what, count)
        for what, count in other.skipped.items():
            self.note("skipped", what, count)


class Warehouse(Protocol):
    name: str
    translations: Translations

    copy_into: Callable[[CopyInto], int] | None  # runs each COPY INTO of the scripts

    def execute(self, tsql: str, params: dict[str, Any] | None = None) -> None: ...
    def load_parquet(self, table: str, columns: list[tuple[str, int]], glob: str) -> int: ...
    def query(self, tsql: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...
    def tables(self, only: Collection[str] | None = None) -> dict[str, int]: ...
    def close(self) -> None: ...


def parquet_files(glob: str) -> str:
    """The Parquet files of a COPY INTO's location, as DuckDB reads them (``FROM`` it)."""
    return f"read_parquet('{glob}', union_by_name = true)"


def parquet_fields(con: Any, columns: list[tuple[str, int]], glob: str) -> list[tuple[str, str, str]]:
    """(column, the Parquet field at its position as a DuckDB expression, that expression's type),
    as COPY INTO maps them. Timestamps adjusted to UTC land in DATETIME2 as UTC wall time, as COPY
    INTO stores them."""
    described = con.execute(f"DESCRIBE SELECT * FROM {parquet_files(glob)}").fetchall()

    def field(column: str, position: int) -> tuple[str, str, str]:
        name, kind = described[position - 1][0], described[position - 1][1]
        if "TIME ZONE" in kind:
            return column, f"timezone('UTC', {identifier(name)})", "TIMESTAMP"
        return column, identifier(name), kind

    return [field(column, position) for column, position in columns]


def parquet_select(con: Any, columns: list[tuple[str, int]], glob: str) -> str:
    """SELECT of the Parquet fields at the given positions, as COPY INTO maps them."""
    picked = ", ".join(expression for _, expression, _ in parquet_fields(con, columns, glob))
    return f"SELECT {picked} FROM {parquet_files(glob)}"


def identifier(name: str) -> str:
    """A name quoted for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def table_name(table: str) -> str:
    """``schema.table`` quoted for DuckDB."""
    return ".".join(identifier(part) for part in table.split("."))


def read_only_select(tsql: str) -> None:
    """Refuse anything but one SELECT (``wharf query`` is for reading)."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(tsql, read="tsql") if s is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:  # TokenError: an unclosed quote
        raise WarehouseError(f"cannot parse the query: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        got = f"a {statements[0].key.upper()} statement" if len(statements) == 1 else f"{len(statements)} statements"
        raise WarehouseError(f"give exactly one read-only SELECT (got {got})")


class DuckDBWarehouse:
    name = "duckdb"

    def __init__(
        self, path: Path, *, read_only: bool = False, copy_into: Callable[[CopyInto], int] | None = None
    ) -> None:
        import duckdb

        from lakewharf.local.tsql_local import TsqlInterpreter

        if read_only and not path.exists():
            raise WarehouseError(f"no local warehouse at {path}: run `wharf run` first")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open the local warehouse {path}: {exc}") from None
        if not read_only:
            from lakewharf.local.duck import configure

            configure(self.con, path.parent)
        # The warehouse's collation (SQL_Latin1_General_CP1_CI_AS by default) compares text without
        # case, and T-SQL sorts NULL as the smallest value; columns declared with a collation of
        # their own keep it (see tsql_duckdb._collate).
        self.con.execute("SET default_collation = 'nocase'")
        self.con.execute("SET default_null_order = 'nulls_first_on_asc_last_on_desc'")
        self.translations = Translations()
        self.interpreter = TsqlInterpreter(self.con, self.translations, copy_into)

    def for_item(self) -> DuckDBWarehouse:
        """A view of this warehouse for an item run on another thread: its own cursor (its own
        transactions and temporary tables, as a Synapse session has), its own translation counts
        (the caller merges them) and COPY INTO handler, the procedures already defined."""
        from lakewharf.local.tsql_local import TsqlInterpreter

        view = object.__new__(DuckDBWarehouse)
        view.con = self.con.cursor()
        view.translations = Translations()
        view.interpreter = TsqlInterpreter(view.con, view.translations, None)
        view.interpreter.procedures = self.interpreter.procedures
        view.interpreter.catalog.shared = self.interpreter.catalog.shared
        return view

    @property
    def copy_into(self) -> Callable[[CopyInto], int] | None:
        return self.interpreter.copy_into

    @copy_into.setter
    def copy_into(self, handler: Callable[[CopyInto], int] | None) -> None:
        self.interpreter.copy_into = handler

    def execute(self, tsql: str, params: dict[str, Any] | None = None) -> None:
        self.interpreter.run_script(tsql, params)

    def load_parquet(self, table: str, columns: list[tuple[str, int]], glob: str) -> int:
        import duckdb

        from lakewharf.local.tsql_duckdb import friendly_error

        names = ", ".join(identifier(name) for name, _ in columns)
        try:
            select = parquet_select(self.con, columns, glob)
            inserted = self.con.execute(f"INSERT INTO {table_name(table)} ({names}) {select}")
        except duckdb.Error as exc:  # a text longer than its column, a value of another type, as Synapse refuses them
            raise WarehouseError(f"COPY INTO {table}: {friendly_error(str(exc).splitlines()[0])}") from None
        return int(inserted.fetchone()[0])

    def query(self, tsql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        from lakewharf.local.tsql_translate import to_duckdb
        from lakewharf.local.tsql_types import warehouse_schema

        try:
            sql = to_duckdb(tsql, schema=warehouse_schema(self.con, tsql), translations=self.translations)
            cursor = self.con.execute(sql)
        except duckdb.Error as exc:
            raise WarehouseError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        return [d[0] for d in cursor.description or []], cursor.fetchall()

    def tables(self, only: Collection[str] | None = None) -> dict[str, int]:
        """Rows per table (``schema.table``); with ``only``, just the tables named there (lower case)."""
        rows = [(s, t) for s, t, temporary in self.interpreter.catalog.tables()
                if not temporary and (only is None or f"{s}.{t}".lower() in only)]
        return {f"{s}.{t}": self.con.execute(f'SELECT COUNT(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in rows}

    def close(self) -> None:
        try:
            self.interpreter.end_session()
        finally:
            self.con.close()


class SqlServerWarehouse:
    """A real SQL Server (e.g. the docker-compose one) through pyodbc; T-SQL runs natively."""

    name = "sqlserver"

    def __init__(self, connection_string: str, copy_into: Callable[[CopyInto], int] | None = None) -> None:
        self.copy_into = copy_into
        try:
            import pyodbc
        except ImportError as exc:  # the ODBC driver manager (unixODBC) is missing
            raise WarehouseError(f"pyodbc cannot load: {exc}; install unixODBC and the Microsoft ODBC driver") from None
        try:
            self.con = pyodbc.connect(connection_string, autocommit=True, timeout=10)
        except pyodbc.Error as exc:
            raise WarehouseError(f"cannot connect to SQL Server (WHARF_SQLSERVER): {exc.args[-1]}") from None
        self.translations = Translations()

    def execute(self, tsql: str, params: dict[str, Any] | None = None) -> None:
        from lakewharf.local.tsql_translate import for_sqlserver

        cursor = self.con.cursor()
        for batch in for_sqlserver(tsql, self.translations, self.copy_into):
            names = [k for k in (params or {}) if f"@{k}" in batch]
            declared = "".join(f"DECLARE @{k} NVARCHAR(4000) = ?;\n" for k in names)
            cursor.execute(declared + batch, *[(params or {})[k] for k in names])

    def load_parquet(self, table: str, columns: list[tuple[str, int]], glob: str) -> int:
        """SQL Server has no COPY INTO: DuckDB reads the Parquet, pyodbc inserts in batches."""
        import duckdb

        reader = duckdb.connect()
        rows = reader.execute(parquet_select(reader, columns, glob))
        cursor = self.con.cursor()
        cursor.fast_executemany = True
        statement = (
            f"INSERT INTO {table} ({', '.join(f'[{n}]' for n, _ in columns)}) VALUES ({', '.join('?' * len(columns))})"
        )
        total = 0
        while batch := rows.fetchmany(10_000):
            cursor.executemany(statement, batch)
            total += len(batch)
        reader.close()
        return total

    def query(self, tsql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.con.cursor()
        cursor.execute(tsql)
        return [d[0] for d in cursor.description or []], [tuple(r) for r in cursor.fetchall()]

    def tables(self, only: Collection[str] | None = None) -> dict[str, int]:
        _, rows = self.query(
            "SELECT s.name, t.name FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id ORDER BY 1, 2"
        )
        rows = [(s, t) for s, t in rows if only is None or f"{s}.{t}".lower() in only]
        return {f"{s}.{t}": self.query(f"SELECT COUNT(*) FROM [{s}].[{t}]")[1][0][0] for s, t in rows}

    def close(self) -> None:
        self.con.close()


def open_warehouse(
    settings: Any, *, read_only: bool = False, copy_into: Callable[[CopyInto], int] | None = None
) -> Warehouse:
    if settings.sqlserver:
        return SqlServerWarehouse(settings.sqlserver, copy_into)
    return DuckDBWarehouse(settings.warehouse_file, read_only=read_only, copy_into=copy_into)
