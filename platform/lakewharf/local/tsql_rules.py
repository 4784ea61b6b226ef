"""Text, collation and date rules of the T-SQL → DuckDB translation (see ``tsql_duckdb``), and the
small node builders both halves share.

- Under a case-insensitive collation LIKE, CHARINDEX, REPLACE and COUNT(DISTINCT) ignore case;
  ``=`` and LEN ignore trailing spaces under any collation
  (https://learn.microsoft.com/sql/t-sql/functions/len-transact-sql,
  https://learn.microsoft.com/sql/relational-databases/collations/collation-and-unicode-support).
- DATEPART(weekday) is 1 on Sunday (DATEFIRST 7), DATEPART(week) counts Sunday-started weeks from
  January 1, DATEDIFF(week) counts Sundays crossed
  (https://learn.microsoft.com/sql/t-sql/statements/set-datefirst-transact-sql), DATEADD keeps a
  date a date (https://learn.microsoft.com/sql/t-sql/functions/dateadd-transact-sql).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from lakewharf.local.tsql_types import DATES, DECIMALS, FLOATS, INTEGERS, TEXT, is_type, known, type_of

Note = Callable[[str, str], None]
_TEXT_FUNCTIONS = (exp.Concat, exp.Upper, exp.Lower, exp.Trim, exp.Substring, exp.Left, exp.Right, exp.Replace,
                   exp.DPipe)


def call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def typed(node: exp.Expression, kind: str | exp.DataType) -> exp.Expression:
    node.type = exp.DataType.build(kind) if isinstance(kind, str) else kind
    return node


def text_evident(node: exp.Expression) -> bool:
    """Text by type, or evidently text by its syntax when the type is unknown."""
    while isinstance(node, exp.Paren):
        node = node.this
    if is_type(node, TEXT) or isinstance(node, exp.National):
        return True
    if isinstance(node, exp.Literal):
        return bool(node.is_string)
    if known(node):
        return False
    if isinstance(node, _TEXT_FUNCTIONS):
        return True
    if isinstance(node, exp.Cast):
        return bool(node.to.is_type(*exp.DataType.TEXT_TYPES))
    if isinstance(node, exp.Coalesce):
        return any(text_evident(a) for a in [node.this, *node.expressions])
    return False


def numeric(node: exp.Expression) -> bool:
    return is_type(node, (*INTEGERS, *DECIMALS, *FLOATS)) or (isinstance(node, exp.Literal) and not node.is_string)


def date_text(node: exp.Expression) -> exp.Expression:
    """A date/time string literal in a spelling DuckDB reads: T-SQL also takes yyyymmdd, m/d/yyyy
    (us_english, DATEFORMAT mdy) and seven fractional digits (datetime2's 100 ns)."""
    import re

    if not (isinstance(node, exp.Literal) and node.is_string):
        return node
    text = node.name.strip()
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})(.*)", text):
        text = f"{m[1]}-{m[2]}-{m[3]}{m[4]}"
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(.*)", text):
        text = f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}{m[4]}"
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # DuckDB keeps microseconds
    return exp.Literal.string(text) if text != node.name else node


class TextAndDateRules:
    """Handlers for text, collation and dates; ``_Rewriter`` in ``tsql_duckdb`` mixes them in."""

    ci: bool
    note: Note

    # --- text and collation ------------------------------------------------------------------------

    def _comparable(self, node: exp.Expression) -> exp.Expression:
        trimmed = typed(exp.Trim(this=node.copy(), position="TRAILING"), type_of(node))
        return typed(exp.Lower(this=trimmed), "VARCHAR") if self.ci else trimmed

    def _padded(self, node: exp.Binary) -> None:
        """Trailing spaces do not count in T-SQL comparisons of text."""
        a, b = node.this, node.expression
        if not (text_evident(a) and text_evident(b)):
            return
        for side in ("this", "expression"):
            operand = node.args[side]
            if isinstance(operand, exp.Literal):
                node.set(side, exp.Literal.string(operand.name.rstrip(" ")))
            else:
                node.set(side, typed(exp.Trim(this=operand, position="TRAILING"), type_of(operand)))

    def _eq(self, node: exp.Binary) -> None:
        self._padded(node)

    _neq = _lt = _lte = _gt = _gte = _eq

    def _like(self, node: exp.Like) -> exp.Expression | None:
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and "[" in pattern.name:
            options = exp.Literal.string("is" if self._case_blind(node.this) else "s")
            return typed(call("regexp_full_match", node.this, exp.Literal.string(_like_regex(pattern.name)),
                                options), "BOOLEAN")
        if self._case_blind(node.this, pattern):
            return exp.ILike(this=node.this, expression=pattern, escape=node.args.get("escape"))
        return None

    def _case_blind(self, *nodes: exp.Expression | None) -> bool:
        """Case-insensitive here: the database collation, unless an operand names a binary/_CS_ one."""
        for node in nodes:
            for collate in node.find_all(exp.Collate) if node is not None else ():
                return collate.expression.name.upper() == "NOCASE"
        return self.ci

    def _strposition(self, node: exp.StrPosition) -> None:
        if self._case_blind(node.this, node.args.get("substr")):
            node.set("this", exp.Lower(this=node.this))
            node.set("substr", exp.Lower(this=node.args["substr"]))

    def _replace(self, node: exp.Replace) -> exp.Expression | None:
        if not self._case_blind(node.this, node.expression):
            return None
        escaped = call("regexp_escape", node.expression)
        replacement = exp.Replace(this=node.args["replacement"], expression=exp.Literal.string("\\"),
                                  replacement=exp.Literal.string("\\\\"))
        return typed(call("regexp_replace", node.this, escaped, replacement, exp.Literal.string("gi")), "VARCHAR")

    def _length(self, node: exp.Length) -> None:
        node.set("this", exp.Trim(this=node.this, position="TRAILING"))  # LEN ignores trailing spaces

    def _collate(self, node: exp.Collate) -> exp.Expression:
        name = node.expression.name.upper()
        return exp.Collate(this=node.this, expression=exp.to_identifier(
            "NOCASE" if "_CI" in name else "binary", quoted="_CI" not in name))

    def _collatecolumnconstraint(self, node: exp.CollateColumnConstraint) -> None:
        """A column's collation: ``*_CI_*`` ones compare without case (NOCASE), others by bytes."""
        name = node.this.name.upper()
        node.set("this", exp.to_identifier("NOCASE" if "_CI" in name else "binary", quoted="_CI" not in name))

    def _national(self, node: exp.National) -> exp.Expression:
        return typed(exp.Literal.string(node.name), "VARCHAR")

    def _union(self, node: exp.SetOperation) -> None:
        if node.args.get("distinct") and self.ci:
            self.note("not verified", "UNION/INTERSECT/EXCEPT de-duplicate text case-sensitively locally")

    _intersect = _except = _union

    # --- dates -------------------------------------------------------------------------------------

    def _extract(self, node: exp.Extract) -> exp.Expression | None:
        part = node.this.name.upper()
        value = node.expression
        if isinstance(value, exp.Literal) and value.is_string:  # T-SQL reads date text as datetime
            value = exp.Cast(this=date_text(value), to=exp.DataType.build("TIMESTAMP"))
            node.set("expression", value)
        if part in ("MILLISECOND", "MICROSECOND"):  # within the second (DuckDB counts the seconds too)
            modulus = 1000 if part == "MILLISECOND" else 1000000
            return typed(exp.Mod(this=call(part.lower(), value), expression=exp.Literal.number(modulus)), "INT")
        if part == "DAYOFWEEK":  # DATEFIRST 7: Sunday is 1 (DuckDB's dayofweek is 0 on Sunday)
            return typed(exp.Add(this=call("dayofweek", value), expression=exp.Literal.number(1)), "INT")
        if part == "WEEK":  # week 1 holds January 1; weeks start on Sunday
            jan1 = call("make_date", call("year", value.copy()), exp.Literal.number(1), exp.Literal.number(1))
            day0 = exp.Sub(this=call("dayofyear", value), expression=exp.Literal.number(1))
            days = exp.Paren(this=exp.Add(this=day0, expression=call("dayofweek", jan1)))
            return typed(exp.Add(this=exp.IntDiv(this=days, expression=exp.Literal.number(7)),
                                  expression=exp.Literal.number(1)), "INT")
        return None

    def _dateadd(self, node: exp.DateAdd) -> exp.Expression | None:
        value, amount = node.this, node.expression
        if is_type(amount, (*DECIMALS, *FLOATS)):
            # the number is truncated to an int
            node.set("expression", exp.Cast(this=call("trunc", amount), to=exp.DataType.build("INT")))
        if isinstance(value, exp.Literal) and value.is_string:
            node.set("this", exp.Cast(this=date_text(value), to=exp.DataType.build("TIMESTAMP")))
        if is_type(value, DATES):  # DATEADD returns the type of its date argument
            return typed(exp.Cast(this=node.copy(), to=exp.DataType.build("DATE")), "DATE")
        return None

    def _datediff(self, node: exp.DateDiff) -> exp.Expression | None:
        unit = node.args.get("unit")
        name = unit.name.upper() if unit is not None else "DAY"
        if name in ("DAYOFYEAR", "Y", "DY"):
            node.set("unit", exp.var("DAY"))
        if name != "WEEK":
            return None

        def sundays(e: exp.Expression) -> exp.Expression:  # weeks since the Sunday before 1970-01-01
            days = call("date_diff", exp.Literal.string("day"), exp.Cast(
                this=exp.Literal.string("1970-01-04"), to=exp.DataType.build("DATE")), exp.Cast(
                this=e, to=exp.DataType.build("DATE")))
            return call("floor", exp.Div(this=days, expression=exp.Literal.number(7.0)))

        return typed(exp.Cast(this=exp.Sub(this=sundays(node.this), expression=sundays(node.expression)),
                               to=exp.DataType.build("INT")), "INT")

    def _timestrtotime(self, node: exp.Expression) -> None:
        node.set("this", date_text(node.this))  # DATEDIFF's, EOMONTH's, YEAR's… date text

    _tsordstodate = _tsordstotime = _timestrtotime


def _like_regex(pattern: str) -> str:
    """A T-SQL LIKE pattern with character classes ([a-c], [^x]) as an RE2 full-match regex."""
    import re

    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 2 if pattern[i + 1:i + 2] == "]" else i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("^") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)
