"""The conditions of ``IF`` in the generated T-SQL, for the local interpreter (``tsql_local``):
existence checks of objects, schemas and columns (``OBJECT_ID``, ``SCHEMA_ID``, ``sys.columns``),
``EXISTS`` queries and scalar tests."""

from __future__ import annotations

import re
from typing import Any

from lakewharf.local.tsql_text import temp_names, tokens, unbracket
from lakewharf.local.warehouse import WarehouseError

_STATEMENT_START = {"EXEC", "DROP", "CREATE", "BEGIN", "ALTER", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "SET",
                    "THROW"}


class Conditions:
    """Mixed into ``TsqlInterpreter``, whose session (``con``, ``catalog``, ``procedures``) and
    statement runner (``_run``, ``_scalar``) these use."""

    con: Any
    catalog: Any
    procedures: dict[str, Any]

    def _run(self, tsql: str, params: dict[str, Any]) -> Any:
        raise NotImplementedError  # the interpreter's

    def _scalar(self, expression: str, params: dict[str, Any]) -> Any:
        raise NotImplementedError  # the interpreter's

    @staticmethod
    def _split_if(stmt: str) -> tuple[str, str]:
        """``IF <condition> <statement>`` → (condition, statement): the statement starts at the first
        statement keyword outside parentheses (a token: never a word inside a string)."""
        from sqlglot.tokens import TokenType

        quoted = {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.IDENTIFIER}
        depth = 0
        for t in tokens(stmt)[1:]:
            depth += (t.token_type == TokenType.L_PAREN) - (t.token_type == TokenType.R_PAREN)
            if depth == 0 and t.token_type not in quoted and t.text.upper() in _STATEMENT_START:
                return stmt[2 : t.start].strip(), stmt[t.start :].strip()
        raise WarehouseError(f"cannot read the IF statement locally: {stmt[:120]}")

    def _condition(self, condition: str, params: dict[str, Any]) -> bool:
        text = condition.strip()
        m = re.fullmatch(r"(NOT\s+)?EXISTS\s*\(\s*SELECT\s+1\s+FROM\s+sys\.columns\s+WHERE\s+\[?object_id\]?\s*=\s*"
                         r"OBJECT_ID\(\s*N?'([^']+)'\s*\)\s+AND\s+\[?name\]?\s*=\s*N?'([^']+)'\s*\)", text, re.I | re.S)
        if m:  # a column's existence (the generated add-column statements)
            return self._column_exists(unbracket(m.group(2)), m.group(3)) != bool(m.group(1))
        m = re.fullmatch(r"(NOT\s+)?EXISTS\s*\((SELECT\b.*)\)", text, re.I | re.S)
        if m and "sys.database_principals" not in m.group(2):
            found = bool(self._run(temp_names(m.group(2)), params).fetchall())
            return found != bool(m.group(1))
        negate = False
        m = re.fullmatch(r"NOT\s+(.*)", text, re.I | re.S)
        if m and not re.match(r"NOT\s+EXISTS", text, re.I):
            negate, text = True, m.group(1)
        if re.match(r"NOT\s+EXISTS\s*\(\s*SELECT\s+1\s+FROM\s+sys\.database_principals", text, re.I):
            return False  # roles: skipped locally (counted where the CREATE ROLE would run)
        m = re.fullmatch(
            r"(OBJECT_ID|SCHEMA_ID)\(\s*N?'([^']+)'(?:\s*,\s*N?'(\w+)')?\s*\)\s+IS\s+(NOT\s+)?NULL", text, re.I
        )
        if not m:
            # Any other predicate (e.g. on a variable, ``@errors <> N''``) is a scalar test; UNKNOWN is
            # false, as IF takes it.
            return bool(self._scalar(f"CASE WHEN {text} THEN 1 ELSE 0 END", params)) != negate
        fn, name, kind, is_not = m.groups()
        exists = (
            self._schema_exists(unbracket(name))
            if fn.upper() == "SCHEMA_ID"
            else self._object_exists(unbracket(name), (kind or "").upper())
        )
        result = exists if is_not else not exists
        return not result if negate else result

    def _column_exists(self, table: str, column: str) -> bool:
        schema, _, name = table.rpartition(".")
        key = ((schema or "main").lower(), name.lower(), column.lower())
        return any((s.lower(), t.lower(), c.lower()) == key for s, t, c, _ in self.catalog.columns())

    def _schema_exists(self, name: str) -> bool:
        return bool(self.con.execute("SELECT 1 FROM duckdb_schemas() WHERE schema_name = ?", [name]).fetchall())

    def _object_exists(self, name: str, kind: str) -> bool:
        if name.lower().startswith("tempdb.."):
            name = "tmp_" + name.split("..", 1)[1].lstrip("#")
            return any(temp and t.lower() == name.lower() for _, t, temp in self.catalog.tables())
        if kind == "P":
            return name.lower() in self.procedures
        schema, _, table = name.rpartition(".")
        key = ((schema or "main").lower(), table.lower())
        return any((s.lower(), t.lower()) == key for s, t, _ in self.catalog.tables())
