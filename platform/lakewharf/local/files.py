"""Lake folders as local files, for engines that read paths (DuckDB, the Azure ML scripts).

The folder backend already is local; for the Blob backend a folder is downloaded into a run cache
and results are uploaded back — the price of Azurite having no local file view.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lakewharf.local.lake import FolderLake, Lake


class LocalFiles:
    def __init__(self, lake: Lake, cache: Path) -> None:
        self.lake = lake
        self.cache = cache

    def folder(self, filesystem: str, prefix: str) -> Path:
        """A local folder holding the files under ``prefix`` (possibly empty)."""
        prefix = prefix.strip("/")
        if isinstance(self.lake, FolderLake):
            return self.lake.root / filesystem / prefix
        target = Path(tempfile.mkdtemp(prefix="lake-", dir=self._cache()))
        for name in self.lake.list(filesystem, prefix + "/" if prefix else ""):
            local = target / name[len(prefix) :].lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(self.lake.read(filesystem, name))
        return target

    def parquet_glob(self, filesystem: str, prefix: str) -> str | None:
        """A read_parquet() glob for every Parquet file under ``prefix``; None when there is none."""
        names = [
            n
            for n in self.lake.list(filesystem, prefix.strip("/") + "/")
            if n.endswith(".parquet")
            and not any(part.startswith(("_", ".")) for part in n.split("/")[len(prefix.strip("/").split("/")) :])
        ]
        if not names:
            return None
        return str(self.folder(filesystem, prefix) / "**" / "*.parquet")

    def upload_folder(self, local: Path, filesystem: str, prefix: str) -> int:
        count = 0
        for path in sorted(local.rglob("*")):
            if path.is_file():
                self.lake.write(
                    filesystem, f"{prefix.strip('/')}/{path.relative_to(local).as_posix()}", path.read_bytes()
                )
                count += 1
        return count

    def scratch(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="work-", dir=self._cache()))

    def _cache(self) -> Path:
        self.cache.mkdir(parents=True, exist_ok=True)
        return self.cache

    def cleanup(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)
