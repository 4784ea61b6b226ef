"""What the warehouse DDL templates need for one catalog table, computed in Python.

Templates only lay text out; every decision (types, distribution, keys, history columns, masks,
classifications, grants) is made here, so it can be unit-tested without parsing SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakewharf.errors import CatalogInvalid
from lakewharf.generate.synapse.sqltypes import Classification, UnsupportedType, classification, synapse_type
from lakewharf.generate.templates import bracket
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Table, TableColumn
from lakewharf.model.lake import RUN_ID  # staging: the pipeline run that loaded the row (set by the load procedure)

RUN_ID_TYPE = "NVARCHAR(64)"
# Type-2 history (load mode "history"): a surrogate key and the validity interval of each version.
VALID_FROM = "valid_from"
VALID_TO = "valid_to"
IS_CURRENT = "is_current"
OPEN_END = "9999-12-31 23:59:59.999"  # valid_to of the current version: BETWEEN works without NULL checks
LOAD_LOG = f"{naming.ETL_SCHEMA}.load_log"


def role_name(role: str) -> str:
    """The database role of a catalog role; infra adds the role's Entra group or identity to it."""
    return f"role_{role}"


def sql_literal(value: Any) -> str:
    """A T-SQL literal for a partition boundary or other constant from the catalog."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def one_line(text: str) -> str:
    """Catalog prose for a ``--`` comment: one line, no control characters."""
    return " ".join(text.split())


@dataclass(frozen=True)
class ColumnDef:
    name: str
    sql_type: str
    nullable: bool
    mask: str | None = None  # dynamic data masking function, quotes doubled for the SQL literal
    identity: bool = False
    comment: str = ""
    collation: str | None = None  # stated on text columns: the catalog's warehouse collation


@dataclass(frozen=True)
class History:
    surrogate_key: str
    tracked: tuple[str, ...]  # a change closes the current version and opens a new one
    untracked: tuple[str, ...]  # overwritten in the current version (type 1)
    open_end: str = OPEN_END


@dataclass(frozen=True)
class TableDef:
    table: Table
    name: str  # schema.table
    staging: str  # stg.<schema>__<table>
    procedure: str  # etl.load_<table>
    catalog_file: str
    description: str
    columns: tuple[ColumnDef, ...]  # the target table, history columns included
    load_columns: tuple[str, ...]  # the catalog's columns: what staging holds and loads carry
    staging_columns: tuple[ColumnDef, ...]
    distribution: str
    index: str
    partition: str | None
    primary_key: tuple[str, ...]
    constraint_name: str
    classifications: tuple[tuple[str, Classification], ...]
    readers: tuple[str, ...]  # database roles granted SELECT
    unmask: tuple[str, ...]  # database roles granted UNMASK (only when the table masks a column)
    history: History | None

    @property
    def columnstore(self) -> bool:
        return self.table.index == "clustered_columnstore"

    @property
    def masked(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.mask)

    @property
    def addable_columns(self) -> tuple[ColumnDef, ...]:
        """Columns a catalog may add after the table exists: nullable ones, which ALTER TABLE ADD
        can append in place (existing rows read NULL)."""
        return tuple(c for c in self.columns if c.nullable and not c.identity)


def surrogate_key_name(table: Table) -> str:
    return f"{table.name}_sk"


def _column_type(tc: TableColumn, columnstore: bool) -> str:
    try:
        return synapse_type(tc.column.type, columnstore=columnstore)
    except UnsupportedType as exc:  # reported like a catalog error: file:line:col of the column
        raise CatalogInvalid([tc.column.origin.error(str(exc))]) from None


def table_def(catalog: Catalog, table: Table) -> TableDef:
    columnstore = table.index == "clustered_columnstore"
    # Text columns state the warehouse collation: the pool's database collation is fixed when the
    # pool is created, and a column may override it
    # (https://learn.microsoft.com/azure/synapse-analytics/sql/reference-collation-types), so the
    # tables compare text the way the catalog says wherever they are deployed.
    collation = catalog.platform.warehouse_collation

    def collated(tc: TableColumn) -> str | None:
        return collation if tc.column.type.base == "string" else None

    data = tuple(
        ColumnDef(tc.name, _column_type(tc, columnstore), tc.column.nullable,
                  tc.mask.replace("'", "''") if tc.mask else None, comment=one_line(tc.column.description),
                  collation=collated(tc))
        for tc in table.columns)
    history = _history(table) if table.load_mode == "history" else None
    columns = data
    primary_key = tuple(tc.name for tc in table.columns if tc.column.primary_key)
    if history:
        columns = (ColumnDef(history.surrogate_key, "BIGINT", False, identity=True,
                             comment="surrogate key of the version (IDENTITY: unique, not consecutive)"),
                   *data,
                   ColumnDef(VALID_FROM, "DATETIME2(3)", False, comment="load time (UTC) this version became current"),
                   ColumnDef(VALID_TO, "DATETIME2(3)", False,
                             comment=f"load time it was replaced; {OPEN_END} while current"),
                   ColumnDef(IS_CURRENT, "BIT", False, comment="1 for the current version of the key"))
        # Business keys repeat across versions, so the surrogate key is the primary key.
        primary_key = (history.surrogate_key,)
    added = {history.surrogate_key, VALID_FROM, VALID_TO, IS_CURRENT} if history else set()
    clash = sorted(added & {c.name for c in data})
    if clash:
        raise CatalogInvalid([table.origin.at("columns", clash[0]).error(
            f"{clash[0]!r} is a column lakewharf adds to type-2 history tables", "rename the column")])
    staging_columns = (*(ColumnDef(tc.name, synapse_type(tc.column.type), True, collation=collated(tc))
                         for tc in table.columns),
                       ColumnDef(RUN_ID, RUN_ID_TYPE, True))
    masked = any(tc.mask for tc in table.columns)
    return TableDef(
        table=table,
        name=table.qualified_name,
        staging=naming.staging_table_name(table.schema, table.name),
        procedure=naming.load_procedure_name(table.name),
        catalog_file=f"catalog/warehouse/{table.name}.yaml",
        description=one_line(table.description),
        columns=columns,
        load_columns=tuple(tc.name for tc in table.columns),
        staging_columns=staging_columns,
        distribution=_distribution(table),
        index=_index(table),
        partition=_partition(table),
        primary_key=primary_key,
        constraint_name=f"pk_{table.schema}_{table.name}",
        classifications=tuple((tc.name, c) for tc in table.columns if (c := classification(tc.column))),
        readers=tuple(role_name(r) for r in sorted(set(table.readers))),
        unmask=tuple(role_name(r) for r in sorted(set(table.unmask))) if masked else (),
        history=history,
    )


def _history(table: Table) -> History:
    keys = set(table.load_keys)
    non_keys = [tc.name for tc in table.columns if tc.name not in keys]
    tracked = tuple(c for c in non_keys if c in table.tracked) if table.tracked else tuple(non_keys)
    untracked = tuple(c for c in non_keys if c not in tracked)
    return History(surrogate_key_name(table), tracked, untracked)


def _distribution(table: Table) -> str:
    if table.distribution == "hash":
        assert table.distribution_column
        return f"HASH({bracket(table.distribution_column)})"
    return {"replicate": "REPLICATE", "round_robin": "ROUND_ROBIN"}[table.distribution]


def _index(table: Table) -> str:
    if table.index == "clustered":
        return "CLUSTERED INDEX (" + ", ".join(bracket(c) for c in table.index_columns) + ")"
    return {"clustered_columnstore": "CLUSTERED COLUMNSTORE INDEX", "heap": "HEAP"}[table.index]


def _partition(table: Table) -> str | None:
    if not table.partition_column:
        return None
    values = ", ".join(sql_literal(v) for v in table.partition_boundaries)
    side = table.partition_range.upper()
    return f"{bracket(table.partition_column)} RANGE {side} FOR VALUES ({values})"


def source_columns(catalog: Catalog, table: Table) -> tuple[str, tuple[str, ...]]:
    """The lineage node of the table's source and the column names its Parquet files hold, in order.

    Preparations and scoring write Parquet columns in the catalog's column order, so a column's
    position here is its field number for COPY INTO.
    """
    if table.source_dataset:
        return f"dataset:{table.source_dataset}", tuple(c.name for c in catalog.datasets[table.source_dataset].columns)
    assert table.source_model and table.source_output
    model = catalog.models[table.source_model]
    return (f"model:{model.name}.{table.source_output}",
            tuple(c.name for c in model.outputs[table.source_output]))


def lineage(catalog: Catalog, table: Table) -> tuple[tuple[str, str], ...]:
    node, _ = source_columns(catalog, table)
    return tuple((f"{node}.{tc.source_column}", f"table:{table.name}.{tc.name}") for tc in table.columns)
