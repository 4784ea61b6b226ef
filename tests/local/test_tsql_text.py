"""Batches and statements from sqlglot's T-SQL tokens: what is inside a string, a bracketed
identifier or a comment never splits."""

from __future__ import annotations

import pytest

from lakewharf.local.tsql_text import batches, split_statements, strip_comments, temp_names
from lakewharf.local.warehouse import WarehouseError


def test_go_lines_separate_batches() -> None:
    sql = "SELECT 1;\nGO\nSELECT 2;\n  go  \nSELECT 3;\nGO -- done\n\nGO\n"
    assert batches(sql) == ("SELECT 1;", "SELECT 2;", "SELECT 3;")


def test_go_with_a_count_repeats_the_batch() -> None:
    assert batches("INSERT INTO t VALUES (1);\nGO 3\nSELECT 1;") == ("INSERT INTO t VALUES (1);",) * 3 + ("SELECT 1;",)


@pytest.mark.parametrize("sql", [
    "SELECT 'a\nGO\nb' AS x;",  # a GO line inside a string
    "SELECT 1 AS [GO];",  # GO as a bracketed name
    "SELECT 1; GO",  # GO not alone on its line
    "/*\nGO\n*/ SELECT 1;",  # a GO line inside a block comment
    "SELECT 1 AS x -- GO\n;",
])
def test_go_that_is_not_a_go_line_does_not_split(sql: str) -> None:
    assert len(batches(sql)) == 1


def test_end_before_a_go_line_stays_a_word() -> None:
    """sqlglot's own tokenizer reads what follows END (after a ';') as one string up to the next
    ';', which would swallow the GO line; the lexical tokenizer does not."""
    sql = "IF 1 = 1\nBEGIN\n    SELECT 1;\nEND\nGO\nSELECT 2;"
    assert batches(sql) == ("IF 1 = 1\nBEGIN\n    SELECT 1;\nEND", "SELECT 2;")


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ';' AS a; SELECT N'it''s;' AS b;", ("SELECT ';' AS a", "SELECT N'it''s;' AS b")),
    ("SELECT 1 AS [a;b]; SELECT 2 AS \"c;d\";", ("SELECT 1 AS [a;b]", 'SELECT 2 AS "c;d"')),
    ("SELECT 1; -- c; d\nSELECT 2 /* e; */;", ("SELECT 1", "SELECT 2")),
    ("EXEC('SELECT 1; SELECT 2');", ("EXEC('SELECT 1; SELECT 2')",)),
    ("SELECT f(a; b) FROM t; SELECT 2", ("SELECT f(a; b) FROM t", "SELECT 2")),  # inside parentheses
    (";;SELECT 1;;", ("SELECT 1",)),
])
def test_statements_split_at_semicolon_tokens(sql: str, expected: tuple[str, ...]) -> None:
    assert split_statements(sql) == expected


def test_comments_are_blanked_keeping_offsets_and_line_breaks() -> None:
    sql = "SELECT 1 -- one\n/* two\nlines */ , 2;"
    stripped = strip_comments(sql)
    assert stripped.split() == ["SELECT", "1", ",", "2;"]
    assert stripped.count("\n") == sql.count("\n") and stripped.index(",") == sql.index(",")


def test_temp_tables_are_renamed_outside_strings_only() -> None:
    sql = "SELECT a FROM #src WHERE n = '#src' AND m = N'tempdb..#src'; DROP TABLE #src"
    assert temp_names(sql) == "SELECT a FROM tmp_src WHERE n = '#src' AND m = N'tempdb..#src'; DROP TABLE tmp_src"


def test_an_unterminated_string_is_a_clear_error() -> None:
    with pytest.raises(WarehouseError, match="cannot read the T-SQL locally"):
        batches("SELECT 'never closed;\nGO\n")
