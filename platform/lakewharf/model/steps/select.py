"""``select: [column, ...]``: keep these columns, in this order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import COLUMN_LIST, Columns, ColumnsOf, Step, need

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True, kw_only=True)
class Select(Step):
    op = "select"
    schema: ClassVar[dict[str, Any]] = COLUMN_LIST

    names: tuple[str, ...]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(names=tuple(args), origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        return {name: need(before, name, self.origin.at(i)) for i, name in enumerate(self.names)}

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from lakewharf.model.lake import LOADED_AT
        from lakewharf.model.steps.sqltree import col, select

        # The load time is not a catalog column: it stays until the final SELECT drops it.
        chain.add(select([col(n) for n in self.names] + ([col(LOADED_AT)] if ctx.has_loaded_at else []),
                         chain.last))
