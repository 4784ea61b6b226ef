"""Types for the T-SQL → DuckDB translation: schemas from the catalog or the local warehouse,
and sqlglot's ``qualify`` + ``annotate_types`` over a parsed statement.

T-SQL answers depend on operand types (``7 / 2`` is 3, ``'a' + 'b'`` concatenates, ``AVG`` of an
int is an int), so the translation first learns every expression's type. Column types come from
a schema: the catalog's column contracts (``model.type_map``) for the serverless pool's external
tables, the warehouse's own tables (created from the same contracts) for the dedicated pool.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from lakewharf.model.catalog import Column
from lakewharf.model.type_map import duckdb_type

Schema = dict[str, dict[str, dict[str, exp.DataType]]]  # schema → table → column → type

INTEGERS = (exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT)
FLOATS = (exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE)
DECIMALS = (exp.DataType.Type.DECIMAL,)
TEXT = tuple(exp.DataType.TEXT_TYPES)
DATES = (exp.DataType.Type.DATE,)
BINARY = (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY, exp.DataType.Type.BLOB)
_WORD = re.compile(r"\w+")
_INTEGER_DIGITS = {exp.DataType.Type.TINYINT: 3, exp.DataType.Type.SMALLINT: 5, exp.DataType.Type.INT: 10,
                   exp.DataType.Type.BIGINT: 19}


def catalog_schema(tables: Iterable[tuple[str, Iterable[Column], dict[str, str]]], *,
                   within: str | None = None) -> Schema:
    """A schema from (``schema.table``, catalog columns, extra columns as DuckDB types); with
    ``within``, only the tables that SQL text names (see ``named_in``)."""
    words = named_in(within) if within is not None else None
    out: Schema = {}
    for name, columns, extra in tables:
        db, _, table = name.lower().rpartition(".")
        if words is not None and table not in words:
            continue
        cols = {c.name.lower(): _duckdb_type(duckdb_type(c.type)).copy() for c in columns}
        cols |= {k.lower(): _duckdb_type(v).copy() for k, v in extra.items()}
        out.setdefault(db or "main", {})[table] = cols
    return out


def named_in(sql: str) -> set[str]:
    """Every word of ``sql``, lower-cased: a superset of the tables it names. A statement's types
    depend only on the tables it reads; qualifying it against the whole warehouse (or catalog)
    made each statement's cost grow with the number of tables."""
    return {w.lower() for w in _WORD.findall(sql)}


WAREHOUSE_COLUMNS = ("SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
                     "WHERE NOT internal")


def warehouse_schema(con: Any, within: str | None = None) -> Schema:
    """The local warehouse's tables (and temporary tables) as a schema, from DuckDB's catalog;
    with ``within``, only the tables that SQL text names."""
    return schema_of(con.execute(WAREHOUSE_COLUMNS).fetchall(), within)


def schema_of(rows: Iterable[tuple[str, str, str, str]], within: str | None = None) -> Schema:
    """A schema from (schema, table, column, DuckDB type) rows; with ``within``, only the tables
    that SQL text names. (Filtered here: DuckDB's catalog functions cost the same ~20 ms at 200
    tables whatever the filter, and a bound list of names makes them slower.)"""
    words = named_in(within) if within is not None else None
    out: Schema = {}
    for db, table, column, kind in rows:
        if words is None or table.lower() in words:
            out.setdefault(db.lower(), {}).setdefault(table.lower(), {})[column.lower()] = _duckdb_type(kind).copy()
    return out


@functools.lru_cache(maxsize=1024)
def _duckdb_type(kind: str) -> exp.DataType:
    """A DuckDB type name as a sqlglot node, parsed once per name: a warehouse has a few dozen
    distinct types but is read before every statement (2 M parses for 100 tables before this)."""
    try:
        return exp.DataType.build(kind, dialect="duckdb")
    except SqlglotError:
        return exp.DataType.build("UNKNOWN")


def type_of(node: exp.Expression) -> exp.DataType:
    while isinstance(node, exp.Paren):
        node = node.this
    t = node.type
    return t if isinstance(t, exp.DataType) else exp.DataType.build("UNKNOWN")


def is_type(node: exp.Expression, kinds: tuple[exp.DataType.Type, ...]) -> bool:
    return type_of(node).this in kinds


def known(node: exp.Expression) -> bool:
    return type_of(node).this not in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL)


def decimal_ps(node: exp.Expression) -> tuple[int, int] | None:
    """(precision, scale) of an exact numeric operand as T-SQL types it, None for other types.

    A literal ``2.50`` is decimal(3,2) and an integer is decimal(10,0) in T-SQL's arithmetic rules:
    https://learn.microsoft.com/sql/t-sql/data-types/precision-scale-and-length-transact-sql
    """
    inner = node
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Neg):
        inner = inner.this
    if isinstance(inner, exp.Literal) and not inner.is_string:
        text = inner.name
        if "e" in text.lower():
            return None
        whole, _, frac = text.partition(".")
        digits = len(whole.lstrip("0")) + len(frac)
        return (max(digits, 1, len(frac)), len(frac)) if "." in text else (max(len(whole), 1), 0)
    t = type_of(node)
    if t.this in _INTEGER_DIGITS:
        return _INTEGER_DIGITS[t.this], 0
    if t.this in DECIMALS:
        params = [int(p.name) for p in t.expressions if p.name.isdigit()]
        if len(params) == 2:
            return params[0], params[1]
        return (params[0], 0) if params else (18, 0)
    return None


def annotate(tree: exp.Expression, schema: Schema | None) -> exp.Expression:
    """Qualify columns (so their tables and types are known) and annotate types, in place when it
    succeeds; identifiers keep their original spelling, and the outer SELECT keeps its output names.
    """
    for ident in tree.find_all(exp.Identifier):
        ident.meta["spelled"] = ident.this
    target = tree if isinstance(tree, exp.Query) else tree.args.get("expression")
    if isinstance(target, exp.Query):
        qualified = _qualified(target, schema)
        if qualified is not None:
            if target is tree:
                tree = qualified
            else:
                tree.set("expression", qualified)
    with contextlib.suppress(SqlglotError):  # types stay unknown; the transforms fall back to the syntax
        annotate_types(tree, schema=schema, dialect="tsql")
    return tree


def _qualified(query: exp.Query, schema: Schema | None) -> exp.Query | None:
    outer = query.selects if isinstance(query, exp.Select) else []
    plain = [not isinstance(p, exp.Alias) for p in outer]
    has_star = any(p.is_star for p in outer)
    for stars in (True, False):
        candidate = query.copy()
        for a, b in zip(query.find_all(exp.Identifier), candidate.find_all(exp.Identifier), strict=False):
            b.meta["spelled"] = a.meta.get("spelled", a.this)
        try:
            candidate = qualify(candidate, schema=schema, dialect="tsql", quote_identifiers=False, identify=False,
                                validate_qualify_columns=False, expand_stars=stars, expand_alias_refs=False)
        except (SqlglotError, KeyError, ValueError, AttributeError):
            continue
        if isinstance(candidate, exp.Select) and not has_star and len(candidate.selects) == len(plain):
            for projection, was_plain in zip(list(candidate.selects), plain, strict=True):
                if was_plain and isinstance(projection, exp.Alias):
                    projection.replace(projection.this)  # qualify named it; T-SQL would not
        return candidate
    return None


def restore_spelling(tree: exp.Expression) -> None:
    """Identifiers back to how the statement spelled them (qualify lower-cases T-SQL names)."""
    for ident in tree.find_all(exp.Identifier):
        spelled = ident.meta.get("spelled")
        if spelled is not None and spelled.lower() == str(ident.this).lower():
            ident.set("this", spelled)
