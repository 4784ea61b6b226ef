"""Both lake backends honour one contract: write, read, list by prefix, delete a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakewharf.local.lake import BlobLake, FolderLake, Lake
from lakewharf.local.settings import LocalSettings


@pytest.fixture(params=["folder", pytest.param("azurite", marks=pytest.mark.integration)])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    if request.param == "folder":
        return FolderLake(tmp_path / "lake")
    settings: LocalSettings = request.getfixturevalue("azurite_settings")
    return BlobLake(settings.blob_endpoint)


def test_write_read_list_delete(lake: Lake, request: pytest.FixtureRequest) -> None:
    fs = f"t-{abs(hash(request.node.name)) % 10**8}"
    lake.ensure_filesystem(fs)
    lake.ensure_filesystem(fs)  # idempotent
    lake.write(fs, "a/2026/01/01/part-0.parquet", b"one")
    lake.write(fs, "a/2026/01/02/part-0.parquet", b"two")
    lake.write(fs, "b/x.csv", b"three")
    lake.write(fs, "a/2026/01/02/part-0.parquet", b"two again")  # overwrite
    assert lake.list(fs, "a/") == ["a/2026/01/01/part-0.parquet", "a/2026/01/02/part-0.parquet"]
    assert lake.read(fs, "a/2026/01/02/part-0.parquet") == b"two again"
    assert lake.delete_prefix(fs, "a/2026/01/01/") == 1
    assert lake.list(fs) == ["a/2026/01/02/part-0.parquet", "b/x.csv"]
    assert lake.list("no-such-filesystem") == []


def test_folder_lake_never_exposes_partial_files(tmp_path: Path) -> None:
    lake = FolderLake(tmp_path)
    lake.write("fs", "data.parquet", b"x" * 1000)
    assert [p.name for p in (tmp_path / "fs").iterdir()] == ["data.parquet"]  # the temporary name is gone


def test_folder_lake_rejects_paths_outside_the_filesystem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="leaves filesystem"):
        FolderLake(tmp_path).write("fs", "../other/x", b"")


def test_capabilities_say_what_azurite_cannot_check() -> None:
    assert BlobLake.capabilities.acls is False
    assert FolderLake.capabilities.acls is False
