"""Translate generated T-SQL for local engines: DuckDB statements, SQL Server batches."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lakewharf.local.tsql_text import GO, CopyInto, split_statements, strip_comments, unbracket
from lakewharf.local.warehouse import Translations, WarehouseError


def to_duckdb(tsql: str) -> str:
    """One T-SQL statement in DuckDB's dialect, with exact types.

    sqlglot maps T-SQL ``FLOAT`` (8 bytes unless FLOAT(1-24)) to DuckDB's 4-byte ``REAL`` and keeps
    ``BIT`` (a bit string in DuckDB); both would change values, so they are mapped here.
    """
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(tsql, read="tsql") if t is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise WarehouseError(f"cannot translate to DuckDB: {str(exc).splitlines()[0]}\n  in: {tsql[:300]}") from None
    for tree in trees:
        _fix_conversions(tree)
        _string_concatenation(tree)
        for node in tree.find_all(exp.DataType):
            if node.this == exp.DataType.Type.FLOAT:
                size = node.expressions[0].name if node.expressions else ""
                if not size.isdigit() or int(size) > 24:
                    node.set("this", exp.DataType.Type.DOUBLE)
                    node.set("expressions", [])
            elif node.this == exp.DataType.Type.BIT:
                node.set("this", exp.DataType.Type.BOOLEAN)
        for merge in tree.find_all(exp.Merge):  # DuckDB: MERGE ... UPDATE SET takes bare column names
            for update in merge.find_all(exp.Update):
                for assignment in update.expressions:
                    if isinstance(assignment.this, exp.Column):
                        assignment.this.set("table", None)
        for call in list(tree.find_all(exp.Anonymous)):
            if call.name.upper() in ("GETUTCDATE", "SYSUTCDATETIME"):  # no sqlglot mapping: UTC, naive
                call.replace(sqlglot.parse_one("CAST(NOW() AT TIME ZONE 'UTC' AS TIMESTAMP)", read="duckdb"))
    return ";\n".join(t.sql(dialect="duckdb") for t in trees)


def _string_concatenation(tree: Any) -> None:
    """T-SQL's ``+`` joins text; DuckDB's only adds numbers. Where a side is evidently text (a string
    literal, a concatenation, a string function, a cast to text, or ISNULL/COALESCE over one), the
    ``+`` becomes ``||``, which yields NULL on a NULL operand as T-SQL's does (CONCAT_NULL_YIELDS_NULL).
    Two bare text columns cannot be told from numbers without types: write CONCAT() for those."""
    from sqlglot import exp

    text_functions = tuple(getattr(exp, name) for name in ("Concat", "Upper", "Lower", "Trim", "Substring", "Left",
                                                           "Right", "Replace", "DPipe") if hasattr(exp, name))

    def is_text(node: Any) -> bool:
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Literal):
            return bool(node.is_string)
        if isinstance(node, text_functions):
            return True
        if isinstance(node, exp.Cast):
            return bool(node.to.is_type(*exp.DataType.TEXT_TYPES))
        if isinstance(node, exp.Coalesce):
            return any(is_text(arg) for arg in [node.this, *node.expressions])
        return False

    for add in reversed(list(tree.find_all(exp.Add))):  # innermost first: a + ' ' + b nests left
        if is_text(add.left) or is_text(add.right):
            add.replace(exp.DPipe(this=add.left, expression=add.right))


def _fix_conversions(tree: Any) -> None:
    """T-SQL conversions sqlglot would translate into something that runs but means otherwise."""
    from sqlglot import exp

    for node in list(tree.find_all(exp.Convert)):
        style = node.args.get("style")
        inner = node.expression
        if isinstance(inner, exp.SHA2) and style is not None and style.name == "2":
            node.replace(inner)  # hex text of a hash: DuckDB's SHA256 already returns lowercase hex
        elif style is not None and style.name == "126":  # ISO 8601 in or out, with or without fractions
            target = node.this
            if target.is_type(*exp.DataType.TEMPORAL_TYPES):
                node.replace(exp.Cast(this=inner, to=target))
            else:
                node.replace(
                    exp.Cast(
                        this=exp.Anonymous(
                            this="STRFTIME", expressions=[inner, exp.Literal.string("%Y-%m-%dT%H:%M:%S.%f")]
                        ),
                        to=exp.DataType.build("VARCHAR"),
                    )
                )
    for node in list(tree.find_all(exp.Collate)):
        node.replace(node.this)  # collations are Synapse's; DuckDB compares bytes
    for node in list(tree.find_all(exp.National)):
        node.replace(exp.Literal.string(node.name))  # N'…' literals are plain strings in DuckDB


def source_query_to_duckdb(sql: str, dialect: str) -> str:
    """A Copy or Lookup query of a SQL Server (tsql) or PostgreSQL (postgres) source, for DuckDB."""
    import sqlglot
    from sqlglot import exp

    if dialect == "tsql":
        return to_duckdb(sql)
    tree = sqlglot.parse_one(sql, read=dialect)
    for node in tree.find_all(exp.TimeToStr):
        fmt = node.args.get("format")
        if isinstance(fmt, exp.Literal):  # to_char's quoted literals ("T") are not strftime syntax
            node.set("format", exp.Literal.string(fmt.name.replace('"', "")))
    return tree.sql(dialect="duckdb")


_SYNAPSE_TABLE_OPTIONS = re.compile(
    r"\)\s*WITH\s*\(\s*(DISTRIBUTION|CLUSTERED|HEAP)[^;]*?\)\s*(?=;|AS\b|$)", re.I | re.S
)


def for_sqlserver(tsql: str, translations: Translations, copy_into: Callable[[CopyInto], int] | None) -> list[str]:
    """Batches for a real SQL Server: Synapse-only clauses removed, COPY INTO run by the caller.

    SQL Server runs procedures, TRY/CATCH, MERGE and masking natively; it has no distributions,
    no NOT ENFORCED keys and no COPY INTO (https://learn.microsoft.com/sql/t-sql/statements/copy-into-transact-sql).
    """
    batches = []
    for batch in GO.split(strip_comments(tsql)):
        if not batch.strip():
            continue
        kept = []
        for stmt in split_statements(batch) if not re.match(r"\s*CREATE\s+PROC", batch, re.I) else [batch]:
            if stmt.upper().startswith("COPY INTO") and copy_into is not None:
                m = re.match(r"COPY\s+INTO\s+([\[\]\w.]+)\s*\((.*?)\)\s*FROM\s+'([^']+)'", stmt, re.S | re.I)
                if m:
                    columns = [(unbracket(c), int(p)) for c, p in re.findall(r"(\[[^\]]+\]|\w+)\s+(\d+)", m.group(2))]
                    copy_into(CopyInto(unbracket(m.group(1)), columns, m.group(3)))
                    translations.note("rewritten", "COPY INTO (read from the local lake)")
                continue
            if re.search(r"\bNOT\s+ENFORCED\b", stmt, re.I):
                translations.note("skipped", "unenforced primary keys")
                continue
            if _SYNAPSE_TABLE_OPTIONS.search(stmt):
                translations.note("rewritten", "Synapse table options removed (distribution, index, partition)")
                stmt = _SYNAPSE_TABLE_OPTIONS.sub(") ", stmt)
            kept.append(stmt)
        if kept:
            batches.append(";\n".join(kept) + ";")
    return batches
