"""One project's estimate, put together: its stack, its price table, its last local run.

Shared by ``wharf cost`` and ``wharf diff`` (which prices the catalog before and after a change
with the same stack, prices and assumptions, so the delta is the change's own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.cost.estimate import Assumptions, Context, build_context, estimate_month
from lakewharf.cost.prices import load_prices
from lakewharf.cost.projection import Projection, project
from lakewharf.cost.stack import stack_facts
from lakewharf.model.catalog import Catalog

RUN_REPORT = Path("build/run-report.json")  # where `make demo` writes the local run's report
LOCAL_LAKE = Path(".wharf/lake")  # the local folder lake (lakewharf.local.settings.LocalSettings.lake_folder)


@dataclass(frozen=True)
class Options:
    stack: str = "dev"
    months: int = 12
    prices: Path | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    measure: bool = True  # read the local lake and run report when they exist


def context_for(catalog: Catalog, tree: Mapping[str, bytes], options: Options, *,
                project_root: Path | None = None) -> Context:
    """``project_root``: where the stack file and the local run are, when ``catalog`` was read
    elsewhere (``wharf diff --against-ref`` reads the old catalog from a temporary folder)."""
    root = project_root or catalog.root
    stack = stack_facts(root, options.stack)
    prices = load_prices(stack.location, options.prices)
    lake, report = (root / LOCAL_LAKE, root / RUN_REPORT) if options.measure else (None, None)
    return build_context(catalog, tree, prices, stack, options.assumptions, lake, report)


def projection_for(catalog: Catalog, tree: Mapping[str, bytes], options: Options) -> tuple[Context, Projection]:
    ctx = context_for(catalog, tree, options)
    return ctx, project(ctx, options.months)


def assumptions_of(ctx: Context) -> list[str]:
    """Every assumption the figures rest on, in words, for the report."""
    out = [f"{k} = {v:g}" for k, v in ctx.assumptions.to_dict().items()]
    defaulted = sorted(r for r, v in ctx.volumes.items() if not v.declared)
    if defaulted:
        out.append(f"no volume: in the catalog, 10,000 rows a day (or a load) assumed: {', '.join(defaulted)}")
    out.append("Parquet bytes per row: measured by the last local run where listed as measured, else 0.4 × the "
               "raw row width from the column types (text at half its declared length)")
    out.append("rows a day are new rows: a source table grows by them")
    out.append("lake: every zone stays in the hot tier (lakewharf's lifecycle rules delete after retention_days, "
               "they do not move data to cool), so cool storage is 0")
    out.append("no Event Hubs namespace is part of this platform (sources are read in batches by Data Factory)")
    if not ctx.stack.from_file:
        out.append(f"no Pulumi.{ctx.stack.name}.yaml: the infra's defaults ({ctx.stack.sql_pool_sku}, "
                   f"{ctx.stack.storage_sku}, {ctx.stack.location})")
    used = {line.price_key for line in estimate_month(ctx, 1).lines}
    out += [f"price {p.key}: {p.source}" for p in ctx.prices.prices.values() if p.assumed and p.key in used]
    return out


def measured_of(ctx: Context) -> list[str]:
    return [f"{name}: {m.bytes_per_row:,.1f} B/row over {m.rows:,} local rows" for name, m in
            sorted(ctx.measured.items())] + [f"{job}: {s:.1f} s locally" for job, s in sorted(ctx.jobs.items())]


def to_dict(ctx: Context, proj: Projection) -> dict[str, Any]:
    first = proj.months[0]
    return {
        "stack": ctx.stack.name, "region": ctx.prices.region, "currency": ctx.prices.currency,
        "prices": {"file": ctx.prices.path, "retrieved": ctx.prices.retrieved},
        "sql_pool_sku": ctx.stack.sql_pool_sku, "storage_sku": ctx.stack.storage_sku,
        "month_1": {"total": round(first.total, 2), "services": {k: round(v, 2) for k, v in first.by_service().items()},
                    "lines": [line.to_dict() for line in first.lines]},
        "projection": [{"month": e.month, "total": round(e.total, 2),
                        "services": {k: round(v, 2) for k, v in e.by_service().items()}} for e in proj.months],
        "limits": [limit.to_dict() for limit in proj.limits],
        "measured": measured_of(ctx),
        "assumptions": assumptions_of(ctx),
    }


def cost_delta(old: Context, new: Context) -> dict[str, Any]:
    """What a catalog change does to the month-1 estimate, per service and in total."""
    services = service_delta(old, new)
    before, after = sum(v["before"] for v in services.values()), sum(v["after"] for v in services.values())
    return {"currency": new.prices.currency, "stack": new.stack.name, "month": 1, "services": services,
            "total": {"before": round(before, 2), "after": round(after, 2), "delta": round(after - before, 2)}}


def service_delta(old: Context, new: Context) -> dict[str, dict[str, float]]:
    """Month-1 cost per service before and after, and the difference."""
    before, after = estimate_month(old, 1).by_service(), estimate_month(new, 1).by_service()
    out = {}
    for service in dict.fromkeys([*before, *after]):
        a, b = before.get(service, 0.0), after.get(service, 0.0)
        out[service] = {"before": round(a, 2), "after": round(b, 2), "delta": round(b - a, 2)}
    return out
