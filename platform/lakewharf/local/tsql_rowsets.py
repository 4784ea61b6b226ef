"""``OPENROWSET(BULK …) WITH (…)`` of a serverless query, read locally from the lake's Parquet.

A serverless view over lake files (a landing view) reads them with ``OPENROWSET``, which
sqlglot's T-SQL parser does not take. Each one is lifted out of the text by its tokens first:
the statement then names a stand-in table whose columns are the ``WITH`` clause's, so the types
the translation needs are known, and after the translation the stand-in becomes a SELECT over
``read_parquet`` of the local files the ``BULK`` path and ``DATA_SOURCE`` name.

As in Synapse, a ``WITH`` column binds to the Parquet column of its name and has the declared
type; a declared column that no file holds reads as NULL
(https://learn.microsoft.com/azure/synapse-analytics/sql/develop-openrowset).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from lakewharf.local.tsql_text import tokens, unbracket
from lakewharf.local.warehouse import WarehouseError

STAND_IN = "__rowset_"


@dataclass(frozen=True)
class Rowset:
    bulk: str  # the BULK path, relative to the data source
    options: tuple[tuple[str, str], ...]  # (DATA_SOURCE, FORMAT…, upper-case) → value
    columns: tuple[tuple[str, str], ...]  # (column, T-SQL type as written) of the WITH clause

    def option(self, name: str) -> str:
        return dict(self.options).get(name.upper(), "")


# The local files of one OPENROWSET: (Parquet glob, names of the columns they hold, lower-case).
Resolver = Callable[[Rowset], tuple[str, frozenset[str]]]


def _closing(toks: list, i: int) -> int:
    """The index of the ``)`` closing the ``(`` at ``i``."""
    from sqlglot.tokens import TokenType

    depth = 0
    for j in range(i, len(toks)):
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(toks[j].token_type, 0)
        if depth == 0:
            return j
    raise WarehouseError("OPENROWSET: unbalanced parentheses")


def lift(sql: str) -> tuple[str, tuple[Rowset, ...]]:
    """``sql`` with each ``OPENROWSET(…) [WITH (…)]`` replaced by a stand-in table
    (``main.__rowset_<n>``), and the rowsets in that order."""
    from sqlglot.tokens import TokenType

    toks = list(tokens(sql))
    out, found, last, i = [], [], 0, 0
    while i < len(toks):
        t = toks[i]
        if not (t.text.upper() == "OPENROWSET" and i + 1 < len(toks) and toks[i + 1].token_type == TokenType.L_PAREN):
            i += 1
            continue
        end = _closing(toks, i + 1)
        args = toks[i + 2:end]
        if len(args) < 2 or args[0].text.upper() != "BULK" or args[1].token_type != TokenType.STRING:
            raise WarehouseError(f"only OPENROWSET(BULK '…', …) is translated locally: {sql[t.start:t.start + 120]}")
        options = tuple((args[k].text.upper(), args[k + 2].text) for k in range(3, len(args) - 2)
                        if args[k + 1].token_type == TokenType.EQ and args[k - 1].token_type == TokenType.COMMA)
        columns: list[tuple[str, str]] = []
        if end + 2 < len(toks) and toks[end + 1].token_type == TokenType.WITH \
                and toks[end + 2].token_type == TokenType.L_PAREN:
            close = _closing(toks, end + 2)
            start, depth = end + 3, 0
            for k in range(end + 3, close + 1):
                kind = toks[k].token_type
                depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(kind, 0) if k < close else 0
                if (k == close or (kind == TokenType.COMMA and depth == 0)) and k > start + 1:
                    if any(x.token_type == TokenType.STRING for x in toks[start:k]):
                        raise WarehouseError("OPENROWSET WITH columns naming a JSON path or an ordinal are not "
                                             "translated locally")
                    columns.append((unbracket(toks[start].text), sql[toks[start + 1].start:toks[k - 1].end + 1]))
                    start = k + 1
            end = close
        out += [sql[last:t.start], f"main.{STAND_IN}{len(found)}"]
        found.append(Rowset(args[1].text, options, tuple(columns)))
        last, i = toks[end].end + 1, end + 1
    return "".join([*out, sql[last:]]), tuple(found)


def _local(kind: str, duck_type: Callable[[exp.DataType], exp.DataType]) -> exp.DataType:
    """A WITH column's T-SQL type as DuckDB's: ``(max)`` lengths are no DuckDB type modifier."""
    built = exp.DataType.build(kind, dialect="tsql")
    if any(p.name.upper() == "MAX" for p in built.expressions):
        built = exp.DataType(this=built.this)
    return duck_type(built)


def declared(rowset: Rowset, duck_type: Callable[[exp.DataType], exp.DataType]) -> dict[str, exp.DataType]:
    """The WITH clause's columns (lower-case) as DuckDB types, for the translation's schema."""
    return {name.lower(): _local(kind, duck_type) for name, kind in rowset.columns}


def replace(tree: exp.Expression, rowsets: tuple[Rowset, ...], resolve: Resolver,
            duck_type: Callable[[exp.DataType], exp.DataType]) -> None:
    """Each stand-in table of ``tree`` → a SELECT of the declared columns over the local files."""
    for table in list(tree.find_all(exp.Table)):
        name = table.name
        if not name.startswith(STAND_IN):
            continue
        rowset = rowsets[int(name.removeprefix(STAND_IN))]
        if rowset.option("FORMAT").upper() != "PARQUET":
            raise WarehouseError(f"OPENROWSET FORMAT = '{rowset.option('FORMAT')}' is not translated locally "
                                 "(Parquet is)")
        glob, present = resolve(rowset)
        files = exp.Anonymous(this="read_parquet", expressions=[
            exp.Literal.string(glob), exp.EQ(this=exp.column("union_by_name"), expression=exp.true())])
        picked = [exp.alias_(exp.cast(exp.column(column, quoted=True) if column.lower() in present else exp.Null(),
                                      _local(kind, duck_type)), column, quoted=True)
                  for column, kind in rowset.columns] or [exp.Star()]
        select = exp.select(*picked).from_(exp.Table(this=files))
        table.replace(select.subquery(table.alias or "r"))
