"""T-SQL → DuckDB with T-SQL's answers: sqlglot's T-SQL parser, types from ``tsql_types``, and
transforms over the typed tree before DuckDB's generator writes it. No regular expressions over
SQL text: every rule below looks at a node and the types of its operands.

Semantics matched (SQL Server / Synapse, us_english, DATEFIRST 7), each from Microsoft Learn:
- ``/`` and ``%`` of integers truncate toward zero; division by zero fails
  (https://learn.microsoft.com/sql/t-sql/language-elements/divide-transact-sql);
  decimal division has the precision and scale of
  https://learn.microsoft.com/sql/t-sql/data-types/precision-scale-and-length-transact-sql
- ``+`` concatenates text; otherwise text converts to the number by data type precedence
  (https://learn.microsoft.com/sql/t-sql/data-types/data-type-precedence-transact-sql)
- CAST/CONVERT of decimal or float to int truncates; text that is not an integer fails; text cast
  to a shorter char type is cut (https://learn.microsoft.com/sql/t-sql/functions/cast-and-convert-transact-sql)
- ROUND(x, n, f≠0) truncates; AVG/SUM of integers stay integers (truncating), AVG of decimal(p,s)
  is decimal(38, max(s,6)) (https://learn.microsoft.com/sql/t-sql/functions/avg-transact-sql)
- text, collation and dates: see ``tsql_rules`` (``=``, GROUP BY, DISTINCT and joins are
  case-insensitive through the connection's or the column's collation); CONVERT styles with a
  fixed layout (20/23/101-105/108/110-112/120/126), others refused.
- NULLs are the smallest value (sqlglot writes NULLS FIRST for ascending keys).
What cannot be matched is refused (``WarehouseError``) or noted as not verified locally.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from lakewharf.local.tsql_antijoin import anti_joins
from lakewharf.local.tsql_casts import binary_text, text_to
from lakewharf.local.tsql_json import JsonRules
from lakewharf.local.tsql_rowsets import STAND_IN, Resolver, Rowset, declared, lift, replace
from lakewharf.local.tsql_rules import Note, TextAndDateRules, call, date_text, numeric, text_evident, typed
from lakewharf.local.tsql_staging import read_through
from lakewharf.local.tsql_types import (
    BINARY,
    DATES,
    DECIMALS,
    FLOATS,
    INTEGERS,
    TEXT,
    Schema,
    annotate,
    decimal_ps,
    is_type,
    known,
    restore_spelling,
    type_of,
)
from lakewharf.local.warehouse import WarehouseError
from lakewharf.model.type_map import TSQL_TO_DUCKDB

_T = exp.DataType.Type
# CONVERT styles with a fixed, language-independent layout (the styles table of CAST and CONVERT).
_DATE_FORMATS = {23: "%Y-%m-%d", 101: "%m/%d/%Y", 102: "%Y.%m.%d", 103: "%d/%m/%Y", 104: "%d.%m.%Y",
                 105: "%d-%m-%Y", 108: "%H:%M:%S", 110: "%m-%d-%Y", 111: "%Y/%m/%d", 112: "%Y%m%d",
                 20: "%Y-%m-%d %H:%M:%S", 120: "%Y-%m-%d %H:%M:%S", 126: "%Y-%m-%dT%H:%M:%S"}
_ISO_STYLES = (20, 23, 120, 126)  # read back by a plain cast


def translate(tsql: str, *, schema: Schema | None = None, case_insensitive: bool = True,
              note: Note | None = None, rowsets: Resolver | None = None, tables: dict[str, str] | None = None) -> str:
    """T-SQL statement(s) as DuckDB SQL with T-SQL's semantics (see the module docstring);
    ``rowsets`` places each OPENROWSET's files (``tsql_rowsets``), which are refused without it;
    ``tables`` reads each table named there (schema.table, lower case) through its SELECT
    (``tsql_staging``)."""
    lifted: tuple[Rowset, ...] = ()
    if "OPENROWSET" in tsql.upper() and rowsets is not None:
        tsql, lifted = lift(tsql)
        declared_rowsets = {f"{STAND_IN}{i}": declared(r, _Rewriter._duck_type) for i, r in enumerate(lifted)}
        schema = {**(schema or {}), "main": {**(schema or {}).get("main", {}), **declared_rowsets}}
    try:
        trees = [t for t in sqlglot.parse(tsql, read="tsql") if t is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise WarehouseError(f"cannot translate to DuckDB: {str(exc).splitlines()[0]}\n  in: {tsql[:300]}") from None
    out = []
    for tree in trees:
        tree = annotate(tree, schema)
        _Rewriter(case_insensitive, _once(note)).run(tree)
        anti_joins(tree)
        restore_spelling(tree)
        if lifted and rowsets is not None:
            replace(tree, lifted, rowsets, _Rewriter._duck_type)
        stand_ins = read_through(tree, tables) if tables else {}
        text = tree.sql(dialect="duckdb")
        for placeholder, select in stand_ins.items():
            text = text.replace(placeholder, select)
        out.append(text)
    return ";\n".join(out)


def _once(note: Note | None) -> Note:
    """``note`` once per statement for each thing noted: a note counts statements, not places."""
    seen: set[tuple[str, str]] = set()

    def once(kind: str, what: str) -> None:
        if note is not None and (kind, what) not in seen:
            seen.add((kind, what))
            note(kind, what)

    return once


def _nonzero_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and float(node.name) != 0


def _checked_divisor(op: exp.Expression, divisor: exp.Expression) -> exp.Expression:
    """``op`` unless ``divisor`` is 0, which fails as T-SQL's "Divide by zero error encountered"."""
    if _nonzero_literal(divisor):
        return op
    zero = exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0))
    return exp.Case().when(zero, call("error", exp.Literal.string("Divide by zero error encountered."))).else_(op)


def _fit(precision: int, scale: int) -> tuple[int, int]:
    """T-SQL's reduction of a result beyond 38 digits: the integral part wins, scale stays >= 6."""
    if precision <= 38:
        return precision, scale
    integral = precision - scale
    scale = min(scale, 38 - integral) if integral < 32 else min(scale, 6)
    return 38, max(scale, 0)


class _Rewriter(TextAndDateRules, JsonRules):
    def __init__(self, case_insensitive: bool, note: Note) -> None:
        self.ci = case_insensitive
        self.note = note

    def run(self, tree: exp.Expression) -> None:
        for node in reversed(list(tree.walk())):  # children before parents
            handler = getattr(self, f"_{type(node).__name__.lower()}", None)
            if handler is None:
                continue
            replacement = handler(node)
            if replacement is not None and replacement is not node and node.parent is not None:
                node.replace(replacement)

    def _table(self, node: exp.Table) -> exp.Expression | None:
        """``OPENJSON(@json) WITH (col type '$.path', …) AS j`` (an array of objects, as the
        dedicated pool reads a Script parameter) → a derived table unnesting the JSON array."""
        fn = node.this
        if not isinstance(fn, exp.OpenJSON) or fn.args.get("path") or not fn.expressions:
            return None
        array = exp.cast(call("json_extract", exp.cast(fn.this, "JSON"), exp.Literal.string("$[*]")), "JSON[]")
        columns = [exp.alias_(exp.cast(call("json_extract_string", exp.column("v"), c.args.get("path")
                                            or exp.Literal.string(f"$.{c.name}")), self._duck_type(c.args["kind"])),
                              c.name, quoted=True) for c in fn.expressions]
        rows = exp.select(exp.alias_(exp.Unnest(expressions=[array]), "v")).subquery("o")
        self.note("rewritten", "OPENJSON (DuckDB JSON functions)")
        return exp.select(*columns).from_(rows).subquery(node.alias or "j")

    # --- arithmetic --------------------------------------------------------------------------------

    def _div(self, node: exp.Div) -> exp.Expression | None:
        a, b = node.this, node.expression
        if is_type(a, INTEGERS) and is_type(b, INTEGERS):
            wider = type_of(a) if type_of(a).this == _T.BIGINT else type_of(b)
            return typed(_checked_divisor(exp.IntDiv(this=a, expression=b), b), wider)
        pa, pb = decimal_ps(a), decimal_ps(b)
        if pa and pb and (is_type(a, DECIMALS) or is_type(b, DECIMALS) or "." in a.sql() + b.sql()):
            (p1, s1), (p2, s2) = pa, pb
            scale = max(6, s1 + p2 + 1)
            precision, scale = _fit(p1 - s1 + s2 + scale, scale)
            quotient = exp.Div(this=exp.Cast(this=a, to=exp.DataType.build("DOUBLE")), expression=b)
            # T-SQL cuts the quotient at the result's scale (2.0 / 3 = 0.666666).
            cut = call("trunc", quotient, exp.Literal.number(scale))
            result = exp.Cast(this=cut, to=exp.DataType.build(f"DECIMAL({precision}, {scale})"))
            return typed(_checked_divisor(result, b), result.to)
        if numeric(a) and numeric(b):
            node.set("typed", False)
            return _checked_divisor(node, b)
        self.note("not verified", "division of operands of unknown type (T-SQL truncates integers)")
        return None

    def _mod(self, node: exp.Mod) -> exp.Expression | None:
        if numeric(node.this) and numeric(node.expression):
            return typed(_checked_divisor(node.copy(), node.expression), type_of(node))
        return None

    def _add(self, node: exp.Add) -> exp.Expression | None:
        a, b = node.this, node.expression
        if (text_evident(a) and text_evident(b)) or ((text_evident(a) or text_evident(b)) and not (
                numeric(a) or numeric(b))):
            return typed(exp.DPipe(this=a, expression=b), "VARCHAR")  # NULL + text is NULL, as ||
        return self._arithmetic(node)

    def _arithmetic(self, node: exp.Binary) -> exp.Expression | None:
        """Text beside a number becomes that number's type (int outranks varchar: ``1 + '1'`` = 2)."""
        for side, other in (("this", node.expression), ("expression", node.this)):
            operand = node.args[side]
            if text_evident(operand) and numeric(other):
                target = type_of(other) if known(other) else exp.DataType.build("INT")
                if target.this in INTEGERS:  # '2.7' fails, '' is 0 (tsql_casts)
                    node.set(side, typed(text_to(operand, target, safe=False, note=self.note) or operand, target))
                else:
                    node.set(side, exp.Cast(this=operand, to=target))
        return None

    _sub = _arithmetic

    def _mul(self, node: exp.Mul) -> exp.Expression | None:
        """Decimal products past 38 digits get T-SQL's reduced scale (DuckDB refuses them)."""
        self._arithmetic(node)
        a, b = node.this, node.expression
        pa, pb = decimal_ps(a), decimal_ps(b)
        if not (pa and pb and (is_type(a, DECIMALS) or is_type(b, DECIMALS))) or pa[0] + pb[0] + 1 <= 38:
            return None
        precision, scale = _fit(pa[0] + pb[0] + 1, pa[1] + pb[1])
        product = exp.Mul(this=exp.Cast(this=a, to=exp.DataType.build("DOUBLE")), expression=b)
        kind = exp.DataType.build(f"DECIMAL({precision}, {scale})")
        return typed(exp.Cast(this=call("round", product, exp.Literal.number(scale)), to=kind), kind)

    # --- conversions -------------------------------------------------------------------------------

    def _cast(self, node: exp.Cast) -> exp.Expression | None:
        return self._convert_to(node.this, node.to, safe=isinstance(node, exp.TryCast), node=node)

    _trycast = _cast

    def _convert_to(self, value: exp.Expression, to: exp.DataType, *, safe: bool,
                    node: exp.Expression | None = None) -> exp.Expression | None:
        to = self._duck_type(to)
        kind = exp.TryCast if safe else exp.Cast
        if to.is_type(*exp.DataType.TEMPORAL_TYPES) and node is not None:
            node.set("this", date_text(value))
        if to.this in INTEGERS and (is_type(value, (*DECIMALS, *FLOATS)) or (
                isinstance(value, exp.Literal) and "." in value.name and not value.is_string)):
            return typed(kind(this=call("trunc", value), to=to), to)  # T-SQL truncates, DuckDB rounds
        if is_type(value, TEXT) or (isinstance(value, exp.Literal) and value.is_string):
            converted = text_to(value, to, safe=safe, note=self.note)  # numbers, bit and dates (tsql_casts)
            if converted is not None:
                return typed(converted, to)
        if is_type(value, BINARY) and to.this in (_T.VARCHAR, _T.CHAR):
            return typed(binary_text(value, to, utf8=not self.ci, note=self.note), to)  # ci: the warehouse
        if to.this in TEXT and to.expressions and (is_type(value, TEXT) or isinstance(value, exp.Literal)):
            length = to.expressions[0].name
            if length.isdigit():  # text into a shorter char type is cut, without an error
                plain = exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
                return typed(exp.Left(this=plain, expression=exp.Literal.number(int(length))), to)
        if node is None:
            return typed(kind(this=value, to=to), to)
        node.set("to", to)
        return None

    @staticmethod
    def _duck_type(to: exp.DataType) -> exp.DataType:
        # T-SQL FLOAT is 8 bytes unless FLOAT(1-24); BIT is a boolean (DuckDB's BIT is a bit string).
        name = to.this.value
        size = to.expressions[0].name if to.expressions else ""
        if name == "DECIMAL" and not to.expressions:  # T-SQL's default is decimal(18, 0), DuckDB's (18, 3)
            return exp.DataType.build("DECIMAL(18, 0)")
        if name in TSQL_TO_DUCKDB and not (name == "FLOAT" and size.isdigit() and int(size) <= 24):
            return exp.DataType.build(TSQL_TO_DUCKDB[name])
        return to

    def _convert(self, node: exp.Convert) -> exp.Expression | None:
        style, value, to = node.args.get("style"), node.expression, node.this
        if style is None:
            return self._convert_to(value, to, safe=bool(node.args.get("safe")))
        code = int(style.name) if style.name.isdigit() else -1
        if isinstance(value, exp.SHA2) and code == 2:
            return value  # hex text of a hash: DuckDB's SHA256 already returns lowercase hex
        if code not in _DATE_FORMATS:
            raise WarehouseError(f"CONVERT style {style.name} is not translated for the local warehouse "
                                 f"(styles {', '.join(map(str, sorted(_DATE_FORMATS)))} are): {node.sql('tsql')}")
        if to.is_type(*exp.DataType.TEMPORAL_TYPES):
            parsed = value if code in _ISO_STYLES else call("strptime", value, exp.Literal.string(_DATE_FORMATS[code]))
            return typed(exp.Cast(this=parsed, to=self._duck_type(to)), to)
        fmt = _DATE_FORMATS[code]
        text: exp.Expression = call("strftime", value, exp.Literal.string(fmt))
        if code == 126 and not is_type(value, DATES):  # milliseconds, left out when they are 0
            millis = call("strftime", value.copy(), exp.Literal.string(fmt + ".%g"))
            within = exp.Mod(this=call("microsecond", value.copy()), expression=exp.Literal.number(1000000))
            zero = exp.LT(this=within, expression=exp.Literal.number(1000))
            text = exp.Case().when(zero, text).else_(millis)
        length = to.expressions[0].name if to.expressions else ""
        if length.isdigit():
            text = exp.Left(this=text, expression=exp.Literal.number(int(length)))
        return typed(text, "VARCHAR")

    def _round(self, node: exp.Round) -> exp.Expression | None:
        truncate = node.args.get("truncate")
        if truncate is not None and not (isinstance(truncate, exp.Literal) and truncate.name == "0"):
            return typed(call("trunc", node.this, node.args.get("decimals") or exp.Literal.number(0)),
                          type_of(node.this))
        node.set("truncate", None)
        return None  # DuckDB rounds half away from zero, as T-SQL does

    # --- aggregates --------------------------------------------------------------------------------

    def _aggregate_result(self, node: exp.Expression, wrap: Callable[[exp.Expression], exp.Expression]) -> None:
        target = node.parent if isinstance(node.parent, exp.Window) else node
        target.replace(wrap(target.copy()))

    def _avg(self, node: exp.Avg) -> None:
        arg = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
        if is_type(arg, INTEGERS):
            kind = "BIGINT" if type_of(arg).this == _T.BIGINT else "INT"
            self._aggregate_result(node, lambda e: typed(exp.Cast(this=call("trunc", e), to=exp.DataType.build(kind)),
                                                          kind))
        elif is_type(arg, DECIMALS) and (ps := decimal_ps(arg)):
            kind = f"DECIMAL(38, {max(ps[1], 6)})"
            self._aggregate_result(node, lambda e: typed(exp.Cast(this=e, to=exp.DataType.build(kind)), kind))

    def _sum(self, node: exp.Sum) -> None:
        arg = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
        if is_type(arg, INTEGERS):  # int stays int, so an overflow fails as in T-SQL
            kind = "BIGINT" if type_of(arg).this == _T.BIGINT else "INT"
            self._aggregate_result(node, lambda e: typed(exp.Cast(this=e, to=exp.DataType.build(kind)), kind))

    def _count(self, node: exp.Count) -> None:
        if isinstance(node.this, exp.Distinct):  # DuckDB's DISTINCT aggregates ignore the collation
            node.this.set("expressions", [self._comparable(e) if text_evident(e) else e
                                          for e in node.this.expressions])

    # --- statements --------------------------------------------------------------------------------

    def _limit(self, node: exp.Limit) -> None:
        options = node.args.get("limit_options")
        if options is not None and (options.args.get("with_ties") or options.args.get("percent")):
            raise WarehouseError(f"TOP ... WITH TIES / PERCENT is not translated for the local warehouse: "
                                 f"{node.parent.sql('tsql')[:200] if node.parent else ''}")

    def _join(self, node: exp.Join) -> exp.Expression | None:
        """CROSS/OUTER APPLY: a join to a derived table, which DuckDB makes lateral when it reads
        the columns before it (sqlglot writes a LATERAL join without the condition DuckDB wants)."""
        lateral = node.this
        if not isinstance(lateral, exp.Lateral) or not isinstance(lateral.this, exp.Subquery):
            return None
        derived = lateral.this.copy()
        if lateral.args.get("alias") is not None:
            derived.set("alias", lateral.args["alias"].copy())
        if lateral.args.get("cross_apply"):
            return exp.Join(this=derived, kind="CROSS")
        return exp.Join(this=derived, side="LEFT", on=exp.true())

    def _merge(self, node: exp.Merge) -> None:
        for update in node.find_all(exp.Update):  # DuckDB: MERGE ... UPDATE SET takes bare column names
            for assignment in update.expressions:
                if isinstance(assignment.this, exp.Column):
                    assignment.this.set("table", None)

    def _anonymous(self, node: exp.Anonymous) -> exp.Expression | None:
        if node.name.upper() == "ISJSON":
            return self._isjson(node)
        if node.name.upper() in ("GETUTCDATE", "SYSUTCDATETIME"):  # no sqlglot mapping: UTC, naive
            return sqlglot.parse_one("CAST(NOW() AT TIME ZONE 'UTC' AS TIMESTAMP)", read="duckdb")
        return None

    def _datatype(self, node: exp.DataType) -> exp.Expression | None:
        fixed = self._duck_type(node)
        return fixed if fixed is not node else None

    def _columndef(self, node: exp.ColumnDef) -> None:
        """A declared text length is enforced, as Synapse refuses longer values (trailing spaces
        beyond the length are dropped, not refused). A value's byte count bounds its character
        count, so the CASE decides most rows on the byte count alone and trims only the rare
        value with more bytes than the length: the same rows pass, and the constraint costs a
        quarter of the CPU time of trimming every value (bench/RESULTS.md, 2026-12-02)."""
        kind = node.args.get("kind")
        create = node.find_ancestor(exp.Create)
        if not isinstance(kind, exp.DataType) or create is None or create.args.get("expression") is not None:
            return
        length = kind.expressions[0].name if kind.expressions else ""
        if kind.this in TEXT and length.isdigit():
            limit = exp.Literal.number(int(length))
            trimmed = exp.LTE(this=exp.Length(this=exp.Trim(this=exp.column(node.name), position="TRAILING")),
                              expression=limit)
            in_bytes = exp.LTE(this=exp.Anonymous(this="strlen", expressions=[exp.column(node.name)]),
                               expression=limit.copy())
            check = exp.Case(ifs=[exp.If(this=in_bytes, true=exp.true())], default=trimmed)
            node.append("constraints", exp.ColumnConstraint(kind=exp.CheckColumnConstraint(this=check)))
            self.note("rewritten", "text lengths enforced as CHECK constraints")


def friendly_error(message: str) -> str:
    """DuckDB's error for a broken text-length CHECK, as Synapse words it."""
    import re

    m = re.search(r"CHECK constraint failed on table (\S+) with expression CHECK\(.*?\blength\(rtrim\((\w+)\)\)",
                  message)
    if m:
        return (f"String or binary data would be truncated in table '{m.group(1)}', column '{m.group(2)}' "
                "(a value is longer than the column's declared length)")
    return message
