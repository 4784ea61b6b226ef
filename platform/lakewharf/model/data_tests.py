"""Data tests (audits) declared under ``tests:`` on a warehouse table or a dataset.

The shape follows dbt's generic tests and SQLMesh's audits: a list of one-key objects naming the
kind (``unique``, ``not_null``, ``relationships``, ``accepted_values``, ``row_count``,
``freshness``, ``sql``), each with an optional ``severity`` (``error``, the default, or ``warn``)
and ``name``. Every test is a query counting failing rows; generators turn it into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakewharf.model.origin import NOWHERE, Origin

KINDS = ("unique", "not_null", "relationships", "accepted_values", "row_count", "freshness", "sql")
SEVERITIES = ("error", "warn")
UNKNOWN_MEMBER_KEY = -1  # the key of a dimension's "unknown" row (Kimball's unknown member)


@dataclass(frozen=True)
class DataTest:
    owner: str  # the table or dataset the test belongs to
    name: str  # unique within the owner; shown as <owner>.<name>
    kind: str  # one of KINDS
    severity: str = "error"
    columns: tuple[str, ...] = ()  # unique / not_null: the columns; the others: the one column
    to_owner: str | None = None  # relationships: the referenced table ...
    to_column: str | None = None  # ... and its column
    values: tuple[Any, ...] = ()  # accepted_values
    min_rows: int | None = None  # row_count
    max_rows: int | None = None
    max_change_percent: float | None = None
    max_age_hours: float | None = None  # freshness
    sql: str | None = None  # custom: a SELECT returning the failing rows
    description: str = ""
    origin: Origin = NOWHERE

    @property
    def full_name(self) -> str:
        return f"{self.owner}.{self.name}"

    @property
    def column(self) -> str:
        return self.columns[0] if self.columns else ""
