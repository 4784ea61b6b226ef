"""What the local warehouse's catalog holds, as one interpreter session sees it (``tsql_local``)."""

from __future__ import annotations

import threading
from typing import Any

from lakewharf.local.tsql_types import WAREHOUSE_COLUMNS

# (schema, table) lower-case → (its CREATE statement, its CHECK expressions, how many other
# constraints), and every view's SQL (lower-case)
Tables = dict[tuple[str, str], tuple[str, tuple[str, ...], int]]
Definitions = tuple[Tables, tuple[str, ...]]


class SessionCatalog:
    """What the warehouse's catalog holds, as this interpreter's session sees it, read once per
    change: DuckDB's catalog functions cost ~20 ms each at 200 tables, and a load ran a dozen of
    them (the types of every statement, each existence check). A change made here (any CREATE,
    DROP or ALTER, a rollback) drops this session's copy; a change to a permanent object drops
    every session's (temporary tables are the session's own)."""

    _generation = 0  # bumped by every change to a permanent object, in any session
    _lock = threading.Lock()

    def __init__(self, con: Any) -> None:
        self.con = con
        self._seen = -1
        self._tables: list[tuple[str, str, bool]] | None = None
        self._columns: list[tuple[str, str, str, str]] | None = None
        # the warehouse's table definitions, shared with its other sessions (``for_item``)
        self.shared: list[Any] = [-1, ({}, ())]

    def changed(self, *, everywhere: bool) -> None:
        self._tables = self._columns = None
        if everywhere:
            with SessionCatalog._lock:
                SessionCatalog._generation += 1

    def _current(self) -> None:
        if self._seen != SessionCatalog._generation:
            self._seen, self._tables, self._columns = SessionCatalog._generation, None, None

    def tables(self) -> list[tuple[str, str, bool]]:
        """(schema, table, temporary) as spelled; the warehouse compares names without case."""
        self._current()
        if self._tables is None:
            self._tables = self.con.execute("SELECT schema_name, table_name, temporary FROM duckdb_tables() "
                                            "WHERE NOT internal ORDER BY 1, 2").fetchall()
        return self._tables

    def columns(self) -> list[tuple[str, str, str, str]]:
        self._current()
        if self._columns is None:
            self._columns = self.con.execute(WAREHOUSE_COLUMNS).fetchall()
        return self._columns

    def definitions(self) -> Definitions:
        """Each permanent table's definition (``tsql_staging`` reads it at every COPY INTO): read
        once for every session until a permanent object changes, as the catalog functions cost
        the same whatever they are asked for."""
        seen, known = self.shared
        generation = SessionCatalog._generation
        if seen == generation:
            return known
        found: Tables = {}
        checks: dict[tuple[str, str], list[str]] = {}
        others: dict[tuple[str, str], int] = {}
        for schema, table, kind, expression in self.con.execute(
                "SELECT lower(schema_name), lower(table_name), constraint_type, expression "
                "FROM duckdb_constraints()").fetchall():
            if kind == "CHECK":
                checks.setdefault((schema, table), []).append(expression)
            else:
                others[(schema, table)] = others.get((schema, table), 0) + 1
        for schema, table, sql in self.con.execute(
                "SELECT lower(schema_name), lower(table_name), sql FROM duckdb_tables() "
                "WHERE NOT internal AND NOT temporary").fetchall():
            key = (schema, table)
            found[key] = (sql, tuple(checks.get(key, ())), others.get(key, 0))
        views = tuple(sql.lower() for (sql,) in self.con.execute(
            "SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall())
        self.shared[:] = [generation, (found, views)]
        return found, views
