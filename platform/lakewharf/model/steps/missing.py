"""``missing: {column: reject | drop_row | {fill: value}}``: what to do with NULLs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import Columns, ColumnsOf, Step, StepError, need, per_column

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True)
class Fill:
    """Replace a missing value by ``value`` (kept as YAML gave it: its SQL literal follows its type)."""

    value: str | int | float | bool


MissingRule = Literal["reject", "drop_row"] | Fill


@dataclass(frozen=True, kw_only=True)
class Missing(Step):
    op = "missing"
    schema: ClassVar[dict[str, Any]] = per_column({"anyOf": [
        {"enum": ["reject", "drop_row"]},
        {"type": "object", "properties": {"fill": {"type": ["string", "number", "boolean"]}},
         "additionalProperties": False, "required": ["fill"]},
    ]})

    rules: Mapping[str, MissingRule]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(rules={c: Fill(r["fill"]) if isinstance(r, dict) else r for c, r in args.items()}, origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        out = dict(before)
        for name, rule in self.rules.items():
            col = need(before, name, self.origin.at(name))
            if isinstance(rule, Fill):
                self._check_fill(col, rule.value)
            out[name] = replace(col, nullable=False)
        return out

    def _check_fill(self, col: Column, fill: str | int | float | bool) -> None:
        where, name = self.origin.at(col.name, "fill"), col.name
        if col.type.is_numeric and (isinstance(fill, bool) or not isinstance(fill, int | float)):
            raise StepError(where, f"{name} is {col.type}; fill it with a number")
        if col.type.base == "boolean" and not isinstance(fill, bool):
            raise StepError(where, f"{name} is boolean; fill it with true or false")
        if col.type.base == "string" and col.type.length is not None and len(str(fill)) > col.type.length:
            # Synapse's CAST would cut the value short without a word; DuckDB would keep it.
            raise StepError(where, f"fill value {str(fill)!r} has {len(str(fill))} characters; {name} is {col.type}",
                            f"use at most {col.type.length} characters, or widen the column")

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col, is_null, literal, not_null, select

        rejected = [(is_null(col(c)), f"missing:{c}") for c, r in self.rules.items() if r == "reject"]
        if rejected:
            chain.rejecting(ctx.label, ctx.names, rejected)
        dropped = [not_null(col(c)) for c, r in self.rules.items() if r == "drop_row"]
        filled = []
        for n in ctx.names:
            rule = self.rules.get(n)
            filled.append(exp.alias_(exp.Coalesce(this=col(n), expressions=[literal(rule.value)]), n, copy=False)
                          if isinstance(rule, Fill) else col(n))
        chain.add(select(filled, chain.last, exp.and_(*dropped) if dropped else None))
