"""Compile a preparation into one SQL SELECT (a chain of CTEs), as a sqlglot tree.

The same tree is rendered as T-SQL for Synapse serverless (CREATE EXTERNAL TABLE AS SELECT, run
by Data Factory) and as DuckDB SQL by the local runner, so both execute the same logic.

Each declarative step becomes one CTE reading the previous one. Steps that reject rows (failed
casts, missing values marked ``reject``, outliers) compute a ``_reject_reason``; the main query
keeps rows without one and ``rejects`` yields, per rejecting step, a query for the rows it
rejected, so rows read = rows written + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from lakewharf.catalog.preparations import SQL_DIALECT, apply_step
from lakewharf.model import naming, type_map
from lakewharf.model.catalog import Catalog, Column, Dataset, Step
from lakewharf.model.types import DataType

LOADED_AT = "_loaded_at"  # added to every landed row by the Copy activity (load time, UTC)
REASON = "_reject_reason"
SALT_PARAMETER = "salt"
_HASH_FUNCTION = "LAKEWHARF_SALTED_SHA256"  # rendered per dialect, see render()


@dataclass(frozen=True)
class CompiledPreparation:
    dataset: str
    select: exp.Query
    rejects: tuple[tuple[str, exp.Query], ...]  # (step label, query of the rows it rejected)
    uses_salt: bool


def sql_type(t: DataType) -> exp.DataType:
    """The type a preparation casts to, as a sqlglot node (spelled by ``model.type_map``)."""
    return exp.DataType.build(type_map.portable_sql_type(t))


def input_table(catalog: Catalog, ref: str) -> exp.Table:
    """The serverless external table a preparation reads an input from."""
    if "." in ref:
        source, _, entity = ref.partition(".")
        zone = catalog.sources[source].landing_zone
        return exp.to_table(naming.serverless_table_name(zone, naming.landing_table_name(source, entity)))
    return exp.to_table(naming.serverless_table_name(catalog.datasets[ref].zone, ref))


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=False)


def _select(columns: list[exp.Expression], source: str, where: exp.Expression | None = None) -> exp.Select:
    query = exp.select(*columns).from_(source)
    return query.where(where) if where is not None else query


def _parse(expr: str) -> exp.Expression:
    return sqlglot.parse_one(expr, read=SQL_DIALECT)


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, bool):  # T-SQL has no boolean literal: CAST(1 AS BIT) / CAST(1 AS BOOLEAN)
        return exp.Cast(this=exp.Literal.number(int(value)), to=exp.DataType.build("BOOLEAN"))
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


class _Chain:
    """Builds the CTE chain step by step."""

    def __init__(self) -> None:
        self.ctes: list[tuple[str, exp.Query]] = []
        self.rejects: list[tuple[str, exp.Query]] = []
        self.uses_salt = False

    @property
    def last(self) -> str:
        return self.ctes[-1][0]

    def add(self, query: exp.Query) -> str:
        name = f"s{len(self.ctes)}"
        self.ctes.append((name, query))
        return name

    def with_ctes(self, final: exp.Select) -> exp.Select:
        for name, query in self.ctes:
            final = final.with_(name, as_=query)
        return final

    def rejecting(self, label: str, names: list[str], reasons: list[tuple[exp.Expression, str]]) -> None:
        """Add a checked CTE with a reject reason, then a CTE keeping only the clean rows."""
        case = exp.Case()
        for condition, reason in reasons:
            case = case.when(condition, exp.Literal.string(reason))
        checked = self.add(_select([exp.Star(), exp.alias_(case, REASON)], self.last))
        rejected = exp.Not(this=exp.Is(this=_col(REASON), expression=exp.Null()))
        query = _select([*(_col(n) for n in names), _col(REASON)], checked, rejected)
        self.rejects.append((label, self.with_ctes(query)))
        self.add(_select([_col(n) for n in names], checked, exp.Is(this=_col(REASON), expression=exp.Null())))


def _outlier_bounds(col: str, rule: dict[str, Any]) -> tuple[exp.Expression | None, exp.Expression | None]:
    if "iqr" in rule:
        q1 = _parse(f"PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY {col}) OVER ()")
        q3 = _parse(f"PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY {col}) OVER ()")
        spread = exp.Mul(this=exp.Paren(this=exp.Sub(this=q3, expression=q1)), expression=_literal(rule["iqr"]))
        return exp.Sub(this=q1.copy(), expression=spread), exp.Add(this=q3.copy(), expression=spread.copy())
    if "zscore" in rule:
        mean, sd = _parse(f"AVG({col}) OVER ()"), _parse(f"STDDEV({col}) OVER ()")
        width = exp.Mul(this=sd, expression=_literal(rule["zscore"]))
        return exp.Sub(this=mean, expression=width), exp.Add(this=mean.copy(), expression=width.copy())
    low = _literal(rule["min"]) if "min" in rule else None
    high = _literal(rule["max"]) if "max" in rule else None
    return low, high


def _step(chain: _Chain, step: Step, before: dict[str, Column], after: dict[str, Column], catalog: Catalog,
          has_loaded_at: bool, index: int) -> None:
    op, args = step.op, step.args
    names = list(before) + ([LOADED_AT] if has_loaded_at else [])
    label = f"{index}_{op}"
    if op == "dedupe":
        order = [exp.Ordered(this=_col(args["latest_by"]), desc=True)] if "latest_by" in args else []
        if has_loaded_at:
            order.append(exp.Ordered(this=_col(LOADED_AT), desc=True))
        order = order or [exp.Ordered(this=_col(k)) for k in args["keys"]]
        rn = exp.Window(this=exp.RowNumber(), partition_by=[_col(k) for k in args["keys"]],
                        order=exp.Order(expressions=order))
        ranked = chain.add(_select([*(_col(n) for n in names), exp.alias_(rn, "_rn")], chain.last))
        chain.add(_select([_col(n) for n in names], ranked, exp.EQ(this=_col("_rn"), expression=_literal(1))))
    elif op == "cast":
        def failed_cast(c: str) -> exp.Expression:
            converted = exp.TryCast(this=_col(c), to=sql_type(after[c].type))
            return exp.and_(exp.Not(this=exp.Is(this=_col(c), expression=exp.Null())),
                            exp.Is(this=converted, expression=exp.Null()))

        reasons = [(failed_cast(c), f"cast:{c}") for c in args]
        chain.rejecting(label, names, reasons)
        chain.add(_select([exp.alias_(exp.TryCast(this=_col(n), to=sql_type(after[n].type)), n) if n in args
                           else _col(n) for n in names], chain.last))
    elif op == "missing":
        rejected = [(exp.Is(this=_col(c), expression=exp.Null()), f"missing:{c}") for c, r in args.items()
                    if r == "reject"]
        if rejected:
            chain.rejecting(label, names, rejected)
        dropped = [exp.Not(this=exp.Is(this=_col(c), expression=exp.Null()))
                   for c, r in args.items() if r == "drop_row"]
        filled = [exp.alias_(exp.Coalesce(this=_col(n), expressions=[_literal(args[n]["fill"])]), n)
                  if isinstance(args.get(n), dict) else _col(n) for n in names]
        chain.add(_select(filled, chain.last, exp.and_(*dropped) if dropped else None))
    elif op == "outliers":
        bounded = {c: _outlier_bounds(c, r) for c, r in args.items()}
        with_bounds = []
        for c, (low, high) in bounded.items():
            with_bounds += [exp.alias_(b, f"_{c}_{side}")
                            for b, side in ((low, "low"), (high, "high")) if b is not None]
        chain.add(_select([*(_col(n) for n in names), *with_bounds], chain.last))
        reasons, clipped = [], {}
        for c, (low, high) in bounded.items():
            checks = [exp.LT(this=_col(c), expression=_col(f"_{c}_low"))] if low is not None else []
            checks += [exp.GT(this=_col(c), expression=_col(f"_{c}_high"))] if high is not None else []
            if args[c].get("action", "reject") == "reject":
                reasons.append((exp.or_(*checks), f"outlier:{c}"))
            else:
                case = exp.Case()
                if low is not None:
                    case = case.when(checks[0], _col(f"_{c}_low"))
                if high is not None:
                    case = case.when(checks[-1], _col(f"_{c}_high"))
                clipped[c] = case.else_(_col(c))
        if clipped:
            bound_names = [f"_{c}_{s}" for c in bounded for s in ("low", "high") if f"_{c}_{s}" in
                           {e.alias for e in with_bounds}]
            chain.add(_select([exp.alias_(clipped[n], n) if n in clipped else _col(n) for n in names]
                              + [_col(b) for b in bound_names], chain.last))
        if reasons:
            chain.rejecting(label, names, reasons)
        else:
            chain.add(_select([_col(n) for n in names], chain.last))
    elif op == "filter":
        chain.add(_select([_col(n) for n in names], chain.last, _parse(args)))
    elif op == "derive":
        extra = [exp.alias_(exp.Cast(this=_parse(spec["expr"]), to=sql_type(after[n].type)), n)
                 for n, spec in args.items()]
        chain.add(_select([*(_col(n) for n in names), *extra], chain.last))
    elif op == "join":
        other = input_table(catalog, args["with"])
        on = exp.and_(*(exp.EQ(this=_col(left, "p"), expression=_col(right, "r"))
                        for left, right in args["on"].items()))
        query = exp.select(*(_col(n, "p") for n in names), *(_col(c, "r") for c in args["columns"])).from_(
            exp.alias_(exp.to_table(chain.last), "p", table=True))
        query = query.join(exp.alias_(other, "r", table=True), on=on, join_type=args.get("how", "left"))
        chain.add(query)
    elif op == "aggregate":
        measures = []
        for name, m in args["measures"].items():
            target = _col(m["column"]) if "column" in m else exp.Star()
            fn = {"count": exp.Count(this=target),
                  "count_distinct": exp.Count(this=exp.Distinct(expressions=[target])),
                  "sum": exp.Sum(this=target), "avg": exp.Avg(this=target), "min": exp.Min(this=target),
                  "max": exp.Max(this=target)}[m["fn"]]
            measures.append(exp.alias_(fn, name))
        chain.add(_select([*(_col(g) for g in args["group_by"]), *measures], chain.last).group_by(
            *(_col(g) for g in args["group_by"])))
    elif op == "select":
        chain.add(_select([_col(n) for n in args] + ([_col(LOADED_AT)] if has_loaded_at else []), chain.last))
    elif op == "rename":
        chain.add(_select([exp.alias_(_col(n), args[n]) if n in args else _col(n) for n in names], chain.last))
    elif op == "mask":
        out = []
        for n in names:
            method = args.get(n)
            if method == "drop":
                continue
            if method == "hash":
                chain.uses_salt = True
                out.append(exp.alias_(exp.Anonymous(this=_HASH_FUNCTION, expressions=[_col(n)]), n))
            elif method == "redact":
                value = exp.Literal.string("***") if before[n].type.base == "string" else exp.Null()
                out.append(exp.alias_(exp.Case().when(exp.Is(this=_col(n), expression=exp.Null()), exp.Null())
                                      .else_(value), n))
            else:
                out.append(_col(n))
        chain.add(_select(out, chain.last))


def _final(chain: _Chain, columns: tuple[Column, ...]) -> exp.Select:
    cast = [exp.alias_(exp.Cast(this=_col(c.name), to=sql_type(c.type)), c.name) for c in columns]
    return chain.with_ctes(_select(cast, chain.last))


def compile_preparation(catalog: Catalog, dataset: Dataset) -> CompiledPreparation:
    chain = _Chain()
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
    chain.add(exp.select(*(_col(n) for n in [*cols, *([LOADED_AT] if has_loaded_at else [])]))
              .from_(input_table(catalog, ref)))
    for i, step in enumerate(dataset.steps):
        after = apply_step(cols, step, catalog.columns_of)
        # An aggregate or select ends the landing load-time column's usefulness.
        _step(chain, step, cols, after, catalog, has_loaded_at, i)
        if step.op in ("aggregate",):
            has_loaded_at = False
        cols = after
    return CompiledPreparation(dataset.name, _final(chain, dataset.columns), tuple(chain.rejects), chain.uses_salt)


def render(query: exp.Expression, dialect: str, *, pretty: bool = True) -> str:
    """SQL text for ``dialect`` ("tsql" or "duckdb"), with the salted hash spelled per engine.

    Both hash the UTF-8 bytes of salt + value, so Azure and local runs give the same pseudonyms
    (a UTF-8 collation makes Synapse's VARCHAR hold UTF-8: https://learn.microsoft.com/sql/relational-databases/collations/collation-and-unicode-support#utf8).
    """
    tree = query.copy()
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.upper() != _HASH_FUNCTION:
            continue
        value = call.expressions[0]
        # A missing value stays missing: CONCAT reads NULL as '', so without the CASE every NULL
        # would hash to the salt's own hash and link unrelated people through the pseudonym.
        if dialect == "tsql":
            v = value.sql("tsql")
            text = (f"CASE WHEN {v} IS NULL THEN NULL ELSE LOWER(CONVERT(VARCHAR(64), HASHBYTES('SHA2_256', "
                    f"CAST(CONCAT(@{SALT_PARAMETER}, CAST({v} AS NVARCHAR(4000))) AS VARCHAR(8000)) "
                    f"COLLATE Latin1_General_100_BIN2_UTF8), 2)) END")
            call.replace(sqlglot.parse_one(text, read="tsql"))
        else:
            v = value.sql("duckdb")
            text = f"CASE WHEN {v} IS NULL THEN NULL ELSE SHA256(CONCAT(${SALT_PARAMETER}, CAST({v} AS VARCHAR))) END"
            call.replace(sqlglot.parse_one(text, read="duckdb"))
    if dialect == "tsql":
        # sqlglot spells INT as INTEGER for T-SQL; Synapse documents INT, so write that.
        for node in list(tree.find_all(exp.DataType)):
            if node.this == exp.DataType.Type.INT:
                node.replace(exp.DataType(this=exp.DataType.Type.USERDEFINED, kind="INT"))
    return tree.sql(dialect=dialect, pretty=pretty)
