"""``filter: "<T-SQL boolean expression>"``: rows failing it are dropped (not rejected)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import Columns, ColumnsOf, Step, expression_columns, need

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True, kw_only=True)
class Filter(Step):
    op = "filter"
    schema: ClassVar[dict[str, Any]] = {
        "type": "string", "minLength": 1, "description": "A T-SQL boolean expression; rows failing it are dropped."}

    condition: str

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(condition=args, origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        for name in sorted(expression_columns(self.condition, self.origin)):
            need(before, name, self.origin)
        return dict(before)

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from lakewharf.model.steps.sqltree import col, parse, select

        chain.add(select([col(n) for n in ctx.names], chain.last, parse(self.condition)))
