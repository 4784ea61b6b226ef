"""Compile a preparation into one SQL SELECT (a chain of CTEs), as a sqlglot tree.

The same tree is rendered (``preparation_render``) as T-SQL for Synapse serverless (CREATE
EXTERNAL TABLE AS SELECT, run by Data Factory) and as DuckDB SQL, so both execute the same logic.

Each declarative step becomes CTEs reading the previous one; what a step kind writes is its
``sql`` method (``lakewharf.model.steps``). Steps that reject rows (failed casts, missing values
marked ``reject``, outliers) compute a ``_reject_reason``; the main query keeps rows without one
and ``rejects`` yields, per rejecting step, a query for the rows it rejected, so rows read = rows
written + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import sqlglot
from sqlglot import exp

from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Column, Dataset
from lakewharf.model.lake import LOADED_AT
from lakewharf.model.steps import SQL_DIALECT
from lakewharf.model.steps.sqltree import Chain, StepSql, col, is_null, select, sql_type

__all__ = ["CompiledPreparation", "compile_preparation", "input_table", "sql_type"]

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
    chain.add(select([col(n) for n in [*cols, *([LOADED_AT] if has_loaded_at else [])]], input_table(catalog, ref)))
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
