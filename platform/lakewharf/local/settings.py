"""Where local state lives and which backends to use.

Everything local sits under ``<project>/.wharf/`` (ignored by git). Defaults need nothing
installed beyond the Python packages: a folder as the lake, DuckDB as the warehouse. Azurite and
SQL Server are opt-in: ``WHARF_LAKE=azurite`` and ``WHARF_SQLSERVER=<ODBC connection string>``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from lakewharf.errors import WharfError

LAKE_BACKENDS = ("folder", "azurite", "adls")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class SettingsError(WharfError, ValueError):
    """A WHARF_* environment variable holds a value lakewharf cannot use; says which and why."""


def duckdb_memory_limit() -> str:
    """``WHARF_DUCKDB_MEMORY`` (default 1GB), checked before it reaches a SET statement."""
    value = os.environ.get("WHARF_DUCKDB_MEMORY", "1GB").strip()
    if not _MEMORY.match(value):
        raise SettingsError(f"WHARF_DUCKDB_MEMORY={value!r}: give an amount such as 1GB or 512MB")
    return value


def _number(name: str, default: str, kind: type[int] | type[float], low: float, high: float) -> int | float:
    raw = os.environ.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise SettingsError(f"{name}={raw!r}: give a {'whole ' if kind is int else ''}number from {low:g} to {high:g}")
    return value


@dataclass(frozen=True)
class LocalSettings:
    root: Path  # the project folder
    lake_backend: str = "folder"  # one of LAKE_BACKENDS
    azurite_host: str = "127.0.0.1"
    azurite_port: int = 10000
    azurite_in_memory: bool = False
    sqlserver: str | None = None  # ODBC connection string; None → DuckDB
    sample_scale: float = 1.0  # size of the seeded sample data (tests use a fraction)

    @classmethod
    def from_env(cls, root: Path) -> LocalSettings:
        """Settings from ``WHARF_*`` variables; a bad value raises SettingsError before anything starts."""
        lake = os.environ.get("WHARF_LAKE", "folder")
        if lake not in LAKE_BACKENDS:
            raise SettingsError(f"WHARF_LAKE={lake!r}: use one of {', '.join(LAKE_BACKENDS)}")
        duckdb_memory_limit()
        return cls(
            root=root,
            lake_backend=lake,
            azurite_port=int(_number("WHARF_AZURITE_PORT", "10000", int, 1, 65535)),
            azurite_in_memory=os.environ.get("WHARF_AZURITE_IN_MEMORY", "") == "1",
            sqlserver=os.environ.get("WHARF_SQLSERVER") or None,
            sample_scale=float(_number("WHARF_SAMPLE_SCALE", "1", float, 0.001, 1000)),
        )

    @property
    def state(self) -> Path:
        return self.root / ".wharf"

    @property
    def lake_folder(self) -> Path:
        return self.state / "lake"

    @property
    def warehouse_file(self) -> Path:
        return self.state / "warehouse.duckdb"

    @property
    def sources_file(self) -> Path:
        """The sample operational databases (CRM on "SQL Server", orders on "PostgreSQL")."""
        return self.state / "sources.duckdb"

    @property
    def drops_folder(self) -> Path:
        """File drops and logs that the sample's file and log sources read."""
        return self.state / "drops"

    @property
    def azurite_folder(self) -> Path:
        return self.state / "azurite"

    @property
    def azurite_pid_file(self) -> Path:
        return self.state / "azurite.pid"

    @property
    def blob_endpoint(self) -> str:
        return f"http://{self.azurite_host}:{self.azurite_port}/{AZURITE_ACCOUNT}"


# Azurite's well-known development account. The key is public and documented by Microsoft for the
# emulator only (https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key);
# it is assembled here, never read from the catalog, and never valid against Azure.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
