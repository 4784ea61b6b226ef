"""``rename: {old: new}``: the same columns under new names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import COLUMN_NAME, Columns, ColumnsOf, Step, StepError, need, per_column
from lakewharf.model.types import Privacy

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True, kw_only=True)
class Rename(Step):
    op = "rename"
    schema: ClassVar[dict[str, Any]] = per_column(COLUMN_NAME)

    names: Mapping[str, str]  # old → new

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(names=dict(args), origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        out = dict(before)
        for old, new in self.names.items():
            col = need(before, old, self.origin.at(old))
            if new in out and new != old:
                raise StepError(self.origin.at(old), f"column {new!r} already exists")
            # Rebuilt rather than popped and re-added, so the column keeps its place.
            out = {(new if k == old else k): (replace(col, name=new) if k == old else v) for k, v in out.items()}
        return out

    def privacy(self, name: str, before: Columns, columns_of: ColumnsOf) -> Privacy:
        old = next((o for o, n in self.names.items() if n == name), name)
        return before[old].privacy

    def derives_from(self, name: str, before: Columns) -> tuple[tuple[str | None, str], ...]:
        old = next((o for o, n in self.names.items() if n == name), name)
        return ((None, old),) if old in before else ()

    def treatment(self, name: str) -> str:
        old = next((o for o, n in self.names.items() if n == name and o != n), None)
        return f"renamed from {old}" if old else ""

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col, select

        renamed = [exp.alias_(col(n), self.names[n], copy=False) if n in self.names else col(n) for n in ctx.names]
        chain.add(select(renamed, chain.last))
