"""Portable catalog types → Synapse SQL types, and sensitivity classifications for personal columns.

The type mapping itself lives in ``lakewharf.model.type_map`` (one map for every target); this
module names the two pools and keeps the classification rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from lakewharf.model import type_map
from lakewharf.model.catalog import Column
from lakewharf.model.type_map import NVARCHAR_MAX_LENGTH, VARBINARY_MAX_LENGTH, VARCHAR_MAX_LENGTH, UnsupportedType
from lakewharf.model.types import DataType, Privacy

__all__ = ["NVARCHAR_MAX_LENGTH", "VARBINARY_MAX_LENGTH", "VARCHAR_MAX_LENGTH", "Classification", "Pool",
           "UnsupportedType", "classification", "synapse_type"]


class Pool(Enum):
    DEDICATED = "dedicated"  # warehouse tables
    SERVERLESS = "serverless"  # views over Parquet in the lake


def synapse_type(t: DataType, pool: Pool = Pool.DEDICATED, *, columnstore: bool = False) -> str:
    """The Synapse type for a portable type; ``columnstore`` tables refuse ``(max)`` types."""
    return type_map.synapse_type(t, serverless=pool is Pool.SERVERLESS, columnstore=columnstore)


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
