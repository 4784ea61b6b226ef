"""The sample's source systems, locally: operational databases and drop containers.

A SQL Server or PostgreSQL source becomes a DuckDB database file ``.wharf/sources/<source>.duckdb``
holding the entity's table under its schema (``dbo.customers``, ``public.orders``); the Copy
executor translates the source query from the engine's dialect with sqlglot. File-drop and log
sources become a container ``drop-<source>`` in the local lake backend (folder or Azurite), laid
out as their catalog ``path`` globs expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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


def _column_sql(entity: Entity) -> str:
    from lakewharf.generate.preparation_sql import sql_type

    return ", ".join(f"{c.name} {sql_type(c.type).sql('duckdb')}" for c in entity.columns)


def seed(catalog: Catalog, settings: LocalSettings, lake: Lake, data: SampleData) -> SeedReport:
    """(Re)create every sample source system. Existing sample data is replaced, not appended."""
    import duckdb

    report = SeedReport()
    for source in catalog.sources.values():
        if source.is_database:
            path = source_database(settings, source.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            with duckdb.connect(str(path)) as con:
                for entity in source.entities.values():
                    table = data.tables.get(entity.ref)
                    if table is None:
                        report.skipped.append(entity.ref)
                        continue
                    qualified = entity_table(entity, source)
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {qualified.split('.')[0]}")
                    con.execute(f"CREATE TABLE {qualified} ({_column_sql(entity)})")
                    con.register("incoming", table)
                    names = ", ".join(c.name for c in entity.columns)
                    con.execute(f"INSERT INTO {qualified} ({names}) SELECT {names} FROM incoming")
                    con.unregister("incoming")
                    report.tables[entity.ref] = table.num_rows
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
