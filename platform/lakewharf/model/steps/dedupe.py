"""``dedupe: {keys: [...], latest_by: column}``: one row per key, the newest one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import COLUMN_LIST, COLUMN_NAME, Columns, ColumnsOf, Step, need

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True, kw_only=True)
class Dedupe(Step):
    op = "dedupe"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object", "properties": {"keys": COLUMN_LIST, "latest_by": COLUMN_NAME},
        "additionalProperties": False, "required": ["keys"]}

    keys: tuple[str, ...]
    latest_by: str | None = None  # without it, the latest load wins (or any row, past a landing)

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(keys=tuple(args["keys"]), latest_by=args.get("latest_by"), origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        for i, k in enumerate(self.keys):
            need(before, k, self.origin.at("keys", i))
        if self.latest_by is not None:
            need(before, self.latest_by, self.origin.at("latest_by"))
        return dict(before)

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.lake import LOADED_AT
        from lakewharf.model.steps.sqltree import col, literal, select

        order = [exp.Ordered(this=col(self.latest_by), desc=True)] if self.latest_by is not None else []
        if ctx.has_loaded_at:
            order.append(exp.Ordered(this=col(LOADED_AT), desc=True))
        # Neither: ROW_NUMBER needs an order; any row of the key is as good as another.
        order = order or [exp.Ordered(this=col(k)) for k in self.keys]
        rn = exp.Window(this=exp.RowNumber(), partition_by=[col(k) for k in self.keys],
                        order=exp.Order(expressions=order))
        ranked = chain.add(select([*(col(n) for n in ctx.names), exp.alias_(rn, "_rn", copy=False)], chain.last))
        chain.add(select([col(n) for n in ctx.names], ranked, exp.EQ(this=col("_rn"), expression=literal(1))))
