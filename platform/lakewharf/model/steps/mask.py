"""``mask: {column: hash | redact | drop}``: hide what a personal or sensitive column holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import Origin
from lakewharf.model.steps.base import Columns, ColumnsOf, Step, need, per_column
from lakewharf.model.types import DataType, Privacy

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql

# Salted SHA-256, hex-encoded: 64 characters, no longer personal for readers without the salt.
_HASH = DataType.parse("string(64)")
Method = Literal["hash", "redact", "drop"]


@dataclass(frozen=True, kw_only=True)
class Mask(Step):
    op = "mask"
    schema: ClassVar[dict[str, Any]] = per_column({"enum": ["hash", "redact", "drop"]})

    methods: Mapping[str, Method]

    @classmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        return cls(methods=dict(args), origin=origin)

    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        out = dict(before)
        for name, method in self.methods.items():
            col = need(before, name, self.origin.at(name))
            if method == "drop":
                out.pop(name)
            elif method == "hash":
                out[name] = replace(col, type=_HASH, privacy=self.privacy(name, before, columns_of),
                                    primary_key=False)
            else:  # redact keeps the column's type and shape, replacing the value
                out[name] = replace(col, privacy=self.privacy(name, before, columns_of))
        return out

    def privacy(self, name: str, before: Columns, columns_of: ColumnsOf) -> Privacy:
        if self.methods.get(name) in ("hash", "redact"):
            return Privacy.NONE
        return super().privacy(name, before, columns_of)

    def treatment(self, name: str) -> str:
        return self.methods.get(name, "")  # hash | redact (a dropped column has no output to describe)

    def sql(self, chain: Chain, ctx: StepSql) -> None:
        from sqlglot import exp

        from lakewharf.model.steps.sqltree import HASH_FUNCTION, col, is_null, select

        out = []
        for n in ctx.names:
            method = self.methods.get(n)
            if method == "drop":
                continue
            if method == "hash":
                chain.uses_salt = True  # the script then declares the salt (from a Key Vault secret)
                out.append(exp.alias_(exp.Anonymous(this=HASH_FUNCTION, expressions=[col(n)]), n, copy=False))
            elif method == "redact":
                value = exp.Literal.string("***") if ctx.before[n].type.base == "string" else exp.Null()
                out.append(exp.alias_(exp.Case().when(is_null(col(n)), exp.Null()).else_(value), n, copy=False))
            else:
                out.append(col(n))
        chain.add(select(out, chain.last))
