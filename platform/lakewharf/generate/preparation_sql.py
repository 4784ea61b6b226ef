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
from typing import Any, ClassVar

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
    tsql = dialect == "tsql"
    hashes, ints = [], []
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and node.name.upper() == HASH_FUNCTION:
            hashes.append(node)
        elif tsql and isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT:
            ints.append(node)
    for call in hashes:
        call.replace(_salted_hash(dialect, call.expressions[0].sql(dialect)).copy())
    for node in ints:
        # sqlglot spells INT as INTEGER for T-SQL; Synapse documents INT, so write that.
        node.replace(exp.DataType(this=exp.DataType.Type.USERDEFINED, kind="INT"))
    if tsql and tree.find(exp.Unnest) is None:
        # T-SQL's generator looks for UNNEST(GENERATE_DATE_ARRAY(...)) below every SELECT (a walk of
        # the whole tree per CTE, a tenth of generate); with no UNNEST anywhere it has nothing to do.
        return _tsql_without_unnest()(pretty=pretty).generate(tree, copy=False)
    return tree.sql(dialect=dialect, pretty=pretty, copy=False)


@cache
def _tsql_without_unnest() -> Any:
    """sqlglot's T-SQL generator without the SELECT rewrite of UNNEST(GENERATE_DATE_ARRAY(...)),
    for trees without an UNNEST; the other SELECT rewrites are kept, in their order
    (tests/generate/test_preparation_sql.py checks the list against sqlglot's)."""
    from sqlglot import transforms
    from sqlglot.dialects.tsql import TSQL

    dialect = TSQL()

    class Generator(TSQL.Generator):  # type: ignore[misc,name-defined]
        TRANSFORMS: ClassVar[dict[Any, Any]] = {**TSQL.Generator.TRANSFORMS, exp.Select: transforms.preprocess(
            [getattr(transforms, name) for name in SELECT_REWRITES])}

    return partial(Generator, dialect=dialect)


# T-SQL's SELECT rewrites in sqlglot, but the one for UNNEST (see _tsql_without_unnest).
SELECT_REWRITES = ("eliminate_distinct_on", "eliminate_semi_and_anti_joins", "eliminate_qualify")


def render_all(compiled: CompiledPreparation, dialect: str) -> tuple[str, list[tuple[str, str]]]:
    """The SQL of the preparation and of each of its rejects (label, SQL), for ``dialect``.

    Consumes ``compiled``: the final query, rendered last, is rendered in place. Its tree is the one
    whose nodes the CTEs' parents point to (``_final`` adds the chain's CTEs last)."""
    rejects = [(label, render(query, dialect)) for label, query in compiled.rejects]
    return render(compiled.select, dialect, in_place=True), rejects


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
