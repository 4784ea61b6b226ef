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

Only an empty table with no constraint but CHECKs and collations, that no view reads, outside a
transaction, is read through; any other COPY is made as written. A statement counts as naming
staging by its two-part name (the default schema's tables also by their name alone), never by a
string or a variable; one that only reads it (a SELECT, DECLARE, INSERT into another table or
CTAS whose every mention is a table in a FROM or JOIN) reads through. A failed statement's error
shows it as written. A stamp is folded only if its cast and the CHECKs naming its column hold.

What differs from Synapse: while a copy is pending, other sessions see staging empty (two items
copying into one staging table would each see only their own rows; generated pipelines give each
table its own staging and item), each reading statement reads the files again (nothing in a load
changes them), and a run killed then leaves staging empty where Synapse's would hold the rows
(every load script empties staging before its COPY, so no load's result differs). The run report
counts the copies read through and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from lakewharf.local.tsql_catalog import SessionCatalog
from lakewharf.local.tsql_text import CopyInto, tokens, unbracket
from lakewharf.local.warehouse import WarehouseError, identifier, table_name

NOTE = "COPY INTO read through by the statements reading staging (not written locally)"
_PLACEHOLDER = "__pending_copy_"
_DEFAULT_SCHEMAS = ("main", "dbo")  # where a name alone points
# Statements that may read staging without writing it; any other statement naming it may write it
# (a WITH may lead a DELETE or an UPDATE).
_READS = re.compile(r"(SELECT\b|DECLARE\b|INSERT\s+INTO\s+(?P<into>[\[\]\w.#\"]+)|"
                    r"CREATE\s+(TEMP\s+)?TABLE\s+\S+\s*(WITH\s*\(.*?\)\s*)?AS\s+(SELECT|WITH)\b)", re.I | re.S)
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
    source: str  # the copied files (``warehouse.parquet_files``)
    checks: tuple[str, ...]  # the table's CHECK expressions (DuckDB's)
    constants: dict[str, str] = field(default_factory=dict)  # column (lower) → SQL literal (a stamp)

    def select(self) -> str:
        """The staging rows as COPY INTO would have written them (then stamped)."""
        picked = []
        for name, kind, collate in self.columns:
            value = self.fields.get(name.lower()) or self.constants.get(name.lower(), "NULL")
            picked.append(f"CAST({value} AS {kind}){collate} AS {identifier(name)}")
        return f"SELECT {', '.join(picked)} FROM {self.source}"

    def check(self, con: Any, counted: list[str], checks: tuple[str, ...]) -> int:
        """Row count of the copy, raising where COPY INTO (or a stamp) would: the ``counted``
        columns' casts are evaluated, and ``checks`` hold on every row."""
        where = (" WHERE CASE WHEN NOT COALESCE(" + " AND ".join(f"({e})" for e in checks)
                 + ", TRUE) THEN error('COPY INTO: a CHECK fails') ELSE TRUE END") if checks else ""
        picked = ", ".join(["COUNT(*)", *(f"COUNT({identifier(c)})" for c in counted)])
        return int(con.execute(f"SELECT {picked} FROM ({self.select()}) AS _copy{where}").fetchone()[0])


def _literal(value: Any) -> str | None:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # (a float's digits would be read as a DECIMAL)
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
        if schema.lower() in ("", *_DEFAULT_SCHEMAS):
            return None  # (its name alone could name it: only two-part names are read through)
        found = self._definition(schema, name)
        names = [column.lower() for column, _, _ in fields]
        if key in self.pending or found is None or len(set(names)) != len(names):
            return None  # (a column named twice: COPY's own error)
        columns, checks = found
        known = {c.lower(): kind for c, kind, _ in columns}
        if any(column not in known for column in names):
            return None
        pending = Pending(copy.table, columns, {c.lower(): f for c, f, _ in fields}, source, checks)
        # casts that can fail are counted, so they are evaluated; a same-type cast cannot fail
        lossy = [c for c, _, kind in fields if kind != known[c.lower()]]
        try:
            rows = pending.check(self.con, lossy, checks)
        except duckdb.Error:
            return None
        self.pending[key] = pending
        return rows

    def _definition(self, schema: str, name: str) -> tuple[list[tuple[str, str, str]], tuple[str, ...]] | None:
        """(column, type, collation) in order, and the CHECK expressions, of an empty table whose
        only constraints are CHECKs and collations (nothing a COPY could fill otherwise: no
        default, NOT NULL or key)."""
        import sqlglot

        tables, views = self.catalog.definitions()
        definition = tables.get((schema.lower(), name.lower()))
        if definition is None or definition[2] or any(name.lower() in view for view in views):
            return None  # (a view reading it would read it empty)
        sql, checks, _ = definition
        types = {c: kind for s, t, c, kind in self.catalog.columns()
                 if s.lower() == schema.lower() and t.lower() == name.lower()}
        if self.con.execute(f"SELECT EXISTS (FROM {table_name(f'{schema}.{name}')})").fetchone()[0]:
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
        """The pending copies ``stmt`` names (as schema.table). Strings and variables are no names."""
        return [p for p in self.pending.values() if _mentions(stmt, p)]

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
        """Make ``value`` the constant of ``column``, if the UPDATE could not fail: its cast and
        the CHECKs naming the column hold on every row (else it runs as written, and fails so)."""
        import duckdb

        literal = _literal(value)
        if literal is None:
            return False
        trial = replace(pending, constants={**pending.constants, column: literal})
        spelled = next(c for c, _, _ in pending.columns if c.lower() == column)
        try:
            trial.check(self.con, [spelled], tuple(e for e in pending.checks if column in e.lower()))
        except duckdb.Error:
            return False
        pending.constants[column] = literal
        return True

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
        return all(at is not None and at >= 0 and toks[at].text.upper() in ("FROM", "JOIN")
                   and (end + 1 >= len(toks) or toks[end + 1].text != ".")
                   for toks, at, end in _mentions_of(stmt, pending))

    def written_in(self, following: Sequence[str], body_of: Callable[[str], str | None]) -> list[Pending]:
        """The pending copies a transaction beginning before the statements ``following`` may
        write (any a statement names but only reads is not), or every one when the transaction
        does not end there or runs SQL not known here (dynamic, an unknown or nesting procedure)."""
        out: list[Pending] = []
        for stmt in following:
            if re.match(r"(COMMIT|ROLLBACK)\b", stmt, re.I):
                return out
            if re.match(r"EXEC(UTE)?\b", stmt, re.I):
                m = re.match(r"EXEC(?:UTE)?\s+([\[\]\w.]+)", stmt, re.I)
                body = body_of(unbracket(m.group(1))) if m else None
                if body is None or re.search(r"\bEXEC(UTE)?\b", body, re.I):
                    return list(self.pending.values())
                out += [p for p in self.named(body) if p not in out]
                continue
            out += [p for p in self.named(stmt) if p not in out and not self.reads_only(stmt, p)]
        return list(self.pending.values())

    def materialize(self, pending: Pending, con: Any = None) -> None:
        """Write the pending rows into staging, as COPY INTO would have (through ``con``, another
        session, when this one's transaction cannot take them)."""
        import duckdb

        from lakewharf.local.tsql_duckdb import friendly_error

        names = ", ".join(identifier(c) for c, _, _ in pending.columns)
        try:
            (con or self.con).execute(f"INSERT INTO {table_name(pending.table)} ({names}) {pending.select()}")
        except duckdb.Error as exc:
            raise WarehouseError(f"COPY INTO {pending.table}: {friendly_error(str(exc).splitlines()[0])}") from None
        del self.pending[pending.table.lower()]
        if con is None and self.in_transaction():
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
        key = f"{table.db}.{table.name}".lower()
        if not table.db or table.catalog or key not in tables:
            continue
        placeholder = f"{_PLACEHOLDER}{len(out)}__"
        out[placeholder] = f"({tables[key]})"
        # the node stays (its pivots, sample and hints with it), named by the placeholder
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
        table.set("this", exp.to_identifier(placeholder))
        table.set("db", None)
    return out


def _mentions_of(stmt: str, pending: Pending) -> Iterator[tuple[tuple[Any, ...], int | None, int]]:
    """Each mention of ``pending``'s table (schema.table) in ``stmt``: (the tokens, the index of the
    token before it, or None when it is part of a longer name, the index of its last token)."""
    from sqlglot.tokens import TokenType

    schema, _, name = pending.table.lower().rpartition(".")
    toks = tokens(stmt)
    not_names = (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.NUMBER)
    for i, t in enumerate(toks):
        if t.token_type in not_names or unbracket(t.text).lower() != name:
            continue
        if i >= 1 and toks[i - 1].token_type == TokenType.PARAMETER:
            continue  # a variable (@name)
        if i >= 2 and toks[i - 1].token_type == TokenType.DOT and unbracket(toks[i - 2].text).lower() == schema:
            longer = i >= 3 and toks[i - 3].token_type == TokenType.DOT
            yield toks, None if longer else i - 3, i


def _mentions(stmt: str, pending: Pending) -> bool:
    return next(_mentions_of(stmt, pending), None) is not None
