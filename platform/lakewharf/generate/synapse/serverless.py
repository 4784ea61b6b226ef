"""Serverless SQL pool: the database preparations run in, and a view per landing entity.

Preparations (``lakewharf.generate.preparations``) write CETAS external tables through the zones'
external data sources and read source entities as ``<landing zone>.<source>__<entity>``; this
module creates both: ``00_setup.sql`` (database, schemas, credential, data sources, file format)
and ``landing/<source>__<entity>.sql`` (a view over the entity's dated Parquet folders).

A view over OPENROWSET rather than an external table: serverless external tables and views read
the same files, but the view's ``**`` wildcard reads every ``yyyy/MM/dd`` folder below the entity
while keeping one definition per entity.
https://learn.microsoft.com/azure/synapse-analytics/sql/develop-openrowset
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from lakewharf.generate.artifact import Artifact, text_artifact
from lakewharf.generate.synapse.loading import LAKE_ACCOUNT_PLACEHOLDER
from lakewharf.generate.synapse.sqltypes import Pool, synapse_type
from lakewharf.generate.synapse.tables import one_line
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Entity
from lakewharf.model.lake import LOADED_AT
from lakewharf.model.types import DataType
from lakewharf.sources.registry import kind_of

if TYPE_CHECKING:  # jinja2 loads where templates render: validate builds documents without it
    from jinja2 import Environment

LAKE_CREDENTIAL = "cred_lake"  # database scoped credential: the workspace's managed identity
_LOADED_AT_TYPE = DataType("timestamp")


@dataclass(frozen=True)
class ZoneDef:
    name: str
    data_source: str
    location: str


@dataclass(frozen=True)
class ViewColumn:
    name: str
    sql_type: str


def zone_location(filesystem: str) -> str:
    return f"abfss://{filesystem}@{LAKE_ACCOUNT_PLACEHOLDER}.dfs.core.windows.net"


def setup_script(catalog: Catalog, templates: Environment) -> str:
    zones = [ZoneDef(z.name, naming.external_data_source_name(z.name), zone_location(z.filesystem))
             for z in sorted(catalog.platform.zones.values(), key=lambda z: z.name)]
    return templates.get_template("synapse/serverless/setup.sql.j2").render(
        database=naming.SERVERLESS_DATABASE, zones=zones, credential=LAKE_CREDENTIAL,
        file_format=naming.PARQUET_FILE_FORMAT, placeholder=LAKE_ACCOUNT_PLACEHOLDER)


def landing_view_name(catalog: Catalog, entity: Entity) -> str:
    zone = catalog.sources[entity.source].landing_zone
    return naming.serverless_table_name(zone, naming.landing_table_name(entity.source, entity.name))


def landing_script(catalog: Catalog, entity: Entity, templates: Environment) -> str:
    zone = catalog.sources[entity.source].landing_zone
    columns = [ViewColumn(c.name, synapse_type(c.type, Pool.SERVERLESS)) for c in entity.columns]
    if LOADED_AT not in {c.name for c in columns}:
        columns.append(ViewColumn(LOADED_AT, synapse_type(_LOADED_AT_TYPE, Pool.SERVERLESS)))
    # A kind whose landing files hold something else than the catalog's columns (Event Hubs
    # Capture's Body bytes) brings its own view over them.
    template, extra = kind_of(catalog.sources[entity.source]).landing_view(entity) or (
        "synapse/serverless/landing_view.sql.j2", {})
    return templates.get_template(template).render(
        view=landing_view_name(catalog, entity), entity=entity, description=one_line(entity.description),
        zone=zone, folder=lake.landing_folder(entity.source, entity.name),
        data_source=naming.external_data_source_name(zone), database=naming.SERVERLESS_DATABASE, columns=columns,
        **extra)


def artifacts(catalog: Catalog, templates: Environment) -> list[Artifact]:
    out = [text_artifact("synapse/serverless/00_setup.sql", setup_script(catalog, templates),
                         tuple(f"zone:{z}" for z in sorted(catalog.platform.zones)))]
    from lakewharf.generate.parallel import render_each

    entities = [entity for source in sorted(catalog.sources.values(), key=lambda s: s.name)
                for entity in sorted(source.entities.values(), key=lambda e: e.name)]
    # One view per landed entity (1,000 at 1,000 tables): rendered on every core.
    scripts = render_each(partial(landing_script, catalog, templates=templates), entities)
    for entity, script in zip(entities, scripts, strict=True):
        path = f"synapse/serverless/landing/{naming.landing_table_name(entity.source, entity.name)}.sql"
        out.append(text_artifact(path, script, (f"entity:{entity.ref}",)))
    return out
