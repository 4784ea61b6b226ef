"""Compile a preparation into one SQL SELECT (a chain of CTEs), as a sqlglot tree.

The same tree is rendered as T-SQL for Synapse serverless (CREATE EXTERNAL TABLE AS SELECT, run
by Data Factory) and as DuckDB SQL by the local runner, so both execute the same logic.

Each declarative step becomes CTEs reading the previous one; what a step kind writes is its
``sql`` method (``lakewharf.model.steps``). Steps that reject rows (failed casts, missing values
marked ``reject``, outliers) compute a ``_reject_reason``; the main query keeps rows without one
and ``rejects`` yields, per rejecting step, a query for the rows it rejected, so rows read = rows
written + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import sqlglot
from sqlglot import exp

from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Column, Dataset
from lakewharf.model.lake import LOADED_AT
from lakewharf.model.naming import SALT_PARAMETER
from lakewharf.model.steps import SQL_DIALECT
from lakewharf.model.steps.sqltree import HASH_FUNCTION, Chain, StepSql, col, is_null, select, sql_type

__all__ = ["CompiledPreparation", "compile_preparation", "input_table", "render", "render_all", "sql_type"]

CONTRACT = "contract"  # the label of the rejects of a source entity's column contract


@dataclass(frozen=True)
class CompiledPreparation:
    dataset: str
    select: exp.Query
    rejects: tuple[tuple[str, exp.Query], ...]  # (step label, query of the rows it rejected)
    uses_salt: bool


def input_table(catalog: Catalog, ref: str) -> exp.Table:
    """The serverless external table a preparation reads an input from."""
    if "." in ref:
        source, _, entity = ref.partition(".")
        zone = catalog.sources[source].landing_zone
        return exp.to_table(naming.serverless_table_name(zone, naming.landing_table_name(source, entity)))
    return exp.to_table(naming.serverless_table_name(catalog.datasets[ref].zone, ref))


def _final(chain: Chain, columns: tuple[Column, ...]) -> exp.Select:
    cast = [exp.alias_(exp.Cast(this=col(c.name), to=sql_type(c.type)), c.name, copy=False) for c in columns]
    return chain.with_ctes(select(cast, chain.last))


def compile_preparation(catalog: Catalog, dataset: Dataset) -> CompiledPreparation:
    chain = Chain()
    if dataset.sql is not None:
        tree = sqlglot.parse_one(dataset.sql, read=SQL_DIALECT)
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if table.name in dataset.inputs and table.name not in ctes:
                real = input_table(catalog, table.name)
                table.set("db", real.args.get("db"))
                table.set("this", real.this)
                if not table.alias:
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name.split(".")[-1])))
        for cte in list(tree.args.get("with_").expressions if tree.args.get("with_") else []):
            chain.ctes.append((cte.alias_or_name, cte.this))
        tree.set("with_", None)
        chain.add(tree)
        return CompiledPreparation(dataset.name, _final(chain, dataset.columns), (), False)
    ref = dataset.inputs[0]
    has_loaded_at = "." in ref
    columns = catalog.columns_of(ref) or ()
    cols = {c.name: c for c in columns}
    chain.add(exp.select(*(col(n) for n in [*cols, *([LOADED_AT] if has_loaded_at else [])]))
              .from_(input_table(catalog, ref)))
    if has_loaded_at:  # a landed source entity: its contract's NULLs are rejected first
        _contract(chain, columns)
    table_of = partial(input_table, catalog)
    for i, step in enumerate(dataset.steps):
        after = step.columns(cols, catalog.columns_of)
        step.sql(chain, StepSql(cols, after, has_loaded_at, f"{i}_{step.op}", table_of))
        has_loaded_at = has_loaded_at and step.keeps_loaded_at
        cols = after
    return CompiledPreparation(dataset.name, _final(chain, dataset.columns), tuple(chain.rejects), chain.uses_salt)


def _contract(chain: Chain, columns: tuple[Column, ...] | list[Column]) -> None:
    """Reject rows whose non-nullable or key columns are NULL, before any step reads them.

    The Copy lands such rows as Azure's does (Parquet has no NOT NULL), so the first preparation
    is where they stop, with a reason, the same SQL on Synapse serverless and locally; past it
    they would fail the warehouse load of the whole table, or merge under a NULL key."""
    required = [c.name for c in columns if not c.nullable or c.primary_key]
    if required:
        chain.rejecting(CONTRACT, [*(c.name for c in columns), LOADED_AT],
                        [(is_null(col(n)), f"contract:{n} is NULL") for n in required])


def render(query: exp.Expression, dialect: str, *, pretty: bool = True, in_place: bool = False) -> str:
    """SQL text for ``dialect`` ("tsql" or "duckdb"), with the salted hash spelled per engine.

    Both hash the UTF-8 bytes of salt + value, so Azure and local runs give the same pseudonyms
    (a UTF-8 collation makes Synapse's VARCHAR hold UTF-8: https://learn.microsoft.com/sql/relational-databases/collations/collation-and-unicode-support#utf8).

    The query is copied first (the generator changes the tree it renders, and the queries of one
    preparation share their CTEs); ``in_place`` skips that copy for a query rendered once and
    never again, after every query sharing its CTEs (``render_all``).
    """
    tree = query if in_place else query.copy()
    unnest = _spell_placeholders(tree, dialect)
    return _generator(dialect, unnest=unnest, pretty=pretty).generate(tree, copy=False)


def _spell_placeholders(tree: exp.Expression, dialect: str) -> bool:
    """The salted hash per engine, and T-SQL's INT and boolean operands; a second pass over the
    same nodes finds nothing. Returns whether the tree holds an UNNEST (see ``_generator``).

    For T-SQL this is also sqlglot's ENSURE_BOOLS preprocessing (a number or an untyped column
    where T-SQL needs a predicate becomes ``<> 0``), which ``_generator`` turns off: sqlglot walks
    the whole tree calling a Python function on every node, a fifth of the preparations' time;
    here it is applied to the nodes that can hold such an operand, found in the same walk."""
    tsql = dialect == "tsql"
    hashes, ints, unnest = [], [], False
    for node in tree.find_all(*(_TSQL_NODES if tsql else (exp.Anonymous, exp.Unnest))):
        if isinstance(node, exp.Unnest):
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
        spelled = _salted_hash(dialect, call.expressions[0].sql(dialect)).copy()
        call.replace(spelled)
        if tsql:
            for node in spelled.find_all(*_BOOL_CONTEXTS):
                _ensure_bools(node)
    for node in ints:
        # sqlglot spells INT as INTEGER for T-SQL; Synapse documents INT, so write that.
        node.replace(exp.DataType(this=exp.DataType.Type.USERDEFINED, kind="INT"))
    return unnest  # a spelled hash holds none


# Where sqlglot's ENSURE_BOOLS looks (optimizer.canonicalize.ensure_bools): the operands of AND/OR,
# NOT, a CASE's WHEN (If), WHERE and HAVING.
_BOOL_CONTEXTS: tuple[type[exp.Expression], ...] = (exp.Connector, exp.Not, exp.If, exp.Where, exp.Having)
_TSQL_NODES = (exp.Anonymous, exp.DataType, exp.Unnest, *_BOOL_CONTEXTS)


def _ensure_bools(node: exp.Expression) -> None:
    from sqlglot.optimizer.canonicalize import ensure_bools

    ensure_bools(node, _bool_operand)


def _bool_operand(node: exp.Expression) -> None:
    """sqlglot's rewrite of one operand (``transforms.ensure_bools``; tests/generate/
    test_preparation_sql.py compares the texts with sqlglot's own, operand kind by kind)."""
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
    unnest = [_spell_placeholders(query, dialect) for query in queries]
    generator = _generator(dialect, unnest=any(unnest), pretty=True, shared_ctes={})
    texts = [generator.generate(query, copy=False) for query in queries]
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
        handlers[exp.CTE] = _tsql_cte(generator._dispatch[exp.CTE])
    if shared_ctes is not None:
        handlers[exp.CTE] = _sharing(handlers.get(exp.CTE, generator._dispatch[exp.CTE]), shared_ctes)
    if handlers:
        # sqlglot's table is shared by every generator of the dialect: this instance gets its own.
        generator._dispatch = {**generator._dispatch, **handlers}
    return generator


@cache
def _tsql_select_without_unnest() -> Any:
    """sqlglot's T-SQL SELECT handler with its rewrites but the UNNEST one, in their order
    (tests/generate/test_preparation_sql.py checks the list against sqlglot's)."""
    from sqlglot import transforms

    return transforms.preprocess([getattr(transforms, name) for name in SELECT_REWRITES])


# T-SQL's SELECT rewrites in sqlglot, but the one for UNNEST (see _tsql_select_without_unnest).
SELECT_REWRITES = ("eliminate_distinct_on", "eliminate_semi_and_anti_joins", "eliminate_qualify")


def _tsql_cte(render_cte: Any) -> Any:
    """sqlglot's T-SQL CTE handler, which first names every unnamed output column of the body
    (``qualify_derived_table_outputs``: a scope built over the whole body to find them, a quarter
    of the preparations' time). For a SELECT body whose outputs are aliases, stars and plain
    columns, as the steps build them, the columns get the same names here without the scope: each
    its own, quoted as the column is (what that transform does to them); any other body takes
    sqlglot's handler. tests/generate/test_preparation_sql.py compares the two."""

    def cte(self: Any, expression: exp.CTE) -> str:
        alias, body = expression.args.get("alias"), expression.this
        if not (isinstance(body, exp.Select) and isinstance(alias, exp.TableAlias) and not alias.columns):
            return str(render_cte(self, expression))
        outputs = body.selects
        if not all(isinstance(c, exp.Alias) or c.is_star or _plain_column(c) for c in outputs):
            return str(render_cte(self, expression))
        if any(_plain_column(c) for c in outputs):
            body.set("expressions", [_named(c) if _plain_column(c) else c for c in outputs])
        return str(self.cte_sql(expression))

    return cte


def _plain_column(node: exp.Expression) -> bool:
    return type(node) is exp.Column and isinstance(node.this, exp.Identifier)


def _named(column: exp.Column) -> exp.Alias:
    # the node exp.alias_ makes, its identifier quoted as the column's (62,000 calls at 1,000 tables)
    return exp.Alias(this=column, alias=exp.Identifier(this=column.output_name, quoted=column.this.quoted))


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
