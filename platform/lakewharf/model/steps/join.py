"""``join: {with: dataset | source.entity, on: {left: right}, columns: [...], how: left | inner}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import COLUMN_LIST, COLUMN_NAME, Columns, ColumnsOf, Step, StepError, need
from lakewharf.model.types import Privacy

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql


@dataclass(frozen=True, kw_only=True)
class Join(Step):
    op = "join"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"with": {"$ref": "common.schema.json#/$defs/dotted_ref"},
                       "on": {"type": "object", "propertyNames": COLUMN_NAME, "additionalProperties": COLUMN_NAME,
                              "minProperties": 1},
                       "columns": COLUMN_LIST, "how": {"enum": ["left", "inner"]}},
        "additionalProperties": False, "required": ["with", "on", "columns"]}

    other: str  # YAML ``with``: a dataset or a source entity (source.entity)
    on: Mapping[str, str]  # left column → right column
    columns_taken: tuple[str, ...]  # YAML ``columns``: the right side's columns added
    how: Literal["left", "inner"] = "left"

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(other=args["with"], on=dict(args["on"]), columns_taken=tuple(args["columns"]),
                   how=args.get("how", "left"), origin=origin)

    def reads(self) -> tuple[str, ...]:
        return (self.other,)

    def _right(self, columns_of: ColumnsOf) -> dict[str, Column]:
        other = columns_of(self.other)
        if other is None:
            raise StepError(self.origin.at("with"), f"unknown dataset or source entity {self.other!r}")
        return {c.name: c for c in other}

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        right = self._right(columns_of)
        out = dict(before)
        for left, right_name in self.on.items():
            need(before, left, self.origin.at("on", left))
            need(right, right_name, self.origin.at("on", left))
        for i, name in enumerate(self.columns_taken):
            where = self.origin.at("columns", i)
            col = need(right, name, where)
            if name in before:
                raise StepError(where, f"column {name!r} already exists on the left side",
                                "add a rename step before the join")
            # A left join leaves the right side's columns empty where nothing matches.
            nullable = col.nullable or self.how == "left"
            out[name] = replace(col, nullable=nullable, primary_key=False, origin=where)
        return out

    def privacy(self, name: str, before: Columns, columns_of: ColumnsOf) -> Privacy:
        if name in self.columns_taken:  # what the right side's column reveals (``replace`` keeps it)
            return self._right(columns_of)[name].privacy
        return super().privacy(name, before, columns_of)

    def derives_from(self, name: str, before: Columns) -> tuple[tuple[str | None, str], ...]:
        if name in self.columns_taken:
            return ((self.other, name),)
        return super().derives_from(name, before)

    def treatment(self, name: str) -> str:
        return f"{self.how} join with {self.other}" if name in self.columns_taken else ""

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col

        on = exp.and_(*(exp.EQ(this=col(left, "p"), expression=col(right, "r")) for left, right in self.on.items()))
        query = exp.select(*(col(n, "p") for n in ctx.names), *(col(c, "r") for c in self.columns_taken)).from_(
            exp.alias_(exp.to_table(chain.last), "p", table=True))
        query = query.join(exp.alias_(ctx.table_of(self.other), "r", table=True), on=on, join_type=self.how)
        chain.add(query)
