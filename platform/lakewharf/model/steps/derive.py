"""``derive: {column: {expr, type, privacy}}``: new columns computed from an expression."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import (
    DATA_TYPE,
    Columns,
    ColumnsOf,
    Step,
    StepError,
    expression_columns,
    need,
    parse_type,
    per_column,
)
from lakewharf.model.types import Privacy

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True)
class Derived:
    expr: str  # T-SQL
    type: str  # as written; parsed by ``columns``
    privacy: str | None = None  # None: the most private of the columns it reads


@dataclass(frozen=True, kw_only=True)
class Derive(Step):
    op = "derive"
    schema: ClassVar[dict[str, Any]] = per_column({
        "type": "object",
        "properties": {"expr": {"type": "string", "minLength": 1}, "type": DATA_TYPE,
                       "privacy": {"$ref": "common.schema.json#/$defs/privacy"}},
        "additionalProperties": False, "required": ["expr", "type"]})

    derived: Mapping[str, Derived]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(derived={n: Derived(s["expr"], s["type"], s.get("privacy")) for n, s in args.items()},
                   origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        out = dict(before)
        for name, spec in self.derived.items():
            where = self.origin.at(name)
            if name in before:
                raise StepError(where, f"column {name!r} already exists", "rename it or cast the existing column",
                                key=True)
            for c in sorted(expression_columns(spec.expr, where.at("expr"))):
                need(before, c, where.at("expr"))
            out[name] = Column(name, parse_type(spec.type, where.at("type")),
                               privacy=self.privacy(name, before, columns_of), origin=where)
        return out

    def privacy(self, name: str, before: Columns, columns_of: ColumnsOf) -> Privacy:
        spec = self.derived.get(name)
        if spec is None:
            return super().privacy(name, before, columns_of)
        if spec.privacy is not None:  # stated by the author, e.g. a birth year generalised from a date
            return Privacy.parse(spec.privacy)
        # A computed value can reveal what it is computed from.
        read = expression_columns(spec.expr, self.origin.at(name, "expr"))
        return max((before[c].privacy for c in read), default=Privacy.NONE)

    def derives_from(self, name: str, before: Columns) -> tuple[tuple[str | None, str], ...]:
        spec = self.derived.get(name)
        if spec is None:
            return super().derives_from(name, before)
        read = expression_columns(spec.expr, self.origin.at(name, "expr"))
        return tuple((None, c) for c in sorted(read) if c in before)

    def treatment(self, name: str) -> str:
        spec = self.derived.get(name)
        return f"derived: {spec.expr}" if spec else ""

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col, parse, select, sql_type

        extra = [exp.alias_(exp.Cast(this=parse(spec.expr), to=sql_type(ctx.after[n].type)), n, copy=False)
                 for n, spec in self.derived.items()]
        chain.add(select([*(col(n) for n in ctx.names), *extra], chain.last))
