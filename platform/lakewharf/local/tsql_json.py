"""JSON functions of the T-SQL → DuckDB translation (``tsql_duckdb`` mixes these handlers in).

- ``ISJSON(x)`` is 1 for a valid JSON object or array, 0 for anything else (scalars too), NULL for
  NULL (https://learn.microsoft.com/sql/t-sql/functions/isjson-transact-sql). DuckDB's
  ``json_valid`` also takes scalars, trailing commas (``[1,]``) and NaN/Infinity, which RFC 8259
  and T-SQL refuse: those are checked apart, on the text with its strings blanked.
- ``JSON_VALUE(x, path)`` is the scalar at ``path`` as nvarchar(4000); in lax mode (the default)
  a path that is missing, an object or an array, or a value over 4,000 characters gives NULL
  (https://learn.microsoft.com/sql/t-sql/functions/json-value-transact-sql); text that is not
  JSON fails, as DuckDB's JSON functions fail. T-SQL's ``$."key"`` paths are DuckDB's too.
  Strict mode is not translated (refused).
  One difference remains, noted as not verified locally: DuckDB's JSON reader re-spells numbers
  with a fraction or an exponent (``1.50`` → ``1.5``, ``1e2`` → ``100.0``), where JSON_VALUE
  returns the text as written: the same value once cast to a float, an integer or a bit (``'1.0'``
  and ``'1e2'`` are no integers either way), other text in a text column, and a decimal where
  T-SQL refuses an exponent.
"""

from __future__ import annotations

from sqlglot import exp

from lakewharf.local.tsql_rules import Note, call, typed
from lakewharf.local.warehouse import WarehouseError

_T = exp.DataType.Type
_SAME_VALUE = (_T.FLOAT, _T.DOUBLE, _T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.BIT, _T.BOOLEAN)
_JSON_VALUE_MAX = 4000  # JSON_VALUE returns nvarchar(4000)
_STRING = r'"(?:[^"\\]|\\.)*"'
_LITERALS = r"\b(?:true|false|null)\b"
# Left once strings and true/false/null are blanked, a letter other than an exponent's e (NaN,
# Infinity) or a comma before a closing bracket is what DuckDB's reader takes and RFC 8259 does not.
_NOT_RFC = r"[A-DF-Za-df-z]|,\s*[\]}]"


def _s(text: str) -> exp.Expression:
    return exp.Literal.string(text)


class JsonRules:
    """Handlers for ISJSON and JSON_VALUE; ``_Rewriter`` in ``tsql_duckdb`` mixes them in."""

    note: Note

    def _isjson(self, node: exp.Anonymous) -> exp.Expression:
        if len(node.expressions) != 1:  # json_type_constraint (SQL Server 2022; not on Synapse)
            raise WarehouseError(f"ISJSON with a type constraint is not translated locally: {node.sql('tsql')}")
        text = node.expressions[0]
        blanked = call("regexp_replace", call("regexp_replace", text.copy(), _s(_STRING), _s('""'), _s("g")),
                       _s(_LITERALS), _s("0"), _s("g"))
        structured = exp.In(this=call("json_type", text.copy()), expressions=[_s("OBJECT"), _s("ARRAY")])
        rfc = exp.Not(this=call("regexp_matches", blanked, _s(_NOT_RFC)))
        one, zero = exp.Literal.number(1), exp.Literal.number(0)
        # Nested CASEs: DuckDB evaluates a branch only for the rows reaching it, and json_type
        # fails on text that is not JSON.
        valid = exp.Case().when(exp.And(this=structured, expression=rfc), one).else_(zero.copy())
        checked = exp.Case().when(exp.Is(this=text.copy(), expression=exp.Null()), exp.Null()).when(
            exp.Not(this=call("json_valid", text.copy())), zero).else_(valid)
        self.note("rewritten", "ISJSON (DuckDB JSON functions, RFC 8259)")
        return typed(checked, "INT")

    def _jsonextractscalar(self, node: exp.JSONExtractScalar) -> exp.Expression | None:
        if not node.args.get("scalar_only"):  # only T-SQL's JSON_VALUE parses into this form
            return None
        path = node.expression
        if not (isinstance(path, exp.Literal) and path.is_string):
            raise WarehouseError(f"JSON_VALUE with a path that is not a literal is not translated locally: "
                                 f"{node.sql('tsql')[:200]}")
        mode, _, rest = path.name.strip().partition(" ")
        if mode.lower() == "strict":
            raise WarehouseError(f"JSON_VALUE in strict mode is not translated locally: {node.sql('tsql')[:200]}")
        where = _s(rest.strip() if mode.lower() == "lax" else path.name.strip())
        value = call("json_extract_string", node.this.copy(), where)
        kind = call("json_type", node.this.copy(), where.copy())
        scalar = exp.Case().when(exp.In(this=kind, expressions=[_s("OBJECT"), _s("ARRAY")]), exp.Null()).when(
            exp.GT(this=exp.Length(this=value.copy()), expression=exp.Literal.number(_JSON_VALUE_MAX)),
            exp.Null()).else_(value)
        cast = node.parent if isinstance(node.parent, exp.Cast) else None
        if cast is None or not cast.to.is_type(*_SAME_VALUE):  # a float, integer or bit reads the same value
            self.note("not verified", "JSON_VALUE of a number with a fraction or an exponent as text or decimal "
                                      "(DuckDB's JSON reader re-spells it: 1.50 is '1.5', 1e2 is '100.0')")
        return typed(scalar, "VARCHAR")
