"""Portable catalog types → Synapse SQL types, and sensitivity classifications for personal columns.

Dedicated SQL pool (warehouse tables):
- ``string(n)`` → ``NVARCHAR(n)``; plain ``string`` → ``NVARCHAR(4000)``: clustered columnstore
  tables take no ``(max)`` types, and 4000 is the longest NVARCHAR that is not ``(max)``. Strings
  longer than 4000 characters need ``NVARCHAR(MAX)``, so only heap / clustered-index tables can
  hold them (a columnstore table with one is refused here rather than silently truncated).
  https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-tables-index
- ``double`` → ``FLOAT`` (8 bytes), ``float`` → ``REAL`` (4 bytes), ``timestamp`` → ``DATETIME2(3)``.

Serverless SQL pool (views over the lake's Parquet files): strings are read as UTF-8 ``VARCHAR``
(the database uses a UTF-8 collation, as Microsoft advises for Parquet text), whose length counts
bytes, so ``string(n)`` becomes ``VARCHAR(4n)``: a UTF-8 character takes at most four bytes.
https://learn.microsoft.com/azure/synapse-analytics/troubleshoot/reading-utf8-text
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from lakewharf.model.catalog import Column
from lakewharf.model.types import DataType, Privacy

NVARCHAR_MAX_LENGTH = 4000  # longest NVARCHAR(n); beyond it only NVARCHAR(MAX)
VARBINARY_MAX_LENGTH = 8000
VARCHAR_MAX_LENGTH = 8000

_FIXED = {
    "boolean": "BIT",
    "smallint": "SMALLINT",
    "int": "INT",
    "bigint": "BIGINT",
    "float": "REAL",
    "double": "FLOAT",
    "date": "DATE",
}


class Pool(Enum):
    DEDICATED = "dedicated"  # warehouse tables
    SERVERLESS = "serverless"  # views over Parquet in the lake


class UnsupportedType(ValueError):
    """A catalog type that the target table cannot store without loss."""


def synapse_type(t: DataType, pool: Pool = Pool.DEDICATED, *, columnstore: bool = False) -> str:
    """The Synapse type for a portable type; ``columnstore`` tables refuse ``(max)`` types."""
    if t.base in _FIXED:
        return _FIXED[t.base]
    if t.base == "decimal":
        return f"DECIMAL({t.precision}, {t.scale})"
    if t.base == "timestamp":
        # The lake keeps microseconds; the warehouse stores milliseconds like the rest of the platform.
        return "DATETIME2(7)" if pool is Pool.SERVERLESS else "DATETIME2(3)"
    if t.base == "string":
        return _string(t.length, pool, columnstore)
    if t.base == "binary":
        if t.length is not None:
            return f"VARBINARY({t.length})"
        return "VARBINARY(MAX)" if pool is Pool.SERVERLESS else f"VARBINARY({VARBINARY_MAX_LENGTH})"
    raise UnsupportedType(f"no Synapse type for {t}")


def _string(length: int | None, pool: Pool, columnstore: bool) -> str:
    if pool is Pool.SERVERLESS:
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


# --- sensitivity classification ------------------------------------------------------------------
# Labels and information types of the default SQL Information Protection policy, so the portal's
# Data Discovery & Classification and auditing understand them:
# https://learn.microsoft.com/azure/azure-sql/database/data-discovery-and-classification-overview

_LABELS = {Privacy.PERSONAL: ("Confidential - GDPR", "MEDIUM"),
           Privacy.SENSITIVE: ("Highly Confidential - GDPR", "HIGH")}
# First match on the column name's words wins; anything else personal is "Other".
_INFORMATION_TYPES = (
    (re.compile(r"(^|_)(ip|ip_address|mac_address)(_|$)"), "Networking"),
    (re.compile(r"(^|_)(e?mail|phone|mobile|fax|address|street|zip|postal|postcode)(_|$)"), "Contact Info"),
    (re.compile(r"(^|_)(name|first_name|last_name|surname)(_|$)"), "Name"),
    (re.compile(r"(^|_)(birth|dob|date_of_birth|birthday)(_|$)"), "Date Of Birth"),
    (re.compile(r"(^|_)(iban|account|card)(_|$)"), "Banking"),
    (re.compile(r"(^|_)(health|diagnosis|medical)(_|$)"), "Health"),
)


@dataclass(frozen=True)
class Classification:
    label: str
    information_type: str
    rank: str  # NONE | LOW | MEDIUM | HIGH | CRITICAL


def classification(column: Column) -> Classification | None:
    """The sensitivity classification of a personal or sensitive column, None for the others."""
    if column.privacy is Privacy.NONE:
        return None
    label, rank = _LABELS[column.privacy]
    info = next((kind for pattern, kind in _INFORMATION_TYPES if pattern.search(column.name)), "Other")
    return Classification(label, info, rank)
