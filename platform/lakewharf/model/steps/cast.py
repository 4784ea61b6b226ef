"""``cast: {column: type}``: convert columns; rows whose value does not convert are rejected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import DATA_TYPE, Columns, ColumnsOf, Step, need, parse_type, per_column

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True, kw_only=True)
class Cast(Step):
    op = "cast"
    schema: ClassVar[dict[str, Any]] = per_column(DATA_TYPE)

    # Column → type as written; parsed by ``columns`` so a bad type is reported at the step.
    types: Mapping[str, str]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(types=dict(args), origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        out = dict(before)
        for name, type_text in self.types.items():
            need(before, name, self.origin.at(name))
            out[name] = replace(before[name], type=parse_type(type_text, self.origin.at(name)))
        return out

    def treatment(self, name: str) -> str:
        return f"cast to {self.types[name]}" if name in self.types else ""

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col, is_null, not_null, select, sql_type

        def converted(c: str) -> exp.TryCast:
            return exp.TryCast(this=col(c), to=sql_type(ctx.after[c].type))

        # A value that was there and is gone after TRY_CAST did not convert; NULL stays NULL.
        reasons = [(exp.and_(not_null(col(c)), is_null(converted(c))), f"cast:{c}") for c in self.types]
        chain.rejecting(ctx.label, ctx.names, reasons)
        chain.add(select([exp.alias_(converted(n), n, copy=False) if n in self.types else col(n) for n in ctx.names],
                         chain.last))
