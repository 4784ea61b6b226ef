"""Derive a preparation's output columns — name, type, nullability and privacy — from its input.

Declarative steps are applied one by one to the input's columns, so a mistake (an unknown
column, a collision, a non-numeric outlier filter) is reported at the step that makes it. SQL
preparations declare their columns; the SELECT is parsed with sqlglot to check that it reads only
its inputs, produces exactly the declared columns, and to carry privacy along column lineage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from lakewharf.catalog.errors import CatalogError
from lakewharf.model.catalog import Column, Step
from lakewharf.model.origin import Origin
from lakewharf.model.types import DataType, Privacy, TypeSyntaxError

ColumnsOf = Callable[[str], tuple[Column, ...] | None]

_BIGINT, _DOUBLE, _HASH = DataType.parse("bigint"), DataType.parse("double"), DataType.parse("string(64)")
# Catalog SQL (preparations, derive and filter expressions) is written in T-SQL, the dialect of
# Synapse where it runs; sqlglot translates it to DuckDB for local runs.
SQL_DIALECT = "tsql"


class StepError(Exception):
    def __init__(self, error: CatalogError) -> None:
        self.error = error


def _need(cols: dict[str, Column], name: str, origin: Origin, *, what: str = "column") -> Column:
    if name not in cols:
        raise StepError(origin.error(f"unknown {what} {name!r}", "columns here: " + ", ".join(cols)))
    return cols[name]


def expression_columns(expr: str, origin: Origin) -> set[str]:
    """Names of the columns a portable SQL expression reads."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expr, read=SQL_DIALECT)
    except sqlglot.errors.ParseError as exc:
        raise StepError(origin.error(f"cannot parse SQL expression: {_first_line(exc)}")) from None
    if tree is None:
        raise StepError(origin.error("empty SQL expression"))
    return {c.name for c in tree.find_all(exp.Column)}


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _parse_type(text: str, origin: Origin) -> DataType:
    try:
        return DataType.parse(text)
    except TypeSyntaxError as exc:
        raise StepError(origin.error(str(exc))) from None


def _aggregate(cols: dict[str, Column], args: dict[str, Any], origin: Origin) -> dict[str, Column]:
    out = {g: _need(cols, g, origin.at("group_by", i)) for i, g in enumerate(args["group_by"])}
    for name, m in args["measures"].items():
        where = origin.at("measures", name)
        fn, col_name = m["fn"], m.get("column")
        if name in out:
            raise StepError(where.error(f"measure {name!r} has the name of a group-by column", key=True))
        if col_name is None:
            if fn != "count":
                raise StepError(where.error(f"{fn} needs a column"))
            out[name] = Column(name, _BIGINT, nullable=False, origin=where)
            continue
        src = _need(cols, col_name, where.at("column"))
        if fn in ("count", "count_distinct"):
            out[name] = Column(name, _BIGINT, nullable=False, origin=where)
        elif fn in ("sum", "avg") and not src.type.is_numeric:
            raise StepError(where.error(f"{fn} needs a numeric column; {col_name} is {src.type}"))
        elif fn == "sum":
            t = src.type
            t = _BIGINT if t.base in ("smallint", "int", "bigint") else (
                DataType("decimal", precision=38, scale=t.scale) if t.base == "decimal" else _DOUBLE)
            out[name] = Column(name, t, privacy=src.privacy, origin=where)
        elif fn == "avg":
            out[name] = Column(name, _DOUBLE, privacy=src.privacy, origin=where)
        else:  # min / max reveal a real value, so they keep its privacy
            out[name] = replace(src, name=name, primary_key=False, origin=where)
    return out


def apply_step(cols: dict[str, Column], step: Step, columns_of: ColumnsOf) -> dict[str, Column]:
    """The columns after one declarative step. Raises StepError at the offending place."""
    op, args, o = step.op, step.args, step.origin
    out = dict(cols)
    if op == "dedupe":
        for i, k in enumerate(args["keys"]):
            _need(cols, k, o.at("keys", i))
        if "latest_by" in args:
            _need(cols, args["latest_by"], o.at("latest_by"))
    elif op == "cast":
        for name, type_text in args.items():
            _need(cols, name, o.at(name), what="column")
            out[name] = replace(cols[name], type=_parse_type(type_text, o.at(name)))
    elif op == "missing":
        for name, rule in args.items():
            col = _need(cols, name, o.at(name))
            if isinstance(rule, dict):
                fill = rule["fill"]
                if col.type.is_numeric and (isinstance(fill, bool) or not isinstance(fill, int | float)):
                    raise StepError(o.at(name, "fill").error(f"{name} is {col.type}; fill it with a number"))
                if col.type.base == "boolean" and not isinstance(fill, bool):
                    raise StepError(o.at(name, "fill").error(f"{name} is boolean; fill it with true or false"))
                if col.type.base == "string" and col.type.length is not None and len(str(fill)) > col.type.length:
                    # Synapse's CAST would cut the value short without a word; DuckDB would keep it.
                    raise StepError(o.at(name, "fill").error(
                        f"fill value {str(fill)!r} has {len(str(fill))} characters; {name} is {col.type}",
                        f"use at most {col.type.length} characters, or widen the column"))
            out[name] = replace(col, nullable=False)
    elif op == "outliers":
        for name in args:
            if not _need(cols, name, o.at(name)).type.is_numeric:
                message = f"outlier filters need a numeric column; {name} is {cols[name].type}"
                raise StepError(o.at(name).error(message))
    elif op == "filter":
        for name in sorted(expression_columns(args, o)):
            _need(cols, name, o)
    elif op == "derive":
        for name, spec in args.items():
            where = o.at(name)
            if name in cols:
                raise StepError(where.error(f"column {name!r} already exists", "rename it or cast the existing column",
                                            key=True))
            read = sorted(expression_columns(spec["expr"], where.at("expr")))
            used = [_need(cols, c, where.at("expr")) for c in read]
            inherited = max((c.privacy for c in used), default=Privacy.NONE)
            privacy = Privacy.parse(spec["privacy"]) if "privacy" in spec else inherited
            out[name] = Column(name, _parse_type(spec["type"], where.at("type")), privacy=privacy, origin=where)
    elif op == "join":
        other = columns_of(args["with"])
        if other is None:
            raise StepError(o.at("with").error(f"unknown dataset or source entity {args['with']!r}"))
        other_map = {c.name: c for c in other}
        for left, right in args["on"].items():
            _need(cols, left, o.at("on", left))
            _need(other_map, right, o.at("on", left))
        for i, name in enumerate(args["columns"]):
            col = _need(other_map, name, o.at("columns", i))
            if name in cols:
                raise StepError(o.at("columns", i).error(f"column {name!r} already exists on the left side",
                                                         "add a rename step before the join"))
            nullable = col.nullable or args.get("how", "left") == "left"
            out[name] = replace(col, nullable=nullable, primary_key=False, origin=o.at("columns", i))
    elif op == "aggregate":
        out = _aggregate(cols, args, o)
    elif op == "select":
        out = {name: _need(cols, name, o.at(i)) for i, name in enumerate(args)}
    elif op == "rename":
        for old, new in args.items():
            col = _need(cols, old, o.at(old))
            if new in out and new != old:
                raise StepError(o.at(old).error(f"column {new!r} already exists"))
            out = {(new if k == old else k): (replace(col, name=new) if k == old else v) for k, v in out.items()}
    elif op == "mask":
        for name, method in args.items():
            col = _need(cols, name, o.at(name))
            if method == "drop":
                out.pop(name)
            elif method == "hash":
                # Salted SHA-256, hex-encoded: 64 characters, no longer personal for readers without the salt.
                out[name] = replace(col, type=_HASH, privacy=Privacy.NONE, primary_key=False)
            else:  # redact keeps the column's type and shape, replacing the value
                out[name] = replace(col, privacy=Privacy.NONE)
    return out


def derive_declarative(input_cols: Sequence[Column], steps: Sequence[Step], columns_of: ColumnsOf
                       ) -> tuple[tuple[Column, ...], list[CatalogError]]:
    cols = {c.name: c for c in input_cols}
    for step in steps:
        try:
            cols = apply_step(cols, step, columns_of)
        except StepError as exc:
            return (), [exc.error]
    return tuple(cols.values()), []


def check_sql(sql: str, inputs: dict[str, tuple[Column, ...]], declared: dict[str, Column], origin: Origin
              ) -> tuple[dict[str, Privacy], list[CatalogError]]:
    """Check a SQL preparation; return the privacy each output column inherits through lineage."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.lineage import lineage
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import build_scope

    where = origin.at("sql")
    try:
        statements = sqlglot.parse(sql, read=SQL_DIALECT)
    except sqlglot.errors.ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        hint = f"near line {err.get('line')} column {err.get('col')} of the SQL" if err else ""
        return {}, [where.error(f"cannot parse SQL: {err.get('description', _first_line(exc))}", hint)]
    statements = [s for s in statements if s is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return {}, [where.error("sql must be exactly one SELECT statement",
                                "preparations read their inputs; writing is generated by lakewharf")]
    tree = statements[0]
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    errors = []
    read = {t.name for t in tree.find_all(exp.Table)} - ctes
    for name in sorted(read - set(inputs)):
        errors.append(where.error(f"the SELECT reads {name!r}, which is not in inputs",
                                  f"add {name} to inputs (inputs: {', '.join(inputs)})"))
    for name in sorted(set(inputs) - read):
        errors.append(origin.at("inputs").error(f"input {name!r} is not used by the SELECT"))
    names = [s.alias_or_name for s in tree.selects]
    if "*" in names:
        errors.append(where.error("SELECT * hides the output contract", "name every output column"))
    missing, extra = [n for n in declared if n not in names], [n for n in names if n not in declared and n != "*"]
    if missing:
        errors.append(origin.at("columns").error(f"declared but not produced by the SELECT: {', '.join(missing)}"))
    if extra:
        errors.append(origin.at("columns").error(f"produced by the SELECT but not declared: {', '.join(extra)}",
                                                 "declare every output column with its type"))
    if errors:
        return {}, errors
    schema = {t: {c.name: "INT" for c in cols} for t, cols in inputs.items()}
    privacy_of = {(t, c.name): c.privacy for t, cols in inputs.items() for c in cols}
    try:
        qualified = qualify(tree.copy(), schema=schema, dialect=SQL_DIALECT)
        # One scope for every column: lineage() would otherwise rebuild it per column (5× slower).
        scope = build_scope(qualified)
        result = {}
        for name in names:
            node = lineage(name, qualified, schema=schema, dialect=SQL_DIALECT, scope=scope)
            leaves = [n for n in node.walk() if not n.downstream and isinstance(n.source, exp.Table)]
            result[name] = max((privacy_of.get((leaf.source.name, _leaf_column(leaf)), Privacy.NONE)
                                for leaf in leaves), default=Privacy.NONE)
    except (sqlglot.errors.SqlglotError, KeyError, ValueError) as exc:
        return {}, [where.error(f"cannot resolve the SELECT's columns: {_first_line(exc)}",
                                "qualify ambiguous columns with their table alias")]
    return result, []


def _leaf_column(leaf: Any) -> str:
    """The input column a lineage leaf stands for. sqlglot 30 gives the leaf's expression as the
    *table* and names the column only in ``leaf.name`` (``"table"."column"``); older releases gave
    an ``exp.Column``. Reading the name covers both: a leaf missed here would let a personal column
    through a SQL preparation as if it were not personal."""
    from sqlglot import exp

    if isinstance(leaf.expression, exp.Column):
        return str(leaf.expression.name)
    return str(exp.to_column(leaf.name).name)
