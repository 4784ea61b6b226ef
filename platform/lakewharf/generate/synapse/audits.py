"""Data tests → the audit procedure a table's load script calls after its load procedure.

Each test is one query counting failing rows (``SELECT COUNT_BIG(*) FROM (<failing rows>) AS f``),
the same idea as dbt's tests and SQLMesh's audits. ``etl.audit_<table>`` evaluates every test,
records each in ``etl.test_results`` (pass, warn or fail, with the failing-row count; a row count
also keeps the count it measured, which the next load's change check reads), and then THROWs one
message naming every failed error-severity test and its count, which fails the Script activity
and with it the pipeline run. Warnings only leave their row.

Synapse dedicated SQL pool rules this follows (Microsoft Learn):
- The audit runs outside any transaction, so the results recorded before THROW stay.
- THROW takes a literal or a variable as its message, at most 2,048 characters, error number
  50000 or more. https://learn.microsoft.com/sql/t-sql/language-elements/throw-transact-sql?view=azure-sqldw-latest
- Each variable gets its own DECLARE ... = (scalar subquery): a variable initialised in a DECLARE
  cannot be used in that same DECLARE.
  https://learn.microsoft.com/azure/synapse-analytics/sql/develop-variable-assignment
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lakewharf.generate.templates import bracket
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Table
from lakewharf.model.data_tests import UNKNOWN_MEMBER_KEY, DataTest


@dataclass(frozen=True)
class Audit:
    test: DataTest
    var: str  # @failing_<n>: the failing-row count
    comment: str  # what the test checks, for the procedure's comment
    setup: tuple[str, ...]  # DECLAREs the count depends on (row_count: the rows now and last load)
    failing: str  # the scalar expression counting failing rows
    measured: str  # what the results row keeps as measured (NULL unless a row count)
    says: str  # the THROW message's words after the count
    shown: str = ""  # the count the message shows (default: the failing rows)

    @property
    def message(self) -> str:
        """``CONCAT`` arguments of this test's part of the THROW message: its name and count."""
        return (f"{literal(f' data test {self.test.full_name} failed: ')}, {self.shown or self.var}, "
                f"{literal(self.says)}")


@dataclass(frozen=True)
class AuditPlan:
    table: Table
    name: str  # schema.table
    procedure: str
    catalog_file: str
    audits: tuple[Audit, ...]
    results: str = naming.test_results_table()

    @property
    def errors(self) -> tuple[Audit, ...]:
        return tuple(a for a in self.audits if a.test.severity == "error")


def audit_plan(catalog: Catalog, table: Table, catalog_file: str) -> AuditPlan:
    # A dimension's own tests check its real rows: the unknown member is lakewharf's, with NULLs
    # where a real row may have none (custom SQL sees every row: it says what it wants).
    key = bracket(table.load_keys[0]) if table.unknown_member else ""
    audits = tuple(audit(t, i, table.qualified_name, lambda name: catalog.tables[name].qualified_name, key)
                   for i, t in enumerate(table.tests, start=1))
    return AuditPlan(table, table.qualified_name, naming.audit_procedure_name(table.name), catalog_file, audits)


def audit_call_sql(table: Table | str, run_id_expr: str) -> str:
    name = table if isinstance(table, str) else table.name
    return f"EXEC {bracket(naming.audit_procedure_name(name))} @run_id = N'{run_id_expr}';\n"


def _count(failing_rows: str) -> str:
    return f"(SELECT COUNT_BIG(*) FROM ({failing_rows}) AS f)"


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "N'" + str(value).replace("'", "''") + "'"


def bounds(t: DataTest, rows: str) -> list[str]:
    """A row_count test's min/max conditions on the count ``rows`` (true: the test fails)."""
    return ([f"{rows} < {t.min_rows}"] if t.min_rows is not None else []) + (
        [f"{rows} > {t.max_rows}"] if t.max_rows is not None else [])


def expected(t: DataTest) -> list[str]:
    """What a row_count test expects, in the words of its failure message."""
    return ([f"at least {t.min_rows:,}"] if t.min_rows is not None else []) + (
        [f"at most {t.max_rows:,}"] if t.max_rows is not None else []) + (
        [f"within {t.max_change_percent:g}% of the last load's"] if t.max_change_percent is not None else [])


def audit(t: DataTest, n: int, qualified: str, parent_of: Callable[[str], str], key: str = "",
          now: str = "@now") -> Audit:
    """Test ``t`` (the ``n``-th of its owner) on ``qualified`` (schema.table); ``parent_of`` names a
    relationship's referenced owner as the SQL addresses it; ``key``: the bracketed unknown-member
    key whose -1 row the tests leave out (dimensions only); ``now``: the check's UTC time."""
    target = bracket(qualified)
    cols = [bracket(c) for c in t.columns]
    var, setup, measured = f"@failing_{n}", (), "NULL"
    real = f"({key} IS NULL OR {key} <> {UNKNOWN_MEMBER_KEY})" if key else ""  # NULL <> -1 is not true
    also = f" AND {real}" if real else ""
    if t.kind == "unique":
        comment = f"no two rows share {', '.join(t.columns)} (failing rows: the duplicated values)"
        failing = _count(f"SELECT {', '.join(cols)} FROM {target} WHERE "
                         + " AND ".join(f"{c} IS NOT NULL" for c in cols) + also
                         + f" GROUP BY {', '.join(cols)} HAVING COUNT_BIG(*) > 1")
    elif t.kind == "not_null":
        comment = f"{', '.join(t.columns)} never NULL"
        nulls = " OR ".join(f"{c} IS NULL" for c in cols)
        failing = _count(f"SELECT 1 AS [failing] FROM {target} WHERE " + (f"({nulls}){also}" if real else nulls))
    elif t.kind == "relationships":
        assert t.to_owner and t.to_column
        parent = bracket(parent_of(t.to_owner))
        comment = f"every {t.column} exists in {t.to_owner}.{t.to_column}"
        own = also.replace("[", "c.[")
        failing = _count(f"SELECT c.{cols[0]} FROM {target} AS c WHERE c.{cols[0]} IS NOT NULL{own} AND NOT EXISTS "
                         f"(SELECT 1 FROM {parent} AS p WHERE p.{bracket(t.to_column)} = c.{cols[0]})")
    elif t.kind == "accepted_values":
        values = ", ".join(literal(v) for v in t.values)
        comment = f"{t.column} is one of {', '.join(map(str, t.values))}"
        failing = _count(f"SELECT {cols[0]} FROM {target} WHERE {cols[0]} IS NOT NULL "
                         f"AND {cols[0]} NOT IN ({values}){also}")
    elif t.kind == "row_count":
        rows, previous = f"@rows_{n}", f"@previous_{n}"
        setup = (f"DECLARE {rows} BIGINT = (SELECT COUNT_BIG(*) FROM {target}{' WHERE ' + real if real else ''});",)
        conditions, said = bounds(t, rows), expected(t)
        if t.max_change_percent is not None:
            # The previous load's count, from this table's earlier results (another run's).
            results = bracket(naming.test_results_table())
            setup += (f"DECLARE {previous} BIGINT = (SELECT TOP 1 r.[measured] FROM {results}"
                      f" AS r WHERE r.[test_name] = {literal(t.full_name)} AND r.[run_id] <> @run_id"
                      " ORDER BY r.[checked_at] DESC);",)
            conditions.append(
                f"({previous} > 0 AND ABS({rows} - {previous}) * 100.0 > {t.max_change_percent!r} * {previous})")
        comment = "row count " + ", ".join(said)
        failing = f"CASE WHEN {' OR '.join(conditions)} THEN 1 ELSE 0 END"
        measured = rows
        return Audit(t, var, f"{t.full_name} ({t.severity}): {comment}", setup, failing, measured,
                     f" rows in {qualified}, expected {', '.join(said)}.", rows)
    elif t.kind == "freshness":
        assert t.max_age_hours is not None
        minutes = round(t.max_age_hours * 60)
        comment = f"the latest {t.column} is at most {t.max_age_hours:g} hours old"
        failing = (f"(SELECT COUNT_BIG(*) FROM (SELECT MAX({cols[0]}) AS [latest] FROM {target}"
                   f"{' WHERE ' + real if real else ''}) AS f "
                   f"WHERE f.[latest] IS NULL OR f.[latest] < DATEADD(MINUTE, -{minutes}, {now}))")
    else:
        assert t.sql is not None
        comment = t.description or "custom SQL: the rows it returns fail"
        failing = _count(" ".join(t.sql.split()))
    return Audit(t, var, f"{t.full_name} ({t.severity}): {comment}", setup, failing, measured,
                 f" failing row(s) in {qualified}.")


def unknown_row(table: Table) -> tuple[tuple[str, str], ...] | None:
    """The unknown member's values by column: key -1, 'unknown' (or '?' where it does not fit) in
    required text, a neutral value in other required columns, NULL elsewhere."""
    if not table.unknown_member:
        return None
    key = table.load_keys[0]
    values = []
    for tc in table.columns:
        dtype = tc.column.type
        if tc.name == key:
            value = str(UNKNOWN_MEMBER_KEY)
        elif tc.column.nullable:
            value = "NULL"
        elif dtype.base == "string":
            value = "N'unknown'" if dtype.length is None or dtype.length >= 7 else "N'?'"
        elif dtype.base == "date":
            value = "'1900-01-01'"
        elif dtype.base == "timestamp":
            value = "'1900-01-01T00:00:00'"
        elif dtype.base == "binary":
            value = "0x00"
        else:  # numbers and booleans
            value = "0"
        values.append((tc.name, value))
    return tuple(values)
