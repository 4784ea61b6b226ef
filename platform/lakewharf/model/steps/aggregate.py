"""``aggregate: {group_by: [...], measures: {name: {fn, column}}}``: one row per group."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import COLUMN_LIST, COLUMN_NAME, Columns, ColumnsOf, Step, StepError, need
from lakewharf.model.types import DataType, Privacy

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql

_BIGINT, _DOUBLE = DataType.parse("bigint"), DataType.parse("double")
Function = Literal["count", "count_distinct", "sum", "avg", "min", "max"]
FUNCTIONS: tuple[Function, ...] = ("count", "count_distinct", "sum", "avg", "min", "max")


_MEASURE = {"type": "object", "properties": {"fn": {"enum": list(FUNCTIONS)}, "column": COLUMN_NAME},
            "additionalProperties": False, "required": ["fn"]}


@dataclass(frozen=True)
class Measure:
    fn: Function
    column: str | None = None  # None: count rows


@dataclass(frozen=True, kw_only=True)
class Aggregate(Step):
    op = "aggregate"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"group_by": COLUMN_LIST,
                       "measures": {"type": "object", "propertyNames": COLUMN_NAME,
                                    "additionalProperties": _MEASURE, "minProperties": 1}},
        "additionalProperties": False, "required": ["group_by", "measures"]}
    keeps_loaded_at = False  # a group has no one load time

    group_by: tuple[str, ...]
    measures: Mapping[str, Measure]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(group_by=tuple(args["group_by"]),
                   measures={n: Measure(m["fn"], m.get("column")) for n, m in args["measures"].items()},
                   origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        out = {g: need(before, g, self.origin.at("group_by", i)) for i, g in enumerate(self.group_by)}
        for name, m in self.measures.items():
            where = self.origin.at("measures", name)
            if name in out:
                raise StepError(where, f"measure {name!r} has the name of a group-by column", key=True)
            if m.column is None:
                if m.fn != "count":
                    raise StepError(where, f"{m.fn} needs a column")
                out[name] = Column(name, _BIGINT, nullable=False, origin=where)
                continue
            src = need(before, m.column, where.at("column"))
            privacy = self.privacy(name, before, columns_of)
            if m.fn in ("count", "count_distinct"):
                out[name] = Column(name, _BIGINT, nullable=False, origin=where)
            elif m.fn in ("sum", "avg") and not src.type.is_numeric:
                raise StepError(where, f"{m.fn} needs a numeric column; {m.column} is {src.type}")
            elif m.fn == "sum":
                t = src.type
                t = _BIGINT if t.base in ("smallint", "int", "bigint") else (
                    DataType("decimal", precision=38, scale=t.scale) if t.base == "decimal" else _DOUBLE)
                out[name] = Column(name, t, privacy=privacy, origin=where)
            elif m.fn == "avg":
                out[name] = Column(name, _DOUBLE, privacy=privacy, origin=where)
            else:
                out[name] = replace(src, name=name, primary_key=False, privacy=privacy, origin=where)
        return out

    def privacy(self, name: str, before: Columns, columns_of: ColumnsOf) -> Privacy:
        m = self.measures.get(name)
        if m is None:
            return super().privacy(name, before, columns_of)
        if m.column is None or m.fn in ("count", "count_distinct"):
            return Privacy.NONE  # a count says how many, not what
        # A sum or an average of one person's values reveals them; min and max reveal a real value.
        return before[m.column].privacy

    def derives_from(self, name: str, before: Columns) -> tuple[tuple[str | None, str], ...]:
        m = self.measures.get(name)
        if m is None:
            return super().derives_from(name, before)
        return ((None, m.column),) if m.column and m.column in before else ()

    def treatment(self, name: str) -> str:
        m = self.measures.get(name)
        if m is None:
            return "group by" if name in self.group_by else ""
        return f"{m.fn}({m.column or '*'})"

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col, select

        measures = []
        for name, m in self.measures.items():
            target = col(m.column) if m.column is not None else exp.Star()
            fn = {"count": exp.Count(this=target),
                  "count_distinct": exp.Count(this=exp.Distinct(expressions=[target])),
                  "sum": exp.Sum(this=target), "avg": exp.Avg(this=target), "min": exp.Min(this=target),
                  "max": exp.Max(this=target)}[m.fn]
            measures.append(exp.alias_(fn, name))
        chain.add(select([*(col(g) for g in self.group_by), *measures], chain.last).group_by(
            *(col(g) for g in self.group_by)))
