"""The one mapping of portable catalog types to every other type system.

Like sqlglot's ``TYPE_MAPPING`` per dialect, each portable base type (``model.types.DataType``)
has one row naming its type in Synapse T-SQL, DuckDB and Arrow/Parquet. Everything that spells a
column type — the Synapse DDL, the preparations' SQL, the local readers, the synthetic data and
the local T-SQL translation — asks this module, so the targets cannot drift apart.

Only strings live here (``model/`` stays free of heavy imports); ``arrow_type`` imports pyarrow
when called.

Synapse choices (dedicated SQL pool, warehouse tables):
- ``string(n)`` → ``NVARCHAR(n)``; plain ``string`` → ``NVARCHAR(4000)``: clustered columnstore
  tables take no ``(max)`` types, and 4000 is the longest NVARCHAR that is not ``(max)``.
  https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-tables-index
- ``double`` → ``FLOAT`` (8 bytes), ``float`` → ``REAL`` (4 bytes), ``timestamp`` → ``DATETIME2(3)``.

Serverless SQL pool (views over Parquet): text is UTF-8 ``VARCHAR`` whose length counts bytes, so
``string(n)`` becomes ``VARCHAR(4n)``.
https://learn.microsoft.com/azure/synapse-analytics/troubleshoot/reading-utf8-text
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakewharf.model.types import DataType

if TYPE_CHECKING:
    import pyarrow

NVARCHAR_MAX_LENGTH = 4000  # longest NVARCHAR(n); beyond it only NVARCHAR(MAX)
VARBINARY_MAX_LENGTH = 8000
VARCHAR_MAX_LENGTH = 8000
DEFAULT_COLLATION = "SQL_Latin1_General_CP1_CI_AS"  # Synapse's default database collation


@dataclass(frozen=True)
class TypeRow:
    synapse: str  # dedicated pool; sized types are completed by synapse_type()
    duckdb: str
    arrow: str  # pyarrow factory name
    portable_sql: str  # the spelling of a preparation's casts, rendered per dialect by sqlglot


TYPE_MAPPING: dict[str, TypeRow] = {
    "boolean": TypeRow("BIT", "BOOLEAN", "bool_", "BOOLEAN"),
    "smallint": TypeRow("SMALLINT", "SMALLINT", "int16", "SMALLINT"),
    "int": TypeRow("INT", "INTEGER", "int32", "INT"),
    "bigint": TypeRow("BIGINT", "BIGINT", "int64", "BIGINT"),
    "float": TypeRow("REAL", "REAL", "float32", "FLOAT"),
    "double": TypeRow("FLOAT", "DOUBLE", "float64", "DOUBLE"),
    "decimal": TypeRow("DECIMAL", "DECIMAL", "decimal128", "DECIMAL"),
    "date": TypeRow("DATE", "DATE", "date32", "DATE"),
    "timestamp": TypeRow("DATETIME2", "TIMESTAMP", "timestamp", "TIMESTAMP"),
    "string": TypeRow("NVARCHAR", "VARCHAR", "string", "VARCHAR"),
    "binary": TypeRow("VARBINARY", "BLOB", "binary", "VARBINARY"),
}


# T-SQL types whose DuckDB namesake means something else: T-SQL FLOAT is 8 bytes (unless FLOAT(1-24)),
# DuckDB's 4; T-SQL BIT is a boolean, DuckDB's BIT a bit string.
TSQL_TO_DUCKDB: dict[str, str] = {"FLOAT": "DOUBLE", "BIT": "BOOLEAN"}


class UnsupportedType(ValueError):
    """A catalog type that the target table cannot store without loss."""


def _row(t: DataType) -> TypeRow:
    try:
        return TYPE_MAPPING[t.base]
    except KeyError:
        raise UnsupportedType(f"no mapping for type {t}") from None


def synapse_type(t: DataType, *, serverless: bool = False, columnstore: bool = False) -> str:
    """The Synapse type; ``columnstore`` tables refuse ``(max)`` types."""
    row = _row(t)
    if t.base == "decimal":
        return f"DECIMAL({t.precision}, {t.scale})"
    if t.base == "timestamp":
        # The lake keeps microseconds; the warehouse stores milliseconds like the rest of the platform.
        return "DATETIME2(7)" if serverless else "DATETIME2(3)"
    if t.base == "string":
        return _synapse_string(t.length, serverless, columnstore)
    if t.base == "binary":
        if t.length is not None:
            return f"VARBINARY({t.length})"
        return "VARBINARY(MAX)" if serverless else f"VARBINARY({VARBINARY_MAX_LENGTH})"
    return row.synapse


def _synapse_string(length: int | None, serverless: bool, columnstore: bool) -> str:
    if serverless:
        if length is None or 4 * length > VARCHAR_MAX_LENGTH:
            return "VARCHAR(MAX)"
        return f"VARCHAR({4 * length})"
    if length is None:
        return f"NVARCHAR({NVARCHAR_MAX_LENGTH})"
    if length <= NVARCHAR_MAX_LENGTH:
        return f"NVARCHAR({length})"
    if columnstore:
        raise UnsupportedType(
            f"string({length}) needs NVARCHAR(MAX), which a clustered columnstore table cannot hold: "
            f"use string(n) with n <= {NVARCHAR_MAX_LENGTH} or index: heap")
    return "NVARCHAR(MAX)"


def portable_sql_type(t: DataType) -> str:
    """The type a preparation casts to, one spelling for both of its renderings (T-SQL, DuckDB).

    Plain ``string`` is ``VARCHAR(4000)``: Synapse takes no (max) types in columnstore tables.
    """
    row = _row(t)
    if t.base == "decimal":
        return f"DECIMAL({t.precision}, {t.scale})"
    if t.length is not None:
        return f"{row.portable_sql}({t.length})"
    if t.base == "string":
        return f"{row.portable_sql}(4000)"
    return row.portable_sql


def duckdb_type(t: DataType) -> str:
    """The DuckDB type; text lengths are kept (DuckDB ignores them; the T-SQL layer enforces them)."""
    row = _row(t)
    if t.base == "decimal":
        return f"DECIMAL({t.precision}, {t.scale})"
    if t.base == "string" and t.length is not None:
        return f"VARCHAR({t.length})"
    return row.duckdb


def arrow_type_name(t: DataType) -> str:
    """The Arrow type as pyarrow prints it, e.g. ``int32``, ``decimal128(10, 2)``, ``timestamp[us]``."""
    row = _row(t)
    if t.base == "decimal":
        return f"decimal128({t.precision}, {t.scale})"
    if t.base == "timestamp":
        return "timestamp[us]"  # Parquet keeps microseconds; no time zone, as DATETIME2 has none
    return {"bool_": "bool", "float32": "float", "float64": "double", "date32": "date32[day]"}.get(row.arrow, row.arrow)


def arrow_type(t: DataType) -> pyarrow.DataType:
    """The pyarrow type of a portable type (imports pyarrow: call only where it is loaded anyway)."""
    import pyarrow as pa

    row = _row(t)
    factory: Any = getattr(pa, row.arrow)
    if t.base == "decimal":
        return factory(t.precision, t.scale)
    if t.base == "timestamp":
        return factory("us")
    return factory()


# Bytes one value takes uncompressed, for size estimates (``wharf cost``): fixed-width types as
# Synapse stores them; text and binary at half their declared length (an assumed average fill),
# 50 / 100 bytes when no length is declared. docs/cost.md states these assumptions.
_FIXED_BYTES = {"boolean": 1, "smallint": 2, "int": 4, "bigint": 8, "float": 4, "double": 8, "date": 3,
                "timestamp": 8}


def value_bytes(t: DataType) -> float:
    if t.base in _FIXED_BYTES:
        return _FIXED_BYTES[t.base]
    if t.base == "decimal":
        precision = t.precision or 18
        return 5 if precision <= 9 else 9 if precision <= 19 else 13 if precision <= 28 else 17
    if t.base == "string":
        return t.length / 2 if t.length else 50
    return t.length / 2 if t.length else 100  # binary
