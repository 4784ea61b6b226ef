"""Monthly quantities × prices: one ``Line`` per service, catalog element and meter.

Every line keeps its formula with the numbers filled in and its basis: ``measured`` (a local run
measured the bytes per row or the job's duration), ``estimated`` (derived from the catalog's
volumes and types) or ``assumed`` (a stated default stood in for a missing input). docs/cost.md
writes out each formula.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.cost.activity import PipelineActivities, pipeline_activities
from lakewharf.cost.measured import Measured, job_seconds, lake_measurements
from lakewharf.cost.prices import PriceTable
from lakewharf.cost.stack import StackFacts
from lakewharf.cost.volumes import (
    DAYS_PER_MONTH,
    DEFAULT_ROWS,
    PARQUET_RATIO,
    EntityVolume,
    entity_volumes,
    primary_entity,
    raw_row_bytes,
    runs_per_month,
)
from lakewharf.model.catalog import Catalog

GB = 2**30
TB = 2**40
_PIPELINE_ACTIVITIES = {"Lookup", "Delete", "GetMetadata", "WebActivity"}  # run on the Azure IR
_EXTERNAL_ACTIVITIES = {"Script", "SqlServerStoredProcedure"}  # run on the linked service


@dataclass(frozen=True)
class Assumptions:
    """Figures no input gives; each is printed with the estimate (``wharf cost`` options set them)."""

    copy_mb_per_second: float = 10.0  # one copy at copy_dius DIUs over the Azure IR
    copy_dius: int = 4  # Data Factory's minimum for a copy on the Azure IR
    pool_hours_per_day: float = 24.0  # lakewharf deploys no pause schedule
    train_minutes: float = 30.0  # an Azure ML training job, when no local run measured it
    score_minutes: float = 10.0  # a batch scoring job, likewise
    job_overhead_minutes: float = 5.0  # cluster node start and image pull per job
    log_kb_per_record: float = 2.0  # one diagnostic log record in Log Analytics
    columnstore_ratio: float = 5.0  # clustered columnstore compression (Microsoft: "about 5x")
    file_mb: float = 100.0  # Parquet file size CETAS writes

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Line:
    service: str
    element: str  # the catalog element (a zone, entity, dataset, table, pipeline, compute) or ""
    meter: str
    quantity: float
    unit: str
    unit_price: float
    price_key: str
    formula: str
    basis: str  # measured | estimated | assumed

    @property
    def cost(self) -> float:
        return self.quantity * self.unit_price

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "element": self.element, "meter": self.meter,
                "quantity": round(self.quantity, 6), "unit": self.unit, "unit_price": self.unit_price,
                "price": self.price_key, "monthly_cost": round(self.cost, 2), "formula": self.formula,
                "basis": self.basis}


@dataclass
class Estimate:
    month: int
    lines: list[Line]
    facts: dict[str, float] = field(default_factory=dict)  # quantities the projection's limits read

    @property
    def total(self) -> float:
        return sum(line.cost for line in self.lines)

    def by_service(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            out[line.service] = out.get(line.service, 0.0) + line.cost
        return out


@dataclass
class Context:
    """Everything an estimate reads, gathered once for months 1…N."""

    catalog: Catalog
    tree: Mapping[str, bytes]
    prices: PriceTable
    stack: StackFacts
    assumptions: Assumptions
    volumes: dict[str, EntityVolume]
    measured: dict[str, Measured]
    jobs: dict[str, float]
    activities: dict[str, PipelineActivities] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_context(catalog: Catalog, tree: Mapping[str, bytes], prices: PriceTable, stack: StackFacts,
                  assumptions: Assumptions, lake: Path | None = None, report: Path | None = None) -> Context:
    ctx = Context(catalog, tree, prices, stack, assumptions, entity_volumes(catalog),
                  lake_measurements(catalog, lake) if lake else {}, job_seconds(catalog, report) if report else {})
    for name in catalog.pipelines:
        ctx.activities[name] = pipeline_activities(tree, f"pl_{name}", lambda e: _job_minutes(ctx, e, 1)[0] * 60)
    return ctx


# --- rows and bytes ------------------------------------------------------------------------------

def _entity_bpr(ctx: Context, ref: str) -> tuple[float, str]:
    if ref in ctx.measured:
        return ctx.measured[ref].bytes_per_row, "measured"
    return ctx.volumes[ref].raw_bytes * PARQUET_RATIO, "estimated"


def _dataset_bpr(ctx: Context, name: str) -> tuple[float, str]:
    if name in ctx.measured:
        return ctx.measured[name].bytes_per_row, "measured"
    return raw_row_bytes(ctx.catalog.datasets[name].columns) * PARQUET_RATIO, "estimated"


def _retention(ctx: Context, ref: str) -> int | None:
    zone = ctx.catalog.zone_of(ref)
    return ctx.catalog.platform.zones[zone].retention_days if zone in ctx.catalog.platform.zones else None


def dataset_rows(ctx: Context, name: str, month: int) -> float:
    """A dataset holds what its preparation reads from its first input's landing folder: the
    retained loads of an incremental entity (at most the source's rows), the last load of a full one."""
    ref = primary_entity(ctx.catalog, name)
    if ref is None:
        return float(DEFAULT_ROWS)
    v = ctx.volumes[ref]
    return min(v.landed_rows(month, _retention(ctx, ref)), v.source_rows(month)) if v.incremental else \
        v.rows_per_load(month)


def _basis(bytes_basis: str, volume_basis: str) -> str:
    """``assumed`` when the volume was (no ``volume:``), else how the bytes per row were had."""
    return "assumed" if volume_basis == "assumed" else bytes_basis


def _vol_basis(ctx: Context, ref: str | None) -> str:
    return "estimated" if ref is not None and ctx.volumes[ref].declared else "assumed"


# --- the services ----------------------------------------------------------------------------------

def _storage(ctx: Context, month: int) -> list[Line]:
    hot = ctx.prices.get(f"storage.hot_gb_month.{ctx.stack.storage_sku}")
    lines = []
    for ref, v in sorted(ctx.volumes.items()):
        bpr, how = _entity_bpr(ctx, ref)
        rows = v.landed_rows(month, _retention(ctx, ref))
        lines.append(Line("Lake storage", f"zone:{ctx.catalog.zone_of(ref)} {ref}", "hot storage", rows * bpr / GB,
                          "GB-month", hot.price, hot.key, f"{rows:,.0f} rows landed × {bpr:,.1f} B/row",
                          _basis(how, _vol_basis(ctx, ref))))
    for name, ds in sorted(ctx.catalog.datasets.items()):
        bpr, how = _dataset_bpr(ctx, name)
        rows = dataset_rows(ctx, name, month)
        lines.append(Line("Lake storage", f"zone:{ds.zone} {name}", "hot storage", rows * bpr / GB, "GB-month",
                          hot.price, hot.key, f"{rows:,.0f} rows × {bpr:,.1f} B/row",
                          _basis(how, _vol_basis(ctx, primary_entity(ctx.catalog, name)))))
    return lines


def _runs(ctx: Context) -> dict[str, float]:
    return {name: runs_per_month(p) for name, p in ctx.catalog.pipelines.items()}


def _factory(ctx: Context, month: int) -> list[Line]:
    p = ctx.prices
    runs = _runs(ctx)
    lines = []
    for name, acts in sorted(ctx.activities.items()):
        n = runs[name]
        lines.append(Line("Data Factory", f"pipeline:{name}", "activity runs", n * acts.total, "runs",
                          p.get("adf.activity_run").price, "adf.activity_run",
                          f"{n:,.1f} runs × {acts.total:,.0f} activity runs each", "estimated"))
        short = sum(acts.of_type(t) for t in _PIPELINE_ACTIVITIES)
        lines.append(Line("Data Factory", f"pipeline:{name}", "pipeline activity hours", n * short / 60, "hours",
                          p.get("adf.pipeline_activity_hour").price, "adf.pipeline_activity_hour",
                          f"{n:,.1f} runs × {short:,.0f} Lookup/Delete/Web activities × 1 min (billed minimum)",
                          "estimated"))
        ext = sum(acts.of_type(t) for t in _EXTERNAL_ACTIVITIES)
        lines.append(Line("Data Factory", f"pipeline:{name}", "external activity hours", n * ext / 60, "hours",
                          p.get("adf.external_activity_hour").price, "adf.external_activity_hour",
                          f"{n:,.1f} runs × {ext:,.0f} Script activities × 1 min (billed minimum)", "estimated"))
    a = ctx.assumptions
    diu = p.get("adf.diu_hour")
    for ref, v in sorted(ctx.volumes.items()):
        per_load = v.rows_per_load(month) * v.raw_bytes
        minutes = _copy_minutes(per_load, a)
        loads = v.loads_per_day * DAYS_PER_MONTH
        hours = loads * minutes * a.copy_dius / 60
        formula = (f"{loads:,.1f} copies × {a.copy_dius} DIU × {minutes:,.0f} min "
                   f"({per_load / 1e6:,.1f} MB at {a.copy_mb_per_second:g} MB/s, whole minutes)")
        if month == 1 and v.incremental and v.initial_rows:
            first = _copy_minutes(v.initial_rows * v.raw_bytes, a)
            hours += first * a.copy_dius / 60
            formula += f" + the initial copy of {v.initial_rows:,.0f} rows, {first:,.0f} min"
        lines.append(Line("Data Factory", f"ingest:{ref}", "copy DIU-hours", hours, "DIU-hours", diu.price, diu.key,
                          formula, _vol_basis(ctx, ref)))
    entities = sum(1 for path in ctx.tree if path.startswith("adf/") and path.endswith(".json"))
    rw = p.get("adf.read_write_operation")
    lines.append(Line("Data Factory", "", "read/write operations", entities, "entities", rw.price, rw.key,
                      f"{entities} entities written by one deployment a month (assumed)", "assumed"))
    return lines


def _copy_minutes(size_bytes: float, a: Assumptions) -> float:
    return max(1.0, math.ceil(size_bytes / (a.copy_mb_per_second * 1e6) / 60))


def _steps(ctx: Context, kind: str) -> dict[str, float]:
    """Target → runs a month of the pipeline steps of ``kind``."""
    runs = _runs(ctx)
    out: dict[str, float] = {}
    for name, pipeline in ctx.catalog.pipelines.items():
        for step in pipeline.steps:
            if step.kind == kind:
                out[step.target] = out.get(step.target, 0.0) + runs[name]
    return out


def _input_bytes(ctx: Context, ref: str, month: int) -> float:
    if "." in ref:
        return ctx.volumes[ref].landed_rows(month, _retention(ctx, ref)) * _entity_bpr(ctx, ref)[0]
    return dataset_rows(ctx, ref, month) * _dataset_bpr(ctx, ref)[0]


def _serverless(ctx: Context, month: int) -> list[Line]:
    price = ctx.prices.get("synapse.serverless_tb")
    lines = []
    for name, runs in sorted(_steps(ctx, "prepare").items()):
        ds = ctx.catalog.datasets[name]
        others = [getattr(s, "other", None) for s in ds.steps]
        inputs = list(dict.fromkeys([*ds.inputs, *(o for o in others if isinstance(o, str))]))
        read = sum(_input_bytes(ctx, r, month) for r in inputs)
        written = dataset_rows(ctx, name, month) * _dataset_bpr(ctx, name)[0]
        per_run = max(read + written, 10 * 2**20)  # serverless bills at least 10 MB per query
        basis = _basis(_dataset_bpr(ctx, name)[1], _vol_basis(ctx, primary_entity(ctx.catalog, name)))
        lines.append(Line("Synapse serverless", f"prepare:{name}", "data processed", runs * per_run / TB, "TB",
                          price.price, price.key,
                          f"{runs:,.1f} runs × ({read / GB:,.2f} GB read from {', '.join(inputs)} + "
                          f"{written / GB:,.2f} GB written)", basis))
    return lines


def table_rows(ctx: Context, table: str, month: int) -> float:
    """A warehouse table keeps every row its source entity ever had (merges and appends keep them)."""
    t = ctx.catalog.tables[table]
    dataset = t.source_dataset or (ctx.catalog.models[t.source_model].scoring.dataset if t.source_model else None)
    ref = primary_entity(ctx.catalog, dataset) if dataset else None
    return ctx.volumes[ref].source_rows(month) if ref else float(DEFAULT_ROWS)


def _warehouse(ctx: Context, month: int) -> tuple[list[Line], float]:
    p, a, s = ctx.prices, ctx.assumptions, ctx.stack
    dwu = p.get("synapse.dwu100_hour")
    hours = a.pool_hours_per_day * DAYS_PER_MONTH
    lines = [Line("Synapse dedicated pool", "stack:" + s.name, f"compute {s.sql_pool_sku}", hours * s.dwu / 100,
                  "100 DWU-hours", dwu.price, dwu.key,
                  f"{hours:,.0f} h ({a.pool_hours_per_day:g} h a day) × {s.dwu // 100} blocks of 100 DWU", "assumed"
                  if a.pool_hours_per_day == 24 else "estimated")]
    storage = p.get("synapse.pool_storage_tb_month")
    total = 0.0
    for name, t in sorted(ctx.catalog.tables.items()):
        rows = table_rows(ctx, name, month)
        width = sum(raw_row_bytes((c.column,)) for c in t.columns)
        ratio = a.columnstore_ratio if t.index == "clustered_columnstore" else 1.0
        size = rows * width / ratio
        total += size
        lines.append(Line("Synapse dedicated pool", f"table:{t.qualified_name}", "storage", size / TB, "TB-month",
                          storage.price, storage.key, f"{rows:,.0f} rows × {width:,.0f} B / {ratio:g} ({t.index})",
                          "estimated"))
    return lines, total


def _job_minutes(ctx: Context, element: str, month: int) -> tuple[float, str, str]:
    """Minutes an Azure ML job runs: the local run's duration scaled by rows, or the default."""
    kind, _, model_name = element.partition(":")
    model = ctx.catalog.models.get(model_name)
    if model is None:
        return 0.0, "", "assumed"
    dataset = model.dataset if kind == "train" else model.scoring.dataset
    rows = dataset_rows(ctx, dataset, month)
    local = ctx.measured.get(dataset)
    if element in ctx.jobs and local:
        minutes = ctx.jobs[element] / 60 * rows / local.rows
        return minutes, (f"{ctx.jobs[element]:.1f} s measured locally on {local.rows:,} rows, scaled to "
                         f"{rows:,.0f} rows"), "measured"
    default = ctx.assumptions.train_minutes if kind == "train" else ctx.assumptions.score_minutes
    return default, f"{default:g} min (assumed; `wharf run --report build/run-report.json` measures it)", "assumed"


def _ml(ctx: Context, month: int) -> list[Line]:
    lines = []
    a = ctx.assumptions
    for kind in ("train", "score"):
        for name, runs in sorted(_steps(ctx, kind).items()):
            model = ctx.catalog.models[name]
            compute = ctx.catalog.platform.compute[model.training.compute if kind == "train" else
                                                   model.scoring.compute]
            nodes = 1 if kind == "train" else model.scoring.instance_count
            minutes, how, basis = _job_minutes(ctx, f"{kind}:{name}", month)
            idle = compute.idle_seconds_before_scaledown / 60
            node_hours = runs * nodes * (minutes + a.job_overhead_minutes + idle) / 60
            vm = ctx.prices.vm(compute.size)
            lines.append(Line("Azure ML", f"{kind}:{name}", f"{compute.size} node-hours", node_hours, "node-hours",
                              vm.price, vm.key, f"{runs:,.1f} runs × {nodes} node(s) × ({how} + "
                              f"{a.job_overhead_minutes:g} min start + {idle:g} min idle before scale-down)", basis))
    for compute in ctx.catalog.platform.compute.values():
        if compute.min_nodes:
            vm = ctx.prices.vm(compute.size)
            lines.append(Line("Azure ML", f"compute:{compute.name}", "always-on nodes", compute.min_nodes * 730,
                              "node-hours", vm.price, vm.key, f"min_nodes {compute.min_nodes} × 730 h", "estimated"))
    return lines


def _operations(ctx: Context, month: int, serverless: list[Line]) -> list[Line]:
    runs = _runs(ctx)
    secrets = activity_runs = copies = 0.0
    for name, acts in ctx.activities.items():
        n = runs[name]
        activity_runs += n * acts.total
        copies += n * acts.of_type("Copy")
        secrets += n * (acts.of_type("Copy", "ingest") + acts.of_type("Lookup", "ingest")
                        + sum(c for (_, act), c in acts.named.items() if act == "get_salt"))
    p, a = ctx.prices, ctx.assumptions
    kv = p.get("keyvault.secret_ops_10k")
    lines = [Line("Key Vault", "", "secret operations", secrets / 1e4, "10K operations", kv.price, kv.key,
                  f"{secrets:,.0f} secret reads (one per source copy and watermark lookup, one per salt read)",
                  "estimated")]
    read_tb = sum(line.quantity for line in serverless)
    files = sum(runs_n * max(1, math.ceil(dataset_rows(ctx, ds, month) * _dataset_bpr(ctx, ds)[0]
                                          / (a.file_mb * 2**20)))
                for ds, runs_n in _steps(ctx, "prepare").items())
    writes = copies + files
    reads = read_tb * TB / (4 * 2**20)
    w, r = p.get("storage.hot_write_10k"), p.get("storage.hot_read_10k")
    lines.append(Line("Lake storage", "", "write operations", writes / 1e4, "10K operations", w.price, w.key,
                      f"{writes:,.0f} files written (a file per copy, files of {a.file_mb:g} MB per CETAS)",
                      "estimated"))
    lines.append(Line("Lake storage", "", "read operations", reads / 1e4, "10K operations", r.price, r.key,
                      f"{read_tb:,.3f} TB read by serverless SQL in 4 MiB reads", "estimated"))
    records = 2 * activity_runs + sum(runs.values()) + writes + reads + secrets
    gb = records * a.log_kb_per_record * 1024 / GB
    la = p.get("loganalytics.gb")
    lines.append(Line("Log Analytics", "", "ingestion", gb, "GB", la.price, la.key,
                      f"{records:,.0f} records (2 per activity run, 1 per pipeline run, lake operation and secret "
                      f"read) × {a.log_kb_per_record:g} KB", "assumed"))
    return lines


def estimate_month(ctx: Context, month: int) -> Estimate:
    storage = _storage(ctx, month)
    serverless = _serverless(ctx, month)
    warehouse, pool_bytes = _warehouse(ctx, month)
    lines = [*storage, *_factory(ctx, month), *warehouse, *serverless, *_ml(ctx, month),
             *_operations(ctx, month, serverless)]
    return Estimate(month, lines, {"pool_bytes": pool_bytes})
