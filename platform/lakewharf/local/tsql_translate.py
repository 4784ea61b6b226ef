"""Translate generated T-SQL for local engines: DuckDB statements, SQL Server batches."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakewharf.local.tsql_text import CopyInto, batches, split_statements, unbracket
from lakewharf.local.warehouse import Translations

if TYPE_CHECKING:
    from lakewharf.local.tsql_rowsets import Resolver
    from lakewharf.local.tsql_types import Schema


def to_duckdb(tsql: str, *, schema: Schema | None = None, case_insensitive: bool = True,
              translations: Translations | None = None, rowsets: Resolver | None = None,
              tables: dict[str, str] | None = None) -> str:
    """T-SQL statement(s) in DuckDB's dialect with T-SQL's answers (see ``tsql_duckdb``).

    ``schema`` gives column types (catalog contracts or the warehouse's tables);
    ``case_insensitive`` follows the database collation (the warehouse's ``*_CI_*`` one; the
    serverless database is ``Latin1_General_100_BIN2_UTF8``). What the translation cannot match
    is counted in ``translations`` as not verified locally. ``rowsets`` gives the local Parquet
    files of each ``OPENROWSET`` the statement reads (``tsql_rowsets``); ``tables`` the SELECT
    each pending COPY INTO's staging table is read through (``tsql_staging``).
    """
    from lakewharf.local.tsql_duckdb import translate

    def note(kind: str, what: str) -> None:
        if translations is not None:
            translations.note("rewritten" if kind == "rewritten" else "skipped", what)

    return translate(tsql, schema=schema, case_insensitive=case_insensitive, note=note, rowsets=rowsets,
                     tables=tables)


def source_query_to_duckdb(sql: str, dialect: str) -> str:
    """A Copy or Lookup query of a database source in its kind's sqlglot dialect (tsql, postgres,
    mysql, oracle…), for DuckDB."""
    import sqlglot
    from sqlglot import exp

    if dialect == "tsql":
        return to_duckdb(sql)
    from sqlglot.dialects.dialect import Dialect

    tree = sqlglot.parse_one(sql, read=dialect)
    for char in list(tree.find_all(exp.ToChar)):  # Oracle's TO_CHAR(ts, format): sqlglot drops the format
        fmt = char.args.get("format")
        if isinstance(fmt, exp.Literal):
            spelled = Dialect.get_or_raise(dialect).format_time(fmt)
            char.replace(exp.TimeToStr(this=char.this, format=spelled))
    for node in tree.find_all(exp.TimeToStr):
        fmt = node.args.get("format")
        if isinstance(fmt, exp.Literal):  # to_char's quoted literals ("T") are not strftime syntax
            node.set("format", exp.Literal.string(fmt.name.replace('"', "")))
    for parse in list(tree.find_all(exp.StrToTime)):  # Oracle's TO_TIMESTAMP(text, format)
        fmt = parse.args.get("format")
        if isinstance(fmt, exp.Literal):
            # Oracle accepts text that ends before the format does (no fraction after the seconds,
            # as the initial watermark has); DuckDB's strptime takes the alternatives as a list.
            full = fmt.name.replace('"', "")
            formats = [full, full.removesuffix(".%f")] if full.endswith(".%f") else [full]
            parse.replace(exp.Anonymous(this="STRPTIME", expressions=[
                parse.this, exp.Array(expressions=[exp.Literal.string(f) for f in formats])]))
    return tree.sql(dialect="duckdb")


_SYNAPSE_TABLE_OPTIONS = re.compile(
    r"\)\s*WITH\s*\(\s*(DISTRIBUTION|CLUSTERED|HEAP)[^;]*?\)\s*(?=;|AS\b|$)", re.I | re.S
)


def for_sqlserver(tsql: str, translations: Translations, copy_into: Callable[[CopyInto], int] | None) -> list[str]:
    """Batches for a real SQL Server: Synapse-only clauses removed, COPY INTO run by the caller.

    SQL Server runs procedures, TRY/CATCH, MERGE and masking natively; it has no distributions,
    no NOT ENFORCED keys and no COPY INTO (https://learn.microsoft.com/sql/t-sql/statements/copy-into-transact-sql).
    """
    out = []
    for batch in batches(tsql):
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
            out.append(";\n".join(kept) + ";")
    return out
