"""lakewharf's own copy of every source that ``local.yaml`` does not bind to the user's data.

A source is *materialized* from one of three providers — fixtures (``{fixtures: DIR}``), the
retail sample's curated data (``{sample: retail}``), or data generated from the catalog's column
contracts (the default) — into ``.wharf/``: a DuckDB file ``.wharf/sources/<source>.duckdb``
holding each entity under its table name (``dbo.customers``) for a SQL source, or the files of
the entities' path globs in the lake container ``drop-<source>`` for a file or log source.

Only what lakewharf wrote is ever replaced. Each source's seed records what it wrote and a
fingerprint of what it was made from (binding, column contracts, fixture files, scale); a source
is re-made only when that changes, and the report says which and why. A database file that no
seed record claims (a user's hand-loaded data) is never overwritten: that is an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.errors import WharfError
from lakewharf.local.bindings import Binding, LocalBindings
from lakewharf.local.lake import Lake
from lakewharf.local.row_checks import duck_type
from lakewharf.local.settings import LocalSettings
from lakewharf.local.source_readers import qualified_table
from lakewharf.local.source_systems import drop_container, seed_database
from lakewharf.model.catalog import Catalog, Entity, Source
from lakewharf.sources.registry import is_database


class SeedError(WharfError, ValueError):
    """A source cannot be materialized as the catalog declares; nothing was changed."""


@dataclass
class SeedReport:
    tables: dict[str, int] = field(default_factory=dict)  # entity ref → rows seeded this time
    files: dict[str, int] = field(default_factory=dict)  # entity ref → files seeded this time
    skipped: list[str] = field(default_factory=list)  # entities with no data at all
    # Columns the catalog declares and the sample or fixture data does not have (seeded as NULL):
    # a column a data engineer just added to a source, which the real system will fill.
    null_columns: list[str] = field(default_factory=list)
    made: dict[str, str] = field(default_factory=dict)  # source → why it was (re)made this time
    sources: dict[str, str] = field(default_factory=dict)  # every source → where its data comes from
    reset: str = ""  # why the local lake and warehouse were started over, if they were


@dataclass(frozen=True)
class EntityRows:
    table: Any  # pyarrow.Table with the entity's columns (database entities, and file ones from fixtures)
    files: Mapping[str, bytes]  # relative path in the drop → content (file entities)


def _marker(settings: LocalSettings, source: str) -> Path:
    return settings.state / "sources" / f"{source}.seed.json"


def _fingerprint(source: Source, binding: Binding, settings: LocalSettings) -> str:
    shape: list[Any] = [binding.kind, binding.value, dict(sorted(binding.generate.items())),
                        settings.sample_scale, source.kind, source.format, dict(source.options)]
    for e in sorted(source.entities.values(), key=lambda e: e.name):
        shape.append([e.name, e.table, e.path, e.load_mode, e.watermark,
                      [[c.name, str(c.type), c.nullable, c.primary_key, str(c.privacy)] for c in e.columns]])
    if any(e.load_mode == "full" and "{" in (e.path or "") for e in source.entities.values()):
        shape.append(dt.datetime.now(dt.UTC).date().isoformat())  # a dated full-load drop moves with the day
    if binding.kind == "fixtures":
        folder = Path(binding.value)
        shape.append(sorted([p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in folder.iterdir() if p.is_file()))
    return hashlib.sha256(json.dumps(shape, default=str).encode()).hexdigest()[:16]


def _why(previous: dict[str, Any] | None, binding: Binding) -> str:
    if previous is None:
        return "made: first seed"
    if previous.get("binding") != binding.kind:
        return f"re-made: now {binding.describe()}"
    return "re-made: its column contracts or data changed"


def materialize(catalog: Catalog, settings: LocalSettings, lake: Lake, bindings: LocalBindings,
                *, reseed: bool = False) -> SeedReport:
    """(Re)make every source that is not bound to the user's own data, where it changed."""
    report = SeedReport()
    sample: dict[str, Any] = {}
    for source in sorted(catalog.sources.values(), key=lambda s: s.name):
        binding = bindings.of(source.name)
        report.sources[source.name] = binding.describe()
        if binding.bound:
            continue
        marker = _marker(settings, source.name)
        previous = json.loads(marker.read_text()) if marker.exists() else None
        fingerprint = _fingerprint(source, binding, settings)
        if not reseed and previous and previous.get("fingerprint") == fingerprint and _present(settings, lake, source,
                                                                                            previous):
            continue
        rows = _provide(catalog, source, binding, settings, sample, report)
        written = _write(settings, lake, source, rows, previous, report)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"fingerprint": fingerprint, "binding": binding.kind, "files": written}, indent=1))
        report.made[source.name] = _why(previous, binding)
    return report


def _present(settings: LocalSettings, lake: Lake, source: Source, previous: dict[str, Any]) -> bool:
    if is_database(source):
        return seed_database(settings, source.name).is_file()
    have = set(lake.list(drop_container(source.name)))
    return all(name in have for name in previous.get("files", []))


def _provide(catalog: Catalog, source: Source, binding: Binding, settings: LocalSettings,
             sample: dict[str, Any], report: SeedReport) -> dict[str, EntityRows]:
    if binding.kind == "sample":
        from lakewharf.local.sample_provider import sample_rows

        return sample_rows(source, settings, sample)
    if binding.kind == "fixtures":
        from lakewharf.local.fixtures import fixture_rows

        return fixture_rows(source, Path(binding.value))
    from lakewharf.local.synthetic import GenerateOptions, generate_source_data

    spec = binding.generate
    options = GenerateOptions(rows=max(1, round(int(spec.get("rows", 1000)) * settings.sample_scale)),
                              seed=int(spec.get("seed", 20260101)), dirty_rate=float(spec.get("dirty_rate", 0.02)))
    data = generate_source_data(catalog, list(source.entities.values()), options)
    return {ref: EntityRows(d.table, d.files) for ref, d in data.items()}


def _select_list(entity: Entity, table: Any, report: SeedReport) -> str:
    """Each declared column from the provided table, or a typed NULL when it lacks a nullable one."""
    have = set(table.column_names)
    parts = []
    for c in entity.columns:
        if c.name in have:
            parts.append(f'CAST("{c.name}" AS {duck_type(c)}) AS "{c.name}"')
        elif c.nullable:
            parts.append(f'CAST(NULL AS {duck_type(c)}) AS "{c.name}"')
            report.null_columns.append(f"{entity.ref}.{c.name}")
        else:
            raise SeedError(f"{entity.ref}.{c.name}: the data for this source has no values for this non-nullable "
                            "column", "declare it nullable while you try it locally, or add it to the data")
    return ", ".join(parts)


def _write(settings: LocalSettings, lake: Lake, source: Source, rows: dict[str, EntityRows],
           previous: dict[str, Any] | None, report: SeedReport) -> list[str]:
    """Write the source's copy; returns the drop files written. Checks all before changing anything."""
    if is_database(source):
        _write_database(settings, source, rows, previous, report)
        return []
    container = drop_container(source.name)
    lake.ensure_filesystem(container)
    new: dict[str, bytes] = {}
    for entity in source.entities.values():
        files = rows[entity.ref].files if entity.ref in rows else {}
        if not files:
            report.skipped.append(entity.ref)
        new.update(files)
        report.files[entity.ref] = len(files)
    for name in (previous or {}).get("files", []):
        # Only files this seed wrote before, each by its exact name: never a prefix, never a folder.
        if name not in new and lake.list(container, name) == [name]:
            lake.delete_prefix(container, name)
    for name, content in sorted(new.items()):
        lake.write(container, name, content)
    return sorted(new)


def _write_database(settings: LocalSettings, source: Source, rows: dict[str, EntityRows],
                    previous: dict[str, Any] | None, report: SeedReport) -> None:
    import duckdb

    path = seed_database(settings, source.name)
    if path.exists() and previous is None and not _legacy_seed(settings):
        raise SeedError(f"{path} holds data lakewharf did not write; it is left as it is",
                        f"to run on it, bind it in local.yaml: {source.name}: {{database: \"duckdb:///{path}\"}} "
                        "(better: move it out of .wharf/ first)")
    plans = []
    for entity in source.entities.values():
        if entity.ref not in rows:
            report.skipped.append(entity.ref)
            continue
        plans.append((entity, _select_list(entity, rows[entity.ref].table, report), rows[entity.ref].table))
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".seeding")
    building.unlink(missing_ok=True)
    with duckdb.connect(str(building)) as con:
        for entity, select, table in plans:
            schema, name = qualified_table(entity, source)
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            columns = ", ".join(f'"{c.name}" {duck_type(c)}' for c in entity.columns)
            con.execute(f'CREATE TABLE "{schema}"."{name}" ({columns})')
            con.register("incoming", table)
            try:
                con.execute(f'INSERT INTO "{schema}"."{name}" SELECT {select} FROM incoming')
            except duckdb.Error as exc:  # a fixture value that is not of its column's type
                building.unlink(missing_ok=True)
                raise SeedError(f"{entity.ref}: {str(exc).splitlines()[0][:300]}",
                                "fix the value in the fixture, or the column's type in the catalog") from None
            con.unregister("incoming")
            report.tables[entity.ref] = table.num_rows
    os.replace(building, path)


def _legacy_seed(settings: LocalSettings) -> bool:
    """Projects seeded before per-source seed records had one ``SEEDED`` file for all sources."""
    return (settings.state / "sources" / "SEEDED").exists()

