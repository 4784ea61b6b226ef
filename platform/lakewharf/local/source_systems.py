"""The source systems of one local run: for each catalog source, where its data is read.

A source bound in ``local.yaml`` to a database or a folder is read in place; every other one
reads lakewharf's materialized copy under ``.wharf/`` (``lakewharf.local.sources``): a DuckDB
file per SQL source, a ``drop-<source>`` container in the local lake per file source.
``preflight`` checks every bound source before anything is changed, so a missing table or an
empty glob is one clear error, not a failure half-way through a pipeline.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from lakewharf.local.bindings import BindingError, LocalBindings
from lakewharf.local.files import LocalFiles
from lakewharf.local.lake import FolderLake, Lake
from lakewharf.local.settings import LocalSettings
from lakewharf.local.source_readers import (
    DropFile,
    DuckDBFile,
    FileDrop,
    FolderDrop,
    SourceDatabase,
    check_database,
    check_drop,
    open_database,
)
from lakewharf.model.catalog import Catalog, Source
from lakewharf.sources.registry import database_kind


def query_dialect(source: Source) -> str:
    """The sqlglot dialect of a database source's generated queries (its kind's)."""
    kind = database_kind(source.kind)
    assert kind is not None, f"{source.name} is not a database source"
    return kind.dialect.sqlglot


def source_query(source: Source, copy_source: dict[str, Any]) -> str | None:
    """The query of a Copy or Lookup source, from the property its kind puts it in."""
    kind = database_kind(source.kind)
    assert kind is not None, f"{source.name} is not a database source"
    return copy_source.get(kind.query_property)


def drop_container(source: str) -> str:
    return f"drop-{source}".replace("_", "-")


def seed_database(settings: LocalSettings, source: str) -> Path:
    return settings.state / "sources" / f"{source}.duckdb"


def _modified(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)


class LakeDrop:
    """lakewharf's own drop container in the local lake (sample, fixture or generated files)."""

    def __init__(self, lake: Lake, files: LocalFiles, container: str) -> None:
        self.lake, self.local, self.container = lake, files, container
        self.where = f"the drop container {container} of the local lake"

    def files(self) -> list[DropFile]:
        names = self.lake.list(self.container)
        if not names:
            return []
        if isinstance(self.lake, FolderLake):  # the seed's own write times: a rerun's window skips them
            folder = self.lake.root / self.container
            return [DropFile(n, str(folder / n), _modified(folder / n)) for n in names]
        folder = self.local.folder(self.container, "")
        return [DropFile(n, str(folder / n), None) for n in names]


class SourceSystems:
    def __init__(self, catalog: Catalog, settings: LocalSettings, bindings: LocalBindings,
                 lake: Lake, files: LocalFiles) -> None:
        self.catalog, self.settings, self.bindings = catalog, settings, bindings
        self.lake, self.local = lake, files
        self._databases: dict[str, SourceDatabase] = {}

    def database(self, source: str) -> SourceDatabase:
        if source not in self._databases:
            binding = self.bindings.of(source)
            self._databases[source] = (open_database(self.catalog.root, source, binding.value)
                                       if binding.kind == "database"
                                       else DuckDBFile(seed_database(self.settings, source)))
        return self._databases[source]

    def drop(self, source: str) -> FileDrop:
        binding = self.bindings.of(source)
        if binding.kind == "folder":
            return FolderDrop(Path(binding.value))
        return LakeDrop(self.lake, self.local, drop_container(source))


def preflight(catalog: Catalog, bindings: LocalBindings) -> None:
    """Every bound source holds what the catalog reads from it; else BindingError, nothing changed."""
    problems: list[str] = []
    for name in catalog.sources:
        source, binding = catalog.sources[name], bindings.of(name)
        if binding.kind == "database":
            problems += check_database(open_database(catalog.root, name, binding.value), source)
        elif binding.kind == "folder":
            problems += check_drop(FolderDrop(Path(binding.value)), source)
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:4])})" if len(problems) > 1 else ""
        raise BindingError(problems[0] + more,
                           "lakewharf reads bound sources as they are and never changes them; fix the data or "
                           "local.yaml, or leave the source out of local.yaml to run it on generated data")
