"""Bring the local environment up or down: the lake (folder or Azurite) with one container per zone,
and every source system — the user's own bound data checked, lakewharf's copies of the others made."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lakewharf.local import azurite
from lakewharf.local.bindings import LocalBindings, load_bindings
from lakewharf.local.lake import Lake, open_lake
from lakewharf.local.settings import LocalSettings
from lakewharf.local.source_systems import preflight
from lakewharf.local.sources import SeedReport, materialize
from lakewharf.model.catalog import Catalog


@dataclass(frozen=True)
class EnvironmentStatus:
    lake: str
    azurite: azurite.AzuriteStatus | None
    warehouse: str
    sources: dict[str, str]  # source → where its data comes from


def up(catalog: Catalog, settings: LocalSettings, bindings: LocalBindings | None = None, *,
       reseed: bool = False) -> tuple[Lake, SeedReport]:
    """Check the bound sources, start what is needed, create the zone containers, make the copies."""
    bindings = bindings if bindings is not None else load_bindings(catalog)
    preflight(catalog, bindings)  # before anything changes: a missing table is one clear error
    # An emulator already listening (started by docker compose, or by another project) is used as is.
    if settings.lake_backend == "azurite" and not azurite.port_open(settings.azurite_host, settings.azurite_port):
        azurite.start(settings)
    lake = open_lake(settings)
    for zone in catalog.platform.zones.values():
        lake.ensure_filesystem(zone.filesystem)
    report = materialize(catalog, settings, lake, bindings, reseed=reseed)
    report.reset = _reset_if_rebound(catalog, settings, lake, bindings)
    return lake, report


def _reset_if_rebound(catalog: Catalog, settings: LocalSettings, lake: Lake, bindings: LocalBindings) -> str:
    """A source that now reads other data (a new binding) starts the local platform over.

    Its watermarks in etl.watermarks, its landed files and the tables loaded from them describe
    the data it read before; the next incremental copy would compare the new data with the old
    watermark and skip it. So the zones' folders, the warehouse and the run history (lakewharf's
    own, under .wharf/) are cleared, and the report says why."""
    record = settings.state / "sources" / "bindings.json"
    now = {s: bindings.of(s).describe() for s in sorted(catalog.sources)}
    before = json.loads(record.read_text()) if record.exists() else None
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(now, indent=1))
    changed = sorted(s for s in now if before is not None and s in before and before[s] != now[s])
    if not changed:
        return ""
    for zone in catalog.platform.zones.values():
        lake.delete_prefix(zone.filesystem, "")
    for path in (settings.warehouse_file, settings.warehouse_file.with_name(settings.warehouse_file.name + ".wal"),
                 settings.state / "runs.json"):
        path.unlink(missing_ok=True)
    where = "; ".join(f"{s}: {before[s]} → {now[s]}" for s in changed)  # type: ignore[index]
    kept = " (a SQL Server warehouse is not cleared: truncate its tables yourself)" if settings.sqlserver else ""
    return f"the local lake and warehouse were reset, because a source now reads other data ({where}){kept}"


def down(settings: LocalSettings) -> bool:
    return azurite.stop(settings)


def status(catalog: Catalog, settings: LocalSettings) -> EnvironmentStatus:
    emulator = azurite.status(settings) if settings.lake_backend == "azurite" else None
    lake = f"Azurite at {settings.blob_endpoint}" if emulator else f"folder {settings.lake_folder}"
    warehouse = "SQL Server (WHARF_SQLSERVER)" if settings.sqlserver else f"DuckDB {settings.warehouse_file}"
    bindings = load_bindings(catalog)
    return EnvironmentStatus(lake, emulator, warehouse, {s: bindings.of(s).describe() for s in sorted(catalog.sources)})
