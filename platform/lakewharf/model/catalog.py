"""The catalog as typed, immutable objects.

Built by ``lakewharf.catalog.build`` from checked YAML; every name a field holds refers to an
object that exists (the checks guarantee it before a ``Catalog`` is handed out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakewharf.model.data_tests import DataTest
from lakewharf.model.origin import NOWHERE, Origin
from lakewharf.model.schedule import Cron, Schedule
from lakewharf.model.types import DataType, Privacy

if TYPE_CHECKING:  # the steps import Column from here; only the annotation points the other way
    from lakewharf.model.steps import Step

_ORIGIN = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Column:
    name: str
    type: DataType
    nullable: bool = True
    primary_key: bool = False
    privacy: Privacy = Privacy.NONE
    description: str = ""
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class Role:
    name: str
    kind: str  # "group" (people) or "service" (a managed identity)
    clearance: Privacy
    description: str = ""
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class Zone:
    name: str
    filesystem: str
    format: str
    retention_days: int | None
    readers: tuple[str, ...]
    writers: tuple[str, ...]
    description: str = ""
    origin: Origin = _ORIGIN

    @property
    def audience(self) -> tuple[str, ...]:
        """Everyone who can read the zone's files: writers hold Contributor, which includes read."""
        return tuple(dict.fromkeys(self.readers + self.writers))


@dataclass(frozen=True)
class Compute:
    name: str
    size: str
    min_nodes: int
    max_nodes: int
    idle_seconds_before_scaledown: int
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class Platform:
    name: str
    description: str
    hash_salt_secret: str | None
    roles: Mapping[str, Role]
    zones: Mapping[str, Zone]
    compute: Mapping[str, Compute]
    origin: Origin = _ORIGIN
    # The dedicated SQL pool's database collation (fixed when the pool is created); text columns
    # of warehouse tables also state it, and the local warehouse compares text by it.
    warehouse_collation: str = "SQL_Latin1_General_CP1_CI_AS"
    # Findings of the local privacy check the team accepts: (dataset.column or schema.table.column, because).
    privacy_allow: tuple[tuple[str, str], ...] = ()

    def clearance_of(self, role_names: tuple[str, ...]) -> Privacy:
        """The lowest clearance among the roles: what data may be shown to all of them unmasked."""
        return min((self.roles[r].clearance for r in role_names if r in self.roles), default=Privacy.SENSITIVE)


@dataclass(frozen=True)
class Volume:
    """How much data a source entity holds and receives (``volume:``), read only by ``wharf cost``.

    One of ``rows_per_day`` / ``rows_per_load`` is set; ``growth_per_month`` compounds the rows
    each load brings (0.02 = 2 % more each month)."""

    rows_per_day: int | None = None
    rows_per_load: int | None = None
    initial_rows: int = 0
    growth_per_month: float = 0.0
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    table: str | None
    path: str | None
    load_mode: str  # "full" or "incremental"
    watermark: str | None
    columns: tuple[Column, ...]
    description: str = ""
    origin: Origin = _ORIGIN
    volume: Volume | None = None  # None: wharf cost states its default assumption
    # What an API entity's responses hold (records, pagination, fields, headers; lakewharf.sources.rest).
    api: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def ref(self) -> str:
        return f"{self.source}.{self.name}"


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # a key of lakewharf.sources.SOURCE_KINDS, which says what the kind can do
    format: str | None
    options: Mapping[str, Any]
    secret: str
    schedule: Cron | None
    landing_zone: str
    entities: Mapping[str, Entity]
    description: str = ""
    origin: Origin = _ORIGIN
    runtime: str = "managed"  # "self_hosted": Data Factory reaches it through the self-hosted runtime
    location: str = "cloud"  # "on_premises": in a company network (needs the self-hosted runtime)


@dataclass(frozen=True)
class Dataset:
    name: str
    zone: str
    inputs: tuple[str, ...]  # dataset names or source.entity refs
    steps: tuple[Step, ...]  # declarative steps, one class per kind (lakewharf.model.steps)
    sql: str | None
    columns: tuple[Column, ...]  # the output contract, derived from steps or declared with sql
    description: str = ""
    origin: Origin = _ORIGIN
    # A SQL preparation's column lineage, as the privacy check traced it (catalog.preparations):
    # output column → the (input, column) pairs it is computed from. Steps trace their own.
    sql_sources: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, compare=False, repr=False)
    tests: tuple[DataTest, ...] = ()  # data tests the preparation worker runs after each CETAS

    @property
    def column_map(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


@dataclass(frozen=True)
class Training:
    compute: str
    algorithm: str | None
    hyperparameters: Mapping[str, Any]
    automl: Mapping[str, Any] | None
    test_fraction: float
    seed: int


@dataclass(frozen=True)
class Scoring:
    compute: str
    output_zone: str
    schedule: Cron | None
    instance_count: int
    mini_batch_size: int
    top_k: int
    related_k: int
    # What the batch job scores: a point-in-time training set (features before a cutoff, label
    # after it) usually differs from the current features the scores are wanted for.
    dataset: str


@dataclass(frozen=True)
class Model:
    name: str
    task: str  # classification | regression | clustering | recommendation
    dataset: str
    key: tuple[str, ...]
    features: tuple[str, ...]
    label: str | None
    user: str | None
    item: str | None
    rating: str | None
    training: Training
    scoring: Scoring
    outputs: Mapping[str, tuple[Column, ...]]  # typed score contract per output, see model.scores
    description: str = ""
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class TableColumn:
    column: Column
    source_column: str  # the dataset or model-output column it is loaded from
    mask: str | None  # Synapse dynamic data masking function

    @property
    def name(self) -> str:
        return self.column.name


@dataclass(frozen=True)
class Table:
    name: str
    schema: str
    kind: str  # dimension | fact | scores
    source_dataset: str | None
    source_model: str | None
    source_output: str | None
    columns: tuple[TableColumn, ...]
    distribution: str  # "round_robin" | "replicate" | "hash"
    distribution_column: str | None
    index: str  # "clustered_columnstore" | "heap" | "clustered"
    index_columns: tuple[str, ...]
    partition_column: str | None
    partition_boundaries: tuple[Any, ...]
    partition_range: str
    load_mode: str  # append | merge | history
    load_keys: tuple[str, ...]
    tracked: tuple[str, ...]
    readers: tuple[str, ...]
    unmask: tuple[str, ...]
    description: str = ""
    origin: Origin = _ORIGIN
    tests: tuple[DataTest, ...] = ()  # data tests run by etl.audit_<table> after each load
    unknown_member: bool = False  # a dimension's key -1 "unknown" row, which facts fall back to

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class PipelineStep:
    name: str
    kind: str  # ingest | prepare | train | score | load
    target: str  # source, source.entity, dataset, model or table name
    after: tuple[str, ...]
    retry_count: int
    retry_interval_seconds: int
    timeout_minutes: int
    origin: Origin = _ORIGIN


@dataclass(frozen=True)
class Pipeline:
    name: str
    description: str
    schedule: Schedule | None
    after: tuple[str, ...]
    steps: tuple[PipelineStep, ...]
    origin: Origin = _ORIGIN
    batch_count: int = 20  # items of one level run at once (Data Factory ForEach batchCount, 1-50)


@dataclass(frozen=True)
class Catalog:
    root: Path
    platform: Platform
    sources: Mapping[str, Source]
    datasets: Mapping[str, Dataset]
    models: Mapping[str, Model]
    tables: Mapping[str, Table]
    pipelines: Mapping[str, Pipeline]

    def entity(self, ref: str) -> Entity | None:
        source, _, entity = ref.partition(".")
        src = self.sources.get(source)
        return src.entities.get(entity) if src else None

    def columns_of(self, ref: str) -> tuple[Column, ...] | None:
        """Output columns of a dataset or a source entity, by the name an ``input`` uses."""
        if ref in self.datasets:
            return self.datasets[ref].columns
        entity = self.entity(ref) if "." in ref else None
        return entity.columns if entity else None

    def zone_of(self, ref: str) -> str | None:
        if ref in self.datasets:
            return self.datasets[ref].zone
        entity = self.entity(ref) if "." in ref else None
        return self.sources[entity.source].landing_zone if entity else None
