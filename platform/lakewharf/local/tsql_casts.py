"""Text converted to numbers, bits and dates with T-SQL's rules, for the T-SQL → DuckDB
translation (``tsql_duckdb``): CAST/CONVERT fail where T-SQL fails, TRY_CAST/TRY_CONVERT give
NULL there, and DuckDB's more lenient readings never leak through.

What T-SQL reads (https://learn.microsoft.com/sql/t-sql/functions/cast-and-convert-transact-sql,
https://learn.microsoft.com/sql/t-sql/data-types/bit-transact-sql), spaces around the text allowed:
- integers and bit: digits with a sign; ``'1.5'`` is no integer (DuckDB rounds it to 2), and
  bit also takes ``TRUE``/``FALSE`` in any case (DuckDB also takes yes/no, y/n, t/f) and is 1 for
  any other number than 0 (``'999999'`` is 1);
- float: a decimal number with an optional exponent; DuckDB also reads nan, inf, infinity and
  ``1_000``, and turns an overflow into inf;
- decimal: a decimal number without an exponent (DuckDB reads ``'1e3'`` as 1000);
- an empty (or blank) text is 0 for the integer types, bit and float, and 1900-01-01 for the date
  and time types, but fails for decimal: T-SQL's long-standing behaviour;
- dates: DuckDB reads ISO 8601; T-SQL also reads ``yyyymmdd`` and (us_english, DATEFORMAT mdy)
  ``m/d/yyyy``, both rewritten here. Other language-dependent forms (month names) are not, which
  the translation notes as not verified locally.
"""

from __future__ import annotations

from sqlglot import exp

from lakewharf.local.tsql_rules import Note, call
from lakewharf.local.tsql_types import DECIMALS, FLOATS, INTEGERS

_T = exp.DataType.Type
_INTEGER = r"[+-]?[0-9]+"
_DECIMAL = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
_FLOAT = _DECIMAL + r"([eE][+-]?[0-9]+)?"
_ZERO = r"[+-]?0+"
_TEMPORAL = (_T.DATE, _T.DATETIME, _T.DATETIME2, _T.TIMESTAMP, _T.TIMESTAMPNTZ, _T.SMALLDATETIME)


def _s(text: str) -> exp.Expression:
    return exp.Literal.string(text)


def _matches(value: exp.Expression, pattern: str) -> exp.Expression:
    return call("regexp_full_match", value.copy(), _s(pattern))


def _failed(value: exp.Expression, message: str, safe: bool) -> exp.Expression:
    """NULL for TRY_CAST, else T-SQL's error (``{}`` stands for the value)."""
    if safe:
        return exp.Null()
    before, _, after = message.partition("{}")
    text = exp.DPipe(this=exp.DPipe(this=_s(before), expression=exp.Coalesce(this=value.copy(), expressions=[
        _s("NULL")])), expression=_s(after)) if "{}" in message else _s(message)
    return call("error", text)


def _blank(trimmed: exp.Expression) -> exp.Expression:
    return exp.EQ(this=trimmed.copy(), expression=_s(""))


def text_to(value: exp.Expression, to: exp.DataType, *, safe: bool, note: Note) -> exp.Expression | None:
    """``CAST(value AS to)`` (``TRY_CAST`` when ``safe``) of a text value, with T-SQL's answers;
    None when DuckDB's cast already gives them (text to text, to binary…)."""
    trimmed = exp.Trim(this=value.copy())
    cast = exp.TryCast if safe else exp.Cast
    name = to.sql("tsql").lower()
    if to.this in INTEGERS:
        failed = _failed(value, f"Conversion failed when converting the varchar value '{{}}' to data type {name}.",
                         safe)
        return exp.Case().when(_blank(trimmed), exp.cast(exp.Literal.number(0), to)).when(
            _matches(trimmed, _INTEGER), cast(this=trimmed.copy(), to=to)).else_(failed)
    if to.this == _T.BOOLEAN:
        lower = exp.Lower(this=trimmed.copy())
        failed = _failed(value, "Conversion failed when converting the varchar value '{}' to data type bit.", safe)
        return (exp.Case()
                .when(exp.In(this=lower, expressions=[_s("true"), _s("false")]),
                      exp.EQ(this=lower.copy(), expression=_s("true")))
                .when(_blank(trimmed), exp.false())
                .when(_matches(trimmed, _INTEGER), exp.Not(this=_matches(trimmed, _ZERO)))
                .else_(failed))
    if to.this in FLOATS:
        read = exp.TryCast(this=trimmed.copy(), to=to)
        overflow = call("isinf", read.copy())
        failed = _failed(value, "Error converting data type varchar to float.", safe)
        return (exp.Case().when(_blank(trimmed), exp.cast(exp.Literal.number(0), to))
                .when(exp.And(this=_matches(trimmed, _FLOAT), expression=exp.Not(this=overflow)), read)
                .else_(failed))
    if to.this in DECIMALS:
        failed = _failed(value, "Error converting data type varchar to numeric.", safe)
        return exp.Case().when(_matches(trimmed, _DECIMAL), cast(this=trimmed.copy(), to=to)).else_(failed)
    if to.this in _TEMPORAL and not isinstance(value, exp.Literal):  # literals: tsql_rules.date_text
        note("not verified", "text to date/time in forms other than ISO 8601, yyyymmdd and m/d/yyyy (month "
                             "names, other DATEFORMATs): T-SQL reads them, DuckDB does not")
        iso = exp.Case().when(_matches(trimmed, r"[0-9]{8}( .*)?"), call(
            "regexp_replace", trimmed.copy(), _s(r"^([0-9]{4})([0-9]{2})([0-9]{2})"), _s(r"\1-\2-\3"))).when(
            _matches(trimmed, r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( .*)?"), call(
                "regexp_replace", trimmed.copy(), _s(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"),
                _s(r"\3-\1-\2"))).else_(trimmed.copy())
        # DuckDB's date reader wants two-digit months and days: m/d becomes yyyy-m-d, padded here.
        padded = call("regexp_replace", iso, _s(r"^([0-9]{4})-([0-9])(-|$)"), _s(r"\1-0\2\3"))
        padded = call("regexp_replace", padded, _s(r"^([0-9]{4}-[0-9]{2})-([0-9])([^0-9]|$)"), _s(r"\1-0\2\3"))
        read = exp.TryCast(this=padded, to=to)
        if to.this == _T.DATE:  # T-SQL takes a date's text with its time; DuckDB's DATE reader does not
            read = exp.Coalesce(this=read, expressions=[exp.TryCast(this=exp.TryCast(
                this=padded.copy(), to=exp.DataType.build("TIMESTAMP")), to=to)])
        failed = _failed(value, "Conversion failed when converting date and/or time from character string.", safe)
        return (exp.Case().when(_blank(trimmed), exp.cast(_s("1900-01-01"), to))
                .when(exp.Not(this=exp.Is(this=read.copy(), expression=exp.Null())), read)
                .else_(failed))
    return None


def binary_text(value: exp.Expression, to: exp.DataType, *, utf8: bool, note: Note) -> exp.Expression:
    """``CAST(varbinary AS varchar)``: the bytes read as text in the database's code page, UTF-8 in
    the serverless database (``Latin1_General_100_BIN2_UTF8``), where DuckDB's cast would spell
    the bytes out (``\\x7B…``). Bytes that are not UTF-8 are NULL here."""
    note("not verified", "CAST(varbinary AS varchar) of bytes that are not UTF-8 (NULL locally)" if utf8 else
         "CAST(varbinary AS varchar) under a code page 1252 collation (read as UTF-8 locally)")
    text: exp.Expression = call("try", call("decode", value))
    length = to.expressions[0].name if to.expressions else ""
    if length.isdigit():  # varchar(n) holds n bytes; cut at n characters here
        text = exp.Left(this=text, expression=exp.Literal.number(int(length)))
    return text
