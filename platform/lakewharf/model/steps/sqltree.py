"""sqlglot building blocks the steps' ``sql`` methods share: the CTE chain and small node helpers.

Imported only when SQL is built (by ``sql`` methods and generate/), never at start-up: this is the
one module of model/ that imports sqlglot at module level (see the TID253 allowance in pyproject).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from lakewharf.model import type_map
from lakewharf.model.catalog import Column
from lakewharf.model.lake import LOADED_AT
from lakewharf.model.steps.base import SQL_DIALECT
from lakewharf.model.types import DataType

REASON = "_reject_reason"
HASH_FUNCTION = "LAKEWHARF_SALTED_SHA256"  # a placeholder call, spelled per engine by generate's render()


@dataclass(frozen=True)
class StepSql:
    """What a step's SQL depends on besides its own arguments."""

    before: Mapping[str, Column]  # input columns
    after: Mapping[str, Column]  # output columns (``Step.columns``)
    has_loaded_at: bool  # the rows still carry the landing load time (``LOADED_AT``)
    label: str  # names the step's rejects: "<index>_<op>"
    table_of: Callable[[str], exp.Table]  # the table a dataset or source entity is read from

    @property
    def names(self) -> list[str]:
        """The columns flowing in, load time included: what a row-preserving step passes on."""
        return list(self.before) + ([LOADED_AT] if self.has_loaded_at else [])


class Chain:
    """The CTE chain of one preparation, built step by step; each CTE reads the previous one."""

    def __init__(self) -> None:
        self.ctes: list[tuple[str, exp.Query]] = []
        self.rejects: list[tuple[str, exp.Query]] = []  # (step label, query of the rows it rejected)
        self.uses_salt = False

    @property
    def last(self) -> str:
        return self.ctes[-1][0]

    def add(self, query: exp.Query) -> str:
        name = f"s{len(self.ctes)}"
        self.ctes.append((name, query))
        return name

    def with_ctes(self, final: exp.Select) -> exp.Select:
        """``final`` with the chain so far as its CTEs. The CTE bodies are shared, not copied, by
        every query of the chain (rejects and final): ``render`` copies a query before changing it,
        and copying the growing query per CTE was quadratic (40 % of compile time at 1,000 tables)."""
        # The nodes sqlglot's ``with_`` builder makes, without its per-call parsing and copying.
        ctes = [exp.CTE(this=query, alias=exp.TableAlias(this=exp.to_identifier(name)), materialized=None,
                        scalar=None) for name, query in self.ctes]
        if ctes:
            final.set("with_", exp.With(expressions=ctes))
        return final

    def rejecting(self, label: str, names: list[str], reasons: list[tuple[exp.Expression, str]]) -> None:
        """Add a checked CTE with a reject reason, then a CTE keeping only the clean rows."""
        case = exp.Case()
        for condition, reason in reasons:
            case = case.when(condition, exp.Literal.string(reason), copy=False)  # each condition is its own
        checked = self.add(select([exp.Star(), exp.alias_(case, REASON, copy=False)], self.last))
        rejected = exp.Not(this=exp.Is(this=col(REASON), expression=exp.Null()))
        query = select([*(col(n) for n in names), col(REASON)], checked, rejected)
        self.rejects.append((label, self.with_ctes(query)))
        self.add(select([col(n) for n in names], checked, exp.Is(this=col(REASON), expression=exp.Null())))


def sql_type(t: DataType) -> exp.DataType:
    """The type a preparation casts to, as a sqlglot node (spelled by ``model.type_map``)."""
    return rebuilt(_parsed_type(type_map.portable_sql_type(t)))


def rebuilt(node: Any) -> Any:
    """A copy of a tree parsed from lakewharf's own text (a type, the salted hash), built from
    its nodes' arguments and comments: ``Expression.copy`` (a deepcopy) of each cast's type was a
    sixth of compiling a preparation. The SQL text of such nodes depends on nothing else (their
    source positions are left behind); tests/model and tests/generate compare the two."""
    args = {}
    for key, value in node.args.items():
        if isinstance(value, exp.Expression):
            value = rebuilt(value)
        elif isinstance(value, list):
            value = [rebuilt(v) if isinstance(v, exp.Expression) else v for v in value]
        args[key] = value
    copy = type(node)(**args)
    if node.comments:  # a comment in a hand-written argument of the hash placeholder
        copy.comments = list(node.comments)
    return copy


@cache
def _parsed_type(text: str) -> exp.DataType:
    # A catalog has a few dozen distinct types and thousands of casts: parse each spelling once.
    return exp.DataType.build(text)


def col(name: str, table: str | None = None) -> exp.Column:
    # The nodes sqlglot's parser makes for a column, built directly: exp.column also sets empty
    # db and catalog arguments, which every later walk of the tree steps over (90,000 columns at
    # 1,000 tables).
    if table is None:
        return exp.Column(this=exp.Identifier(this=name, quoted=False))
    return exp.Column(this=exp.Identifier(this=name, quoted=False), table=exp.Identifier(this=table, quoted=False))


def select(columns: list[exp.Expression], source: str | exp.Table, where: exp.Expression | None = None) -> exp.Select:
    """SELECT ``columns`` FROM ``source`` (a CTE's name, or a table) [WHERE ``where``]."""
    # Built from nodes, as sqlglot's builders build them: parsing the CTE name and copying the query
    # per clause cost more than the rest of a step's SQL, and the builders' own calls a fifth of it.
    table = source if isinstance(source, exp.Table) else exp.Table(this=exp.to_identifier(source))
    query = exp.Select(expressions=columns, from_=exp.From(this=table))
    if where is not None:
        query.set("where", exp.Where(this=where))
    return query


def parse(expr: str) -> exp.Expression:
    return sqlglot.parse_one(expr, read=SQL_DIALECT)


def literal(value: Any) -> exp.Expression:
    if isinstance(value, bool):  # T-SQL has no boolean literal: CAST(1 AS BIT) / CAST(1 AS BOOLEAN)
        return exp.Cast(this=exp.Literal.number(int(value)), to=exp.DataType.build("BOOLEAN"))
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def is_null(node: exp.Expression) -> exp.Is:
    return exp.Is(this=node, expression=exp.Null())


def not_null(node: exp.Expression) -> exp.Not:
    return exp.Not(this=is_null(node))
