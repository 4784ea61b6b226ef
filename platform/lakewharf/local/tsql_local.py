"""Run the generated Synapse T-SQL on DuckDB (or prepare it for SQL Server).

DuckDB has no procedures, batches or TRY/CATCH, and none of Synapse's table options. This module
is a small interpreter for exactly the T-SQL lakewharf generates: it splits scripts into batches
and statements, evaluates the existence checks (``IF OBJECT_ID(...) IS NULL``), keeps procedures
and runs them on ``EXEC`` inside a DuckDB transaction, rewrites ``UPDATE ... FROM t JOIN s`` to
DuckDB's form, and hands every other statement to sqlglot (T-SQL → DuckDB). Statements with no
local meaning (grants, roles, masking, sensitivity labels, unenforced keys) are skipped and
counted, so the run report says what was not verified locally. ``COPY INTO`` is handed to the
caller, who reads the Parquet files from the lake.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lakewharf.local.tsql_catalog import SessionCatalog
from lakewharf.local.tsql_conditions import Conditions
from lakewharf.local.tsql_duckdb import friendly_error
from lakewharf.local.tsql_staging import NOTE as READ_THROUGH
from lakewharf.local.tsql_staging import Staging
from lakewharf.local.tsql_text import CopyInto, ReadThrough, batches, split_statements, temp_names, unbracket
from lakewharf.local.tsql_translate import to_duckdb
from lakewharf.local.tsql_types import schema_of
from lakewharf.local.warehouse import Translations, WarehouseError

_SKIPPED = [
    (re.compile(r"^(GRANT|DENY|REVOKE)\b", re.I), "grants"),
    (re.compile(r"^CREATE\s+ROLE\b", re.I), "database roles"),
    (re.compile(r"^ADD\s+SENSITIVITY\s+CLASSIFICATION\b", re.I), "sensitivity classification"),
    (re.compile(r"^ALTER\s+TABLE\b.*\bADD\s+CONSTRAINT\b.*\bNOT\s+ENFORCED\b", re.I | re.S), "unenforced primary keys"),
    (re.compile(r"^ALTER\s+TABLE\b.*\bADD\s+MASKED\b", re.I | re.S), "dynamic data masking"),
    (re.compile(r"^SET\s+NOCOUNT\b", re.I), "SET NOCOUNT"),
    (re.compile(r"^CREATE\s+STATISTICS\b", re.I), "statistics"),
]


_DDL = re.compile(r"\s*(CREATE|DROP|ALTER)\b", re.I)
_TEMPORARY_DDL = re.compile(r"\s*(CREATE|DROP)\s+TABLE\s+(IF\s+EXISTS\s+)?#", re.I)


class ThrownError(WarehouseError):
    """A T-SQL THROW: the generated SQL failed on purpose (a data test), with its own message."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(message)
        self.number = number


@dataclass
class _Procedure:
    parameters: list[str]
    body: str


class TsqlInterpreter(Conditions):
    def __init__(
        self, con: Any, translations: Translations, copy_into: Callable[[CopyInto], int] | None = None
    ) -> None:
        self.con = con
        self.translations = translations
        self.copy_into = copy_into
        self.procedures: dict[str, _Procedure] = {}
        self.catalog = SessionCatalog(con)
        self.staging = Staging(con, self.catalog, lambda: self.transaction)
        self.transaction = False  # an explicit BEGIN TRANSACTION is open (this session's)
        self.transaction_ddl = False  # it changed a permanent object

    # --- scripts, batches, statements -------------------------------------------------------------

    def run_script(self, tsql: str, params: dict[str, Any] | None = None) -> None:
        try:
            for batch in batches(tsql):
                self._run_batch(batch, dict(params or {}))
        except Exception:
            # The script failed: staging still gets the rows its copies had committed (outside a
            # transaction; one still open settles them when it ends). The script's own error wins.
            with contextlib.suppress(WarehouseError):
                self._settle()
            raise
        self._settle()

    def _settle(self) -> None:
        """The end of a script: every pending copy's rows go into staging (``tsql_staging``),
        unless a transaction is still open: its session may go on, and its end settles them."""
        if self.transaction:
            return
        for pending in list(self.staging.pending.values()):
            self.staging.materialize(pending)

    def end_session(self) -> None:
        """The session closes: an open transaction rolls back, as a closed connection's does, and
        the pending copies go into staging (COPY INTO had committed them)."""
        if self.transaction:
            with contextlib.suppress(Exception):
                self._end_transaction("ROLLBACK")
        self._settle()

    def _run_batch(self, batch: str, params: dict[str, Any]) -> None:
        if re.match(r"CREATE\s+PROC(EDURE)?\b", batch, re.I):
            self._define_procedure(batch)
            return
        self._run_statements(split_statements(batch), params)

    def _run_statements(self, statements: Sequence[str], params: dict[str, Any]) -> None:
        i = 0
        while i < len(statements):
            stmt = statements[i]
            if re.match(r"IF\b", stmt, re.I):
                condition, action = self._split_if(stmt)
                block = [action] if action else []
                if re.fullmatch(r"BEGIN\b.*", action, re.I | re.S) and not re.match(
                    r"BEGIN\s+(TRAN|TRY)", action, re.I
                ):
                    block, depth = [action[5:].strip()], 1
                    while depth:
                        i += 1
                        if re.fullmatch(r"END", statements[i], re.I):
                            depth -= 1
                        else:
                            block.append(statements[i])
                holds = self._condition(condition, params)
                if holds:
                    self._run_statements([s for s in block if s], params)
                if i + 1 < len(statements) and re.match(r"ELSE\b", statements[i + 1], re.I):
                    i += 1
                    if not holds:
                        self._run_statements([statements[i][4:].strip()], params)
            else:
                if self.staging.pending and re.match(r"BEGIN\s+TRAN", stmt, re.I):
                    # what the transaction may write goes in first, committed as COPY INTO's rows
                    for pending in self.staging.written_in(statements[i + 1:], self._body):
                        self.staging.materialize(pending)
                self._statement(stmt, params)
            i += 1

    # --- single statements ------------------------------------------------------------------------

    def _statement(self, stmt: str, params: dict[str, Any]) -> None:
        for pattern, what in _SKIPPED:
            if pattern.match(stmt):
                self.translations.note("skipped", what)
                return
        if self.staging.pending and self._meets_pending(stmt, params):
            return
        upper = stmt.upper()
        if m := re.fullmatch(r"EXEC(?:UTE)?\s*\(\s*N?'(.*)'\s*\)", stmt, re.S | re.I):
            self._run_statements(split_statements(m.group(1).replace("''", "'")), params)
        elif m := re.match(r"EXEC(?:UTE)?\s+([\[\]\w.]+)\s*(.*)", stmt, re.S | re.I):
            self._call(unbracket(m.group(1)), m.group(2), params)
        elif m := re.match(r"DROP\s+PROCEDURE\s+([\[\]\w.]+)", stmt, re.I):
            self.procedures.pop(unbracket(m.group(1)).lower(), None)
        elif m := re.match(r"DECLARE\s+@(\w+)\s+[\w()\s,]+?=\s*(.*)", stmt, re.S | re.I):
            params[m.group(1)] = self._scalar(m.group(2), params)
        elif re.match(r"BEGIN\s+TRAN(SACTION)?\b", stmt, re.I):
            self.con.execute("BEGIN TRANSACTION")
            self.transaction = True
        elif upper.startswith(("COMMIT", "ROLLBACK")):
            self._end_transaction(upper.split()[0])
        elif m := re.fullmatch(r"THROW\s+(\d+)\s*,\s*(.+?)\s*,\s*(\d+)\s*;?", stmt, re.S | re.I):
            self._throw(int(m.group(1)), m.group(2), int(m.group(3)), params)
        elif upper.startswith("COPY INTO"):
            self._copy(stmt)
        else:
            self._translated(stmt, params)

    def _meets_pending(self, stmt: str, params: dict[str, Any]) -> bool:
        """A statement naming a pending copy's staging table (``tsql_staging``), outside a
        transaction: a run-id stamp that cannot fail becomes a constant of the copy (True: nothing
        left to run), an emptying TRUNCATE ends the copy. Anything else is settled in ``_run``."""
        if not self.staging.named(stmt) or self.transaction:
            return False
        if stamp := self.staging.stamp(stmt):
            pending, column, value = stamp
            try:
                known = self._scalar(value, params)
            except WarehouseError:
                return False  # (an unknown variable: the UPDATE fails as written)
            return self.staging.pending.get(pending.table.lower()) is pending \
                and self.staging.fold(pending, column, known)
        if emptied := self.staging.emptied(stmt):
            self.staging.drop(emptied)
        return False

    def _body(self, name: str) -> str | None:
        procedure = self.procedures.get(name.lower())
        return procedure.body if procedure is not None else None

    def _define_procedure(self, batch: str) -> None:
        m = re.match(
            r"CREATE\s+PROC(?:EDURE)?\s+([\[\]\w.]+)\s*(.*?)\s+AS\s+BEGIN\b(.*)\bEND\s*;?\s*$", batch, re.S | re.I
        )
        if not m:
            raise WarehouseError(f"cannot read the procedure locally: {batch[:120]}")
        parameters = re.findall(r"@(\w+)", m.group(2))
        # TRY/CATCH: the CATCH block only rolls back and re-raises, which _call does for DuckDB.
        body = re.sub(r"END\s+TRY\s*;?\s*BEGIN\s+CATCH\b.*?END\s+CATCH\s*;?", "", m.group(3), flags=re.S | re.I)
        body = re.sub(r"BEGIN\s+TRY\s*;?", "", body, flags=re.I)
        self.procedures[unbracket(m.group(1)).lower()] = _Procedure(parameters, body)
        self.translations.note("rewritten", "stored procedures (interpreted)")

    def _call(self, name: str, arguments: str, params: dict[str, Any]) -> None:
        procedure = self.procedures.get(name.lower())
        if procedure is None:
            raise WarehouseError(f"procedure {name} does not exist locally: were the warehouse scripts applied?")
        values = dict(re.findall(r"@(\w+)\s*=\s*N?'((?:[^']|'')*)'", arguments))
        missing = [p for p in procedure.parameters if p not in values]
        if missing:
            raise WarehouseError(f"EXEC {name}: missing parameter(s) {', '.join(missing)}")
        try:
            self._run_statements(split_statements(procedure.body), {**params, **values})
        except Exception:
            if self.transaction:
                self._end_transaction("ROLLBACK")
            raise

    def _end_transaction(self, how: str) -> None:
        """COMMIT or ROLLBACK; either way the transaction is over (DuckDB rolls back a failed
        COMMIT, and the COMMIT of a transaction an error aborted). A rollback drops what the
        transaction created; the end of one that changed a permanent object drops every session's
        catalog."""
        rolled_back = how == "ROLLBACK" or self._aborted()
        try:
            self.con.execute(how)
        except Exception:
            rolled_back = True
            raise
        finally:
            self.transaction = False
            self.staging.ended(rolled_back=rolled_back)
            if rolled_back or self.transaction_ddl:
                self.catalog.changed(everywhere=self.transaction_ddl)
            self.transaction_ddl = False

    def _aborted(self) -> bool:
        """The open transaction was aborted by an error (DuckDB then refuses every statement but
        its end; errors found before running, such as a missing table, do not abort it)."""
        import duckdb

        if not self.transaction:
            return False
        try:
            self.con.execute("SELECT 1")
        except duckdb.TransactionException:
            return True
        return False

    def _throw(self, number: int, message: str, state: int, params: dict[str, Any]) -> None:
        """THROW number, message, state: the batch stops with that error (severity 16), and only the
        message reaches the client's error text, as Data Factory's Script activity shows it. The
        message is a literal or a variable; numbers start at 50000.
        https://learn.microsoft.com/sql/t-sql/language-elements/throw-transact-sql"""
        if number < 50000 or not 0 <= state <= 255:
            raise WarehouseError(f"THROW {number}, …, {state}: error numbers start at 50000, states are 0-255")
        text = self._scalar(message, params)
        raise ThrownError(number, str(text)[:2048] if text is not None else "")

    def _scalar(self, expression: str, params: dict[str, Any]) -> Any:
        return self._run(temp_names(f"SELECT {expression}"), params).fetchone()[0]

    def _copy(self, stmt: str) -> None:
        m = re.match(r"COPY\s+INTO\s+([\[\]\w.]+)\s*\((.*?)\)\s*FROM\s+'([^']+)'", stmt, re.S | re.I)
        if not m or self.copy_into is None:
            raise WarehouseError(f"cannot run COPY INTO locally: {stmt[:120]}")
        columns = [(unbracket(c), int(p)) for c, p in re.findall(r"(\[[^\]]+\]|\w+)\s+(\d+)", m.group(2))]
        copy = CopyInto(unbracket(m.group(1)), columns, m.group(3))
        if (earlier := self.staging.pending.get(copy.table.lower())) is not None:
            self.staging.materialize(earlier)  # a second COPY appends to the first one's rows
        elif isinstance(self.copy_into, ReadThrough) and not self.transaction and self._read_through(copy):
            self.translations.note("rewritten", "COPY INTO (read from the local lake)")
            self.translations.note("rewritten", READ_THROUGH)
            return
        self.copy_into(copy)
        self.translations.note("rewritten", "COPY INTO (read from the local lake)")

    def _read_through(self, copy: CopyInto) -> bool:
        """Leave ``copy`` pending (``tsql_staging``) if it can be: its rows checked and counted."""
        import duckdb

        from lakewharf.local.warehouse import parquet_fields, parquet_files

        assert isinstance(self.copy_into, ReadThrough)
        glob = self.copy_into.locate(copy)
        try:
            fields = parquet_fields(self.con, copy.columns, glob)
        except duckdb.Error:
            return False  # (unreadable files: the copy fails as written)
        rows = self.staging.defer(copy, fields, parquet_files(glob))
        if rows is not None:
            self.copy_into.counted(copy, rows)
        return rows is not None

    def _translated(self, stmt: str, params: dict[str, Any]) -> None:
        sql = temp_names(stmt)
        if re.match(r"CREATE\s+TABLE\b", sql, re.I):
            sql = self._create_table(sql)
        elif re.match(r"ALTER\s+TABLE\b.*\bADD\b", sql, re.I | re.S):
            sql = self._without_masks(sql)
        elif m := re.match(
            r"UPDATE\s+(\S+)\s+SET\s+(.*?)\s+FROM\s+\1\s+INNER\s+JOIN\s+(\S+)\s+AS\s+(\w+)\s+ON\s+(.*?)"
            r"(?:\s+WHERE\s+(.*))?$",
            sql,
            re.S | re.I,
        ):
            target, sets, source, alias, on, where = m.groups()
            sql = f"UPDATE {target} SET {sets} FROM {source} AS {alias} WHERE ({on})" + (
                f" AND ({where})" if where else ""
            )
            self.translations.note("rewritten", "UPDATE ... FROM ... JOIN")
        elif re.match(r"TRUNCATE\s+TABLE\b", sql, re.I):
            sql = re.sub(r"TRUNCATE\s+TABLE", "DELETE FROM", sql, flags=re.I)
        try:
            self._run(sql, params)
        finally:
            if _DDL.match(sql):
                everywhere = not _TEMPORARY_DDL.match(stmt)
                self.catalog.changed(everywhere=everywhere)
                self.transaction_ddl = self.transaction_ddl or (everywhere and self.transaction)

    def _without_masks(self, sql: str) -> str:
        if re.search(r"\bMASKED\s+WITH\s*\(", sql, re.I):
            self.translations.note("skipped", "dynamic data masking")
            sql = re.sub(r"\s+MASKED\s+WITH\s*\(\s*FUNCTION\s*=\s*'[^']*'\s*\)", "", sql, flags=re.I)
        return sql

    def _create_table(self, sql: str) -> str:
        sql = self._without_masks(sql)
        # Synapse table options (distribution, index, partitions) have no local meaning.
        m = re.match(r"(CREATE\s+TABLE\s+\S+\s*(?:\(.*?\))?)\s*WITH\s*\((.*?)\)\s*(AS\b.*)?$", sql, re.S | re.I)
        if m:
            self.translations.note("rewritten", "Synapse table options removed (distribution, index, partition)")
            head, _, select = m.groups()
            if select is not None:  # CTAS, e.g. the procedures' #src copies: a temporary table
                return re.sub(r"CREATE\s+TABLE", "CREATE TEMP TABLE", head, flags=re.I) + " " + select
            return head
        return sql

    def _run(self, tsql: str, params: dict[str, Any]) -> Any:
        import duckdb

        # (guarded: on a long literal the pattern would backtrack quadratically)
        identity = re.search(r"\[?(\w+)\]?\s+\w+\s+IDENTITY\s*\(\s*1\s*,\s*1\s*\)", tsql, re.I) \
            if "IDENTITY" in tsql.upper() else None
        tables = None
        if self.staging.pending:  # read through, unless the statement may write the table
            named = self.staging.named(tsql)
            for pending in named:
                if not self.staging.reads_only(tsql, pending):
                    self.staging.materialize(pending)
            tables = {p.table.lower(): p.select() for p in named if p.table.lower() in self.staging.pending} or None
        sql = to_duckdb(tsql, schema=schema_of(self.catalog.columns(), tsql), translations=self.translations,
                        tables=tables)
        if identity:  # IDENTITY(1,1) → a sequence default
            sequence = f"seq_{identity.group(1)}"
            self.con.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence}")
            sql = re.sub(
                r"(\b" + identity.group(1) + r'"?\s+\w+)\s+GENERATED BY DEFAULT AS IDENTITY\s*\([^)]*\)',
                rf"\1 DEFAULT nextval('{sequence}')",
                sql,
                count=1,
            )
            self.translations.note("rewritten", "IDENTITY columns as sequences")
        used = {k: v for k, v in params.items() if re.search(r"\$" + k + r"\b", sql)}
        try:
            return self.con.execute(sql, used or None)
        except duckdb.Error as exc:
            if tables and not self._aborted():
                # Run as written, with the rows in staging, for the error it gives there (a failed
                # statement changed nothing); an error that aborted the transaction stays as is.
                for key in tables:
                    self.staging.materialize(self.staging.pending[key])
                return self._run(tsql, params)
            message = friendly_error(str(exc).splitlines()[0])
            if tables:  # (an aborted transaction) the statement as written
                sql = to_duckdb(tsql, schema=schema_of(self.catalog.columns(), tsql))
            raise WarehouseError(f"{type(exc).__name__}: {message}\n  in: {sql[:400]}") from None
