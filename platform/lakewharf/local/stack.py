"""Bring the local stack up or down: the lake (folder or Azurite) with one container per zone,
and the sample source systems, seeded."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lakewharf.local import azurite
from lakewharf.local.lake import Lake, open_lake
from lakewharf.local.settings import LocalSettings
from lakewharf.local.sources import SeedError, SeedReport, seed
from lakewharf.model.catalog import Catalog


@dataclass(frozen=True)
class StackStatus:
    lake: str
    azurite: azurite.AzuriteStatus | None
    warehouse: str
    sources_seeded: bool


def up(catalog: Catalog, settings: LocalSettings, *, reseed: bool = False) -> tuple[Lake, SeedReport | None]:
    """Start what is needed, create the zone containers, seed the sources once (or again)."""
    from lakewharf.local.sample_data import Volumes, generate

    # An emulator already listening (started by docker compose, or by another project) is used as is.
    if settings.lake_backend == "azurite" and not azurite.port_open(settings.azurite_host, settings.azurite_port):
        azurite.start(settings)
    lake = open_lake(settings)
    for zone in catalog.platform.zones.values():
        lake.ensure_filesystem(zone.filesystem)
    report = None
    # Reseed when the catalog's source columns changed since the last seed: a column a data
    # engineer adds must exist in the sample system before a Copy can select it.
    if reseed or not seed_is_current(catalog, settings):
        marker = _marker(settings)
        before = marker.read_text() if marker.exists() else None
        marker.unlink(missing_ok=True)
        try:
            report = seed(catalog, settings, lake, generate(Volumes().scaled(settings.sample_scale)))
        except SeedError:
            if before is not None:  # seed() checks everything before it changes anything
                marker.write_text(before)
            raise
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"seeded by wharf local up\nsources {_fingerprint(catalog)}\n")
    return lake, report


def sources_seeded(catalog: Catalog, settings: LocalSettings) -> bool:
    return _marker(settings).exists()


def seed_is_current(catalog: Catalog, settings: LocalSettings) -> bool:
    marker = _marker(settings)
    return marker.exists() and f"sources {_fingerprint(catalog)}" in marker.read_text()


def _fingerprint(catalog: Catalog) -> str:
    """What the seeded systems depend on: every source entity's columns and types."""
    shape = [[e.ref, e.table, e.path, [[c.name, str(c.type), c.nullable] for c in e.columns]]
             for s in sorted(catalog.sources.values(), key=lambda s: s.name)
             for e in sorted(s.entities.values(), key=lambda e: e.name)]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def _marker(settings: LocalSettings) -> Path:
    """Written after a complete seed, so a seed interrupted half-way is redone."""
    return settings.state / "sources" / "SEEDED"


def down(settings: LocalSettings) -> bool:
    return azurite.stop(settings)


def status(catalog: Catalog, settings: LocalSettings) -> StackStatus:
    emulator = azurite.status(settings) if settings.lake_backend == "azurite" else None
    lake = f"Azurite at {settings.blob_endpoint}" if emulator else f"folder {settings.lake_folder}"
    warehouse = "SQL Server (WHARF_SQLSERVER)" if settings.sqlserver else f"DuckDB {settings.warehouse_file}"
    return StackStatus(lake, emulator, warehouse, sources_seeded(catalog, settings))
