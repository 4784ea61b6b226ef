"""The sample's source systems, locally: operational databases and drop containers.

A SQL Server or PostgreSQL source becomes a DuckDB database file ``.wharf/sources/<source>.duckdb``
holding the entity's table under its schema (``dbo.customers``, ``public.orders``); the Copy
executor translates the source query from the engine's dialect with sqlglot. File-drop and log
sources become a container ``drop-<source>`` in the local lake backend (folder or Azurite), laid
out as their catalog ``path`` globs expect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.local.lake import Lake
from lakewharf.local.sample_data import SampleData
from lakewharf.local.settings import LocalSettings
from lakewharf.model.catalog import Catalog, Entity, Source

DIALECTS = {"sqlserver": "tsql", "postgresql": "postgres"}


def drop_container(source: str) -> str:
    return f"drop-{source}".replace("_", "-")


def source_database(settings: LocalSettings, source: str) -> Path:
    return settings.state / "sources" / f"{source}.duckdb"


def entity_table(entity: Entity, source: Source) -> str:
    """``schema.table`` of a database entity, with the engine's default schema when omitted."""
    assert entity.table is not None
    if "." in entity.table:
        return entity.table
    return ("dbo." if source.kind == "sqlserver" else "public.") + entity.table


@dataclass
class SeedReport:
    tables: dict[str, int] = field(default_factory=dict)  # entity ref → rows
    files: dict[str, int] = field(default_factory=dict)  # entity ref → files
    skipped: list[str] = field(default_factory=list)  # entities the sample has no data for
    # Columns the catalog declares and the sample data does not have (seeded as NULL): a column a
    # data engineer just added to a source, which the real system will fill.
    null_columns: list[str] = field(default_factory=list)


class SeedError(ValueError):
    """The sample cannot seed what the catalog declares; nothing was changed."""


def _select_list(entity: Entity, table: Any, report: SeedReport) -> str:
    """Each declared column from the sample table, or a typed NULL when the sample lacks it."""
    from lakewharf.generate.preparation_sql import sql_type

    have = set(table.column_names)
    parts = []
    for c in entity.columns:
        if c.name in have:
            parts.append(c.name)
        elif c.nullable:
            parts.append(f"CAST(NULL AS {sql_type(c.type).sql('duckdb')}) AS {c.name}")
            report.null_columns.append(f"{entity.ref}.{c.name}")
        else:
            raise SeedError(f"{entity.ref}.{c.name}: the sample data has no values for this non-nullable column; "
                            "declare it nullable while you try it locally, or seed the source yourself")
    return ", ".join(parts)


def _column_sql(entity: Entity) -> str:
    from lakewharf.generate.preparation_sql import sql_type

    return ", ".join(f"{c.name} {sql_type(c.type).sql('duckdb')}" for c in entity.columns)


def seed(catalog: Catalog, settings: LocalSettings, lake: Lake, data: SampleData) -> SeedReport:
    """(Re)create every sample source system. Existing sample data is replaced, not appended.

    Every database is checked and built beside the old one first, then swapped in: a SeedError
    leaves the previous seed as it was."""
    import duckdb

    report = SeedReport()
    plans: dict[str, list[tuple[Entity, str, Any]]] = {}
    for source in catalog.sources.values():
        if source.is_database:
            plans[source.name] = []
            for entity in source.entities.values():
                table = data.tables.get(entity.ref)
                if table is None:
                    report.skipped.append(entity.ref)
                    continue
                plans[source.name].append((entity, _select_list(entity, table, report), table))
    for source in catalog.sources.values():
        if source.is_database:
            path = source_database(settings, source.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            building = path.with_name(path.name + ".seeding")
            building.unlink(missing_ok=True)
            with duckdb.connect(str(building)) as con:
                for entity, select, table in plans[source.name]:
                    qualified = entity_table(entity, source)
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {qualified.split('.')[0]}")
                    con.execute(f"CREATE TABLE {qualified} ({_column_sql(entity)})")
                    con.register("incoming", table)
                    con.execute(f"INSERT INTO {qualified} SELECT {select} FROM incoming")
                    con.unregister("incoming")
                    report.tables[entity.ref] = table.num_rows
            os.replace(building, path)
            continue
        container = drop_container(source.name)
        lake.ensure_filesystem(container)
        lake.delete_prefix(container, "")
        for entity in source.entities.values():
            files = _files_for(entity, data)
            if not files:
                report.skipped.append(entity.ref)
            for path, content in files.items():
                lake.write(container, path, content)
            report.files[entity.ref] = len(files)
    return report


def _files_for(entity: Entity, data: SampleData) -> dict[str, bytes]:
    """Lay the sample files out under the entity's path glob (``{yyyy}/{MM}/{dd}`` expanded)."""
    assert entity.path is not None
    folder = entity.path.rsplit("/", 1)[0]
    if entity.ref == "products.products":
        return {f"{folder}/products_20251231.csv": data.product_csv}
    if entity.ref == "clickstream.page_views":
        out = {}
        for day, content in data.page_view_days.items():
            yyyy, mm, dd = day.split("/")
            out[folder.replace("{yyyy}", yyyy).replace("{MM}", mm).replace("{dd}", dd) + "/part-0000.jsonl"] = content
        return out
    return {}
