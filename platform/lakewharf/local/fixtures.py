"""Fixtures as a source provider (``{fixtures: DIR}`` in local.yaml): one file per entity.

``DIR/<entity>.csv``, ``.parquet`` or ``.jsonl`` holds an entity's rows, with a header row of
column names for CSV. A SQL source's fixtures are loaded, typed by the catalog, into lakewharf's
DuckDB copy of the source; a file source's fixture is placed, unchanged when it already has the
source's format, where the entity's path glob finds it — so a fixture's bad rows reach the Copy
activity and are rejected there, as in Azure. The fixture files themselves are only read.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import tempfile
from pathlib import Path
from typing import Any

from lakewharf.local.sources import EntityRows, SeedError
from lakewharf.model.catalog import Entity, Source
from lakewharf.model.lake import day_path
from lakewharf.sources.registry import is_database, kind_of

EXTENSIONS = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl", "json": "jsonl"}


def _fixture(folder: Path, entity: Entity) -> Path:
    found = [folder / f"{entity.name}.{ext}" for ext in EXTENSIONS if (folder / f"{entity.name}.{ext}").is_file()]
    if not found:
        raise SeedError(f"no fixture for {entity.ref} in {folder}",
                        f"add {entity.name}.csv (with a header row) or {entity.name}.parquet there")
    return found[0]


def _read(con: Any, path: Path) -> Any:
    fmt = EXTENSIONS[path.suffix.lstrip(".")]
    reader = {"csv": "read_csv({}, header = true, all_varchar = true)",
              "parquet": "read_parquet({})",
              "jsonl": "read_json({}, format = 'newline_delimited')"}[fmt].format(repr(str(path)))
    try:
        return con.execute(f"SELECT * FROM {reader}").fetch_arrow_table()
    except Exception as exc:  # DuckDB's reader names the line and the problem
        raise SeedError(f"cannot read the fixture {path}: {str(exc).splitlines()[0][:300]}") from None


def today_folder(path: str, day: dt.date) -> str:
    """An entity path's folder with ``{yyyy}/{MM}/{dd}`` set to ``day``: where a full load looks."""
    return day_path(path, day)


def _file_name(entity: Entity) -> str:
    """A name the entity's glob matches, in today's folder (where a full load looks)."""
    assert entity.path is not None
    folder, pattern = posixpath.split(today_folder(entity.path, dt.datetime.now(dt.UTC).date()))
    name = re.sub(r"\[[^\]]*\]", "x", pattern).replace("*", "fixture").replace("?", "0")
    return posixpath.join(folder, name)


def fixture_rows(source: Source, folder: Path) -> dict[str, EntityRows]:
    import duckdb

    out = {}
    with duckdb.connect() as con:
        for entity in source.entities.values():
            path = _fixture(folder, entity)
            if is_database(source):
                out[entity.ref] = EntityRows(_read(con, path), {})
                continue
            pages = kind_of(source).local_files(entity, _read(con, path), source) if source.format is None else None
            if pages is not None:  # the kind's own files (an API's pages, capture Avro) of the fixture's rows
                out[entity.ref] = EntityRows(None, pages)
                continue
            fmt = EXTENSIONS[path.suffix.lstrip(".")]
            if fmt == source.format:
                content = path.read_bytes()
            else:  # convert to the drop's format, as the system that drops the files would write it
                table = _read(con, path)
                con.register("fixture", table)
                with tempfile.TemporaryDirectory() as tmp:
                    target = Path(tmp) / f"out.{source.format}"
                    options = {"csv": "FORMAT CSV, HEADER true", "parquet": "FORMAT PARQUET",
                               "jsonl": "FORMAT JSON"}[source.format or "csv"]
                    con.execute(f"COPY fixture TO '{target}' ({options})")
                    content = target.read_bytes()
                con.unregister("fixture")
            out[entity.ref] = EntityRows(None, {_file_name(entity): content})
    return out
