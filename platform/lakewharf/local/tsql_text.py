"""Generated T-SQL read into batches and statements from tokens (sqlglot's T-SQL tokenizer).

The local layer reads what the templates render the way SQL Server's tools read it, not by text
conventions: strings (``'…'``, ``N'…'``), bracketed and quoted identifiers and comments are whole
tokens (or the gaps between tokens), so a ``;`` or a ``GO`` inside any of them never splits.

- A batch ends at a ``GO`` line: ``GO`` alone on its line, an optional count, comments allowed
  ("A Transact-SQL statement can't occupy the same line as a GO command"):
  https://learn.microsoft.com/sql/t-sql/language-elements/sql-server-utilities-statements-go
- A statement ends at a ``;`` outside parentheses. T-SQL does not require the terminator; the
  templates write one after every statement (the local interpreter reads ``IF … BEGIN … END``
  blocks statement by statement), and tests/local/test_template_contract.py checks every
  template's output against it, with the sample catalog and with others.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlglot.tokens import Token

_WORD = re.compile(r"\w+")
_NOT_NEWLINE = re.compile(r"[^\n]")


@dataclass(frozen=True)
class CopyInto:
    table: str  # schema.table
    columns: list[tuple[str, int]]  # (column, 1-based position in the Parquet file)
    location: str  # URL of the folder or file


@runtime_checkable
class ReadThrough(Protocol):
    """A COPY INTO handler whose copy the DuckDB interpreter may leave pending (``tsql_staging``)."""

    def __call__(self, copy: CopyInto) -> int: ...  # make the copy: the rows loaded
    def locate(self, copy: CopyInto) -> str: ...  # the Parquet files' glob
    def counted(self, copy: CopyInto, rows: int) -> None: ...  # the rows a pending copy checked


@functools.cache
def _tokenizer_class() -> Any:
    from sqlglot.dialects.tsql import TSQL

    class LexicalTsql(TSQL.Tokenizer):  # type: ignore[name-defined,misc]
        # sqlglot reads what follows a command word (GO, PRINT, END after a ``;``) as one string up
        # to the next ``;``, for statements its parser does not model. Here every word stays a
        # token, or an END would swallow the GO line after it.
        COMMANDS: set[Any] = set()  # noqa: RUF012 (the tokenizer's own class attribute)

    return LexicalTsql


# The same texts come back often (a procedure body on every EXEC, a load script per item) and
# sqlglot's tokenizer is pure Python: a text is tokenized once, and each batch and statement cut
# from it is remembered with its slice of the same tokens, so it is never read again.
_KNOWN: OrderedDict[str, tuple[Token, ...]] = OrderedDict()
_KNOWN_MAX = 8192


def _remember(sql: str, toks: tuple[Token, ...]) -> tuple[Token, ...]:
    _KNOWN[sql] = toks
    if len(_KNOWN) > _KNOWN_MAX:
        _KNOWN.popitem(last=False)
    return toks


def tokens(sql: str) -> tuple[Token, ...]:
    """Every token of ``sql``; what lies between two tokens is only whitespace and comments."""
    known = _KNOWN.get(sql)
    if known is not None:
        return known
    from sqlglot.errors import TokenError

    try:
        return _remember(sql, tuple(_tokenizer_class()().tokenize(sql)))
    except TokenError as exc:
        from lakewharf.local.warehouse import WarehouseError

        raise WarehouseError(f"cannot read the T-SQL locally: {exc}: {sql[:120]}") from None


@functools.lru_cache(maxsize=1024)
def strip_comments(sql: str) -> str:
    """``sql`` with every comment blanked (its line breaks kept), so each token keeps its offset."""
    out, last = [], 0
    for t in tokens(sql):
        gap = sql[last : t.start]
        out += [gap if gap.isspace() else _NOT_NEWLINE.sub(" ", gap), sql[t.start : t.end + 1]]
        last = t.end + 1
    return "".join(out)


def _cut(sql: str, toks: tuple[Token, ...]) -> str:
    """The comment-free text of ``sql`` from the first to the last of ``toks`` (its tokens),
    remembered with them."""
    from sqlglot.tokens import Token

    start = toks[0].start
    text = strip_comments(sql)[start : toks[-1].end + 1]
    if text not in _KNOWN:
        _remember(text, tuple(Token(t.token_type, t.text, t.line, t.col, t.start - start, t.end - start)
                              for t in toks))
    return text


def _go_line(sql: str, toks: tuple[Token, ...], i: int) -> tuple[int, int]:
    """(how often the batch before runs, index of the first token after the line) when token ``i``
    is the GO of a GO line; (0, i) otherwise."""
    from sqlglot.tokens import TokenType

    t = toks[i]
    if t.token_type != TokenType.COMMAND or t.text.upper() != "GO":
        return 0, i
    line_start = sql.rfind("\n", 0, t.start) + 1
    line_end = sql.find("\n", t.end)
    line_end = len(sql) if line_end < 0 else line_end
    if sql[line_start : t.start].strip():
        return 0, i
    count, j = 1, i + 1
    if j < len(toks) and toks[j].start < line_end and toks[j].token_type == TokenType.NUMBER and toks[j].text.isdigit():
        count, j = int(toks[j].text), j + 1
    return (count, j) if j >= len(toks) or toks[j].start > line_end else (0, i)


@functools.lru_cache(maxsize=1024)
def batches(sql: str) -> tuple[str, ...]:
    """The batches of a script, as ``sqlcmd`` sends them (``GO n`` repeats one), comments removed;
    batches holding no token are left out."""
    toks = tokens(sql)
    out: list[str] = []
    start = i = 0
    while i <= len(toks):
        count, after = (1, i + 1) if i == len(toks) else _go_line(sql, toks, i)
        if count:
            if i > start:
                out += [_cut(sql, toks[start:i])] * count
            start = after
        i = max(after, i + 1)
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def split_statements(batch: str) -> tuple[str, ...]:
    """The statements of a batch: split at each ``;`` token outside parentheses, comments removed."""
    from sqlglot.tokens import TokenType

    toks = tokens(batch)
    out: list[str] = []
    depth, start = 0, 0
    for i, t in enumerate(toks):
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif t.token_type == TokenType.SEMICOLON and depth == 0:
            if i > start:
                out.append(_cut(batch, toks[start:i]))
            start = i + 1
    if start < len(toks):
        out.append(_cut(batch, toks[start:]))
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def temp_names(sql: str) -> str:
    """``#src`` → ``tmp_src`` (DuckDB temp tables are plain names); strings and comments untouched."""
    from sqlglot.tokens import TokenType

    toks = tokens(sql)
    out, last = [], 0
    for a, b in itertools.pairwise(toks):
        if a.token_type == TokenType.HASH and b.start == a.end + 1 and _WORD.fullmatch(sql[b.start : b.end + 1]):
            out += [sql[last : a.start], "tmp_"]
            last = a.end + 1
    return "".join([*out, sql[last:]])


def unbracket(name: str) -> str:
    return name.replace("[", "").replace("]", "").strip()
