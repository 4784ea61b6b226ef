"""A correlated NOT EXISTS becomes an ANTI JOIN locally (local/tsql_antijoin.py): the same rows,
NULLs, duplicates and case-insensitive text included; the shapes it does not cover stay as written."""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb
import pytest

from lakewharf.local import tsql_duckdb
from lakewharf.local.tsql_duckdb import translate

LOAD_LOG_CHECK = ("SELECT s.k, s.v, s._run_id FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l "
                  "WHERE l.table_name = N'dbo.t' AND l.run_id = s._run_id)")


@pytest.fixture
def con() -> Any:
    con = duckdb.connect()
    con.execute("SET default_collation = 'nocase'")  # the warehouse's, as DuckDBWarehouse sets it
    con.execute("CREATE SCHEMA stg; CREATE SCHEMA etl")
    con.execute("CREATE TABLE stg.t (k INT, v VARCHAR, _run_id VARCHAR, grp VARCHAR)")
    con.execute("""INSERT INTO stg.t VALUES (1, 'a', 'run-1', 'x'), (2, 'b', 'RUN-1', 'x'), (3, 'c', 'run-2', 'y'),
                   (4, NULL, NULL, 'y'), (5, 'e', 'run-3', NULL), (5, 'e', 'run-3', NULL), (6, 'f', 'run-4', 'z')""")
    con.execute("CREATE TABLE etl.load_log (table_name VARCHAR, run_id VARCHAR, grp VARCHAR)")
    con.execute("""INSERT INTO etl.load_log VALUES ('dbo.t', 'run-1', 'x'), ('dbo.t', 'run-1', 'x'),
                   ('dbo.other', 'run-2', 'y'), ('dbo.t', NULL, 'y'), ('DBO.T', 'run-4', NULL)""")
    return con


def _rows(con: Any, sql: str) -> Counter[tuple[Any, ...]]:
    return Counter(con.execute(sql).fetchall())


def _as_written(monkeypatch: pytest.MonkeyPatch, tsql: str) -> str:
    with monkeypatch.context() as m:
        m.setattr(tsql_duckdb, "anti_joins", lambda tree: None)
        return translate(tsql)


@pytest.mark.parametrize("tsql", [
    LOAD_LOG_CHECK,
    LOAD_LOG_CHECK.replace("l.run_id = s._run_id", "s._run_id = l.run_id"),  # either side of =
    # two keys, an inner filter, another conjunct outside, a grouped outer query
    "SELECT s.k FROM stg.t AS s WHERE s.k > 1 AND NOT EXISTS (SELECT 1 FROM etl.load_log AS l "
    "WHERE l.run_id = s._run_id AND l.grp = s.grp AND l.table_name IS NOT NULL)",
    "SELECT s._run_id, COUNT_BIG(*) FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l "
    "WHERE l.table_name = N'dbo.t' AND l.run_id = s._run_id) GROUP BY s._run_id",
    # a key computed on both sides, the outer table joined to itself first
    "SELECT a.k FROM stg.t AS a JOIN stg.t AS b ON b.k = a.k WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l "
    "WHERE UPPER(l.run_id) = UPPER(b._run_id))",
])
def test_rewritten_not_exists_gives_the_same_rows(con: Any, monkeypatch: pytest.MonkeyPatch, tsql: str) -> None:
    rewritten, written = translate(tsql), _as_written(monkeypatch, tsql)
    assert "ANTI JOIN" in rewritten and "EXISTS" not in rewritten.upper()
    assert "EXISTS" in written.upper()
    assert _rows(con, rewritten) == _rows(con, written)


def test_the_load_log_check_keeps_unlogged_runs_and_null_run_ids(con: Any) -> None:
    # run-1 is logged (in any case: the collation ignores it), run-2 only for another table, run-4
    # under 'DBO.T'; the NULL run id matches nothing, so its row is kept, as NOT EXISTS keeps it.
    assert sorted(_rows(con, translate(LOAD_LOG_CHECK)).elements(), key=str) == sorted(
        [(3, "c", "run-2"), (4, None, None), (5, "e", "run-3"), (5, "e", "run-3")], key=str)


@pytest.mark.parametrize("tsql", [
    # OR, an unqualified column, a correlation that is not an equality, a grouped or joined
    # subquery, a nested subquery, a reference past the enclosing query, the same alias inside
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l WHERE l.run_id = s._run_id "
    "OR l.grp = s.grp)",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l WHERE run_id = s._run_id)",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l WHERE l.run_id > s._run_id)",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT l.run_id FROM etl.load_log AS l WHERE l.run_id = s._run_id "
    "GROUP BY l.run_id)",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l JOIN stg.t AS u ON u.k = 1 "
    "WHERE l.run_id = s._run_id)",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS l WHERE l.run_id = s._run_id "
    "AND l.grp IN (SELECT u.grp FROM stg.t AS u))",
    "SELECT s.k FROM stg.t AS s WHERE s.k IN (SELECT u.k FROM stg.t AS u WHERE NOT EXISTS "
    "(SELECT 1 FROM etl.load_log AS l WHERE l.run_id = s._run_id))",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM etl.load_log AS s WHERE s.run_id = s.grp)",
    "SELECT s.k FROM stg.t AS s WHERE s.k = 1 OR NOT EXISTS (SELECT 1 FROM etl.load_log AS l "
    "WHERE l.run_id = s._run_id)",
    # an aggregate makes the subquery one row (NOT EXISTS is never true), a comma join would bind
    # an appended JOIN to its last table, a table function may read the outer row
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT COUNT(*) FROM etl.load_log AS l WHERE l.run_id = s._run_id)",
    "SELECT s.k FROM stg.t AS s, stg.t AS u WHERE u.k = s.k AND NOT EXISTS (SELECT 1 FROM etl.load_log AS l "
    "WHERE l.run_id = s._run_id)",
    "SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT 1 FROM GENERATE_SERIES(1, s.k) AS l(value) "
    "WHERE l.value = s.k)",
])
def test_other_shapes_are_left_as_written(con: Any, monkeypatch: pytest.MonkeyPatch, tsql: str) -> None:
    rewritten = translate(tsql)
    assert "ANTI JOIN" not in rewritten
    assert rewritten == _as_written(monkeypatch, tsql)


def test_an_aggregate_subquery_keeps_no_row(con: Any) -> None:
    sql = translate("SELECT s.k FROM stg.t AS s WHERE NOT EXISTS (SELECT COUNT(*) FROM etl.load_log AS l "
                    "WHERE l.run_id = s._run_id)")
    assert con.execute(sql).fetchall() == []
