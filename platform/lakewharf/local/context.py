"""Everything an activity executor needs during one ``wharf run``, and what it measured."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.artifacts.adf_tree import AdfTree
from lakewharf.local.files import LocalFiles
from lakewharf.local.lake import Lake
from lakewharf.local.settings import LocalSettings
from lakewharf.local.source_systems import SourceSystems
from lakewharf.local.warehouse import Warehouse
from lakewharf.model.catalog import Catalog, Entity

# The endpoint suffix a local run plays (global parameter ``ml_endpoint_suffix``, 4 characters like
# a stack's): batch endpoints are called ``<catalog name>-locl`` here, so the suffix the deployed
# URLs carry is exercised too.
LOCAL_STACK_SUFFIX = "locl"


@dataclass
class Measured:
    """What one activity did; the report's row for it."""

    rows_read: int | None = None
    rows_written: int | None = None
    rows_rejected: int | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what ran but deserves a look (a copy that read 0 files)
    # A training job's result: {"model", "version", "metrics"} (metrics as train.py logged them).
    trained: dict[str, Any] | None = None


@dataclass
class RunContext:
    catalog: Catalog
    settings: LocalSettings
    build: Path
    lake: Lake
    files: LocalFiles
    warehouse: Warehouse
    adf: AdfTree
    trigger_time: dt.datetime
    sources: SourceSystems  # where each source's data is read
    run_id: str = ""
    pipeline: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)  # pipeline runs of this and earlier runs
    model_versions: dict[str, str] = field(default_factory=dict)
    ml_jobs: dict[str, str] = field(default_factory=dict)  # local Azure ML job → status
    target: str = ""  # the item a worker pipeline is running for (its ``target`` parameter)

    def filesystem(self, zone: str) -> str:
        return self.catalog.platform.zones[zone].filesystem

    def item_entity(self) -> Entity | None:
        """The source entity of the ingest item being run (workers read one entity per item)."""
        return self.catalog.entity(self.target)
