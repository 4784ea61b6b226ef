"""Source kinds: one module per kind of source system, registered in ``registry.SOURCE_KINDS``.

A kind declares everything lakewharf needs to know about its source systems — the catalog
options it accepts (a JSON Schema fragment, assembled into ``source.schema.json``), what an
entity must name (a table or a path), its Data Factory linked service and dataset, its Copy
source and incremental strategy, the SQL dialect of its generated queries (whose sqlglot name the
local runner translates from), how the local runner holds its data (a database seed or a drop
container) and what a local run cannot verify about it. The catalog builder, the ADF generators
and the local runner ask the registry instead of branching on kind names, like sqlglot's one
module per dialect or dlt's destination capabilities.

The room sits between ``catalog`` and ``model``: it reads the typed model and is read by the
catalog (schema, entity checks), the generators and the local runner.
"""

from lakewharf.sources.base import DatabaseKind, FileKind, SourceKind
from lakewharf.sources.registry import SOURCE_KINDS, database_kind, is_database, kind_of

__all__ = ["SOURCE_KINDS", "DatabaseKind", "FileKind", "SourceKind", "database_kind", "is_database", "kind_of"]
