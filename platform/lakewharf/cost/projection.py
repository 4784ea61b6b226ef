"""Months 1…N of the estimate, and the first month each service limit is reached.

Limits (Microsoft Learn): a factory holds at most 5,000 entities
(https://learn.microsoft.com/azure/data-factory/data-factory-service-limits); a dedicated SQL pool
stores at most 240 TB of compressed data on disk and runs a fixed number of queries at once per
service level, the rest wait in a queue
(https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-service-capacity-limits,
https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/memory-concurrency-limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakewharf.cost.activity import factory_entities
from lakewharf.cost.estimate import TB, Context, Estimate, estimate_month

FACTORY_ENTITIES = 5000
POOL_STORAGE_TB = 240
# Concurrent queries a dedicated SQL pool runs, by service level (DWU): the rest are queued.
CONCURRENT_QUERIES = {100: 4, 200: 8, 300: 12, 400: 16, 500: 20, 1000: 32, 1500: 32, 2000: 48, 2500: 48,
                      3000: 64, 5000: 64, 6000: 128, 7500: 128, 10000: 128, 15000: 128, 30000: 128}


@dataclass(frozen=True)
class Limit:
    name: str
    limit: float
    month_1: float  # the quantity in month 1
    last: float  # the quantity in the last month projected
    first_month: int | None  # the first month the limit is reached, None when not within the projection
    unit: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"limit": self.name, "value": self.limit, "month_1": round(self.month_1, 3),
                "last_month": round(self.last, 3), "first_month_reached": self.first_month, "unit": self.unit,
                "note": self.note}


@dataclass(frozen=True)
class Projection:
    months: list[Estimate]
    limits: list[Limit]


def _first(values: list[float], limit: float) -> int | None:
    return next((m for m, v in enumerate(values, 1) if v >= limit), None)


def _concurrent_loads(ctx: Context) -> int:
    """The most warehouse loads one level of a pipeline runs at once (its ForEach batch count)."""
    most = 0
    for p in ctx.catalog.pipelines.values():
        loads = sum(1 for s in p.steps if s.kind == "load")
        most = max(most, min(loads, p.batch_count))
    return most


def project(ctx: Context, months: int) -> Projection:
    series = [estimate_month(ctx, m) for m in range(1, months + 1)]
    entities = float(factory_entities(ctx.tree))
    pool_tb = [e.facts["pool_bytes"] / TB for e in series]
    slots = CONCURRENT_QUERIES.get(ctx.stack.dwu, 4)
    loads = float(_concurrent_loads(ctx))
    limits = [
        Limit("Data Factory entities", FACTORY_ENTITIES, entities, entities,
              1 if entities >= FACTORY_ENTITIES else None, "entities",
              "fixed by the catalog (tables, pipelines), not by data volume"),
        Limit("SQL pool storage", POOL_STORAGE_TB, pool_tb[0], pool_tb[-1], _first(pool_tb, POOL_STORAGE_TB), "TB",
              "compressed data on disk"),
        Limit(f"concurrent queries at {ctx.stack.sql_pool_sku}", slots, loads, loads,
              1 if loads > slots else None, "queries",
              "loads one pipeline level runs at once; beyond the slots they queue (slower, not failed)"),
    ]
    return Projection(series, limits)
