"""COPY INTO a staging table, locally read through by the statements that read it.

A generated load copies the lake's Parquet into an empty staging table with ``COPY INTO``, and its
procedure stamps the run id on every row, reads the rows into the target (and the load log), and
empties staging. On DuckDB writing staging is the slowest step of a load (a table written and
compressed only to be read once and emptied: 4.7 of lineitem's 9.5 s at TPC-H SF 1), so here the
COPY is *pending* instead:

- At the COPY statement its rows are checked as COPY INTO checks them, and counted: each value
  cast to its column's type, each column's CHECK (the lengths). A copy that would fail is made for
  real, so it fails with COPY's own error, at the COPY, as in Synapse.
- Statements that only read staging read the Parquet files through the same casts instead.
- ``UPDATE staging SET c = @value WHERE c IS NULL`` on a column the COPY did not fill (the run id
  stamp) becomes a constant of that column.
- An emptying ``TRUNCATE`` ends the copy, whose rows are then never written.
- Anything else that touches staging first puts the rows in (``materialize``), and so does the end
  of the script. Staging then holds exactly what Synapse's would; so it does inside a transaction
  (a ROLLBACK must find the rows that were there).

Only an empty table with no constraint but CHECKs and collations, outside a transaction, is read
through; any other COPY is made as written. What differs from Synapse: while a copy is pending,
other sessions see staging empty, and a run killed then leaves it empty where Synapse's would
hold the rows (every load script empties staging before its COPY, so no load's result differs).
The run report counts the statements read through.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from lakewharf.local.tsql_catalog import SessionCatalog
from lakewharf.local.tsql_text import CopyInto, tokens, unbracket

NOTE = "COPY INTO read through by the statements reading staging (not written locally)"
_PLACEHOLDER = "__pending_copy_"
# Statements that may read staging without writing it; any other statement naming it is a write.
_READS = re.compile(r"(SELECT|WITH|DECLARE|INSERT\s+INTO\s+(?P<into>[\[\]\w.#\"]+)|"
                    r"CREATE\s+(TEMP\s+)?TABLE\s+\S+\s*(WITH\s*\(.*?\)\s*)?AS\s+(SELECT|WITH))\b", re.I | re.S)
_EMPTYING = re.compile(r"(TRUNCATE\s+TABLE|DELETE\s+FROM)\s+(?P<table>[\[\]\w.\"]+)\s*;?", re.I)
_STAMP = re.compile(r"UPDATE\s+(?P<table>[\[\]\w.\"]+)\s+SET\s+(?P<column>\[[^\]]+\]|\w+)\s*=\s*"
                    r"(?P<value>@\w+|N?'(?:[^']|'')*'|-?\d+(?:\.\d+)?)\s+WHERE\s+(?P=column)\s+IS\s+NULL\s*;?",
                    re.I)


@dataclass
class Pending:
    """One COPY INTO not written yet: what each staging column reads."""

    table: str  # schema.table, as the COPY named it
    columns: list[tuple[str, str, str]]  # (column, DuckDB type, COLLATE clause or "") in table order
    fields: dict[str, str]  # column (lower) → the Parquet field it reads, as a DuckDB expression
    source: str  # read_parquet(…) of the copied files
    constants: dict[str, str] = field(default_factory=dict)  # column (lower) → SQL literal (a stamp)

    def select(self) -> str:
        """The staging rows as COPY INTO would have written them (then stamped)."""
        picked = []
        for name, kind, collate in self.columns:
            value = self.fields.get(name.lower()) or self.constants.get(name.lower(), "NULL")
            picked.append(f"CAST({value} AS {kind}){collate} AS {_quoted(name)}")
        return f"SELECT {', '.join(picked)} FROM {self.source}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str | None:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


class Staging:
    """The pending copies of one session (one interpreter)."""

    def __init__(self, con: Any, catalog: SessionCatalog, in_transaction: Callable[[], bool]) -> None:
        self.con = con
        self.catalog = catalog
        self.in_transaction = in_transaction
        self.pending: dict[str, Pending] = {}  # schema.table (lower) → its pending copy
        # written inside the open transaction: a ROLLBACK takes the rows out again, so they are
        # pending again (COPY INTO had committed them before the transaction began)
        self.written: list[Pending] = []

    def defer(self, copy: CopyInto, fields: list[tuple[str, str, str]], source: str) -> int | None:
        """Check and count ``copy``'s rows, leaving them pending: the row count, or None when
        the copy must be made as written (the table is not empty or has other constraints, or a
        row would fail COPY, whose own error the caller then raises). ``fields`` are (column,
        Parquet field expression, the field's DuckDB type), in the COPY's order; ``source`` the
        ``read_parquet(…)`` they are read from."""
        import duckdb

        key = copy.table.lower()
        schema, _, name = copy.table.rpartition(".")
        found = self._definition(schema or "main", name)
        if key in self.pending or found is None:
            return None
        columns, checks = found
        known = {c.lower(): kind for c, kind, _ in columns}
        if any(column.lower() not in known for column, _, _ in fields):
            return None
        pending = Pending(copy.table, columns, {c.lower(): f for c, f, _ in fields}, source)
        # casts that can fail are counted, so they are evaluated; a same-type cast cannot fail
        lossy = [c for c, _, kind in fields if kind != known[c.lower()]]
        counted = ", ".join(["COUNT(*)", *(f"COUNT({_quoted(c)})" for c in lossy)])
        where = (" WHERE CASE WHEN NOT COALESCE(" + " AND ".join(f"({e})" for e in checks)
                 + ", TRUE) THEN error('COPY INTO: a CHECK fails') ELSE TRUE END") if checks else ""
        try:
            rows = self.con.execute(f"SELECT {counted} FROM ({pending.select()}) AS _copy{where}").fetchone()[0]
        except duckdb.Error:
            return None
        self.pending[key] = pending
        return int(rows)

    def _definition(self, schema: str, name: str) -> tuple[list[tuple[str, str, str]], tuple[str, ...]] | None:
        """(column, type, collation) in order, and the CHECK expressions, of an empty table whose
        only constraints are CHECKs and collations (nothing a COPY could fill otherwise: no
        default, NOT NULL or key)."""
        import sqlglot

        definition = self.catalog.definitions().get((schema.lower(), name.lower()))
        if definition is None or definition[2]:
            return None
        sql, checks, _ = definition
        types = {c: kind for s, t, c, kind in self.catalog.columns()
                 if s.lower() == schema.lower() and t.lower() == name.lower()}
        if self.con.execute(f"SELECT EXISTS (FROM {_quoted(schema)}.{_quoted(name)})").fetchone()[0]:
            return None
        try:
            create = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.SqlglotError:
            return None
        columns = []
        for part in create.this.expressions:
            if isinstance(part, exp.CheckColumnConstraint):
                continue
            if not isinstance(part, exp.ColumnDef) or part.name not in types:
                return None
            constraints = part.args.get("constraints") or []
            if any(not isinstance(c.args.get("kind"), exp.CollateColumnConstraint) for c in constraints):
                return None
            columns.append((part.name, types[part.name], "".join(f" {c.sql(dialect='duckdb')}" for c in constraints)))
        return (columns, checks) if len(columns) == len(types) else None

    # --- the statements after the COPY --------------------------------------------------------------

    def named(self, stmt: str) -> list[Pending]:
        """The pending copies ``stmt`` names."""
        words = {unbracket(t.text).lower() for t in tokens(stmt)}
        return [p for p in self.pending.values() if p.table.rpartition(".")[2].lower() in words]

    def stamp(self, stmt: str) -> tuple[Pending, str, str] | None:
        """``UPDATE staging SET c = value WHERE c IS NULL`` on a column the COPY leaves NULL:
        (the copy, the column, the value's T-SQL)."""
        m = _STAMP.fullmatch(stmt.strip())
        if not m or (pending := self.pending.get(unbracket(m.group("table")).lower())) is None:
            return None
        column = unbracket(m.group("column")).lower()
        if column in pending.fields or column in pending.constants \
                or column not in {c.lower() for c, _, _ in pending.columns}:
            return None
        return pending, column, m.group("value")

    def fold(self, pending: Pending, column: str, value: Any) -> bool:
        literal = _literal(value)
        if literal is not None:
            pending.constants[column] = literal
        return literal is not None

    def emptied(self, stmt: str) -> Pending | None:
        """The pending copy a ``TRUNCATE TABLE``/``DELETE FROM`` (no WHERE) of it ends."""
        m = _EMPTYING.fullmatch(stmt.strip())
        return self.pending.get(unbracket(m.group("table")).lower()) if m else None

    def reads_only(self, stmt: str, pending: Pending) -> bool:
        """``stmt`` reads ``pending``'s table and does not write it: each mention is a table in a
        FROM or JOIN (two-part name, never a column's qualifier), and the statement writes
        elsewhere if at all."""
        m = _READS.match(stmt.strip())
        if not m or (m.group("into") and unbracket(m.group("into")).lower() == pending.table.lower()):
            return False
        schema, _, name = pending.table.lower().rpartition(".")
        toks = tokens(stmt)
        for i, t in enumerate(toks):
            if unbracket(t.text).lower() != name:
                continue
            in_from = i >= 3 and toks[i - 3].text.upper() in ("FROM", "JOIN") and toks[i - 1].text == "." \
                and unbracket(toks[i - 2].text).lower() == schema
            if not in_from or (i + 1 < len(toks) and toks[i + 1].text == "."):
                return False
        return True

    def stand_ins(self) -> dict[str, str]:
        """schema.table (lower) → the SELECT that reads it, for ``read_through``."""
        return {key: p.select() for key, p in self.pending.items()}

    def materialize(self, pending: Pending) -> None:
        """Write the pending rows into staging, as COPY INTO would have."""
        schema, _, name = pending.table.rpartition(".")
        names = ", ".join(_quoted(c) for c, _, _ in pending.columns)
        self.con.execute(f"INSERT INTO {_quoted(schema or 'main')}.{_quoted(name)} ({names}) {pending.select()}")
        del self.pending[pending.table.lower()]
        if self.in_transaction():
            self.written.append(pending)

    def ended(self, *, rolled_back: bool) -> None:
        """The open transaction committed or rolled back."""
        if rolled_back:
            self.pending.update((p.table.lower(), p) for p in self.written)
        self.written.clear()

    def drop(self, pending: Pending) -> None:
        del self.pending[pending.table.lower()]


def read_through(tree: exp.Expression, tables: dict[str, str]) -> dict[str, str]:
    """Each table of ``tree`` named in ``tables`` → a placeholder, to be replaced in the generated
    text by the parenthesised SELECT (returned: placeholder → SELECT); the alias stays, or is the
    table's name."""
    out: dict[str, str] = {}
    for table in list(tree.find_all(exp.Table)):
        key = f"{table.db}.{table.name}".lower() if table.db else table.name.lower()
        if key not in tables or table.catalog:
            continue
        placeholder = f"{_PLACEHOLDER}{len(out)}__"
        out[placeholder] = f"({tables[key]})"
        table.replace(exp.Table(this=exp.to_identifier(placeholder),
                                alias=exp.TableAlias(this=exp.to_identifier(table.alias or table.name))))
    return out
