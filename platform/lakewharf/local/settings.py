"""Where local state lives and which backends to use.

Everything local sits under ``<project>/.wharf/`` (ignored by git). Defaults need nothing
installed beyond the Python packages: a folder as the lake, DuckDB as the warehouse. Azurite and
SQL Server are opt-in: ``WHARF_LAKE=azurite`` and ``WHARF_SQLSERVER=<ODBC connection string>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocalSettings:
    root: Path  # the project folder
    lake_backend: str = "folder"  # "folder" | "azurite"
    azurite_host: str = "127.0.0.1"
    azurite_port: int = 10000
    azurite_in_memory: bool = False
    sqlserver: str | None = None  # ODBC connection string; None → DuckDB
    sample_scale: float = 1.0  # size of the seeded sample data (tests use a fraction)

    @classmethod
    def from_env(cls, root: Path) -> LocalSettings:
        return cls(
            root=root,
            lake_backend=os.environ.get("WHARF_LAKE", "folder"),
            azurite_port=int(os.environ.get("WHARF_AZURITE_PORT", "10000")),
            azurite_in_memory=os.environ.get("WHARF_AZURITE_IN_MEMORY", "") == "1",
            sqlserver=os.environ.get("WHARF_SQLSERVER") or None,
            sample_scale=float(os.environ.get("WHARF_SAMPLE_SCALE", "1")),
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
