"""Preparation trees rendered as text: the spelled placeholders, and sqlglot's own text wherever
``preparation_render`` skips work of sqlglot's generator."""

from __future__ import annotations

import pytest

from lakewharf.generate.preparation_render import render


def test_a_missing_value_hashes_to_missing_not_to_the_salt() -> None:
    # CONCAT reads NULL as '': without care every NULL e-mail would share one pseudonym.
    import duckdb
    import sqlglot

    from lakewharf.model.steps.sqltree import HASH_FUNCTION

    query = sqlglot.parse_one(f"SELECT {HASH_FUNCTION}(email) AS h FROM t", read="duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a@example.com'), (NULL)) v(email)")
    con.execute("SET VARIABLE salt = 'pepper'")
    sql = render(query, "duckdb").replace("$salt", "getvariable('salt')")
    assert con.execute(sql + " ORDER BY h NULLS LAST").fetchall() == [
        (con.execute("SELECT SHA256('peppera@example.com')").fetchone()[0],), (None,)]
    assert "CASE WHEN email IS NULL THEN NULL" in " ".join(render(query, "tsql").split())


def test_the_tsql_shortcut_keeps_every_select_rewrite_but_the_unnest_one() -> None:
    """``render`` skips sqlglot's UNNEST(GENERATE_DATE_ARRAY) rewrite for trees without UNNEST; the
    other T-SQL SELECT rewrites must be sqlglot's own, in its order (this fails on an upgrade that
    changes them)."""
    from sqlglot import exp
    from sqlglot.dialects.tsql import TSQL

    from lakewharf.generate import preparation_render

    handler = TSQL.Generator.TRANSFORMS[exp.Select]
    steps = dict(zip(handler.__code__.co_freevars, (c.cell_contents for c in handler.__closure__ or ()),
                     strict=True))["transforms"]
    names = [step.__name__ for step in steps]
    assert names == [*preparation_render.SELECT_REWRITES, "unnest_generate_date_array_using_recursive_cte"]


def test_the_tsql_cte_shortcut_stands_for_sqlglots_output_naming() -> None:
    """``render`` names a CTE body's plain output columns itself (``preparation_render._tsql_cte``)
    instead of sqlglot's T-SQL CTE rewrite, which must be that one alone (this fails on an upgrade
    that changes it; the texts below compare the two)."""
    from sqlglot import exp
    from sqlglot.dialects.tsql import TSQL

    handler = TSQL.Generator.TRANSFORMS[exp.CTE]
    steps = dict(zip(handler.__code__.co_freevars, (c.cell_contents for c in handler.__closure__ or ()),
                     strict=True))["transforms"]
    assert [step.__name__ for step in steps] == ["qualify_derived_table_outputs"]


@pytest.mark.parametrize("sql", [
    "SELECT a, b FROM t WHERE a IN (SELECT a FROM u) QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) = 1",
    "WITH s AS (SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b) SELECT * FROM s WHERE b > 1",
    "SELECT d FROM UNNEST(GENERATE_DATE_ARRAY(DATE '2024-01-01', DATE '2024-01-31', INTERVAL 1 DAY)) AS g(d)",
    # CTE bodies, named without sqlglot's scope where they hold only aliases, stars and columns
    'WITH s0 AS (SELECT a, "B", t.c, "Mixed Case", x AS y FROM t), s1 AS (SELECT *, a + 1 AS z FROM s0) '
    "SELECT a, z FROM s1",
    "WITH s0 AS (SELECT t.* FROM t), s1 AS (SELECT s0.*, b FROM s0) SELECT * FROM s1",
    # and sqlglot's own handler for the others
    "WITH s0 AS (SELECT a + 1, (b), (SELECT MAX(c) FROM u) FROM t) SELECT * FROM s0",
    "WITH s0 AS (SELECT a FROM t UNION ALL SELECT b FROM u) SELECT * FROM s0",
    "WITH s0(x, y) AS (SELECT a, b FROM t) SELECT x FROM s0",
    # operands T-SQL needs as predicates (sqlglot's ENSURE_BOOLS, applied by _spell_placeholders)
    "SELECT a FROM t WHERE b AND NOT c OR 1",
    "SELECT CASE WHEN b THEN 1 WHEN CAST(c AS INT) THEN 2 WHEN d > 0 THEN 3 END AS x FROM t",
    "SELECT CASE b WHEN 1 THEN 'one' END AS x FROM t",
    "SELECT a, COUNT(*) AS n FROM t GROUP BY a HAVING COUNT(*) AND a",
    "SELECT a FROM t WHERE CAST(b AS DECIMAL(10, 2)) OR CAST(c AS VARCHAR) = 'x' OR EXISTS (SELECT 1 FROM u)",
    "WITH s0 AS (SELECT * FROM t WHERE flag) SELECT * FROM s0 WHERE (x) AND y IS NULL",
    "SELECT a FROM t WHERE NOT (b OR c) AND a IN (SELECT a FROM u WHERE v)",
    # bare columns named by their rendered text: quoted, reserved, commented, qualified
    'WITH s0 AS (SELECT "order", "select", a /* kept */, "Two Words", t.b, "1st" FROM t) SELECT * FROM s0',
    # bodies a T-SQL SELECT rewrite changes keep their alias nodes
    "WITH s0 AS (SELECT a, b FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) = 1) SELECT * FROM s0",
    "WITH s0 AS (SELECT a, b FROM t SEMI JOIN u ON t.a = u.a) SELECT * FROM s0",
    "WITH s0 AS (SELECT a, b FROM t ORDER BY a LIMIT 5) SELECT * FROM s0",
    "WITH s0 AS (SELECT a, b FROM t GROUP BY a, b HAVING COUNT(*) > 1) SELECT * FROM s0",
    "WITH s0 AS (SELECT d, n FROM UNNEST(GENERATE_DATE_ARRAY(DATE '2024-01-01', DATE '2024-01-03', "
    "INTERVAL 1 DAY)) AS g(d) CROSS JOIN t) SELECT * FROM s0",
    # a WITH below the top, which sqlglot's preprocessing moves up (_generate keeps it then)
    "SELECT * FROM (WITH q AS (SELECT a FROM t) SELECT a FROM q) AS z",
    "WITH s0 AS (WITH q AS (SELECT a FROM t) SELECT a FROM q) SELECT * FROM s0",
])
def test_tsql_render_is_sqlglots_own_text(sql: str) -> None:
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    # but INT, which sqlglot spells INTEGER (a number as a predicate still gets its <> 0)
    assert render(tree, "tsql") == tree.sql(dialect="tsql", pretty=True).replace(" AS INTEGER)", " AS INT)")


def test_tsql_render_warns_as_sqlglot_does(caplog: pytest.LogCaptureFixture) -> None:
    """``_generate`` skips sqlglot's preprocessing, not its handling of what T-SQL cannot say."""
    import sqlglot

    tree = sqlglot.parse_one("SELECT STRING_AGG(DISTINCT a, ',') AS s FROM t", read="duckdb")
    with caplog.at_level("WARNING", logger="sqlglot"):
        expected = tree.sql(dialect="tsql", pretty=True)
        ours = render(tree, "tsql")
    assert ours == expected
    assert [r.getMessage() for r in caplog.records] == ["T-SQL STRING_AGG doesn't support DISTINCT."] * 2


def test_render_all_walks_a_shared_cte_body_once_and_renders_every_query() -> None:
    """The reject queries share CTE bodies with the final one: each body is spelled once, and
    every query's text is what rendering a copy of it alone gives."""
    from sqlglot import exp

    from lakewharf.generate.preparation_render import render_all
    from lakewharf.generate.preparation_sql import CompiledPreparation
    from lakewharf.model.steps.sqltree import HASH_FUNCTION, Chain, col, is_null, select

    def compiled() -> CompiledPreparation:
        chain = Chain()
        chain.add(select([col("a"), exp.alias_(exp.Anonymous(this=HASH_FUNCTION, expressions=[col("b")]), "b")], "t"))
        chain.rejecting("0_cast", ["a", "b"], [(is_null(col("a")), "a is NULL")])
        final = chain.with_ctes(select([exp.alias_(exp.Cast(this=col("a"), to=exp.DataType.build("INT")), "a")],
                                       chain.last, exp.column("b")))
        return CompiledPreparation("d", final, tuple(chain.rejects), True)

    alone = compiled()
    expected = (render(alone.select, "tsql"), [(label, render(q, "tsql")) for label, q in alone.rejects])
    assert render_all(compiled(), "tsql") == expected
    assert "HASHBYTES" in expected[0] and "HASHBYTES" in expected[1][0][1] and "CAST(a AS INT)" in expected[0]
    assert "WHERE\n  b <> 0" in expected[0]


@pytest.mark.parametrize("dialect", ["tsql", "duckdb"])
def test_the_spelled_hash_is_a_fresh_copy_of_the_parsed_one(dialect: str) -> None:
    """``_spell_placeholders`` copies the parsed hash with ``sqltree.rebuilt``, not a deepcopy."""
    from lakewharf.generate.preparation_render import _salted_hash
    from lakewharf.model.steps.sqltree import rebuilt

    parsed = _salted_hash(dialect, "[e-mail]" if dialect == "tsql" else '"e-mail"')
    built, copied = rebuilt(parsed), parsed.copy()
    assert built == copied and built is not parsed
    assert all(built.sql(d) == copied.sql(d) for d in ("tsql", "duckdb"))
    assert all(child.parent is node for node in built.walk() for child in node.iter_expressions())
    assert not any(n.comments for n in parsed.walk())  # what rebuilt leaves behind besides positions


def test_a_bare_alias_is_spelled_per_mode_whatever_was_rendered_before() -> None:
    """A quoted line break is spelled differently pretty and not: the texts kept for bare aliases
    are per mode (a review found the one rendered first used for both)."""
    import sqlglot

    sql = "WITH s AS (SELECT [a\nb] FROM t) SELECT * FROM s"
    for first, second in ((False, True), (True, False)):
        render(sqlglot.parse_one(sql.replace("t)", f"t{first})"), read="tsql"), "tsql", pretty=first)
        tree = sqlglot.parse_one(sql, read="tsql")
        assert render(tree, "tsql", pretty=second) == tree.sql(dialect="tsql", pretty=second)


def test_a_comment_in_the_hash_argument_stays() -> None:
    import sqlglot

    tree = sqlglot.parse_one("SELECT LAKEWHARF_SALTED_SHA256(email /* pii */) AS h FROM t", read="tsql")
    assert render(tree, "tsql").count("/* pii */") == 2 and render(tree, "duckdb").count("/* pii */") == 2


def test_a_with_below_a_shared_cte_body_is_defined_in_every_query() -> None:
    """sqlglot moves a nested WITH to the top of the query it renders: the reject query and the
    final one share the body holding it, so each is rendered from its own copy."""
    import sqlglot

    from lakewharf.generate.preparation_render import render_all
    from lakewharf.generate.preparation_sql import CompiledPreparation
    from lakewharf.model.steps.sqltree import Chain, col, is_null, select

    def compiled() -> CompiledPreparation:
        chain = Chain()
        chain.add(sqlglot.parse_one("SELECT a, (WITH q AS (SELECT 1 AS x) SELECT MAX(x) FROM q) AS b FROM t",
                                    read="tsql"))
        chain.rejecting("0_check", ["a", "b"], [(is_null(col("a")), "a is NULL")])
        return CompiledPreparation("d", chain.with_ctes(select([col("a")], chain.last)), tuple(chain.rejects), False)

    alone = compiled()
    expected = (render(alone.select, "tsql"), [(label, render(q, "tsql")) for label, q in alone.rejects])
    assert render_all(compiled(), "tsql") == expected
    assert all("q AS (" in text for text in (expected[0], expected[1][0][1]))
