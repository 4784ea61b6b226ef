"""``outliers: {column: {min, max} | {iqr: k} | {zscore: k}, action: reject | clip}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import Columns, ColumnsOf, Step, StepError, need, per_column

if TYPE_CHECKING:
    from sqlglot import exp

    from lakewharf.model.steps.sqltree import Chain, StepSql

Number = int | float  # kept as YAML gave it: 3 and 3.0 are different SQL literals


@dataclass(frozen=True)
class Bounds:
    """One column's rule: fixed bounds, or bounds from the column's spread (IQR or z-score)."""

    min: Number | None = None
    max: Number | None = None
    iqr: Number | None = None
    zscore: Number | None = None
    action: Literal["reject", "clip"] = "reject"


_ACTION = {"enum": ["reject", "clip"]}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}


@dataclass(frozen=True, kw_only=True)
class Outliers(Step):
    op = "outliers"
    schema: ClassVar[dict[str, Any]] = per_column({"anyOf": [
        {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"}, "action": _ACTION},
         "additionalProperties": False, "minProperties": 1},
        {"type": "object", "properties": {"iqr": _POSITIVE, "action": _ACTION},
         "additionalProperties": False, "required": ["iqr"]},
        {"type": "object", "properties": {"zscore": _POSITIVE, "action": _ACTION},
         "additionalProperties": False, "required": ["zscore"]},
    ]})

    rules: Mapping[str, Bounds]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(rules={c: Bounds(**r) for c, r in args.items()}, origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        for name in self.rules:
            if not need(before, name, self.origin.at(name)).type.is_numeric:
                message = f"outlier filters need a numeric column; {name} is {before[name].type}"
                raise StepError(self.origin.at(name), message)
        return dict(before)

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import col, select

        names = ctx.names
        # Bounds are window aggregates over the whole input, computed once as columns _<c>_low/_high.
        bounded = {c: _bounds(c, r) for c, r in self.rules.items()}
        with_bounds = []
        for c, (low, high) in bounded.items():
            with_bounds += [exp.alias_(b, f"_{c}_{side}")
                            for b, side in ((low, "low"), (high, "high")) if b is not None]
        chain.add(select([*(col(n) for n in names), *with_bounds], chain.last))
        reasons, clipped = [], {}
        for c, (low, high) in bounded.items():
            checks = [exp.LT(this=col(c), expression=col(f"_{c}_low"))] if low is not None else []
            checks += [exp.GT(this=col(c), expression=col(f"_{c}_high"))] if high is not None else []
            if self.rules[c].action == "reject":
                reasons.append((exp.or_(*checks), f"outlier:{c}"))
            else:
                case = exp.Case()
                if low is not None:
                    case = case.when(checks[0], col(f"_{c}_low"))
                if high is not None:
                    case = case.when(checks[-1], col(f"_{c}_high"))
                clipped[c] = case.else_(col(c))
        if clipped:
            # The bounds stay: columns that reject are checked after this one clips.
            bound_names = [f"_{c}_{s}" for c in bounded for s in ("low", "high") if f"_{c}_{s}" in
                           {e.alias for e in with_bounds}]
            chain.add(select([exp.alias_(clipped[n], n) if n in clipped else col(n) for n in names]
                             + [col(b) for b in bound_names], chain.last))
        if reasons:
            chain.rejecting(ctx.label, names, reasons)
        else:
            chain.add(select([col(n) for n in names], chain.last))


def _bounds(c: str, rule: Bounds) -> tuple[exp.Expression | None, exp.Expression | None]:
    from sqlglot import exp

    from lakewharf.model.steps.sqltree import literal, parse

    if rule.iqr is not None:
        q1 = parse(f"PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY {c}) OVER ()")
        q3 = parse(f"PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY {c}) OVER ()")
        spread = exp.Mul(this=exp.Paren(this=exp.Sub(this=q3, expression=q1)), expression=literal(rule.iqr))
        return exp.Sub(this=q1.copy(), expression=spread), exp.Add(this=q3.copy(), expression=spread.copy())
    if rule.zscore is not None:
        mean, sd = parse(f"AVG({c}) OVER ()"), parse(f"STDDEV({c}) OVER ()")
        width = exp.Mul(this=sd, expression=literal(rule.zscore))
        return exp.Sub(this=mean, expression=width), exp.Add(this=mean.copy(), expression=width.copy())
    low = literal(rule.min) if rule.min is not None else None
    high = literal(rule.max) if rule.max is not None else None
    return low, high
