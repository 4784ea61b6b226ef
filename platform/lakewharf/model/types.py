"""Portable column types, privacy classes, and which type may flow into which.

Catalog authors write one portable type per column (``int``, ``decimal(10,2)``, ``string(64)``);
each target (Synapse T-SQL, DuckDB, Parquet) maps it. The compatibility rules below decide whether
a source column may land in a warehouse column without an explicit cast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import cache

_TYPE_RE = re.compile(
    r"^(?P<base>boolean|smallint|int|bigint|float|double|date|timestamp|string|binary|decimal)"
    r"(?:\(\s*(?P<p>\d+)\s*(?:,\s*(?P<s>\d+)\s*)?\))?$"
)
_INTEGERS = ("smallint", "int", "bigint")
# Widening order for numbers: a value of an earlier type fits every later one.
_NUMERIC_RANK = {"boolean": 0, "smallint": 1, "int": 2, "bigint": 3, "decimal": 4, "float": 5, "double": 6}
_INTEGER_DIGITS = {"smallint": 5, "int": 10, "bigint": 19}


class Privacy(IntEnum):
    """GDPR class of a column; ordered so that ``max()`` gives the class of a derived value."""

    NONE = 0
    PERSONAL = 1
    SENSITIVE = 2

    @classmethod
    def parse(cls, text: str | None) -> Privacy:
        return cls[(text or "none").upper()]

    def __str__(self) -> str:
        return self.name.lower()


class TypeSyntaxError(ValueError):
    pass


def _size(digits: str) -> int:
    """A length, precision or scale; absurdly long numbers (int() refuses > 4300 digits) are just too big."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 9 else 10**9


@dataclass(frozen=True)
class DataType:
    """A parsed portable type. ``length`` for string/binary, ``precision``/``scale`` for decimal."""

    base: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None

    @staticmethod
    def parse(text: str) -> DataType:
        return _parse(text)

    @classmethod
    def _parse_text(cls, text: str) -> DataType:
        m = _TYPE_RE.match(text.strip().lower())
        if not m:
            raise TypeSyntaxError(f"unknown type {text!r}")
        base, p, s = m.group("base"), m.group("p"), m.group("s")
        if base == "decimal":
            if p is None or s is None:
                raise TypeSyntaxError("decimal needs precision and scale, e.g. decimal(10,2)")
            precision, scale = _size(p), _size(s)
            # Synapse and DuckDB both cap decimal precision at 38.
            if not 1 <= precision <= 38 or scale > precision:
                raise TypeSyntaxError(f"decimal({p},{s}): need 1 <= p <= 38 and s <= p")
            return cls(base, precision=precision, scale=scale)
        if base in ("string", "binary"):
            if s is not None:
                raise TypeSyntaxError(f"{base} takes one length, e.g. {base}(64)")
            if p is not None and not 1 <= _size(p) <= 8000:
                # nvarchar(n)/varbinary(n) allow n up to 4000/8000; longer values need (max),
                # which clustered columnstore tables do not take.
                raise TypeSyntaxError(f"{base}({p}): length must be between 1 and 8000")
            return cls(base, length=_size(p) if p is not None else None)
        if p is not None:
            raise TypeSyntaxError(f"{base} takes no size")
        return cls(base)

    def __str__(self) -> str:
        if self.base == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.length is not None:
            return f"{self.base}({self.length})"
        return self.base

    @property
    def is_numeric(self) -> bool:
        return self.base in _NUMERIC_RANK and self.base != "boolean"

    def fits_into(self, target: DataType) -> bool:
        """True when every value of this type is stored by ``target`` without loss or error."""
        if self == target:
            return True
        if self.base in ("string", "binary") and target.base == self.base:
            return target.length is None or (self.length is not None and self.length <= target.length)
        if self.base == "date" and target.base == "timestamp":
            return True
        if self.base in _INTEGERS and target.base in _INTEGERS:
            return _NUMERIC_RANK[self.base] <= _NUMERIC_RANK[target.base]
        if self.base in _INTEGERS and target.base == "decimal":
            assert target.precision is not None and target.scale is not None
            return target.precision - target.scale >= _INTEGER_DIGITS[self.base]
        if self.base == "decimal" and target.base == "decimal":
            assert None not in (self.precision, self.scale, target.precision, target.scale)
            return (
                target.scale >= self.scale  # type: ignore[operator]
                and target.precision - target.scale >= self.precision - self.scale  # type: ignore[operator]
            )
        if self.is_numeric and target.base in ("float", "double"):
            # float is 4-byte in DuckDB; only exact small types fit without rounding surprises.
            return target.base == "double" or self.base in ("smallint", "float")
        return False


def common_numeric(a: DataType, b: DataType) -> DataType:
    """The type of ``a + b`` style arithmetic, used to type aggregate measures."""
    return a if _NUMERIC_RANK.get(a.base, 0) >= _NUMERIC_RANK.get(b.base, 0) else b


@cache  # a catalog spells a few dozen types in thousands of columns; the types are frozen
def _parse(text: str) -> DataType:
    return DataType._parse_text(text)
