"""Render a compiled preparation's trees as SQL text: T-SQL for Synapse serverless, DuckDB SQL for
the local runner, with sqlglot's generators.

What is spelled per engine is spelled here: the salted hash placeholder the ``mask`` step leaves,
T-SQL's INT and its predicates (sqlglot's ENSURE_BOOLS). The rest is sqlglot's text; where its
generator does work whose answer is known for these trees (walks looking for what is not there,
scopes naming what is already named), that work is skipped, and tests/generate/
test_preparation_render.py compares the text with sqlglot's own.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from lakewharf.generate.preparation_sql import CompiledPreparation
from lakewharf.model.naming import SALT_PARAMETER
from lakewharf.model.steps.sqltree import HASH_FUNCTION, rebuilt

__all__ = ["render", "render_all"]


def render(query: exp.Expression, dialect: str, *, pretty: bool = True) -> str:
    """SQL text for ``dialect`` ("tsql" or "duckdb"), with the salted hash spelled per engine.

    Both hash the UTF-8 bytes of salt + value, so Azure and local runs give the same pseudonyms
    (a UTF-8 collation makes Synapse's VARCHAR hold UTF-8: https://learn.microsoft.com/sql/relational-databases/collations/collation-and-unicode-support#utf8).

    The query is copied first: the generator changes the tree it renders, and the queries of one
    preparation share their CTEs (``render_all`` renders them all, consuming them).
    """
    tree = query.copy()
    unnest, nested_ctes = _spell_placeholders(tree, dialect)
    return _generate(_generator(dialect, unnest=unnest, pretty=pretty), tree, nested_ctes=nested_ctes)


def _spell_placeholders(tree: exp.Expression, dialect: str, walked: set[int] | None = None) -> tuple[bool, bool]:
    """The salted hash per engine, and T-SQL's INT and boolean operands; a second pass over the
    same nodes finds nothing. Returns whether the tree holds an UNNEST (see ``_generator``) and
    a WITH below its top (see ``_generate``): this one walk answers both.

    For T-SQL this is also sqlglot's ENSURE_BOOLS preprocessing (a number or an untyped column
    where T-SQL needs a predicate becomes ``<> 0``), which ``_generator`` turns off: sqlglot walks
    the whole tree calling a Python function on every node, a fifth of the preparations' time;
    here it is applied to the nodes that can hold such an operand, found in the same walk.

    ``walked`` holds the CTE bodies already walked for queries sharing them (``render_all``)."""
    tsql = dialect == "tsql"
    hashes, ints, unnest, nested_ctes = [], [], False, False
    for part in _parts(tree, walked):
        for node in part.find_all(*(_TSQL_NODES if tsql else _DUCKDB_NODES)):
            if isinstance(node, exp.With):
                nested_ctes = nested_ctes or node.parent is not tree
            elif isinstance(node, exp.Unnest):
                unnest = True
            elif isinstance(node, exp.Anonymous):
                if node.name.upper() == HASH_FUNCTION:
                    hashes.append(node)
            elif isinstance(node, exp.DataType):
                if node.this == exp.DataType.Type.INT:
                    ints.append(node)
            else:
                _ensure_bools(node)
    for call in hashes:
        spelled = rebuilt(_salted_hash(dialect, call.expressions[0].sql(dialect)))
        call.replace(spelled)
        if tsql:
            for node in spelled.find_all(*_BOOL_CONTEXTS):
                _ensure_bools(node)
    for node in ints:
        # sqlglot spells INT as INTEGER for T-SQL; Synapse documents INT, so write that.
        node.replace(exp.DataType(this=exp.DataType.Type.USERDEFINED, kind="INT"))
    return unnest, nested_ctes  # a spelled hash holds neither


def _parts(tree: exp.Expression, walked: set[int] | None) -> list[exp.Expression]:
    """What to walk of ``tree``: all of it, or with ``walked``, its CTEs whose bodies are not in
    it yet and the rest of the query (the queries of one preparation share their CTE bodies)."""
    with_ = tree.args.get("with_")
    if walked is None or not isinstance(with_, exp.With):
        return [tree]
    parts: list[exp.Expression] = []
    for cte in with_.expressions:
        if id(cte.this) not in walked:
            walked.add(id(cte.this))
            parts.append(cte)
    for key, value in tree.args.items():
        if key != "with_":
            parts += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, exp.Expression)]
    return parts


def _generate(generator: Any, tree: exp.Expression, *, nested_ctes: bool) -> str:
    """``generator.generate(tree, copy=False)``. For a tree without a WITH below its top, its
    preprocessing is skipped: its one step left on (ENSURE_BOOLS is off, see ``_generator``) moves
    such WITHs to the top, and looking for them walks the whole tree (a seventh of rendering, at
    1,000 tables); the rest is sqlglot's ``Generator.generate`` (tests/generate/
    test_preparation_render.py compares the two)."""
    if nested_ctes:
        return str(generator.generate(tree, copy=False))
    from sqlglot.errors import ErrorLevel, UnsupportedError, concat_messages

    generator.unsupported_messages = []
    text = str(generator.sql(tree)).strip()
    if generator.pretty:
        text = text.replace(generator.SENTINEL_LINE_BREAK, "\n")
    messages = generator.unsupported_messages
    if generator.unsupported_level == ErrorLevel.WARN:
        for message in messages:
            logging.getLogger("sqlglot").warning(message)
    elif generator.unsupported_level == ErrorLevel.RAISE and messages:
        raise UnsupportedError(concat_messages(messages, generator.max_unsupported))
    return text


# Where sqlglot's ENSURE_BOOLS looks (optimizer.canonicalize.ensure_bools): the operands of AND/OR,
# NOT, a CASE's WHEN (If), WHERE and HAVING.
_BOOL_CONTEXTS: tuple[type[exp.Expression], ...] = (exp.Connector, exp.Not, exp.If, exp.Where, exp.Having)
_TSQL_NODES = (exp.Anonymous, exp.DataType, exp.Unnest, exp.With, *_BOOL_CONTEXTS)
_DUCKDB_NODES = (exp.Anonymous, exp.Unnest, exp.With)


def _ensure_bools(node: exp.Expression) -> None:
    from sqlglot.optimizer.canonicalize import ensure_bools

    ensure_bools(node, _bool_operand)


def _bool_operand(node: exp.Expression) -> None:
    """sqlglot's rewrite of one operand (``transforms.ensure_bools``; tests/generate/
    test_preparation_render.py compares the texts with sqlglot's own, operand kind by kind)."""
    if (node.is_number
            or (not isinstance(node, exp.SubqueryPredicate)
                and node.is_type(exp.DataType.Type.UNKNOWN, *exp.DataType.NUMERIC_TYPES))
            or (isinstance(node, exp.Column) and not node.type)):
        node.replace(node.neq(0))


def render_all(compiled: CompiledPreparation, dialect: str) -> tuple[str, list[tuple[str, str]]]:
    """The SQL of the preparation and of each of its rejects (label, SQL), for ``dialect``.

    Consumes ``compiled``: every query is rendered in place, by one generator. The reject queries
    share their CTE bodies with the final query (``Chain.with_ctes``), and the text of a top-level
    CTE depends on its body alone, so each body is rendered once, by the first query naming it,
    and its text reused by the others (rendering them again per reject query cost ~10 % of the
    preparations' time at 1,000 tables)."""
    queries = [*(query for _, query in compiled.rejects), compiled.select]
    walked: set[int] = set()
    found = [_spell_placeholders(query, dialect, walked) for query in queries]
    if any(n for _, n in found):  # a shared body is walked once, for the first query holding it
        # sqlglot moves a WITH below the top to the top of the query it renders, out of the bodies
        # the queries share: each query is rendered from its own copy (spelled already).
        texts = [render(query, dialect) for query in queries]
    else:
        generator = _generator(dialect, unnest=any(u for u, _ in found), pretty=True, shared_ctes={})
        texts = [_generate(generator, query, nested_ctes=False) for query in queries]
    return texts[-1], [(label, text) for (label, _), text in zip(compiled.rejects, texts[:-1], strict=True)]


def _generator(dialect: str, *, unnest: bool, pretty: bool, shared_ctes: dict[int, str] | None = None) -> Any:
    """A generator for trees that hold an UNNEST or not: sqlglot's for ``dialect``, with two of
    its handlers replaced.

    - For T-SQL trees without any UNNEST, SELECT gets sqlglot's T-SQL rewrites but its
      UNNEST(GENERATE_DATE_ARRAY(...)) one, which walks the whole subtree of every SELECT (the final
      query's holds every CTE) to find nothing: a tenth of generate's time.
    - With ``shared_ctes``, each CTE's text is kept per body object (``render_all``).

    Both replace entries of this instance's dispatch table, never subclass: sqlglot's compiled
    build (sqlglotc, pyproject.toml) refuses Python subclasses of its generators."""
    from sqlglot.dialects.dialect import Dialect

    generator = Dialect.get_or_raise(dialect).generator(pretty=pretty)
    generator.ENSURE_BOOLS = False  # applied by _spell_placeholders, which every rendered tree went through
    handlers: dict[type[exp.Expression], Any] = {}
    if dialect == "tsql" and not unnest:
        handlers[exp.Select] = _tsql_select_without_unnest()
    if dialect == "tsql":
        handlers[exp.CTE] = _tsql_cte(generator._dispatch[exp.CTE], bare_by_text=not unnest)
    if shared_ctes is not None:
        handlers[exp.CTE] = _sharing(handlers.get(exp.CTE, generator._dispatch[exp.CTE]), shared_ctes)
    if handlers:
        # sqlglot's table is shared by every generator of the dialect: this instance gets its own.
        generator._dispatch = {**generator._dispatch, **handlers}
    return generator


@cache
def _tsql_select_without_unnest() -> Any:
    """sqlglot's T-SQL SELECT handler with its rewrites but the UNNEST one, in their order
    (tests/generate/test_preparation_render.py checks the list against sqlglot's)."""
    from sqlglot import transforms

    return transforms.preprocess([getattr(transforms, name) for name in SELECT_REWRITES])


# T-SQL's SELECT rewrites in sqlglot, but the one for UNNEST (see _tsql_select_without_unnest).
SELECT_REWRITES = ("eliminate_distinct_on", "eliminate_semi_and_anti_joins", "eliminate_qualify")


def _tsql_cte(render_cte: Any, *, bare_by_text: bool) -> Any:
    """sqlglot's T-SQL CTE handler, which first names every unnamed output column of the body
    (``qualify_derived_table_outputs``: a scope built over the whole body to find them, a quarter
    of the preparations' time). For a SELECT body whose outputs are aliases, stars and plain
    columns, as the steps build them, the columns get the same names here without the scope: each
    its own, quoted as the column is (what that transform does to them); any other body takes
    sqlglot's handler. tests/generate/test_preparation_render.py compares the two. With
    ``bare_by_text`` (the tree holds no UNNEST to rewrite), a bare column of a body that no other
    SELECT rewrite changes is named by its text (``_named``)."""

    def cte(self: Any, expression: exp.CTE) -> str:
        alias, body = expression.args.get("alias"), expression.this
        if not (isinstance(body, exp.Select) and isinstance(alias, exp.TableAlias) and not alias.columns):
            return str(render_cte(self, expression))
        outputs = body.selects
        plain = [_plain_column(c) for c in outputs]
        if not all(p or isinstance(c, exp.Alias) or c.is_star for c, p in zip(outputs, plain, strict=True)):
            return str(render_cte(self, expression))
        if any(plain):
            # SELECT's rewrites read its outputs; a body they leave alone may name bare ones by text
            bare = bare_by_text and all(k in _UNREWRITTEN or not v for k, v in body.args.items())
            settings = (type(self), self.pretty, self.identify, self.normalize)
            texts = _BARE_NAMED.setdefault(settings, {}) if bare else None
            body.set("expressions", [_named(self, texts, c) if p else c for c, p in zip(outputs, plain, strict=True)])
        return str(self.cte_sql(expression))

    return cte


def _plain_column(node: exp.Expression) -> bool:
    return type(node) is exp.Column and isinstance(node.this, exp.Identifier)


# The clauses of a CTE body whose SELECT no T-SQL rewrite changes (DISTINCT ON, QUALIFY, SEMI and
# ANTI joins, UNNEST, LIMIT and FETCH are what they rewrite: SELECT_REWRITES, TSQLGenerator.select_sql).
_UNREWRITTEN = frozenset({"expressions", "from_", "where", "group", "having"})


def _named(generator: Any, texts: dict[tuple[str, bool], str] | None, column: exp.Column) -> exp.Expression:
    """The column named as itself: the node exp.alias_ makes, its identifier quoted as the column's.

    With ``texts`` (the aliases ``generator`` rendered so far), a bare column (its name alone: no
    table, no comments) becomes its text as the generator renders the alias, the same for every
    CTE naming it (62,000 at 1,000 tables, each four nodes to build and render)."""
    ident = column.this
    if texts is None or column.comments or ident.comments or len(ident.args) != 2 or (
            len(column.args) != 1 and any(v is not None for k, v in column.args.items() if k != "this")):
        return exp.Alias(this=column, alias=exp.Identifier(this=column.output_name, quoted=ident.quoted))
    key = (ident.this, ident.quoted)
    text = texts.get(key)
    if text is None:
        text = texts[key] = generator.sql(exp.Alias(this=column, alias=exp.Identifier(this=key[0], quoted=key[1])))
    return exp.Var(this=text)


# Per generator kind and settings (type, pretty: a quoted line break is spelled per mode; identify,
# normalize): the text of each bare alias.
_BARE_NAMED: dict[tuple[Any, ...], dict[tuple[str, bool], str]] = {}


def _sharing(render_cte: Any, texts: dict[int, str]) -> Any:
    """sqlglot's CTE handler, keeping each CTE's text per body object for the queries of one
    ``render_all`` (the bodies stay alive in their trees meanwhile, so their ids stay theirs)."""

    def cte(self: Any, expression: exp.CTE) -> str:
        text = texts.get(id(expression.this))
        if text is None:
            text = texts[id(expression.this)] = render_cte(self, expression)
        return text

    return cte


@cache
def _salted_hash(dialect: str, v: str) -> exp.Expression:
    """The salted hash of the value whose SQL is ``v``, parsed once per column spelling."""
    # A missing value stays missing: CONCAT reads NULL as '', so without the CASE every NULL
    # would hash to the salt's own hash and link unrelated people through the pseudonym.
    if dialect == "tsql":
        text = (f"CASE WHEN {v} IS NULL THEN NULL ELSE LOWER(CONVERT(VARCHAR(64), HASHBYTES('SHA2_256', "
                f"CAST(CONCAT(@{SALT_PARAMETER}, CAST({v} AS NVARCHAR(4000))) AS VARCHAR(8000)) "
                f"COLLATE Latin1_General_100_BIN2_UTF8), 2)) END")
        return sqlglot.parse_one(text, read="tsql")
    text = f"CASE WHEN {v} IS NULL THEN NULL ELSE SHA256(CONCAT(${SALT_PARAMETER}, CAST({v} AS VARCHAR))) END"
    return sqlglot.parse_one(text, read="duckdb")
