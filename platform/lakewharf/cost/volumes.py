"""Rows and bytes: what each source entity brings per load, what each zone and table holds.

Inputs are the catalog's ``volume:`` (rows a day or a load, initial rows, monthly growth), the
zones' ``retention_days``, the pipelines' schedules and the column types. An entity without
``volume:`` gets ``DEFAULT_ROWS`` a day, stated as an assumption. Months are Azure's billing
month of 730 hours. The formulas are written out in docs/cost.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakewharf.model.catalog import Catalog, Column, Entity, Pipeline
from lakewharf.model.schedule import Cron, TumblingWindow
from lakewharf.model.type_map import value_bytes

DAYS_PER_MONTH = 730 / 24  # 30.42: the 730-hour month of Azure's pricing calculator
DEFAULT_ROWS = 10_000  # rows a day (or a load) of an entity without volume: (an assumption, stated)
PARQUET_RATIO = 0.4  # Parquet (snappy) bytes over raw bytes, until a local run measures it (assumed)
_TUMBLING_PER_MONTH = {"minute": 730 * 60, "hour": 730, "day": DAYS_PER_MONTH, "week": DAYS_PER_MONTH / 7,
                       "month": 1}


def runs_per_month(pipeline: Pipeline) -> float:
    """Trigger runs a month: a cron's runs a day × its days, or a tumbling window's windows."""
    s = pipeline.schedule
    if isinstance(s, TumblingWindow):
        return _TUMBLING_PER_MONTH.get(s.frequency, 0) / s.interval
    if isinstance(s, Cron):
        if s.month_days is not None:
            return s.runs_per_day * len(s.month_days)
        days = DAYS_PER_MONTH * (len(s.week_days) / 7 if s.week_days is not None else 1)
        return s.runs_per_day * days
    return 0.0  # no trigger: runs only by hand


def raw_row_bytes(columns: tuple[Column, ...]) -> float:
    return sum(value_bytes(c.type) for c in columns)


@dataclass(frozen=True)
class EntityVolume:
    """One source entity's volume, month by month (month 1 is the first month in production)."""

    ref: str
    incremental: bool
    rows: float  # rows a day (incremental) or a load (full), month 1
    initial_rows: float
    growth: float
    loads_per_day: float
    declared: bool  # False: DEFAULT_ROWS was assumed
    raw_bytes: float  # a row as the source holds it, from the column types

    def factor(self, month: int) -> float:
        return (1 + self.growth) ** (month - 1)

    def rows_per_load(self, month: int) -> float:
        """Rows one copy moves in ``month`` (the first load of month 1 also copies the initial rows)."""
        if not self.incremental:
            return self.rows * self.factor(month)
        return self.rows * self.factor(month) / max(self.loads_per_day, 1e-9)

    def copied_rows(self, month: int) -> float:
        """Rows copied in ``month``: every load, and the initial rows in month 1."""
        loads = self.loads_per_day * DAYS_PER_MONTH
        return self.rows_per_load(month) * loads + (self.initial_rows if month == 1 and self.incremental else 0)

    def source_rows(self, month: int) -> float:
        """Rows the source holds at the end of ``month`` (rows a day are taken as new rows)."""
        if not self.incremental:
            return self.rows * self.factor(month)
        return self.initial_rows + sum(self.rows * self.factor(m) * DAYS_PER_MONTH for m in range(1, month + 1))

    def landed_rows(self, month: int, retention_days: int | None) -> float:
        """Rows the landing zone holds at the end of ``month``: the loads of the last
        ``retention_days`` (all of them without retention), each a file of its own."""
        elapsed = month * DAYS_PER_MONTH
        if retention_days is None:
            return sum(self.copied_rows(m) for m in range(1, month + 1))
        window = min(retention_days, elapsed)
        rows = self.rows_per_load(month) * self.loads_per_day * window
        if self.incremental and elapsed <= retention_days:
            rows += self.initial_rows  # the first load has not expired yet
        return rows


def entity_volumes(catalog: Catalog) -> dict[str, EntityVolume]:
    loads: dict[str, float] = {}
    for pipeline in catalog.pipelines.values():
        per_day = runs_per_month(pipeline) / DAYS_PER_MONTH
        for step in pipeline.steps:
            if step.kind != "ingest":
                continue
            source, _, entity = step.target.partition(".")
            for name in [entity] if entity else catalog.sources[source].entities:
                loads[f"{source}.{name}"] = loads.get(f"{source}.{name}", 0.0) + per_day
    out = {}
    for source in catalog.sources.values():
        for entity in source.entities.values():
            out[entity.ref] = _volume(entity, loads.get(entity.ref, 0.0))
    return out


def _volume(entity: Entity, loads_per_day: float) -> EntityVolume:
    v = entity.volume
    incremental = entity.load_mode == "incremental"
    if v is None:
        rows, initial, growth = float(DEFAULT_ROWS), 0.0, 0.0
    else:
        rows = float(v.rows_per_day if v.rows_per_day is not None else
                     (v.rows_per_load or 0) * (loads_per_day if incremental else 1))
        initial, growth = float(v.initial_rows), v.growth_per_month
    return EntityVolume(entity.ref, incremental, rows, initial, growth, loads_per_day, v is not None,
                        raw_row_bytes(entity.columns))


def primary_entity(catalog: Catalog, name: str, seen: frozenset[str] = frozenset()) -> str | None:
    """The source entity a dataset's rows come from: its first input, followed down to a source."""
    ds = catalog.datasets.get(name)
    if ds is None or name in seen or not ds.inputs:
        return None
    first = ds.inputs[0]
    return first if "." in first else primary_entity(catalog, first, seen | {name})
