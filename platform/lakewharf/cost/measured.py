"""What a local run measured: Parquet bytes per row in the local lake, Azure ML job durations.

``wharf run`` leaves its lake under ``.wharf/lake/<filesystem>/`` (the folder backend) and, with
``--report``, its run report. Bytes per row are the compressed column chunks over the rows, read
from each Parquet footer (the footers themselves are left out: at the few thousand rows of a local
run they would dominate). Only the folder lake is read; an Azurite lake is not measured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lakewharf.model.catalog import Catalog
from lakewharf.model.lake import dataset_folder, landing_folder


@dataclass(frozen=True)
class Measured:
    rows: int
    bytes: int

    @property
    def bytes_per_row(self) -> float:
        return self.bytes / self.rows


def _parquet(folder: Path) -> Measured | None:
    import pyarrow.parquet as pq

    rows = size = 0
    for f in sorted(folder.rglob("*.parquet")):
        try:
            meta = pq.ParquetFile(f).metadata
        except (OSError, ValueError):
            continue  # a file being written, or not Parquet: not a measurement
        rows += meta.num_rows
        size += sum(meta.row_group(g).column(c).total_compressed_size
                    for g in range(meta.num_row_groups) for c in range(meta.num_columns))
    return Measured(rows, size) if rows else None


def lake_measurements(catalog: Catalog, lake: Path) -> dict[str, Measured]:
    """Entity refs and dataset names → what their local Parquet files hold."""
    if not lake.is_dir():
        return {}
    zones = catalog.platform.zones
    out: dict[str, Measured] = {}
    for source in catalog.sources.values():
        zone = zones.get(source.landing_zone)
        for entity in source.entities.values():
            if zone and (m := _parquet(lake / zone.filesystem / landing_folder(source.name, entity.name))):
                out[entity.ref] = m
    for ds in catalog.datasets.values():
        zone = zones.get(ds.zone)
        if zone and (m := _parquet(lake / zone.filesystem / dataset_folder(ds.name))):
            out[ds.name] = m
    return out


def job_seconds(catalog: Catalog, report: Path) -> dict[str, float]:
    """``train:<model>`` / ``score:<model>`` → seconds the job's invoke took in the local run."""
    if not report.is_file():
        return {}
    try:
        activities = json.loads(report.read_text(encoding="utf-8")).get("activities", [])
    except (OSError, ValueError, AttributeError):
        return {}
    steps = {(p.name, s.name): f"{s.kind}:{s.target}" for p in catalog.pipelines.values() for s in p.steps
             if s.kind in ("train", "score")}
    out: dict[str, float] = {}
    for a in activities:
        step, _, name = str(a.get("activity", "")).partition("/")
        element = steps.get((a.get("pipeline"), step))
        if element and name == "invoke" and a.get("status") == "Succeeded":
            out[element] = float(a.get("seconds", 0.0))
    return out
